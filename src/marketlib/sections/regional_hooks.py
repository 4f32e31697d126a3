"""The regional section's sentences and what other pages read from its results."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any

from marketlib import prose
from marketlib.comparison import section_params
from marketlib.prose import topic_list
from marketlib.publish.text import reader_words
from marketlib.results_view import rows as _rows


def history_rows(results: Mapping[str, Any]) -> list[dict[str, Any]]:
    """Return each region's growth of developer activity (n: the economies summed)."""
    out = []
    for r in _rows(results.get("regional")):
        where = next((str(r[g]) for g in ("region", "subregion", "country_iso3") if g in r), "")
        key = f"{where} | {r.get('subject') or r.get('measure')} | {r.get('from')}->{r.get('to')}"
        out.append(
            {
                "key": key,
                "quantity": "growth",
                "value": r.get("growth"),
                "ci_low": r.get("ci_low"),
                "ci_high": r.get("ci_high"),
                "n": len(r.get("economies") or []),
            }
        )
    return out


_QUARTER = re.compile(r"(\d{4})\s*-?Q([1-4])")


def _data_through(results: Mapping[str, Any]) -> str | None:
    """Return the latest quarter a run's regional windows reach ("2025Q2"), if any."""
    found = [
        (int(y), int(q))
        for r in _rows(results.get("regional"))
        for lab in (r.get("from"), r.get("to"))
        for y, q in _QUARTER.findall(str(lab))
    ]
    if not found:
        return None
    y, q = max(found)
    return f"{y}Q{q}"


def input_details(
    previous: Mapping[str, Any], current: Mapping[str, Any]
) -> dict[str, dict[str, Any]]:
    """Return the activity table's change between two runs: economies and quarters."""

    def economies(results: Mapping[str, Any]) -> set[str]:
        return {str(e) for r in _rows(results.get("regional")) for e in (r.get("economies") or [])}

    out: dict[str, Any] = {}
    old_e, new_e = economies(previous), economies(current)
    if old_e and new_e:
        out["new_economies"] = sorted(new_e - old_e)
        out["economies_gone"] = sorted(old_e - new_e)
    through = [_data_through(previous), _data_through(current)]
    if all(through) and through[0] != through[1]:
        out["data_through"] = through
    return {"activity": out} if out else {}


def intro_phrase(results: Mapping[str, Any]) -> str | None:
    """Return the summary opening's activity phrase (topics named, a proxy by region)."""
    if not results.get("regional"):
        return None
    subjects = regional_subjects(results)
    topics = f" in {prose.topic_list(subjects)}" if subjects else ""
    return f"how fast developer activity{topics} grows by region"


def reading_notes(results: Mapping[str, Any]) -> list[str]:
    """Return the China/Hong Kong rule's effect and what developer activity is (a proxy)."""
    out = []
    hk = hong_kong_sentence(results)
    if hk:
        out.append(hk)
    subjects = regional_subjects(results)
    if subjects:
        out.append(
            f"Regional growth is developer activity on GitHub ({prose.topic_list(subjects)}), "
            "a proxy for interest in a technology, summed over economies published in "
            "every quarter; it is not a count of certifications."
        )
    return out


def regional_subjects(results: Mapping[str, Any] | None) -> list[str]:
    """Return the topics the regional section measured (in the order asked for)."""
    rows = (results or {}).get("regional") or []
    asked = section_params(results or {}, "regional").get("subjects") or []
    seen = [str(r.get("subject")) for r in rows if isinstance(r, Mapping) and r.get("subject")]
    return [s for s in asked if s in seen] or list(dict.fromkeys(seen))


def regional_caveats(
    subjects: Sequence[str] | None, measure: str, china_hong_kong: str
) -> list[str]:
    """Return the regional page's caveats for the run's topics and rules."""
    what = (
        f"Pushers to repositories tagged {topic_list(subjects)}"
        if measure == "topic_pushers"
        else f"The {reader_words(measure)} counts"
    )
    hk = {
        "combine": "China and Hong Kong are counted together",
        "exclude": "China and Hong Kong are left out",
        "keep": "China and Hong Kong are kept as separate economies",
    }[china_hong_kong]
    return [
        f"**A proxy.** {what} measure public activity, not certifications, skills or jobs; "
        "private work is invisible.",
        f"**Location.** An account's economy is the mode of its daily IP location in the "
        f"quarter; VPNs move people ({hk}).",
        "**Few economies.** A region's constant set may hold one or two economies (see the "
        "economies table): a region's figure is then those economies' figure.",
        "**Partial years.** A year with fewer than four published quarters enters only the "
        "latest-quarters comparison, never a calendar-year one.",
    ]


def hong_kong_sentence(results: Mapping[str, Any] | None) -> str | None:
    """Say how the China/Hong Kong rule shapes its region, with the ``keep`` result beside it."""
    detail = (results or {}).get("regional_detail") or {}
    hk = detail.get("china_hong_kong") if isinstance(detail, Mapping) else None
    if not isinstance(hk, Mapping) or not hk.get("rows"):
        return None
    years = [r for r in hk["rows"] if str(r.get("from", "")).isdigit()]
    last = (years or hk["rows"])[-1]  # the latest calendar-year comparison
    econ = last.get("economies") or []
    if isinstance(econ, str):
        econ = [e for e in econ.split(",") if e]
    rule = {
        "combine": "China and Hong Kong count as one economy, which drops out of every "
        "window where China is unpublished (from 2022Q4)",
        "exclude": "China and Hong Kong are left out",
        "keep": "Hong Kong and China are kept as ordinary economies",
    }.get(str(hk.get("rule")), str(hk.get("rule")))
    text = (
        f"{hk.get('group')}: {rule}, so its {last.get('from')} to {last.get('to')} "
        f"figure sums {len(econ)} economies ({', '.join(map(str, econ))})."
    )
    keep = hk.get("keep_rows") or []
    same = [k for k in keep if k.get("from") == last.get("from") and k.get("to") == last.get("to")]
    if same and same[0].get("growth") is not None and last.get("growth") is not None:
        k = same[0]
        text += (
            f" Kept as an ordinary economy, Hong Kong changes that growth from "
            f"{last['growth']:+.1%} to {k['growth']:+.1%}."
        )
    return text
