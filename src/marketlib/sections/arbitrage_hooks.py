"""The pay section's sentences and what other pages read from its results."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from marketlib import prose
from marketlib.frames import finite_or_none as _num
from marketlib.prose import base_pay, geography_word, rates_source
from marketlib.publish.text import pay_words
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


def arbitrage_intro(results: Mapping[str, Any] | None) -> str:
    """Return the sentence that says what the pay ratios compare."""
    arb = (results or {}).get("arbitrage") or {}
    if not arb:
        return "No pay section in this run."
    base = str(arb.get("base", "the base group"))
    hours = arb.get("hours_per_year", 2080)
    controls = ", ".join(
        str(c).replace("role_family", "role family")
        for c in (arb.get("adjusted") or [{}])[0].get("controls", []) or []
    )
    base_row = next(
        (r for r in arb.get("raw") or [] if isinstance(r, Mapping) and str(r.get("group")) == base),
        {},
    )
    one = (
        f" The base is one country ({base_row.get('top_country')}): every ratio compares "
        "with that country's pay, not with a region's."
        if base_row.get("n_countries") == 1 and base_row.get("top_country")
        else ""
    )
    kind = (
        "salary-equivalent: annual pay / {hours:,.0f} hours"
        if arb.get("rate_kind") != "bill_rate"
        else "bill rates per hour as charged"
    ).format(hours=hours)
    who = f" Who: {arb['population']}." if arb.get("population") else ""
    return (
        f"Ratios are to {base_pay(base)} ({kind}), from {rates_source(results)}.{who}"
        f"{one} The adjusted ratio holds {controls or 'the job mix'} fixed and weighs a "
        "region's countries alike (each country's own effect); the raw ratio compares "
        "medians as observed. Intervals "
        "resample countries within a region, then people within a country."
    )


def pay_population_intro(arbitrage_results: Mapping[str, Any]) -> str:
    """Return the pay page's opening: what kind of pay, for whom, from which rows."""
    w = pay_words(arbitrage_results.get("rate_kind"))
    who = arbitrage_results.get("population") or "the selected rows"
    return f"**The pay here:** {w.pay} of {who}. " + w.note.format(
        hours=float(arbitrage_results.get("hours_per_year") or 2080)
    )


def quoted_rates_note(rate_kind: str) -> str:
    """Return what quoted hourly rates can be tested against, for the run's pay kind."""
    if rate_kind == "bill_rate":
        return (
            "The data are bill rates too: quoted levels are tested as levels (against "
            "each group's median and its interval), and their ratios as ratios."
        )
    return (
        "Quoted hourly rates are usually contractor or agency bill rates, not salaries: "
        "their levels cannot be compared with salary-equivalent pay, but their ratios can."
    )


def arbitrage_caveats(
    source: str,
    base: str,
    hours_per_year: float,
    geography: str = "subregion",
    rate_kind: str = "salary",
) -> list[str]:
    """Return the arbitrage page's caveats for the run's pay source, base, hours and kind."""
    w = pay_words(rate_kind)
    head = "**Salary-equivalent pay.**" if w.kind == "salary" else "**Bill rates as charged.**"
    return [
        f"{head} {w.note.format(hours=hours_per_year)}",
        f"**The sample.** Pay comes from {source}. Intervals measure sampling noise, not "
        "selection bias: a group's median from a few dozen rows is not a market rate.",
        f"**Group = residence.** Each row's {geography_word(geography)} is the {w.person}'s "
        f"country of residence; people working remotely for employers in {base} sit in "
        "their residence's group.",
        "**Within-group spread is large.** A group's median is not what a given hire costs: "
        "the distribution plot shows the overlap.",
        "**Countries are a sample too.** Regional intervals resample countries, then rows "
        "within them; with few countries they are wide, and that is the honest answer. The "
        "equal-country ratio weighs each country with at least 10 rows alike; the pooled "
        "ratio is the largest country's figure more than the region's.",
    ]
