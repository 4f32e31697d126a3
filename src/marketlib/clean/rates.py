"""Rates: raw pay files (any rates format of the registry) to rows in USD per hour and year.

SPEC order of rules (the first failing rule gives the reason code): required values, date,
amount, unit, currency, country, FX, plausibility. Every lookup runs once per distinct value.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from marketlib import money
from marketlib.clean.flags import flag_rates
from marketlib.clean.formats import Canonical, input_format
from marketlib.clean.maps import apply_value_map, merge_unknown_words, unknown_words
from marketlib.clean.rejections import (
    REJECTED_COLUMNS,
    CleanResult,
    Rejections,
    blank,
    clean_report,
    extra_names,
    lazy_detail,
    rejected_frame,
    source_rows,
    split_malformed,
)
from marketlib.clean.skills import normalize_skills
from marketlib.clean.vocab import (
    assign_role_families,
    experience_levels,
    normalize_vocabulary,
)
from marketlib.cleanparams import CleanParams
from marketlib.fields import fields
from marketlib.frames import (
    distinct_codes,
    map_distinct,
    number_problems,
    parse_numbers,
    take_rows,
    word_key,
)
from marketlib.periods import ACCEPTED_DATES, AMBIGUOUS_DATE, parse_dates
from marketlib.regions import assign_regions, country_ambiguities, resolve_countries

#: Every column a rates table may have (the field dictionary): extra input columns never
#: take one of these names.
OUTPUT_COLUMNS = frozenset(fields("rates")["name"]) | REJECTED_COLUMNS


def canonical_rates(raw: pd.DataFrame, fmt: str, p: CleanParams) -> Canonical:
    """Map a raw rates frame to canonical text columns, the value map's words applied."""
    spec = input_format(fmt, "rates")
    can = spec.canonical(raw)
    frame = can.frame
    for col, words in p.values.items():
        if col in frame.columns and col not in ("role_family", "skills"):
            frame[col] = apply_value_map(frame[col], words)
    return can


@dataclass
class RateRows:
    """The row-local part of a rates cleaning run (before the flags that need other rows).

    Attributes
    ----------
    raw
        The input rows (reader's malformed-row column taken off).
    clean
        Accepted rows with every row-local column (regions included), no flags yet.
    rejected
        Rejected rows, verbatim, with ``source_file``, ``source_row``, ``reason``, ``detail``.
    experience_given
        Per accepted row: whether the raw experience cell was non-blank.
    raw_ok_codes
        The accepted rows' raw columns as integer codes (equal codes <=> equal values; -1:
        missing): the duplicate and range-pair keys, without copying the text.
    unknown
        Per word column, the given words no vocabulary or value map knows, with counts.
    """

    raw: pd.DataFrame
    clean: pd.DataFrame
    rejected: pd.DataFrame
    experience_given: np.ndarray
    raw_ok_codes: dict[str, np.ndarray]
    unknown: dict[str, dict[str, int]] = field(default_factory=dict)


def clean_rates(
    raw: pd.DataFrame,
    fmt: str,
    params: CleanParams | None = None,
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
    Rows are validated in SPEC order; the first failing rule gives the reason code. The work is
    :func:`clean_rate_rows` (row-local), :func:`marketlib.clean.flags.flag_rates` (flags that
    need other rows) and :func:`rates_report`; the Dask engine runs the same three pieces.
    """
    p = params or CleanParams()
    rows = clean_rate_rows(raw, fmt, p, source_file)
    clean = flag_rates(rows.clean, rows.raw_ok_codes, fmt, p)
    report = rates_report(
        rows.raw, clean, rows.rejected, rows.experience_given, p, fmt, rows.unknown
    )
    result = CleanResult("rates", clean, rows.rejected, report)
    result.check_invariant()
    return result


def clean_rate_rows(
    raw: pd.DataFrame, fmt: str, p: CleanParams, source_file: str | pd.Series = ""
) -> RateRows:
    """Run every row-local rule of the rates cleaner: reasons, conversions, regions.

    Parameters
    ----------
    raw
        Raw text rows (one file, several concatenated, or one partition of a file set).
    fmt
        ``"aijobs"`` or ``"generic"``.
    p
        Cleaning parameters.
    source_file
        File name(s) recorded in ``source_file``; ``source_row`` counts rows per file name.

    Returns
    -------
    RateRows
        Accepted rows without flags, their raw columns, the rejected rows.
    """
    raw, malformed = split_malformed(raw)
    x = _parse(raw, malformed, fmt, p)
    ok = x.rej.ok.to_numpy()
    cols = _clean_columns(raw, x, p, source_file, ok)
    extra_cols = [col for col in raw.columns if col not in x.can.consumed]
    names = extra_names(raw.columns, extra_cols, set(cols) | OUTPUT_COLUMNS | {"_experience_given"})
    for col in extra_cols:  # kept (SPEC), never over a column marketlib writes
        cols[names[col]] = take_rows(raw[col], ok).reset_index(drop=True)
    clean = pd.DataFrame(cols, index=pd.RangeIndex(int(ok.sum())), copy=False)  # no block copy
    return RateRows(
        raw=raw,
        clean=clean,
        rejected=rejected_frame(raw, x.rej, source_file),
        experience_given=~blank(x.c["experience"])[ok].to_numpy(),
        raw_ok_codes={col: distinct_codes(raw[col])[0][ok] for col in raw.columns},
        unknown=_unknown(x, malformed),
    )


@dataclass
class _Parsed:
    """One batch of rate rows parsed column by column, with the reasons found so far."""

    c: pd.DataFrame  # the format's canonical text columns
    can: Any  # the format's Canonical
    rej: Rejections
    dates: pd.DataFrame
    amount: pd.Series
    unit: pd.Series
    currency: pd.Series
    currency_known: pd.Series
    iso3: pd.Series
    fx: pd.Series
    fx_carried: pd.Series
    fx_own: pd.Series
    hours: pd.Series
    hourly: pd.Series
    annual: pd.Series
    source_usd: pd.Series | None
    experience: Any = None  # filled by _clean_columns: the normalized words of all rows
    employment: Any = None
    skills_unknown: dict[str, int] = field(default_factory=dict)  # accepted rows' only


def _parse(raw: pd.DataFrame, malformed: pd.Series | None, fmt: str, p: CleanParams) -> _Parsed:
    """Parse dates, amounts, units, currencies and countries, convert to USD, add reasons."""
    can = canonical_rates(raw, fmt, p)
    c = can.frame
    rej = Rejections(raw.index, malformed)

    for col in can.required:
        rej.add(
            blank(c[col]), "missing_required", f"required value missing: {can.labels.get(col, col)}"
        )

    dates = parse_dates(c["date"], p.date_order)
    if can.year_only:
        not_year = dates["precision"].ne("Y").fillna(True)
        dates.loc[not_year, "date"] = pd.NaT
    accepted = "YYYY" if can.year_only else ACCEPTED_DATES
    rej.add(
        dates["out_of_range"].fillna(False).astype(bool),
        "date_out_of_range",
        lazy_detail("date ", c["date"], " has a year outside 1678..2261"),
    )
    rej.add(
        dates["ambiguous"].astype(bool),
        "unparseable_date",
        lazy_detail("date ", c["date"], AMBIGUOUS_DATE),
    )
    rej.add(
        dates["date"].isna(),
        "unparseable_date",
        lazy_detail("date ", c["date"], f" is not a date (accepted: {accepted})"),
    )
    lo_date, hi_date = pd.Timestamp(p.min_date), pd.Timestamp(p.resolved_max_date())
    rej.add(
        (dates["date"] < lo_date) | (dates["date"] > hi_date),
        "date_out_of_range",
        lazy_detail("date ", c["date"], f" outside {lo_date.date()}..{hi_date.date()}"),
    )

    amount = parse_numbers(c["amount"], p.decimal)
    rej.add(
        amount.isna(),
        "unparseable_amount",
        lambda idx: "amount " + number_problems(c["amount"][idx], p.decimal),
    )
    rej.add(
        amount <= 0, "non_positive_amount", lazy_detail("amount ", c["amount"], " is not positive")
    )

    unit = money.normalize_units(c["unit"])
    rej.add(
        unit.isna(),
        "unknown_unit",
        lazy_detail("unit ", c["unit"], " is not hour/day/week/month/year"),
    )

    codes = money.iso4217_codes()
    currency = map_distinct(c["currency"], lambda u: u.str.strip().str.upper())
    currency_known = map_distinct(currency, lambda u: u.isin(codes)).fillna(False).astype(bool)
    rej.add(
        ~currency_known,
        "unknown_currency",
        lazy_detail("currency ", c["currency"], " is not an ISO 4217 code"),
    )

    iso3 = resolve_countries(c["country"])
    ambiguous = country_ambiguities(c["country"].where(iso3.isna()))
    rej.add(
        ambiguous.notna(),
        "ambiguous_country",
        lambda idx: (
            "country " + ambiguous[idx] + ": never guessed (map it in the value "
            "map's country words)"
        ),
    )
    rej.add(
        iso3.isna(), "unknown_country", lazy_detail("country ", c["country"], " not recognized")
    )

    table = money.usd_rates(p.own_fx)
    period_end = fx_period_end(dates, p)
    fx = money.usd_per_unit(currency, dates["date"], period_end, table)
    own_cover = pd.Series(False, index=raw.index)
    if p.own_fx is not None and len(p.own_fx):  # the analyst's rates cover the period
        own_cover = money.usd_per_unit(
            currency, dates["date"], period_end, money.own_rates(p.own_fx)
        ).notna()
    carried = pd.Series(False, index=raw.index)
    if p.fx_after_last == "last_available":
        fill = money.last_available(currency, dates["date"], table)
        carried = fx.isna() & fill.notna()
        fx = fx.where(~carried, fill)
    hours = money.unit_hours(unit, p.hours_per_year)
    own_hourly = amount * fx / hours
    has_source_usd = "source_annual_usd" in c.columns
    if has_source_usd:
        source_usd = parse_numbers(c["source_annual_usd"], p.decimal)
        source_usd = source_usd.where(source_usd > 0)  # a negative or zero USD figure: none
        hourly = own_hourly.fillna((source_usd / p.hours_per_year).where(source_usd > 0))
    else:
        source_usd = None
        hourly = own_hourly
    last_hint = (
        ""
        if p.fx_after_last == "last_available"
        else " (after the last published rate: fx_after_last: last_available takes it, "
        "or give your own with --fx-table)"
    )
    rej.add(
        hourly.isna(),
        "fx_rate_unavailable",
        lambda idx: (
            "no exchange rate for "
            + currency[idx].astype("str")
            + " over "
            + c["date"][idx].astype("str")
            + " and no USD figure in the source"
            + last_hint
        ),
    )
    annual = hourly * p.hours_per_year
    lo_b, hi_b = p.annual_usd_bounds
    rej.add(
        ~annual.between(lo_b, hi_b),
        "implausible_amount",
        lambda idx: (
            "annual USD equivalent "
            + annual[idx].map("{:,.0f}".format)
            + f" outside [{lo_b:,.0f}, {hi_b:,.0f}]"
        ),
    )

    return _Parsed(
        c=c,
        can=can,
        rej=rej,
        dates=dates,
        amount=amount,
        unit=unit,
        currency=currency,
        currency_known=currency_known,
        iso3=iso3,
        fx=fx,
        fx_carried=carried & ~own_cover,
        fx_own=own_cover,
        hours=hours,
        hourly=hourly,
        annual=annual,
        source_usd=source_usd if has_source_usd else None,
    )


def fx_period_end(dates: pd.DataFrame, p: CleanParams) -> pd.Series:
    """Return the last day of each row's pay period whose exchange rates may be used.

    The period's end, but never after the data were collected (``collected_on``) nor after
    the run's ``max_date`` (as_of): a 2025 row collected in January 2025 is converted at
    January's rates, not the full year's (docs/methods.md#s3-5). Never before the period's
    first day.
    """
    cap = pd.Timestamp(p.resolved_max_date())
    if p.collected_on:
        cap = min(cap, pd.Timestamp(p.collected_on))
    return (
        dates["end"]
        .where(dates["end"] <= cap, cap)
        .where(lambda e: e >= dates["date"], dates["date"])
    )


def _clean_columns(
    raw: pd.DataFrame, x: _Parsed, p: CleanParams, source_file: str | pd.Series, ok: np.ndarray
) -> dict[str, Any]:
    """Return the clean table's columns for the accepted rows (lookups spread to them)."""
    c, dates, fx, iso3, amount, hours = x.c, x.dates, x.fx, x.iso3, x.amount, x.hours
    unit, currency, hourly, annual = x.unit, x.currency, x.hourly, x.annual

    def kept(s: pd.Series) -> pd.Series:
        return take_rows(s, ok).reset_index(drop=True)

    date_ok = kept(dates["date"])
    fx_ok = kept(fx)
    iso3_ok = kept(iso3)
    regions = assign_regions(iso3_ok, p.scheme)
    carried = kept(x.fx_carried).to_numpy(dtype=bool)
    own = kept(x.fx_own).to_numpy(dtype=bool) & fx_ok.notna().to_numpy()
    kind = np.where(fx_ok.notna().to_numpy(), 1, 0) + own * 1 + carried * 2
    fx_source = pd.Series(["source_usd", "ecb", "own", "ecb_carried"], dtype="str").array.take(
        np.minimum(kind, 3).astype(np.intp)
    )
    cols: dict[str, Any] = {
        "source_file": kept(source_file) if isinstance(source_file, pd.Series) else source_file,
        "source_row": kept(source_rows(raw, source_file)),
        "country_iso3": iso3_ok,
        "region": regions["region"],
        "subregion": regions["subregion"],
        "year": date_ok.dt.year.astype("int64"),
        "date": date_ok,
        "amount": kept(amount),
        "currency": kept(currency),
        "unit": kept(unit),
        "usd_per_unit": fx_ok,
        "fx_source": fx_source,
        "is_fx_last_available": carried,
        "hours_per_year": float(p.hours_per_year),
        "hourly_usd": kept(hourly),
        "annual_usd": kept(annual),
    }
    role = map_distinct(c["role"], lambda u: u.str.strip().replace("", np.nan), keep=ok)
    cols["role"] = role.reset_index(drop=True)
    cols["role_family"] = assign_role_families(cols["role"])
    if p.values.get("role_family"):  # the analyst's own titles -> families first
        own = map_distinct(cols["role"], lambda u: word_key(u).map(p.values["role_family"]))
        cols["role_family"] = own.fillna(cols["role_family"]).astype("str")
    experience = experience_levels(c["experience"], tuple(p.experience_bands))
    cols["experience"] = take_rows(experience, ok).reset_index(drop=True)
    employment_all = normalize_vocabulary(c["employment_type"], "employment_types")
    employment = take_rows(employment_all, ok).reset_index(drop=True)
    cols["employment_type"] = employment
    cols["rate_kind"] = normalize_vocabulary(employment, "rate_kinds").fillna("unknown")
    if x.source_usd is not None:
        own_annual = kept(amount * fx / hours * p.hours_per_year)
        source_usd_ok = kept(x.source_usd)
        cols["source_annual_usd"] = source_usd_ok
        mismatch = (own_annual / source_usd_ok - 1).abs() > p.fx_tolerance
        cols["is_fx_mismatch"] = mismatch.fillna(False).astype(bool)
    else:
        cols["is_fx_mismatch"] = False
    if "company_location" in c.columns:
        company = resolve_countries(c["company_location"], keep=ok).reset_index(drop=True)
        cols["company_iso3"] = company
        cols["is_cross_border"] = company.notna() & company.ne(iso3_ok).fillna(True)
        remote = pd.to_numeric(c["remote_ratio"], errors="coerce")
        cols["remote_ratio"] = kept(remote.where(remote.between(0, 100)))  # else: none
        cols["company_size"] = kept(c["company_size"])
    if "source" in c.columns:
        cols["source"] = map_distinct(
            c["source"], lambda u: u.replace("", np.nan), keep=ok
        ).reset_index(drop=True)
    if "skills" in c.columns:  # a multi-valued field (marketlib.clean.skills)
        skills, x.skills_unknown = normalize_skills(
            c["skills"].where(pd.Series(ok, index=c.index)), p.values.get("skills")
        )
        cols["skills"] = kept(skills)
    x.experience, x.employment = experience, employment_all
    return cols


def _unknown(x: _Parsed, malformed: pd.Series | None) -> dict[str, Any]:
    """Return, per column, the words no vocabulary knows (real rows only, not malformed)."""
    c = x.c
    valid = malformed.isna().to_numpy() if malformed is not None else None

    def real(s: pd.Series) -> pd.Series:
        return s if valid is None else s[valid]

    known_currency = x.currency.where(x.currency_known)
    return {
        name: words
        for name, words in (
            ("experience", unknown_words(real(c["experience"]), real(x.experience))),
            ("employment_type", unknown_words(real(c["employment_type"]), real(x.employment))),
            ("unit", unknown_words(real(c["unit"]), real(x.unit))),
            ("currency", unknown_words(real(c["currency"]), real(known_currency))),
            ("country", unknown_words(real(c["country"]), real(x.iso3))),
            ("skills", x.skills_unknown),
        )
        if words
    }


def rates_report(
    raw: pd.DataFrame,
    clean: pd.DataFrame,
    rejected: pd.DataFrame,
    experience_given: np.ndarray,
    p: CleanParams,
    fmt: str,
    unknown: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """Return the rates clean report: counts, reasons, flags, and the year x region log.

    Parameters
    ----------
    raw
        The input rows (only their number is used).
    clean
        The flagged clean rows.
    rejected
        The rejected rows.
    experience_given
        Per clean row: whether an experience value was given.
    p, fmt
        Parameters and format, recorded.
    unknown
        Words no vocabulary or value map knows, per column and word (:attr:`RateRows.unknown`).

    Returns
    -------
    dict
        The report (JSON-ready).
    """
    report = clean_report("rates", raw, clean, rejected, p, fmt)
    report["flags"] = {
        f: int(clean[f].sum())
        for f in ("is_duplicate", "is_range_pair", "is_outlier", "is_fx_mismatch")
    }
    report["fx_source"] = clean["fx_source"].value_counts().to_dict()
    report["rate_kind"] = clean["rate_kind"].value_counts().to_dict()
    report["experience_unrecognized"] = int(
        (clean["experience"].isna().to_numpy() & experience_given).sum()
    )
    report["unknown_words"] = merge_unknown_words([unknown or {}])
    report["rows_without"] = {
        col: int(clean[col].isna().sum()) for col in ("experience", "employment_type", "role")
    }
    log = (
        clean.assign(region=clean["region"].fillna("(none)"))
        .groupby(["year", "region"])
        .agg(
            rows=("source_row", "size"),
            duplicates=("is_duplicate", "sum"),
            range_pair_rows=("is_range_pair", "sum"),
            outliers=("is_outlier", "sum"),
            fx_mismatch=("is_fx_mismatch", "sum"),
        )
        .reset_index()
    )
    report["log_by_year_region"] = log.astype({"year": int}).to_dict(orient="records")
    report["fx_vs_source"] = fx_vs_source(clean)
    report["collected_on"] = p.collected_on
    return report


def fx_vs_source(clean: pd.DataFrame) -> list[dict[str, Any]]:
    """Return, per currency and year, how the project's USD differs from the source's own.

    Rows converted at ECB rates that also carry the source's USD figure: n and the median of
    ``annual_usd / source_annual_usd - 1`` (a fraction; + means the project's USD is higher).
    The source's own conversion date is unknown; differences of a few percent are the window
    (the source's vs the pay period up to collection), larger ones a different rate.
    """
    if "source_annual_usd" not in clean or clean.empty:
        return []
    d = clean[
        (clean["fx_source"] == "ecb")
        & (clean["currency"] != "USD")
        & (clean["source_annual_usd"] > 0)
    ]
    if d.empty:
        return []
    diff = d["annual_usd"] / d["source_annual_usd"] - 1
    out = (
        d.assign(diff=diff)
        .groupby(["currency", "year"], observed=True)
        .agg(n=("diff", "size"), median_difference=("diff", "median"))
        .reset_index()
    )
    return [
        {
            "currency": str(r.currency),
            "year": int(r.year),
            "n": int(r.n),
            "median_difference": round(float(r.median_difference), 4),
        }
        for r in out.itertuples()
    ]
