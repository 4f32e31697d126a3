"""What a regional pay ratio estimates, and an honest interval for each (docs/methods.md#s4-3).

A region's figure can answer three different questions, and each has its own interval:

- **a typical country of the region** (``ratio_equal_country``, the headline): the mean log
  ratio of the region's countries, the averaged countries (those with n >= 10) taken as a
  sample of the region's countries (random effects). Estimator: the equal-weight mean of the
  countries' log ratios; interval: Student's t with k - 1 degrees of freedom on the spread
  *between* the countries' estimates, ``s / sqrt(k)``. That spread already holds each
  country's own sampling noise, so nothing is counted twice. This is the Hartung-Knapp /
  Sidik-Jonkman (HKSJ) random-effects interval with equal weights (Hartung and Knapp 2001;
  Sidik and Jonkman 2002; IntHout, Ioannidis and Borm 2014 show it holds its level with few
  studies where DerSimonian-Laird does not), i.e. the cluster-summary t test of Cameron and
  Miller (2015). It needs k >= 3 countries: with one or two there is no information about the
  region's other countries, and no interval is printed.
- **the average over the named countries** (``ratio_named_countries``, fixed): the same point
  estimate, read as a statement about exactly these countries; its interval comes from the
  countries' own sampling variances only (``sqrt(sum v_c) / k``, normal).
- **the pooled ratio** (``ratio_to_base``, descriptive): the median of the region's
  respondents pooled, countries in the proportions that answered the survey; rows are the
  sample, the interval is the row-level bootstrap. It describes the survey's audience in the
  region, which is mostly its largest country; it is not the headline.

Every ratio is to the base group's pooled median (the reference, as published); the base's own
sampling variance (``base_var``) is added to each interval. Validated by simulation at R = 500
with 3, 4, 5 and 13 countries (docs/validation.md).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import stats

#: Countries a typical-country interval needs (t with k - 1 >= 2 degrees of freedom).
MIN_COUNTRIES_TYPICAL = 3

#: The estimand of each regional ratio, in words for pages and results.json (one place).
ESTIMANDS = {
    "ratio_equal_country": (
        "a typical country of the group: the mean of its countries' log ratios, the countries "
        "with at least 10 rows taken as a sample of the group's countries (random effects; "
        "t with k - 1 degrees of freedom on the spread between countries); no interval from "
        "fewer than 3 countries"
    ),
    "ratio_named_countries": (
        "the average over the named countries only (fixed: the same point as the typical "
        "country, its interval from the countries' own sampling variances)"
    ),
    "ratio_to_base": (
        "the group's respondents pooled, countries in the proportions that answered "
        "(descriptive: rows resampled; mostly the largest country's figure)"
    ),
}


@dataclass(frozen=True)
class CountryMean:
    """The equal-country mean of k countries' log ratios and its two intervals (log scale)."""

    log_ratio: float
    typical: tuple[float, float]  # random effects: the region's typical country (NaN if k < 3)
    named: tuple[float, float]  # fixed: these countries only
    k: int
    between_sd: float  # method-of-moments SD of the countries' true log ratios (>= 0)


def country_mean(
    log_ratios: np.ndarray,
    variances: np.ndarray,
    base_var: float = 0.0,
    ci_level: float = 0.95,
    variance_dfs: np.ndarray | None = None,
    base_df: float = np.inf,
) -> CountryMean:
    """Return the equal-country mean of ``log_ratios`` with its typical and named intervals.

    ``variances`` are the countries' own sampling variances of their log ratios (without the
    base's); ``base_var`` is the base's, shared by every country. ``variance_dfs`` (and
    ``base_df``): the degrees of freedom those variances rest on (a country's ``n - 1``); with
    them the named interval reads Student's t with the Welch-Satterthwaite df of
    ``sum v_c / k^2 + base_var`` (a few small countries carry most of it), else the normal.
    """
    m = np.asarray(log_ratios, dtype=float)
    v = np.asarray(variances, dtype=float)
    k = len(m)
    nan = (float("nan"), float("nan"))
    if k == 0:
        return CountryMean(float("nan"), nan, nan, 0, float("nan"))
    est = float(np.mean(m))
    z = float(stats.norm.ppf(1 - (1 - ci_level) / 2))
    se_named = float(np.sqrt(np.sum(v) / k**2 + base_var))
    q_named = z
    if variance_dfs is not None and se_named > 0:
        dfs = np.asarray(variance_dfs, dtype=float)
        den = float(np.sum((v / k**2) ** 2 / dfs) + base_var**2 / base_df)
        if den > 0:
            q_named = float(stats.t.ppf(1 - (1 - ci_level) / 2, se_named**4 / den))
    named = (est - q_named * se_named, est + q_named * se_named) if se_named > 0 else nan
    if k < MIN_COUNTRIES_TYPICAL:
        return CountryMean(est, nan, named, k, float("nan"))
    s2 = float(np.var(m, ddof=1))
    se = float(np.sqrt(s2 / k + base_var))
    half = float(stats.t.ppf(1 - (1 - ci_level) / 2, k - 1)) * se
    typical = (est - half, est + half) if se > 0 else nan
    return CountryMean(est, typical, named, k, float(np.sqrt(max(0.0, s2 - np.mean(v)))))


def shrunk_intervals(
    log_ratios: np.ndarray, variances: np.ndarray, ci_level: float = 0.95
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, float]:
    """Empirical-Bayes shrunk log ratios, their shrinkage, intervals and tau^2 (Morris 1983).

    ``mu`` = the countries' mean, ``tau2 = max(0, Var(m) - mean v)``, ``B = v / (v + tau2)``;
    the shrunk estimate is ``mu + (1 - B)(m - mu)`` with posterior variance
    ``(1 - B) v + B^2 Var(mu)``, ``Var(mu) = Var(m) / k`` (the prior's own uncertainty,
    Morris's correction). Returns (estimate, B, low, high, tau2) on the log scale.
    """
    m = np.asarray(log_ratios, dtype=float)
    v = np.asarray(variances, dtype=float)
    k = len(m)
    z = float(stats.norm.ppf(1 - (1 - ci_level) / 2))
    mu = float(np.mean(m))
    s2 = float(np.var(m, ddof=1))
    t2 = max(0.0, s2 - float(np.mean(v)))
    b = v / (v + t2) if t2 > 0 else np.ones_like(v)
    est = mu + (1 - b) * (m - mu)
    se = np.sqrt((1 - b) * v + b**2 * s2 / k)
    return est, b, est - z * se, est + z * se, t2
