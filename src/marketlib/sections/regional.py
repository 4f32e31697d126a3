"""Regional growth of developer activity (a proxy, never certificates)."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from marketlib import growth as gr
from marketlib import prose
from marketlib.comparison import (
    ci_level_of,
    estimate_item,
    region_scheme,
    section_params,
    section_status,
)
from marketlib.frames import finite_or_none as _num
from marketlib.growth.quarterly import quarterly_totals
from marketlib.params import (
    RegionalParams,
)
from marketlib.periods import resolve_years
from marketlib.prose import topic_name
from marketlib.publish.html import show
from marketlib.publish.text import (
    DASH,
    LEVEL_TEXT,
    display_text,
    measure_label,
    pct,
    pct_ci,
    pct_range,
    plural_word,
    results_part,
    rows_frame,
)
from marketlib.results_view import rows as _rows
from marketlib.sections.base import Section, SectionSpec, optional, results_path
from marketlib.sections.regional_hooks import (
    history_rows,
    input_details,
    intro_phrase,
    reading_notes,
    regional_subjects,
)
from marketlib.sources import (
    InputError,
    read_reference_table,
)
from marketlib.storage import read_clean_table


@dataclass
class RegionalSection(Section):
    """Regional growth of a clean activity table over constant economies, with its context."""

    params: RegionalParams
    table: pd.DataFrame
    provenance: dict[str, Any]
    growth: gr.RegionalGrowth
    developers: gr.RegionalGrowth | None
    article_growth: pd.DataFrame | None = None
    hong_kong: dict[str, Any] | None = None

    def quarterly(self) -> pd.DataFrame:
        """Return the headline topic's quarterly counts per group over the window's years."""
        years = [
            int(str(v))
            for col in ("from", "to")
            for v in self.growth.growth[col]
            if str(v).isdigit()
        ]
        return quarterly_totals(
            self.table,
            self.params.measure,
            self.headline_subject,
            self.params.group_by,
            self.params.china_hong_kong,
            min(years, default=None),
            max(years, default=None),
        )

    def intro(self) -> str:
        """Return what this run measures, over which years, and the claims beside it."""
        p = self.params
        what = (
            f"developers pushing to repositories tagged {prose.topic_list(p.subjects)}"
            if p.measure == "topic_pushers"
            else p.measure.replace("_", " ")
        )
        text = (
            f"This run measures {what}, by {prose.geography_word(p.group_by[0])}, "
            f"calendar years {p.start} to {p.end}"
            + (
                f" and the latest {p.latest_quarters} quarters against the "
                f"{p.latest_quarters} before them"
                if p.latest_quarters
                else ""
            )
            + "."
        )
        a = self.article_growth
        if a is not None and len(a):
            claims = ", ".join(f"{r.region} {r.growth:+.0%}" for r in a.itertuples())
            text += (
                f" The audited article claims regional **certification** growth of "
                f"{claims} ({int(a['period_from'].iloc[0])} to "
                f"{int(a['period_to'].iloc[0])}), with no source, base counts or "
                "definition: the proxy is set beside it."
            )
        else:
            text += " No article claims are set beside it in this run."
        return text

    @property
    def headline_subject(self) -> str:
        """Return the subject the section leads with (the first one asked for)."""
        subjects = self.params.subjects or sorted(self.growth.growth["subject"].unique())
        return subjects[0]

    def to_results(self) -> dict[str, Any]:
        """Return the contract's ``regional`` rows and the detail behind them."""
        top = self.growth.drivers.sort_values("count_to", ascending=False)
        top = top.groupby(["group", "subject", "from", "to"], sort=True).head(3)
        return {
            "regional": self.growth.to_results(),
            "measure": self.growth.measure,
            "composition": self.growth.composition,
            "proxy_note": (
                "developer activity on GitHub (Innovation Graph), a proxy for "
                "interest in a technology: pushers to tagged repositories are not "
                "certificates"
            ),
            "developers": [] if self.developers is None else self.developers.to_results(),
            "trend": json.loads(self.growth.trend.to_json(orient="records")),
            "dispersion": self.growth.dispersion,
            "drivers": json.loads(top.to_json(orient="records")),
            "notes": self.growth.notes,
            "china_hong_kong": self.hong_kong,
            "inputs": {self.provenance["path"]: self.provenance["sha256"]},
        }


def run_regional(
    params: RegionalParams, article_growth_path: str | Path | None = None, as_of: str | None = None
) -> RegionalSection:
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
    gr.check_measure(table, params.measure, params.subjects, params.group_by)
    complete = gr.complete_years(table, params.measure, params.subjects)
    try:
        start, end, window_notes = resolve_years(params.start, params.end, complete)
    except ValueError as exc:
        raise gr.GrowthInputError(f"regional window: {exc}") from None
    params = params.model_copy(update={"start": start, "end": end})
    common: dict[str, Any] = dict(  # regional_growth's keywords, shared by every call
        group_by=params.group_by,
        years=params.years,
        latest_quarters=params.latest_quarters,
        composition=params.composition,
        china_hong_kong=params.china_hong_kong,
        ci_level=params.ci_level,
    )
    growth = gr.regional_growth(table, params.measure, params.subjects, **common)
    developers = (
        gr.regional_growth(table, "developers", None, **common)
        if params.measure != "developers" and "developers" in set(table["measure"].dropna())
        else None
    )
    growth.notes[:0] = window_notes
    article = read_reference_table(article_growth_path) if article_growth_path else None
    section = RegionalSection(params, table, provenance, growth, developers, article)
    section.hong_kong = hong_kong_sensitivity(section, common)
    return section


def hong_kong_sensitivity(
    section: RegionalSection, common: dict[str, Any]
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
        alt = gr.regional_growth(
            section.table, p.measure, [subject], **{**common, "china_hong_kong": "keep"}
        )
        keep = alt.growth[alt.growth[geo] == group]

    def rows(frame: pd.DataFrame) -> list[dict[str, Any]]:
        cols = ["from", "to", "growth", "ci_low", "ci_high", "economies"]
        return json.loads(frame[[c for c in cols if c in frame]].to_json(orient="records"))

    return {
        "rule": p.china_hong_kong,
        "group": group,
        "subject": subject,
        "rows": rows(main),
        "keep_rows": rows(keep),
    }


def headline_regional(results: Mapping[str, Any] | None) -> list[dict[str, Any]]:
    """Return the ``regional`` rows of the headline measure and subject (the first row's)."""
    rows = _rows(results_part(results, "regional"))
    if not rows:
        return []
    first = rows[0]
    return [
        r
        for r in rows
        if r.get("measure") == first.get("measure") and r.get("subject") == first.get("subject")
    ]


def _comparisons(rows: list[dict[str, Any]]) -> list[tuple[str, str]]:
    return list(dict.fromkeys((str(r.get("from")), str(r.get("to"))) for r in rows))


def topics_table(results: Mapping[str, Any] | None) -> pd.DataFrame:
    """Return every requested topic's growth by region, for the latest calendar years.

    One row per region, one column per topic (in the order asked for), each cell the growth
    and its 95% CI, so that no topic the run measured is left off the summary page.
    """
    rows = _rows(results_part(results, "regional"))
    subjects = regional_subjects(results)
    if not rows or not subjects:
        return rows_frame([], ["Region"])
    measure = rows[0].get("measure")
    years = [c for c in _comparisons(rows) if c[0].isdigit() and c[1].isdigit()]
    if not years:
        return rows_frame([], ["Region"])
    latest = years[-1]
    cols = ["Region", *[f"{topic_name(s)}, {latest[0]} to {latest[1]}" for s in subjects]]
    table: dict[str, dict[str, str]] = {}
    for r in rows:
        if (
            r.get("measure") != measure
            or (str(r.get("from")), str(r.get("to"))) != latest
            or r.get("subject") not in subjects
        ):
            continue
        reg = display_text(r.get("region"))
        cell = (
            f"{pct(r.get('growth'), signed=True)} "
            f"({pct_range(r.get('ci_low'), r.get('ci_high'), signed=True)})"
            if _num(r.get("growth")) is not None
            else DASH
        )
        table.setdefault(reg, {"Region": reg})[
            f"{topic_name(r.get('subject'))}, {latest[0]} to {latest[1]}"
        ] = cell
    return rows_frame(list(table.values()), cols)


def regional_table(results: Mapping[str, Any] | None) -> pd.DataFrame:
    """Return the regional activity-growth table of the headline topic (a proxy).

    One row per region, one column per comparison (calendar years, then the latest four
    quarters), the latest calendar year's growth relative to the region's developer stock, and
    the economies summed. Sorted by the latest calendar year's growth.

    Parameters
    ----------
    results : dict
        A ``results.json`` document; without a ``regional`` section the table is empty.

    Returns
    -------
    pandas.DataFrame
        At most 7 columns, every cell text.
    """
    rows = headline_regional(results)
    if not rows:
        return rows_frame([], ["Region", "Growth (95% CI)"])
    comps = _comparisons(rows)[:4]
    years = [c for c in comps if c[0].isdigit() and c[1].isdigit()]
    latest_year = years[-1] if years else comps[-1]
    label = {c: f"{c[0]} to {c[1]}" for c in comps}
    cols = [
        "Region",
        *[label[c] for c in comps],
        f"Relative to all developers, {label[latest_year]}",
        "Economies",
    ]
    by_region: dict[str, dict[str, Any]] = {}
    for r in rows:
        reg = display_text(r.get("region"))
        item = by_region.setdefault(reg, {"Region": reg, "_sort": 0.0})
        c = (str(r.get("from")), str(r.get("to")))
        if c not in label:
            continue
        item[label[c]] = (
            pct_ci(r.get("growth"), r.get("ci_low"), r.get("ci_high"))
            if _num(r.get("growth")) is not None
            else "not estimated"
        )
        if c == latest_year:
            item[cols[-2]] = pct_ci(
                r.get("share_growth"), r.get("share_ci_low"), r.get("share_ci_high")
            )
            econ = r.get("economies") or []
            item["Economies"] = (
                ", ".join(econ) if len(econ) <= 4 else f"{len(econ)} ({', '.join(econ[:3])}, ...)"
            )
            item["_sort"] = -(_num(r.get("growth")) or 0.0)
    out = sorted(by_region.values(), key=lambda r: r["_sort"])
    return rows_frame([{k: v for k, v in r.items() if k != "_sort"} for r in out], cols)


REGIONAL_DEFINITIONS = (
    "measure",
    "subjects",
    "group_by",
    "freq",
    "start",
    "end",
    "latest_quarters",
    "composition",
    "china_hong_kong",
)


def _regional_definitions(results: Mapping[str, Any]) -> dict[str, Any]:
    par = section_params(results, "regional")
    out: dict[str, Any] = {"scheme": region_scheme(results)}
    out.update({k: par[k] for k in REGIONAL_DEFINITIONS if k in par})
    comps = sorted(
        {
            str(r.get("composition"))
            for r in _rows(results.get("regional"))
            if r.get("composition") is not None
        }
    )
    if comps and "composition" not in out:
        out["composition"] = comps[0] if len(comps) == 1 else comps
    return out


_GEO = ("region", "subregion", "country_iso3")


def _measure_text(measure: Any, subject: Any) -> str:
    if measure == "topic_pushers":
        return f"{subject or 'topic'} pushers"
    return str(measure or "activity").replace("_", " ")


def _regional_key(r: Mapping[str, Any]) -> tuple[str, dict[str, Any]]:
    fields: dict[str, Any] = {"measure": r.get("measure"), "subject": r.get("subject")}
    fields.update({g: r.get(g) for g in _GEO if g in r})
    fields.update({"from": r.get("from"), "to": r.get("to")})
    where = " | ".join(str(r.get(g)) for g in _GEO if g in r) or "all"
    text = (
        f"{where}: {_measure_text(r.get('measure'), r.get('subject'))} "
        f"{r.get('from')} to {r.get('to')}"
    )
    return text, fields


def _regional_estimates(
    previous: Mapping[str, Any], current: Mapping[str, Any]
) -> list[dict[str, Any]]:
    lo_ = ci_level_of({}, section_params(previous, "regional"))
    ln_ = ci_level_of({}, section_params(current, "regional"))
    old = {_regional_key(r)[0]: r for r in _rows(previous.get("regional"))}
    out = []
    for r in _rows(current.get("regional")):
        k, fields = _regional_key(r)
        if k not in old:
            continue
        where = " | ".join(str(r.get(g)) for g in _GEO if g in r) or "All regions"
        label = (
            f"{where}'s growth in {_measure_text(r.get('measure'), r.get('subject'))}, "
            f"{r.get('from')} to {r.get('to')},"
        )
        out.append(
            estimate_item(
                "regional",
                k,
                "growth",
                label,
                old[k],
                r,
                ("growth", "ci_low", "ci_high"),
                "log1p",
                lo_,
                ln_,
                "growth",
                fields,
            )
        )
    return out


# --- the section's record: report, summary page, tables, change report ---------------------------


def _notebook_parameters(params: Any, data: Mapping[str, Any], out: Path) -> dict[str, Any]:
    return {
        **params.regional.to_dict(),
        "counts_path": str(data["tables"]["activity"]),
        "article_growth_path": optional(data["files"]["claims_growth"]),
        "as_of": params.run_date().isoformat(),
        "results_path": results_path(out, NAME),
        "figures_dir": str(out / "figures"),
    }


def _merge(doc: dict[str, Any] | None) -> dict[str, Any]:
    return {
        "regional": doc["regional"] if doc else None,
        "regional_detail": ({k: v for k, v in doc.items() if k != "regional"} if doc else None),
    }


def _default_results(
    defaults: Any, processed: Path, raw: Path, seed: int, earlier: Mapping[str, Any]
) -> dict[str, Any] | None:
    if not (processed / "activity.parquet").is_file():
        return None
    return run_regional(
        defaults.regional.model_copy(
            update={"counts_path": str(processed / "activity.parquet"), "seed": seed}
        )
    ).to_results()


def _status(previous: Mapping[str, Any], current: Mapping[str, Any]) -> dict[str, Any]:
    return {
        "regional": section_status(
            "regional growth",
            previous,
            current,
            lambda r: bool(_rows(r.get("regional"))),
            _regional_definitions,
        )
    }


def _estimates(
    previous: Mapping[str, Any], current: Mapping[str, Any], status: Mapping[str, Any]
) -> list[dict[str, Any]]:
    return _regional_estimates(previous, current) if status["regional"]["comparable"] else []


def regional_findings(results: Mapping[str, Any]) -> tuple[list[str], list[str]]:
    """Return the key-finding sentences of the activity proxy (latest and first years)."""
    out: list[str] = []
    regional = headline_regional(results)
    years = [c for c in _comparisons(regional) if c[0].isdigit() and c[1].isdigit()]
    if not (regional and years):
        return [], out
    first = regional[0]
    measure = measure_label(first.get("measure"), first.get("subject"))
    latest = years[-1]
    same = [
        r
        for r in regional
        if (str(r.get("from")), str(r.get("to"))) == latest and _num(r.get("growth")) is not None
    ]
    same.sort(key=lambda r: -(_num(r.get("growth")) or 0))
    parts = [
        f"{r.get('region', DASH)} {pct(r['growth'], signed=True)} ({LEVEL_TEXT} "
        f"{pct_range(r.get('ci_low'), r.get('ci_high'), signed=True)}; "
        f"{plural_word(len(r.get('economies') or []), 'economy', 'economies')})"
        for r in same[:5]
    ]
    if parts:
        out.append(
            f"Regional activity, a proxy and not certifications: {measure} (GitHub "
            f"Innovation Graph), {latest[0]} to {latest[1]}: " + "; ".join(parts) + "."
        )
    early = [
        r
        for r in regional
        if (str(r.get("from")), str(r.get("to"))) == years[0] and _num(r.get("growth")) is not None
    ]
    if len(years) > 1 and early:
        lo = min(early, key=lambda r: r["growth"])
        hi = max(early, key=lambda r: r["growth"])
        claimed = [
            c
            for c in _rows(results.get("claims"))
            if c.get("check") == "data_growth"
            and _num(c.get("value")) is not None
            and (str(c.get("period_from")), str(c.get("period_to"))) == years[0]
        ]
        which = ""
        if claimed:  # the audited claims of these years, as the run read them
            vals = sorted(float(c["value"]) for c in claimed)
            which = (
                f", the years of the audited regional growth claims "
                f"({pct(vals[0], signed=True)} to {pct(vals[-1], signed=True)} "
                "certifications, no source)"
            )
        out.append(
            f"In {years[0][0]} to {years[0][1]}{which}, this activity grew "
            f"{pct(lo['growth'], signed=True)} ({lo.get('region')}) to "
            f"{pct(hi['growth'], signed=True)} ({hi.get('region')})."
        )
    return [], out


def _summary(
    results: Mapping[str, Any], figures_dir: str | None, context: Mapping[str, Any]
) -> list[Any]:
    from IPython.display import Markdown

    from marketlib import figures  # matplotlib: loaded only by the pages that draw

    out: list[Any] = [
        Markdown("## Developer activity by region (a proxy, not certificates)"),
        show(regional_table(results)),
    ]
    if len(regional_subjects(results)) > 1:
        out += [
            Markdown("Every topic of this run, the latest calendar years (growth, 95% CI):"),
            show(topics_table(results)),
        ]
    if results.get("regional"):
        fig = figures.regional_growth(
            pd.DataFrame(results["regional"]),
            context.get("article"),
            regional_subjects(results)[0],
        )
        figures.save(fig, figures_dir, "summary_regional_growth")
        out.append(fig)
    return out


def _check(params: Any, tables: Mapping[str, Path]) -> None:
    """Refuse a measure or topic the activity table lacks, before any notebook (exit 2)."""
    if tables.get("activity") is None:
        return
    try:
        gr.check_measure(
            pd.read_parquet(tables["activity"]),
            params.regional.measure,
            params.regional.subjects,
            params.regional.group_by,
        )
    except gr.GrowthInputError as exc:
        raise InputError("regional", str(exc)) from None


NAME = "regional_growth"


SPEC = SectionSpec(
    name=NAME,
    key="regional",
    title="regional growth",
    history=history_rows,
    quantity_words={"growth": "growth of developer activity"},
    input_details=input_details,
    intro=intro_phrase,
    reading_notes=reading_notes,
    brief_tables=(("Developer activity by region", regional_table),),
    brief_figures=(("summary_regional_growth", "Developer activity by region (a proxy)"),),
    optional_input="activity",
    reads=("activity",),
    skip_reason="no developer-activity files (inputs.activity: null)",
    notebook_parameters=_notebook_parameters,
    merge=_merge,
    default_results=_default_results,
    comparisons=_status,
    estimates=_estimates,
    status_words={"regional": "regional growth"},
    findings=regional_findings,
    tables={
        "regional_growth": (
            ("regional",),
            {
                "region": "region",
                "subregion": "subregion",
                "measure": "measure",
                "subject": "subject",
                "from": "from",
                "to": "to",
                "growth_fraction": "growth",
                "growth_ci_low_fraction": "ci_low",
                "growth_ci_high_fraction": "ci_high",
                "share_growth_fraction": "share_growth",
                "economies": "economies",
            },
        )
    },
    summary=_summary,
    check=_check,
)
