"""Adjusted ratios that respect countries: country effects with controls.

Method: docs/methods.md#s4-3 and #s6-2.

The adjusted ratio asks what a *comparable* specialist costs: role, experience and year held
fixed. Pay differs between the countries of a region, and a region's countries are a sample of
its countries, so the regression here has **country effects**:

    log rate_i = alpha_country(i) + controls_i' beta + e_i     (OLS, log pay winsorized)

- a group's **equal-country adjusted ratio** is ``exp(mean of alpha_c - base)`` over its
  countries with n >= 10 (each country weighed alike), the base being its rows' mean country
  effect (the base is the reference, as published: its countries are not resampled);
- its **interval** is a two-stage country-cluster bootstrap: countries drawn with replacement
  within the group, then each drawn country's residuals resampled (its effect moves by their
  mean). ``beta`` is held at its estimate: it is identified from tens of thousands of rows
  within countries, and its own uncertainty is small beside the between-country spread;
- the pooled adjusted ratio (one group dummy, as in :func:`adjusted_ratios`) keeps its point
  estimate; its interval takes the spread of the row-weighted country contrast under the same
  bootstrap, read by :func:`~marketlib.arbitrage.countries.cluster_interval` (t with k - 1
  df; none from one or two countries), so no regional interval
  on a page is a row-level one.

Both engines call this on the selected rows (small per-country statistics): the numbers are
identical.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
import statsmodels.formula.api as smf

from marketlib.arbitrage.adjusted import AdjustedFit, _controls, winsorize_log
from marketlib.arbitrage.countries import (
    MIN_CLUSTERS_FOR_CI,
    MIN_COUNTRY_N,
    boot_stat,
    cluster_interval,
    small_cluster_interval,
)


def country_effects(d: pd.DataFrame, groups: list[str],
                    controls: tuple[str, ...] = ("experience", "role_family", "year")
                    ) -> tuple[pd.DataFrame, dict[str, np.ndarray]]:
    """Fit the country-effects model; return per-country effects and residuals.

    The table has ``country_iso3``, ``group``, ``n`` and ``effect`` (``alpha_c``, log scale);
    residuals are keyed by country.
    """
    extra = (["employment_type"] if "employment_type" in d
             and d.loc[d["group"].isin(groups), "employment_type"].nunique() > 1 else [])
    need = ["country_iso3", "hourly_usd"] + [c for c in [*controls, *extra] if c in d]
    w = d[d["group"].isin(groups)].dropna(subset=need).copy()
    ctrl = _controls(w, list(controls) + extra)
    w["log_rate"] = winsorize_log(w)
    formula = "log_rate ~ 0 + C(country_iso3)" + "".join(f" + C({c})" for c in ctrl)
    fit = smf.ols(formula, w).fit()
    resid = fit.resid.to_numpy(dtype=float)
    table = (w.groupby("country_iso3", sort=True)
             .agg(group=("group", "first"), n=("group", "size")).reset_index())
    table["effect"] = [float(fit.params[f"C(country_iso3)[{c}]"]) for c in table["country_iso3"]]
    codes = w["country_iso3"].to_numpy()
    residuals = {c: resid[codes == c] for c in table["country_iso3"]}
    return table, residuals


def adjusted_country_clusters(d: pd.DataFrame, base: str, groups: list[str],
                              controls: tuple[str, ...] = ("experience", "role_family", "year"),
                              n_boot: int = 2000, seed: int = 0, ci_level: float = 0.95,
                              min_country_n: int = MIN_COUNTRY_N) -> pd.DataFrame:
    """Return per group the equal-country adjusted ratio, its CI and the pooled CI's spread.

    Columns: ``group``, ``ratio_equal_country``, ``ratio_equal_country_ci_low``/``_high``,
    ``n_countries_averaged``, ``n_countries`` and ``pooled_log_low``/``_high`` (quantiles of the
    bootstrap row-weighted contrast minus its estimate, on the log scale: the pooled adjusted
    ratio's interval is ``exp(log ratio + these)``).
    """
    if base not in groups or len(groups) < 2:
        return pd.DataFrame()
    table, residuals = country_effects(d, groups, controls)
    rng = np.random.default_rng([seed, 20, 6])
    q = np.array([(1 - ci_level) / 2, 1 - (1 - ci_level) / 2])
    boot = {c: table.at[i, "effect"] + boot_stat(residuals[c], n_boot, rng, np.mean)
            - residuals[c].mean() for i, c in enumerate(table["country_iso3"])}
    base_rows = table[table["group"] == base]
    if base_rows.empty:
        return pd.DataFrame()
    weights = base_rows["n"].to_numpy(dtype=float)
    base_hat = float(np.average(base_rows["effect"], weights=weights))
    base_boot = np.average(np.vstack([boot[c] for c in base_rows["country_iso3"]]), axis=0,
                           weights=weights)
    out = []
    for g in groups:
        if g == base:
            continue
        t = table[table["group"] == g]
        if t.empty:
            continue
        out.append(_group_row(g, t, boot, base_hat, base_boot, n_boot, rng, q, min_country_n))
    return pd.DataFrame(out)


def _group_row(g: str, t: pd.DataFrame, boot: dict[str, np.ndarray], base_hat: float,
               base_boot: np.ndarray, n_boot: int, rng: np.random.Generator, q: np.ndarray,
               min_country_n: int) -> dict[str, Any]:
    """One group's equal-country ratio and CI, and its pooled contrast's bootstrap spread."""
    row: dict[str, Any] = {"group": g, "n_countries": len(t)}
    names = t["country_iso3"].tolist()
    n = t["n"].to_numpy(dtype=float)
    mat = np.vstack([boot[c] for c in names])  # countries x replicates
    k = len(names)
    picks = rng.integers(0, k, (n_boot, k))
    reps = rng.integers(0, n_boot, (n_boot, k))  # each draw of a country: its own rows
    pooled = (np.sum(mat[picks, reps] * n[picks], axis=1) / n[picks].sum(axis=1) - base_boot)
    pooled_hat = float(np.average(t["effect"], weights=n) - base_hat)
    lo, hi = cluster_interval(pooled_hat, pooled, k, q)  # no interval from two countries
    row.update(pooled_log_low=lo - pooled_hat, pooled_log_high=hi - pooled_hat)
    big = t[t["n"] >= min_country_n]
    row["n_countries_averaged"] = len(big)
    if len(big):
        names = big["country_iso3"].tolist()
        mat = np.vstack([boot[c] for c in names])
        k = len(names)
        picks = rng.integers(0, k, (n_boot, k))
        reps = rng.integers(0, n_boot, (n_boot, k))
        eq = mat[picks, reps].mean(axis=1) - base_boot
        est = float(big["effect"].mean() - base_hat)
        row["ratio_equal_country"] = float(np.exp(est))
        if k >= MIN_CLUSTERS_FOR_CI:
            lo, hi = small_cluster_interval(est, eq, k, q[1])
            row.update(ratio_equal_country_ci_low=float(np.exp(lo)),
                       ratio_equal_country_ci_high=float(np.exp(hi)))
    return row


def respect_countries(fit: AdjustedFit | None, d: pd.DataFrame, base: str, groups: list[str],
                      n_boot: int = 2000, seed: int = 0, ci_level: float = 0.95
                      ) -> AdjustedFit | None:
    """Return ``fit`` with country-respecting intervals and equal-country adjusted ratios."""
    if fit is None:
        return None
    clusters = adjusted_country_clusters(d, base, groups, n_boot=n_boot, seed=seed,
                                         ci_level=ci_level)
    fit.ratios = apply_adjusted_clusters(fit.ratios, clusters)
    return fit


def apply_adjusted_clusters(ratios: pd.DataFrame, clusters: pd.DataFrame) -> pd.DataFrame:
    """Return the adjusted ratio table with country-respecting intervals.

    ``ci_low``/``ci_high`` of the pooled adjusted ratio become the cluster interval (the HC3
    one kept as ``ci_low_rows``/``ci_high_rows``, context only); the equal-country adjusted
    ratio and its CI are added.
    """
    out = ratios.copy()
    out["ci_low_rows"], out["ci_high_rows"] = out["ci_low"], out["ci_high"]
    if clusters.empty or out.empty:
        return out
    c = clusters.set_index("group")
    log_ratio = np.log(out["ratio_to_base"])
    out["ci_low"] = np.exp(log_ratio + out["group"].map(c["pooled_log_low"]))
    out["ci_high"] = np.exp(log_ratio + out["group"].map(c["pooled_log_high"]))
    for col in ("ratio_equal_country", "ratio_equal_country_ci_low",
                "ratio_equal_country_ci_high", "n_countries_averaged", "n_countries"):
        out[col] = out["group"].map(c[col]) if col in c else np.nan
    return out
