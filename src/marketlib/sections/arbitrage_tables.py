"""The pay section's tables for people: regions (raw, adjusted, equal-country) and countries."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import pandas as pd

from marketlib.arbitrage.result import skill_name
from marketlib.frames import finite_or_none as _num
from marketlib.publish.text import (
    DASH,
    RELIABILITY,
    controls_text,
    count,
    count_of,
    display_text,
    is_reported,
    money,
    not_estimated,
    pay_words,
    pct,
    ratio_ci,
    results_part,
    rows_frame,
)
from marketlib.results_view import comparable_ratio, headline_flag, upgrade_arbitrage
from marketlib.results_view import rows as _rows


def _arbitrage_parts(
    results: Mapping[str, Any] | None,
) -> tuple[dict[str, Any], list[dict[str, Any]], dict[str, dict[str, Any]], str, Any]:
    arb = upgrade_arbitrage(results_part(results, "arbitrage"))
    arb = arb if isinstance(arb, Mapping) else {}
    raw = _rows(arb.get("regions"))
    adjusted = {str(r.get("group")): dict(r) for r in _rows(arb.get("adjusted"))}
    base = str(arb.get("base") or "the base region")
    return dict(arb), raw, adjusted, base, arb.get("min_n")


def arbitrage_table(results: Mapping[str, Any] | None) -> pd.DataFrame:
    """Return the pay-ratio table: one row per region, base first, then by adjusted ratio.

    Columns: Region, Employees (n) (Contractors (n) for bill rates), Countries, Median pay
    (USD/h, 95% CI), raw ratio to the base, comparable-specialist (adjusted) ratio,
    reliability. Groups under the floor say
    "not estimated (n = 23 < 30)".

    Reads a ``results.json`` document; text cells, no meaningful index; empty (with the
    columns) without an arbitrage section.
    """
    arb, raw, adjusted, base, floor = _arbitrage_parts(results)
    people = pay_words(arb.get("rate_kind")).people_n()
    controls = next((a.get("controls") for a in adjusted.values() if a.get("controls")), None)
    same = controls_text(controls)
    adj_col = "Comparable specialist" + (f" (same {same})" if same else "")
    cols = [
        "Region",
        people,
        "Countries (largest)",
        "Median pay, USD/h (95% CI)",
        f"Pooled ratio to {base}, descriptive (95% CI)",
        f"{adj_col}: a typical country (95% CI)",
        "The same, these countries only (95% CI)",
        "Reliability",
    ]
    rows: list[dict[str, Any]] = []
    seen = set()
    for r in raw:
        g = str(r.get("group", DASH))
        seen.add(g)
        a = adjusted.get(g, {})
        if is_reported(r):
            value, lo, hi, k = comparable_ratio(a)
            adj = (
                "1.00 (base)"
                if g == base
                else ratio_ci(value, lo, hi)
                + (
                    f", {count_of(k, 'country', 'countries')}"
                    if k
                    else ", pooled"
                    if _num(value) is not None
                    else ""
                )
            )
            rel = RELIABILITY.get(
                str(r.get("flag")) if g == base else headline_flag(lo, hi),
                display_text(r.get("flag")),
            )
            eq = (
                "1.00 (base)"
                if g == base
                else ratio_ci(
                    a.get("ratio_equal_country"),
                    a.get("ratio_named_countries_ci_low"),
                    a.get("ratio_named_countries_ci_high"),
                )
                if _num(a.get("ratio_equal_country")) is not None
                else DASH
            )
            rows.append(
                {
                    "Region": g,
                    people: count(r.get("n")),
                    "Countries (largest)": _countries_text(r),
                    cols[6]: eq,
                    "Median pay, USD/h (95% CI)": ratio_ci(
                        r.get("median_hourly_usd"),
                        r.get("median_ci_low"),
                        r.get("median_ci_high"),
                        digits=0,
                    ),
                    cols[4]: "1.00 (base)"
                    if g == base
                    else ratio_ci(
                        r.get("ratio_to_base"), r.get("ratio_ci_low"), r.get("ratio_ci_high")
                    ),
                    cols[5]: adj,
                    "Reliability": rel,
                    "_key": (
                        0 if g == base else 1,
                        -(_num(a.get("ratio_to_base")) or _num(r.get("ratio_to_base")) or 0),
                    ),
                }
            )
        else:
            ne = not_estimated(r.get("n"), floor)
            rows.append(
                {
                    "Region": g,
                    people: count(r.get("n")),
                    "Countries (largest)": _countries_text(r),
                    "Median pay, USD/h (95% CI)": ne,
                    cols[4]: ne,
                    cols[5]: ne,
                    cols[6]: ne,
                    "Reliability": "too few observations",
                    "_key": (2, -(_num(r.get("n")) or 0)),
                }
            )
    for g, a in adjusted.items():  # adjusted-only groups (no raw row)
        if g not in seen:
            rows.append(
                {
                    "Region": g,
                    people: count(a.get("n")),
                    cols[5]: ratio_ci(*comparable_ratio(a)[:3]),
                    "_key": (1, -(_num(a.get("ratio_to_base")) or 0)),
                }
            )
    rows.sort(key=lambda r: r["_key"])
    return rows_frame(rows, cols)


def _countries_text(r: Mapping[str, Any]) -> str:
    top, share = r.get("top_country"), _num(r.get("top_country_share"))
    return count(r.get("n_countries")) + (
        f" ({top} {pct(share)})" if top and share is not None else ""
    )


def countries_table(results: Mapping[str, Any] | None, top: int | None = None) -> pd.DataFrame:
    """Return the "where to hire" table: each country with enough rows, cheapest first.

    Columns: Country, Group, n, Median pay (USD/h), Ratio to the base (95% CI), Shrunk ratio
    (empirical Bayes, borrowing from the group). Countries below the country floor are left
    out here (their n is in results.json).
    """
    arb = upgrade_arbitrage(results_part(results, "arbitrage")) or {}
    base = str(arb.get("base") or "the base")
    rows = [r for r in _rows(arb.get("countries")) if r.get("reported") and r.get("group") != base]
    rows.sort(key=lambda r: _num(r.get("ratio_to_base")) or 0)
    cols = [
        "Country",
        "Group",
        "n",
        "Median pay, USD/h",
        f"Ratio to {base} (95% CI)",
        "Shrunk ratio (95% CI)",
        "Reliability",
    ]
    out = [
        {
            "Country": display_text(r.get("country_iso3")),
            "Group": display_text(r.get("group")),
            "n": count(r.get("n")),
            "Median pay, USD/h": money(r.get("median_hourly_usd")),
            cols[4]: ratio_ci(
                r.get("ratio_to_base"), r.get("ratio_ci_low"), r.get("ratio_ci_high")
            ),
            "Shrunk ratio (95% CI)": ratio_ci(
                r.get("ratio_shrunk"), r.get("ratio_shrunk_ci_low"), r.get("ratio_shrunk_ci_high")
            ),
            "Reliability": RELIABILITY.get(str(r.get("flag")), DASH),
        }
        for r in (rows[:top] if top else rows)
    ]
    return rows_frame(out, cols)


def _usd_ci(est: Any, lo: Any, hi: Any) -> str:
    """Return "$138.96 ($120.10-$150.00)"; a bound the rows cannot give is a dash."""
    if _num(est) is None:
        return DASH
    side = [money(v, 2) if _num(v) is not None else DASH for v in (lo, hi)]
    return f"{money(est, 2)} ({side[0]}-{side[1]})"


def percentiles_table(results: Mapping[str, Any] | None, dimension: str = "group") -> pd.DataFrame:
    """Return pay bands (P25, P50, P75, P90, USD/h with 95% CIs) of one breakdown.

    ``dimension``: ``group`` (default), ``country``, ``experience`` or ``role_family``.
    Cells under the floor read "not estimated (n = 7 < 10)".
    """
    arb = results_part(results, "arbitrage") or {}
    rows = [r for r in _rows(arb.get("percentiles")) if r.get("dimension") == dimension]
    label = {
        "group": "Group",
        "country": "Country",
        "experience": "Level",
        "role_family": "Job family",
    }.get(dimension, dimension)
    names = {0.25: "P25", 0.5: "P50 (median)", 0.75: "P75", 0.9: "P90"}
    cols = (
        [label]
        + ([] if dimension == "group" else ["Group"])
        + ["n"]
        + [f"{v}, USD/h (95% CI)" for v in names.values()]
    )
    cells: dict[tuple[str, str], dict[str, str]] = {}
    floor = {"country": 10}.get(dimension, arb.get("min_n"))
    for r in rows:
        key = (str(r.get("group")), str(r.get("key")))
        c = cells.setdefault(key, {label: key[1], "Group": key[0], "n": count(r.get("n"))})
        if not r.get("reported"):
            for v in names.values():
                c[f"{v}, USD/h (95% CI)"] = not_estimated(r.get("n"), floor)
            continue
        q = _num(r.get("percentile"))
        if q in names:
            c[f"{names[q]}, USD/h (95% CI)"] = _usd_ci(
                r.get("hourly_usd"), r.get("ci_low"), r.get("ci_high")
            )
    return rows_frame(list(cells.values()), cols)


def skills_table(results: Mapping[str, Any] | None) -> pd.DataFrame:
    """Return pay by skill: each skill's groups, n, median (95% CI) and ratio to the base."""
    arb = results_part(results, "arbitrage") or {}
    base = str(arb.get("base") or "the base")
    cols = [
        "Skill",
        "Group",
        "n",
        "Median pay, USD/h (95% CI)",
        f"Ratio to {base} (95% CI, rows pooled)",
    ]

    out = []
    for r in _rows(arb.get("skills")):
        rep = bool(r.get("reported"))
        out.append(
            {
                "Skill": skill_name(str(r.get("skill"))),
                "Group": display_text(r.get("group")),
                "n": count(r.get("n")),
                cols[3]: ratio_ci(
                    r.get("median_hourly_usd"), r.get("ci_low"), r.get("ci_high"), digits=2
                )
                if rep
                else display_text(r.get("note")),
                cols[4]: (
                    "1.00 (base)"
                    if str(r.get("group")) == base and rep
                    else ratio_ci(
                        r.get("ratio_to_base"), r.get("ratio_ci_low"), r.get("ratio_ci_high")
                    )
                    if rep
                    else DASH
                ),
            }
        )
    return rows_frame(out, cols)


def ranks_table(results: Mapping[str, Any] | None) -> pd.DataFrame:
    """Return which region is cheapest: rank (1 = cheapest), its 95% range, P(cheapest)."""
    arb = results_part(results, "arbitrage") or {}
    cols = ["Region", "Rank (1 = cheapest)", "Rank, 95% range", "Chance it is the cheapest"]
    out = [
        {
            "Region": display_text(r.get("group")),
            cols[1]: count(r.get("rank")),
            cols[2]: f"{count(r.get('rank_low'))}-{count(r.get('rank_high'))}",
            cols[3]: pct(r.get("p_cheapest")),
        }
        for r in _rows(arb.get("ranks"))
    ]
    return rows_frame(out, cols)


def _step_words(step: str, rate_kind: str) -> str:
    """Return a selection step as a reader says it."""
    words = pay_words(rate_kind)
    for prefix, text in (
        ("rate_kind == ", f"{words.pay} only (no other kind of pay)"),
        ("employment_type in ", "employment type: "),
        ("year in ", "years: "),
        ("experience in ", "levels: "),
        ("role_family in ", "job families: "),
        ("skills include ", "listing the skills: "),
        ("not is_fx_mismatch", "rows whose source USD differs from ours left out"),
        ("not is_outlier", "outliers left out"),
        ("not is_duplicate", "exact duplicates dropped (same values, year and file)"),
        ("range pairs: collapse", "posted ranges (two rows) counted once, at their middle"),
        ("range pairs: ", "posted ranges: "),
    ):
        if step.startswith(prefix):
            rest = step[len(prefix) :] if text.endswith(": ") else ""
            return text + rest.replace("_", "-")
    return step.replace("_", " ")


def funnel_table(results: Mapping[str, Any] | None) -> pd.DataFrame:
    """Return the row funnel of the pay estimates: rows in -> rejected -> each filter -> used.

    From the same lists the estimates come from (the clean report and the selection log);
    the last row is the sum of the groups' n, so every count adds up (a test holds it).
    """
    r = results or {}
    arb = results_part(r, "arbitrage") or {}
    clean = (r.get("cleaning") or {}).get("rates") or {}
    log = [x for x in _rows(arb.get("selection_log")) if _num(x.get("rows")) is not None]
    cols = ["Step", "Rows", "Left out"]
    if not clean or not log:
        return rows_frame([], cols)
    out = [{"Step": "rows in the pay file(s)", "Rows": count(clean.get("rows_in")), "Left out": ""}]
    reasons = ", ".join(
        f"{k.replace('_', ' ')} {count(v)}"
        for k, v in sorted((clean.get("reasons") or {}).items(), key=lambda kv: -kv[1])
    )
    prev = int(clean.get("rows_in") or 0)
    kind = str(arb.get("rate_kind") or "salary")
    for x in log:
        n = int(x["rows"])
        step = (
            f"rejected by cleaning{': ' + reasons if reasons else ''} (the rejected file "
            "says why, row by row)"
            if x.get("step") == "clean rows"
            else _step_words(str(x.get("step")), kind)
        )
        out.append({"Step": step, "Rows": count(n), "Left out": count(prev - n)})
        prev = n
    used = sum(int(g.get("n") or 0) for g in _rows(arb.get("regions")))
    if used != prev:
        out.append(
            {
                "Step": "rows without a group of the region scheme",
                "Rows": count(used),
                "Left out": count(prev - used),
            }
        )
    out.append({"Step": "used in the estimates (all groups)", "Rows": count(used), "Left out": ""})
    return rows_frame(out, cols)
