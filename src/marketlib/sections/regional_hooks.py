"""What the summary page, the history and the change report read from the regional results."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from marketlib import prose
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
    subjects = prose.regional_subjects(results)
    topics = f" in {prose.topic_list(subjects)}" if subjects else ""
    return f"how fast developer activity{topics} grows by region"


def reading_notes(results: Mapping[str, Any]) -> list[str]:
    """Return the China/Hong Kong rule's effect and what developer activity is (a proxy)."""
    out = []
    hk = prose.hong_kong_sentence(results)
    if hk:
        out.append(hk)
    subjects = prose.regional_subjects(results)
    if subjects:
        out.append(
            f"Regional growth is developer activity on GitHub ({prose.topic_list(subjects)}), "
            "a proxy for interest in a technology, summed over economies published in "
            "every quarter; it is not a count of certifications."
        )
    return out
