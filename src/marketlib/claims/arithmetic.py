"""Claims checked against themselves: stated changes, printed figures, one another."""

from __future__ import annotations

from typing import Any

import pandas as pd

#: A printed percentage is rounded to the unit: +/- half a point.
PRINT_TOLERANCE = 0.005
#: Hours in a calendar unit (rates quoted per day or week converted to per hour).
CALENDAR_HOURS = {"hour": 1.0, "day": 24.0, "week": 168.0}


def implied_change(before: tuple[float, float], after: tuple[float, float]) -> tuple[float, float]:
    """Return the range of ``after / before - 1`` over value ranges (e.g. "6-8 weeks")."""
    lo = after[0] / before[1] - 1
    hi = after[1] / before[0] - 1
    return min(lo, hi), max(lo, hi)


def check_change(
    stated: float,
    before: tuple[float, float],
    after: tuple[float, float],
    value_rounding: float = 0.0,
) -> tuple[str, str, float]:
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
        out.append(
            {
                "id": c["id"],
                "text": c["text"],
                "check": "arithmetic",
                "verdict": verdict,
                "detail": detail,
                "gap": gap,
            }
        )
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
            detail = (
                f"+{first['value']:.0%} since {int(first['period_from'])} and "
                f"+{second['value']:.0%} since {int(second['period_from'])} imply a "
                f"{between:+.0%} change in {span}, contradicting a continuous surge"
            )
        else:
            verdict = "consistent"
            detail = f"together they imply {between:+.0%} in {span}"
        for item in (first, second):
            out.append(
                {
                    "id": item.name,
                    "text": item["text"],
                    "check": "cross",
                    "verdict": verdict,
                    "detail": detail,
                    "gap": max(0.0, -between),
                }
            )
    return out


def audit_printed_changes(
    figures: pd.DataFrame,
    value_rounding: float = 0.005,
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
        text = (
            f"CNCF {r['year']}: {r['certification']} {r.get('metric', '')} "
            f"{int(r['count']):,} ({stated:+.0%} printed)"
        )
        if prev.empty:
            out.append(
                {
                    "id": cid,
                    "text": text,
                    "check": "printed_change",
                    "verdict": "untestable",
                    "detail": "no printed figure for the year before",
                    "gap": 0.0,
                }
            )
            continue
        p = float(prev["count"].iloc[0])
        verdict, detail, gap = check_change(
            stated, (p, p), (float(r["count"]),) * 2, value_rounding
        )
        detail += f" ({int(p):,} -> {int(r['count']):,})"
        if prev["definition"].iloc[0] != r.get("definition") and "2019" in str(
            prev["definition"].iloc[0]
        ):
            detail += "; definitions differ between the two years"
        out.append(
            {
                "id": cid,
                "text": text,
                "check": "printed_change",
                "verdict": verdict,
                "detail": detail,
                "gap": gap,
            }
        )
    return out
