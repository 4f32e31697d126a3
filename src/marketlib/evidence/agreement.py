"""Do two sources agree? Two pay surveys' ratios, and one verdict per source for a claim.

**Ratio of ratios**: two independent surveys' ratios to the same base, ``r1 / r2``, with the
interval ``exp(log r1 - log r2 +/- z sqrt(se1^2 + se2^2))``, each ``se`` read off its own
interval (``log(hi / lo) / 2 z``: both are symmetric on the log scale). It contains 1: the
surveys are consistent there; it excludes 1: they disagree (different populations or methods
can explain it, and the page names both populations). No interval on either side: no test.

**Combined verdict** of a claim over the sources that can speak to it, by a written rule:
each source's verdict is read as *supports*, *contradicts* or *uninformative* (an interval
too wide to tell the claim from its alternatives is never support); none informative: "no
source can tell"; one: "one source only (for / against the claim)"; all informative alike:
"sources agree (for / against the claim)"; else "sources disagree".
"""

from __future__ import annotations

import numpy as np
from scipy import stats

#: How a source's verdict counts in the combined line.
STANCE = {
    "supported_by_data": "supports",
    "consistent": "supports",
    "consistent_with_proxy": "supports",
    "direction_agrees": "supports",
    "contradicted_by_data": "contradicts",
    "inconsistent": "contradicts",
    "not_supported_by_proxy": "contradicts",
    "direction_disagrees": "contradicts",
}
COMBINED = ("no source can tell", "one source only", "sources agree", "sources disagree")
STANCE_WORDS = {"supports": "for the claim", "contradicts": "against the claim"}


def ratio_of_ratios(
    r1: float, lo1: float, hi1: float, r2: float, lo2: float, hi2: float, ci_level: float = 0.95
) -> tuple[float, float, float]:
    """Return ``r1 / r2`` and its interval (NaN when either side has no interval)."""
    vals = np.array([r1, lo1, hi1, r2, lo2, hi2], dtype=float)
    if not np.all(np.isfinite(vals)) or np.any(vals <= 0):
        return (float(r1 / r2) if np.isfinite(r1 / r2) else np.nan), np.nan, np.nan
    z = float(stats.norm.ppf(1 - (1 - ci_level) / 2))
    se = np.hypot(np.log(hi1 / lo1) / (2 * z), np.log(hi2 / lo2) / (2 * z))
    est = float(np.log(r1 / r2))
    return float(np.exp(est)), float(np.exp(est - z * se)), float(np.exp(est + z * se))


def consistency(lo: float, hi: float) -> str:
    """Return ``consistent``, ``disagree`` or ``no test`` for a ratio-of-ratios interval."""
    if not (np.isfinite(lo) and np.isfinite(hi)):
        return "no test"
    return "consistent" if lo <= 1.0 <= hi else "disagree"


def direction_verdict(claimed_change: float, change: float | None) -> str:
    """Judge an exact series' change against a claimed one by sign only (sizes differ)."""
    if change is None or not np.isfinite(change) or change == 0:
        return "uninformative"
    return (
        "direction_agrees" if np.sign(change) == np.sign(claimed_change) else "direction_disagrees"
    )


def combined_verdict(verdicts: list[str]) -> str:
    """Return the combined line of one claim over its sources' verdicts (the rule above)."""
    stances = [STANCE[v] for v in verdicts if v in STANCE]
    if not stances:
        return COMBINED[0]
    if len(stances) == 1:
        return f"{COMBINED[1]} ({STANCE_WORDS[stances[0]]})"
    if len(set(stances)) == 1:
        return f"{COMBINED[2]} ({STANCE_WORDS[stances[0]]})"
    return COMBINED[3]
