"""Rate claims against the pay data: each judged on the estimate its wording asks for."""

from __future__ import annotations

import re
from typing import Any

import numpy as np
import pandas as pd

#: Calendar hours (durations such as "from 6 weeks to 40 hours"), not working hours: a pay
#: "day" is 8 working hours (money.WORKING_HOURS); an elapsed day is 24 calendar hours.


#: A ratio claim is "supported" only when its whole interval lies within this relative
#: margin of the claim (an interval of 0.13-1.26 around a claimed 0.40 supports nothing).
EQUIVALENCE_MARGIN = 0.25


def ratio_verdict(claim: float, lo: Any, hi: Any, margin: float = EQUIVALENCE_MARGIN) -> str | None:
    """Return the verdict on a claimed ratio from an estimate's interval (None: no interval).

    The rule (docs/methods.md#s9), the same for every ratio claim:

    - ``contradicted_by_data``: the claim lies outside the interval;
    - ``supported_by_data``: the claim lies inside it *and* the interval lies within
      ``claim / (1 + margin)`` to ``claim * (1 + margin)``: the data exclude ratios that
      differ from the claim by more than the margin;
    - ``consistent_uninformative``: the claim lies inside an interval too wide to tell it
      from its alternatives (parity included, often).
    """
    if lo is None or hi is None or pd.isna(lo) or pd.isna(hi):
        return None
    if not lo <= claim <= hi:
        return "contradicted_by_data"
    if claim / (1 + margin) <= lo and hi <= claim * (1 + margin):
        return "supported_by_data"
    return "consistent_uninformative"


def audit_rates(
    claims: pd.DataFrame,
    comparison: pd.DataFrame,
    hours_per_year: float,
    base: str,
    rate_kind: str = "salary",
) -> list[dict[str, Any]]:
    """Check claimed hourly rates: the base level by what the data are, ratios by their CI.

    ``comparison``: :func:`claimed_vs_data` output, with the share of the base group's
    pay at or above each claimed level. A claimed level is an hourly bill rate: against
    salary data it is ``not_comparable`` (never "contradicted": another quantity); against
    bill-rate data it is judged as a level by the share of the base's rates that reach it.
    """
    out = []
    texts = claims.set_index("id")["text"]
    for _, r in comparison.iterrows():
        item = {"id": r["claim_id"], "text": texts.get(r["claim_id"], ""), "check": "data_rate"}
        claimed_base = r.get("claimed_base", base)
        if claimed_base != base:
            item.update(
                verdict="untestable",
                detail=(
                    f"the claim is a rate relative to {claimed_base}; this run's "
                    f"base is {base} (set arbitrage.base to {claimed_base} to test "
                    "it)"
                ),
                gap=0.0,
            )
            out.append(item)
            continue
        if r["region"] == base:
            share = float(r["base_share_at_or_above"])
            median = float(r["base_median_hourly_usd"])
            claimed = float(r["claimed_hourly_usd"])
            if rate_kind == "bill_rate":  # a level against levels of the same kind
                verdict, text = level_verdict(r, claimed)
                item.update(
                    verdict=verdict or "untestable",
                    detail=(
                        f"${claimed:.0f}/hr judged as a level against {base}'s bill rates "
                        f"in the data: {text}; {share:.1%} of them are at or above "
                        f"${claimed:.0f}/hr"
                    ),
                    gap=_gap(
                        claimed, r.get("data_median_ci_low"), r.get("data_median_ci_high"), verdict
                    ),
                )
            else:
                item.update(
                    verdict="not_comparable",
                    detail=(
                        f"${claimed:.0f}/hr is a bill rate: "
                        f"${r['claimed_annual_equivalent_usd']:,.0f}/yr at "
                        f"{hours_per_year:g} h; the data are salaries ({share:.1%} of "
                        f"{base} salaries reach it as salary-equivalent pay, median "
                        f"${median:.0f}/hr), another quantity, so the level is not tested"
                    ),
                    gap=0.0,
                )
            out.append(item)
            continue
        ratio = r["claimed_ratio"]
        name, est, lo, hi = _matching_estimate(texts.get(r["claim_id"], ""), r)
        other = _other_estimate(name, r)
        n = r.get("n")
        n_text = f"n = {0 if pd.isna(n) else int(n)}"
        verdict = ratio_verdict(ratio, lo, hi)
        if verdict is None:
            k = r.get("n_countries_averaged")
            k_text = (
                ""
                if k is None or pd.isna(k)
                else f"; {int(k)} countr{'y' if int(k) == 1 else 'ies'} with 10 rows"
            )
            item.update(
                verdict="untestable",
                detail=(
                    f"{n_text}: the {name} has no interval (below the publication floor, or fewer "
                    f"than 3 countries to say how the region's countries differ{k_text}); {other}"
                ),
                gap=0.0,
            )
        else:
            where = {
                "contradicted_by_data": "is outside its 95% CI",
                "supported_by_data": (
                    f"lies in its 95% CI, which stays within {EQUIVALENCE_MARGIN:.0%} of the claim"
                ),
                "consistent_uninformative": (
                    "lies in its 95% CI, but the interval is too wide to tell the claim "
                    f"from ratios more than {EQUIVALENCE_MARGIN:.0%} away"
                ),
            }[verdict]
            levels = (
                "the levels are bill rates and the data salaries"
                if rate_kind != "bill_rate"
                else "ratios of bill rates; as a level: "
                + level_verdict(r, float(r["claimed_hourly_usd"]))[1]
            )
            item.update(
                verdict=verdict,
                detail=(
                    f"judged on the {name}, the estimate matching the claim's wording: "
                    f"claimed ratio {ratio:.2f} to {base} {where} "
                    f"[{lo:.2f}-{hi:.2f}] ({n_text}); {other}; {levels}"
                ),
                gap=(
                    float(min(abs(ratio - lo), abs(ratio - hi)))
                    if verdict == "contradicted_by_data"
                    else 0.0
                ),
            )
        out.append(item)
    return out


def level_verdict(r: Any, claimed: float) -> tuple[str | None, str]:
    """Return the verdict on a claimed hourly level against a group's median bill rate.

    The ratio rule (:func:`ratio_verdict`) on the median's distribution-free interval: the
    respondents' median (descriptive: rows, not countries, are the sample). None without an
    interval.
    """
    med, lo, hi = (
        r.get("data_median_hourly_usd"),
        r.get("data_median_ci_low"),
        r.get("data_median_ci_high"),
    )
    if med is None or pd.isna(med):
        return None, "no median (the group is under the publication floor)"
    verdict = ratio_verdict(claimed, lo, hi)
    if verdict is None:
        return None, f"median ${med:.2f}/hr with no interval"
    words = {
        "contradicted_by_data": "outside",
        "supported_by_data": "inside (and the "
        f"interval within {EQUIVALENCE_MARGIN:.0%} of the claim)",
        "consistent_uninformative": "inside, but the interval is too wide to support it",
    }[verdict]
    return verdict, (f"median ${med:.2f}/hr (95% CI ${lo:.2f}-${hi:.2f}); the claim is {words}")


def _gap(claimed: float, lo: Any, hi: Any, verdict: str | None) -> float:
    if verdict != "contradicted_by_data":
        return 0.0
    return float(min(abs(claimed - lo), abs(claimed - hi)) / claimed)


#: Wording that asks for a comparable specialist (the adjusted ratio), not a bare average.
_COMPARABLE = re.compile(
    r"comparable|similar (skills|experience|roles?)|same (skills|role|level)"
    r"|like[- ]for[- ]like|equivalent|equally skilled",
    re.I,
)


def _matching_estimate(text: str, r: Any) -> tuple[str, Any, Any, Any]:
    """Return the estimate a rate claim is judged on: (name, estimate, low, high).

    A claim about a region is judged on a regional interval: a typical country of the region
    (docs/methods.md#s4-3). "with comparable skills" (and similar wording) asks for a
    comparable specialist: the equal-country adjusted ratio; a bare average, the
    equal-country ratio. The pooled ratio only describes the respondents: its row-level
    interval never judges a regional claim, so a region averaged over fewer than three
    countries has no interval here (the claim is untestable, said with why).
    """
    if _COMPARABLE.search(str(text)):
        return (
            "equal-country adjusted ratio (comparable specialist, a typical country)",
            r.get("adjusted_equal_country_ratio"),
            r.get("adjusted_equal_country_ci_low"),
            r.get("adjusted_equal_country_ci_high"),
        )
    return (
        "equal-country ratio (a typical country)",
        r.get("equal_country_ratio"),
        r.get("equal_country_ci_low"),
        r.get("equal_country_ci_high"),
    )


def _other_estimate(name: str, r: Any) -> str:
    """Return the other estimate as context (never a second chance for the verdict)."""
    if "adjusted" in name:
        v, lo, hi, what = (
            r.get("equal_country_ratio"),
            r.get("equal_country_ci_low"),
            r.get("equal_country_ci_high"),
            "equal-country ratio",
        )
    elif pd.notna(r.get("adjusted_equal_country_ci_low", np.nan)):
        v, lo, hi, what = (
            r.get("adjusted_equal_country_ratio"),
            r.get("adjusted_equal_country_ci_low"),
            r.get("adjusted_equal_country_ci_high"),
            "equal-country adjusted ratio",
        )
    else:
        v, lo, hi, what = (
            r.get("adjusted_ratio"),
            r.get("adjusted_ci_low"),
            r.get("adjusted_ci_high"),
            "pooled adjusted ratio (descriptive)",
        )
    if v is None or pd.isna(v):
        return f"no {what} as context"
    ci = "" if lo is None or pd.isna(lo) else f" [{lo:.2f}-{hi:.2f}]"
    return f"context, not the verdict: {what} {v:.2f}{ci}"


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


def claimed_vs_data(
    claims: pd.DataFrame, result: Any, base_hourly_usd: pd.Series | None = None
) -> pd.DataFrame:
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
    adj = (
        result.adjusted.ratios.set_index("group") if result.adjusted is not None else pd.DataFrame()
    )
    rows = []
    for _, r in c.iterrows():
        g = r["region"]
        row: dict[str, Any] = {
            "claim_id": r["id"],
            "region": g,
            "claimed_hourly_usd": float(r["value"]),
            "claimed_annual_equivalent_usd": float(r["value"]) * result.scope.hours_per_year,
            "claimed_ratio": float(r["value"]) / base_value,
            "claimed_base": claimed_base,
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
            row.update(
                n=int(raw.at[g, "n"]),
                data_median_hourly_usd=raw.at[g, "median_hourly_usd"],
                data_median_ci_low=raw.at[g, "ci_low"],
                data_median_ci_high=raw.at[g, "ci_high"],
                data_ratio=raw.at[g, "ratio_to_base"],
                data_ratio_ci_low=raw.at[g, "ratio_ci_low"],
                data_ratio_ci_high=raw.at[g, "ratio_ci_high"],
            )
            for src, dst in (
                ("ratio_equal_country", "equal_country_ratio"),
                ("ratio_equal_country_ci_low", "equal_country_ci_low"),
                ("ratio_equal_country_ci_high", "equal_country_ci_high"),
                ("n_countries_averaged", "n_countries_averaged"),
            ):
                if src in raw.columns:
                    row[dst] = raw.at[g, src]
        elif g in raw.index:
            row.update(n=int(raw.at[g, "n"]))
        if g in adj.index:
            row.update(
                adjusted_ratio=adj.at[g, "ratio_to_base"],
                adjusted_ci_low=adj.at[g, "ci_low"],
                adjusted_ci_high=adj.at[g, "ci_high"],
            )
            for src in (
                "ratio_equal_country",
                "ratio_equal_country_ci_low",
                "ratio_equal_country_ci_high",
            ):
                if src in adj.columns:
                    row[
                        src.replace("ratio_equal_country", "adjusted_equal_country_ratio").replace(
                            "_ratio_ci", "_ci"
                        )
                    ] = adj.at[g, src]
        rows.append(row)
    return pd.DataFrame(rows)
