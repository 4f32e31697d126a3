"""Small vectorized helpers shared by the cleaning modules."""

from __future__ import annotations

import functools
import math
import weakref
from collections.abc import Callable
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

#: Codes of Arrow-backed text columns already factorized, keyed by their (immutable) Arrow
#: array: a column looked up several times (blank check, then the lookup; a lookup's result,
#: then a second lookup on it) is hashed once. Weak keys: an entry lives as long as its column.
_CODES: dict[int, tuple[weakref.ref[Any], tuple[np.ndarray, pd.Series]]] = {}


def _code_dtype(n: int) -> type:
    """Return the smallest integer type for codes ``-1 .. n`` (kept small: codes stay in memory)."""
    return (
        np.int8 if n < 100 else np.int16 if n < 30_000 else np.int32 if n < 2**31 - 2 else np.int64
    )


def _arrow_key(values: pd.Series) -> Any:
    arr = getattr(values.array, "_pa_array", None)
    return arr if isinstance(arr, pa.ChunkedArray) else None


def _known(key: Any) -> tuple[np.ndarray, pd.Series] | None:
    entry = _CODES.get(id(key)) if key is not None else None
    return entry[1] if entry is not None and entry[0]() is key else None


def _remember(key: Any, value: tuple[np.ndarray, pd.Series]) -> None:
    k = id(key)

    def forget(ref: weakref.ref[Any]) -> None:
        if k in _CODES and _CODES[k][0] is ref:
            del _CODES[k]

    _CODES[k] = (weakref.ref(key, forget), value)


def distinct_codes(values: pd.Series) -> tuple[np.ndarray, pd.Series]:
    """Return ``(codes, uniques)`` of ``values``: ``values[i] == uniques[codes[i]]``, -1 if NA.

    Like :func:`pandas.factorize` (missing values get -1), computed once per Arrow-backed
    column: the result is remembered for the column's immutable Arrow array, and the outputs
    of :func:`map_distinct` and :func:`take_rows` are registered with the codes they inherit,
    so chained lookups never hash the rows again. ``uniques`` is a Series of the input dtype
    (order unspecified); treat both as read-only.
    """
    key = _arrow_key(values)
    hit = _known(key)
    if hit is not None and len(hit[0]) == len(values):
        return hit
    codes, uniques = pd.factorize(values, use_na_sentinel=True)
    out: tuple[np.ndarray, pd.Series] = (
        np.asarray(codes, dtype=_code_dtype(len(uniques))),
        pd.Series(uniques, dtype=values.dtype if len(uniques) else "str"),
    )
    if key is not None:
        _remember(key, out)
    return out


def _register(result: pd.Series, codes: np.ndarray, values: pd.Series) -> None:
    """Remember that ``result[i] == values[codes[i]]`` (-1: missing) for ``result``'s array."""
    key = _arrow_key(result)
    if key is None or _known(key) is not None:
        return
    vcodes, uniques = pd.factorize(values, use_na_sentinel=True)
    vcodes = np.append(np.asarray(vcodes, dtype=_code_dtype(len(uniques))), -1)  # -1: NA
    _remember(
        key, (vcodes[codes], pd.Series(uniques, dtype=values.dtype if len(uniques) else "str"))
    )


def word_key(values: pd.Series) -> pd.Series:
    """Return vocabulary lookup keys of ``values``: trimmed, case-folded, separators as spaces.

    ``-``, ``_``, ``,``, ``;`` and runs of spaces become one space, so "Mid-level",
    "mid_level" and "Mid level" are one word.
    """
    return (
        values.astype("str").str.casefold().str.replace(r"[\s\-_,;]+", " ", regex=True).str.strip()
    )


def take_rows(values: pd.Series, keep: np.ndarray) -> pd.Series:
    """Return ``values[keep]`` (a boolean mask), keeping the known codes of the kept rows."""
    out = values[keep]
    hit = _known(_arrow_key(values))
    if hit is not None and len(hit[0]) == len(values):
        okey = _arrow_key(out)
        if okey is not None and _known(okey) is None:
            _remember(okey, (hit[0][keep], hit[1]))
    return out


def map_distinct(
    values: pd.Series, fn: Callable[[pd.Series], pd.Series], keep: np.ndarray | None = None
) -> pd.Series:
    """Apply a vectorized ``fn`` to the distinct values of ``values`` and spread the result back.

    ``fn`` receives a Series of the distinct non-missing values and must return a Series of the
    same length; missing inputs give missing outputs. This is how every per-value lookup
    (country, currency, unit, title, date string) runs once per distinct value; the distinct
    values of a column are found once (:func:`distinct_codes`). With ``keep`` (a boolean
    mask) the result is ``map_distinct(values, fn)[keep]``, built without the dropped rows.
    """
    codes, uniques = distinct_codes(values)
    index = values.index
    if keep is not None:
        codes, index = codes[keep], index[keep]
    res = fn(uniques.copy())
    if len(res) != len(uniques):
        raise ValueError("map_distinct: fn must return one value per distinct input")
    res = res.reset_index(drop=True)
    missing = codes < 0
    values_arr = res.array
    if missing.any():
        if res.dtype == bool:
            values_arr = res.astype("boolean").array
        taken = values_arr.take(np.where(missing, -1, codes), allow_fill=True)
    elif len(values_arr):
        taken = values_arr.take(codes)
    else:
        taken = values_arr
    out = pd.Series(taken, index=index)
    if len(res):
        _register(out, codes if not missing.any() else np.where(missing, len(res), codes), res)
    return out


#: Characters accepted between groups of three digits, per decimal mark. A number uses one of
#: them consistently ("1,234,567", "1 234 567"; not "1,234 567").
_SPACES = (" ", "\u00a0", "\u2009", "\u202f")  # space, no-break, thin, narrow no-break
THOUSANDS_SEPARATORS: dict[str, tuple[str, ...]] = {
    ".": (",", *_SPACES, "_", "'", "\u2019"),
    ",": (".", *_SPACES, "_", "'", "\u2019"),
}
_DECIMAL_NAME = {".": "decimal point", ",": "decimal comma"}
_NON_FINITE_WORDS = ("inf", "infinity", "nan")


@functools.cache
def number_pattern(decimal: str = ".") -> str:
    """Return the (RE2 and Python ``re``) regex a whole trimmed number must match.

    Parameters
    ----------
    decimal
        The decimal mark: ``"."`` (default) or ``","``.

    Notes
    -----
    An optional sign, then an integer part that is either plain digits or groups of exactly
    three digits after a 1-3 digit lead, all joined by the same separator from
    :data:`THOUSANDS_SEPARATORS` (with ``decimal="."`` the Indian grouping "12,34,567" is
    accepted too), then an optional decimal mark with digits, then an optional exponent.
    """
    _check_decimal(decimal)
    groups = [r"\d+"] + [rf"\d{{1,3}}(?:[{s}]\d{{3}})+" for s in THOUSANDS_SEPARATORS[decimal]]
    if decimal == ".":
        groups.append(r"\d{1,2}(?:,\d{2})+,\d{3}")  # lakh/crore: 12,34,567
    d = f"[{decimal}]"
    return rf"^[+-]?(?:(?:{'|'.join(groups)})(?:{d}\d*)?|{d}\d+)(?:[eE][+-]?\d+)?$"


def _check_decimal(decimal: str) -> None:
    if decimal not in THOUSANDS_SEPARATORS:
        raise ValueError(f"decimal must be '.' or ',', not {decimal!r}")


def _as_arrow_text(values: pd.Series) -> pa.Array:
    text = values if isinstance(values.dtype, pd.StringDtype) else values.astype("str")
    arr = pa.array(text.array, type=pa.large_string())  # zero-copy for Arrow-backed strings
    return pc.utf8_trim_whitespace(arr)


def _parse_trimmed(arr: pa.Array, decimal: str) -> tuple[np.ndarray, np.ndarray]:
    """Return (matches the convention, value or NaN) for trimmed Arrow strings."""
    ok = pc.fill_null(pc.match_substring_regex(arr, number_pattern(decimal)), False)
    digits = pc.replace_substring_regex(pc.if_else(ok, arr, "0"), rf"[^0-9eE+\-{decimal}]", "")
    if decimal == ",":
        digits = pc.replace_substring(digits, ",", ".")
    nums = pc.cast(digits, pa.float64()).to_numpy(zero_copy_only=False)
    ok_np = ok.to_numpy(zero_copy_only=False)
    with np.errstate(invalid="ignore"):
        out = np.where(ok_np & np.isfinite(nums), nums, np.nan)
    return ok_np, out


def parse_numbers(values: pd.Series, decimal: str = ".") -> pd.Series:
    """Parse numbers written in one unambiguous convention; anything else becomes NaN.

    Parameters
    ----------
    values
        Text (any dtype; converted to strings). Surrounding whitespace is ignored.
    decimal
        ``"."`` (default): decimal point, thousands separators ``,`` space (also no-break and
        thin spaces) ``_`` ``'`` between groups of exactly three digits ("1,234.5",
        "120 000", "1_000", "12,34,567"). ``","``: decimal comma, thousands ``.`` or
        space ("1.234,56", "12,5").

    Returns
    -------
    pandas.Series
        float64; NaN for text, blanks, "inf", "nan", values beyond the float range, and
        numbers in a foreign or ambiguous convention (with the default, "12,5", "1,23",
        "1,2345" and "1.234,56" are NaN, never 125 or 1.23456). :func:`number_problems`
        says why a value is NaN. Runs in Arrow compute kernels.
    """
    _check_decimal(decimal)
    _, out = _parse_trimmed(_as_arrow_text(values), decimal)
    return pd.Series(out, index=values.index, dtype="float64")


def number_problems(values: pd.Series, decimal: str = ".") -> pd.Series:
    """Say why each value is not a number under ``decimal``; NA where it parses.

    Parameters
    ----------
    values
        The same text given to :func:`parse_numbers`.
    decimal
        The same decimal mark.

    Returns
    -------
    pandas.Series
        Strings like ``"'12,5': decimal comma? separators do not match decimal '.' (pass
        --decimal , for that convention)"`` (the value quoted, cut to 60 characters), NA where
        :func:`parse_numbers` gives a number, ``"missing value"`` for missing input. Computed
        once per distinct value, vectorized. A cleaner writes it as the detail of
        ``unparseable_amount`` for the rows whose parsed value is NaN.
    """
    _check_decimal(decimal)
    out = map_distinct(values, lambda u: _problems(u, decimal)).astype("str")
    return out.mask(values.isna(), "missing value")


def _problems(u: pd.Series, decimal: str) -> pd.Series:
    arr = _as_arrow_text(u)
    ok, value = _parse_trimmed(arr, decimal)
    other = "," if decimal == "." else "."
    ok_other, _ = _parse_trimmed(arr, other)
    trimmed = pd.Series(arr.to_pandas(), index=u.index, dtype="str")
    word = trimmed.str.casefold().str.lstrip("+-")
    seps = "".join(sorted(set(THOUSANDS_SEPARATORS["."] + THOUSANDS_SEPARATORS[","])))
    shaped = trimmed.str.fullmatch(rf"[+-]?[0-9.,{seps}]*[0-9][0-9.,{seps}]*([eE][+-]?[0-9]+)?")
    conditions = [
        (trimmed == "").to_numpy(dtype=bool),
        ok & np.isfinite(value),
        ok,
        word.isin(_NON_FINITE_WORDS).to_numpy(dtype=bool),
        ok_other,
        shaped.fillna(False).to_numpy(dtype=bool),
    ]
    choices = [
        "empty",
        "",
        "beyond the range of a 64-bit float (about 1.8e308)",
        "not a finite number",
        f"{_DECIMAL_NAME[other]}? separators do not match decimal '{decimal}' "
        f"(pass --decimal {other} for that convention)",
        f"separators do not form a number with decimal '{decimal}' (thousands separators go "
        "between groups of exactly 3 digits; one decimal mark)",
    ]
    reason = np.select(conditions, choices, default="not a number")
    quoted = "'" + u.astype("str").str.slice(0, 60) + "': " + pd.Series(reason, index=u.index)
    return quoted.where(~(ok & np.isfinite(value)))


def frame_distinct(values: pd.Series, fn: Callable[[pd.Series], pd.DataFrame]) -> pd.DataFrame:
    """Like :func:`map_distinct` for a ``fn`` that returns several columns (a DataFrame)."""
    codes, uniques = distinct_codes(values)
    res = fn(uniques.copy())
    res = res.reset_index(drop=True)
    missing = codes < 0
    if len(res) == 0:
        res = res.reindex([0])  # one all-missing row to take from
        codes = np.zeros_like(codes)
        missing = np.ones(len(codes), dtype=bool)
    out = res.take(np.where(missing, 0, codes)).set_axis(values.index)
    if missing.any():
        out = out.mask(pd.Series(missing, index=values.index), axis=0)
    return out


def finite_or_none(x: object) -> float | None:
    """Return ``x`` as a finite float, or None when it is missing, NaN, a bool or not a number.

    For reading results documents, where a value may be absent, null or text.
    """
    if x is None or isinstance(x, bool):
        return None
    try:
        v = float(x)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return None
    return v if math.isfinite(v) else None
