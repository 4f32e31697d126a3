"""Raw pay ratios (A1): group medians, their CIs, and the ratio of medians to the base.

Bootstrap by the exact resampling distribution of the median where n >= 30, distribution-free
order-statistic intervals for smaller cells; groups under the publication floor get n only.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

PUBLISH_RSE, CAUTION_RSE = 0.165, 0.333


def bootstrap_medians(x: np.ndarray, n_boot: int, rng: np.random.Generator) -> np.ndarray:
    """Draw ``n_boot`` bootstrap medians of ``x`` exactly, without resampling rows.

    The median of a size-n resample is its m-th order statistic (m = ceil(n/2), the lower
    median for even n); ``P(median* <= x_(j)) = P(Binomial(n, j/n) >= m)``, so medians are drawn
    by inverting that CDF: O(n + B log n) instead of O(n B).
    """
    xs = np.sort(np.asarray(x, dtype=float))
    n = len(xs)
    m = (n + 1) // 2
    cdf = stats.binom.sf(m - 1, n, np.arange(1, n + 1) / n)
    idx = np.minimum(np.searchsorted(cdf, rng.random(n_boot), side="left"), n - 1)
    return xs[idx]


def median_log_variance(x: np.ndarray) -> float:
    """Return the log median's sampling variance from the density at it: 1 / (4 (n + 2) f^2).

    ``f``: the Gaussian kernel density of the log values at their median (Silverman's
    bandwidth); ``p q / ((n + 2) f^2)`` is the order statistic's variance (exact for
    uniforms). The bootstrap's variance of a median (Maritz-Jarrett's: the same) runs high,
    about ``1 + 0.35 n^(-1/4)`` (1.2x at n = 11-16, 1.1x at 100: docs/validation.md).
    """
    lx = np.log(np.asarray(x, dtype=float))
    n = len(lx)
    sd = float(np.std(lx, ddof=1)) if n > 1 else 0.0
    spread = min(sd, float(stats.iqr(lx)) / 1.349) or sd
    if not spread > 0:
        return 0.0
    h = 0.9 * spread * n**-0.2
    f = float(np.mean(stats.norm.pdf((np.median(lx) - lx) / h))) / h
    return 1.0 / (4 * (n + 2) * f * f)


def median_ci_order_statistic(x: np.ndarray, ci_level: float = 0.95) -> tuple[float, float]:
    """Distribution-free CI for a median from binomial(n, 1/2) ranks (docs/methods.md#s6-1)."""
    xs = np.sort(np.asarray(x, dtype=float))
    n = len(xs)
    if n == 0:
        return np.nan, np.nan
    k = int(stats.binom.ppf((1 - ci_level) / 2, n, 0.5))
    lo = max(k, 1)
    hi = min(n - k + 1, n)
    return float(xs[lo - 1]), float(xs[hi - 1])


#: The note of a group or country whose rows all have the same pay (a zero-width interval
#: would claim certainty the data cannot give).
NO_SPREAD = "every row has the same pay: no interval (no spread to measure)"

RAW_COLUMNS = [
    "group",
    "n",
    "n_countries",
    "top_country",
    "top_country_share",
    "reported",
    "median_hourly_usd",
    "ci_low",
    "ci_high",
    "ratio_to_base",
    "ratio_ci_low",
    "ratio_ci_high",
    "discount",
    "rse",
    "flag",
    "note",
]


def reported_row(
    row: dict[str, Any],
    n: int,
    med: float,
    ci: tuple[float, float],
    base_med: float,
    base_ci: tuple[float, float],
    boot: np.ndarray | None,
    base_boot: np.ndarray,
    is_base: bool,
    q: tuple[float, float],
) -> dict[str, Any]:
    """Fill a reported group's median, CI, ratio to the base, RSE and flag (A1).

    ``n < 30`` (a lowered floor): distribution-free bounds and an indicative ratio from the
    order-statistic CIs (flag ``E``); otherwise the ratio CI from the bootstrap medians
    (``boot`` against ``base_boot``) and the flag from the RSE. One rule for both engines.
    """
    lo, hi = ci
    if n < 30:  # docs/methods.md#s6-1: bootstrap under-covers here; distribution-free bounds
        blo, bhi = base_ci
        row.update(
            reported=True,
            median_hourly_usd=med,
            ci_low=lo,
            ci_high=hi,
            rse=np.nan,
            flag="E",
            ratio_to_base=med / base_med,
            ratio_ci_low=lo / bhi,
            ratio_ci_high=hi / blo,
            note="n < 30: order-statistic bounds, ratio indicative",
        )
    else:
        assert boot is not None  # n >= 30: the caller bootstrapped the group
        rse = float(np.std(np.log(boot), ddof=1))
        ratio_boot = boot / base_boot
        row.update(
            reported=True,
            median_hourly_usd=med,
            ci_low=lo,
            ci_high=hi,
            rse=rse,
            flag="A" if rse <= PUBLISH_RSE else ("E" if rse <= CAUTION_RSE else "F"),
            ratio_to_base=med / base_med,
            ratio_ci_low=float(np.quantile(ratio_boot, q[0])),
            ratio_ci_high=float(np.quantile(ratio_boot, q[1])),
            note="",
        )
    if not hi > lo:  # every row the same pay: no spread to measure any uncertainty from
        row.update(
            ci_low=np.nan,
            ci_high=np.nan,
            ratio_ci_low=np.nan,
            ratio_ci_high=np.nan,
            rse=np.nan,
            flag="E",
            note=NO_SPREAD,
        )
    if is_base:  # the base against itself: 1 by definition, no interval (no information)
        row.update(ratio_to_base=1.0, ratio_ci_low=np.nan, ratio_ci_high=np.nan)
    row["discount"] = 1 - row["ratio_to_base"]
    return row


def raw_ratios(
    d: pd.DataFrame,
    base: str,
    min_n: int = 30,
    n_boot: int = 2000,
    seed: int = 0,
    ci_level: float = 0.95,
) -> pd.DataFrame:
    """Median hourly pay per group and its ratio to the base group, with CIs and n.

    Groups with ``n >= 30`` get bootstrap ratio CIs (percentile, exact median resampling);
    groups with ``min_n <= n < 30`` (only if the floor is lowered, never below 10) get
    distribution-free order-statistic bounds, flag ``E`` and an "indicative" note; groups
    under ``min_n`` are listed with ``reported = False`` and no estimate. Each group also
    carries the number of countries, the largest country's share of n and a publication
    flag (A/E) from the RSE.
    """
    rng = np.random.default_rng(seed)
    q = ((1 - ci_level) / 2, 1 - (1 - ci_level) / 2)
    groups = {g: s for g, s in d.groupby("group")}
    if base not in groups:
        raise ValueError(f"base group {base!r} has no rows in this selection")
    xb = groups[base]["hourly_usd"].to_numpy()
    base_boot = bootstrap_medians(xb, n_boot, rng)
    base_med = float(np.median(xb))
    rows = []
    for g in sorted(groups, key=lambda k: (k != base, k)):
        s = groups[g]
        x = s["hourly_usd"].to_numpy()
        n = len(x)
        shares = s["country_iso3"].value_counts(normalize=True)
        row: dict[str, Any] = {
            "group": g,
            "n": n,
            "n_countries": int(s["country_iso3"].nunique()),
            "top_country": shares.index[0],
            "top_country_share": float(shares.iloc[0]),
        }
        if n < min_n:
            row.update(reported=False, flag="F", note=f"n < {min_n}: suppressed")
            rows.append(row)
            continue
        med = float(np.median(x))
        lo, hi = median_ci_order_statistic(x, ci_level)
        boot = None if n < 30 else base_boot if g == base else bootstrap_medians(x, n_boot, rng)
        rows.append(
            reported_row(
                row,
                n,
                med,
                (lo, hi),
                base_med,
                median_ci_order_statistic(xb, ci_level),
                boot,
                base_boot,
                g == base,
                q,
            )
        )
    cols = RAW_COLUMNS
    return pd.DataFrame(rows).reindex(columns=cols)
