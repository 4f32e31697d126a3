"""Pay bands: P25, P50, P75 and P90 of hourly pay per group, country, level and job family.

Analysts read pay as bands (levels.fyi, Lightcast, LinkedIn Talent Insights all show them).
Each percentile is numpy's linear quantile (P50 is the median of the other tables); its
interval is distribution-free: the order statistics of ranks ``binom.ppf(a/2, n, q)`` and
``binom.ppf(1 - a/2, n, q) + 1`` (docs/methods.md#s6-1, the median's rule at any quantile).
A bound whose rank falls outside the rows is not printed (too few rows to bound P90 above).
Cells below the floor are listed with ``reported = False`` and no estimate. The intervals
treat rows as a sample of the cell: they describe the respondents (countries are not
resampled), as the pooled medians do. Both engines compute the same order statistics
(:func:`marketlib.engines.dask_arbitrage.dask_percentiles`).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import stats

#: The percentiles reported (fractions).
PERCENTILES = (0.25, 0.5, 0.75, 0.9)
#: The breakdowns: dimension -> the column that splits each group (None: the group itself).
DIMENSIONS = {
    "group": None,
    "country": "country_iso3",
    "experience": "experience",
    "role_family": "role_family",
}
COLUMNS = [
    "dimension",
    "group",
    "key",
    "n",
    "reported",
    "percentile",
    "hourly_usd",
    "ci_low",
    "ci_high",
]


def quantile_ranks(n: int, q: float) -> tuple[int, int, float]:
    """Return numpy's linear quantile as (previous 0-based rank, next rank, weight)."""
    virtual = (n - 1) * ((q * 100) / 100)
    prev = int(np.floor(virtual))
    return prev, min(prev + 1, n - 1), virtual - prev


def ci_ranks(n: int, q: float, ci_level: float) -> tuple[int, int]:
    """Return the 0-based ranks of the distribution-free interval (-1 / n: none that side)."""
    a = (1 - ci_level) / 2
    lo = int(stats.binom.ppf(a, n, q))  # 1-based rank l: P(B < l) <= a
    hi = int(stats.binom.ppf(1 - a, n, q)) + 1
    return (lo - 1 if lo >= 1 else -1), (hi - 1 if hi <= n else n)


def lerp(a: float, b: float, t: float) -> float:
    """Return numpy's interpolation between two order statistics (``np.quantile``)."""
    return b - (b - a) * (1 - t) if t >= 0.5 else a + (b - a) * t


def cell_percentiles(xs: np.ndarray, ci_level: float = 0.95) -> list[dict[str, float]]:
    """Return each percentile of the sorted ``xs`` with its interval (NaN: no bound)."""
    n = len(xs)
    out = []
    for q in PERCENTILES:
        p, nx, t = quantile_ranks(n, q)
        lo, hi = ci_ranks(n, q, ci_level)
        out.append(
            {
                "percentile": q,
                "hourly_usd": lerp(xs[p], xs[nx], t),
                "ci_low": float(xs[lo]) if lo >= 0 else np.nan,
                "ci_high": float(xs[hi]) if hi < n else np.nan,
            }
        )
    return out


def cells_of(d: pd.DataFrame) -> pd.DataFrame:
    """Return the rows with their ``dimension`` and ``key`` (one copy per dimension)."""
    parts = []
    for dim, col in DIMENSIONS.items():
        key = d["group"] if col is None else d[col] if col in d else None
        if key is None:
            continue
        parts.append(
            pd.DataFrame(
                {
                    "dimension": dim,
                    "group": d["group"].to_numpy(),
                    "key": key.astype("object").to_numpy(),
                    "hourly_usd": d["hourly_usd"].to_numpy(),
                }
            )
        )
    out = pd.concat(parts, ignore_index=True)
    return out[out["key"].notna() & out["hourly_usd"].notna()]


def floors(min_n: int, country_min_n: int) -> dict[str, int]:
    """Return each dimension's publication floor (countries: the country table's)."""
    return {dim: (country_min_n if dim == "country" else min_n) for dim in DIMENSIONS}


def pay_percentiles(
    d: pd.DataFrame, min_n: int = 30, country_min_n: int = 10, ci_level: float = 0.95
) -> pd.DataFrame:
    """Return P25/P50/P75/P90 of ``hourly_usd`` per cell of :data:`DIMENSIONS` (long table).

    ``d``: the selected rows (``group``, ``hourly_usd``, ``country_iso3``, ``experience``,
    ``role_family``). A cell under its floor (:func:`floors`) has ``reported = False``.
    """
    cells = cells_of(d)
    floor = floors(min_n, country_min_n)
    rows = []
    for (dim, g, key), s in cells.groupby(["dimension", "group", "key"], sort=True):
        xs = np.sort(s["hourly_usd"].to_numpy(dtype=float))
        base = {"dimension": dim, "group": g, "key": str(key), "n": len(xs)}
        if len(xs) < floor[dim]:
            rows.append(
                {
                    **base,
                    "reported": False,
                    "percentile": np.nan,
                    "hourly_usd": np.nan,
                    "ci_low": np.nan,
                    "ci_high": np.nan,
                }
            )
            continue
        rows += [{**base, "reported": True, **p} for p in cell_percentiles(xs, ci_level)]
    out = pd.DataFrame(rows, columns=COLUMNS)
    order = {dim: i for i, dim in enumerate(DIMENSIONS)}
    return out.sort_values(
        ["dimension", "group", "key", "percentile"],
        key=lambda c: c.map(order) if c.name == "dimension" else c,
        kind="stable",
    ).reset_index(drop=True)
