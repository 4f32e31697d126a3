"""Read estimates out of a ``results.json`` document, one rule per estimate, for every page.

The pages, the brief, the figures and the change report all read the same documents; a rule
that picks which estimate a page shows lives here once.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from marketlib.frames import finite_or_none


def rows(value: Any) -> list[dict[str, Any]]:
    """Return the dict rows of a list section (anything else: no rows), as copies."""
    return [dict(r) for r in value if isinstance(r, Mapping)] if isinstance(value, list) else []


def mapping(value: Any) -> dict[str, Any]:
    """Return a mapping section as a dict (anything else: empty)."""
    return dict(value) if isinstance(value, Mapping) else {}


def comparable_ratio(adjusted: Mapping[str, Any]) -> tuple[Any, Any, Any, int | None]:
    """Return the comparable-specialist ratio a page shows: (ratio, low, high, countries).

    The equal-country adjusted ratio (country effects with the controls, each country weighed
    alike) with its country-cluster CI when the group has at least two countries to average;
    otherwise the pooled adjusted ratio with its country-cluster CI (``countries`` None).
    Results written before equal-country adjusted ratios existed read as pooled.
    """
    if finite_or_none(adjusted.get("ratio_equal_country_ci_low")) is not None:
        k = finite_or_none(adjusted.get("n_countries_averaged"))
        return (adjusted.get("ratio_equal_country"), adjusted.get("ratio_equal_country_ci_low"),
                adjusted.get("ratio_equal_country_ci_high"), None if k is None else int(k))
    return adjusted.get("ratio_to_base"), adjusted.get("ci_low"), adjusted.get("ci_high"), None
