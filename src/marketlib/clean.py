"""Cleaning: raw text tables in, clean tables plus rejected rows out, no row lost.

Every input row ends either in the clean table or in the rejected table with a stable reason
code and a readable detail. Flagged rows (duplicates, range pairs, outliers, FX mismatches) stay
in the clean table; estimators choose what to exclude. Functions take DataFrames and a frozen
parameters object and return new DataFrames; they never mutate their arguments.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from datetime import date
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from marketlib import money
from marketlib.frames import frame_distinct, map_distinct, parse_numbers
from marketlib.paths import PACKAGE_DATA
from marketlib.regions import assign_regions, load_scheme, resolve_countries
from marketlib.sources import MALFORMED

REASON_CODES = (
    "missing_required", "unparseable_amount", "non_positive_amount", "implausible_amount",
    "unknown_currency", "fx_rate_unavailable", "unknown_country", "unknown_unit",
    "unparseable_date", "date_out_of_range", "unknown_certification", "duplicate_record",
    "bad_count", "malformed_row",
)
RATE_FORMATS = ("aijobs", "generic")
CERT_FORMATS = ("records", "counts")
FREQS = ("Y", "Q", "M")
_FREQ_RANK = {"Y": 0, "Q": 1, "M": 2}
#: Largest count accepted (a billion certifications in one period is not a count but an error).
MAX_COUNT = 1e9
#: Region label of global (not regional) counts, e.g. CNCF's published totals.
WORLD = "World"

AIJOBS_REQUIRED = (
    "work_year", "experience_level", "employment_type", "job_title", "salary",
    "salary_currency", "salary_in_usd", "employee_residence", "remote_ratio",
    "company_location", "company_size",
)
GENERIC_REQUIRED = ("country", "amount", "currency", "unit", "date")
RECORDS_REQUIRED = ("date", "certification", "location")
COUNTS_REQUIRED = ("period", "certification", "count")

EXPERIENCE = {
    "en": "junior", "entry": "junior", "entry level": "junior", "junior": "junior", "jr": "junior",
    "mi": "mid", "mid": "mid", "mid level": "mid", "intermediate": "mid", "middle": "mid",
    "se": "senior", "senior": "senior", "sr": "senior",
    "lead": "lead", "staff": "lead", "principal": "lead",
    "ex": "executive", "executive": "executive", "director": "executive",
}
EMPLOYMENT = {
    "ft": "full_time", "full time": "full_time", "full-time": "full_time",
    "fulltime": "full_time", "pt": "part_time", "part time": "part_time",
    "part-time": "part_time", "employee": "employee", "permanent": "employee",
    "ct": "contractor", "contract": "contractor", "contractor": "contractor",
    "fl": "freelance", "freelance": "freelance", "freelancer": "freelance",
}
RATE_KIND = {"full_time": "salary", "part_time": "salary", "employee": "salary",
             "contractor": "bill_rate", "freelance": "bill_rate"}


@dataclass(frozen=True)
class CleanParams:
    """Tunables of a cleaning run (all recorded in the clean report)."""

    scheme: str = "article"
    hours_per_year: float = money.HOURS_PER_YEAR
    min_date: str = "1990-01-01"
    max_date: str | None = None  # default: today (only bounds validity, never an output)
    annual_usd_bounds: tuple[float, float] = (1_000.0, 2_000_000.0)
    fx_tolerance: float = 0.05
    range_pair_ratio: tuple[float, float] = (1.05, 2.0)
    outlier_z: float = 3.5
    outlier_min_cell: int = 20
    freq: str | None = None
    known_certifications_only: bool = False
    extra: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        """Return the parameters as plain JSON-ready values."""
        d = asdict(self)
        d["annual_usd_bounds"] = list(self.annual_usd_bounds)
        d["range_pair_ratio"] = list(self.range_pair_ratio)
        d["max_date"] = self.resolved_max_date().isoformat()
        return d

    def resolved_max_date(self) -> date:
        """Return the latest valid observation date."""
        return date.fromisoformat(self.max_date) if self.max_date else date.today()


@dataclass
class CleanResult:
    """A clean table, its rejected rows and the run's report."""

    name: str
    clean: pd.DataFrame
    rejected: pd.DataFrame
    report: dict[str, Any]

    def check_invariant(self) -> None:
        """Raise if any input row is unaccounted for."""
        r = self.report
        if r["rows_in"] != r["rows_clean"] + r["rows_rejected"]:
            raise AssertionError(f"{self.name}: rows_in != rows_clean + rows_rejected ({r})")


class _Rejections:
    """First-reason-wins accumulator of reason codes and details for a frame's rows."""

    def __init__(self, index: pd.Index, malformed: pd.Series | None = None) -> None:
        self.reason = pd.Series(pd.NA, index=index, dtype="object")
        self.detail = pd.Series(pd.NA, index=index, dtype="object")
        if malformed is not None:
            self.add(malformed.notna(), "malformed_row", malformed)

    @property
    def ok(self) -> pd.Series:
        return self.reason.isna()

    def add(self, mask: pd.Series, code: str,
            detail: pd.Series | str | Callable[[pd.Index], pd.Series]) -> None:
        """Give ``code`` to rows in ``mask`` not yet rejected; details built only for them."""
        if code not in REASON_CODES:
            raise ValueError(f"unknown reason code {code!r}")
        new = mask.fillna(False).astype(bool) & self.ok
        if not new.any():
            return
        idx = new.index[new]
        self.reason[idx] = code
        if callable(detail):
            self.detail[idx] = detail(idx).to_numpy()
        elif isinstance(detail, pd.Series):
            self.detail[idx] = detail[idx].to_numpy()
        else:
            self.detail[idx] = detail


def _blank(s: pd.Series) -> pd.Series:
    return map_distinct(s, lambda u: u.astype("str").str.strip() == "").fillna(True).astype(bool)


def _quoted(s: pd.Series) -> pd.Series:
    return "'" + s.astype("str").str.slice(0, 60) + "'"


def _detail(prefix: str, values: pd.Series, suffix: str) -> Callable[[pd.Index], pd.Series]:
    """Build a lazy detail ``prefix 'value' suffix``, computed only for the failing rows."""
    return lambda idx: prefix + _quoted(values[idx]) + suffix


def parse_amounts(values: pd.Series) -> pd.Series:
    """Parse numbers that may carry thousands separators ("1,234.5", "120 000", "1_000")."""
    return parse_numbers(values)


# --- dates and periods -----------------------------------------------------------------------

_DATE_FORMATS = (  # (format, precision)
    ("%Y-%m-%d", "D"), ("%d/%m/%Y", "D"), ("%Y/%m/%d", "D"), ("%d.%m.%Y", "D"),
    ("%d %B %Y", "D"), ("%d %b %Y", "D"), ("%B %d, %Y", "D"), ("%b %d, %Y", "D"),
    ("%Y-%m", "M"), ("%B %Y", "M"), ("%b %Y", "M"), ("%m/%Y", "M"), ("%Y", "Y"),
)


def parse_dates(values: pd.Series) -> pd.DataFrame:
    """Parse dates in the accepted formats, once per distinct string.

    Returns ``date`` (start of the stated period), ``precision`` (D, M or Y) and ``end`` (last
    day of the stated period). ISO and ``DD/MM/YYYY`` (day first) give days; ``YYYY-MM`` and
    ``Month YYYY`` months; ``YYYY`` years. Unparseable strings give ``NaT``.
    """
    out = frame_distinct(values, _parse_distinct_dates)
    return out


def _parse_distinct_dates(distinct: pd.Series) -> pd.DataFrame:
    text = distinct.astype("str").str.strip()
    parsed = pd.Series(pd.NaT, index=text.index, dtype="datetime64[ns]")
    precision = pd.Series(pd.NA, index=text.index, dtype="object")
    for fmt, prec in _DATE_FORMATS:
        todo = parsed.isna()
        if not todo.any():
            break
        got = pd.to_datetime(text[todo], format=fmt, errors="coerce")
        hit = got.notna()
        parsed[got.index[hit]] = got[hit]
        precision[got.index[hit]] = prec
    end = parsed.copy()
    m = precision == "M"
    end[m] = parsed[m] + pd.offsets.MonthEnd(0)
    y = precision == "Y"
    end[y] = parsed[y] + pd.offsets.YearEnd(0)
    return pd.DataFrame({"date": parsed, "precision": precision, "end": end})


def period_labels(start: pd.Series, freq: str) -> pd.DataFrame:
    """Return ``period`` labels ("2023", "2023-Q1", "2023-01") and ``period_start`` for dates."""
    p = start.dt.to_period({"Y": "Y", "Q": "Q", "M": "M"}[freq])
    label = p.astype("str")
    if freq == "Q":
        label = label.str.replace(r"(\d{4})Q(\d)", r"\1-Q\2", regex=True)
    return pd.DataFrame({"period": label, "period_start": p.dt.start_time.dt.normalize()},
                        index=start.index)


_PERIOD_PATTERNS = (
    (re.compile(r"^(\d{4})$"), "Y"),
    (re.compile(r"^(\d{4})\s*[-/ ]?\s*[Qq]([1-4])$"), "Q"),
    (re.compile(r"^(\d{4})[-/](\d{1,2})$"), "M"),
)


def parse_periods(values: pd.Series) -> pd.DataFrame:
    """Parse period labels ``YYYY``, ``YYYY-Qn`` or ``YYYY-MM`` into start date and freq."""
    text = values.astype("str").str.strip()
    start = pd.Series(pd.NaT, index=values.index, dtype="datetime64[ns]")
    freq = pd.Series(pd.NA, index=values.index, dtype="object")
    for pattern, f in _PERIOD_PATTERNS:
        parts = text.str.extract(pattern)
        hit = parts[0].notna() & freq.isna()
        if not hit.any():
            continue
        year = parts.loc[hit, 0].astype(int)
        if f == "Y":
            month = pd.Series(1, index=year.index)
        elif f == "Q":
            month = (parts.loc[hit, 1].astype(int) - 1) * 3 + 1
        else:
            month = parts.loc[hit, 1].astype(int)
        valid = month.between(1, 12)
        idx = month.index[valid]
        start[idx] = pd.to_datetime(
            pd.DataFrame({"year": year[idx], "month": month[idx], "day": 1}))
        freq[idx] = f
    return pd.DataFrame({"period_start": start, "freq": freq})


# --- reference tables ------------------------------------------------------------------------

@lru_cache(maxsize=1)
def _role_patterns() -> list[tuple[re.Pattern[str], str]]:
    t = pd.read_csv(PACKAGE_DATA / "role_families.csv", dtype={"pattern": str})
    t = t.sort_values("priority")
    return [(re.compile(p, re.IGNORECASE), f)
            for p, f in zip(t["pattern"], t["role_family"], strict=True)]


def assign_role_families(titles: pd.Series) -> pd.Series:
    """Map free-text job titles to role families (first matching pattern wins), once per title."""
    def family(title: str) -> str:
        for pattern, fam in _role_patterns():
            if pattern.search(title):
                return fam
        return "Other"

    return map_distinct(titles, lambda u: pd.Series([family(t) for t in u], dtype="str"))


def _cert_key(text: str) -> str:
    t = re.sub(r"\([^)]*\)", " ", text.casefold())
    t = re.sub(r"[^a-z0-9]+", " ", t)
    return re.sub(r"\s+", " ", t).strip()


@lru_cache(maxsize=1)
def certification_codes() -> dict[str, str]:
    """Return the lookup from normalized code or full name to certification code."""
    t = pd.read_csv(PACKAGE_DATA / "certifications.csv", dtype=str)
    look = {_cert_key(c): c for c in t["code"]}
    look.update({_cert_key(n): c for n, c in zip(t["name"], t["code"], strict=True)})
    look.update({_cert_key(f"{n} {c}"): c for n, c in zip(t["name"], t["code"], strict=True)})
    return look


def normalize_certification_names(values: pd.Series) -> pd.DataFrame:
    """Return ``certification`` (CNCF code, or the name verbatim) and ``is_known``.

    "cka", "Certified Kubernetes Administrator" and "Certified Kubernetes Administrator (CKA)"
    all become ``CKA``; names of other vendors' certifications are kept verbatim (trimmed).
    """
    text = values.astype("str").str.strip()
    look = certification_codes()
    distinct = pd.unique(text.dropna())
    mapping = {}
    for v in distinct:
        key = _cert_key(v)
        if key in look:
            mapping[v] = look[key]
        else:
            m = re.search(r"\(([A-Za-z]{2,5})\)", v)  # "... (CKA)"
            mapping[v] = look.get(_cert_key(m.group(1)), None) if m else None
    code = text.map(mapping)
    return pd.DataFrame({"certification": code.fillna(text).astype("str"),
                         "is_known": code.notna()}, index=values.index)


# --- flags -----------------------------------------------------------------------------------

def flag_range_pairs(
    frame: pd.DataFrame, key_cols: list[str], amount_col: str,
    min_ratio: float = 1.05, max_ratio: float = 2.0,
) -> tuple[pd.Series, pd.Series]:
    """Flag adjacent rows that agree on ``key_cols`` and differ only in amount (a posted range).

    METHODS §3.4 / Appendix A.1: two rows pair when adjacent in file order, identical on every
    non-amount column and ``min_ratio <= max/min <= max_ratio``; no row is in two pairs.
    Returns ``(is_range_pair, range_pair_id)``.
    """
    if frame.empty:
        return (pd.Series(False, index=frame.index, dtype=bool),
                pd.Series(pd.NA, index=frame.index, dtype="Int64"))
    keys = frame[key_cols]
    same = keys.eq(keys.shift(1)).all(axis=1)
    amt = frame[amount_col].astype("float64")
    prev = amt.shift(1)
    hi = np.maximum(amt, prev)
    lo = np.minimum(amt, prev)
    second = same & (hi / lo).between(min_ratio, max_ratio)
    # in a chain a,b,c,d of candidate closers, pair greedily: keep every other one
    arr = second.to_numpy()
    run_start = arr & ~np.concatenate([[False], arr[:-1]])
    run_id = np.cumsum(run_start)
    pos = np.arange(len(arr)) - np.maximum.accumulate(np.where(run_start, np.arange(len(arr)), 0))
    second = pd.Series(arr & (pos % 2 == 0) & (run_id > 0), index=frame.index)
    first = second.shift(-1, fill_value=False)
    is_pair = first | second
    pair_id = second.cumsum().where(second)
    pair_id = pair_id.fillna(pair_id.shift(-1).where(first))
    return is_pair, pair_id.astype("Int64")


def flag_outliers(
    log_value: pd.Series, cell_fine: list[pd.Series], cell_coarse: list[pd.Series],
    z: float = 3.5, min_cell: int = 20,
) -> pd.Series:
    """Flag ``|modified z| > z`` (Iglewicz-Hoaglin) within cells (METHODS §3.7).

    The fine cell (e.g. year x region x seniority) is used where it has at least ``min_cell``
    rows, else the coarse cell (year x seniority). A zero MAD falls back to the mean absolute
    deviation (``M = (x - med) / (1.253314 * meanAD)``).
    """
    def mz(cells: list[pd.Series]) -> tuple[pd.Series, pd.Series]:
        codes = pd.DataFrame({i: c for i, c in enumerate(cells)}).groupby(
            list(range(len(cells))), dropna=False, sort=False).ngroup()
        g = log_value.groupby(codes)
        med = g.transform("median")
        dev = (log_value - med).abs()
        dg = dev.groupby(codes)
        mad = dg.transform("median")
        mean_ad = dg.transform("mean")
        with np.errstate(divide="ignore", invalid="ignore"):
            m = np.where(mad > 0, 0.6745 * (log_value - med) / mad,
                         (log_value - med) / (1.253314 * mean_ad))
        n = g.transform("size")
        return pd.Series(np.nan_to_num(m, nan=0.0), index=log_value.index), n

    if log_value.empty:
        return pd.Series(False, index=log_value.index, dtype=bool)
    m_fine, n_fine = mz(cell_fine)
    m_coarse, _ = mz(cell_coarse)
    m = m_fine.where(n_fine >= min_cell, m_coarse)
    return (m.abs() > z) & log_value.notna()


# --- rates -----------------------------------------------------------------------------------

def _canonical_rates(raw: pd.DataFrame, fmt: str) -> tuple[pd.DataFrame, list[str], list[str]]:
    """Map a raw rates frame to canonical text columns; return (frame, required, raw_cols)."""
    if fmt == "aijobs":
        c = pd.DataFrame(index=raw.index)
        c["date_text"] = raw["work_year"]
        c["amount_text"] = raw["salary"]
        c["currency"] = raw["salary_currency"]
        c["unit_text"] = "year"
        c["country_text"] = raw["employee_residence"]
        c["role"] = raw["job_title"]
        c["experience_text"] = raw["experience_level"]
        c["employment_text"] = raw["employment_type"]
        c["source_usd_text"] = raw["salary_in_usd"]
        c["company_location_text"] = raw["company_location"]
        c["remote_ratio"] = raw["remote_ratio"]
        c["company_size"] = raw["company_size"]
        required = ["date_text", "amount_text", "currency", "country_text", "employment_text"]
        consumed = list(AIJOBS_REQUIRED)
    elif fmt == "generic":
        c = pd.DataFrame(index=raw.index)
        c["date_text"] = raw["date"]
        c["amount_text"] = raw["amount"]
        c["currency"] = raw["currency"]
        c["unit_text"] = raw["unit"]
        c["country_text"] = raw["country"]
        for src, dst in (("role", "role"), ("experience", "experience_text"),
                         ("employment_type", "employment_text"), ("source", "source")):
            c[dst] = raw[src] if src in raw.columns else ""
        required = ["date_text", "amount_text", "currency", "unit_text", "country_text"]
        consumed = [*GENERIC_REQUIRED, "role", "experience", "employment_type", "source"]
    else:
        raise ValueError(f"unknown rates format {fmt!r}; expected one of {RATE_FORMATS}")
    return c, required, [col for col in raw.columns if col not in consumed]


def clean_rates(
    raw: pd.DataFrame, fmt: str, params: CleanParams | None = None,
    source_file: str | pd.Series = "",
) -> CleanResult:
    """Clean a rates table (``aijobs`` or ``generic`` format) into ``rates`` rows.

    Parameters
    ----------
    raw
        The file as read by :func:`marketlib.sources.read_csv_text` (all text, lower-case
        headers). Several files may be concatenated; pass ``source_file`` per row then.
    fmt
        ``"aijobs"`` or ``"generic"``.
    params
        Cleaning parameters.
    source_file
        File name(s) recorded in ``source_file``.

    Notes
    -----
    Every lookup (date string, currency, unit, country, title) runs once per distinct value.
    Rows are validated in SPEC order; the first failing rule gives the reason code.
    """
    p = params or CleanParams()
    raw, malformed = _split_malformed(raw)
    c, required, extra_cols = _canonical_rates(raw, fmt)
    rej = _Rejections(raw.index, malformed)

    blank = {col: _blank(c[col]) for col in required}
    names = {"date_text": "date", "amount_text": "amount", "currency": "currency",
             "unit_text": "unit", "country_text": "country", "employment_text": "employment_type"}
    if fmt == "aijobs":
        names.update(date_text="work_year", amount_text="salary", currency="salary_currency",
                     country_text="employee_residence")
    for col in required:
        rej.add(blank[col], "missing_required", f"required value missing: {names[col]}")

    dates = parse_dates(c["date_text"])
    if fmt == "aijobs":  # work_year only
        not_year = dates["precision"].ne("Y").fillna(True)
        dates.loc[not_year, "date"] = pd.NaT
    rej.add(dates["date"].isna(), "unparseable_date",
            _detail("date ", c["date_text"], " is not YYYY-MM-DD, YYYY-MM or YYYY"))
    lo_date, hi_date = pd.Timestamp(p.min_date), pd.Timestamp(p.resolved_max_date())
    rej.add((dates["date"] < lo_date) | (dates["date"] > hi_date), "date_out_of_range",
            _detail("date ", c["date_text"], f" outside {lo_date.date()}..{hi_date.date()}"))

    amount = parse_amounts(c["amount_text"])
    rej.add(amount.isna(), "unparseable_amount",
            _detail("amount ", c["amount_text"], " is not a number"))
    rej.add(amount <= 0, "non_positive_amount",
            _detail("amount ", c["amount_text"], " is not positive"))

    unit = money.normalize_units(c["unit_text"])
    rej.add(unit.isna(), "unknown_unit",
            _detail("unit ", c["unit_text"], " is not hour/day/week/month/year"))

    codes = money.iso4217_codes()
    currency = map_distinct(c["currency"], lambda u: u.str.strip().str.upper())
    rej.add(~map_distinct(currency, lambda u: u.isin(codes)).fillna(False).astype(bool),
            "unknown_currency", _detail("currency ", c["currency"], " is not an ISO 4217 code"))

    iso3 = resolve_countries(c["country_text"])
    rej.add(iso3.isna(), "unknown_country",
            _detail("country ", c["country_text"], " not recognized"))

    fx = money.usd_per_unit(currency, dates["date"], dates["end"])
    hours = money.unit_hours(unit, p.hours_per_year)
    own_hourly = amount * fx / hours
    if fmt == "aijobs":
        source_usd = parse_amounts(c["source_usd_text"])
        hourly = own_hourly.fillna((source_usd / hours).where(source_usd > 0))
    else:
        source_usd = None
        hourly = own_hourly
    rej.add(hourly.isna(), "fx_rate_unavailable",
            lambda idx: "no ECB rate for " + currency[idx].astype("str") + " over "
            + c["date_text"][idx].astype("str") + " and no USD figure in the source")
    annual = hourly * p.hours_per_year
    lo_b, hi_b = p.annual_usd_bounds
    rej.add(~annual.between(lo_b, hi_b), "implausible_amount",
            lambda idx: "annual USD equivalent " + annual[idx].round(0).astype("int64")
            .astype("str") + f" outside [{lo_b:,.0f}, {hi_b:,.0f}]")

    ok = rej.ok.to_numpy()
    rows = _source_rows(raw, source_file)
    cols: dict[str, Any] = {
        "source_file": source_file,
        "source_row": rows,
        "country_iso3": iso3,
        "year": dates["date"].dt.year,
        "date": dates["date"],
        "amount": amount,
        "currency": currency,
        "unit": unit,
        "usd_per_unit": fx,
        "fx_source": np.where(fx.notna(), "ecb", "source_usd"),
        "hours_per_year": float(p.hours_per_year),
        "hourly_usd": hourly,
        "annual_usd": annual,
    }
    role = map_distinct(c["role"], lambda u: u.str.strip().replace("", np.nan))
    cols["role"] = role
    cols["role_family"] = assign_role_families(role)
    cols["experience"] = map_distinct(
        c["experience_text"], lambda u: u.str.strip().str.casefold().map(EXPERIENCE))
    employment = map_distinct(
        c["employment_text"], lambda u: u.str.strip().str.casefold().map(EMPLOYMENT))
    cols["employment_type"] = employment
    cols["rate_kind"] = map_distinct(employment, lambda u: u.map(RATE_KIND)).fillna("unknown")
    if fmt == "aijobs":
        company = resolve_countries(c["company_location_text"])
        own_annual = amount * fx / hours * p.hours_per_year
        cols["source_annual_usd"] = source_usd
        cols["company_iso3"] = company
        cols["cross_border"] = company.notna() & company.ne(iso3).fillna(True)
        cols["remote_ratio"] = pd.to_numeric(c["remote_ratio"], errors="coerce")
        cols["company_size"] = c["company_size"]
        cols["fx_mismatch"] = ((own_annual / source_usd - 1).abs() > p.fx_tolerance)
    else:
        cols["source"] = map_distinct(c["source"], lambda u: u.replace("", np.nan))
        cols["fx_mismatch"] = False
    for col in extra_cols:
        cols[col if col not in cols else f"extra_{col}"] = raw[col]
    clean = pd.DataFrame(cols)[ok].reset_index(drop=True)
    clean["year"] = clean["year"].astype("int64")
    clean["fx_mismatch"] = clean["fx_mismatch"].fillna(False).astype(bool)
    clean = pd.concat([clean, assign_regions(clean["country_iso3"], p.scheme)], axis=1)
    clean = clean[[*clean.columns[:3], "region", "subregion",
                   *[k for k in clean.columns[3:] if k not in ("region", "subregion")]]]
    clean = _flag_rates(clean, raw.loc[ok].reset_index(drop=True), fmt, p)

    rejected = _rejected_frame(raw, rej, source_file)
    report = _report("rates", raw, clean, rejected, p, fmt)
    report["flags"] = {
        f: int(clean[f].sum()) for f in ("is_duplicate", "is_range_pair", "is_outlier",
                                         "fx_mismatch")
    }
    report["fx_source"] = clean["fx_source"].value_counts().to_dict()
    report["rate_kind"] = clean["rate_kind"].value_counts().to_dict()
    given = ~_blank(c["experience_text"])[ok].to_numpy()
    report["experience_unrecognized"] = int((clean["experience"].isna().to_numpy() & given).sum())
    log = (clean.assign(region=clean["region"].fillna("(none)"))
           .groupby(["year", "region"])
           .agg(rows=("source_row", "size"), duplicates=("is_duplicate", "sum"),
                range_pair_rows=("is_range_pair", "sum"), outliers=("is_outlier", "sum"),
                fx_mismatch=("fx_mismatch", "sum"))
           .reset_index())
    report["log_by_year_region"] = log.astype({"year": int}).to_dict(orient="records")
    result = CleanResult("rates", clean, rejected, report)
    result.check_invariant()
    return result


def _flag_rates(clean: pd.DataFrame, raw_ok: pd.DataFrame, fmt: str,
                p: CleanParams) -> pd.DataFrame:
    """Add ``is_duplicate``, ``is_range_pair``/``range_pair_id`` and ``is_outlier``."""
    out = clean.copy()
    # duplicates: same raw values (date reduced to its year) as an earlier accepted row
    dup_key = raw_ok.drop(columns=[k for k in ("date",) if k in raw_ok.columns])
    dup_key = dup_key.assign(_year=out["year"].to_numpy(), _file=out["source_file"].to_numpy())
    out["is_duplicate"] = dup_key.duplicated(keep="first").to_numpy()
    # range pairs among non-duplicate rows, adjacent in file order
    amount_col = "salary" if fmt == "aijobs" else "amount"
    key_cols = [k for k in dup_key.columns if k not in {amount_col, "salary_in_usd"}]
    nondup = ~out["is_duplicate"].to_numpy()
    base = dup_key.loc[nondup, key_cols].assign(_amount=out.loc[nondup, "amount"].to_numpy())
    is_pair, pair_id = flag_range_pairs(base, key_cols, "_amount", *p.range_pair_ratio)
    out["is_range_pair"] = is_pair.reindex(out.index, fill_value=False).astype(bool)
    out["range_pair_id"] = pair_id.reindex(out.index).astype("Int64")
    out["is_outlier"] = flag_outliers(
        np.log(out["hourly_usd"]),
        [out["rate_kind"], out["year"], out["region"], out["experience"]],
        [out["rate_kind"], out["year"], out["experience"]],
        z=p.outlier_z, min_cell=p.outlier_min_cell,
    )
    return out


def _split_malformed(raw: pd.DataFrame) -> tuple[pd.DataFrame, pd.Series | None]:
    """Take the reader's malformed-row column off the table (None when every row was whole)."""
    raw = raw.reset_index(drop=True)
    if MALFORMED not in raw.columns:
        return raw, None
    problem = raw[MALFORMED]
    problem = problem.where(problem.fillna("").astype("str") != "")
    return raw.drop(columns=MALFORMED), problem


def _source_rows(raw: pd.DataFrame, source_file: str | pd.Series) -> pd.Series:
    """Return 1-based data-row numbers within each source file (header not counted)."""
    if isinstance(source_file, pd.Series):
        return source_file.groupby(source_file).cumcount() + 1
    return pd.Series(np.arange(1, len(raw) + 1), index=raw.index)


def _rejected_frame(raw: pd.DataFrame, rej: _Rejections,
                    source_file: str | pd.Series) -> pd.DataFrame:
    bad = ~rej.ok
    out = raw.loc[bad].copy()
    out.insert(0, "source_file", source_file[bad] if isinstance(source_file, pd.Series)
               else source_file)
    out.insert(1, "source_row", _source_rows(raw, source_file)[bad])
    out["reason"] = rej.reason[bad].astype("str")
    out["detail"] = rej.detail[bad].astype("str")
    return out.reset_index(drop=True)


def _report(name: str, raw: pd.DataFrame, clean_rows: pd.DataFrame | int,
            rejected: pd.DataFrame, p: CleanParams, fmt: str) -> dict[str, Any]:
    n_clean = clean_rows if isinstance(clean_rows, int) else len(clean_rows)
    return {
        "name": name,
        "format": fmt,
        "rows_in": int(len(raw)),
        "rows_clean": int(n_clean),
        "rows_rejected": int(len(rejected)),
        "reasons": {k: int(v) for k, v in rejected["reason"].value_counts().sort_index().items()},
        "params": p.to_dict(),
    }


# --- certifications --------------------------------------------------------------------------

def clean_certifications(
    raw: pd.DataFrame, fmt: str, params: CleanParams | None = None,
    source_file: str | pd.Series = "",
) -> CleanResult:
    """Clean certification ``records`` or ``counts`` into new-per-period counts.

    ``records`` (one row per credential) are counted per period (``params.freq``, default
    monthly), country and certification; a repeated ``credential_id`` is rejected as
    ``duplicate_record``. ``counts`` keep their own frequency unless ``params.freq`` asks for a
    coarser one; ``kind=cumulative`` series are differenced into new counts, and a decrease is
    rejected (``bad_count``) with the values in the detail, never clipped.
    """
    p = params or CleanParams()
    if fmt not in CERT_FORMATS:
        raise ValueError(f"unknown certifications format {fmt!r}; expected one of {CERT_FORMATS}")
    if p.freq is not None and p.freq not in FREQS:
        raise ValueError(f"freq must be one of {FREQS}, got {p.freq!r}")
    raw, malformed = _split_malformed(raw)
    rows = _source_rows(raw, source_file)
    if fmt == "records":
        accepted, rej, extra = _records(raw, p, rows, malformed)
    else:
        accepted, rej, extra = _counts(raw, p, rows, malformed)
    rejected = _rejected_frame(raw, rej, source_file)
    keys = ["period", "period_start", "freq", "country_iso3", "region", "subregion",
            "certification", "count_basis"]
    extras = [c for c in accepted.columns if c not in keys and c != "count"]
    grouped = accepted.groupby(keys, dropna=False, sort=True)
    table = grouped.agg(count=("count", "sum"), n_rows=("count", "size"),
                        **{c: (c, "first") for c in extras}).reset_index()
    for c in extras:  # extra columns pass through only where one input row made the output row
        table[c] = table[c].where(table["n_rows"] == 1)
    table["count"] = table["count"].astype("int64")
    cols = ["period", "period_start", "freq", "country_iso3", "region", "subregion",
            "certification", "count", "count_basis", *extras]
    table = table[cols]
    report = _report("certifications", raw, int(rej.ok.sum()), rejected, p, fmt)
    report["rows_out"] = int(len(table))
    report.update(extra)
    result = CleanResult("certifications", table, rejected, report)
    result.check_invariant()
    return result


def _geo(raw: pd.DataFrame, col: str, p: CleanParams) -> pd.DataFrame:
    iso3 = resolve_countries(raw[col]) if col in raw.columns else pd.Series(
        pd.NA, index=raw.index, dtype="str")
    out = assign_regions(iso3, p.scheme)
    out.insert(0, "country_iso3", iso3)
    return out


def _records(raw: pd.DataFrame, p: CleanParams, rows: pd.Series,
             malformed: pd.Series | None = None
             ) -> tuple[pd.DataFrame, _Rejections, dict[str, Any]]:
    rej = _Rejections(raw.index, malformed)
    for col in RECORDS_REQUIRED:
        rej.add(_blank(raw[col]), "missing_required", f"required value missing: {col}")
    freq = p.freq or "M"
    dates = parse_dates(raw["date"])
    rej.add(dates["date"].isna(), "unparseable_date",
            _detail("date ", raw["date"], " not understood (ISO, DD/MM/YYYY, Month YYYY)"))
    coarse = dates["precision"].map({"D": 3, "M": 2, "Y": 0}) < _FREQ_RANK[freq]
    rej.add(coarse, "unparseable_date",
            _detail("date ", raw["date"], f" is too coarse for freq {freq}"))
    lo_date, hi_date = pd.Timestamp(p.min_date), pd.Timestamp(p.resolved_max_date())
    rej.add((dates["date"] < lo_date) | (dates["date"] > hi_date), "date_out_of_range",
            _detail("date ", raw["date"], f" outside {lo_date.date()}..{hi_date.date()}"))
    certs = normalize_certification_names(raw["certification"])
    if p.known_certifications_only:
        rej.add(~certs["is_known"], "unknown_certification",
                _detail("certification ", raw["certification"], " is not a known code"))
    geo = _geo(raw, "location", p)
    rej.add(geo["country_iso3"].isna(), "unknown_country",
            _detail("location ", raw["location"], " has no recognizable country"))
    if "credential_id" in raw.columns:
        cid = raw["credential_id"].astype("str").str.strip()
        has = rej.ok & (cid != "")
        first_row = rows[has].groupby(cid[has]).transform("first")
        dup = cid[has].duplicated(keep="first")
        detail = pd.Series(pd.NA, index=raw.index, dtype="object")
        di = dup.index[dup]
        detail[di] = ("credential_id " + _quoted(cid[di]) + " already seen in row "
                      + first_row[di].astype("str"))
        rej.add(dup.reindex(raw.index, fill_value=False), "duplicate_record", detail)
    ok = rej.ok
    acc = pd.concat([period_labels(dates.loc[ok, "date"], freq), geo[ok]], axis=1)
    acc["freq"] = freq
    acc["certification"] = certs.loc[ok, "certification"]
    acc["count"] = 1
    acc["count_basis"] = "records"
    return acc, rej, {"unknown_certification_names": sorted(
        set(certs.loc[ok & ~certs["is_known"], "certification"]))}


def _counts(raw: pd.DataFrame, p: CleanParams, rows: pd.Series,
            malformed: pd.Series | None = None
            ) -> tuple[pd.DataFrame, _Rejections, dict[str, Any]]:
    rej = _Rejections(raw.index, malformed)
    has_country = "country" in raw.columns
    has_region = "region" in raw.columns
    country = raw["country"] if has_country else pd.Series("", index=raw.index)
    region_text = raw["region"] if has_region else pd.Series("", index=raw.index)
    geo_blank = _blank(country) & _blank(region_text)
    for col in COUNTS_REQUIRED:
        rej.add(_blank(raw[col]), "missing_required", f"required value missing: {col}")
    rej.add(geo_blank, "missing_required", "required value missing: country or region")

    periods = parse_periods(raw["period"])
    rej.add(periods["freq"].isna(), "unparseable_date",
            _detail("period ", raw["period"], " is not YYYY, YYYY-Qn or YYYY-MM"))
    lo_date, hi_date = pd.Timestamp(p.min_date), pd.Timestamp(p.resolved_max_date())
    rej.add((periods["period_start"] < lo_date) | (periods["period_start"] > hi_date),
            "date_out_of_range",
            _detail("period ", raw["period"], f" outside {lo_date.date()}..{hi_date.date()}"))
    if p.freq is not None:
        coarse = periods["freq"].map(_FREQ_RANK) < _FREQ_RANK[p.freq]
        rej.add(coarse, "unparseable_date",
                _detail("period ", raw["period"],
                        f" is coarser than the requested freq {p.freq}"))

    # geography: a country wins; else a region (or subregion) name of the scheme
    use_country = ~_blank(country)
    geo = _geo(pd.DataFrame({"c": country.where(use_country, "")}), "c", p)
    rej.add(use_country & geo["country_iso3"].isna(), "unknown_country",
            _detail("country ", country, " not recognized"))
    scheme = pd.concat([load_scheme(p.scheme), pd.DataFrame(
        {"iso3": [pd.NA], "region": [WORLD], "subregion": [WORLD]})], ignore_index=True)
    by_region = {r.casefold(): r for r in scheme["region"]}
    by_region.update({"global": WORLD, "worldwide": WORLD})
    by_sub = {s.casefold(): s for s in scheme["subregion"]}
    rkey = region_text.astype("str").str.strip().str.casefold()
    reg_only = ~use_country
    region_name = rkey.map(by_region)
    sub_name = rkey.map(by_sub)
    rej.add(reg_only & region_name.isna() & sub_name.isna(), "unknown_country",
            _detail("region ", region_text, " is not a region of scheme " + str(p.scheme)))
    geo.loc[reg_only, "region"] = region_name[reg_only].where(
        region_name[reg_only].notna(), sub_name[reg_only].map(
            scheme.drop_duplicates("subregion").set_index("subregion")["region"]))
    geo.loc[reg_only, "subregion"] = sub_name[reg_only]

    certs = normalize_certification_names(raw["certification"])
    is_all = raw["certification"].astype("str").str.strip().str.casefold().isin(["all", "*"])
    certs.loc[is_all, ["certification", "is_known"]] = ["all", True]
    if p.known_certifications_only:
        rej.add(~certs["is_known"], "unknown_certification",
                _detail("certification ", raw["certification"], " is not a known code"))

    value = parse_amounts(raw["count"])
    rej.add(value.isna() | (value < 0) | (value != np.floor(value)) | (value > MAX_COUNT),
            "bad_count",
            _detail("count ", raw["count"], " is not a non-negative integer"))
    kind_text = (raw["kind"] if "kind" in raw.columns else pd.Series("", index=raw.index))
    kind = kind_text.astype("str").str.strip().str.casefold().replace("", "new")
    kind = kind.map({"new": "new", "cumulative": "cumulative", "cum": "cumulative",
                     "total": "cumulative"})
    rej.add(kind.isna(), "bad_count",
            _detail("kind ", kind_text, " is neither 'new' nor 'cumulative'"))

    # one value per (period, place, certification, kind)
    work = pd.DataFrame({
        "period_start": periods["period_start"], "freq": periods["freq"],
        "geo": geo["country_iso3"].fillna("region:" + geo["region"].fillna("")
                                          + "/" + geo["subregion"].fillna("")),
        "certification": certs["certification"], "kind": kind, "value": value, "row": rows,
    })
    key = ["period_start", "freq", "geo", "certification", "kind"]
    ok = rej.ok
    dup = work[ok].duplicated(subset=key, keep="first")
    first_row = work[ok].groupby(key, dropna=False)["row"].transform("first")
    detail = ("same period, place, certification and kind as row "
              + first_row.astype("str")).reindex(raw.index)
    rej.add(dup.reindex(raw.index, fill_value=False), "bad_count", detail)

    # cumulative -> new, series by series in period order; decreases are rejected
    decreases: list[dict[str, Any]] = []
    cum = rej.ok & (work["kind"] == "cumulative")
    count = work["value"].copy()
    basis = pd.Series("new", index=raw.index, dtype="object")
    if cum.any():
        w = work[cum].sort_values("period_start")
        sk = ["geo", "certification", "freq"]
        running = w.groupby(sk, dropna=False)["value"].cummax()
        prev_max = running.groupby([w[k] for k in sk], dropna=False).shift(1)
        diff = w["value"] - prev_max
        dec = diff < 0
        for i in dec.index[dec]:
            decreases.append({"source_row": int(w.at[i, "row"]), "series": str(w.at[i, "geo"])
                              + "/" + str(w.at[i, "certification"]),
                              "value": float(w.at[i, "value"]),
                              "previous_max": float(prev_max[i])})
        rej.add(dec.reindex(raw.index, fill_value=False), "bad_count",
                ("cumulative count " + w["value"].astype("int64").astype("str")
                 + " is below an earlier value " + prev_max.fillna(0).astype("int64")
                 .astype("str") + " of the same series").reindex(raw.index))
        keep = w.index[~dec]
        count[keep] = diff[keep].fillna(w.loc[keep, "value"])
        basis[keep] = np.where(prev_max[keep].isna(), "cumulative_first", "cumulative_diff")
    ok = rej.ok
    out_freq = p.freq
    if out_freq is None:
        present = work.loc[ok, "freq"].dropna().unique()
        out_freq = min(present, key=lambda f: _FREQ_RANK[f]) if len(present) else "Y"
    acc = period_labels(work.loc[ok, "period_start"], out_freq)
    acc["freq"] = out_freq
    acc = pd.concat([acc, geo.loc[ok, ["country_iso3", "region", "subregion"]]], axis=1)
    acc["certification"] = certs.loc[ok, "certification"]
    acc["count"] = count[ok].astype("int64")
    acc["count_basis"] = basis[ok]
    consumed = {*COUNTS_REQUIRED, "country", "region", "kind"}
    for col in [c for c in raw.columns if c not in consumed]:
        acc[col] = raw.loc[ok, col]
    extra = {"cumulative_decreases": decreases,
             "native_freqs": sorted(work.loc[ok, "freq"].dropna().unique().tolist())}
    return acc, rej, extra


def write_outputs(result: CleanResult, out_dir: str | Path,
                  inputs: dict[str, str]) -> dict[str, Path]:
    """Write ``<name>.parquet``, ``<name>_rejected.csv`` and ``<name>_clean_report.json``.

    Each file is written atomically; the report records the inputs' sha256.
    """
    import json

    from marketlib.sources import atomic_write_bytes, atomic_write_csv, atomic_write_parquet

    out = Path(out_dir)
    report = dict(result.report)
    report["inputs"] = inputs
    paths = {
        "table": out / f"{result.name}.parquet",
        "rejected": out / f"{result.name}_rejected.csv",
        "report": out / f"{result.name}_clean_report.json",
    }
    atomic_write_parquet(result.clean, paths["table"])
    atomic_write_csv(result.rejected, paths["rejected"])
    atomic_write_bytes(paths["report"],
                       (json.dumps(report, indent=2, default=str) + "\n").encode("utf-8"))
    return paths


def read_clean_table(path: str | Path, name: str, fmt: str | None = None,
                     params: CleanParams | None = None) -> tuple[pd.DataFrame, dict[str, Any]]:
    """Return a clean table and its provenance from a Parquet output or a raw CSV.

    A ``.parquet`` path is read as written by ``marketlib clean``; a ``.csv`` path is read and
    cleaned in memory with ``fmt`` (so a notebook can start from committed raw figures).
    Returns ``(table, {"path": ..., "sha256": ..., "report": ...})``.
    """
    import json

    from marketlib.sources import InputError, read_csv_text, sha256_file

    p = Path(path)
    if not p.exists():
        raise InputError(p, "file not found (run `make clean-data` or pass another path)")
    if p.suffix == ".parquet":
        report_path = p.with_name(f"{name}_clean_report.json")
        report = json.loads(report_path.read_text()) if report_path.exists() else {}
        return pd.read_parquet(p), {"path": str(p), "sha256": sha256_file(p), "report": report}
    if fmt is None:
        raise ValueError("a raw CSV needs its format (fmt)")
    if name == "rates":
        required: tuple[str, ...] = AIJOBS_REQUIRED if fmt == "aijobs" else GENERIC_REQUIRED
        raw = read_csv_text(p, required=required)
        result = clean_rates(raw.frame, fmt, params, source_file=p.name)
    else:
        required = RECORDS_REQUIRED if fmt == "records" else COUNTS_REQUIRED
        any_of = (("country", "region"),) if fmt == "counts" else ()
        raw = read_csv_text(p, required=required, any_of=any_of)
        result = clean_certifications(raw.frame, fmt, params, source_file=p.name)
    return result.clean, {"path": str(p), "sha256": raw.sha256, "report": result.report}
