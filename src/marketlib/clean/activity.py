"""Activity: GitHub Innovation Graph quarterly counts per economy into ``activity.parquet``.

One clean row per accepted input row: ``period`` (``2024Q3``: the contract's activity label, which
differs on purpose from the certification tables' ``2024-Q3``), ``period_start``, ``freq``
(``Q``), ``country_iso3``, ``region``, ``subregion``, ``measure``, ``subject`` (the topic for
``topic_pushers``, else null), ``count``, ``source_file``, ``source_row`` and the flags below.
Unpublished cells (below the 100-developer floor) are absent, never zero: no row is invented.

Measures are read from the FIRST column name of each file (``data/`` of the Innovation Graph):

========================  ===================  ==========================================
first column              ``measure``          file
========================  ===================  ==========================================
``num_pushers``           ``topic_pushers``    ``topics.csv`` (with a ``topic`` column)
``developers``            ``developers``       ``developers.csv`` (an account stock)
``git_pushes``            ``git_pushes``       ``git_pushes.csv``
``repositories``          ``repositories``     ``repositories.csv``
``organizations``         ``organizations``    ``organizations.csv``
========================  ===================  ==========================================

Several files are cleaned in one call by stacking them with :func:`stack_activity` (or by
passing ``[(frame, source_file), ...]`` to :func:`clean_activity`): the stacked frame has the
columns ``measure_column`` (the file's first column name, verbatim) and ``value`` (its text)
in place of each file's first column, plus ``topic`` (blank outside ``topics.csv``),
``iso2_code``, ``year``, ``quarter`` and any extra columns. A single file's frame can also be
passed as read (its first column is the measure).

Rejections (first reason wins; SPEC reason codes): ``malformed_row``; ``missing_required``
(blank count, ``iso2_code``, ``year``, ``quarter``, or ``topic`` of a topic row);
``aggregate_economy`` (``EU`` and the other codes of ``data/aggregate_economies.csv``: the sum
of published member cells, never a country nor part of a region); ``unknown_country`` (not a
two-letter code of a known economy); ``unparseable_date`` (year not four digits, quarter not
1-4); ``date_out_of_range`` (a quarter that ends before ``params.min_date`` or starts after
``params.max_date``); ``bad_count`` (count not a non-negative integer, or a second row with the
same measure, subject, economy, year and quarter: the first row is named in the detail).

Flags (rows kept, estimators choose):

- ``is_junk_topic``: topics of ``data/junk_topics.csv`` (``config``, ``github-config``),
  published for about 960 economy-quarters with no other topic.
- ``is_location_artefact``: China (``CHN``) and Hong Kong (``HKG``), whose counts move with VPN
  use (Hong Kong's developers x4 while China's topic pushers vanish): treat them together or
  leave them out.
- ``is_below_floor``: a developer count (``topic_pushers``, ``developers``) under the smallest
  publishable value, 101: not something this release's method publishes.
- ``is_partial_year``: the year has fewer than four quarters for that measure in the input
  (2025: Q1-Q3), so annual sums over it are not comparable; quarters are kept as they are.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from functools import cache
from typing import Any

import numpy as np
import pandas as pd

from marketlib.clean.formats import ACTIVITY_FORMATS, FORMATS
from marketlib.clean.rejections import (
    REJECTED_COLUMNS,
    CleanResult,
    Rejections,
    blank,
    clean_report,
    extra_names,
    lazy_detail,
    quoted,
    rejected_frame,
    source_rows,
    split_malformed,
)
from marketlib.cleanparams import CleanParams
from marketlib.fields import fields
from marketlib.frames import map_distinct, parse_numbers
from marketlib.paths import PACKAGE_DATA
from marketlib.regions import assign_regions, resolve_countries
from marketlib.sources import MALFORMED, InputError

#: First column of an Innovation Graph file -> ``measure`` of the clean table.
MEASURES: dict[str, str] = {
    "num_pushers": "topic_pushers",
    "developers": "developers",
    "git_pushes": "git_pushes",
    "repositories": "repositories",
    "organizations": "organizations",
}
#: The measure whose rows carry a ``topic`` (their ``subject``).
TOPIC_MEASURE = "topic_pushers"
#: Columns of the stacked layout made by :func:`stack_activity`.
MEASURE_COLUMN, VALUE_COLUMN, TOPIC_COLUMN = "measure_column", "value", "topic"
#: Every column an activity table may have: extra input columns never take one of these names.
_OUTPUT_COLUMNS = frozenset(fields("activity")["name"]) | REJECTED_COLUMNS
#: Economies whose location is distorted by VPN use (SOURCE.md, "China / Hong Kong").
LOCATION_ARTEFACTS = ("CHN", "HKG")
#: Measures that count developers, and the smallest value the 100-developer floor publishes.
FLOOR_MEASURES = ("topic_pushers", "developers")
MIN_PUBLISHED = 101
#: Largest count accepted (git pushes of the largest economy are about 4e7 a quarter).
MAX_COUNT = 1e12
FLAGS = ("is_junk_topic", "is_location_artefact", "is_below_floor", "is_partial_year")
#: Period label format of this table (SPEC ``activity.parquet``), e.g. ``2024Q3``.
PERIOD_LABEL = "YYYYQn"
COLUMNS = (
    "period",
    "period_start",
    "freq",
    "country_iso3",
    "region",
    "subregion",
    "measure",
    "subject",
    "count",
    "source_file",
    "source_row",
    *FLAGS,
)


@cache
def aggregate_economies() -> dict[str, str]:
    """Return aggregate codes (upper case) -> a description, from ``aggregate_economies.csv``."""
    t = pd.read_csv(
        PACKAGE_DATA / "aggregate_economies.csv", comment="#", dtype=str, keep_default_na=False
    )
    return {
        c.strip().upper(): f"{n.strip()}: {m.strip()}"
        for c, n, m in zip(t["code"], t["name"], t["members"], strict=True)
    }


@cache
def junk_topics() -> frozenset[str]:
    """Return the junk topics (case-folded) of ``data/junk_topics.csv``."""
    t = pd.read_csv(PACKAGE_DATA / "junk_topics.csv", comment="#", dtype=str, keep_default_na=False)
    return frozenset(t["topic"].str.strip().str.casefold())


def measure_column(frame: pd.DataFrame, source_file: str = "") -> str:
    """Return the measure column of one Innovation Graph file: its first column, checked.

    Raises
    ------
    InputError
        The first column is not a known measure, or ``num_pushers`` comes without ``topic``.
    """
    where = source_file or "<input>"
    if len(frame.columns) == 0:
        raise InputError(where, "no columns")
    first = str(frame.columns[0]).strip().lower()
    if first not in MEASURES:
        raise InputError(
            where,
            f"first column {first!r} is not an Innovation Graph measure "
            f"(expected one of {', '.join(MEASURES)})",
        )
    if MEASURES[first] == TOPIC_MEASURE and TOPIC_COLUMN not in frame.columns:
        raise InputError(where, f"a {first} file needs a {TOPIC_COLUMN} column")
    return first


def stack_activity(tables: Sequence[tuple[pd.DataFrame, str]]) -> tuple[pd.DataFrame, pd.Series]:
    """Stack Innovation Graph files of different measures into one frame for cleaning.

    Parameters
    ----------
    tables
        ``(frame, source_file)`` pairs, each frame one file as read (lower-case headers, text).

    Returns
    -------
    tuple
        The stacked frame (``measure_column``, ``value``, ``topic``, ``iso2_code``, ``year``,
        ``quarter``, then extra columns; cells a file lacks are blank) and the per-row source
        file names.

    Raises
    ------
    InputError
        A file whose first column is not a measure, or which lacks a required column.
    """
    parts, names = [], []
    for frame, name in tables:
        col = measure_column(frame, name)
        _require(frame, name)
        # an extra column named like the stacked frame's own (value, measure_column, or topic
        # in a file that has no topics) is kept as input_<name>, never read as ours
        own = {MEASURE_COLUMN, VALUE_COLUMN} | (
            set() if MEASURES[col] == TOPIC_MEASURE else {TOPIC_COLUMN}
        )
        extras = [c for c in frame.columns if c != col]
        renamed = extra_names(frame.columns, extras, own)
        frame = frame.rename(columns={k: v for k, v in renamed.items() if k != v})
        part = frame.rename(columns={col: VALUE_COLUMN})
        part.insert(0, MEASURE_COLUMN, col)
        if TOPIC_COLUMN not in part.columns:
            part.insert(2, TOPIC_COLUMN, "")
        parts.append(part)
        names.append(np.full(len(part), str(name), dtype=object))
    if not parts:
        raise InputError("<input>", "no Innovation Graph files given")
    stacked = pd.concat(parts, ignore_index=True, sort=False)
    stacked = stacked.fillna("") if stacked.isna().to_numpy().any() else stacked
    return stacked, pd.Series(np.concatenate(names), index=stacked.index, dtype="str")


def _require(frame: pd.DataFrame, source_file: str) -> None:
    missing = [c for c in FORMATS["innovationgraph"].required if c not in frame.columns]
    if missing:
        raise InputError(
            source_file or "<input>", f"required column(s) missing: {', '.join(missing)}"
        )


def clean_activity(
    raw: pd.DataFrame | Sequence[tuple[pd.DataFrame, str]],
    fmt: str = "innovationgraph",
    params: CleanParams | None = None,
    source_file: str | pd.Series = "",
) -> CleanResult:
    """Clean Innovation Graph counts into the ``activity`` table (one row per accepted row).

    Parameters
    ----------
    raw
        One file's frame as read (first column = the measure), a frame stacked by
        :func:`stack_activity` (``measure_column`` and ``value`` columns), or a sequence of
        ``(frame, source_file)`` pairs, which are stacked here (``source_file`` is then unused).
    fmt
        ``"innovationgraph"``.
    params
        ``scheme`` (regions), ``min_date`` and ``max_date`` (bounds of valid quarters).
    source_file
        The file name, or one name per row of a stacked frame.

    Returns
    -------
    CleanResult
        ``clean`` has :data:`COLUMNS` then any extra input columns; ``rejected`` holds the
        rejected rows verbatim; the report adds rows per measure, flag counts, economies per
        measure, the period range and the rejected aggregate codes.

    Raises
    ------
    ValueError
        Unknown format.
    InputError
        A frame whose first column is not a measure, or without a required column.
    """
    p = params or CleanParams()
    if fmt not in ACTIVITY_FORMATS:
        raise ValueError(f"unknown activity format {fmt!r}; expected one of {ACTIVITY_FORMATS}")
    if not isinstance(raw, pd.DataFrame):
        raw, source_file = stack_activity(raw)
    raw, malformed = split_malformed(raw)
    if isinstance(source_file, pd.Series):
        source_file = source_file.reset_index(drop=True)
    if MEASURE_COLUMN in raw.columns:
        _require(raw, "<stacked input>")
        column = raw[MEASURE_COLUMN].astype("str")
        value = raw[VALUE_COLUMN]
        topic = (
            raw[TOPIC_COLUMN]
            if TOPIC_COLUMN in raw.columns
            else pd.Series("", index=raw.index, dtype="str")
        )
        measure = map_distinct(column, lambda u: u.str.strip().str.lower().map(MEASURES))
        if measure.isna().any():
            bad = sorted(set(column[measure.isna()]))
            raise InputError(
                "<stacked input>",
                f"{MEASURE_COLUMN} has unknown measure(s) {bad} (expected {', '.join(MEASURES)})",
            )
        consumed = {MEASURE_COLUMN, VALUE_COLUMN, TOPIC_COLUMN}
    else:
        name = (
            source_file
            if isinstance(source_file, str)
            else str(source_file.iloc[0])
            if len(source_file)
            else ""
        )
        col = measure_column(raw, name)
        _require(raw, name)
        column = pd.Series(col, index=raw.index, dtype="str")
        value = raw[col]
        topic = (
            raw[TOPIC_COLUMN]
            if TOPIC_COLUMN in raw.columns
            else pd.Series("", index=raw.index, dtype="str")
        )
        measure = pd.Series(MEASURES[col], index=raw.index, dtype="str")
        consumed = {col, TOPIC_COLUMN}
    consumed |= set(FORMATS["innovationgraph"].required)
    rows = source_rows(raw, source_file)
    rej, parsed = _rules(raw, p, measure, column, value, topic, rows, source_file, malformed)
    rejected = rejected_frame(raw, rej, source_file)
    ok = rej.ok
    table = _table(raw, p, ok, measure, parsed, rows, source_file, consumed)
    report = clean_report("activity", raw, len(table), rejected, p, fmt)
    report.update(_report_extra(table, rejected, raw, rej))
    result = CleanResult("activity", table, rejected, report)
    result.check_invariant()
    return result


def _rules(
    raw: pd.DataFrame,
    p: CleanParams,
    measure: pd.Series,
    column: pd.Series,
    value: pd.Series,
    topic: pd.Series,
    rows: pd.Series,
    source_file: str | pd.Series,
    malformed: pd.Series | None,
) -> tuple[Rejections, dict[str, pd.Series]]:
    """Apply the rejection rules in order; return the accumulator and the parsed columns."""
    rej = Rejections(raw.index, malformed)
    rej.add(
        blank(value),
        "missing_required",
        lambda idx: "required value missing: " + column[idx] + " (the count)",
    )
    for col in FORMATS["innovationgraph"].required:
        rej.add(blank(raw[col]), "missing_required", f"required value missing: {col}")
    is_topic = measure == TOPIC_MEASURE
    rej.add(is_topic & blank(topic), "missing_required", "required value missing: topic")

    code = map_distinct(raw["iso2_code"], lambda u: u.astype("str").str.strip().str.upper())
    aggregates = aggregate_economies()
    rej.add(code.isin(list(aggregates)), "aggregate_economy", _aggregate_detail(code))
    two_letter = map_distinct(code, lambda u: u.str.fullmatch(r"[A-Z]{2}")).fillna(False)
    iso3 = resolve_countries(code.where(two_letter.astype(bool)))
    rej.add(
        iso3.isna(),
        "unknown_country",
        lazy_detail(
            "iso2_code ", raw["iso2_code"], " is not the ISO 3166 alpha-2 code of a known economy"
        ),
    )

    year = map_distinct(
        raw["year"],
        lambda u: pd.to_numeric(
            u.astype("str").str.strip().str.extract(r"^(\d{4})$")[0], errors="coerce"
        ),
    )
    quarter = map_distinct(
        raw["quarter"],
        lambda u: pd.to_numeric(
            u.astype("str").str.strip().str.extract(r"^[Qq]?([1-4])$")[0], errors="coerce"
        ),
    )
    rej.add(
        year.isna(),
        "unparseable_date",
        lazy_detail("year ", raw["year"], " is not a four-digit year"),
    )
    rej.add(
        quarter.isna(),
        "unparseable_date",
        lazy_detail("quarter ", raw["quarter"], " is not 1, 2, 3 or 4"),
    )
    lo, hi = pd.Timestamp(p.min_date), pd.Timestamp(p.resolved_max_date())
    start_month = year * 12 + (quarter - 1) * 3  # months since year 0, NaN where unparsed
    out = (start_month + 2 < lo.year * 12 + lo.month - 1) | (
        start_month > hi.year * 12 + hi.month - 1
    )
    rej.add(
        out,
        "date_out_of_range",
        lambda idx: (
            "quarter "
            + year[idx].astype("int64").astype("str")
            + "Q"
            + quarter[idx].astype("int64").astype("str")
            + f" outside {lo.date()}..{hi.date()}"
        ),
    )

    count = parse_numbers(value)
    with np.errstate(invalid="ignore"):
        bad = count.isna() | (count < 0) | (count != np.floor(count)) | (count > MAX_COUNT)
    rej.add(
        bad,
        "bad_count",
        lambda idx: column[idx] + " " + quoted(value[idx]) + " is not a non-negative integer count",
    )

    # GitHub topics are lower-case ASCII (letters, digits, hyphens): case variants are one
    # topic, and a topic with letters of another script (a homoglyph) is not a topic
    subject = map_distinct(
        topic.astype("str"), lambda u: u.str.normalize("NFKC").str.strip().str.casefold()
    ).where(is_topic)
    foreign = subject.notna() & ~map_distinct(
        subject.fillna(""), lambda u: u.str.fullmatch(r"[a-z0-9][a-z0-9.+#_-]*").fillna(False)
    ).astype(bool)
    rej.add(
        foreign & is_topic,
        "missing_required",
        lazy_detail(
            "topic ",
            topic,
            " is not a GitHub topic (lower-case letters, digits "
            "and hyphens; a letter of another script is not one)",
        ),
    )
    key = pd.DataFrame(
        {
            "measure": measure,
            "subject": subject.fillna(""),
            "iso3": iso3,
            "year": year,
            "quarter": quarter,
        }
    )
    ok = rej.ok
    dup = key[ok].duplicated(keep="first")
    if dup.any():
        where = (
            "row " + rows.astype("str")
            if isinstance(source_file, str)
            else source_file.astype("str") + " row " + rows.astype("str")
        )
        first = (
            where[ok]
            .groupby([key.loc[ok, c] for c in key.columns], dropna=False, sort=False)
            .transform("first")
        )
        di = dup.index[dup]
        detail = pd.Series(pd.NA, index=raw.index, dtype="object")
        detail[di] = (
            "same measure, subject, economy, year and quarter as "
            + first[di]
            + " (a second value for one cell)"
        ).to_numpy()
        rej.add(dup.reindex(raw.index, fill_value=False), "bad_count", detail)
    return rej, {
        "code": code,
        "iso3": iso3,
        "year": year,
        "quarter": quarter,
        "count": count,
        "subject": subject,
    }


def _aggregate_detail(code: pd.Series) -> Callable[[pd.Index], pd.Series]:
    aggregates = aggregate_economies()

    def detail(idx: pd.Index) -> pd.Series:
        what = code[idx].map(aggregates)
        return (
            "iso2_code "
            + quoted(code[idx])
            + " is an aggregate of economies ("
            + what
            + "): its value is the sum of the published member cells, so adding it to "
            "countries or a region would double count"
        )

    return detail


def _table(
    raw: pd.DataFrame,
    p: CleanParams,
    ok: pd.Series,
    measure: pd.Series,
    parsed: dict[str, pd.Series],
    rows: pd.Series,
    source_file: str | pd.Series,
    consumed: set[str],
) -> pd.DataFrame:
    """Build the clean table from the accepted rows, in input order, with the flags."""
    year = parsed["year"][ok].astype("int64")
    quarter = parsed["quarter"][ok].astype("int64")
    qkey = year * 4 + quarter - 1
    codes, keys = pd.factorize(qkey)  # one label per distinct quarter
    label = pd.Series(
        np.array([f"{k // 4}Q{k % 4 + 1}" for k in keys], dtype=object)[codes],
        index=year.index,
        dtype="str",
    )
    months = ((year - 1970) * 12 + (quarter - 1) * 3).to_numpy()
    start = pd.Series(months.astype("datetime64[M]").astype("datetime64[ns]"), index=year.index)
    iso3 = parsed["iso3"][ok].astype("str")
    geo = assign_regions(iso3, p.scheme)
    m = measure[ok].astype("str")
    subject = parsed["subject"][ok].astype("str")
    count = parsed["count"][ok].astype("int64")
    files = (
        source_file[ok].astype("str")
        if isinstance(source_file, pd.Series)
        else pd.Series(source_file, index=year.index, dtype="str")
    )
    junk = junk_topics()
    table = pd.DataFrame(
        {
            "period": label.astype("str"),
            "period_start": start,
            "freq": "Q",
            "country_iso3": iso3,
            "region": geo["region"],
            "subregion": geo["subregion"],
            "measure": m,
            "subject": subject,
            "count": count,
            "source_file": files,
            "source_row": rows[ok].astype("int64"),
            "is_junk_topic": map_distinct(subject, lambda u: u.str.casefold().isin(junk))
            .fillna(False)
            .astype(bool),
            "is_location_artefact": iso3.isin(LOCATION_ARTEFACTS).to_numpy(dtype=bool),
            "is_below_floor": (m.isin(FLOOR_MEASURES) & (count < MIN_PUBLISHED)).astype(bool),
        }
    )
    quarters = (
        pd.DataFrame({"m": m, "y": year, "q": quarter})
        .groupby(["m", "y"])["q"]
        .transform("nunique")
    )
    table["is_partial_year"] = (quarters < 4).to_numpy(dtype=bool)
    extras = [c for c in raw.columns if c not in consumed and c != MALFORMED]
    names = extra_names(raw.columns, extras, set(table.columns) | _OUTPUT_COLUMNS)
    for col in extras:  # kept, never over a column marketlib computes (region, count...)
        table[names[col]] = raw.loc[ok, col]
    return table.reset_index(drop=True)


def _report_extra(
    table: pd.DataFrame, rejected: pd.DataFrame, raw: pd.DataFrame, rej: Rejections
) -> dict[str, Any]:
    """Rows per measure, flags, economies per measure, period range, rejected aggregates.

    ``without_region`` counts rows of economies the scheme puts in no region (Antarctica,
    ``ATA``, in the article scheme): kept, with a null region, so never added to one.
    """
    by_measure = table.groupby("measure", sort=True)
    periods = by_measure["period_start"].agg(["min", "max"])
    label = by_measure["period"].agg(["min", "max"])
    agg_rows = rejected.loc[rejected["reason"] == "aggregate_economy", "iso2_code"]
    return {
        "period_label": PERIOD_LABEL,
        "measures": {k: int(v) for k, v in by_measure.size().items()},
        "flags": {f: int(table[f].sum()) for f in FLAGS},
        "flags_by_measure": {f: {k: int(v) for k, v in by_measure[f].sum().items()} for f in FLAGS},
        "economies": {k: int(v) for k, v in by_measure["country_iso3"].nunique().items()},
        "subjects": int(table.loc[table["measure"] == TOPIC_MEASURE, "subject"].nunique()),
        "periods": {
            "first": str(table["period"].min()) if len(table) else None,
            "last": str(table["period"].max()) if len(table) else None,
            "by_measure": {
                k: [str(label.at[k, "min"]), str(label.at[k, "max"])] for k in periods.index
            },
        },
        "aggregate_economies_rejected": {
            str(k): int(v)
            for k, v in agg_rows.astype("str")
            .str.strip()
            .str.upper()
            .value_counts()
            .sort_index()
            .items()
        },
        "without_region": {
            str(k): int(v)
            for k, v in table.loc[table["region"].isna(), "country_iso3"]
            .value_counts()
            .sort_index()
            .items()
        },
        "junk_topics": sorted(junk_topics()),
        "location_artefacts": list(LOCATION_ARTEFACTS),
    }
