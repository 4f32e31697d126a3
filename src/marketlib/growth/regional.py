"""Regional growth of a clean counts table over a constant set of economies.

The GitHub Innovation Graph publishes a cell only when at least 100 developers did the activity
in that economy and quarter, so economies enter and leave a topic's table over time; summing a
region's published cells mixes growth with entry and exit. Here a region's series is the sum
over the economies published in **every** quarter of the window (``composition="constant"``,
listed as ISO3 codes); the naive sum of published cells is computed beside it.

- Flows (``topic_pushers``, ``git_pushes``...) aggregate to years as sums of quarters; the stock
  ``developers`` is compared Q4 to Q4, never summed.
- Period growth of annual sums has a CI from the NB2 over-dispersion ``alpha`` of the economies'
  quarterly series (each economy's own trend and seasons, one alpha per topic;
  docs/methods.md#s5-1):
  for a region's annual sum ``Y = sum_{q,c} y_qc``,
  ``Var(log Y1/Y0) ~ 1/Y1 + 1/Y0 + alpha (sum y_qc^2 / Y1^2 + sum y_qc^2 / Y0^2)``, so a region
  of one economy is noisier than one of nine; t reference with a Satterthwaite df.
- ``share_growth`` is the growth relative to the same economies' developer stock (Q4 to Q4):
  ``(Y1/D1) / (Y0/D0) - 1``, the developer stock treated as exposure (a census of accounts).
- Economies are grouped with the country tables (scheme ``article`` by default); the ``EU``
  aggregate never reaches this module (the cleaner rejects it as ``aggregate_economy``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

from marketlib.growth.dispersion import (
    Dispersion,
    YearShocks,
    combined_df,
    estimate_dispersion,
    year_shocks,
)
from marketlib.growth.estimators import trend_growth
from marketlib.growth.panel import GrowthInputError, Panel
from marketlib.growth.windows import (
    Comparison,
    latest_quarters_comparison,
    quarter_label,
    quarters_between,
    year_comparisons,
)
from marketlib.periods import mid_year

STOCK_MEASURES = frozenset({"developers"})
#: Hong Kong's developer count absorbs mainland China's through VPNs (SOURCE.md): one economy.
CHINA_HONG_KONG = ("CHN", "HKG")
COMBINED_CHN_HKG = "CHN+HKG"


@dataclass
class RegionalSeries:
    """Quarterly counts of one measure by group, subject and economy (published cells only)."""

    data: pd.DataFrame  # group, subject, country_iso3, period, period_start, year, quarter, count
    measure: str
    group_by: list[str]
    notes: list[str] = field(default_factory=list)


def check_measure(
    table: pd.DataFrame,
    measure: str,
    subjects: list[str] | None,
    group_by: list[str] | tuple[str, ...] = ("region",),
) -> None:
    """Refuse a measure or subject the activity table does not hold, naming what it holds.

    Raises
    ------
    GrowthInputError
        Missing columns, an unknown measure, unknown or no subjects.
    """
    need = {"period_start", "country_iso3", "measure", "subject", "count", *group_by}
    missing = sorted(need - set(table.columns))
    if missing:
        raise GrowthInputError(f"activity table lacks column(s): {', '.join(missing)}")
    measures = sorted(table["measure"].dropna().astype(str).unique())
    if measure not in measures:
        raise GrowthInputError(
            f"measure {measure!r} is not in the activity table (it holds: "
            f"{', '.join(measures) or 'nothing'})"
        )
    if measure in STOCK_MEASURES or subjects is None:
        return
    if not subjects:
        raise GrowthInputError(
            f"no subjects given for {measure}: name at least one topic, or null for all"
        )
    have = table.loc[table["measure"] == measure, "subject"].dropna().astype(str)
    unknown = sorted(set(subjects) - set(have))
    if unknown:
        top = ", ".join(have.value_counts().head(8).index)
        raise GrowthInputError(
            f"subject(s) {unknown} not published for {measure} (the most frequent: {top})"
        )


def regional_series(
    table: pd.DataFrame,
    measure: str,
    subjects: list[str] | None,
    group_by: list[str] | tuple[str, ...] = ("region",),
    china_hong_kong: str = "combine",
) -> RegionalSeries:
    """Select one measure (and subjects) of a clean ``activity`` table, by group and economy.

    ``china_hong_kong``: ``combine`` (one economy ``CHN+HKG``, published only in quarters where
    both are), ``exclude`` (both left out) or ``keep`` (as published). Junk topics and rows
    without an economy never enter.

    Raises
    ------
    GrowthInputError
        Missing columns, unknown measure or subjects, no rows left.
    """
    check_measure(table, measure, subjects, group_by)
    d = table[table["measure"] == measure]
    notes: list[str] = []
    if "is_junk_topic" in d.columns and d["is_junk_topic"].any():
        notes.append("junk topics (config, github-config) left out")
        d = d[~d["is_junk_topic"].astype(bool)]
    if measure not in STOCK_MEASURES and subjects is not None:
        d = d[d["subject"].isin(subjects)]
    d = d[d["country_iso3"].notna()]
    for col in group_by:
        d = d[d[col].notna()]
    d = d.assign(
        subject=d["subject"].fillna(measure) if measure in STOCK_MEASURES else d["subject"]
    )
    if china_hong_kong != "keep":
        is_ch = d["country_iso3"].isin(CHINA_HONG_KONG)
        if china_hong_kong == "exclude":
            notes.append("China and Hong Kong left out (location artefact, SOURCE.md)")
            d = d[~is_ch]
        elif is_ch.any():
            notes.append(
                "China and Hong Kong counted as one economy CHN+HKG, only in quarters "
                "where both are published (location artefact, SOURCE.md)"
            )
            d = _combine(d, group_by)
    if d.empty:
        raise GrowthInputError(f"no {measure} rows left for subjects {subjects}")
    ps = pd.to_datetime(d["period_start"])
    d = d.assign(
        period_start=ps,
        year=ps.dt.year,
        quarter=(ps.dt.month - 1) // 3 + 1,
        count=d["count"].astype("int64"),
    )
    d = d.assign(period=d["year"].astype("str") + "Q" + d["quarter"].astype("str"))
    label = d[group_by[0]].astype("str")
    for col in group_by[1:]:
        label = label + " | " + d[col].astype("str")
    d = d.assign(group=label)
    cols = [
        "group",
        *group_by,
        "subject",
        "country_iso3",
        "period",
        "period_start",
        "year",
        "quarter",
        "count",
    ]
    cols = list(dict.fromkeys(cols))
    return RegionalSeries(d[cols].reset_index(drop=True), measure, list(group_by), notes)


def _combine(d: pd.DataFrame, group_by: list[str] | tuple[str, ...]) -> pd.DataFrame:
    """Merge China and Hong Kong into one economy, kept only where both cells exist."""
    ch = d[d["country_iso3"].isin(CHINA_HONG_KONG)]
    keys = ["subject", "period_start"]
    both = ch.groupby(keys)["country_iso3"].transform("nunique") == len(CHINA_HONG_KONG)
    ch = ch[both]
    first = ch.groupby(keys, as_index=False).agg(
        count=("count", "sum"),
        **{c: (c, "first") for c in ch.columns if c not in {*keys, "count", "country_iso3"}},
    )
    first["country_iso3"] = COMBINED_CHN_HKG
    return pd.concat([d[~d["country_iso3"].isin(CHINA_HONG_KONG)], first], ignore_index=True)


@dataclass
class RegionalGrowth:
    """Regional growth of one measure: rows per group, subject and comparison, with detail."""

    measure: str
    composition: str
    group_by: list[str]
    ci_level: float
    growth: pd.DataFrame  # one row per group x subject x comparison
    drivers: pd.DataFrame  # one row per economy x group x subject x comparison
    trend: pd.DataFrame
    dispersion: dict[str, Any]
    notes: list[str]

    def to_results(self) -> list[dict[str, Any]]:
        """Return the contract's ``regional`` rows (fractions; economies as ISO3 codes)."""

        def num(v: Any) -> float | None:
            return None if v is None or pd.isna(v) else float(v)

        out = []
        for r in self.growth.to_dict("records"):
            row = {k: r[k] for k in ("measure", "subject", "from", "to", "composition", "status")}
            row.update({c: r[c] for c in self.group_by})
            row.update(
                {
                    k: num(r.get(k))
                    for k in (
                        "growth",
                        "ci_low",
                        "ci_high",
                        "share_growth",
                        "share_ci_low",
                        "share_ci_high",
                        "count_from",
                        "count_to",
                        "naive_growth",
                        "developers_from",
                        "developers_to",
                        "dominant_share",
                        "df",
                    )
                }
            )
            row["economies"] = list(r["economies"])
            row["n_economies"] = len(r["economies"])
            row["naive_economies_from"] = int(r["naive_economies_from"])
            row["naive_economies_to"] = int(r["naive_economies_to"])
            row["dominant_economy"] = r.get("dominant_economy")
            out.append(row)
        return out


def regional_growth(
    table: pd.DataFrame,
    measure: str = "topic_pushers",
    subjects: list[str] | None = None,
    group_by: list[str] | tuple[str, ...] = ("region",),
    years: list[int] | tuple[int, ...] = (2022, 2023, 2024),
    latest_quarters: int = 4,
    composition: str = "constant",
    china_hong_kong: str = "combine",
    ci_level: float = 0.95,
    developers: pd.DataFrame | None = None,
) -> RegionalGrowth:
    """Growth of a measure by region over a constant set of economies, with CIs and detail.

    ``table``: a clean ``activity`` table; ``measure``/``subjects``: what is counted;
    ``group_by``: the geography column; ``years``: calendar years compared consecutively (four
    quarters each; the quarterly trend with seasonal terms is fitted over their span);
    ``latest_quarters``: the latest this many quarters against as many before (0: not);
    ``composition``: ``constant`` (economies published in every quarter of a comparison's
    window) or ``published`` (the naive sum, for comparison); ``china_hong_kong``: see
    :func:`regional_series`; ``developers``: the stock rows for the share growth (default:
    from ``table``).
    """
    if composition not in ("constant", "published"):
        raise GrowthInputError(f"composition must be constant or published, got {composition!r}")
    series = regional_series(table, measure, subjects, group_by, china_hong_kong)
    stock = measure in STOCK_MEASURES
    wide = _wide(series.data)
    dev_wide = (
        None
        if stock
        else _developer_series(
            table if developers is None else developers, group_by, china_hong_kong
        )
    )
    quarters = list(wide.columns)
    comparisons = year_comparisons(sorted(years))
    if latest_quarters:
        comparisons.append(latest_quarters_comparison(quarters[-1], latest_quarters))
    rows, drivers, disps = [], [], {}
    for comp in comparisons:
        window = [*comp.quarters_from, *comp.quarters_to]
        missing = [q for q in window if q not in wide.columns]
        if missing:
            raise GrowthInputError(
                f"comparison {comp.label_from} -> {comp.label_to} needs quarters not in the "
                f"table ({', '.join(quarter_label(q) for q in missing)})"
            )
        window_q = quarters_between(min(window), max(window))
        w = wide[window_q]
        kept = w.notna().all(axis=1) if composition == "constant" else w.notna().any(axis=1)
        wk = w[kept].fillna(0)
        key = f"{comp.label_from}->{comp.label_to}"
        drv = _drivers(wk, comp, stock)
        drivers.append(drv)
        # one over-dispersion per subject: a topic's regions share its year-to-year noise;
        # pooling topics with different dynamics (llm vs kubernetes) would inflate it
        for subj in sorted(w.index.get_level_values("subject").unique()):
            ws = w.xs(subj, level="subject", drop_level=False)
            ks = kept.xs(subj, level="subject", drop_level=False)
            econ = ws[ks].fillna(0)
            totals = econ.groupby(level=["group", "subject"]).sum()
            if totals.empty:
                continue
            # NB2 alpha of each economy's quarterly series (own trend and seasons); a region's
            # sum then has extra variance alpha * sum_c y_c^2, whatever its composition
            disp = None if stock else estimate_dispersion(_panel(econ, series.group_by))
            # year-level shocks, which the window's own trend absorbs: from every economy's
            # complete years of this subject, the compared change held out
            shocks = (
                None
                if disp is None
                else year_shocks(
                    wide.xs(subj, level="subject", drop_level=False),
                    disp.alpha,
                    _calendar_years(comp),
                )
            )
            disps[f"{key} {subj}"] = (
                None
                if disp is None
                else {
                    "alpha": disp.alpha,
                    "df": disp.df,
                    "method": disp.method,
                    "year_shock_variance": None if shocks is None else shocks.variance,
                    "year_shock_n": None if shocks is None else shocks.n,
                    "year_shock_p_value": None if shocks is None else shocks.p_value,
                }
            )
            squares = econ.pow(2).groupby(level=["group", "subject"]).sum()
            rows.append(
                _rows(
                    series,
                    totals,
                    squares,
                    ws,
                    ks,
                    drv,
                    comp,
                    disp,
                    ci_level,
                    dev_wide,
                    composition,
                    shocks,
                )
            )
    trend = (
        pd.DataFrame()
        if stock
        else _quarterly_trend(wide, years, composition, series.group_by, ci_level)
    )
    growth = _ordered(pd.concat(rows, ignore_index=True), subjects, comparisons, series.group_by)
    return RegionalGrowth(
        measure=measure,
        composition=composition,
        group_by=series.group_by,
        ci_level=ci_level,
        growth=growth.reset_index(drop=True),
        drivers=pd.concat(drivers, ignore_index=True) if drivers else pd.DataFrame(),
        trend=trend,
        dispersion=disps,
        notes=series.notes,
    )


def _calendar_years(comp: Comparison) -> tuple[int, int] | None:
    """Return a comparison's (from, to) calendar years, or None when a span is not one."""
    spans = (comp.quarters_from, comp.quarters_to)
    if all(len(q) == 4 and q[0].month == 1 and q[-1].year == q[0].year for q in spans):
        return comp.quarters_from[0].year, comp.quarters_to[0].year
    return None


def _developer_series(
    src: pd.DataFrame, group_by: list[str] | tuple[str, ...], china_hong_kong: str
) -> pd.DataFrame | None:
    """Return the economies' quarterly developer stock (for the share growth), if published."""
    if "developers" not in set(src["measure"].dropna()):
        return None
    dev = regional_series(src, "developers", None, group_by, china_hong_kong)
    return _wide(dev.data).droplevel("subject")


def _quarterly_trend(
    wide: pd.DataFrame,
    years: list[int] | tuple[int, ...],
    composition: str,
    group_by: list[str],
    ci_level: float,
) -> pd.DataFrame:
    """Return the quarterly trend (seasonal terms) over the years' span, when it is covered."""
    span = quarters_between(
        pd.Timestamp(f"{min(years)}-01-01"), pd.Timestamp(f"{max(years)}-10-01")
    )
    if not all(q in wide.columns for q in span):
        return pd.DataFrame()
    w = wide[span]
    kept = w.notna().all(axis=1) if composition == "constant" else w.notna().any(axis=1)
    totals = w[kept].fillna(0).groupby(level=["group", "subject"]).sum()
    trend = trend_growth(_panel(totals, group_by), ci_level)
    trend.insert(1, "window", f"{quarter_label(span[0])}-{quarter_label(span[-1])}")
    return trend


def _ordered(
    growth: pd.DataFrame, subjects: list[str] | None, comparisons: list[Any], group_by: list[str]
) -> pd.DataFrame:
    """Sort subjects in the order asked for (the first is the headline), comparisons in order."""
    order = {s: i for i, s in enumerate(subjects or sorted(growth["subject"].unique()))}
    comp_order = {(c.label_from, c.label_to): i for i, c in enumerate(comparisons)}
    return (
        growth.assign(
            _s=growth["subject"].map(order).fillna(len(order)),
            _c=[comp_order[(f, t)] for f, t in zip(growth["from"], growth["to"], strict=True)],
        )
        .sort_values(["_s", "_c", *group_by], kind="stable")
        .drop(columns=["_s", "_c"])
    )


def _wide(data: pd.DataFrame) -> pd.DataFrame:
    """Return counts as (group, subject, economy) x quarter; NaN: unpublished, never zero."""
    wide = data.pivot_table(
        index=["group", "subject", "country_iso3"],
        columns="period_start",
        values="count",
        aggfunc="sum",
    )
    full = quarters_between(min(wide.columns), max(wide.columns))
    return wide.reindex(columns=full)


def _panel(totals: pd.DataFrame, group_by: list[str]) -> Panel:
    """Quarterly panel from a (group, subject[, economy]) x quarter table, one series a row."""
    long = totals.stack().rename("y").reset_index()
    label = long["group"].astype("str") + " | " + long["subject"].astype("str")
    if "country_iso3" in long.columns:
        label = label + " | " + long["country_iso3"].astype("str")
    long["group"] = label
    long["period_start"] = pd.to_datetime(long["period_start"])
    ps = long["period_start"]
    long["period"] = ps.dt.year.astype("str") + "Q" + ((ps.dt.month - 1) // 3 + 1).astype("str")
    long["t"] = mid_year(long["period_start"], "Q")
    long["t"] = long["t"] - long["t"].min()
    long["season"] = (long["period_start"].dt.month - 1) // 3
    long["y"] = long["y"].astype("int64")
    long = long[long["y"] > 0]
    return Panel(
        data=long[["group", "period", "period_start", "t", "season", "y"]]
        .sort_values(["group", "period"])
        .reset_index(drop=True),
        group_by=[*group_by, "subject"],
        freq="Q",
        periods=sorted(long["period"].unique()),
    )


def _span_sums(
    frame: pd.DataFrame, quarters: list[pd.Timestamp], stock: bool
) -> tuple[np.ndarray, np.ndarray]:
    """Return per-row sums over a span and sums of squares (a stock: its last quarter only)."""
    use = quarters[-1:] if stock else quarters
    v = frame.reindex(columns=use).fillna(0).to_numpy(dtype=float)
    return v.sum(axis=1), np.square(v).sum(axis=1)


def _rows(
    series: RegionalSeries,
    totals: pd.DataFrame,
    squares: pd.DataFrame,
    w: pd.DataFrame,
    kept: pd.Series,
    drv: pd.DataFrame,
    comp: Comparison,
    disp: Dispersion | None,
    ci_level: float,
    dev_wide: pd.DataFrame | None,
    composition: str,
    shocks: YearShocks | None = None,
) -> pd.DataFrame:
    """Return one comparison's rows: growth, CI, share growth, naive growth, composition."""
    stock = series.measure in STOCK_MEASURES
    y0, _ = _span_sums(totals, comp.quarters_from, stock)
    y1, _ = _span_sums(totals, comp.quarters_to, stock)
    ss0, _ = _span_sums(squares, comp.quarters_from, stock)  # sum over quarters and economies
    ss1, _ = _span_sums(squares, comp.quarters_to, stock)
    idx = totals.index
    out = pd.DataFrame(
        {
            "measure": series.measure,
            "subject": idx.get_level_values("subject"),
            "from": comp.label_from,
            "to": comp.label_to,
            "composition": composition,
            "count_from": y0,
            "count_to": y1,
        }
    )
    labels = pd.Series(idx.get_level_values("group")).str.split(" | ", regex=False)
    for i, col in enumerate(series.group_by):
        out[col] = labels.str[i].to_numpy()
    econ = (
        w[kept]
        .reset_index()
        .groupby(["group", "subject"])["country_iso3"]
        .agg(lambda c: sorted(map(str, c)))
    )
    out["economies"] = econ.reindex(idx).to_numpy()
    with np.errstate(divide="ignore", invalid="ignore"):
        lr = np.log(y1 / y0)
        if stock:
            out["growth"] = np.expm1(lr)
            out["status"] = "ok (stock: last quarter of each span; no CI: a census of accounts)"
        else:
            known = 1 / y0 + 1 / y1
            k = ss0 / y0**2 + ss1 / y1**2
            # a region's span sums carry each economy's year shock: s^2 sum_c Y_c^2 / Y^2
            econ = w[kept].fillna(0)
            e0, _ = _span_sums(econ, comp.quarters_from, stock)
            e1, _ = _span_sums(econ, comp.quarters_to, stock)
            grp = [econ.index.get_level_values(n) for n in ("group", "subject")]
            ky = (
                pd.Series(e0**2, index=econ.index).groupby(grp).sum().reindex(idx).to_numpy()
                / y0**2
                + pd.Series(e1**2, index=econ.index).groupby(grp).sum().reindex(idx).to_numpy()
                / y1**2
            )
            s2 = 0.0 if shocks is None else shocks.variance
            out["growth"] = np.expm1(lr)
            if disp is None:
                out["status"] = "no CI: noise not estimable"
            else:
                se = np.sqrt(known + disp.alpha * k + s2 * ky)
                df = np.array(
                    [
                        combined_df(a, b, disp, c, shocks)
                        for a, b, c in zip(known, k, ky, strict=True)
                    ]
                )
                q = stats.t.ppf(0.5 + ci_level / 2, df)
                out["ci_low"], out["ci_high"] = np.expm1(lr - q * se), np.expm1(lr + q * se)
                out["df"] = df
                out["status"] = np.where((y0 > 0) & (y1 > 0), "ok", "zero count")
                if dev_wide is not None:
                    d0, d1 = _developer_stock(dev_wide, w, kept, idx, comp)
                    slr = lr - np.log(d1 / d0)
                    out["share_growth"] = np.expm1(slr)
                    out["share_ci_low"] = np.expm1(slr - q * se)
                    out["share_ci_high"] = np.expm1(slr + q * se)
                    out["developers_from"], out["developers_to"] = d0, d1
    naive = w.fillna(0).groupby(level=["group", "subject"]).sum().reindex(idx)
    n0, _ = _span_sums(naive, comp.quarters_from, stock)
    n1, _ = _span_sums(naive, comp.quarters_to, stock)
    with np.errstate(divide="ignore", invalid="ignore"):
        out["naive_growth"] = np.where(n0 > 0, n1 / n0 - 1, np.nan)
    pub = w.notna()
    for side, qs in (("from", comp.quarters_from), ("to", comp.quarters_to)):
        span = qs[-1:] if stock else qs
        out[f"naive_economies_{side}"] = (
            pub[span].any(axis=1).groupby(level=["group", "subject"]).sum().reindex(idx).to_numpy()
        )
    top = drv.sort_values("count_to", ascending=False).drop_duplicates(["group", "subject"])
    top = top.set_index(["group", "subject"]).reindex(idx)
    out["dominant_economy"] = top["country_iso3"].to_numpy()
    out["dominant_share"] = top["share_to"].to_numpy()
    return out


def _developer_stock(
    dev_wide: pd.DataFrame, w: pd.DataFrame, kept: pd.Series, idx: pd.MultiIndex, comp: Comparison
) -> tuple[np.ndarray, np.ndarray]:
    """Return the developer stock of each group's economies at the end of each span.

    NaN where any of the economies has no published developer count then.
    """
    ends = [comp.quarters_from[-1], comp.quarters_to[-1]]
    members = w[kept].reset_index()[["group", "subject", "country_iso3"]]
    dev = dev_wide.reindex(columns=ends)
    key = pd.MultiIndex.from_frame(members[["group", "country_iso3"]])
    vals = dev.reindex(key).to_numpy(dtype=float)  # members x 2, NaN where unpublished
    m = pd.DataFrame(
        {
            "group": members["group"].to_numpy(),
            "subject": members["subject"].to_numpy(),
            "d0": vals[:, 0],
            "d1": vals[:, 1],
        }
    )
    g = m.groupby(["group", "subject"])
    sums = g[["d0", "d1"]].sum()
    incomplete = m[["d0", "d1"]].isna().groupby([m["group"], m["subject"]]).any()
    sums = sums.mask(incomplete).reindex(idx)
    return sums["d0"].to_numpy(dtype=float), sums["d1"].to_numpy(dtype=float)


def _drivers(wk: pd.DataFrame, comp: Comparison, stock: bool) -> pd.DataFrame:
    """Per economy: counts in both spans, change, share of its group, contribution to growth."""
    d = pd.DataFrame(
        {
            "count_from": _span_sums(wk, comp.quarters_from, stock)[0],
            "count_to": _span_sums(wk, comp.quarters_to, stock)[0],
        },
        index=wk.index,
    )
    d = d.reset_index()
    by = d.groupby(["group", "subject"])
    total0 = by["count_from"].transform("sum")
    total1 = by["count_to"].transform("sum")
    d["change"] = d["count_to"] - d["count_from"]
    d["share_to"] = (d["count_to"] / total1).where(total1 > 0)
    d["contribution"] = (d["change"] / total0).where(total0 > 0)
    d.insert(2, "from", comp.label_from)
    d.insert(3, "to", comp.label_to)
    return d.sort_values(
        ["group", "subject", "count_to"], ascending=[True, True, False], ignore_index=True
    )


def quarters_through(table: pd.DataFrame, as_of: str | None) -> pd.DataFrame:
    """Return the rows of quarters that ended on or before ``as_of`` (all rows when None)."""
    if as_of is None or table.empty:
        return table
    end = pd.to_datetime(table["period_start"]) + pd.offsets.QuarterEnd(0)
    return table[(end <= pd.Timestamp(as_of)).to_numpy()]


def complete_years(
    table: pd.DataFrame, measure: str, subjects: list[str] | None = None
) -> list[int]:
    """Return the calendar years whose four quarters hold rows of ``measure`` (and subjects).

    A topic that GitHub published only from some quarter on (``llm``) has its own complete
    years: the window is resolved on them, not on other topics'.
    """
    rows = table["measure"] == measure
    if subjects and "subject" in table:
        rows &= table["subject"].isin(subjects)
    d = table.loc[rows, "period_start"]
    q = pd.to_datetime(pd.Series(d.unique()))
    per_year = q.dt.year.value_counts()
    return sorted(int(y) for y, n in per_year.items() if n == 4)
