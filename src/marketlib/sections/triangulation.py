"""The claims against the independent sources: pay from two surveys, adoption, demand.

Reads the results of the arbitrage, regional and claims sections and the clean tables of the
three independent sources (Kaggle pay bands, CNCF survey waves, Indeed's series); the work is
:func:`marketlib.evidence.triangulate.triangulate`. Pages show the claims with one verdict
per source and the combined line, the two surveys' pay ratios side by side, Kubernetes
adoption by region and wave, and AI demand by country.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from marketlib.evidence.triangulate import COUNTRY_COLUMNS, triangulate
from marketlib.params import TriangulationParams, default_report_params
from marketlib.paths import processed_dir, raw_dir
from marketlib.publish.html import show
from marketlib.publish.text import DASH, VERDICTS, count, pct, ratio_ci, results_part, rows_frame
from marketlib.results_view import rows as _rows
from marketlib.sections import arbitrage as arbitrage_section
from marketlib.sections import claims as claims_section
from marketlib.sections import regional as regional_section
from marketlib.sections.base import Section, SectionSpec, load_json, results_path
from marketlib.sources import InputError

NAME = "triangulation"
#: The sections whose results it confronts with the independent sources.
NEEDS = (arbitrage_section.NAME, regional_section.NAME, claims_section.NAME)
_SPECS = (arbitrage_section.SPEC, regional_section.SPEC, claims_section.SPEC)
#: The clean tables it reads: (parameter, table).
TABLES = (("pay_bands_path", "pay_bands"), ("adoption_path", "adoption"), ("demand_path", "demand"))
#: Each source's name for people (the columns of the claims table).
SOURCE_NAMES = {
    "innovation_graph": "activity proxy",
    "kaggle": "Kaggle survey",
    "indeed": "Indeed postings",
    "cncf_surveys": "CNCF surveys",
}
#: Verdicts of the exact series and the agreement rule, for people.
_MORE_VERDICTS = {
    "direction_agrees": "same direction",
    "direction_disagrees": "opposite direction",
    "uninformative": "cannot tell",
}


@dataclass
class TriangulationSection(Section):
    """The independent sources' tables and one row per claim with a verdict per source."""

    params: TriangulationParams
    doc: dict[str, Any]

    def to_results(self) -> dict[str, Any]:
        """Return the ``triangulation`` part of results.json."""
        return {"triangulation": self.doc}


def _read_table(path: str | None, table: str) -> pd.DataFrame:
    if path is None or not Path(path).is_file():
        raise InputError(
            path or f"{table}_path",
            f"no clean {table} table (run `make clean-sources`, or `marketlib clean {table} ...`)",
        )
    return pd.read_parquet(path)


def run_triangulation(
    params: TriangulationParams,
    earlier: Mapping[str, Any] | None = None,
    compute_missing: bool = True,
) -> TriangulationSection:
    """Confront the run's claims and pay ratios with the independent sources.

    ``earlier`` holds results already merged (the summary page's); a section's results path
    in ``params`` is read; with ``compute_missing`` a section given neither is computed with
    the default report parameters (a notebook run on its own), otherwise it is left out (a
    report run that skipped it).
    """
    tables = {t: _read_table(getattr(params, p), t) for p, t in TABLES}
    results: dict[str, Any] = dict(earlier or {})
    given = {
        arbitrage_section.NAME: params.arbitrage_results_path,
        regional_section.NAME: params.regional_results_path,
        claims_section.NAME: params.claims_results_path,
    }
    for spec in _SPECS:
        path = given[spec.name]
        if path and spec.merge is not None:
            results.update(spec.merge(load_json(path)))
    if compute_missing:
        results = _with_defaults(results, params)
    if not isinstance(results.get("arbitrage"), Mapping):
        raise InputError(
            "arbitrage_results_path",
            "the triangulation needs the pay ratios of the arbitrage section",
        )
    results = {k: v for k, v in results.items() if v is not None}
    try:
        doc = triangulate(
            results,
            tables["pay_bands"],
            tables["adoption"],
            tables["demand"],
            params.ci_level,
            params.kaggle_titles,
        )
    except ValueError as exc:  # a title the data lack
        raise InputError(params.pay_bands_path or "pay_bands", str(exc)) from exc
    return TriangulationSection(params, {**doc, "pay_source": params.rates_source})


def _with_defaults(results: dict[str, Any], params: TriangulationParams) -> dict[str, Any]:
    """Fill the sections missing from ``results`` with their default-parameter results."""
    defaults = default_report_params()
    out = dict(results)
    for spec in _SPECS:
        if out.get(spec.key) is None and spec.default_results is not None:
            doc = spec.default_results(defaults, processed_dir(), raw_dir(), defaults.seed, out)
            out.update(spec.merge(doc))  # type: ignore[misc]
    return out


# --- tables for people -------------------------------------------------------------------------


def _verdict_words(v: Any) -> str:
    s = str(v)
    return VERDICTS.get(s, _MORE_VERDICTS.get(s, s.replace("_", " ")))


def _level(doc: Mapping[str, Any]) -> str:
    return f"{round(float(doc.get('ci_level') or 0.95) * 100):g}% CI"


def pay_label(doc: Mapping[str, Any]) -> str:
    """Return the run's pay data's short name for table columns (``aijobs.net``, a file)."""
    source = str(doc.get("pay_source") or "the run's pay data")
    if source.startswith("the aijobs.net"):
        return "aijobs.net"
    return source.split(" (", 1)[0].removeprefix("the ")


def sources_claims_table(results: Mapping[str, Any] | None) -> pd.DataFrame:
    """Return "what the sources say": each claim, one verdict per source, the combined line."""
    doc = results_part(results, NAME) or {}
    rows = _rows(doc.get("claims"))
    names = {**SOURCE_NAMES, "pay_data": pay_label(doc)}
    sources = list(dict.fromkeys(s for r in rows for s in (r.get("verdicts") or {})))
    cols = ["Claim", *(names.get(s, s) for s in sources), "Combined"]
    out = []
    for r in rows:
        v = r.get("verdicts") or {}
        notes = r.get("notes") or {}
        row = {"Claim": str(r.get("text") or r.get("id")), "Combined": str(r.get("combined"))}
        for s in sources:
            row[names.get(s, s)] = (
                _verdict_words(v[s]) if s in v else "cannot speak to it" if s in notes else DASH
            )
        out.append(row)
    return rows_frame(out, cols)


def pay_sources_table(results: Mapping[str, Any] | None) -> pd.DataFrame:
    """Return each region's typical-country pay ratio to the base from both surveys."""
    doc = results_part(results, NAME) or {}
    base = str(doc.get("base") or "the base")
    own, level = pay_label(doc), _level(doc)
    cols = [
        "Region",
        f"{own} ratio to {base} ({level})",
        f"{own} n",
        f"Kaggle ratio to {base} ({level})",
        "Kaggle n (countries)",
        f"{own} ÷ Kaggle ({level})",
        "Verdict",
    ]
    out = []
    for r in _rows(doc.get("pay")):
        out.append(
            dict(
                zip(
                    cols,
                    [
                        str(r.get("group")),
                        _ratio(r, "pay"),
                        count(r.get("pay_n")),
                        _ratio(r, "kaggle"),
                        f"{count(r.get('kaggle_n'))} ({count(r.get('kaggle_countries'))})",
                        ratio_ci(
                            r.get("ratio_of_ratios"), r.get("ror_ci_low"), r.get("ror_ci_high")
                        )
                        if r.get("ror_ci_low") is not None
                        else DASH,
                        str(r.get("consistency")),
                    ],
                    strict=True,
                )
            )
        )
    return rows_frame(out, cols)


def _ratio(r: Mapping[str, Any], source: str) -> str:
    return ratio_ci(r.get(f"{source}_ratio"), r.get(f"{source}_ci_low"), r.get(f"{source}_ci_high"))


def countries_compared_table(results: Mapping[str, Any] | None) -> pd.DataFrame:
    """Return the countries both pay sources report with an interval, side by side."""
    doc = results_part(results, NAME) or {}
    base, own, level = str(doc.get("base") or "the base"), pay_label(doc), _level(doc)
    cols = [
        "Country",
        "Region",
        f"{own} ratio to {base} ({level}), n",
        f"Kaggle ratio ({level}), n",
        f"{own} ÷ Kaggle ({level})",
        "Verdict",
    ]
    out = []
    for r in _rows(doc.get("pay_countries_compared")):
        out.append(
            dict(
                zip(
                    cols,
                    [
                        str(r.get("country_iso3")),
                        str(r.get("group")),
                        f"{_ratio(r, 'pay')}, {count(r.get('pay_n'))}",
                        f"{_ratio(r, 'kaggle')}, {count(r.get('kaggle_n'))}",
                        ratio_ci(
                            r.get("ratio_of_ratios"), r.get("ror_ci_low"), r.get("ror_ci_high")
                        ),
                        str(r.get("consistency")),
                    ],
                    strict=True,
                )
            )
        )
    return rows_frame(out, cols)


def _share_cell(r: Mapping[str, Any]) -> str:
    if not r.get("reported"):
        return f"n = {count(r.get('n'))}, too few"
    return (
        f"{pct(r.get('share'), digits=1)} ({pct(r.get('ci_low'), digits=1)[:-1]}-"
        f"{pct(r.get('ci_high'), digits=1)}), n = {count(r.get('n'))}"
    )


def adoption_table(results: Mapping[str, Any] | None) -> pd.DataFrame:
    """Return the share running Kubernetes in production by region (rows) and wave (columns)."""
    shares = _rows(((results_part(results, NAME) or {}).get("adoption") or {}).get("shares"))
    waves = sorted({int(r["wave"]) for r in shares})
    regions = sorted({str(r["region"]) for r in shares})
    cell = {(str(r["region"]), int(r["wave"])): _share_cell(r) for r in shares}
    out = [{"Region": g, **{str(w): cell.get((g, w), DASH) for w in waves}} for g in regions]
    return rows_frame(out, ["Region", *map(str, waves)])


def adoption_notes(results: Mapping[str, Any] | None) -> list[str]:
    """Return what the adoption shares cannot show: waves not measured, regions' changes."""
    a = (results_part(results, NAME) or {}).get("adoption") or {}
    notes = [str(n) for n in a.get("not_measured") or []]
    by_note: dict[str, list[str]] = {}
    for where, note in (a.get("notes") or {}).items():
        by_note.setdefault(str(note), []).append(str(where).split(" ", 1)[0])
    notes += [f"{note} (waves {', '.join(sorted(set(w)))})" for note, w in by_note.items()]
    return notes


def _software_cell(r: Mapping[str, Any]) -> str:
    if r.get("software_postings_change") is None:
        return str(r.get("software_note") or DASH)
    text = pct(r.get("software_postings_change"), signed=True)
    if r.get("software_before_revision"):
        text += f" (snapshot of {r.get('software_vintage')}, before Indeed's 2024-11 revision)"
    return text


def demand_table(results: Mapping[str, Any] | None, latest: bool = False) -> pd.DataFrame:
    """Return each country's AI share of postings, its change, and the other series.

    ``latest``: only the latest pair of years (the summary page's table).
    """
    rows = _rows((results_part(results, NAME) or {}).get("demand"))
    if latest and rows:
        last = max((int(r["from"]), int(r["to"])) for r in rows)
        rows = [r for r in rows if (int(r["from"]), int(r["to"])) == last]
    out = []
    for r in rows:
        change = r.get("ai_share_change")
        out.append(
            {
                "Country": str(r.get("country_iso3")),
                "Years": f"{r.get('from')}-{r.get('to')}",
                "AI share of postings": f"{pct(r.get('ai_share_from'), digits=2)} → "
                f"{pct(r.get('ai_share_to'), digits=2)}",
                "Change (points)": DASH if change is None else f"{change * 100:+.2f}",
                "Software Development postings": _software_cell(r),
                "Posted-wage growth": pct(r.get("wage_growth_yoy"), digits=1),
            }
        )
    return rows_frame(
        out,
        [
            "Country",
            "Years",
            "AI share of postings",
            "Change (points)",
            "Software Development postings",
            "Posted-wage growth",
        ],
    )


def _and(words: list[str]) -> str:
    return words[0] if len(words) == 1 else ", ".join(words[:-1]) + " and " + words[-1]


def triangulation_findings(results: Mapping[str, Any]) -> tuple[list[str], list[str]]:
    """Return where the two pay surveys agree and where not, with the numbers of each miss."""
    doc = results_part(results, NAME) or {}
    pay = [r for r in _rows(doc.get("pay")) if r.get("consistency") in ("consistent", "disagree")]
    if not pay:
        return [], []
    level, own = _level(doc), pay_label(doc)
    agree = [str(r["group"]) for r in pay if r["consistency"] == "consistent"]
    differ = [r for r in pay if r["consistency"] == "disagree"]
    parts = [f"agree for {_and(agree)}"] if agree else []
    if differ:
        parts.append(
            "disagree for "
            + _and(
                [
                    f"{r['group']} ({own} {r['pay_ratio']:.2f}, {level} "
                    f"{r['pay_ci_low']:.2f}-{r['pay_ci_high']:.2f}, n = {count(r['pay_n'])}; "
                    f"Kaggle {r['kaggle_ratio']:.2f}, {r['kaggle_ci_low']:.2f}-"
                    f"{r['kaggle_ci_high']:.2f}, n = {count(r['kaggle_n'])})"
                    for r in differ
                ]
            )
        )
    return [], [
        f"{own} and the Kaggle survey on the typical country's pay relative to "
        f"{doc.get('base', 'the base')}: they {', and '.join(parts)}."
    ]


def _summary(
    results: Mapping[str, Any], figures_dir: str | None, context: Mapping[str, Any]
) -> list[Any]:
    from IPython.display import Markdown

    doc = results_part(results, NAME) or {}
    return [
        Markdown(
            "## What the independent sources say\n\nEach pay and regional-growth "
            "claim against every source that can speak to it (docs/methods.md#s12-5)."
        ),
        show(sources_claims_table(results)),
        Markdown(
            f"Pay from two sources. Kaggle: {doc.get('kaggle_population', '')}. "
            f"{pay_label(doc)}: {doc.get('pay_population', '')}."
        ),
        show(pay_sources_table(results)),
        Markdown(
            "Organizations running Kubernetes in production (CNCF survey "
            f"respondents, a self-selected sample; Wilson {_level(doc)})."
        ),
        show(adoption_table(results)),
        Markdown(
            "AI demand by country (Indeed Hiring Lab's own series: exact facts, no "
            "sampling interval; the postings index by its change only)."
        ),
        show(demand_table(results, latest=True)),
    ]


def _notebook_parameters(params: Any, data: Mapping[str, Any], out: Path) -> dict[str, Any]:
    tables, skipped = data["tables"], data.get("skipped", {})

    def result(name: str) -> str | None:
        return None if name in skipped else results_path(out, name)

    return {
        **{p: str(tables[t]) for p, t in TABLES},
        "arbitrage_results_path": result(arbitrage_section.NAME),
        "regional_results_path": result(regional_section.NAME),
        "claims_results_path": result(claims_section.NAME),
        "compute_missing": False,
        "ci_level": params.triangulation.ci_level,
        "kaggle_titles": params.triangulation.kaggle_titles,
        "rates_source": str(data.get("rates_source") or "the run's pay data"),
        "results_path": results_path(out, NAME),
    }


def _default_results(
    defaults: Any, processed: Path, raw: Path, seed: int, earlier: Mapping[str, Any]
) -> dict[str, Any] | None:
    paths = {p: str(processed / f"{t}.parquet") for p, t in TABLES}
    if not all(Path(p).is_file() for p in paths.values()):
        return None
    source = (earlier.get("run") or {}).get("rates_source")  # the summary page's own
    return run_triangulation(
        defaults.triangulation.model_copy(update={**paths, "rates_source": source}), earlier
    ).to_results()


SPEC = SectionSpec(
    name=NAME,
    key=NAME,
    title="independent sources",
    needs=NEEDS,
    optional_input=tuple(t for _, t in TABLES),
    reads=tuple(t for _, t in TABLES),
    skip_reason="an independent source is left out (inputs.pay_bands, adoption or demand: null)",
    notebook_parameters=_notebook_parameters,
    merge=lambda doc: {NAME: doc[NAME] if doc else None},
    default_results=_default_results,
    findings=triangulation_findings,
    tables={
        "pay_two_surveys": (
            (NAME, "pay"),
            {
                "group": "group",
                "pay_n": "pay_n",
                "pay_ratio": "pay_ratio",
                "pay_ci_low": "pay_ci_low",
                "pay_ci_high": "pay_ci_high",
                "kaggle_n": "kaggle_n",
                "kaggle_countries": "kaggle_countries",
                "kaggle_ratio": "kaggle_ratio",
                "kaggle_ci_low": "kaggle_ci_low",
                "kaggle_ci_high": "kaggle_ci_high",
                "ratio_of_ratios": "ratio_of_ratios",
                "ratio_of_ratios_ci_low": "ror_ci_low",
                "ratio_of_ratios_ci_high": "ror_ci_high",
                "consistency": "consistency",
            },
        ),
        "pay_two_surveys_countries": (
            (NAME, "pay_countries_compared"),
            {c: c for c in COUNTRY_COLUMNS},
        ),
        "kubernetes_adoption": (
            (NAME, "adoption", "shares"),
            {
                "wave": "wave",
                "region": "region",
                "n_respondents": "n",
                "in_production": "in_production",
                "reported": "reported",
                "share_fraction": "share",
                "ci_low_fraction": "ci_low",
                "ci_high_fraction": "ci_high",
                "question": "question",
            },
        ),
        "ai_demand": (
            (NAME, "demand"),
            {
                "country_iso3": "country_iso3",
                "from": "from",
                "to": "to",
                "ai_share_from_fraction": "ai_share_from",
                "ai_share_to_fraction": "ai_share_to",
                "ai_share_change_fraction": "ai_share_change",
                "software_postings_change_fraction": "software_postings_change",
                "software_vintage": "software_vintage",
                "wage_growth_yoy_fraction": "wage_growth_yoy",
            },
        ),
    },
    summary=_summary,
)
