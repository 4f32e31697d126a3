"""Which region is cheapest: the uncertainty of the headline ratios' ranks.

The headline (a typical country's adjusted ratio, docs/methods.md#s4-3) is drawn for every
region from its own interval's distribution, Student's t with k - 1 df on the log scale
(scale: the interval's half-width over t's quantile), independently across regions: each
region's countries are its own. Ranks are counted over the draws (1 = cheapest): the share
of draws in which a region is cheapest, and the 2.5-97.5% range of its rank. Conservative
in one respect, said on the page: the base's own uncertainty, shared by every ratio (it
moves them together, not their order), is in each region's interval. Regions without a
headline interval (fewer than three countries) are not ranked.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import stats

COLUMNS = ["group", "rank", "rank_low", "rank_high", "p_cheapest", "n_ranked"]


def headline_ranks(
    ratios: pd.DataFrame, ci_level: float = 0.95, draws: int = 20_000, seed: int = 0
) -> pd.DataFrame:
    """Return each ranked region's rank (1 = cheapest), its 95% range and P(cheapest).

    ``ratios``: one row per region with ``group``, ``ratio_equal_country``,
    ``ratio_equal_country_ci_low``/``_ci_high`` and ``n_countries_averaged`` (the adjusted
    ratio table). Fewer than two regions with an interval: an empty table.
    """
    need = [
        "ratio_equal_country",
        "ratio_equal_country_ci_low",
        "ratio_equal_country_ci_high",
        "n_countries_averaged",
    ]
    if ratios is None or ratios.empty or any(c not in ratios for c in need):
        return pd.DataFrame(columns=COLUMNS)
    r = ratios.dropna(subset=need)
    r = r[(r["ratio_equal_country_ci_low"] > 0) & (r["n_countries_averaged"] >= 3)]
    if len(r) < 2:
        return pd.DataFrame(columns=COLUMNS)
    k = r["n_countries_averaged"].to_numpy(dtype=float)
    q = stats.t.ppf(1 - (1 - ci_level) / 2, k - 1)
    lo, hi = (np.log(r[c].to_numpy(dtype=float)) for c in need[1:3])
    scale = (hi - lo) / (2 * q)
    centre = (hi + lo) / 2  # the interval's centre on the log scale (the estimate)
    rng = np.random.default_rng(seed)
    sample = centre + scale * rng.standard_t(k - 1, size=(draws, len(r)))
    ranks = sample.argsort(axis=1).argsort(axis=1) + 1
    point = (
        pd.Series(np.log(r["ratio_equal_country"].to_numpy(dtype=float)))
        .rank(method="min")
        .to_numpy(dtype=int)
    )
    return (
        pd.DataFrame(
            {
                "group": r["group"].to_numpy(),
                "rank": point,
                "rank_low": np.quantile(ranks, 0.025, axis=0, method="lower").astype(int),
                "rank_high": np.quantile(ranks, 0.975, axis=0, method="higher").astype(int),
                "p_cheapest": (ranks == 1).mean(axis=0),
                "n_ranked": len(r),
            }
        )
        .sort_values("rank", kind="stable")
        .reset_index(drop=True)
    )
