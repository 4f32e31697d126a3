"""The field dictionary (``data/fields.csv``) and validation of outputs against it.

One data file names every column of the clean tables and results rows: dtype, unit, whether
it may be null, simple checks and its meaning. :func:`schema` turns a table's entries into a
pandera ``DataFrameSchema``; :func:`validate` checks a table before it is written and raises
:class:`FieldError` naming the column, the check and the failing rows. pandera is the field's
usual tool for DataFrame schemas: it reports every failure at once (``lazy=True``) with the
offending values, which is what a data engineer needs from a boundary check.
"""

from __future__ import annotations

from functools import cache
from typing import TYPE_CHECKING

import pandas as pd
from pandas.api import types as ptypes

if TYPE_CHECKING:
    import pandera.pandas as pa

from marketlib.frames import distinct_codes
from marketlib.paths import PACKAGE_DATA

_KIND = {
    "str": lambda s: ptypes.is_string_dtype(s) or ptypes.is_object_dtype(s),
    "int": ptypes.is_integer_dtype,
    "intna": ptypes.is_integer_dtype,
    "float": ptypes.is_numeric_dtype,
    "bool": ptypes.is_bool_dtype,
    "date": ptypes.is_datetime64_any_dtype,
    "list": lambda s: True,
}


class FieldError(ValueError):
    """A table does not match the field dictionary; the message names columns and rows."""


@cache
def dictionary() -> pd.DataFrame:
    """Return the field dictionary (one row per table and column)."""
    return pd.read_csv(PACKAGE_DATA / "fields.csv", comment="#", dtype=str, keep_default_na=False)


def fields(table: str) -> pd.DataFrame:
    """Return the entries of one table (e.g. ``rates``, ``results.regional``)."""
    d = dictionary()
    out = d[d["table"] == table]
    if out.empty:
        raise KeyError(f"no table {table!r} in the field dictionary")
    return out.reset_index(drop=True)


def _checks(spec: str, dtype: str) -> list[pa.Check]:
    import pandera.pandas as pa

    checks = [
        pa.Check(lambda s, k=dtype: _KIND[k](s), element_wise=False, name=f"dtype is {dtype}")
    ]
    for part in filter(None, spec.split(";")):
        key, _, value = part.partition("=")
        if key == "min":
            checks.append(pa.Check.ge(float(value)))
        elif key == "max":
            checks.append(pa.Check.le(float(value)))
        elif key == "isin":
            checks.append(pa.Check.isin(value.split("|")))
        elif key == "regex":
            checks.append(pa.Check.str_matches(value))
        else:
            raise ValueError(f"unknown check {part!r} in fields.csv")
    return checks


@cache
def schema(table: str) -> pa.DataFrameSchema:
    """Return the pandera schema of a clean table (extra pass-through columns allowed)."""
    import pandera.pandas as pa

    cols = {}
    for r in fields(table).itertuples(index=False):
        cols[r.name] = pa.Column(
            None, checks=_checks(r.checks, r.dtype), nullable=r.nullable == "yes", required=False
        )
    return pa.DataFrameSchema(cols, strict=False, name=table)


def required_columns(table: str) -> list[str]:
    """Return the columns every output of ``table`` has (those not optional by format)."""
    optional = {
        "rates": {
            "source_annual_usd",
            "company_iso3",
            "is_cross_border",
            "remote_ratio",
            "company_size",
            "source",
            "skills",
        }
    }
    return [c for c in fields(table)["name"] if c not in optional.get(table, set())]


def _passes(frame: pd.DataFrame, table: str) -> bool:
    """Whether ``frame`` passes every check of :func:`schema` (vectorized, no pandera).

    The same checks as the pandera schema, element for element (dtype kind, nulls where not
    nullable, then ``min``/``max``/``isin``/``regex`` on the non-null values, the calls
    pandera's built-in checks make). False on any failure or doubt: the caller then runs
    pandera, which reports every failing column, check and row.
    """
    try:
        for r in fields(table).itertuples(index=False):
            if r.name not in frame.columns:
                continue
            s = frame[r.name]
            if not isinstance(s, pd.Series) or not _KIND[r.dtype](s):
                return False
            null = s.isna().to_numpy(dtype=bool)
            if null.any() and r.nullable != "yes":
                return False
            checks = [part.partition("=") for part in filter(None, r.checks.split(";"))]
            if any(key in ("isin", "regex") for key, _, _ in checks):
                distinct = distinct_codes(s)[1]  # text checks: once per distinct value
            elif null.any():
                s = s[~null]
            for key, _, value in checks:
                if key == "min":
                    ok = s >= float(value)
                elif key == "max":
                    ok = s <= float(value)
                elif key == "isin":
                    ok = distinct.isin(value.split("|"))
                elif key == "regex":
                    ok = distinct.str.match(value, na=False)
                else:
                    return False
                if not bool(ok.all()):
                    return False
    except Exception:  # a check pandera would report as failed (e.g. text compared with 0)
        return False
    return True


def validate(frame: pd.DataFrame, table: str) -> pd.DataFrame:
    """Validate a clean table against the field dictionary; return it unchanged.

    A table that passes is checked with vectorized column operations only (:func:`_passes`,
    the schema's checks); otherwise pandera validates it and reports the failures.

    Raises
    ------
    FieldError
        A required column is missing, or values break a column's dtype, nullability or checks
        (the message lists each column, check and up to five failing rows).
    """
    missing = [c for c in required_columns(table) if c not in frame.columns]
    if missing:
        raise FieldError(f"{table}: column(s) missing: {', '.join(missing)}")
    if frame.empty:  # no values to check (every row rejected): the columns are what counts
        return frame
    if _passes(frame, table):
        return frame
    import pandera.pandas as pa

    try:
        schema(table).validate(frame, lazy=True)
    except pa.errors.SchemaErrors as exc:
        cases = exc.failure_cases
        lines = []
        for (col, check), part in cases.groupby(["column", "check"], sort=False, dropna=False):
            rows = part["index"].dropna().astype(int).head(5).tolist()
            values = part["failure_case"].head(5).tolist()
            lines.append(f"{col}: {check} fails at row(s) {rows} (values {values})")
        raise FieldError(f"{table}: " + "; ".join(lines)) from None
    return frame


def undocumented(
    frame: pd.DataFrame, table: str, passthrough: list[str] | None = None
) -> list[str]:
    """Return the columns of ``frame`` the dictionary does not describe (minus pass-through)."""
    known = set(fields(table)["name"]) | set(passthrough or [])
    return [c for c in frame.columns if c not in known]
