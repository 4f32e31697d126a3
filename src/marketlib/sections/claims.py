"""The claims audit: published claims checked against arithmetic, definitions and data."""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from marketlib import claims as cl
from marketlib.params import (
    ClaimsParams,
    default_report_params,
)
from marketlib.publish.html import show
from marketlib.publish.text import VERDICTS, display_text, results_part, rows_frame
from marketlib.results_view import rows as _rows
from marketlib.sections.arbitrage import run_arbitrage
from marketlib.sections.base import Section, SectionSpec, load_json, optional, results_path
from marketlib.sections.growth import run_growth
from marketlib.sections.regional import run_regional
from marketlib.sources import (
    InputError,
    read_reference_table,
)


@dataclass
class ClaimsSection(Section):
    """Every claim with its verdict and one-line reason."""

    params: ClaimsParams
    audited: pd.DataFrame
    printed: pd.DataFrame
    rate_kind: str = "salary"  # what the pay evidence is (the verdict notes follow it)
    base: str = "North America"
    claims: pd.DataFrame | None = None  # the claims file as read (what each claim states)

    def reading_notes(self) -> list[str]:
        """Return "how to read the verdicts" for the pay evidence this audit used."""
        return verdict_notes(self.rate_kind, self.base)

    def to_results(self) -> dict[str, Any]:
        """Return the ``claims`` part of results.json and the verdict counts."""
        return {
            "claims": cl.to_results(self.audited, self.claims),
            "verdict_counts": cl.verdict_counts(self.audited),
        }


def verdict_notes(rate_kind: str, base: str) -> list[str]:
    """Return the claims page's notes on reading the verdicts, for the run's pay evidence."""
    rates = (
        f"*Supported by data* for a rate claim means that the claimed **ratio** to {base} "
        "lies inside the 95% interval of the estimate the claim's wording asks for, and "
        "that interval stays within 25% of the claim; "
    )
    rates += (
        "the claimed dollar **levels** are tested as levels against the bill-rate "
        "medians in the data and their intervals."
        if rate_kind == "bill_rate"
        else "the claimed dollar **levels** are what contractors charge and cannot be tested "
        "against salary-equivalent pay."
    )
    return [
        'Arithmetic checks allow for rounding: a printed "87%" stands for 86.5-87.5%, and '
        'figures printed as "70,000" for +/-0.5%. A verdict of *inconsistent* survives '
        "that slack.",
        rates,
        'The regional growth table has no bases, no definition of "certification" and no '
        "source, and no public registry counts certifications by region. It is confronted with "
        "regional **developer activity** (GitHub Innovation Graph: developers pushing to "
        "repositories of the topic, constant economies): *consistent with the activity proxy* "
        "when the claimed rate lies in the proxy's 95% CI for the same region and years, else "
        "*not supported by the activity proxy*. A proxy verdict never says the certificate "
        "counts are wrong; it says the public activity data do not show growth of that size. "
        "CNCF's world totals are audited as before.",
    ]


def run_claims(params: ClaimsParams, earlier: Mapping[str, Any] | None = None) -> ClaimsSection:
    """Audit the article's claims against their own figures and the project's evidence.

    The evidence comes from the growth, arbitrage and regional results a report run wrote;
    when a results path is not given, the section's entry in ``earlier`` (results already
    merged, e.g. the summary page's) is used, else that section runs here with its default
    parameters.
    """
    earlier = earlier or {}
    claims = read_reference_table(params.claims_path)
    unknown = set(claims["check"]) - set(cl.CHECKS)
    if unknown:
        raise InputError(params.claims_path, f"unknown check kind(s) {sorted(unknown)}")
    printed = read_reference_table(params.printed_path) if params.printed_path else None
    definitions = read_reference_table(params.definitions_path)
    defaults = default_report_params()
    if params.arbitrage_results_path:
        arbitrage = load_json(params.arbitrage_results_path)
    elif earlier.get("arbitrage") is not None:
        arbitrage = dict(earlier["arbitrage"])
    else:
        arb = defaults.arbitrage.model_copy(
            update={"rates_path": params.rates_path, "ppp": False, "seed": params.seed}
        )
        arbitrage = run_arbitrage(arb, params.claims_path, sensitivity_boot=0).to_results()
    growth = None  # no certification counts in the run: the claims needing them untestable
    if params.growth_results_path:
        growth = load_json(params.growth_results_path)
    elif earlier.get("growth") is not None:
        growth = dict(earlier["growth"])
    elif params.certifications_path:
        grp = defaults.growth.model_copy(
            update={"counts_path": params.certifications_path, "seed": params.seed}
        )
        growth = run_growth(grp).to_results()
    regional = None
    if params.regional_results_path:
        regional = load_json(params.regional_results_path)
    elif earlier.get("regional") is not None:
        regional = earlier["regional"]
    elif params.activity_path and Path(params.activity_path).is_file():
        reg = defaults.regional.model_copy(
            update={"counts_path": params.activity_path, "seed": params.seed}
        )
        regional = run_regional(reg).to_results()
    evidence = cl.Evidence.from_results(claims, growth, arbitrage, regional)
    audited = cl.audit(claims, printed, definitions, evidence)
    return ClaimsSection(
        params,
        audited,
        printed if printed is not None else pd.DataFrame(columns=["stated_change"]),
        str(arbitrage.get("rate_kind") or "salary"),
        str(arbitrage.get("base") or "the base"),
        claims,
    )


def claims_table(results: Mapping[str, Any] | None) -> pd.DataFrame:
    """Return the claims audit as a table: problems first, then supported, then untestable.

    Reads a ``results.json`` document. Columns: Claim, Verdict, Check, Why.
    """
    order = {v: i for i, v in enumerate(VERDICTS)}
    rows: list[dict[str, Any]] = []
    for i, c in enumerate(_rows(results_part(results, "claims"))):
        v = str(c.get("verdict"))
        rows.append(
            {
                "Claim": display_text(c.get("text") or c.get("id")),
                "Verdict": VERDICTS.get(v, v.replace("_", " ")),
                "Check": display_text(c.get("check")).replace("_", " "),
                "Why": display_text(c.get("detail")),
                "_key": (order.get(v, len(order)), i),
            }
        )
    rows.sort(key=lambda r: r["_key"])
    return rows_frame(rows, ["Claim", "Verdict", "Check", "Why"])


def _claims_flipped(
    previous: Mapping[str, Any], current: Mapping[str, Any]
) -> list[dict[str, Any]]:
    old = {str(c.get("id")): c for c in _rows(previous.get("claims"))}
    out = []
    for c in _rows(current.get("claims")):
        o = old.get(str(c.get("id")))
        if o is None or o.get("verdict") == c.get("verdict"):
            continue
        out.append(
            {
                "id": str(c.get("id")),
                "text": c.get("text"),
                "old": o.get("verdict"),
                "new": c.get("verdict"),
                "old_detail": o.get("detail"),
                "new_detail": c.get("detail"),
            }
        )
    return out


# --- the section's record: report, summary page, tables, change report ---------------------------

#: The sections whose results the audit reads (their results paths are its parameters).
NEEDS = ("geographic_arbitrage", "certification_growth", "regional_growth")


def _notebook_parameters(params: Any, data: Mapping[str, Any], out: Path) -> dict[str, Any]:
    files, tables, skipped = data["files"], data["tables"], data.get("skipped", {})

    def result(name: str) -> str | None:
        return None if name in skipped else results_path(out, name)

    return {
        "claims_path": str(files["claims"]),
        "definitions_path": str(files["claims_definitions"]),
        "printed_path": optional(files["certifications"]),
        "certifications_path": optional(tables.get("certifications")),
        "rates_path": str(tables["rates"]),
        "activity_path": optional(tables.get("activity")),
        "growth_results_path": result("certification_growth"),
        "arbitrage_results_path": result("geographic_arbitrage"),
        "regional_results_path": result("regional_growth"),
        "seed": params.seed,
        "results_path": results_path(out, NAME),
    }


def _default_results(
    defaults: Any, processed: Path, raw: Path, seed: int, earlier: Mapping[str, Any]
) -> dict[str, Any]:
    return run_claims(
        ClaimsParams(
            claims_path=str(raw / "claims" / "article_claims.csv"),
            definitions_path=str(raw / "claims" / "cncf_definitions.csv"),
            printed_path=str(raw / "certifications" / "cncf_published_counts.csv"),
            certifications_path=str(processed / "certifications.parquet"),
            rates_path=str(processed / "rates.parquet"),
            activity_path=str(processed / "activity.parquet"),
            seed=seed,
        ),
        earlier,
    ).to_results()


def claims_findings(results: Mapping[str, Any]) -> tuple[list[str], list[str]]:
    """Return the verdict counts of the audited claims as one sentence."""
    claims = _rows(results_part(results, "claims"))
    if not claims:
        return [], []
    c = Counter(str(x.get("verdict")) for x in claims)
    order = [v for v in VERDICTS if c.get(v)] + sorted(v for v in c if v not in VERDICTS)
    words = [f"{c[v]} {VERDICTS.get(v, v.replace('_', ' '))}" for v in order]
    listed = ", ".join(words[:-1]) + (" and " if len(words) > 1 else "") + words[-1]
    return [], [f"Of {len(claims)} published claims audited: {listed}."]


def _summary(
    results: Mapping[str, Any], figures_dir: str | None, context: Mapping[str, Any]
) -> list[Any]:
    from IPython.display import Markdown

    return [Markdown("## The article's claims"), show(claims_table(results))]


NAME = "claims_audit"


def _intro(results: Mapping[str, Any]) -> str | None:
    return "what holds up of the audited claims" if results.get("claims") else None


def _brief_claims(results: Mapping[str, Any]) -> pd.DataFrame:
    """Return the claims table without its reasons (a paragraph each: the claims page has them)."""
    return claims_table(results).drop(columns=["Why"], errors="ignore")


SPEC = SectionSpec(
    name=NAME,
    key="claims",
    title="claims audit",
    intro=_intro,
    brief_tables=(("The audited claims", _brief_claims),),
    needs=NEEDS,
    optional_input="claims",
    reads=("activity",),
    skip_reason="no claims file (inputs.claims: null)",
    notebook_parameters=_notebook_parameters,
    merge=lambda doc: {"claims": doc["claims"] if doc else None},
    default_results=_default_results,
    change_extras=lambda previous, current, status: {
        "claims_flipped": _claims_flipped(previous, current)
    },
    findings=claims_findings,
    tables={
        "claims": (
            ("claims",),
            {
                "id": "id",
                "claim": "text",
                "check": "check",
                "verdict": "verdict",
                "detail": "detail",
            },
        )
    },
    summary=_summary,
)
