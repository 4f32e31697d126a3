"""Pay by country, and regions that respect their countries (docs/methods.md#s4-3, #s6-1, #s7-2).

A region's countries are a sample too, and pay differs 2-3x between the countries of one
region: a row-level bootstrap treats the region as one big country and is too sure, and the
pooled median is the largest country's. Here:

- **per country** (n >= 10): the median hourly pay, its ratio to the base group's median, a
  bootstrap CI (rows within the country resampled, and the base group's rows), and an
  empirical-Bayes ratio shrunk toward the group for small n;
- **per group**: the pooled ratio (descriptive) and the **equal-country** ratio (the geometric
  mean of its countries' ratios, countries with n >= 10), both with a **two-stage
  country-cluster bootstrap** CI (countries resampled within the group, then rows within each
  country), the number of countries averaged and the largest country's share.

Every function takes the selected rows (``group``, ``country_iso3``, ``hourly_usd``) and is the
same for the pandas and the Dask engine (per-country statistics are small: computed here, on
the client, from the selected rows both engines share).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

from marketlib.growth.estimators import MIN_INTERVAL_DF

#: A country's own figure is reported from this many rows (docs/methods.md#s6-1: suppress below 10).
MIN_COUNTRY_N = 10
#: Countries a regional equal-country interval needs: its t reference has k - 1 degrees of
#: freedom, and nothing prints an interval from fewer than MIN_INTERVAL_DF (one country says
#: nothing of the region's others; two give 0.00-1,251 on the real data: no information).
MIN_CLUSTERS_FOR_CI = MIN_INTERVAL_DF + 1
#: Values drawn at once when resampling a large country (bounds the memory of a chunk).
_CHUNK_VALUES = 4_000_000


@dataclass
class CountryClusters:
    """Per-country ratios and the cluster-bootstrap regional figures of one selection."""

    countries: pd.DataFrame  # one row per country
    groups: pd.DataFrame  # one row per group: pooled and equal-country CIs
    tau2: dict[str, float]  # between-country variance of log ratios, per group


def boot_stat(x: np.ndarray, n_boot: int, rng: np.random.Generator,
              stat: Any = np.median) -> np.ndarray:
    """Return ``n_boot`` values of ``stat`` (median, mean) of ``x`` resampled with replacement.

    Chunked and vectorized: at most ``_CHUNK_VALUES`` values are drawn at once.
    """
    n = len(x)
    out = np.empty(n_boot)
    step = max(1, _CHUNK_VALUES // max(n, 1))
    for start in range(0, n_boot, step):
        k = min(step, n_boot - start)
        out[start:start + k] = stat(x[rng.integers(0, n, (k, n))], axis=1)
    return out


def _two_stage_pooled(countries: list[np.ndarray], n_boot: int, rng: np.random.Generator
                      ) -> np.ndarray:
    """Return pooled medians of a group under the two-stage cluster bootstrap."""
    k = len(countries)
    out = np.empty(n_boot)
    for b in range(n_boot):
        picks = rng.integers(0, k, k)
        parts = [countries[i][rng.integers(0, len(countries[i]), len(countries[i]))]
                 for i in picks]
        out[b] = np.median(np.concatenate(parts))
    return out


def country_clusters(d: pd.DataFrame, base: str, n_boot: int = 2000, seed: int = 0,
                     ci_level: float = 0.95, min_country_n: int = MIN_COUNTRY_N
                     ) -> CountryClusters:
    """Compute per-country ratios and cluster-bootstrap regional ratios of one selection.

    Parameters
    ----------
    d
        Selected rows with ``group``, ``country_iso3`` and ``hourly_usd``.
    base
        The base group; every ratio is to its pooled median.
    n_boot, seed, ci_level
        Bootstrap replicates, seed (its own stream: the row-level bootstrap is unchanged) and
        interval level.
    min_country_n
        Rows a country needs for its own figure (and to enter the equal-country mean).
    """
    rng = np.random.default_rng([seed, 20, 4])
    q = np.array([(1 - ci_level) / 2, 1 - (1 - ci_level) / 2])
    rows = d.dropna(subset=["country_iso3", "hourly_usd"])
    values = {g: {c: np.sort(s["hourly_usd"].to_numpy(dtype=float))
                  for c, s in gd.groupby("country_iso3", sort=True)}
              for g, gd in rows.groupby("group", sort=True)}
    if base not in values:
        raise ValueError(f"base group {base!r} has no rows in this selection")
    base_rows = np.sort(np.concatenate(list(values[base].values())))
    base_med = float(np.median(base_rows))
    # the base is the reference the ratios are read against (its pooled median, as
    # published): its rows are resampled, its few countries are not a sample of anything
    base_boot = boot_stat(base_rows, n_boot, rng)
    country_rows, group_rows, tau2 = [], [], {}
    for g, by_country in values.items():
        is_base = g == base
        boot: dict[str, np.ndarray] = {}
        for c, x in by_country.items():
            row: dict[str, Any] = {"country_iso3": c, "group": g, "n": len(x),
                                   "reported": len(x) >= min_country_n}
            if len(x) >= min_country_n:
                boot[c] = boot_stat(x, n_boot, rng)
                ratio_b = boot[c] / base_boot
                med = float(np.median(x))
                lo, hi = np.quantile(ratio_b, q)
                log_var = float(np.var(np.log(boot[c]), ddof=1))
                row.update(median_hourly_usd=med, ratio_to_base=med / base_med,
                           ci_low=float(lo), ci_high=float(hi), log_var=log_var,
                           flag=country_flag(len(x), float(np.sqrt(log_var))))
                if x[-1] <= x[0]:  # every row the same pay: no spread, no interval
                    row.update(ci_low=np.nan, ci_high=np.nan, flag="E")
            country_rows.append(row)
        if not is_base:  # the base against itself is 1 by definition: no figure to bootstrap
            group_rows.append(_group_figures(g, by_country, boot, base_boot, base_med,
                                             n_boot, rng, q))
    countries = pd.DataFrame(country_rows)
    countries, tau2 = _shrink(countries)
    return CountryClusters(countries.drop(columns=["log_var"], errors="ignore"),
                           pd.DataFrame(group_rows), tau2)


def country_flag(n: int, rse: float) -> str:
    """Return a country figure's reliability flag (docs/methods.md#s7-1, as for regions).

    ``A`` (reliable): n >= 30 and RSE <= 16.5%; ``E`` (use with caution): 10 <= n < 30 or
    RSE up to 33.3%; ``F`` (unreliable): a larger RSE. Below 10 rows nothing is published.
    """
    from marketlib.arbitrage.medians import CAUTION_RSE, PUBLISH_RSE

    if rse > CAUTION_RSE:
        return "F"
    return "A" if n >= 30 and rse <= PUBLISH_RSE else "E"


def _group_figures(g: str, by_country: dict[str, np.ndarray], boot: dict[str, np.ndarray],
                   base_boot: np.ndarray, base_med: float, n_boot: int,
                   rng: np.random.Generator, q: np.ndarray) -> dict[str, Any]:
    """Return a group's pooled and equal-country ratios with two-stage cluster CIs."""
    pooled = np.log(_two_stage_pooled(list(by_country.values()), n_boot, rng) / base_boot)
    pooled_hat = float(np.log(np.median(np.concatenate(list(by_country.values()))) / base_med))
    lo, hi = cluster_interval(pooled_hat, pooled, len(by_country), q)
    out: dict[str, Any] = {"group": g, "ratio_cluster_ci_low": float(np.exp(lo)),
                           "ratio_cluster_ci_high": float(np.exp(hi)),
                           "n_countries_averaged": len(boot)}
    if boot:
        names = sorted(boot)
        meds = np.array([np.median(by_country[c]) for c in names])
        out["ratio_equal_country"] = float(np.exp(np.mean(np.log(meds))) / base_med)
        # two-stage: countries drawn with replacement, each with an independent row resample
        mat = np.vstack([boot[c] for c in names])  # countries x replicates
        k = len(names)
        picks = rng.integers(0, k, (n_boot, k))
        reps = rng.integers(0, n_boot, (n_boot, k))
        log_eq = np.mean(np.log(mat[picks, reps]), axis=1) - np.log(base_boot)
        if k >= MIN_CLUSTERS_FOR_CI:  # one country says nothing of the region's others
            lo, hi = small_cluster_interval(float(np.log(out["ratio_equal_country"])), log_eq,
                                            k, q[1])
            out.update(ratio_equal_country_ci_low=float(np.exp(lo)),
                       ratio_equal_country_ci_high=float(np.exp(hi)))
    return out


def cluster_interval(estimate: float, replicates: np.ndarray, k: int, q: np.ndarray
                     ) -> tuple[float, float]:
    """Return a group's interval (log scale) from its two-stage bootstrap replicates.

    One or two countries: no interval (NaN). One country says nothing of how the region's
    other countries differ, and t with one degree of freedom carries no information; the
    country's own interval is in the country table, never presented as the region's. Three
    or more: :func:`small_cluster_interval`.
    """
    if k < MIN_CLUSTERS_FOR_CI:
        return float("nan"), float("nan")
    return small_cluster_interval(estimate, replicates, k, float(q[1]))


def small_cluster_interval(estimate: float, replicates: np.ndarray, k: int, upper: float
                           ) -> tuple[float, float]:
    """Return a mean-of-k-countries interval from its cluster-bootstrap replicates (log scale).

    Resampling k countries gives (k-1)/k of the mean's variance, and with few countries the
    tails are Student's, not normal: the replicates' standard error is scaled by
    sqrt(k/(k-1)) and read on t with k-1 degrees of freedom (Cameron and Miller's G-1 rule).
    Validated at R = 1,000 (docs/validation.md).
    """
    se = float(np.std(replicates, ddof=1)) * np.sqrt(k / (k - 1))
    half = float(stats.t.ppf(upper, k - 1)) * se
    return estimate - half, estimate + half


def _shrink(countries: pd.DataFrame) -> tuple[pd.DataFrame, dict[str, float]]:
    """Add the empirical-Bayes ratio of each reported country (docs/methods.md#s7-2, on log ratios).

    ``m_c = log ratio_c``, ``v_c`` its bootstrap variance; the group prior ``mu`` is the mean
    of ``m_c``; ``tau2 = max(0, Var(m_c - mu) - mean v_c)``; ``B_c = v_c / (v_c + tau2)``.
    With ``tau2 = 0`` every country's shrunk ratio is the group's (full pooling, said).
    """
    out = countries.copy()
    out["ratio_shrunk"] = np.nan
    out["shrinkage"] = np.nan
    tau2: dict[str, float] = {}
    if "ratio_to_base" not in out:
        return out, tau2
    rep = out[out["reported"].astype(bool)]
    for g, s in rep.groupby("group"):
        m = np.log(s["ratio_to_base"].to_numpy(dtype=float))
        v = s["log_var"].to_numpy(dtype=float)
        if len(m) == 1:  # one country: nothing to borrow from, no variance between countries
            out.loc[s.index, "ratio_shrunk"] = s["ratio_to_base"].to_numpy(dtype=float)
            continue
        mu = float(np.mean(m))
        t2 = max(0.0, float(np.var(m - mu, ddof=1)) - float(np.mean(v)))
        b = v / (v + t2) if t2 > 0 else np.ones_like(v)
        out.loc[s.index, "ratio_shrunk"] = np.exp(mu + (1 - b) * (m - mu))
        out.loc[s.index, "shrinkage"] = b
        tau2[str(g)] = t2
    return out, tau2


def apply_country_clusters(raw: pd.DataFrame, clusters: CountryClusters, base: str
                           ) -> pd.DataFrame:
    """Return the raw ratio table with country-respecting CIs and equal-country ratios.

    Reported groups' ``ratio_ci_low``/``ratio_ci_high`` become the two-stage cluster
    bootstrap interval; the row-level interval stays beside it (``ratio_ci_*_rows``) as
    context. The base group's own ratio is 1 by definition and keeps no interval.
    """
    out = raw.copy()
    g = clusters.groups.set_index("group") if len(clusters.groups) else pd.DataFrame(
        columns=["ratio_cluster_ci_low", "ratio_cluster_ci_high"])
    rep = out["reported"].astype(bool) & out["group"].ne(base)
    out["ratio_ci_low_rows"] = out["ratio_ci_low"]
    out["ratio_ci_high_rows"] = out["ratio_ci_high"]
    for col in ("ratio_equal_country", "ratio_equal_country_ci_low",
                "ratio_equal_country_ci_high", "n_countries_averaged"):
        out[col] = out["group"].map(g[col]) if col in g else np.nan
    if rep.any():
        for end in ("low", "high"):
            out.loc[rep, f"ratio_ci_{end}"] = out.loc[rep, "group"].map(
                g[f"ratio_cluster_ci_{end}"]).astype(float)
    out.loc[~out["reported"].astype(bool), ["ratio_equal_country",
                                            "ratio_equal_country_ci_low",
                                            "ratio_equal_country_ci_high"]] = np.nan
    is_base = out["group"].eq(base)  # the base against itself: 1, no interval
    out.loc[is_base, "ratio_equal_country_ci_low"] = np.nan
    out.loc[is_base, "ratio_equal_country_ci_high"] = np.nan
    return out
