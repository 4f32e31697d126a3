"""Audit the quantitative claims of a published report.

Each claim (typed as data, ``data/raw/claims/``) gets one verdict from the contract's list with a
one-line reason:

- ``consistent`` / ``inconsistent``: arithmetic (a stated change against its own before and
  after values, allowing for the rounding of printed figures) and cross-claim checks;
- ``supported_by_data`` / ``contradicted_by_data``: against the project's data (the aijobs
  arbitrage results, CNCF definitions);
- ``untestable``: no data the project holds can test it (the reason says what is missing).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pandas as pd

from marketlib.claims.arithmetic import (
    CALENDAR_HOURS,
    PRINT_TOLERANCE,
    audit_arithmetic,
    audit_cross,
    audit_printed_changes,
    check_change,
    implied_change,
)
from marketlib.claims.growth import (
    audit_growth_claims,
    audit_regional_claims,
    claimed_growth_intervals,
    total_growth_bounds,
)
from marketlib.claims.rates import audit_rates, claimed_base_region, claimed_vs_data

VERDICTS = (
    "consistent",
    "inconsistent",
    "untestable",
    "contradicted_by_data",
    "supported_by_data",
    "consistent_uninformative",
    "not_comparable",
    "consistent_with_proxy",
    "not_supported_by_proxy",
)
#: The kinds of check a typed claim can ask for (column ``check`` of the claims file).
CHECKS = ("arithmetic", "cross", "data_growth", "data_rate", "fact", "untestable")


def audit_facts(claims: pd.DataFrame, definitions: pd.DataFrame) -> list[dict[str, Any]]:
    """Check named programs against their published definitions (e.g. what KCSP stands for)."""
    defs = definitions.set_index("code")
    out = []
    for _, c in claims[claims["check"] == "fact"].iterrows():
        code = str(c.get("related") or "")
        if code in defs.index:
            d = defs.loc[code]
            security = defs[defs["kind"].str.contains("security")].index.tolist()
            out.append(
                {
                    "id": c["id"],
                    "text": c["text"],
                    "check": "fact",
                    "verdict": "contradicted_by_data",
                    "detail": (
                        f"{code} is the '{d['name']}', a {d['kind']} counted in "
                        f"{d['unit']}; CNCF's security certifications are "
                        f"{', '.join(security)}"
                    ),
                    "gap": 0.0,
                }
            )
        else:
            out.append(
                {
                    "id": c["id"],
                    "text": c["text"],
                    "check": "fact",
                    "verdict": "untestable",
                    "detail": "no definition on file",
                    "gap": 0.0,
                }
            )
    return out


def audit_untestable(claims: pd.DataFrame) -> list[dict[str, Any]]:
    """List claims the project has no data for, with that reason."""
    return [
        {
            "id": c["id"],
            "text": c["text"],
            "check": "untestable",
            "verdict": "untestable",
            "detail": "no data the project holds can test it (third-party survey or vendor "
            "figure without published microdata)",
            "gap": 0.0,
        }
        for _, c in claims[claims["check"] == "untestable"].iterrows()
    ]


@dataclass(frozen=True)
class Evidence:
    """What the project's results say about the claims (read from results.json sections)."""

    comparison: pd.DataFrame  # claimed_vs_data rows
    hours_per_year: float
    base: str
    observed_growth: pd.DataFrame  # CNCF world period growth: from, to, growth
    growth_bounds: tuple[float, float]
    regional: list[dict[str, Any]] | None = None
    rate_kind: str = "salary"  # what the pay data are: salary | bill_rate

    @classmethod
    def from_results(
        cls,
        claims: pd.DataFrame,
        growth: dict[str, Any] | None,
        arbitrage: dict[str, Any],
        regional: dict[str, Any] | list[dict[str, Any]] | None = None,
    ) -> Evidence:
        """Collect the evidence from the growth, arbitrage and regional results sections.

        ``growth`` None (a run without certification counts): no observed world growth, so
        the claims that need it are untestable.
        """
        observed = pd.DataFrame(
            [
                {
                    "group": "|".join(str(v) for v in r["group"].values()),
                    "from": r["from"],
                    "to": r["to"],
                    "growth": r["growth"],
                }
                for r in (growth or {}).get("period_growth", [])
            ],
            columns=["group", "from", "to", "growth"],
        )
        growth_claims = claims[claims["check"] == "data_growth"].rename(columns={"value": "growth"})
        bounds = (
            total_growth_bounds(growth_claims)
            if len(growth_claims)
            else (float("nan"), float("nan"))
        )
        rows = regional.get("regional") if isinstance(regional, dict) else regional
        return cls(
            comparison=pd.DataFrame(arbitrage.get("claimed_vs_data") or []),
            hours_per_year=float(arbitrage["hours_per_year"]),
            base=arbitrage["base"],
            observed_growth=observed,
            growth_bounds=bounds,
            regional=rows,
            rate_kind=str(arbitrage.get("rate_kind") or "salary"),
        )


def audit(
    claims: pd.DataFrame,
    printed: pd.DataFrame | None = None,
    definitions: pd.DataFrame | None = None,
    evidence: Evidence | None = None,
) -> pd.DataFrame:
    """Run every check; return one row per claim with its verdict and one-line reason."""
    rows = audit_arithmetic(claims) + audit_cross(claims) + audit_untestable(claims)
    if printed is not None:
        rows += audit_printed_changes(printed)
    if definitions is not None:
        rows += audit_facts(claims, definitions)
    if evidence is not None:
        if len(evidence.comparison):
            rows += audit_rates(
                claims,
                evidence.comparison,
                evidence.hours_per_year,
                evidence.base,
                evidence.rate_kind,
            )
        if evidence.regional:
            rows += audit_regional_claims(
                claims, evidence.regional, evidence.observed_growth, evidence.growth_bounds
            )
        else:
            rows += audit_growth_claims(claims, evidence.observed_growth, evidence.growth_bounds)
    out = pd.DataFrame(rows, columns=["id", "text", "check", "verdict", "detail", "gap"])
    bad = out[~out["verdict"].isin(VERDICTS)]
    if len(bad):
        raise AssertionError(f"unknown verdicts: {bad['verdict'].unique()}")
    return out


def worst_offenders(audited: pd.DataFrame, k: int = 5) -> pd.DataFrame:
    """Return the k claims furthest from their own figures or from the data."""
    bad = audited[audited["verdict"].isin(["inconsistent", "contradicted_by_data"])]
    return bad.sort_values("gap", ascending=False).head(k).reset_index(drop=True)


def _period(v: Any) -> str:
    """Return a claim's period as written: 2022, not the 2022.0 of a column with blanks."""
    if isinstance(v, float) and v.is_integer():
        return str(int(v))
    return "" if v is None or (isinstance(v, float) and v != v) else str(v)


def to_results(audited: pd.DataFrame, claims: pd.DataFrame | None = None) -> list[dict[str, Any]]:
    """Return the ``claims`` section of results.json.

    With ``claims`` (the claims file), a claim of regional growth also carries what it
    states (``value``, ``region``, ``period_from``, ``period_to``), so that pages quote the
    claims the run audited, never a figure written into the code.
    """
    stated: dict[str, dict[str, Any]] = {}
    if claims is not None and len(claims):
        for c in claims[claims["check"] == "data_growth"].to_dict("records"):
            v = pd.to_numeric(pd.Series([c.get("value")]), errors="coerce").iloc[0]
            if pd.notna(v):
                stated[str(c["id"])] = {
                    "value": float(v),
                    "region": str(c.get("region", "")),
                    "period_from": _period(c.get("period_from")),
                    "period_to": _period(c.get("period_to")),
                }
    return [
        {
            "id": r.id,
            "text": r.text,
            "verdict": r.verdict,
            "detail": r.detail,
            "check": r.check,
            **stated.get(str(r.id), {}),
        }
        for r in audited.itertuples(index=False)
    ]


def verdict_counts(audited: pd.DataFrame) -> dict[str, int]:
    """Count claims per verdict (all verdicts listed, zeros included)."""
    vc = audited["verdict"].value_counts()
    return {v: int(vc.get(v, 0)) for v in VERDICTS}


# --- published growth tables ------------------------------------------------------------------


# --- published rates ----------------------------------------------------------------------------


__all__ = [
    "CALENDAR_HOURS",
    "CHECKS",
    "PRINT_TOLERANCE",
    "VERDICTS",
    "Evidence",
    "audit",
    "audit_arithmetic",
    "audit_cross",
    "audit_facts",
    "audit_growth_claims",
    "audit_printed_changes",
    "audit_rates",
    "audit_regional_claims",
    "audit_untestable",
    "check_change",
    "claimed_base_region",
    "claimed_growth_intervals",
    "claimed_vs_data",
    "implied_change",
    "to_results",
    "total_growth_bounds",
    "verdict_counts",
    "worst_offenders",
]
