"""Certification growth: counts, trends and forecasts of one parameters object."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from marketlib import claims as cl
from marketlib import growth as gr
from marketlib.comparison import (
    ci_level_of,
    estimate_item,
    group_text,
    region_scheme,
    section_params,
    section_status,
)
from marketlib.frames import finite_or_none as _num
from marketlib.growth.panel import check_counts_table
from marketlib.params import (
    GrowthParams,
)
from marketlib.periods import period_end, resolve_period_bounds
from marketlib.publish.html import show
from marketlib.publish.text import (
    DASH,
    LEVEL_TEXT,
    count,
    display_text,
    group_label,
    pct,
    pct_ci,
    pct_range,
    results_part,
    rows_frame,
)
from marketlib.results_view import mapping as _map
from marketlib.results_view import rows as _rows
from marketlib.sections.base import Section, SectionSpec, optional, results_path
from marketlib.sources import (
    InputError,
    read_reference_table,
)
from marketlib.storage import read_clean_table


@dataclass
class GrowthSection(Section):
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
        return iv.pivot_table(
            index=["region", "claimed_growth"],
            columns=["base_count"],
            values="ci_low",
            aggfunc="min",
        ).reset_index()

    def article_check_text(self) -> str:
        """Say whether the published flows lie in the range the article's regions imply."""
        bounds = self.article_bounds
        if bounds is None:
            return "No article table in this run: nothing to set the published flows against."
        lo, hi = bounds
        lines = [
            f"A total over the article's regions must have grown between {lo:.0%} and {hi:.0%}."
        ]
        for r in self.fit.period.dropna(subset=["growth"]).to_dict("records"):
            inside = "inside" if lo <= r["growth"] <= hi else "outside"
            lines.append(
                f"Published flow, {r['group']}, {r['from']} to {r['to']}: "
                f"{r['growth']:+.0%} ({inside} that range)."
            )
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
            return "One group only: no growth differentials, no ranking and no equal-growth test."
        lines = ["Growth differentials (ratio of growth ratios to the base group):"]
        for r in fit.differentials.itertuples(index=False):
            ci = "" if pd.isna(r.ci_low) else f" (95% CI {r.ci_low:.2f}-{r.ci_high:.2f})"
            value = "not estimable" if pd.isna(r.ratio_of_ratios) else f"{r.ratio_of_ratios:.2f}"
            lines.append(f"  {r.group} vs {r.base}: {value}{ci}")
        top = fit.p_fastest.idxmax()
        lines.append(
            f"P(fastest): {top} {fit.p_fastest.max():.3f}"
            + (" (asserted)" if fit.p_fastest.max() >= 0.9 else " (below 0.9: no ranking asserted)")
        )
        eq = fit.equal_growth
        lines.append(
            "Equal-growth test: not possible"
            if eq is None
            else f"Equal-growth test: F = {eq['statistic']:.2f}, p = {eq['p_value']:.3g}"
        )
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
        flows = t[
            t["period"].astype(str).isin(periods)
            & (t["count_basis"].astype(str) != "cumulative_first")
        ]
        parts = []
        for cert, s in flows.groupby("certification", sort=True):
            if set(s["period"].astype(str)) != periods:
                continue
            metric = (
                str(s.sort_values("period")["metric"].iloc[-1]).replace("_", " ")
                if "metric" in s
                else "counts"
            )
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


def run_growth(
    params: GrowthParams, article_growth_path: str | Path | None = None, as_of: str | None = None
) -> GrowthSection:
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
    panel = gr.prepare_panel(
        table, params.group_by, params.freq, params.start, params.end, params.subjects
    )
    fit = gr.fit_growth(
        panel, forecast_periods=params.forecast_periods, ci_level=params.ci_level, seed=params.seed
    )
    article = read_reference_table(article_growth_path) if article_growth_path else None
    return GrowthSection(params, table, provenance, panel, fit, article, notes)


def period_labels(table: pd.DataFrame, freq: str, as_of: str | None = None) -> list[str]:
    """Return the table's period labels of ``freq`` that ended by ``as_of``, in time order."""
    d = table[table["freq"] == freq].drop_duplicates("period")
    if as_of is not None and len(d):
        ends = period_end(pd.to_datetime(d["period_start"]), freq)
        d = d[(ends <= pd.Timestamp(as_of)).to_numpy()]
    return d.sort_values("period_start")["period"].astype("str").tolist()


def growth_table(results: Mapping[str, Any] | None) -> pd.DataFrame:
    """Return the certification growth table: period changes, annual trends and forecasts.

    Reads a ``results.json`` document. Columns: Group, Estimate, Period, Value (95%
    interval), Counts / basis.
    """
    growth = results_part(results, "growth")
    growth = growth if isinstance(growth, Mapping) else {}
    cols = ["Group", "Estimate", "Period", "Value (95% interval)", "Counts / basis"]
    rows: list[dict[str, Any]] = []
    for r in _rows(growth.get("period_growth")):
        basis = (
            f"{count(r.get('count_from'))} to {count(r.get('count_to'))}"
            if _num(r.get("count_from")) is not None
            else DASH
        )
        status = r.get("status")
        value = (
            pct_ci(r.get("growth"), r.get("ci_low"), r.get("ci_high"))
            if _num(r.get("growth")) is not None
            else f"not estimated ({display_text(status)})"
            if status
            else "not estimated"
        )
        rows.append(
            {
                "Group": group_label(r.get("group")),
                "Estimate": "Change",
                "Period": f"{r.get('from', DASH)} to {r.get('to', DASH)}",
                "Value (95% interval)": value,
                "Counts / basis": basis,
                "_o": 0,
            }
        )
    periods = growth.get("periods") if isinstance(growth.get("periods"), list) else []
    span = f"{periods[0]}-{periods[-1]}" if periods else DASH
    for r in _rows(growth.get("trend")):
        value = (
            pct_ci(r.get("annual_growth"), r.get("ci_low"), r.get("ci_high"))
            if _num(r.get("annual_growth")) is not None
            else "not estimated"
        )
        n_p = r.get("n_periods")
        model = {"wls_log": "log-linear trend", "negbin": "negative binomial trend"}.get(
            str(r.get("model")), display_text(r.get("model"))
        )
        basis = model + (f", {count(n_p)} periods" if _num(n_p) else "")
        rows.append(
            {
                "Group": group_label(r.get("group")),
                "Estimate": "Annual trend",
                "Period": span,
                "Value (95% interval)": value,
                "Counts / basis": basis,
                "_o": 1,
            }
        )
    for r in _rows(growth.get("forecast")):
        if _num(r.get("mean")) is None:
            value = "not estimated"
        elif _num(r.get("pi_low")) is not None and _num(r.get("pi_high")) is not None:
            value = f"{count(r['mean'])} ({count(r['pi_low'])} to {count(r['pi_high'])})"
        else:
            value = count(r.get("mean"))
        pi80 = (
            f"80% interval {count(r.get('pi80_low'))} to {count(r.get('pi80_high'))}"
            if _num(r.get("pi80_low")) is not None
            else "prediction interval"
        )
        rows.append(
            {
                "Group": group_label(r.get("group")),
                "Estimate": "Forecast (count)",
                "Period": display_text(r.get("period")),
                "Value (95% interval)": value,
                "Counts / basis": pi80,
                "_o": 2,
            }
        )
    rows.sort(key=lambda r: (r["Group"], r["_o"], r["Period"]))
    return rows_frame(rows, cols)


GROWTH_DEFINITIONS = ("freq", "group_by", "start", "end", "subjects")


def _growth_definitions(results: Mapping[str, Any]) -> dict[str, Any]:
    growth = _map(results.get("growth"))
    par = section_params(results, "growth")
    out: dict[str, Any] = {"scheme": region_scheme(results)}
    for key in GROWTH_DEFINITIONS:
        if key in growth and key in ("freq", "group_by"):
            out[key] = growth[key]
        elif key in par:
            out[key] = par[key]
    return out


def _growth_estimates(
    previous: Mapping[str, Any], current: Mapping[str, Any]
) -> list[dict[str, Any]]:
    pg, cg = _map(previous.get("growth")), _map(current.get("growth"))
    lo_, ln_ = (
        ci_level_of(pg, section_params(previous, "growth")),
        ci_level_of(cg, section_params(current, "growth")),
    )

    def key(r: Mapping[str, Any]) -> str:
        return f"{group_text(r.get('group'))} {r.get('from')} to {r.get('to')}"

    old = {key(r): r for r in _rows(pg.get("period_growth"))}
    out = []
    for r in _rows(cg.get("period_growth")):
        k = key(r)
        if k not in old:
            continue
        g = group_text(r.get("group"))
        where = "worldwide" if g.lower() in ("all", "world") else f"in {g}"
        out.append(
            estimate_item(
                "growth",
                k,
                "period_growth",
                f"Certification growth {where}, {r.get('from')} to {r.get('to')},",
                old[k],
                r,
                ("growth", "ci_low", "ci_high"),
                "log1p",
                lo_,
                ln_,
                "growth",
                {"group": r.get("group"), "from": r.get("from"), "to": r.get("to")},
            )
        )
    return out


# --- the section's record: report, summary page, tables, change report ---------------------------


def _notebook_parameters(params: Any, data: Mapping[str, Any], out: Path) -> dict[str, Any]:
    return {
        **params.growth.to_dict(),
        "counts_path": str(data["tables"]["certifications"]),
        "article_growth_path": optional(data["files"]["claims_growth"]),
        "as_of": params.run_date().isoformat(),
        "results_path": results_path(out, NAME),
        "figures_dir": str(out / "figures"),
    }


def _default_results(
    defaults: Any, processed: Path, raw: Path, seed: int, earlier: Mapping[str, Any]
) -> dict[str, Any]:
    return run_growth(
        defaults.growth.model_copy(
            update={"counts_path": str(processed / "certifications.parquet"), "seed": seed}
        )
    ).to_results()


def _status(previous: Mapping[str, Any], current: Mapping[str, Any]) -> dict[str, Any]:
    return {
        "growth": section_status(
            "certification growth",
            previous,
            current,
            lambda r: bool(_rows(_map(r.get("growth")).get("period_growth"))),
            _growth_definitions,
        )
    }


def _estimates(
    previous: Mapping[str, Any], current: Mapping[str, Any], status: Mapping[str, Any]
) -> list[dict[str, Any]]:
    return _growth_estimates(previous, current) if status["growth"]["comparable"] else []


def growth_findings(results: Mapping[str, Any]) -> tuple[list[str], list[str]]:
    """Return the key-finding sentence of the published world totals (no lead sentences)."""
    growth = results_part(results, "growth")
    growth = growth if isinstance(growth, Mapping) else {}
    out = []
    for r in _rows(growth.get("period_growth"))[:1]:
        if _num(r.get("growth")) is None:
            continue
        where = group_label(r.get("group"))
        where = "worldwide" if where in ("World", "All") else f"in {where}"
        counts = ""
        if _num(r.get("count_from")) is not None and _num(r.get("count_to")) is not None:
            counts = f"; {count(r['count_from'])} to {count(r['count_to'])}"
        what = str(growth.get("summed") or "exam registrations")
        ci = (
            f"{LEVEL_TEXT} {pct_range(r.get('ci_low'), r.get('ci_high'), signed=True)}"
            if _num(r.get("ci_low")) is not None
            else "exact change of published totals, no interval"
        )
        out.append(
            f"CNCF {what} {where} changed {pct(r['growth'], signed=True)} from "
            f"{r.get('from', DASH)} to {r.get('to', DASH)} ({ci}{counts}): published world "
            "totals, so no regional certification growth can be measured."
        )
    return [], out


def _summary(
    results: Mapping[str, Any], figures_dir: str | None, context: Mapping[str, Any]
) -> list[Any]:
    from IPython.display import Markdown

    return [Markdown("## Certification counts (CNCF, world)"), show(growth_table(results))]


def _check(params: Any, tables: Mapping[str, Path]) -> None:
    """Refuse groups or a frequency the counts cannot give, before any notebook (exit 2)."""
    if tables.get("certifications") is None:
        return
    try:
        check_counts_table(
            pd.read_parquet(tables["certifications"]), params.growth.group_by, params.growth.freq
        )
    except gr.GrowthInputError as exc:
        raise InputError("growth", str(exc)) from None


NAME = "certification_growth"


def _history(results: Mapping[str, Any]) -> list[dict[str, Any]]:
    """Return each group's period growth of certification counts (n: the later count)."""
    out = []
    for r in _rows(_map(results.get("growth")).get("period_growth")):
        grp = r.get("group")
        g = " | ".join(str(v) for v in grp.values()) if isinstance(grp, Mapping) else str(grp)
        out.append(
            {
                "key": f"{g} | {r.get('from')}->{r.get('to')}",
                "quantity": "period_growth",
                "value": r.get("growth"),
                "ci_low": r.get("ci_low"),
                "ci_high": r.get("ci_high"),
                "n": r.get("count_to"),
            }
        )
    return out


def _input_details(
    previous: Mapping[str, Any], current: Mapping[str, Any]
) -> dict[str, dict[str, Any]]:
    """Return the certification table's change between two runs: periods it gained."""
    pp = _map(previous.get("growth")).get("periods")
    cp = _map(current.get("growth")).get("periods")
    if isinstance(pp, list) and isinstance(cp, list):
        new_p = [p for p in cp if p not in pp]
        if new_p:
            return {"certifications": {"new_periods": new_p}}
    return {}


def _intro(results: Mapping[str, Any]) -> str | None:
    if not _map(results.get("growth")).get("period_growth"):
        return None
    return "how published certification counts changed"


def _reading_notes(results: Mapping[str, Any]) -> list[str]:
    if not results.get("growth"):
        return []
    return [
        "CNCF publishes world totals of exam registrations and enrollments, not "
        "passes and not regions."
    ]


SPEC = SectionSpec(
    name=NAME,
    key="growth",
    title="certification growth",
    history=_history,
    quantity_words={"period_growth": "growth of certification counts"},
    input_details=_input_details,
    intro=_intro,
    reading_notes=_reading_notes,
    brief_tables=(("Certification counts (CNCF, world)", growth_table),),
    optional_input="certifications",
    skip_reason="no certification counts (inputs.certifications: null)",
    notebook_parameters=_notebook_parameters,
    merge=lambda doc: {"growth": doc},
    default_results=_default_results,
    comparisons=_status,
    estimates=_estimates,
    status_words={"growth": "certification growth"},
    findings=growth_findings,
    tables={
        "certification_growth": (
            ("growth", "period_growth"),
            {
                "group": "group",
                "from": "from",
                "to": "to",
                "growth_fraction": "growth",
                "growth_ci_low_fraction": "ci_low",
                "growth_ci_high_fraction": "ci_high",
                "count_from": "count_from",
                "count_to": "count_to",
                "status": "status",
            },
        )
    },
    summary=_summary,
    check=_check,
)
