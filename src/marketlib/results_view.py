"""Read estimates out of a ``results.json`` document, one rule per estimate, for every page.

The pages, the brief, the figures and the change report all read the same documents; a rule
that picks which estimate a page shows lives here once.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from statistics import NormalDist
from typing import Any

from marketlib.arbitrage.medians import CAUTION_RSE, PUBLISH_RSE
from marketlib.frames import finite_or_none


def rows(value: Any) -> list[dict[str, Any]]:
    """Return the dict rows of a list section (anything else: no rows), as copies."""
    return [dict(r) for r in value if isinstance(r, Mapping)] if isinstance(value, list) else []


def mapping(value: Any) -> dict[str, Any]:
    """Return a mapping section as a dict (anything else: empty)."""
    return dict(value) if isinstance(value, Mapping) else {}


#: The pay quantity history tracks: the headline of every page (:func:`comparable_ratio`: a
#: typical country's adjusted ratio; without a country of 10 rows, the pooled one, no CI).
HEADLINE_PAY = "headline_ratio"


def comparable_ratio(adjusted: Mapping[str, Any]) -> tuple[Any, Any, Any, int | None]:
    """Return the headline pay ratio of a group: (ratio, low, high, countries averaged).

    The headline (docs/methods.md#s4-3) is the equal-country adjusted ratio read as a
    **typical country of the region**: country effects with the controls, each country with
    at least 10 rows weighed alike, its interval from the spread between countries (none from
    fewer than three countries: ``low``/``high`` None). A group with no country of 10 rows
    has no headline interval: its pooled adjusted ratio is returned without one
    (``countries`` None), as the pooled ratio only describes the respondents.
    """
    if finite_or_none(adjusted.get("ratio_equal_country")) is not None:
        k = finite_or_none(adjusted.get("n_countries_averaged"))
        return (
            adjusted.get("ratio_equal_country"),
            finite_or_none(adjusted.get("ratio_equal_country_ci_low")),
            finite_or_none(adjusted.get("ratio_equal_country_ci_high")),
            None if k is None else int(k),
        )
    return adjusted.get("ratio_to_base"), None, None, None


def headline_flag(low: Any, high: Any, level: float = 0.95) -> str:
    """Return the reliability of a headline ratio from its own interval (A, E, F or N).

    The relative standard error is read off the interval (``log(high/low) / (2 z)``) and
    graded as every estimate is (A <= 16.5%, E <= 33.3%, F above); ``N``: no interval, so no
    reliability can be stated (the page says "no interval", never "reliable").
    """
    lo, hi = finite_or_none(low), finite_or_none(high)
    if lo is None or hi is None or lo <= 0 or hi <= lo:
        return "N"
    rse = math.log(hi / lo) / (2 * NormalDist().inv_cdf(1 - (1 - level) / 2))
    return "A" if rse <= PUBLISH_RSE else "E" if rse <= CAUTION_RSE else "F"


#: The version of results.json's names (run.schema_version); 1: before it was recorded.
SCHEMA_VERSION = 2
#: Names of schema version 1 -> 2, per arbitrage list: one name per concept (the grouping
#: column is a ``group``; an interval says what it bounds).
_RENAMED = {
    "regions": {"region": "group", "ci_low": "median_ci_low", "ci_high": "median_ci_high"},
    "adjusted": {
        "region": "group",
        "ci_low": "ratio_ci_low",
        "ci_high": "ratio_ci_high",
        "ci_low_rows": "ratio_ci_low_rows",
        "ci_high_rows": "ratio_ci_high_rows",
    },
    "countries": {"ci_low": "ratio_ci_low", "ci_high": "ratio_ci_high"},
}


def upgrade_arbitrage(section: Any) -> Any:
    """Return an arbitrage section with version-2 names (a copy; version 2 is unchanged)."""
    if not isinstance(section, Mapping):
        return section
    out = dict(section)
    for part, names in _RENAMED.items():
        if isinstance(out.get(part), list):
            out[part] = [
                {names.get(k, k) if names.get(k, k) not in r else k: v for k, v in r.items()}
                if isinstance(r, Mapping)
                else r
                for r in out[part]
            ]
    return out


def upgrade(results: Any) -> Any:
    """Return a results document written by any earlier version with today's names.

    Runs written before ``run.schema_version`` 2 named the arbitrage groups ``region`` and
    their median and ratio bounds ``ci_low``/``ci_high``; ``--compare-to`` and the history
    read them through here.
    """
    if not isinstance(results, Mapping):
        return results
    run: Mapping[str, Any] = results["run"] if isinstance(results.get("run"), Mapping) else {}
    if (finite_or_none(run.get("schema_version")) or 1) >= SCHEMA_VERSION:
        return results
    return {**results, "arbitrage": upgrade_arbitrage(results.get("arbitrage"))}
