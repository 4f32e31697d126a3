"""Numbers and words for people: percents, intervals, counts, paths; results readers.

Fractions in data files, percents for people; never ``NaN``, ``None`` or scientific
notation on a page; a missing value is an em dash or words.
"""

from __future__ import annotations

import math
import os
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import cache
from typing import Any

import pandas as pd

from marketlib.frames import finite_or_none as _num
from marketlib.paths import PACKAGE_DATA
from marketlib.sanitize import plain_text

DASH = "—"


LEVEL_TEXT = "95% CI"


#: Publication flags of the arbitrage table (RSE rule, docs/methods.md#s7-1): words for readers.
RELIABILITY = {
    "A": "reliable",
    "E": "use with caution",
    "F": "unreliable",
    "N": "no interval: not assessable",
}


#: Claims verdicts in the order a reader scans them (problems first), with their words.
VERDICTS = {
    "contradicted_by_data": "contradicted by data",
    "not_supported_by_proxy": "not supported by the activity proxy",
    "inconsistent": "inconsistent",
    "not_comparable": "not comparable (another quantity)",
    "supported_by_data": "supported by data",
    "consistent_uninformative": "consistent, but the interval cannot tell",
    "consistent": "consistent",
    "consistent_with_proxy": "consistent with the activity proxy",
    "untestable": "untestable",
}


_ADJECTIVE = {
    "North America": "North American",
    "Latin America": "Latin American",
    "Western Europe": "Western European",
    "Eastern Europe": "Eastern European",
    "Europe": "European",
    "Oceania": "Oceanian",
}


#: A code as data files and parameters keep it (``cumulative_first``, ``group_by``).
CODE = re.compile(r"[a-z][a-z0-9]*(?:_[a-z0-9]+)+")


@cache
def _reader_words() -> dict[str, str]:
    import csv

    with open(PACKAGE_DATA / "reader_words.csv", encoding="utf-8") as fh:
        rows = [r for r in fh if not r.startswith("#")]
    return {r["code"]: r["words"] for r in csv.DictReader(rows)}


def reader_words(code: Any) -> str:
    """Return a code or parameter name in words for a page (``wls_log`` -> "log-linear ...").

    Text that is not one code is returned as it is; an unlisted code reads with spaces.
    """
    s = str(code)
    if not CODE.fullmatch(s):
        return s
    if s in MEASURES:
        return measure_label(s, None)
    return VERDICTS.get(s) or _reader_words().get(s) or s.replace("_", " ")


#: Human names of the activity measures of the ``regional`` section.
MEASURES = {
    "topic_pushers": "developers pushing to {subject}-tagged repositories",
    "developers": "developers",
    "git_pushes": "git pushes",
    "repositories": "repositories",
    "organizations": "organizations",
}


def _pct_digits(v: float) -> int:
    return 1 if 0 < abs(v) < 0.095 else 0


def pct(x: Any, signed: bool = False, digits: int | None = None) -> str:
    """Format a fraction as a percent for prose: ``0.4 -> "40%"``, ``-0.012 -> "-1.2%"``.

    Parameters
    ----------
    x : float or None
        A fraction (0.4 means 40%).
    signed : bool
        Prefix a ``+`` on positive values (growth).
    digits : int, optional
        Decimals; by default 0, or 1 for small values (|x| < 9.5%) so they do not read as 0%.

    Returns
    -------
    str
        The percent, or an em dash when ``x`` is missing.
    """
    v = _num(x)
    if v is None:
        return DASH
    p = v * 100
    d = _pct_digits(v) if digits is None else digits
    if round(p, d) == 0:
        p = 0.0
    return f"{p:{'+' if signed and p != 0 else ''},.{d}f}%"


def pct_range(lo: Any, hi: Any, signed: bool = False) -> str:
    """Format an interval of fractions as percents: ``"37-43%"`` or ``"-99% to +430%"``.

    Parameters
    ----------
    lo, hi : float or None
        Bounds as fractions.
    signed : bool
        Show signs (growth intervals); a range with a negative bound always uses "to".

    Returns
    -------
    str
        The interval, or an em dash when a bound is missing.
    """
    a, b = _num(lo), _num(hi)
    if a is None or b is None:
        return DASH
    d = max(_pct_digits(a), _pct_digits(b))
    if signed or a < 0 or b < 0:
        return f"{pct(a, signed=True, digits=d)} to {pct(b, signed=True, digits=d)}"
    return f"{pct(a, digits=d)[:-1]}-{pct(b, digits=d)}"


def ratio_ci(est: Any, lo: Any, hi: Any, digits: int = 2) -> str:
    """Format a ratio with its interval for tables: ``"0.40 (0.37-0.43)"``.

    Parameters
    ----------
    est, lo, hi : float or None
        The estimate and its bounds.
    digits : int
        Decimals.

    Returns
    -------
    str
        ``"est (lo-hi)"``, ``"est"`` when the bounds are missing, an em dash when ``est`` is.
    """
    e, a, b = _num(est), _num(lo), _num(hi)
    if e is None:
        return DASH
    if a is None or b is None:
        return f"{e:.{digits}f}"
    return f"{e:.{digits}f} ({a:.{digits}f}-{b:.{digits}f})"


def pct_ci(est: Any, lo: Any, hi: Any, signed: bool = True) -> str:
    """Format a fraction with its interval as percents for tables: ``"+52% (+10% to +90%)"``.

    Parameters
    ----------
    est, lo, hi : float or None
        The estimate and its bounds, as fractions.
    signed : bool
        Show signs (growth).

    Returns
    -------
    str
        The text, or an em dash when the estimate is missing.
    """
    if _num(est) is None:
        return DASH
    if _num(lo) is None or _num(hi) is None:
        return pct(est, signed=signed)
    return f"{pct(est, signed=signed)} ({pct_range(lo, hi, signed=signed)})"


def money(x: Any, digits: int = 0) -> str:
    """Format a USD amount: ``"$71"``, ``"$858,196"``; an em dash when missing."""
    v = _num(x)
    return DASH if v is None else f"${v:,.{digits}f}"


def count(x: Any) -> str:
    """Format a count with thousands separators; an em dash when missing."""
    v = _num(x)
    return DASH if v is None else f"{v:,.0f}"


def count_of(x: Any, noun: str, plural: str | None = None) -> str:
    """Return a count with its noun, singular for one: ``"1 country"``, ``"12 countries"``."""
    v = _num(x)
    if v is None:
        return DASH
    return f"{count(v)} {noun if v == 1 else plural or noun + 's'}"


def not_estimated(n: Any, floor: Any) -> str:
    """Return the words for a group below the sample-size floor: ``"not estimated (n = 23 < 30)"``.

    Parameters
    ----------
    n : int or None
        The group's sample size.
    floor : int or None
        The minimum size for an estimate.

    Returns
    -------
    str
        The words (without the numbers that are unknown).
    """
    nn, ff = _num(n), _num(floor)
    if nn is None:
        return "not estimated"
    if ff is None:
        return f"not estimated (n = {nn:,.0f})"
    return f"not estimated (n = {nn:,.0f} < {ff:,.0f})"


def display_text(x: Any) -> str:
    """Return any value as display text; missing values become an em dash."""
    if x is None:
        return DASH
    if isinstance(x, float) and not math.isfinite(x):
        return DASH
    if isinstance(x, bool):
        return "yes" if x else "no"
    if isinstance(x, float):
        return f"{x:g}"
    if isinstance(x, Mapping):
        return "; ".join(f"{k}: {display_text(v)}" for k, v in x.items()) or DASH
    if isinstance(x, list | tuple | set):
        return ", ".join(display_text(v) for v in x) or DASH
    s = plain_text(scrub_paths(str(x))).strip()  # no escape bytes on a page
    return s if s and s.lower() not in ("nan", "none", "null", "<na>", "nat") else DASH


_PROJECT_DIRS = (
    "data",
    "reports",
    "notebooks",
    "params",
    "docs",
    "figures",
    "html",
    "clean",
    "results",
)


_ABS_PATH = re.compile(r"(?<![\w.:/~])(?:~|/)(?:[^\s/'\"<>`(),;]+/)+[^\s/'\"<>`(),;]*")


def display_path(path: str | os.PathLike[str]) -> str:
    """Return a path as a reader may see it: project-relative, else the file name.

    Relative paths are kept. An absolute path is cut at its last project folder
    (``data``, ``reports``, ``notebooks``, ``params``, ...) and otherwise reduced to its file
    name, so the folders of the machine that ran the report never appear.

    Parameters
    ----------
    path : str or PathLike
        Any path.

    Returns
    -------
    str
        The path to display.
    """
    s = os.fspath(path)
    if not (s.startswith("/") or s.startswith("~") or re.match(r"^[A-Za-z]:[\\/]", s)):
        return s
    parts = [p for p in re.split(r"[\\/]+", s) if p]
    for i in range(len(parts) - 2, -1, -1):
        if parts[i] in _PROJECT_DIRS and i < len(parts) - 1:
            if parts[i] == "data" or i == 0 or parts[i - 1] not in _PROJECT_DIRS:
                return "/".join(parts[i:])
    return parts[-1] if parts else s


def scrub_paths(text: str) -> str:
    """Replace every absolute path inside ``text`` by :func:`display_path` of it."""
    return _ABS_PATH.sub(lambda m: display_path(m.group(0)), text)


def results_part(results: Mapping[str, Any] | None, name: str) -> Any:
    """Return one part of a results document (None when the document is not a mapping)."""
    if not isinstance(results, Mapping):
        return None
    return results.get(name)


def group_label(group: Any) -> str:
    """Return a group for people: its values joined by " | ", or "All"."""
    if isinstance(group, Mapping):
        vals = [display_text(v) for v in group.values() if v is not None]
        return " | ".join(vals) if vals else "All"
    return display_text(group) if group is not None else "All"


def base_adjective(base: str) -> str:
    """Return "North American pay" for a known base, else "pay in <base>"."""
    return f"{_ADJECTIVE[base]} pay" if base in _ADJECTIVE else f"pay in {base}"


def is_reported(r: Mapping[str, Any]) -> bool:
    """Return whether a group row is at or above the floor (old rows: it has a ratio)."""
    rep = r.get("reported")
    if rep is None:
        return _num(r.get("ratio_to_base")) is not None
    return bool(rep)


def plural_word(n: int, one: str, many: str) -> str:
    """Return a count with its singular or plural noun ("1 country", "12 countries")."""
    return f"{n:,} {one if n == 1 else many}"


def ci_and_n(r: Mapping[str, Any], lo: str, hi: str) -> str:
    """Return a row's interval (or why it has none) and its n, for prose."""
    ci = (
        f"{LEVEL_TEXT} {pct_range(r.get(lo), r.get(hi))}"
        if _num(r.get(lo)) is not None
        else "no interval: too few countries"
    )
    return f"{ci}; n = {count(r.get('n'))}"


def controls_text(controls: Any) -> str:
    """Return the adjusted model's controls in words ("role, experience and year")."""
    if not isinstance(controls, list) or not controls:
        return ""
    words = [str(c).replace("role_family", "role").replace("_", " ") for c in controls]
    return ", ".join(words[:-1]) + (" and " if len(words) > 1 else "") + words[-1]


def measure_label(measure: Any, subject: Any) -> str:
    """Return an activity measure in words, with its topic."""
    tmpl = MEASURES.get(str(measure), str(measure).replace("_", " ") if measure else "activity")
    return tmpl.format(subject=subject or "topic")


def rows_frame(rows: Sequence[Mapping[str, Any]], columns: Sequence[str]) -> pd.DataFrame:
    """Return display rows as a table with these columns, missing cells as a dash."""
    df = pd.DataFrame(rows, columns=list(columns), dtype=object)
    return df.fillna(DASH).reset_index(drop=True)


#: Words of column names that read better spelled out or in capitals.
_WORDS = {
    "usd": "USD",
    "ci": "CI",
    "n": "n",
    "iso3": "ISO3",
    "ppp": "PPP",
    "rse": "RSE",
    "qr": "median-regression",
    "df": "df",
    "pi80": "80% PI",
    "pi95": "95% PI",
    "p05": "5th pct",
    "p50": "median",
    "p95": "95th pct",
    "abs": "absolute",
    "kennedy": "bias-corrected",
    "hc3": "HC3",
    "cagr": "CAGR",
    "mz": "modified z",
}


def human_name(column: str) -> str:
    """Return a column name for readers: ``ratio_ci_low`` -> ``Ratio CI low``."""
    words = [_WORDS.get(w, w) for w in str(column).split("_") if w]
    text = " ".join(words)
    return text[:1].upper() + text[1:] if text else str(column)


def _cell(x: Any) -> str:
    """Return one cell as text: numbers to 3 significant digits, missing as a dash."""
    if isinstance(x, bool | float | int) or x is None:
        if isinstance(x, bool):
            return "yes" if x else "no"
        if x is None or (isinstance(x, float) and not math.isfinite(x)):
            return DASH
        if isinstance(x, int) or float(x).is_integer() and abs(x) >= 1000:
            return f"{int(x):,}"
        # 3 significant digits under 1,000; whole numbers with separators above (never 1.31e+05)
        return f"{x:.3g}" if abs(x) < 1000 else f"{x:,.0f}"
    if hasattr(x, "item") and not isinstance(x, str):  # numpy scalars
        try:
            return _cell(x.item())
        except (ValueError, AttributeError):
            pass
    if isinstance(x, pd.Timestamp):
        return x.date().isoformat() if not pd.isna(x) else DASH
    if isinstance(x, str) and CODE.fullmatch(x):
        return reader_words(x)
    return display_text(x)


@dataclass(frozen=True)
class PayWords:
    """The words a page uses for the pay it shows: they follow ``rate_kind``.

    Salaries are employees' annual pay made hourly (salary-equivalent); bill rates are what
    contractors charge per hour. No page of a bill-rate run says salary, employee or earns,
    and no page of a salary run says bill rate about its own data.
    """

    kind: str
    pay: str  # "salary-equivalent pay" | "bill rates"
    hourly: str  # axis label
    people: str  # "Employees" | "Contractors"
    person: str  # "employee" | "contractor"
    earns: str  # "earns" | "charges"
    who: str  # who a finding compares: "specialist" | "contractor"
    note: str  # what the hourly figures are, one sentence

    def people_n(self) -> str:
        """Return the table header of the rows' count ("Employees (n)")."""
        return f"{self.people} (n)"


PAY_WORDS = {
    "salary": PayWords(
        "salary",
        "salary-equivalent pay",
        "salary-equivalent USD per hour",
        "Employees",
        "employee",
        "earns",
        "specialist",
        "Hourly figures are annual pay divided by {hours:,.0f} hours (salary-equivalent); "
        "what contractors charge per hour includes overhead and margin: another quantity, "
        "never pooled with these.",
    ),
    "bill_rate": PayWords(
        "bill_rate",
        "bill rates",
        "bill rate, USD per hour",
        "Contractors",
        "contractor",
        "charges",
        "contractor",
        "Hourly figures are contractors' bill rates as charged (per hour; other units at "
        "{hours:,.0f} hours a year). They include overhead and margin and are never pooled "
        "with pay of another kind.",
    ),
}


def pay_words(rate_kind: Any) -> PayWords:
    """Return the page words for ``rate_kind`` (salary when unknown, as the default runs)."""
    return PAY_WORDS.get(str(rate_kind or "salary"), PAY_WORDS["salary"])
