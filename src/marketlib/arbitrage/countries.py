"""Pay by country, and regional ratios with named estimands (docs/methods.md#s4-3, #s7-2).

A region's countries are a sample too, and pay differs 2-3x between the countries of one
region: the pooled median is mostly the largest country's. Here:

- **per country** (n >= 10): the median hourly pay, its ratio to the base group's median, an
  interval (n >= 30: percentile bootstrap of the median, rows within the country and the base's
  rows; 10 <= n < 30: distribution-free order-statistic bounds, docs/methods.md#s6-1), and an
  empirical-Bayes ratio shrunk toward the group, with its own interval;
- **per group**: the equal-country ratio (the geometric mean of its countries' ratios,
  countries with n >= 10) with two intervals for its two estimands, a typical country of the
  region and the named countries (:mod:`marketlib.arbitrage.estimands`).

Every function takes the selected rows (``group``, ``country_iso3``, ``hourly_usd``) and is the
same for the pandas and the Dask engine (per-country statistics are small: computed here, on
the client, from the selected rows both engines share).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from marketlib.arbitrage.estimands import (
    MIN_COUNTRIES_TYPICAL,
    CountryMean,
    country_mean,
    shrunk_intervals,
)
from marketlib.arbitrage.medians import (
    CAUTION_RSE,
    PUBLISH_RSE,
    bootstrap_medians,
    median_ci_order_statistic,
    median_log_variance,
)

#: A country's own figure is reported from this many rows (docs/methods.md#s6-1: suppress below 10).
MIN_COUNTRY_N = 10
#: Countries a regional typical-country interval needs (one country says nothing of the
#: region's others; two give t with one degree of freedom: no information).
MIN_CLUSTERS_FOR_CI = MIN_COUNTRIES_TYPICAL
#: Below this many rows a country's interval is the order-statistic one (the bootstrap of a
#: median under-covers there: docs/methods.md#s6-1).
MIN_BOOTSTRAP_N = 30


@dataclass
class CountryClusters:
    """Per-country ratios and the regional equal-country figures of one selection."""

    countries: pd.DataFrame  # one row per country
    groups: pd.DataFrame  # one row per group: equal-country ratio and its two intervals
    tau2: dict[str, float]  # between-country variance of log ratios, per group


def country_clusters(
    d: pd.DataFrame,
    base: str,
    n_boot: int = 2000,
    seed: int = 0,
    ci_level: float = 0.95,
    min_country_n: int = MIN_COUNTRY_N,
) -> CountryClusters:
    """Compute per-country ratios and the equal-country regional ratios of one selection.

    Parameters
    ----------
    d
        Selected rows with ``group``, ``country_iso3`` and ``hourly_usd``.
    base
        The base group; every ratio is to its pooled median.
    n_boot, seed, ci_level
        Bootstrap replicates (exact resampling of medians), seed (its own stream: the
        row-level bootstrap is unchanged) and interval level.
    min_country_n
        Rows a country needs for its own figure (and to enter the equal-country mean).
    """
    rng = np.random.default_rng([seed, 20, 4])
    q = np.array([(1 - ci_level) / 2, 1 - (1 - ci_level) / 2])
    rows = d.dropna(subset=["country_iso3", "hourly_usd"])
    values = {
        g: {
            c: np.sort(s["hourly_usd"].to_numpy(dtype=float))
            for c, s in gd.groupby("country_iso3", sort=True)
        }
        for g, gd in rows.groupby("group", sort=True)
    }
    if base not in values:
        raise ValueError(f"base group {base!r} has no rows in this selection")
    base_rows = np.sort(np.concatenate(list(values[base].values())))
    base_med = float(np.median(base_rows))
    # the base is the reference the ratios are read against (its pooled median, as
    # published): its rows are resampled, its few countries are not a sample of anything
    base_boot = bootstrap_medians(base_rows, n_boot, rng)
    base_var = median_log_variance(base_rows)
    base_os = median_ci_order_statistic(base_rows, ci_level)
    country_rows, group_rows = [], []
    for g, by_country in values.items():
        for c, x in by_country.items():
            row: dict[str, Any] = {
                "country_iso3": c,
                "group": g,
                "n": len(x),
                "reported": len(x) >= min_country_n,
            }
            if len(x) >= min_country_n:
                row.update(
                    _country_figures(x, base_med, base_boot, base_os, n_boot, rng, q, ci_level)
                )
            country_rows.append(row)
        if g != base:  # the base against itself is 1 by definition: no figure to estimate
            group_rows.append(
                _group_figures(g, country_rows, base_var, ci_level, len(base_rows) - 1)
            )
    countries, tau2 = _shrink(pd.DataFrame(country_rows), ci_level)
    return CountryClusters(
        countries.drop(columns=["log_var"], errors="ignore"), pd.DataFrame(group_rows), tau2
    )


def _country_figures(
    x: np.ndarray,
    base_med: float,
    base_boot: np.ndarray,
    base_os: tuple[float, float],
    n_boot: int,
    rng: np.random.Generator,
    q: np.ndarray,
    ci_level: float,
) -> dict[str, Any]:
    """One reported country's median, ratio, interval, sampling variance and flag."""
    med = float(np.median(x))
    boot = bootstrap_medians(x, n_boot, rng)
    log_var = median_log_variance(x)  # the bootstrap's runs high for small n
    out: dict[str, Any] = {
        "median_hourly_usd": med,
        "ratio_to_base": med / base_med,
        "log_var": log_var,
        "flag": country_flag(len(x), float(np.sqrt(log_var))),
    }
    if len(x) < MIN_BOOTSTRAP_N:  # order-statistic bounds of the country's and base's medians
        lo, hi = median_ci_order_statistic(x, ci_level)
        out.update(ci_low=lo / base_os[1], ci_high=hi / base_os[0], interval="order statistic")
    else:
        lo, hi = np.quantile(boot / base_boot, q)
        out.update(ci_low=float(lo), ci_high=float(hi), interval="bootstrap")
    if x[-1] <= x[0]:  # every row the same pay: no spread, no interval
        out.update(ci_low=np.nan, ci_high=np.nan, flag="E", interval="none")
    return out


def country_flag(n: int, rse: float) -> str:
    """Return a country figure's reliability flag (docs/methods.md#s7-1, as for regions).

    ``A`` (reliable): n >= 30 and RSE <= 16.5%; ``E`` (use with caution): 10 <= n < 30 or
    RSE up to 33.3%; ``F`` (unreliable): a larger RSE. Below 10 rows nothing is published.
    """
    if rse > CAUTION_RSE:
        return "F"
    return "A" if n >= 30 and rse <= PUBLISH_RSE else "E"


def _group_figures(
    g: str,
    country_rows: list[dict[str, Any]],
    base_var: float,
    ci_level: float,
    base_df: float = np.inf,
) -> dict[str, Any]:
    """Return a group's equal-country ratio with its typical- and named-country intervals."""
    rep = [r for r in country_rows if r["group"] == g and r["reported"]]
    out: dict[str, Any] = {
        "group": g,
        "n_countries_averaged": len(rep),
        "n_rows_averaged": sum(int(r["n"]) for r in rep),
    }
    if not rep:
        return out
    mean = country_mean(
        np.log([r["ratio_to_base"] for r in rep]),
        np.array([r["log_var"] for r in rep]),
        base_var,
        ci_level,
        # t with each density-based variance's n - 1 df (the normal
        # under-covered with 3 countries: docs/validation.md)
        variance_dfs=np.array([r["n"] - 1 for r in rep]),
        base_df=base_df,
    )
    return {**out, **equal_country_columns(mean)}


def equal_country_columns(mean: CountryMean) -> dict[str, float]:
    """Return the results columns of a :class:`~marketlib.arbitrage.estimands.CountryMean`."""
    return {
        "ratio_equal_country": float(np.exp(mean.log_ratio)),
        "ratio_equal_country_ci_low": float(np.exp(mean.typical[0])),
        "ratio_equal_country_ci_high": float(np.exp(mean.typical[1])),
        "ratio_named_countries_ci_low": float(np.exp(mean.named[0])),
        "ratio_named_countries_ci_high": float(np.exp(mean.named[1])),
        "between_country_sd": mean.between_sd,
    }


def _shrink(countries: pd.DataFrame, ci_level: float) -> tuple[pd.DataFrame, dict[str, float]]:
    """Add the empirical-Bayes ratio of each reported country and its interval (#s7-2).

    :func:`~marketlib.arbitrage.estimands.shrunk_intervals` on the log ratios and their
    bootstrap variances, per group. With ``tau2 = 0`` every country's shrunk ratio is the
    group's (full pooling, said); one country has nothing to borrow from and keeps its own.
    """
    out = countries.copy()
    for col in ("ratio_shrunk", "ratio_shrunk_ci_low", "ratio_shrunk_ci_high", "shrinkage"):
        out[col] = np.nan
    tau2: dict[str, float] = {}
    if "ratio_to_base" not in out:
        return out, tau2
    rep = out[out["reported"].astype(bool)]
    for g, s in rep.groupby("group"):
        if len(s) == 1:  # one country: nothing to borrow from, no variance between countries
            out.loc[s.index, "ratio_shrunk"] = s["ratio_to_base"].to_numpy(dtype=float)
            out.loc[s.index, "ratio_shrunk_ci_low"] = s["ci_low"].to_numpy(dtype=float)
            out.loc[s.index, "ratio_shrunk_ci_high"] = s["ci_high"].to_numpy(dtype=float)
            continue
        est, b, lo, hi, t2 = shrunk_intervals(
            np.log(s["ratio_to_base"].to_numpy(dtype=float)),
            s["log_var"].to_numpy(dtype=float),
            ci_level,
        )
        out.loc[s.index, "ratio_shrunk"] = np.exp(est)
        out.loc[s.index, "ratio_shrunk_ci_low"] = np.exp(lo)
        out.loc[s.index, "ratio_shrunk_ci_high"] = np.exp(hi)
        out.loc[s.index, "shrinkage"] = b
        tau2[str(g)] = t2
    return out, tau2


#: The equal-country columns a group row carries (typical-country and named-country CIs).
EQUAL_COUNTRY_COLUMNS = (
    "ratio_equal_country",
    "ratio_equal_country_ci_low",
    "ratio_equal_country_ci_high",
    "ratio_named_countries_ci_low",
    "ratio_named_countries_ci_high",
    "between_country_sd",
)


def apply_country_clusters(raw: pd.DataFrame, clusters: CountryClusters, base: str) -> pd.DataFrame:
    """Return the raw ratio table with each group's equal-country ratio and its intervals.

    The pooled ratio keeps its row-level interval (its estimand is descriptive: the group's
    respondents as they answered, docs/methods.md#s4-3). The base group's own ratio is 1 by
    definition and keeps no interval.
    """
    out = raw.copy()
    g = clusters.groups.set_index("group") if len(clusters.groups) else pd.DataFrame()
    for col in (*EQUAL_COUNTRY_COLUMNS, "n_countries_averaged", "n_rows_averaged"):
        out[col] = out["group"].map(g[col]) if col in g else np.nan
    out.loc[~out["reported"].astype(bool) | out["group"].eq(base), list(EQUAL_COUNTRY_COLUMNS)] = (
        np.nan
    )
    return out
