"""Geographic pay arbitrage: raw, adjusted, PPP and country ratios, and the team cost."""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from marketlib import arbitrage as ab
from marketlib import claims as cl
from marketlib.comparison import (
    ci_level_of,
    estimate_item,
    region_scheme,
    section_params,
    section_status,
)
from marketlib.frames import finite_or_none as _num
from marketlib.params import (
    ArbitrageParams,
)
from marketlib.publish.html import show
from marketlib.publish.text import (
    DASH,
    LEVEL_TEXT,
    base_adjective,
    ci_and_n,
    count,
    count_of,
    is_reported,
    not_estimated,
    pay_words,
    pct,
    pct_range,
)
from marketlib.results_view import HEADLINE_PAY, comparable_ratio
from marketlib.results_view import mapping as _map
from marketlib.results_view import rows as _rows
from marketlib.sections.arbitrage_hooks import (
    arbitrage_intro,
    history_rows,
    input_details,
    intro_phrase,
    quoted_rates_note,
    reading_notes,
)
from marketlib.sections.arbitrage_tables import (
    _arbitrage_parts,
    arbitrage_table,
    countries_table,
    funnel_table,
)
from marketlib.sections.base import Section, SectionSpec, optional, results_path
from marketlib.sources import (
    InputError,
    read_price_level_ratios,
    read_reference_table,
)
from marketlib.storage import read_clean_table


@dataclass
class ArbitrageSection(Section):
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
        members = "; ".join(
            f"{m.headcount:g} x {m.role_family} ({m.experience})" for m in self.params.team
        )
        text = f"team: {members or 'none in the parameters'}"
        if members and self.result.team is not None and len(self.result.team):
            text += (
                "\nPriced with the pooled adjusted model (every row weighed alike, so a "
                "group's largest country weighs most), not the equal-country ratio the "
                "tables lead with; its 5-95% band is the model's row-level uncertainty "
                "and leaves out how the group's countries differ."
            )
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
        rates = ", ".join(f"${r.claimed_hourly_usd:,.0f}/hr in {r.region}" for r in c.itertuples())
        hours = self.params.hours_per_year
        text = f"The claims quote {rates}."
        if len(top):
            text += (
                f" At {hours:,.0f} hours, ${float(top.iloc[0]):,.0f}/hr is "
                f"${float(top.iloc[0]) * hours:,.0f} a year."
            )
        if base != self.params.base:
            text += (
                f" Those rates are relative to {base}; this run's base is "
                f"{self.params.base}, so their ratios are not tested here."
            )
        return f"{text} {quoted_rates_note(self.params.rate_kind)}"

    @property
    def base_hourly_usd(self) -> pd.Series:
        """Return the base group's hourly pay (for the claims audit)."""
        return self.rows.loc[self.rows["group"] == self.params.base, "hourly_usd"]

    def to_results(self) -> dict[str, Any]:
        """Return the ``arbitrage`` section of results.json."""
        out = self.result.to_results()
        out["claimed_vs_data"] = json.loads(self.comparison.to_json(orient="records"))
        base = self.base_hourly_usd
        out["base_hourly_usd_quantiles"] = (
            {str(q): float(base.quantile(q)) for q in (0.5, 0.9, 0.95, 0.99)} if len(base) else {}
        )
        out["inputs"] = {self.provenance["path"]: self.provenance["sha256"]}
        if self.price_levels_file:
            out["price_levels_file"] = self.price_levels_file
        return out


def scope_of(params: ArbitrageParams) -> ab.Scope:
    """Return the arbitrage scope the parameters describe."""

    def tup(v: list[Any] | None) -> tuple[Any, ...] | None:
        return tuple(v) if v else None

    return ab.Scope(
        geography=params.geography,
        base=params.base,
        years=tup(params.years),
        rate_kind=params.rate_kind,
        employment_types=tup(params.employment_types),
        experience=tup(params.experience),
        role_families=tup(params.role_families),
        skills_all=tup(params.skills_all),
        skills_any=tup(params.skills_any),
        hours_per_year=params.hours_per_year,
    )


def run_arbitrage(
    params: ArbitrageParams,
    claims_path: str | Path | None = None,
    price_levels_path: str | Path | None = None,
    sensitivity_boot: int = 500,
) -> ArbitrageSection:
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
    plr = (
        read_price_level_ratios(price_levels_path)
        if params.ppp and price_levels_path is not None
        else None
    )
    team = [m.model_dump() for m in params.team]
    if params.engine == "dask":  # exact medians/CIs and HC3 ratios on Dask; the rest in pandas
        from marketlib.engines.dask_arbitrage import dask_run_arbitrage  # dask: only when asked

        result = dask_run_arbitrage(
            rates,
            scope,
            min_n=params.min_n,
            n_boot=params.n_boot,
            seed=params.seed,
            ci_level=params.ci_level,
            plr=plr,
            team=team,
            scheduler=params.scheduler,
        )
    else:
        result = ab.run_arbitrage(
            rates,
            scope,
            min_n=params.min_n,
            n_boot=params.n_boot,
            seed=params.seed,
            ci_level=params.ci_level,
            plr=plr,
            team=team,
        )
    rows, _ = ab.select_rates(rates, scope)
    base_pay = rows.loc[rows["group"] == scope.base, "hourly_usd"]
    comparison = (
        cl.claimed_vs_data(read_reference_table(claims_path), result, base_pay)
        if claims_path
        else pd.DataFrame()
    )
    sens = (
        ab.sensitivity(rates, scope, min_n=params.min_n, n_boot=sensitivity_boot, seed=params.seed)
        if sensitivity_boot
        else pd.DataFrame()
    )
    return ArbitrageSection(
        params,
        rows,
        provenance,
        result,
        comparison,
        sens,
        Path(price_levels_path).name if plr is not None and price_levels_path else None,
    )


#: Definitions that must agree for a section's estimates to be compared.
ARBITRAGE_DEFINITIONS = (
    "base",
    "geography",
    "hours_per_year",
    "rate_kind",
    "years",
    "employment_types",
    "experience",
    "role_families",
    "skills_all",
    "skills_any",
    "duplicates",
    "range_pairs",
    "exclude_outliers",
    "exclude_fx_mismatch",
)


def _arbitrage_definitions(results: Mapping[str, Any]) -> dict[str, Any]:
    arb = _map(results.get("arbitrage"))
    scope = _map(arb.get("scope"))
    par = section_params(results, "arbitrage")
    out: dict[str, Any] = {"scheme": region_scheme(results)}
    for key in ARBITRAGE_DEFINITIONS:
        for source in (arb, scope, par):
            if key in source:
                out[key] = source[key]
                break
    return out


#: The pay estimates a change report compares: (status key, results list, quantity, label,
#: value and interval fields, scale, whether the base group is skipped). A row is compared
#: when both runs have its value (without an interval it is "not testable"); an
#: equal-country figure only when both have its interval, as the pages show it only then.
_ESTIMATES: tuple[tuple[str, str, str, str, tuple[str, str, str], str, bool], ...] = (
    (
        "arbitrage",
        "regions",
        "ratio_to_base",
        "{g}'s pooled pay ratio to {base}",
        ("ratio_to_base", "ratio_ci_low", "ratio_ci_high"),
        "log",
        True,
    ),
    (
        "arbitrage",
        "regions",
        "equal_country_ratio",
        "{g}'s equal-country pay ratio to {base}",
        ("ratio_equal_country", "ratio_equal_country_ci_low", "ratio_equal_country_ci_high"),
        "log",
        True,
    ),
    (
        "adjusted",
        "adjusted",
        "adjusted_ratio_to_base",
        "{g}'s adjusted pay ratio",
        ("ratio_to_base", "ratio_ci_low", "ratio_ci_high"),
        "log",
        True,
    ),
    (
        "adjusted",
        "adjusted",
        "adjusted_equal_country_ratio",
        "{g}'s equal-country adjusted pay ratio",
        ("ratio_equal_country", "ratio_equal_country_ci_low", "ratio_equal_country_ci_high"),
        "log",
        True,
    ),
    (
        "team",
        "team",
        "team_savings",
        "{g}'s team-cost savings against {base} (90% band)",
        ("savings_p50", "savings_p05", "savings_p95"),
        "log1m",
        False,
    ),
)


def _arbitrage_estimates(
    previous: Mapping[str, Any], current: Mapping[str, Any], status: Mapping[str, Any]
) -> list[dict[str, Any]]:
    pa, ca = _map(previous.get("arbitrage")), _map(current.get("arbitrage"))
    base = str(ca.get("base") or "the base")
    levels = (
        ci_level_of(pa, section_params(previous, "arbitrage")),
        ci_level_of(ca, section_params(current, "arbitrage")),
    )
    out = []
    for check, rows, quantity, label, fields, scale, skip_base in _ESTIMATES:
        if not status[check]["comparable"]:
            continue
        old = {str(r.get("group")): r for r in _rows(pa.get(rows))}
        lo, hi = (0.90, 0.90) if scale == "log1m" else levels
        for r in _rows(ca.get(rows)):
            g = str(r.get("group"))
            o = old.get(g)
            needed = fields[1] if fields[0] == "ratio_equal_country" else fields[0]
            if (
                (skip_base and g == base)
                or o is None
                or r.get("reported") is False
                or o.get("reported") is False
                or _num(r.get(needed)) is None
                or _num(o.get(needed)) is None
            ):
                continue
            out.append(
                estimate_item(
                    "arbitrage",
                    g,
                    quantity,
                    label.format(g=g, base=base),
                    o,
                    r,
                    fields,
                    scale,
                    lo,
                    hi,
                    "savings" if scale == "log1m" else "ratio",
                )
            )
    return out


def _floor_crossings(
    previous: Mapping[str, Any], current: Mapping[str, Any]
) -> list[dict[str, Any]]:
    pa, ca = _map(previous.get("arbitrage")), _map(current.get("arbitrage"))
    old = {str(r.get("group")): r for r in _rows(pa.get("regions"))}
    out = []
    for r in _rows(ca.get("regions")):
        g = str(r.get("group"))
        o = old.get(g)
        was = bool(o.get("reported")) if o is not None else False
        now = bool(r.get("reported"))
        if was == now:
            continue
        out.append(
            {
                "section": "arbitrage",
                "group": g,
                "old_reported": was,
                "new_reported": now,
                "old_n": None if o is None else o.get("n"),
                "new_n": r.get("n"),
                "old_min_n": pa.get("min_n"),
                "new_min_n": ca.get("min_n"),
                "direction": "now reported" if now else "no longer reported",
            }
        )
    new_groups = {str(r.get("group")) for r in _rows(ca.get("regions"))}
    for g, o in old.items():
        if g not in new_groups and o.get("reported"):
            out.append(
                {
                    "section": "arbitrage",
                    "group": g,
                    "old_reported": True,
                    "new_reported": False,
                    "old_n": o.get("n"),
                    "new_n": None,
                    "old_min_n": pa.get("min_n"),
                    "new_min_n": ca.get("min_n"),
                    "direction": "no longer reported",
                }
            )
    return out


# --- the section's record: report, summary page, tables, change report ---------------------------


def _notebook_parameters(params: Any, data: Mapping[str, Any], out: Path) -> dict[str, Any]:
    return {
        **params.arbitrage.to_dict(),
        "rates_path": str(data["tables"]["rates"]),
        "claims_path": optional(data["files"]["claims"]),
        "price_levels_path": optional(data["ppp"]),
        "rates_source": data.get("rates_source"),
        "results_path": results_path(out, NAME),
        "figures_dir": str(out / "figures"),
    }


def _default_results(
    defaults: Any, processed: Path, raw: Path, seed: int, earlier: Mapping[str, Any]
) -> dict[str, Any]:
    return run_arbitrage(
        defaults.arbitrage.model_copy(
            update={"rates_path": str(processed / "rates.parquet"), "ppp": False, "seed": seed}
        ),
        raw / "claims" / "article_claims.csv",
        sensitivity_boot=0,
    ).to_results()


def _status(previous: Mapping[str, Any], current: Mapping[str, Any]) -> dict[str, Any]:
    """Raw ratios; adjusted ratios (adds the model's controls); team cost (adds the team)."""

    def has(part: str) -> Callable[[Mapping[str, Any]], bool]:
        return lambda r: bool(_rows(_map(r.get("arbitrage")).get(part)))

    def adj_defs(r: Mapping[str, Any]) -> dict[str, Any]:
        adj = _rows(_map(r.get("arbitrage")).get("adjusted"))
        controls = next((a.get("controls") for a in adj if a.get("controls")), None)
        return {**_arbitrage_definitions(r), "controls": controls}

    def team_defs(r: Mapping[str, Any]) -> dict[str, Any]:
        return {**adj_defs(r), "team": section_params(r, "arbitrage").get("team")}

    return {
        "arbitrage": section_status(
            "arbitrage", previous, current, has("regions"), _arbitrage_definitions
        ),
        "adjusted": section_status(
            "adjusted arbitrage", previous, current, has("adjusted"), adj_defs
        ),
        "team": section_status("team cost", previous, current, has("team"), team_defs),
    }


def arbitrage_findings(results: Mapping[str, Any]) -> tuple[list[str], list[str]]:
    """Return the pay sentences: comparable-specialist leads, the raw range, small groups.

    Leads are the article's regions first (else the largest samples), at most three; the
    summary gives them the sentences the other findings leave.
    """
    arb, raw, adjusted, base, floor = _arbitrage_parts(results)
    words = pay_words(arb.get("rate_kind"))
    raw_by_group = {str(r.get("group")): r for r in raw}
    others = _raw_range(arb, raw, adjusted, base)
    small = [r for r in raw if not is_reported(r)]
    if small:
        small.sort(key=lambda r: -(_num(r.get("n")) or 0))
        listed = "; ".join(
            f"{r.get('group', DASH)} {not_estimated(r.get('n'), floor)}" for r in small
        )
        others.append(f"Too few observations: {listed}.")
    claimed = [str(r.get("region")) for r in _rows(arb.get("claimed_vs_data"))]
    ranked = [g for g in claimed if g in adjusted and g != base]
    ranked += sorted(
        (g for g in adjusted if g not in ranked and g != base),
        key=lambda g: -(_num(adjusted[g].get("n")) or 0),
    )
    lead: list[str] = []
    for g in ranked:
        value, lo, hi, k = comparable_ratio(adjusted[g])
        if _num(value) is None or len(lead) == 3:
            continue
        raw_g = raw_by_group.get(g, {})
        n = adjusted[g].get("n", raw_g.get("n"))
        nc = raw_g.get("n_countries")
        of = f"{count(n)} rows" + (
            f" in {count_of(nc, 'country', 'countries')}" if _num(nc) else ""
        )
        if k:
            who = f"{g} (typical country)"
            n_text = (
                f"{count_of(k, 'country', 'countries')} averaged, "
                f"{count(adjusted[g].get('n_rows_averaged'))} of {of}"
            )
            ci = (
                f"{LEVEL_TEXT} {pct_range(lo, hi)}"
                if _num(lo) is not None
                else f"no interval: {count_of(k, 'country', 'countries')} too few to say "
                "how the region's others differ"
            )
        else:
            who, n_text = f"{g} (respondents pooled)", of
            ci = "no interval: no country has 10 rows, and the pooled figure only describes them"
        lead.append(
            f"{who}: a comparable {words.who} {words.earns} {pct(value)} of "
            f"{base_adjective(base)} ({ci}; {n_text})."
        )
    return lead, others


def _raw_range(
    arb: Mapping[str, Any], raw: list[dict[str, Any]], adjusted: Mapping[str, Any], base: str
) -> list[str]:
    """Return the sentence on the range of raw ratios (or the one raw ratio)."""
    est = [
        r
        for r in raw
        if is_reported(r)
        and str(r.get("group")) != base
        and _num(r.get("ratio_to_base")) is not None
    ]
    if len(est) >= 2:
        lo = min(est, key=lambda r: r["ratio_to_base"])
        hi = max(est, key=lambda r: r["ratio_to_base"])
        hours = _num(arb.get("hours_per_year"))
        h = f", {hours:,.0f} h a year" if hours else ""
        return [
            f"Raw medians ({pay_words(arb.get('rate_kind')).pay}{h}, not adjusted for role or "
            "experience) "
            f"range from {pct(lo['ratio_to_base'])} of {base_adjective(base)} in "
            f"{lo['group']} ({ci_and_n(lo, 'ratio_ci_low', 'ratio_ci_high')}) to "
            f"{pct(hi['ratio_to_base'])} in {hi['group']} "
            f"({ci_and_n(hi, 'ratio_ci_low', 'ratio_ci_high')})."
        ]
    if len(est) == 1 and not adjusted:
        r = est[0]
        return [
            f"{r['group']}: the raw median pay is {pct(r['ratio_to_base'])} of "
            f"{base_adjective(base)} ({ci_and_n(r, 'ratio_ci_low', 'ratio_ci_high')})."
        ]
    return []


def _summary(
    results: Mapping[str, Any], figures_dir: str | None, context: Mapping[str, Any]
) -> list[Any]:
    from IPython.display import Markdown

    from marketlib import figures  # matplotlib: loaded only by the pages that draw

    fig = figures.adjusted_ratio_forest(results["arbitrage"])
    figures.save(fig, figures_dir, "summary_adjusted_ratios")
    return [
        Markdown("## Pay: a comparable specialist, by region"),
        Markdown(arbitrage_intro(results)),
        show(arbitrage_table(results)),
        fig,
        Markdown("Which rows the pay estimates use, from the file to the table:"),
        show(funnel_table(results)),
    ]


def _check(params: Any, tables: Mapping[str, Path]) -> None:
    """Refuse a pay selection the section cannot estimate, before any notebook (exit 2).

    The section's own filters run on the clean pay table: a filter that leaves no rows, a base
    group with no rows, or a base below ``min_n`` is named in one line.
    """
    if tables.get("rates") is None:
        return
    scope = scope_of(params.arbitrage)
    try:
        rows, _ = ab.select_rates(pd.read_parquet(tables["rates"]), scope)
        ab.require_base(rows, scope, params.arbitrage.min_n)
    except ab.SelectionError as exc:
        raise InputError("arbitrage", str(exc)) from None


NAME = "geographic_arbitrage"


SPEC = SectionSpec(
    name=NAME,
    key="arbitrage",
    title="geographic pay arbitrage",
    history=history_rows,
    quantity_words={HEADLINE_PAY: "pay ratio to the base, a typical country (adjusted)"},
    input_details=input_details,
    intro=intro_phrase,
    reading_notes=reading_notes,
    brief_tables=(
        ("Pay by region", arbitrage_table),
        ("Where to hire: countries, cheapest first", lambda r: countries_table(r, 8)),
    ),
    brief_figures=(
        ("summary_adjusted_ratios", "Pay of a comparable specialist relative to the base"),
        ("arbitrage_countries", "Pay by country within each group"),
    ),
    notebook_parameters=_notebook_parameters,
    merge=lambda doc: {"arbitrage": doc},
    default_results=_default_results,
    comparisons=_status,
    estimates=_arbitrage_estimates,
    change_extras=lambda previous, current, status: {
        "groups_crossing_floor": (
            _floor_crossings(previous, current) if status["arbitrage"]["comparable"] else []
        )
    },
    status_words={
        "arbitrage": "raw pay ratios",
        "adjusted": "adjusted pay ratios",
        "team": "team cost",
    },
    findings=arbitrage_findings,
    tables={
        "pay_ratios": (
            ("arbitrage", "regions"),
            {
                "group": "group",
                "n_rows": "n",
                "n_countries": "n_countries",
                "top_country": "top_country",
                "top_country_share_fraction": "top_country_share",
                "reported": "reported",
                "median_usd_per_hour": "median_hourly_usd",
                "median_ci_low_usd_per_hour": "median_ci_low",
                "median_ci_high_usd_per_hour": "median_ci_high",
                "ratio_to_base": "ratio_to_base",
                "ratio_ci_low": "ratio_ci_low",
                "ratio_ci_high": "ratio_ci_high",
                "ratio_equal_country": "ratio_equal_country",
                "ratio_equal_country_ci_low": "ratio_equal_country_ci_low",
                "ratio_equal_country_ci_high": "ratio_equal_country_ci_high",
                "n_countries_averaged": "n_countries_averaged",
            },
        ),
        "adjusted_ratios": (
            ("arbitrage", "adjusted"),
            {
                "group": "group",
                "n_rows": "n",
                "ratio_to_base": "ratio_to_base",
                "ratio_ci_low": "ratio_ci_low",
                "ratio_ci_high": "ratio_ci_high",
                "ratio_equal_country": "ratio_equal_country",
                "ratio_equal_country_ci_low": "ratio_equal_country_ci_low",
                "ratio_equal_country_ci_high": "ratio_equal_country_ci_high",
                "n_countries_averaged": "n_countries_averaged",
            },
        ),
        "countries": (
            ("arbitrage", "countries"),
            {
                "country_iso3": "country_iso3",
                "group": "group",
                "n_rows": "n",
                "reported": "reported",
                "median_usd_per_hour": "median_hourly_usd",
                "ratio_to_base": "ratio_to_base",
                "ratio_ci_low": "ratio_ci_low",
                "ratio_ci_high": "ratio_ci_high",
                "ratio_shrunk": "ratio_shrunk",
                "reliability_flag": "flag",
            },
        ),
        "team_cost": (
            ("arbitrage", "team"),
            {
                "group": "group",
                "savings_p05_fraction": "savings_p05",
                "savings_p50_fraction": "savings_p50",
                "savings_p95_fraction": "savings_p95",
                "with_assumptions_p05_fraction": "with_assumptions_p05",
                "with_assumptions_p50_fraction": "with_assumptions_p50",
                "with_assumptions_p95_fraction": "with_assumptions_p95",
                "team_annual_cost_base_p50_usd": "team_annual_cost_base_p50",
                "team_annual_cost_p50_usd": "team_annual_cost_p50",
            },
        ),
        "pay_percentiles": (
            ("arbitrage", "percentiles"),
            {
                "dimension": "dimension",
                "group": "group",
                "key": "key",
                "n_rows": "n",
                "reported": "reported",
                "percentile_fraction": "percentile",
                "usd_per_hour": "hourly_usd",
                "ci_low_usd_per_hour": "ci_low",
                "ci_high_usd_per_hour": "ci_high",
            },
        ),
        "headline_ranks": (
            ("arbitrage", "ranks"),
            {
                "group": "group",
                "rank": "rank",
                "rank_low": "rank_low",
                "rank_high": "rank_high",
                "p_cheapest_fraction": "p_cheapest",
                "n_ranked": "n_ranked",
            },
        ),
        "pay_by_skill": (
            ("arbitrage", "skills"),
            {
                "skill": "skill",
                "group": "group",
                "n_rows": "n",
                "reported": "reported",
                "median_usd_per_hour": "median_hourly_usd",
                "median_ci_low_usd_per_hour": "ci_low",
                "median_ci_high_usd_per_hour": "ci_high",
                "ratio_to_base": "ratio_to_base",
                "ratio_ci_low": "ratio_ci_low",
                "ratio_ci_high": "ratio_ci_high",
            },
        ),
    },
    summary=_summary,
    check=_check,
)
