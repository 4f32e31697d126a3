"""What the summary page, the history and the change report read from the pay results."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from marketlib import prose
from marketlib.frames import finite_or_none as _num
from marketlib.results_view import HEADLINE_PAY, comparable_ratio, upgrade_arbitrage
from marketlib.results_view import mapping as _map
from marketlib.results_view import rows as _rows


def history_rows(results: Mapping[str, Any]) -> list[dict[str, Any]]:
    """Return the pay headline of every group but the base, as every page shows it."""
    arb = _map(upgrade_arbitrage(results.get("arbitrage")))
    base = arb.get("base")
    sizes = {str(r.get("group")): r.get("n") for r in _rows(arb.get("regions"))}
    out = []
    for r in _rows(arb.get("adjusted")):
        g = str(r.get("group"))
        if g != base:
            value, lo, hi, k = comparable_ratio(r)
            n = r.get("n_rows_averaged") if k else sizes.get(g)
            out.append(
                {
                    "key": g,
                    "quantity": HEADLINE_PAY,
                    "value": value,
                    "ci_low": lo,
                    "ci_high": hi,
                    "n": n,
                }
            )
    return out


def input_details(
    previous: Mapping[str, Any], current: Mapping[str, Any]
) -> dict[str, dict[str, Any]]:
    """Return the pay table's change between two runs: groups whose country count moved."""

    def countries(results: Mapping[str, Any]) -> dict[str, int]:
        return {
            str(r.get("group")): int(r["n_countries"])
            for r in _rows(_map(results.get("arbitrage")).get("regions"))
            if _num(r.get("n_countries")) is not None
        }

    old, new = countries(previous), countries(current)
    moved = [{"region": g, "old": old.get(g), "new": n} for g, n in new.items() if old.get(g) != n]
    return {"rates": {"countries_by_region": moved}} if moved else {}


def intro_phrase(results: Mapping[str, Any]) -> str | None:
    """Return the summary opening's pay phrase ("what a comparable specialist costs by region")."""
    arb = _map(results.get("arbitrage"))
    if not arb:
        return None
    geography = prose.geography_word(str(arb.get("geography") or "region"))
    return f"what a comparable specialist costs by {geography}"


def reading_notes(results: Mapping[str, Any]) -> list[str]:
    """Return how to read the pay ratios: scale, sample sizes, pay data, salary vs bill rate."""
    arb = _map(results.get("arbitrage"))
    if not arb:
        return []
    p = _map(_map(_map(results.get("run")).get("params")).get("arbitrage"))
    base = str(arb.get("base", "the base group"))
    level = float(p.get("ci_level", 0.95))
    out = [
        f"Ratios: 0.40 means 40% of {prose.base_pay(base)} for the same kind of "
        f"specialist; every estimate carries its sample size and, where the data "
        f"hold one, its {level:.0%} interval (a region's interval needs three "
        f"countries or more); groups under {p.get('min_n', 30)} rows are listed as not "
        "estimated.",
        f"Pay data: {prose.rates_source(results)}; a group's median may rest on one or "
        "two countries (see each group's countries and its largest country's share).",
    ]
    quoted = bool(arb.get("claimed_vs_data"))
    if arb.get("rate_kind") == "bill_rate":
        out.append(
            "The pay data are bill rates (contractors, per hour as charged)"
            + (": quoted rates are tested as levels and as ratios." if quoted else ".")
        )
    elif quoted:
        out.append(
            "Salary-equivalent pay is not a bill rate: contractors' hourly rates "
            "include overhead and margin, so only ratios are compared with quoted "
            "rates."
        )
    return out
