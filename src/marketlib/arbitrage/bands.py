"""Pay medians and ratios from banded (interval-censored) pay: the Kaggle survey's USD bands.

A respondent reports a band ``[low, high)``, never a number. For fixed bands that do not
overlap, the nonparametric maximum-likelihood estimate of the pay distribution (Turnbull 1976)
puts each band's share of respondents on the band; it says nothing about where inside a band
the mass lies. The median is then read off the cumulative shares by **interpolation inside
the band that holds it, log-linearly** (pay spread evenly on the log scale within the band;
linearly in a band that starts at 0), the grouped-data median of the textbooks applied on the
scale pay is compared on. No respondent is given a band's midpoint. The open top band
(``> $1,000,000``) can hold the median of no real group; if it does, there is no estimate.

Sampling variance of the log median: ``1 / (4 n f^2)``, ``f`` the density of log pay at the
median, estimated as the share of respondents in the median's band and its two neighbours
over their log width (the three-band window smooths the step of one band's count). Ratios to
the base, and a region's typical-country and named-country intervals, are those of the
aijobs pay ratios (:func:`marketlib.arbitrage.estimands.country_mean`: countries are
clusters). Validated by simulation on banded data with known truth (docs/validation.md).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from marketlib.arbitrage.countries import MIN_COUNTRY_N, country_flag
from marketlib.arbitrage.estimands import ESTIMANDS, country_mean


@dataclass(frozen=True)
class BandedMedian:
    """A median from banded values: the point, its log-scale sampling variance, n, the band."""

    median: float
    log_var: float
    n: int
    band_low: float
    band_high: float


def band_table(low: np.ndarray, high: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Return the distinct bands, sorted: lows, highs and counts; refuse overlapping bands.

    Raises
    ------
    ValueError
        Two bands overlap (mixed band schemes need Turnbull's self-consistency algorithm,
        which marketlib does not implement).
    """
    lows, first, counts = np.unique(low, return_index=True, return_counts=True)
    highs = high[first]
    lo_s, hi_s = low[np.lexsort((high, low))], high[np.lexsort((high, low))]
    if ((lo_s[1:] == lo_s[:-1]) & (hi_s[1:] != hi_s[:-1])).any():
        raise ValueError("pay bands overlap: one band scheme per estimate")
    if len(lows) > 1 and (lows[1:] < highs[:-1]).any():
        raise ValueError("pay bands overlap: one band scheme per estimate")
    return lows, highs, counts


def banded_median(low: np.ndarray, high: np.ndarray) -> BandedMedian:
    """Return the interpolated median of banded values and its log-scale variance."""
    lows, highs, counts = band_table(np.asarray(low, dtype=float), np.asarray(high, dtype=float))
    n = int(counts.sum())
    if n == 0:
        return BandedMedian(np.nan, np.nan, 0, np.nan, np.nan)
    share = counts / n
    cum = np.cumsum(share)
    below = cum - share
    i = int(np.searchsorted(cum, 0.5, side="left"))
    a, b = float(lows[i]), float(highs[i])
    frac = (0.5 - below[i]) / share[i]
    if not np.isfinite(b):
        return BandedMedian(np.nan, np.nan, n, a, b)
    med = a + frac * (b - a) if a <= 0 else float(np.exp(np.log(a) + frac * np.log(b / a)))
    lo_i, hi_i = max(i - 1, 0), min(i + 1, len(lows) - 1)
    if not np.isfinite(highs[hi_i]):
        hi_i = i
    lo_edge, hi_edge = float(lows[lo_i]), float(highs[hi_i])
    mass = float(share[lo_i : hi_i + 1].sum())
    if lo_edge <= 0:  # the window starts at 0: the density on the linear scale, times med
        f = mass / (hi_edge - lo_edge) * med
    else:
        f = mass / float(np.log(hi_edge / lo_edge))
    log_var = 1.0 / (4 * n * f * f) if f > 0 else np.nan
    return BandedMedian(med, log_var, n, a, b)


@dataclass(frozen=True)
class BandedPay:
    """Banded-pay medians and ratios: per group (region) and per country."""

    groups: pd.DataFrame
    countries: pd.DataFrame
    base: str
    method: str


METHOD = (
    "interval-censored pay: Turnbull's NPMLE for fixed bands (the band shares), the "
    "median interpolated log-linearly inside its band (never a midpoint per respondent)"
)


def banded_ratios(
    rows: pd.DataFrame,
    group: str,
    base: str,
    min_n: int = 30,
    min_country_n: int = MIN_COUNTRY_N,
    ci_level: float = 0.95,
) -> BandedPay:
    """Return each group's and country's banded median and its ratio to the base group.

    ``rows``: ``group`` column (e.g. ``subregion``), ``country_iso3``, ``pay_low_usd``,
    ``pay_high_usd``. A group under ``min_n`` respondents is listed, not estimated; a country
    enters its group's equal-country mean with ``min_country_n`` respondents (as aijobs').
    """
    from scipy import stats

    d = rows.dropna(subset=[group, "country_iso3"])
    g_code, g_name = pd.factorize(d[group], sort=True)
    c_code, c_name = pd.factorize(d["country_iso3"], sort=True)
    low = d["pay_low_usd"].to_numpy(dtype=float)
    high = d["pay_high_usd"].to_numpy(dtype=float)
    if base not in set(g_name):
        raise ValueError(f"base group {base!r} has no banded-pay respondents")
    b_idx = np.flatnonzero(g_code == list(g_name).index(base))
    bm = banded_median(low[b_idx], high[b_idx])
    z = float(stats.norm.ppf(1 - (1 - ci_level) / 2))
    countries: list[dict[str, Any]] = []
    for gi, ci, idx in _segments(g_code * len(c_name) + c_code, len(c_name)):
        m = banded_median(low[idx], high[idx])
        row: dict[str, Any] = {
            "group": g_name[gi],
            "country_iso3": c_name[ci],
            "n": m.n,
            "reported": m.n >= min_country_n and np.isfinite(m.median),
        }
        if row["reported"]:
            t = float(stats.t.ppf(1 - (1 - ci_level) / 2, m.n - 1))
            se = float(np.sqrt(m.log_var))
            ratio = m.median / bm.median
            se_ratio = float(np.sqrt(m.log_var + bm.log_var))  # country and base: independent
            row.update(
                median_usd=m.median,
                median_ci_low=m.median * np.exp(-t * se),
                median_ci_high=m.median * np.exp(t * se),
                log_var=m.log_var,
                ratio_to_base=ratio,
                ratio_ci_low=ratio * np.exp(-z * se_ratio),
                ratio_ci_high=ratio * np.exp(z * se_ratio),
                flag=country_flag(m.n, se),
            )
        countries.append(row)
    ctab = pd.DataFrame(countries)
    groups: list[dict[str, Any]] = []
    for gi, _, idx in _segments(g_code, 1):
        g = g_name[gi]
        m = banded_median(low[idx], high[idx])
        out: dict[str, Any] = {
            "group": g,
            "n": m.n,
            "n_countries": int(len(np.unique(c_code[idx]))),
            "reported": m.n >= min_n and np.isfinite(m.median),
        }
        if out["reported"]:
            se = float(np.sqrt(m.log_var + (bm.log_var if g != base else 0.0)))
            out.update(median_usd=m.median, ratio_to_base=m.median / bm.median)
            if g != base:
                out.update(
                    ratio_ci_low=out["ratio_to_base"] * np.exp(-z * se),
                    ratio_ci_high=out["ratio_to_base"] * np.exp(z * se),
                )
        rep = ctab[(ctab["group"] == g) & ctab["reported"]] if len(ctab) else ctab
        out.update(
            n_countries_averaged=len(rep), n_rows_averaged=int(rep["n"].sum()) if len(rep) else 0
        )
        if out["reported"] and g != base and len(rep):
            mean = country_mean(
                np.log(rep["ratio_to_base"].to_numpy(dtype=float)),
                rep["log_var"].to_numpy(dtype=float),
                bm.log_var,
                ci_level,
                variance_dfs=rep["n"].to_numpy(dtype=float) - 1,
                base_df=bm.n - 1,
            )
            out.update(
                ratio_equal_country=float(np.exp(mean.log_ratio)),
                ratio_equal_country_ci_low=float(np.exp(mean.typical[0])),
                ratio_equal_country_ci_high=float(np.exp(mean.typical[1])),
                ratio_named_countries_ci_low=float(np.exp(mean.named[0])),
                ratio_named_countries_ci_high=float(np.exp(mean.named[1])),
            )
        groups.append(out)
    return BandedPay(
        pd.DataFrame(groups), ctab.drop(columns=["log_var"], errors="ignore"), base, METHOD
    )


def _segments(key: np.ndarray, width: int):  # noqa: ANN202 - a generator of index arrays
    """Yield ``(key // width, key % width, row indices)`` per distinct key, in key order."""
    order = np.argsort(key, kind="stable")
    uniq, starts = np.unique(key[order], return_index=True)
    ends = np.append(starts[1:], len(order))
    for k, a, b in zip(uniq, starts, ends, strict=True):
        yield int(k // width), int(k % width), order[a:b]


__all__ = [
    "ESTIMANDS",
    "METHOD",
    "BandedMedian",
    "BandedPay",
    "band_table",
    "banded_median",
    "banded_ratios",
]
