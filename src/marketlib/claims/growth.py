"""Growth claims against the data: CNCF totals and the regional activity proxy."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from marketlib.growth.estimators import growth_ci


def audit_growth_claims(
    claims: pd.DataFrame, observed_growth: pd.DataFrame, bounds: tuple[float, float]
) -> list[dict[str, Any]]:
    """Regional growth claims: untestable without regional counts; say what the world shows."""
    world = observed_growth.dropna(subset=["growth"])
    ref = ""
    if len(world):
        w = world.iloc[0]
        inside = bounds[0] <= w["growth"] <= bounds[1]
        ref = (
            f"; CNCF's published world flow {w['from']}->{w['to']} was {w['growth']:+.2f}, "
            f"{'inside' if inside else 'outside'} the {bounds[0]:+.2f}..{bounds[1]:+.2f} "
            "range any total of these regions must lie in"
        )
    out = []
    for _, c in claims[claims["check"] == "data_growth"].iterrows():
        out.append(
            {
                "id": c["id"],
                "text": c["text"],
                "check": "data_growth",
                "verdict": "untestable",
                "detail": "no base counts, no definition and no regional public data" + ref,
                "gap": 0.0,
            }
        )
    return out


def audit_regional_claims(
    claims: pd.DataFrame,
    regional: list[dict[str, Any]],
    observed_growth: pd.DataFrame,
    bounds: tuple[float, float],
    subject: str | None = None,
) -> list[dict[str, Any]]:
    """Confront regional certification growth claims with regional developer activity.

    Developer activity (pushers to repositories tagged with a topic) is a **proxy**: not
    certificates. A claim is ``consistent_with_proxy`` when its growth lies inside the proxy's
    CI for the same region and years, else ``not_supported_by_proxy``; the detail gives the
    proxy's growth and CI, its economies, and the ranking of regions (claimed vs proxy). A
    claim whose region or years the proxy does not cover stays ``untestable``.
    """
    rows = [r for r in regional if r.get("growth") is not None]
    if subject is None and rows:
        subject = rows[0]["subject"]
    rows = [r for r in rows if r["subject"] == subject]
    grow = claims[claims["check"] == "data_growth"]
    out = []
    world = ""
    w = observed_growth.dropna(subset=["growth"]) if len(observed_growth) else observed_growth
    if len(w) and np.isfinite(bounds[0]):
        inside = bounds[0] <= w["growth"].iloc[0] <= bounds[1]
        world = (
            f" CNCF's published world flow {w['from'].iloc[0]}->{w['to'].iloc[0]} was "
            f"{w['growth'].iloc[0]:+.0%}, {'inside' if inside else 'outside'} the "
            f"{bounds[0]:+.0%}..{bounds[1]:+.0%} range any total of these regions must "
            "lie in."
        )
    for _, c in grow.iterrows():
        span = (str(int(c["period_from"])), str(int(c["period_to"])))
        same_span = [r for r in rows if (r["from"], r["to"]) == span]
        by_region = {r.get("region"): r for r in same_span}
        proxy = by_region.get(c["region"])
        item = {"id": c["id"], "text": c["text"], "check": "data_growth"}
        if proxy is None or proxy.get("ci_low") is None:
            item.update(
                verdict="untestable",
                gap=0.0,
                detail=(
                    f"no regional {subject} developer activity for {c['region']} "
                    f"{span[0]}->{span[1]}.{world}"
                ),
            )
            out.append(item)
            continue
        claimed = float(c["value"])
        lo, hi, g = proxy["ci_low"], proxy["ci_high"], proxy["growth"]
        claimed_rank = _ranking(
            {r: float(v) for r, v in zip(grow["region"], grow["value"], strict=True)}
        )
        proxy_rank = _ranking({r: by_region[r]["growth"] for r in grow["region"] if r in by_region})
        sign = "same sign" if np.sign(claimed) == np.sign(g) else "opposite sign"
        size = f"{claimed / g:.1f} times the proxy" if g > 0 else "proxy did not grow"
        detail = (
            f"proxy ({subject}: developers pushing to {subject}-tagged repositories in "
            f"{', '.join(proxy['economies'])}; not certificates) {span[0]}->{span[1]}: "
            f"{g:+.1%} (95% CI {lo:+.1%} to {hi:+.1%}); claimed {claimed:+.0%}: {sign}, "
            f"{size}. Ranking claimed: {claimed_rank}; proxy: {proxy_rank}.{world}"
        )
        if lo <= claimed <= hi:
            item.update(verdict="consistent_with_proxy", gap=0.0, detail=detail)
        else:
            item.update(
                verdict="not_supported_by_proxy",
                detail=detail,
                gap=float(min(abs(claimed - lo), abs(claimed - hi))),
            )
        out.append(item)
    return out


def _ranking(values: dict[str, float]) -> str:
    order = sorted(values, key=lambda k: -values[k])
    return " > ".join(order)


def claimed_growth_intervals(
    claims: pd.DataFrame,
    base_counts: tuple[int, ...] = (100, 1_000, 10_000),
    alphas: tuple[float, ...] = (0.0, 0.005, 0.02),
    ci_level: float = 0.95,
) -> pd.DataFrame:
    """Show what a claimed two-period growth is worth at various unstated base counts.

    For each claimed growth ``g`` (a fraction), base count ``y0`` and noise ``alpha``, returns the
    CI of ``y1/y0 - 1`` with ``y1 = y0 (1 + g)`` (docs/methods.md#s5-1). A table of growth rates
    without
    bases cannot be tested; this shows how much the unstated bases matter.
    """
    rows = []
    for _, c in claims.iterrows():
        for y0 in base_counts:
            for a in alphas:
                y1 = y0 * (1 + float(c["growth"]))
                gr, lo, hi = growth_ci(y0, y1, a, None, ci_level)
                rows.append(
                    {
                        "region": c["region"],
                        "claimed_growth": float(c["growth"]),
                        "base_count": y0,
                        "alpha": a,
                        "ci_low": lo,
                        "ci_high": hi,
                    }
                )
    return pd.DataFrame(rows)


def total_growth_bounds(claims: pd.DataFrame) -> tuple[float, float]:
    """Bounds any total's growth must respect if the regions partition it.

    The total's growth ratio is a base-weighted mean of the regional ratios, so it lies between
    the smallest and largest regional growth, whatever the (unstated) bases.
    """
    g = claims["growth"].astype(float)
    return float(g.min()), float(g.max())
