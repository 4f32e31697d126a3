"""Sections: one function per report section, built from one validated parameters object.

``run_growth``, ``run_arbitrage``, ``run_regional`` and ``run_claims`` read their declared
inputs (clean tables, typed reference files), run the models and return a section object with
``to_results()`` (its part of results.json) and ``save(path)``. The notebooks, the report runner
and the tests call these functions; none of them repeats their steps.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from marketlib import arbitrage as ab
from marketlib import claims as cl
from marketlib import growth as gr
from marketlib import prose
from marketlib.params import (
    ArbitrageParams,
    ClaimsParams,
    GrowthParams,
    RegionalParams,
    default_report_params,
)
from marketlib.periods import resolve_period_bounds, resolve_years
from marketlib.sources import (
    InputError,
    atomic_write_bytes,
    read_price_level_ratios,
    read_reference_table,
)
from marketlib.storage import read_clean_table


def save_json(data: dict[str, Any], path: str | Path) -> Path:
    """Write a results document atomically (UTF-8 JSON, sorted as built)."""
    p = Path(path)
    atomic_write_bytes(p, (json.dumps(data, indent=2, default=str) + "\n").encode("utf-8"))
    return p


def load_json(path: str | Path) -> dict[str, Any]:
    """Read a results document written by :func:`save_json`."""
    p = Path(path)
    if not p.is_file():
        raise InputError(p, "results file not found (run the notebook that writes it first)")
    try:
        return json.loads(p.read_text(encoding="utf-8"))
    except (ValueError, UnicodeDecodeError) as exc:
        raise InputError(p, f"not a JSON results file ({exc})") from exc


class _Section:
    """Shared behaviour: ``save`` writes ``to_results()`` atomically."""

    def to_results(self) -> dict[str, Any]:  # pragma: no cover - overridden
        """Return this section's part of results.json."""
        raise NotImplementedError

    def save(self, path: str | Path | None) -> Path | None:
        """Write ``to_results()`` to ``path`` (nothing when ``path`` is None)."""
        return None if path is None else save_json(self.to_results(), path)


# --- growth of certification counts ------------------------------------------------------------

@dataclass
class GrowthSection(_Section):
    """A growth run on a clean counts table, with the article's regional table beside it."""

    params: GrowthParams
    table: pd.DataFrame
    provenance: dict[str, Any]
    panel: gr.Panel
    fit: gr.GrowthFit
    article_growth: pd.DataFrame | None = None
    notes: list[str] = field(default_factory=list)

    def article_intervals(self) -> pd.DataFrame | None:
        """Return the article's claimed growth at plausible bases (None without the article)."""
        if self.article_growth is None or self.article_growth.empty:
            return None
        iv = cl.claimed_growth_intervals(self.article_growth)
        return iv.pivot_table(index=["region", "claimed_growth"], columns=["base_count"],
                              values="ci_low", aggfunc="min").reset_index()

    def article_check_text(self) -> str:
        """Say whether the published flows lie in the range the article's regions imply."""
        bounds = self.article_bounds
        if bounds is None:
            return "No article table in this run: nothing to set the published flows against."
        lo, hi = bounds
        lines = [f"A total over the article's regions must have grown between {lo:.0%} and "
                 f"{hi:.0%}."]
        for r in self.fit.period.dropna(subset=["growth"]).to_dict("records"):
            inside = "inside" if lo <= r["growth"] <= hi else "outside"
            lines.append(f"Published flow, {r['group']}, {r['from']} to {r['to']}: "
                         f"{r['growth']:+.0%} ({inside} that range).")
        return " ".join(lines)

    @property
    def article_bounds(self) -> tuple[float, float] | None:
        """Range any total of the article's regions must have grown in (None without it)."""
        if self.article_growth is None or self.article_growth.empty:
            return None
        return cl.total_growth_bounds(self.article_growth)

    def comparison_text(self) -> str:
        """Say how the groups compare: differentials, P(fastest), equal-growth test."""
        fit = self.fit
        if len(fit.differentials) == 0:
            return ("One group only: no growth differentials, no ranking and no equal-growth "
                    "test.")
        lines = ["Growth differentials (ratio of growth ratios to the base group):"]
        for r in fit.differentials.itertuples(index=False):
            ci = ("" if pd.isna(r.ci_low) else f" (95% CI {r.ci_low:.2f}-{r.ci_high:.2f})")
            value = "not estimable" if pd.isna(r.ratio_of_ratios) else f"{r.ratio_of_ratios:.2f}"
            lines.append(f"  {r.group} vs {r.base}: {value}{ci}")
        top = fit.p_fastest.idxmax()
        lines.append(f"P(fastest): {top} {fit.p_fastest.max():.3f}"
                     + (" (asserted)" if fit.p_fastest.max() >= 0.9 else " (below 0.9: no "
                        "ranking asserted)"))
        eq = fit.equal_growth
        lines.append("Equal-growth test: not possible" if eq is None else
                     f"Equal-growth test: F = {eq['statistic']:.2f}, p = {eq['p_value']:.3g}")
        return "\n".join(lines)

    def fitted_trend(self) -> pd.DataFrame:
        """Return the fitted trend and its band per group (for the observed-vs-trend plot)."""
        return gr.fitted_trend(self.panel, self.params.ci_level)

    def summed(self) -> str:
        """Say exactly what the counts add up: "CKA exam enrollments + CKAD exam registrations".

        A certification enters the panel when it has a flow in every period of the window; its
        metric (enrollments, registrations...) is named as the source names it.
        """
        t = self.table
        periods = set(self.panel.periods)
        if "certification" not in t or "count_basis" not in t:
            return "counts"
        flows = t[t["period"].astype(str).isin(periods)
                  & (t["count_basis"].astype(str) != "cumulative_first")]
        parts = []
        for cert, s in flows.groupby("certification", sort=True):
            if set(s["period"].astype(str)) != periods:
                continue
            metric = (str(s.sort_values("period")["metric"].iloc[-1]).replace("_", " ")
                      if "metric" in s else "counts")
            parts.append(f"{cert} {metric}")
        return " + ".join(parts) or "counts"

    def to_results(self) -> dict[str, Any]:
        """Return the ``growth`` section of results.json."""
        out = self.fit.to_results()
        out["summed"] = self.summed()
        out["inputs"] = {self.provenance["path"]: self.provenance["sha256"]}
        bounds = self.article_bounds
        if bounds is not None:
            out["article_total_bounds"] = {"low": bounds[0], "high": bounds[1]}
        return out


def run_growth(params: GrowthParams, article_growth_path: str | Path | None = None,
               as_of: str | None = None) -> GrowthSection:
    """Read the clean counts table ``params.counts_path`` and fit every growth estimator.

    The table is a ``certifications.parquet`` (``subjects`` are certification codes) written
    by ``marketlib clean``; the window, grouping and frequency come from ``params``.
    ``as_of``: periods ending after it are not used; ``latest`` bounds resolve to the latest
    period of the data at that date (a fixed end past the data is clamped, with a note).
    """
    if params.counts_path is None:
        raise InputError("counts_path", "no clean counts table given")
    table, provenance = read_clean_table(params.counts_path)
    labels = period_labels(table, params.freq, as_of)
    try:
        start, end, notes = resolve_period_bounds(params.start, params.end, labels)
    except ValueError as exc:
        raise gr.GrowthInputError(f"growth window: {exc}") from None
    params = params.model_copy(update={"start": start, "end": end})
    panel = gr.prepare_panel(table, params.group_by, params.freq, params.start, params.end,
                             params.subjects)
    fit = gr.fit_growth(panel, forecast_periods=params.forecast_periods,
                        ci_level=params.ci_level, seed=params.seed)
    article = read_reference_table(article_growth_path) if article_growth_path else None
    return GrowthSection(params, table, provenance, panel, fit, article, notes)


def period_labels(table: pd.DataFrame, freq: str, as_of: str | None = None) -> list[str]:
    """Return the table's period labels of ``freq`` that ended by ``as_of``, in time order."""
    from marketlib.periods import period_end

    d = table[table["freq"] == freq].drop_duplicates("period")
    if as_of is not None and len(d):
        ends = period_end(pd.to_datetime(d["period_start"]), freq)
        d = d[(ends <= pd.Timestamp(as_of)).to_numpy()]
    return d.sort_values("period_start")["period"].astype("str").tolist()


# --- geographic pay arbitrage --------------------------------------------------------------------

@dataclass
class ArbitrageSection(_Section):
    """An arbitrage run on the clean rates table, with the article's rates beside it."""

    params: ArbitrageParams
    rows: pd.DataFrame  # the analysis rows after the scope's filters
    provenance: dict[str, Any]
    result: ab.ArbitrageResult
    comparison: pd.DataFrame = field(default_factory=pd.DataFrame)
    sensitivity: pd.DataFrame = field(default_factory=pd.DataFrame)
    price_levels_file: str | None = None

    @property
    def reported_groups(self) -> list[str]:
        """Return the groups at or above the publication floor."""
        raw = self.result.raw
        return raw.loc[raw["reported"].astype(bool), "group"].tolist()

    @property
    def adjusted_ratios(self) -> pd.DataFrame | None:
        """Return the adjusted ratios (None when fewer than two groups could be compared)."""
        return None if self.result.adjusted is None else self.result.adjusted.ratios

    def team_text(self) -> str:
        """Return the team priced (from the parameters) and any member left out, in words."""
        members = "; ".join(f"{m.headcount:g} x {m.role_family} ({m.experience})"
                            for m in self.params.team)
        text = f"team: {members or 'none in the parameters'}"
        return text + (f"\n{self.team_note}" if self.team_note else "")

    @property
    def team_note(self) -> str:
        """Return why team members could not be priced (empty when all were)."""
        team = self.result.team
        return "" if team is None else str(team.attrs.get("note", ""))

    def claims_intro(self) -> str:
        """Return the sentence that introduces the quoted rates (from the claims file)."""
        c = self.comparison
        if c.empty:
            return "No quoted hourly rates in this run."
        base = c["claimed_base"].iloc[0] if "claimed_base" in c else self.params.base
        top = c.loc[c["region"] == base, "claimed_hourly_usd"]
        rates = ", ".join(f"${r.claimed_hourly_usd:,.0f}/hr in {r.region}"
                          for r in c.itertuples())
        hours = self.params.hours_per_year
        text = f"The claims quote {rates}."
        if len(top):
            text += (f" At {hours:,.0f} hours, ${float(top.iloc[0]):,.0f}/hr is "
                     f"${float(top.iloc[0]) * hours:,.0f} a year.")
        if base != self.params.base:
            text += (f" Those rates are relative to {base}; this run's base is "
                     f"{self.params.base}, so their ratios are not tested here.")
        return text

    @property
    def base_hourly_usd(self) -> pd.Series:
        """Return the base group's salary-equivalent hourly pay (for the claims audit)."""
        return self.rows.loc[self.rows["group"] == self.params.base, "hourly_usd"]

    def to_results(self) -> dict[str, Any]:
        """Return the ``arbitrage`` section of results.json."""
        out = self.result.to_results()
        out["claimed_vs_data"] = json.loads(self.comparison.to_json(orient="records"))
        base = self.base_hourly_usd
        out["base_hourly_usd_quantiles"] = {
            str(q): float(base.quantile(q)) for q in (0.5, 0.9, 0.95, 0.99)} if len(base) else {}
        out["inputs"] = {self.provenance["path"]: self.provenance["sha256"]}
        if self.price_levels_file:
            out["price_levels_file"] = self.price_levels_file
        return out


def scope_of(params: ArbitrageParams) -> ab.Scope:
    """Return the arbitrage scope the parameters describe."""
    def tup(v: list[Any] | None) -> tuple[Any, ...] | None:
        return tuple(v) if v else None

    return ab.Scope(geography=params.geography, base=params.base, years=tup(params.years),
                    rate_kind=params.rate_kind, employment_types=tup(params.employment_types),
                    experience=tup(params.experience), role_families=tup(params.role_families),
                    hours_per_year=params.hours_per_year)


def run_arbitrage(params: ArbitrageParams, claims_path: str | Path | None = None,
                  price_levels_path: str | Path | None = None,
                  sensitivity_boot: int = 500) -> ArbitrageSection:
    """Read the clean rates table ``params.rates_path`` and run every arbitrage estimator.

    ``price_levels_path``: the World Bank price level ratios (PPP), when ``params.ppp``;
    ``claims_path``: the article's claims, whose hourly rates are set beside the data.
    ``params.engine == "dask"``: the raw ratios (medians, order-statistic CIs, bootstrap) and
    the adjusted ratios (OLS + HC3) run on a Dask cluster (``params.scheduler``, or a local
    one) with the pandas engine's results; the selection, the median-regression check, PPP,
    gap trend, team cost and sensitivity stay in pandas on the selected rows.
    """
    if params.rates_path is None:
        raise InputError("rates_path", "no clean rates table given")
    rates, provenance = read_clean_table(params.rates_path)
    scope = scope_of(params)
    plr = (read_price_level_ratios(price_levels_path)
           if params.ppp and price_levels_path is not None else None)
    team = [m.model_dump() for m in params.team]
    if params.engine == "dask":  # exact medians/CIs and HC3 ratios on Dask; the rest in pandas
        from marketlib.engines.dask_arbitrage import dask_run_arbitrage

        result = dask_run_arbitrage(rates, scope, min_n=params.min_n, n_boot=params.n_boot,
                                    seed=params.seed, ci_level=params.ci_level, plr=plr,
                                    team=team, scheduler=params.scheduler)
    else:
        result = ab.run_arbitrage(rates, scope, min_n=params.min_n, n_boot=params.n_boot,
                                  seed=params.seed, ci_level=params.ci_level, plr=plr,
                                  team=team)
    rows, _ = ab.select_rates(rates, scope)
    base_pay = rows.loc[rows["group"] == scope.base, "hourly_usd"]
    comparison = (cl.claimed_vs_data(read_reference_table(claims_path), result, base_pay)
                  if claims_path else pd.DataFrame())
    sens = (ab.sensitivity(rates, scope, min_n=params.min_n, n_boot=sensitivity_boot,
                           seed=params.seed) if sensitivity_boot else pd.DataFrame())
    return ArbitrageSection(params, rows, provenance, result, comparison, sens,
                            Path(price_levels_path).name if plr is not None else None)


# --- regional growth of developer activity -------------------------------------------------------

@dataclass
class RegionalSection(_Section):
    """Regional growth of a clean activity table over constant economies, with its context."""

    params: RegionalParams
    table: pd.DataFrame
    provenance: dict[str, Any]
    growth: gr.RegionalGrowth
    developers: gr.RegionalGrowth | None
    article_growth: pd.DataFrame | None = None
    hong_kong: dict[str, Any] | None = None

    def intro(self) -> str:
        """Return what this run measures, over which years, and the claims beside it."""
        p = self.params
        what = (f"developers pushing to repositories tagged {prose.topic_list(p.subjects)}"
                if p.measure == "topic_pushers" else p.measure.replace("_", " "))
        text = (f"This run measures {what}, by {prose.geography_word(p.group_by[0])}, "
                f"calendar years {p.start} to {p.end}"
                + (f" and the latest {p.latest_quarters} quarters against the "
                   f"{p.latest_quarters} before them" if p.latest_quarters else "") + ".")
        a = self.article_growth
        if a is not None and len(a):
            claims = ", ".join(f"{r.region} {r.growth:+.0%}" for r in a.itertuples())
            text += (f" The audited article claims regional **certification** growth of "
                     f"{claims} ({int(a['period_from'].iloc[0])} to "
                     f"{int(a['period_to'].iloc[0])}), with no source, base counts or "
                     "definition: the proxy is set beside it.")
        else:
            text += " No article claims are set beside it in this run."
        return text

    @property
    def headline_subject(self) -> str:
        """Return the subject the section leads with (the first one asked for)."""
        subjects = self.params.subjects or sorted(self.growth.growth["subject"].unique())
        return subjects[0]

    def to_results(self) -> dict[str, Any]:
        """Return SPEC's ``regional`` rows and the detail behind them."""
        top = self.growth.drivers.sort_values("count_to", ascending=False)
        top = top.groupby(["group", "subject", "from", "to"], sort=True).head(3)
        return {
            "regional": self.growth.to_results(),
            "measure": self.growth.measure,
            "composition": self.growth.composition,
            "proxy_note": ("developer activity on GitHub (Innovation Graph), a proxy for "
                           "interest in a technology: pushers to tagged repositories are not "
                           "certificates"),
            "developers": [] if self.developers is None else self.developers.to_results(),
            "trend": json.loads(self.growth.trend.to_json(orient="records")),
            "dispersion": self.growth.dispersion,
            "drivers": json.loads(top.to_json(orient="records")),
            "notes": self.growth.notes,
            "china_hong_kong": self.hong_kong,
            "inputs": {self.provenance["path"]: self.provenance["sha256"]},
        }


def run_regional(params: RegionalParams, article_growth_path: str | Path | None = None,
                 as_of: str | None = None) -> RegionalSection:
    """Read the clean counts table ``params.counts_path`` and estimate regional growth.

    The main measure (``topic_pushers`` on the chosen topics by default) over a constant set of
    economies, with the developer stock beside it for the share growth and as context.
    ``as_of``: quarters ending after it are not used, and ``latest`` window bounds resolve to
    the latest complete year of the data at that date (a bound past the data is clamped, with
    a note; a window with nothing left is refused).
    """
    if params.counts_path is None:
        raise InputError("counts_path", "no clean activity table given")
    table, provenance = read_clean_table(params.counts_path)
    table = gr.quarters_through(table, as_of)
    complete = gr.complete_years(table, params.measure, params.subjects)
    try:
        start, end, window_notes = resolve_years(params.start, params.end, complete)
    except ValueError as exc:
        raise gr.GrowthInputError(f"regional window: {exc}") from None
    params = params.model_copy(update={"start": start, "end": end})
    common = dict(group_by=params.group_by, years=params.years,
                  latest_quarters=params.latest_quarters, composition=params.composition,
                  china_hong_kong=params.china_hong_kong, ci_level=params.ci_level)
    growth = gr.regional_growth(table, params.measure, params.subjects, **common)
    developers = (gr.regional_growth(table, "developers", None, **common)
                  if params.measure != "developers"
                  and "developers" in set(table["measure"].dropna()) else None)
    growth.notes[:0] = window_notes
    article = read_reference_table(article_growth_path) if article_growth_path else None
    section = RegionalSection(params, table, provenance, growth, developers, article)
    section.hong_kong = hong_kong_sensitivity(section, common)
    return section


def hong_kong_sensitivity(section: RegionalSection, common: dict[str, Any]
                          ) -> dict[str, Any] | None:
    """Return the China/Hong Kong rule's effect: the affected group, both results side by side.

    Under ``combine`` (or ``exclude``) China and Hong Kong leave every window where China is
    unpublished; the headline topic is re-estimated with ``keep`` (Hong Kong an ordinary
    economy) for the group they belong to, so the page can say what the rule changes.
    """
    p = section.params
    geo = p.group_by[0]
    where = section.table.loc[section.table["country_iso3"].isin(["HKG", "CHN"]), geo]
    if where.dropna().empty:
        return None
    group = str(where.dropna().iloc[0])
    subject = section.headline_subject
    main = section.growth.growth
    main = main[(main[geo] == group) & (main["subject"] == subject)]
    keep = main.iloc[0:0]
    if p.china_hong_kong != "keep":
        alt = gr.regional_growth(section.table, p.measure, [subject],
                                 **{**common, "china_hong_kong": "keep"})
        keep = alt.growth[alt.growth[geo] == group]

    def rows(frame: pd.DataFrame) -> list[dict[str, Any]]:
        cols = ["from", "to", "growth", "ci_low", "ci_high", "economies"]
        return json.loads(frame[[c for c in cols if c in frame]].to_json(orient="records"))

    return {"rule": p.china_hong_kong, "group": group, "subject": subject,
            "rows": rows(main), "keep_rows": rows(keep)}


# --- claims audit ------------------------------------------------------------------------------

@dataclass
class ClaimsSection(_Section):
    """Every claim with its verdict and one-line reason."""

    params: ClaimsParams
    audited: pd.DataFrame
    printed: pd.DataFrame

    def to_results(self) -> dict[str, Any]:
        """Return the ``claims`` part of results.json and the verdict counts."""
        return {"claims": cl.to_results(self.audited),
                "verdict_counts": cl.verdict_counts(self.audited)}


def run_claims(params: ClaimsParams) -> ClaimsSection:
    """Audit the article's claims against their own figures and the project's evidence.

    The evidence comes from the growth, arbitrage and regional results a report run wrote;
    when a results path is not given, that section runs here with its default parameters.
    """
    claims = read_reference_table(params.claims_path)
    unknown = set(claims["check"]) - set(cl.CHECKS)
    if unknown:
        raise InputError(params.claims_path, f"unknown check kind(s) {sorted(unknown)}")
    printed = read_reference_table(params.printed_path) if params.printed_path else None
    definitions = read_reference_table(params.definitions_path)
    defaults = default_report_params()
    if params.arbitrage_results_path:
        arbitrage = load_json(params.arbitrage_results_path)
    else:
        arb = defaults.arbitrage.model_copy(update={"rates_path": params.rates_path,
                                                    "ppp": False, "seed": params.seed})
        arbitrage = run_arbitrage(arb, params.claims_path, sensitivity_boot=0).to_results()
    growth = None  # no certification counts in the run: the claims needing them untestable
    if params.growth_results_path:
        growth = load_json(params.growth_results_path)
    elif params.certifications_path:
        grp = defaults.growth.model_copy(update={"counts_path": params.certifications_path,
                                                 "seed": params.seed})
        growth = run_growth(grp).to_results()
    regional = None
    if params.regional_results_path:
        regional = load_json(params.regional_results_path)
    elif params.activity_path and Path(params.activity_path).is_file():
        reg = defaults.regional.model_copy(update={"counts_path": params.activity_path,
                                                   "seed": params.seed})
        regional = run_regional(reg).to_results()
    evidence = cl.Evidence.from_results(claims, growth, arbitrage, regional)
    audited = cl.audit(claims, printed, definitions, evidence)
    return ClaimsSection(params, audited, printed if printed is not None else pd.DataFrame(
        columns=["stated_change"]))


# --- the summary page ----------------------------------------------------------------------------

def summary_results(growth_results_path: str | None, arbitrage_results_path: str | None,
                    regional_results_path: str | None, claims_results_path: str | None,
                    as_of: str, processed: str | Path = "../data/processed",
                    raw: str | Path = "../data/raw", seed: int = 0) -> dict[str, Any]:
    """Return the sections the summary page shows, as one results document.

    A report run passes the results its notebooks wrote; on its own (JupyterLab, nbval) the
    page computes each section here with the default report parameters, from the clean tables
    in ``processed`` and the typed files in ``raw``.
    """
    defaults = default_report_params()
    proc, rawp = Path(processed), Path(raw)
    if growth_results_path:
        growth = load_json(growth_results_path)
    else:
        growth = run_growth(defaults.growth.model_copy(update={
            "counts_path": str(proc / "certifications.parquet"), "seed": seed})).to_results()
    if arbitrage_results_path:
        arbitrage = load_json(arbitrage_results_path)
    else:
        arbitrage = run_arbitrage(defaults.arbitrage.model_copy(update={
            "rates_path": str(proc / "rates.parquet"), "ppp": False, "seed": seed}),
            rawp / "claims" / "article_claims.csv", sensitivity_boot=0).to_results()
    regional: dict[str, Any] | None = None
    if regional_results_path:
        regional = load_json(regional_results_path)
    elif (proc / "activity.parquet").is_file():
        regional = run_regional(defaults.regional.model_copy(update={
            "counts_path": str(proc / "activity.parquet"), "seed": seed})).to_results()
    if claims_results_path:
        claims = load_json(claims_results_path)
    else:
        claims = run_claims(ClaimsParams(
            claims_path=str(rawp / "claims" / "article_claims.csv"),
            definitions_path=str(rawp / "claims" / "cncf_definitions.csv"),
            printed_path=str(rawp / "certifications" / "cncf_published_counts.csv"),
            certifications_path=str(proc / "certifications.parquet"),
            rates_path=str(proc / "rates.parquet"),
            activity_path=str(proc / "activity.parquet"), seed=seed)).to_results()
    run = {"as_of": as_of, "params": defaults.to_dict(),
           "rates_source": "the aijobs.net salary survey"}
    return {"run": run, "growth": growth, "arbitrage": arbitrage,
            "regional": regional["regional"] if regional else None,
            "regional_detail": ({k: v for k, v in regional.items() if k != "regional"}
                                if regional else None),
            "claims": claims["claims"]}


__all__ = [
    "ArbitrageSection", "ClaimsSection", "GrowthSection", "RegionalSection", "load_json",
    "run_arbitrage", "run_claims", "run_growth", "run_regional", "save_json", "scope_of",
    "summary_results",
]
