"""Audit the quantitative claims of a published report.

Each claim (typed as data, ``data/raw/claims/``) gets one verdict from SPEC's list with a
one-line reason:

- ``consistent`` / ``inconsistent``: arithmetic (a stated change against its own before and
  after values, allowing for the rounding of printed figures) and cross-claim checks;
- ``supported_by_data`` / ``contradicted_by_data``: against the project's data (the aijobs
  arbitrage results, CNCF definitions);
- ``untestable``: no data the project holds can test it (the reason says what is missing).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from marketlib.growth.estimators import growth_ci

VERDICTS = ("consistent", "inconsistent", "untestable", "contradicted_by_data",
            "supported_by_data", "consistent_with_proxy", "not_supported_by_proxy")
#: The kinds of check a typed claim can ask for (column ``check`` of the claims file).
CHECKS = ("arithmetic", "cross", "data_growth", "data_rate", "fact", "untestable")
#: Calendar hours (durations such as "from 6 weeks to 40 hours"), not working hours: a pay
#: "day" is 8 working hours (money.WORKING_HOURS); an elapsed day is 24 calendar hours.
CALENDAR_HOURS = {"hour": 1.0, "day": 24.0, "week": 168.0}
#: A printed percentage is rounded to the unit: +/- half a point.
PRINT_TOLERANCE = 0.005


def implied_change(before: tuple[float, float], after: tuple[float, float]) -> tuple[float, float]:
    """Return the range of ``after / before - 1`` over value ranges (e.g. "6-8 weeks")."""
    lo = after[0] / before[1] - 1
    hi = after[1] / before[0] - 1
    return min(lo, hi), max(lo, hi)


def check_change(stated: float, before: tuple[float, float], after: tuple[float, float],
                 value_rounding: float = 0.0) -> tuple[str, str, float]:
    """Compare a stated change with the change its own before/after values imply.

    ``value_rounding`` widens each value by that relative amount (figures printed as "70,000").
    Returns ``(verdict, detail, gap)``; ``gap`` is the distance (fraction points) from the
    stated change to the implied range.
    """
    b = (before[0] * (1 - value_rounding), before[1] * (1 + value_rounding))
    a = (after[0] * (1 - value_rounding), after[1] * (1 + value_rounding))
    lo, hi = implied_change(b, a)
    s_lo, s_hi = stated - PRINT_TOLERANCE, stated + PRINT_TOLERANCE
    gap = 0.0 if (s_hi >= lo and s_lo <= hi) else min(abs(stated - lo), abs(stated - hi))
    implied = f"{lo:+.3f}" if abs(hi - lo) < 1e-9 else f"{lo:+.3f} to {hi:+.3f}"
    if gap == 0.0:
        return "consistent", f"stated {stated:+.2f}; its own figures imply {implied}", gap
    return "inconsistent", f"stated {stated:+.2f} but its own figures imply {implied}", gap


def audit_arithmetic(claims: pd.DataFrame) -> list[dict[str, Any]]:
    """Check ``check == "arithmetic"`` claims (unit conversions such as week->hour applied)."""
    out = []
    for _, c in claims[claims["check"] == "arithmetic"].iterrows():
        before = (float(c["before_low"]), float(c["before_high"]))
        after = (float(c["after_low"]), float(c["after_high"]))
        units = str(c.get("before_unit") or "same")
        if "->" in units:
            u_before, u_after = units.split("->")
            factor = CALENDAR_HOURS[u_before] / CALENDAR_HOURS[u_after]
            before = (before[0] * factor, before[1] * factor)
        verdict, detail, gap = check_change(float(c["value"]), before, after)
        out.append({"id": c["id"], "text": c["text"], "check": "arithmetic",
                    "verdict": verdict, "detail": detail, "gap": gap})
    return out


def audit_cross(claims: pd.DataFrame) -> list[dict[str, Any]]:
    """Check growth claims against each other (same end, different starts)."""
    c = claims[claims["check"] == "cross"].set_index("id")
    out = []
    done: set[str] = set()
    for cid, row in c.iterrows():
        other = row.get("related")
        if cid in done or not isinstance(other, str) or other not in c.index:
            continue
        done |= {cid, other}
        a, b = row, c.loc[other]
        first, second = (a, b) if int(a["period_from"]) < int(b["period_from"]) else (b, a)
        # growth since the earlier start must contain growth since the later start
        between = (1 + float(first["value"])) / (1 + float(second["value"])) - 1
        span = f"{int(first['period_from'])}-{int(second['period_from'])}"
        if between < 0:
            verdict = "inconsistent"
            detail = (f"+{first['value']:.0%} since {int(first['period_from'])} and "
                      f"+{second['value']:.0%} since {int(second['period_from'])} imply a "
                      f"{between:+.0%} change in {span}, contradicting a continuous surge")
        else:
            verdict = "consistent"
            detail = f"together they imply {between:+.0%} in {span}"
        for item in (first, second):
            out.append({"id": item.name, "text": item["text"], "check": "cross",
                        "verdict": verdict, "detail": detail, "gap": max(0.0, -between)})
    return out


def audit_printed_changes(figures: pd.DataFrame, value_rounding: float = 0.005,
                          ) -> list[dict[str, Any]]:
    """Check each printed % change of a published series against the totals printed with it.

    ``figures``: period, certification, count (as printed), stated_change (fraction), metric.
    Consecutive years of one certification are compared; a change whose base year is missing
    is untestable.
    """
    f = figures.copy()
    f["year"] = f["period"].astype(int)
    f = f.sort_values(["certification", "year"])
    out = []
    for _, r in f.iterrows():
        if pd.isna(r.get("stated_change")) or r["stated_change"] == "":
            continue
        stated = float(r["stated_change"])
        prev = f[(f["certification"] == r["certification"]) & (f["year"] == r["year"] - 1)]
        cid = f"cncf_{r['certification'].lower()}_{r['year']}"
        text = (f"CNCF {r['year']}: {r['certification']} {r.get('metric', '')} "
                f"{int(r['count']):,} ({stated:+.0%} printed)")
        if prev.empty:
            out.append({"id": cid, "text": text, "check": "printed_change",
                        "verdict": "untestable", "detail": "no printed figure for the year "
                        "before", "gap": 0.0})
            continue
        p = float(prev["count"].iloc[0])
        verdict, detail, gap = check_change(stated, (p, p), (float(r["count"]),) * 2,
                                            value_rounding)
        detail += f" ({int(p):,} -> {int(r['count']):,})"
        if prev["definition"].iloc[0] != r.get("definition") and "2019" in str(
                prev["definition"].iloc[0]):
            detail += "; definitions differ between the two years"
        out.append({"id": cid, "text": text, "check": "printed_change", "verdict": verdict,
                    "detail": detail, "gap": gap})
    return out


def audit_rates(claims: pd.DataFrame, comparison: pd.DataFrame, hours_per_year: float,
                base: str) -> list[dict[str, Any]]:
    """Check claimed hourly rates: unit sanity for the base level, ratios against the data.

    ``comparison``: :func:`claimed_vs_data` output, with the share of the base group's
    salary-equivalent pay at or above each claimed level (how rare it is as a salary).
    """
    out = []
    texts = claims.set_index("id")["text"]
    for _, r in comparison.iterrows():
        item = {"id": r["claim_id"], "text": texts.get(r["claim_id"], ""), "check": "data_rate"}
        claimed_base = r.get("claimed_base", base)
        if claimed_base != base:
            item.update(verdict="untestable",
                        detail=(f"the claim is a rate relative to {claimed_base}; this run's "
                                f"base is {base} (set arbitrage.base to {claimed_base} to test "
                                "it)"), gap=0.0)
            out.append(item)
            continue
        if r["region"] == base:
            share = float(r["base_share_at_or_above"])
            median = float(r["base_median_hourly_usd"])
            item.update(
                verdict="contradicted_by_data",
                detail=(f"${r['claimed_hourly_usd']:.0f}/hr is "
                        f"${r['claimed_annual_equivalent_usd']:,.0f}/yr at {hours_per_year:g} h; "
                        f"only {share:.1%} of {base} full-time "
                        f"salaries in the data reach it (median ${median:.0f}/hr): "
                        "a bill rate, not salary-equivalent pay"),
                gap=float(r["claimed_hourly_usd"] / median - 1))
            out.append(item)
            continue
        ratio = r["claimed_ratio"]
        name, est, lo, hi = _matching_estimate(texts.get(r["claim_id"], ""), r)
        other = _other_estimate(name, r)
        n = r.get("n")
        n_text = f"n = {0 if pd.isna(n) else int(n)}"
        verdict = _within(ratio, lo, hi)
        if verdict is None:
            item.update(verdict="untestable", detail=f"{n_text}: the {name} is not estimated "
                        "(below the publication floor or too few countries)", gap=0.0)
        else:
            where = "lies in" if verdict else "is outside"
            item.update(
                verdict="supported_by_data" if verdict else "contradicted_by_data",
                detail=(f"judged on the {name}, the estimate matching the claim's wording: "
                        f"claimed ratio {ratio:.2f} to {base} {where} its 95% CI "
                        f"[{lo:.2f}-{hi:.2f}] ({n_text}); {other}; only the ratio is "
                        "testable: the levels are bill rates"),
                gap=0.0 if verdict else float(min(abs(ratio - lo), abs(ratio - hi))))
        out.append(item)
    return out


#: Wording that asks for a comparable specialist (the adjusted ratio), not a bare average.
_COMPARABLE = re.compile(r"comparable|similar (skills|experience|roles?)|same (skills|role|level)"
                         r"|like[- ]for[- ]like|equivalent|equally skilled", re.I)


def _matching_estimate(text: str, r: Any) -> tuple[str, Any, Any, Any]:
    """Return the estimate a rate claim is judged on: (name, estimate, low, high).

    "with comparable skills" (and similar wording) asks for a comparable specialist: the
    adjusted ratio. A bare average is judged on the equal-country ratio (the region, its
    countries weighed alike), or, where no country reaches the floor, the pooled ratio.
    """
    if _COMPARABLE.search(str(text)):
        if pd.notna(r.get("adjusted_equal_country_ci_low", np.nan)):
            return ("equal-country adjusted ratio (comparable specialist)",
                    r.get("adjusted_equal_country_ratio"),
                    r.get("adjusted_equal_country_ci_low"),
                    r.get("adjusted_equal_country_ci_high"))
        return ("adjusted ratio (comparable specialist, country-cluster CI)",
                r.get("adjusted_ratio"), r.get("adjusted_ci_low"), r.get("adjusted_ci_high"))
    if pd.notna(r.get("equal_country_ci_low", np.nan)):
        return ("equal-country ratio", r.get("equal_country_ratio"),
                r.get("equal_country_ci_low"), r.get("equal_country_ci_high"))
    return ("pooled ratio (country-cluster CI)", r.get("data_ratio"),
            r.get("data_ratio_ci_low"), r.get("data_ratio_ci_high"))


def _other_estimate(name: str, r: Any) -> str:
    """Return the other estimate as context (never a second chance for the verdict)."""
    if "adjusted" in name:
        v, lo, hi, what = (r.get("equal_country_ratio"), r.get("equal_country_ci_low"),
                           r.get("equal_country_ci_high"), "equal-country ratio")
    elif pd.notna(r.get("adjusted_equal_country_ci_low", np.nan)):
        v, lo, hi, what = (r.get("adjusted_equal_country_ratio"),
                           r.get("adjusted_equal_country_ci_low"),
                           r.get("adjusted_equal_country_ci_high"),
                           "equal-country adjusted ratio")
    else:
        v, lo, hi, what = (r.get("adjusted_ratio"), r.get("adjusted_ci_low"),
                           r.get("adjusted_ci_high"), "adjusted ratio")
    if v is None or pd.isna(v):
        return f"no {what} as context"
    ci = "" if lo is None or pd.isna(lo) else f" [{lo:.2f}-{hi:.2f}]"
    return f"context, not the verdict: {what} {v:.2f}{ci}"


def _within(x: float, lo: Any, hi: Any) -> bool | None:
    if lo is None or hi is None or pd.isna(lo) or pd.isna(hi):
        return None
    return bool(lo <= x <= hi)


def audit_facts(claims: pd.DataFrame, definitions: pd.DataFrame) -> list[dict[str, Any]]:
    """Check named programs against their published definitions (e.g. what KCSP stands for)."""
    defs = definitions.set_index("code")
    out = []
    for _, c in claims[claims["check"] == "fact"].iterrows():
        code = str(c.get("related") or "")
        if code in defs.index:
            d = defs.loc[code]
            security = defs[defs["kind"].str.contains("security")].index.tolist()
            out.append({"id": c["id"], "text": c["text"], "check": "fact",
                        "verdict": "contradicted_by_data",
                        "detail": (f"{code} is the '{d['name']}', a {d['kind']} counted in "
                                   f"{d['unit']}; CNCF's security certifications are "
                                   f"{', '.join(security)}"), "gap": 0.0})
        else:
            out.append({"id": c["id"], "text": c["text"], "check": "fact",
                        "verdict": "untestable", "detail": "no definition on file", "gap": 0.0})
    return out


def audit_growth_claims(claims: pd.DataFrame, observed_growth: pd.DataFrame,
                        bounds: tuple[float, float]) -> list[dict[str, Any]]:
    """Regional growth claims: untestable without regional counts; say what the world shows."""
    world = observed_growth.dropna(subset=["growth"])
    ref = ""
    if len(world):
        w = world.iloc[0]
        inside = bounds[0] <= w["growth"] <= bounds[1]
        ref = (f"; CNCF's published world flow {w['from']}->{w['to']} was {w['growth']:+.2f}, "
               f"{'inside' if inside else 'outside'} the {bounds[0]:+.2f}..{bounds[1]:+.2f} "
               "range any total of these regions must lie in")
    out = []
    for _, c in claims[claims["check"] == "data_growth"].iterrows():
        out.append({"id": c["id"], "text": c["text"], "check": "data_growth",
                    "verdict": "untestable",
                    "detail": "no base counts, no definition and no regional public data" + ref,
                    "gap": 0.0})
    return out


def audit_untestable(claims: pd.DataFrame) -> list[dict[str, Any]]:
    """List claims the project has no data for, with that reason."""
    return [{"id": c["id"], "text": c["text"], "check": "untestable", "verdict": "untestable",
             "detail": "no data the project holds can test it (third-party survey or vendor "
                       "figure without published microdata)", "gap": 0.0}
            for _, c in claims[claims["check"] == "untestable"].iterrows()]


@dataclass(frozen=True)
class Evidence:
    """What the project's results say about the claims (read from results.json sections)."""

    comparison: pd.DataFrame  # claimed_vs_data rows
    hours_per_year: float
    base: str
    observed_growth: pd.DataFrame  # CNCF world period growth: from, to, growth
    growth_bounds: tuple[float, float]
    regional: list[dict[str, Any]] | None = None

    @classmethod
    def from_results(cls, claims: pd.DataFrame, growth: dict[str, Any] | None,
                     arbitrage: dict[str, Any],
                     regional: dict[str, Any] | list[dict[str, Any]] | None = None
                     ) -> Evidence:
        """Collect the evidence from the growth, arbitrage and regional results sections.

        ``growth`` None (a run without certification counts): no observed world growth, so
        the claims that need it are untestable.
        """
        observed = pd.DataFrame([{"group": "|".join(str(v) for v in r["group"].values()),
                                  "from": r["from"], "to": r["to"], "growth": r["growth"]}
                                 for r in (growth or {}).get("period_growth", [])],
                                columns=["group", "from", "to", "growth"])
        growth_claims = claims[claims["check"] == "data_growth"].rename(
            columns={"value": "growth"})
        bounds = (total_growth_bounds(growth_claims) if len(growth_claims)
                  else (float("nan"), float("nan")))
        rows = regional.get("regional") if isinstance(regional, dict) else regional
        return cls(comparison=pd.DataFrame(arbitrage.get("claimed_vs_data") or []),
                   hours_per_year=float(arbitrage["hours_per_year"]), base=arbitrage["base"],
                   observed_growth=observed, growth_bounds=bounds, regional=rows)


def audit(claims: pd.DataFrame, printed: pd.DataFrame | None = None,
          definitions: pd.DataFrame | None = None,
          evidence: Evidence | None = None) -> pd.DataFrame:
    """Run every check; return one row per claim with its verdict and one-line reason."""
    rows = audit_arithmetic(claims) + audit_cross(claims) + audit_untestable(claims)
    if printed is not None:
        rows += audit_printed_changes(printed)
    if definitions is not None:
        rows += audit_facts(claims, definitions)
    if evidence is not None:
        if len(evidence.comparison):
            rows += audit_rates(claims, evidence.comparison, evidence.hours_per_year,
                                evidence.base)
        if evidence.regional:
            rows += audit_regional_claims(claims, evidence.regional, evidence.observed_growth,
                                          evidence.growth_bounds)
        else:
            rows += audit_growth_claims(claims, evidence.observed_growth,
                                        evidence.growth_bounds)
    out = pd.DataFrame(rows, columns=["id", "text", "check", "verdict", "detail", "gap"])
    bad = out[~out["verdict"].isin(VERDICTS)]
    if len(bad):
        raise AssertionError(f"unknown verdicts: {bad['verdict'].unique()}")
    return out


def audit_regional_claims(claims: pd.DataFrame, regional: list[dict[str, Any]],
                          observed_growth: pd.DataFrame, bounds: tuple[float, float],
                          subject: str | None = None) -> list[dict[str, Any]]:
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
        world = (f" CNCF's published world flow {w['from'].iloc[0]}->{w['to'].iloc[0]} was "
                 f"{w['growth'].iloc[0]:+.0%}, {'inside' if inside else 'outside'} the "
                 f"{bounds[0]:+.0%}..{bounds[1]:+.0%} range any total of these regions must "
                 "lie in.")
    for _, c in grow.iterrows():
        span = (str(int(c["period_from"])), str(int(c["period_to"])))
        same_span = [r for r in rows if (r["from"], r["to"]) == span]
        by_region = {r.get("region"): r for r in same_span}
        proxy = by_region.get(c["region"])
        item = {"id": c["id"], "text": c["text"], "check": "data_growth"}
        if proxy is None or proxy.get("ci_low") is None:
            item.update(verdict="untestable", gap=0.0, detail=(
                f"no regional {subject} developer activity for {c['region']} "
                f"{span[0]}->{span[1]}.{world}"))
            out.append(item)
            continue
        claimed = float(c["value"])
        lo, hi, g = proxy["ci_low"], proxy["ci_high"], proxy["growth"]
        claimed_rank = _ranking({r: float(v) for r, v in zip(
            grow["region"], grow["value"], strict=True)})
        proxy_rank = _ranking({r: by_region[r]["growth"] for r in grow["region"]
                               if r in by_region})
        sign = "same sign" if np.sign(claimed) == np.sign(g) else "opposite sign"
        size = f"{claimed / g:.1f} times the proxy" if g > 0 else "proxy did not grow"
        detail = (f"proxy ({subject}: developers pushing to {subject}-tagged repositories in "
                  f"{', '.join(proxy['economies'])}; not certificates) {span[0]}->{span[1]}: "
                  f"{g:+.1%} (95% CI {lo:+.1%} to {hi:+.1%}); claimed {claimed:+.0%}: {sign}, "
                  f"{size}. Ranking claimed: {claimed_rank}; proxy: {proxy_rank}.{world}")
        if lo <= claimed <= hi:
            item.update(verdict="consistent_with_proxy", gap=0.0, detail=detail)
        else:
            item.update(verdict="not_supported_by_proxy", detail=detail,
                        gap=float(min(abs(claimed - lo), abs(claimed - hi))))
        out.append(item)
    return out


def _ranking(values: dict[str, float]) -> str:
    order = sorted(values, key=lambda k: -values[k])
    return " > ".join(order)


def worst_offenders(audited: pd.DataFrame, k: int = 5) -> pd.DataFrame:
    """Return the k claims furthest from their own figures or from the data."""
    bad = audited[audited["verdict"].isin(["inconsistent", "contradicted_by_data"])]
    return bad.sort_values("gap", ascending=False).head(k).reset_index(drop=True)


def to_results(audited: pd.DataFrame) -> list[dict[str, Any]]:
    """Return the ``claims`` section of results.json."""
    return [{"id": r.id, "text": r.text, "verdict": r.verdict, "detail": r.detail,
             "check": r.check} for r in audited.itertuples(index=False)]


def verdict_counts(audited: pd.DataFrame) -> dict[str, int]:
    """Count claims per verdict (all verdicts listed, zeros included)."""
    vc = audited["verdict"].value_counts()
    return {v: int(vc.get(v, 0)) for v in VERDICTS}


# --- published growth tables ------------------------------------------------------------------

def claimed_growth_intervals(claims: pd.DataFrame, base_counts: tuple[int, ...] = (
        100, 1_000, 10_000), alphas: tuple[float, ...] = (0.0, 0.005, 0.02),
        ci_level: float = 0.95) -> pd.DataFrame:
    """Show what a claimed two-period growth is worth at various unstated base counts.

    For each claimed growth ``g`` (a fraction), base count ``y0`` and noise ``alpha``, returns the
    CI of ``y1/y0 - 1`` with ``y1 = y0 (1 + g)`` (METHODS §5.1). A table of growth rates without
    bases cannot be tested; this shows how much the unstated bases matter.
    """
    rows = []
    for _, c in claims.iterrows():
        for y0 in base_counts:
            for a in alphas:
                y1 = y0 * (1 + float(c["growth"]))
                gr, lo, hi = growth_ci(y0, y1, a, None, ci_level)
                rows.append({"region": c["region"], "claimed_growth": float(c["growth"]),
                             "base_count": y0, "alpha": a, "ci_low": lo, "ci_high": hi})
    return pd.DataFrame(rows)


def total_growth_bounds(claims: pd.DataFrame) -> tuple[float, float]:
    """Bounds any total's growth must respect if the regions partition it.

    The total's growth ratio is a base-weighted mean of the regional ratios, so it lies between
    the smallest and largest regional growth, whatever the (unstated) bases.
    """
    g = claims["growth"].astype(float)
    return float(g.min()), float(g.max())


# --- published rates ----------------------------------------------------------------------------

def claimed_base_region(rate_claims: pd.DataFrame) -> str | None:
    """Return the region the claimed rates are ratios to: the one the others are related to.

    Rate claims name their base through ``related`` (``rate_eastern_europe`` -> the id of
    the North America claim); a file without relations takes its highest claimed rate.
    """
    if rate_claims.empty:
        return None
    related = rate_claims.get("related", pd.Series(dtype="str")).dropna().astype("str")
    related = related[related.str.strip() != ""]
    ids = rate_claims.set_index("id")["region"]
    if len(related) and related.mode().iloc[0] in ids.index:
        return str(ids[related.mode().iloc[0]])
    return str(rate_claims.loc[rate_claims["value"].astype(float).idxmax(), "region"])


def claimed_vs_data(claims: pd.DataFrame, result: Any,
                    base_hourly_usd: pd.Series | None = None) -> pd.DataFrame:
    """Set claimed hourly rates beside the data: levels, ratios to base, annual equivalents.

    ``claims`` rows with ``check == "data_rate"`` (``region``, ``value`` in USD per hour). The
    claimed ratio (claim / claimed base) is compared with the raw and adjusted CIs; the claimed
    hourly rate times ``hours_per_year`` shows whether it can be a salary at all.
    """
    c = claims[claims["check"] == "data_rate"].copy()
    claimed_base = claimed_base_region(c)
    base_claim = c.loc[c["region"] == claimed_base, "value"]
    base_value = float(base_claim.iloc[0]) if len(base_claim) else np.nan
    same_base = claimed_base == result.scope.base
    raw = result.raw.set_index("group")
    adj = (result.adjusted.ratios.set_index("group") if result.adjusted is not None
           else pd.DataFrame())
    rows = []
    for _, r in c.iterrows():
        g = r["region"]
        row: dict[str, Any] = {
            "claim_id": r["id"], "region": g, "claimed_hourly_usd": float(r["value"]),
            "claimed_annual_equivalent_usd": float(r["value"]) * result.scope.hours_per_year,
            "claimed_ratio": float(r["value"]) / base_value, "claimed_base": claimed_base,
            "run_base": result.scope.base,
        }
        if not same_base:  # the data's ratios are to another group: not the claim's ratio
            if g in raw.index:
                row.update(n=int(raw.at[g, "n"]))
            rows.append(row)
            continue
        if base_hourly_usd is not None and len(base_hourly_usd):
            row["base_share_at_or_above"] = float((base_hourly_usd >= float(r["value"])).mean())
            row["base_median_hourly_usd"] = float(base_hourly_usd.median())
        if g in raw.index and bool(raw.at[g, "reported"]):
            row.update(n=int(raw.at[g, "n"]), data_median_hourly_usd=raw.at[g, "median_hourly_usd"],
                       data_ratio=raw.at[g, "ratio_to_base"],
                       data_ratio_ci_low=raw.at[g, "ratio_ci_low"],
                       data_ratio_ci_high=raw.at[g, "ratio_ci_high"])
            for src, dst in (("ratio_equal_country", "equal_country_ratio"),
                             ("ratio_equal_country_ci_low", "equal_country_ci_low"),
                             ("ratio_equal_country_ci_high", "equal_country_ci_high"),
                             ("n_countries_averaged", "n_countries_averaged")):
                if src in raw.columns:
                    row[dst] = raw.at[g, src]
        elif g in raw.index:
            row.update(n=int(raw.at[g, "n"]))
        if g in adj.index:
            row.update(adjusted_ratio=adj.at[g, "ratio_to_base"],
                       adjusted_ci_low=adj.at[g, "ci_low"], adjusted_ci_high=adj.at[g, "ci_high"])
            for src in ("ratio_equal_country", "ratio_equal_country_ci_low",
                        "ratio_equal_country_ci_high"):
                if src in adj.columns:
                    row[src.replace("ratio_equal_country", "adjusted_equal_country_ratio")
                        .replace("_ratio_ci", "_ci")] = adj.at[g, src]
        rows.append(row)
    return pd.DataFrame(rows)
