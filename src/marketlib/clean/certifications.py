"""Certifications: ``records`` (one row per credential) and ``counts`` to new-per-period counts.

Records are counted per period, country and certification (a repeated ``credential_id`` is a
``duplicate_record``). Counts keep their own frequency; cumulative series are differenced into
new counts and a decrease is rejected, never clipped.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from marketlib.clean.formats import CERT_FORMATS, COUNTS_REQUIRED, RECORDS_REQUIRED
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
from marketlib.clean.vocab import normalize_certification_names
from marketlib.cleanparams import CleanParams
from marketlib.fields import fields
from marketlib.frames import number_problems, parse_numbers
from marketlib.periods import (
    ACCEPTED_DATES,
    AMBIGUOUS_DATE,
    FREQ_RANK,
    FREQS,
    parse_dates,
    parse_periods,
    period_labels,
)
from marketlib.regions import assign_regions, load_scheme, resolve_countries
from marketlib.sources import MALFORMED

#: Every column a certifications table may have: extra input columns never take these names.
_OUTPUT_COLUMNS = frozenset(fields("certifications")["name"]) | REJECTED_COLUMNS

#: Largest count accepted (a billion certifications in one period is not a count but an error).
MAX_COUNT = 1e9
#: Region label of global (not regional) counts, e.g. CNCF's published totals.
WORLD = "World"


def clean_certifications(
    raw: pd.DataFrame,
    fmt: str,
    params: CleanParams | None = None,
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
    raw, malformed = split_malformed(raw)
    rows = source_rows(raw, source_file)
    if fmt == "records":
        accepted, rej, extra = _records(raw, p, rows, malformed)
    else:
        accepted, rej, extra = _counts(raw, p, rows, malformed)
    rejected = rejected_frame(raw, rej, source_file)
    keys = [
        "period",
        "period_start",
        "freq",
        "country_iso3",
        "region",
        "subregion",
        "certification",
        "count_basis",
    ]
    extras = [c for c in accepted.columns if c not in keys and c != "count"]
    grouped = accepted.groupby(keys, dropna=False, sort=True)
    table = grouped.agg(
        count=("count", "sum"), n_rows=("count", "size"), **{c: (c, "first") for c in extras}
    ).reset_index()
    for c in extras:  # extra columns pass through only where one input row made the output row
        table[c] = table[c].where(table["n_rows"] == 1)
    table["count"] = table["count"].astype("int64")
    cols = [
        "period",
        "period_start",
        "freq",
        "country_iso3",
        "region",
        "subregion",
        "certification",
        "count",
        "count_basis",
        *extras,
    ]
    table = table[cols]
    report = clean_report("certifications", raw, int(rej.ok.sum()), rejected, p, fmt)
    report["rows_out"] = int(len(table))
    report.update(extra)
    result = CleanResult("certifications", table, rejected, report)
    result.check_invariant()
    return result


def _geo(raw: pd.DataFrame, col: str, p: CleanParams) -> pd.DataFrame:
    iso3 = (
        resolve_countries(raw[col])
        if col in raw.columns
        else pd.Series(pd.NA, index=raw.index, dtype="str")
    )
    out = assign_regions(iso3, p.scheme)
    out.insert(0, "country_iso3", iso3)
    return out


def _records(
    raw: pd.DataFrame, p: CleanParams, rows: pd.Series, malformed: pd.Series | None = None
) -> tuple[pd.DataFrame, Rejections, dict[str, Any]]:
    rej = Rejections(raw.index, malformed)
    for col in RECORDS_REQUIRED:
        rej.add(blank(raw[col]), "missing_required", f"required value missing: {col}")
    freq = p.freq or "M"
    dates = parse_dates(raw["date"], p.date_order)
    rej.add(
        dates["out_of_range"].fillna(False).astype(bool),
        "date_out_of_range",
        lazy_detail("date ", raw["date"], " has a year outside 1678..2261"),
    )
    rej.add(
        dates["ambiguous"].astype(bool),
        "unparseable_date",
        lazy_detail("date ", raw["date"], AMBIGUOUS_DATE),
    )
    rej.add(
        dates["date"].isna(),
        "unparseable_date",
        lazy_detail("date ", raw["date"], f" not understood (accepted: {ACCEPTED_DATES})"),
    )
    coarse = dates["precision"].map({"D": 3, "M": 2, "Y": 0}) < FREQ_RANK[freq]
    rej.add(
        coarse,
        "unparseable_date",
        lazy_detail("date ", raw["date"], f" is too coarse for freq {freq}"),
    )
    lo_date, hi_date = pd.Timestamp(p.min_date), pd.Timestamp(p.resolved_max_date())
    rej.add(
        (dates["date"] < lo_date) | (dates["date"] > hi_date),
        "date_out_of_range",
        lazy_detail("date ", raw["date"], f" outside {lo_date.date()}..{hi_date.date()}"),
    )
    certs = normalize_certification_names(raw["certification"])
    if p.known_certifications_only:
        rej.add(
            ~certs["is_known"],
            "unknown_certification",
            lazy_detail("certification ", raw["certification"], " is not a known code"),
        )
    geo = _geo(raw, "location", p)
    rej.add(
        geo["country_iso3"].isna(),
        "unknown_country",
        lazy_detail("location ", raw["location"], " has no recognizable country"),
    )
    if "credential_id" in raw.columns:
        cid = raw["credential_id"].astype("str").str.strip()
        has = rej.ok & (cid != "")
        first_row = rows[has].groupby(cid[has]).transform("first")
        dup = cid[has].duplicated(keep="first")
        detail = pd.Series(pd.NA, index=raw.index, dtype="object")
        di = dup.index[dup]
        detail[di] = (
            "credential_id "
            + quoted(cid[di])
            + " already seen in row "
            + first_row[di].astype("str")
        )
        rej.add(dup.reindex(raw.index, fill_value=False), "duplicate_record", detail)
    ok = rej.ok
    acc = pd.concat([period_labels(dates.loc[ok, "date"], freq), geo[ok]], axis=1)
    acc["freq"] = freq
    acc["certification"] = certs.loc[ok, "certification"]
    acc["count"] = 1
    acc["count_basis"] = "records"
    return (
        acc,
        rej,
        {
            "unknown_certification_names": sorted(
                set(certs.loc[ok & ~certs["is_known"], "certification"])
            )
        },
    )


def _counts(
    raw: pd.DataFrame, p: CleanParams, rows: pd.Series, malformed: pd.Series | None = None
) -> tuple[pd.DataFrame, Rejections, dict[str, Any]]:
    rej = Rejections(raw.index, malformed)
    has_country = "country" in raw.columns
    has_region = "region" in raw.columns
    country = raw["country"] if has_country else pd.Series("", index=raw.index)
    region_text = raw["region"] if has_region else pd.Series("", index=raw.index)
    geo_blank = blank(country) & blank(region_text)
    for col in COUNTS_REQUIRED:
        rej.add(blank(raw[col]), "missing_required", f"required value missing: {col}")
    rej.add(geo_blank, "missing_required", "required value missing: country or region")

    periods = parse_periods(raw["period"])
    rej.add(
        periods["out_of_range"],
        "date_out_of_range",
        lazy_detail("period ", raw["period"], " has a year outside 1678..2261"),
    )
    rej.add(
        periods["freq"].isna(),
        "unparseable_date",
        lazy_detail("period ", raw["period"], " is not YYYY, YYYY-Qn or YYYY-MM"),
    )
    lo_date, hi_date = pd.Timestamp(p.min_date), pd.Timestamp(p.resolved_max_date())
    rej.add(
        (periods["period_start"] < lo_date) | (periods["period_start"] > hi_date),
        "date_out_of_range",
        lazy_detail("period ", raw["period"], f" outside {lo_date.date()}..{hi_date.date()}"),
    )
    if p.freq is not None:
        coarse = periods["freq"].map(FREQ_RANK) < FREQ_RANK[p.freq]
        rej.add(
            coarse,
            "unparseable_date",
            lazy_detail("period ", raw["period"], f" is coarser than the requested freq {p.freq}"),
        )

    geo = _count_geography(raw, p, rej, country, region_text)
    certs, value, kind = _count_values(raw, p, rej)
    # one value per (period, place, certification, kind)
    work = pd.DataFrame(
        {
            "period_start": periods["period_start"],
            "freq": periods["freq"],
            "geo": geo["country_iso3"].fillna(
                "region:" + geo["region"].fillna("") + "/" + geo["subregion"].fillna("")
            ),
            "certification": certs["certification"],
            "kind": kind,
            "value": value,
            "row": rows,
        }
    )
    _reject_duplicates(work, raw, rej)
    _reject_parts_of_totals(work, geo, rej)
    count, basis, decreases = _cumulative_to_new(work, raw, rej)
    if p.freq is not None:
        _reject_partial_periods(work, rej, p.freq)
    ok = rej.ok
    if p.freq is not None:
        acc = period_labels(work.loc[ok, "period_start"], p.freq)
        acc["freq"] = p.freq
        rule = f"rows summed to freq {p.freq}; rows that cover only part of a period rejected"
    else:  # each row keeps its own frequency: a month is never relabelled as its year
        parts = [
            period_labels(work.loc[ok & (work["freq"] == f), "period_start"], f).assign(freq=f)
            for f in FREQS
            if (ok & (work["freq"] == f)).any()
        ]
        acc = (
            pd.concat(parts).reindex(work.index[ok])
            if parts
            else pd.DataFrame(columns=["period", "period_start", "freq"])
        )
        rule = "each row keeps its own frequency"
    acc = pd.concat([acc, geo.loc[ok, ["country_iso3", "region", "subregion"]]], axis=1)
    acc["certification"] = certs.loc[ok, "certification"]
    acc["count"] = count[ok].astype("int64")
    acc["count_basis"] = basis[ok]
    consumed = {*COUNTS_REQUIRED, "country", "region", "kind"}
    taken = set(acc.columns) | {"count_basis", "n_rows"} | _OUTPUT_COLUMNS
    extras = [c for c in raw.columns if c not in consumed and c != MALFORMED]
    names = extra_names(raw.columns, extras, taken)
    for col in extras:  # kept, never over ours
        acc[names[col]] = raw.loc[ok, col]
    extra = {
        "cumulative_decreases": decreases,
        "native_freqs": sorted(work.loc[ok, "freq"].dropna().unique().tolist()),
        "frequency_rule": rule,
    }
    return acc, rej, extra


def _count_geography(
    raw: pd.DataFrame, p: CleanParams, rej: Rejections, country: pd.Series, region_text: pd.Series
) -> pd.DataFrame:
    """Return each row's country, region and subregion: a country wins, else a region name."""
    use_country = ~blank(country)
    geo = _geo(pd.DataFrame({"c": country.where(use_country, "")}), "c", p)
    rej.add(
        use_country & geo["country_iso3"].isna(),
        "unknown_country",
        lazy_detail("country ", country, " not recognized"),
    )
    scheme = pd.concat(
        [
            load_scheme(p.scheme),
            pd.DataFrame({"iso3": [pd.NA], "region": [WORLD], "subregion": [WORLD]}),
        ],
        ignore_index=True,
    )
    by_region = {r.casefold(): r for r in scheme["region"]}
    by_region.update({"global": WORLD, "worldwide": WORLD})
    by_sub = {s.casefold(): s for s in scheme["subregion"]}
    rkey = region_text.astype("str").str.strip().str.casefold()
    reg_only = ~use_country
    region_name = rkey.map(by_region)
    sub_name = rkey.map(by_sub)
    rej.add(
        reg_only & region_name.isna() & sub_name.isna(),
        "unknown_country",
        lazy_detail("region ", region_text, " is not a region of scheme " + str(p.scheme)),
    )
    geo.loc[reg_only, "region"] = region_name[reg_only].where(
        region_name[reg_only].notna(),
        sub_name[reg_only].map(
            scheme.drop_duplicates("subregion").set_index("subregion")["region"]
        ),
    )
    geo.loc[reg_only, "subregion"] = sub_name[reg_only]
    world = reg_only & geo["region"].eq(WORLD)  # World, Global, Worldwide: one place
    geo.loc[world, "subregion"] = WORLD

    return geo


def _count_values(
    raw: pd.DataFrame, p: CleanParams, rej: Rejections
) -> tuple[pd.DataFrame, pd.Series, pd.Series]:
    """Return the certification codes, the counts and their kind (new or cumulative)."""
    certs = normalize_certification_names(raw["certification"])
    is_all = raw["certification"].astype("str").str.strip().str.casefold().isin(["all", "*"])
    certs.loc[is_all, ["certification", "is_known"]] = ["all", True]
    if p.known_certifications_only:
        rej.add(
            ~certs["is_known"],
            "unknown_certification",
            lazy_detail("certification ", raw["certification"], " is not a known code"),
        )

    value = parse_numbers(raw["count"], p.decimal)
    rej.add(
        value.isna(),
        "bad_count",
        lambda idx: "count " + number_problems(raw["count"][idx], p.decimal),
    )
    rej.add(
        (value < 0) | (value != np.floor(value)) | (value > MAX_COUNT),
        "bad_count",
        lazy_detail("count ", raw["count"], " is not a non-negative integer"),
    )
    kind_text = raw["kind"] if "kind" in raw.columns else pd.Series("", index=raw.index)
    kind = kind_text.astype("str").str.strip().str.casefold().replace("", "new")
    kind = kind.map(
        {"new": "new", "cumulative": "cumulative", "cum": "cumulative", "total": "cumulative"}
    )
    rej.add(
        kind.isna(),
        "bad_count",
        lazy_detail("kind ", kind_text, " is neither 'new' nor 'cumulative'"),
    )

    return certs, value, kind


def _reject_duplicates(work: pd.DataFrame, raw: pd.DataFrame, rej: Rejections) -> None:
    """Reject a second value of one cell, and a cell given both as new and as cumulative."""
    key = ["period_start", "freq", "geo", "certification", "kind"]
    ok = rej.ok
    dup = work[ok].duplicated(subset=key, keep="first")
    first_row = work[ok].groupby(key, dropna=False)["row"].transform("first")
    detail = (
        "same period, place, certification and kind as row " + first_row.astype("str")
    ).reindex(raw.index)
    rej.add(dup.reindex(raw.index, fill_value=False), "bad_count", detail)
    # a cell given both as new and as cumulative would be counted twice
    ok = rej.ok
    cell = ["period_start", "freq", "geo", "certification"]
    both = work[ok].groupby(cell, dropna=False)["kind"].transform("nunique") > 1
    later = both & work[ok].duplicated(subset=cell, keep="first")
    first_row = work[ok].groupby(cell, dropna=False)["row"].transform("first")
    rej.add(
        later.reindex(raw.index, fill_value=False),
        "bad_count",
        (
            "the same period, place and certification is given as new and as cumulative "
            "(row " + first_row.astype("str") + "): counted once, never twice"
        ).reindex(raw.index),
    )


def _cumulative_to_new(
    work: pd.DataFrame, raw: pd.DataFrame, rej: Rejections
) -> tuple[pd.Series, pd.Series, list[dict[str, Any]]]:
    """Turn cumulative series into new counts in period order; decreases and gaps rejected."""
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
            decreases.append(
                {
                    "source_row": int(w.at[i, "row"]),
                    "series": str(w.at[i, "geo"]) + "/" + str(w.at[i, "certification"]),
                    "value": float(w.at[i, "value"]),
                    "previous_max": float(prev_max[i]),
                }
            )
        rej.add(
            dec.reindex(raw.index, fill_value=False),
            "bad_count",
            (
                "cumulative count "
                + w["value"].astype("int64").astype("str")
                + " is below an earlier value "
                + prev_max.fillna(0).astype("int64").astype("str")
                + " of the same series"
            ).reindex(raw.index),
        )
        # a difference across a missing period would put two periods' credentials in one
        prev_start = w.groupby(sk, dropna=False)["period_start"].shift(1)
        months = w["freq"].map({"Y": 12, "Q": 3, "M": 1}).fillna(12).astype(int)
        expected = pd.Series(
            [
                ps - pd.DateOffset(months=int(m))
                for ps, m in zip(w["period_start"], months, strict=True)
            ],
            index=w.index,
        )
        gap = prev_start.notna() & (prev_start != expected) & ~dec
        rej.add(
            gap.reindex(raw.index, fill_value=False),
            "bad_count",
            (
                "cumulative count of "
                + w["period_start"].dt.strftime("%Y-%m")
                + " follows "
                + prev_start.dt.strftime("%Y-%m")
                + ": the difference would also cover the missing period(s) between"
            ).reindex(raw.index),
        )
        keep = w.index[~dec & ~gap]
        count[keep] = diff[keep].fillna(w.loc[keep, "value"])
        basis[keep] = np.where(prev_max[keep].isna(), "cumulative_first", "cumulative_diff")
    return count, basis, decreases


def _reject_parts_of_totals(work: pd.DataFrame, geo: pd.DataFrame, rej: Rejections) -> None:
    """Reject rows that are parts of a total given in the same table (never summed with it).

    A World total, a region's total, a sub-region's total or an ``all`` certification total of
    the same period and kind covers its countries, sub-regions, regions and certifications: the
    total is kept and each part is rejected (``duplicate_record``), so a table that mixes
    levels is never summed.
    """
    ok = rej.ok.to_numpy()
    if not ok.any():
        return
    w = work[ok]
    g = geo[ok]
    level = pd.Series(
        np.select(
            [g["country_iso3"].notna(), g["region"].eq(WORLD), g["subregion"].notna()],
            ["country", "world", "subregion"],
            "region",
        ),
        index=w.index,
    )
    place = g["country_iso3"].fillna(g["subregion"]).fillna(g["region"]).astype("str")
    head = (
        w["period_start"].astype("str")
        + "|"
        + w["freq"].astype("str")
        + "|"
        + w["kind"].astype("str")
        + "|"
    )
    cert = w["certification"].astype("str")
    present = set(head + level + "|" + place + "|" + cert)

    def has(lv: str, where: pd.Series, c: pd.Series) -> pd.Series:
        return (head + lv + "|" + where.astype("str") + "|" + c).isin(present)

    allc = pd.Series("all", index=w.index)
    covered = pd.Series(False, index=w.index)
    why = pd.Series("", index=w.index, dtype="object")
    ancestors = [
        ("world", pd.Series(WORLD, index=w.index), level != "world"),
        ("region", g["region"], level.isin(["subregion", "country"])),
        ("subregion", g["subregion"], level.eq("country")),
    ]
    for lv, where, applies in ancestors:
        for c in (cert, allc):
            hit = applies & where.notna() & has(lv, where, c) & ~covered
            why[hit] = f"part of the {lv} total " + where[hit].astype("str")
            covered |= hit
    self_all = cert.ne("all") & has_level_all(head, level, place, present) & ~covered
    why[self_all] = "part of the all-certifications total of " + place[self_all]
    covered |= self_all
    detail = (
        why + " given for the same period in this table: a total and its parts are "
        "never summed (the total is kept)"
    )
    rej.add(
        covered.reindex(work.index, fill_value=False),
        "duplicate_record",
        detail.reindex(work.index),
    )


def has_level_all(
    head: pd.Series, level: pd.Series, place: pd.Series, present: set[str]
) -> pd.Series:
    """Whether the same place and period also has an ``all``-certifications total."""
    return (head + level + "|" + place + "|all").isin(present)


def _reject_partial_periods(work: pd.DataFrame, rej: Rejections, freq: str) -> None:
    """Reject rows finer than ``freq`` that cannot make up a whole ``freq`` period.

    Monthly or quarterly rows are summed into a year (or quarter) only when they cover all of
    it and no row gives that period as a whole; otherwise the sum would present a partial
    period as a full one.
    """
    ok = rej.ok
    finer = ok & (work["freq"].map(FREQ_RANK) > FREQ_RANK[freq])
    if not finer.any():
        return
    target = period_labels(work.loc[ok, "period_start"], freq)["period"]
    months = work.loc[ok, "freq"].map({"Y": 12, "Q": 3, "M": 1})
    key = [work.loc[ok, "geo"], work.loc[ok, "certification"], work.loc[ok, "kind"], target]
    is_finer = finer[ok]
    covered = months.where(is_finer, 0).groupby(key, dropna=False).transform("sum")
    has_whole = (~is_finer).groupby(key, dropna=False).transform("any")
    # quarters and months of one period overlap: their sum is never a clean whole
    mixed = work.loc[ok, "freq"].where(is_finer).groupby(key, dropna=False).transform("nunique") > 1
    need = {"Y": 12, "Q": 3, "M": 1}[freq]
    bad = is_finer & ((covered != need) | has_whole | mixed)
    if not bad.any():
        return
    detail = pd.Series(pd.NA, index=work.index, dtype="object")
    bi = bad.index[bad]
    detail[bi] = np.where(
        mixed[bi],
        "period " + target[bi] + " mixes quarterly and monthly rows, which overlap: not summed",
        np.where(
            has_whole[bi],
            "period " + target[bi] + " is also given as a whole: not summed twice",
            work.loc[bi, "freq"]
            + " rows cover "
            + covered[bi].astype("int64").astype("str")
            + " of "
            + str(need)
            + " months of "
            + target[bi]
            + ": a partial period is never presented as a full one",
        ),
    )
    rej.add(bad.reindex(work.index, fill_value=False), "bad_count", detail)
