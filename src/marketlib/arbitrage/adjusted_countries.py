"""Adjusted ratios that respect countries: country effects with controls.

Method: docs/methods.md#s4-3 and #s6-2.

The adjusted ratio asks what a *comparable* specialist costs: role, experience and year held
fixed. Pay differs between the countries of a region, and a region's countries are a sample of
its countries, so the regression here has **country effects**:

    log rate_i = alpha_country(i) + controls_i' beta + e_i     (OLS, log pay winsorized)

- a group's **equal-country adjusted ratio** is ``exp(mean of alpha_c - base)`` over its
  countries with n >= 10 (each country weighed alike), the base being its rows' mean country
  effect (the base is the reference, as published: its countries are not resampled);
- its two intervals are those of :mod:`marketlib.arbitrage.estimands`: a typical country of
  the region (t with k - 1 df on the spread of the countries' effects; none from fewer than
  three countries) and the named countries (their effects' own sampling variances, HC3
  within the country, ``sum (e_i / (1 - h_i))^2 / n_c^2`` = ``Var(residuals in c) / (n_c - 1)``
  without controls, and Student's t with their Welch-Satterthwaite df: a 10-row country
  carries half of it). ``beta`` is held at its estimate: it is identified from tens
  of thousands of rows within countries, and its own uncertainty is small beside the
  between-country spread;
- the pooled adjusted ratio (one group dummy, as in :func:`adjusted_ratios`) is descriptive of
  the respondents as they answered and keeps its HC3 interval.

Both engines call this on the selected rows (small per-country statistics): the numbers are
identical.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from marketlib.arbitrage.adjusted import AdjustedFit, _controls, held_controls, winsorize_log
from marketlib.arbitrage.countries import (
    EQUAL_COUNTRY_COLUMNS,
    MIN_COUNTRY_N,
    equal_country_columns,
)
from marketlib.arbitrage.estimands import country_mean


def country_effects(
    d: pd.DataFrame,
    groups: list[str],
    controls: tuple[str, ...] = ("experience", "role_family", "year"),
) -> tuple[pd.DataFrame, dict[str, np.ndarray]]:
    """Fit the country-effects model; return per-country effects and residuals.

    The table has ``country_iso3``, ``group``, ``n`` and ``effect`` (``alpha_c``, log scale);
    residuals (HC3-scaled, ``e_i / (1 - h_i)``) are keyed by country.
    """
    extra = (
        ["employment_type"]
        if "employment_type" in d
        and d.loc[d["group"].isin(groups), "employment_type"].nunique() > 1
        else []
    )
    controls = held_controls(d, groups, controls)
    need = ["country_iso3", "hourly_usd"] + [c for c in [*controls, *extra] if c in d]
    w = d[d["group"].isin(groups)].dropna(subset=need).copy()
    ctrl = _controls(w, list(controls) + extra)
    w["log_rate"] = winsorize_log(w)
    # the design of ``log_rate ~ 0 + C(country_iso3) + C(control)...`` (treatment coding, the
    # first sorted level the reference, as patsy), solved on its normal equations, whose
    # inverse also gives the leverages: statsmodels' effects (a test holds it), without
    # patsy's cost
    parts = [pd.get_dummies(w["country_iso3"].astype("str"), dtype=float)]
    parts += [
        pd.get_dummies(w[c].astype("str"), dtype=float, drop_first=True, prefix=c) for c in ctrl
    ]
    x = pd.concat(parts, axis=1).to_numpy(dtype=float)
    y = w["log_rate"].to_numpy(dtype=float)
    inv = np.linalg.pinv(x.T @ x, hermitian=True)  # p x p (about 100): rank-safe
    beta = inv @ (x.T @ y)
    e = y - x @ beta
    # HC3 residuals e_i / (1 - h_i): a country of 10 rows has leverage 1/10 on its own effect
    # (a row fitted exactly, h = 1, has e = 0 and adds nothing)
    h = np.einsum("ij,ij->i", x @ inv, x)
    resid = np.divide(e, 1.0 - h, out=np.zeros_like(e), where=h < 1.0 - 1e-10)
    table = (
        w.groupby("country_iso3", sort=True)
        .agg(group=("group", "first"), n=("group", "size"))
        .reset_index()
    )
    position = {c: i for i, c in enumerate(parts[0].columns)}
    table["effect"] = [float(beta[position[str(c)]]) for c in table["country_iso3"]]
    codes = w["country_iso3"].to_numpy()
    residuals = {c: resid[codes == c] for c in table["country_iso3"]}
    return table, residuals


def adjusted_country_clusters(
    d: pd.DataFrame,
    base: str,
    groups: list[str],
    controls: tuple[str, ...] = ("experience", "role_family", "year"),
    ci_level: float = 0.95,
    min_country_n: int = MIN_COUNTRY_N,
) -> pd.DataFrame:
    """Return per group the equal-country adjusted ratio and its two intervals.

    Columns: ``group``, ``ratio_equal_country``, ``ratio_equal_country_ci_low``/``_high``
    (a typical country), ``ratio_named_countries_ci_low``/``_high`` (these countries),
    ``between_country_sd``, ``n_countries_averaged`` and ``n_countries``.
    """
    if base not in groups or len(groups) < 2:
        return pd.DataFrame()
    table, residuals = country_effects(d, groups, controls)
    # HC3 variance of a country's effect: sum (e_i / (1 - h_i))^2 / n_c^2
    table["var"] = [
        float(np.sum(residuals[c] ** 2)) / len(residuals[c]) ** 2
        if len(residuals[c]) > 1
        else np.nan
        for c in table["country_iso3"]
    ]
    base_rows = table[table["group"] == base]
    if base_rows.empty:
        return pd.DataFrame()
    w = base_rows["n"].to_numpy(dtype=float)
    w = w / w.sum()
    base_hat = float(np.sum(w * base_rows["effect"]))
    base_var = float(np.nansum(w**2 * base_rows["var"].to_numpy(dtype=float)))
    base_df = float(base_rows["n"].sum() - len(base_rows))
    out = []
    for g in groups:
        t = table[table["group"] == g]
        if g == base or t.empty:
            continue
        big = t[t["n"] >= min_country_n]
        row: dict[str, Any] = {
            "group": g,
            "n_countries": len(t),
            "n_countries_averaged": len(big),
            "n_rows_averaged": int(big["n"].sum()),
        }
        if len(big):
            mean = country_mean(
                big["effect"].to_numpy(dtype=float) - base_hat,
                big["var"].to_numpy(dtype=float),
                base_var,
                ci_level,
                variance_dfs=big["n"].to_numpy(dtype=float) - 1,
                base_df=max(base_df, 1.0),
            )
            row.update(equal_country_columns(mean))
        out.append(row)
    return pd.DataFrame(out)


def respect_countries(
    fit: AdjustedFit | None, d: pd.DataFrame, base: str, groups: list[str], ci_level: float = 0.95
) -> AdjustedFit | None:
    """Return ``fit`` with each group's equal-country adjusted ratio and its intervals."""
    if fit is None:
        return None
    clusters = adjusted_country_clusters(d, base, groups, ci_level=ci_level)
    fit.ratios = apply_adjusted_clusters(fit.ratios, clusters)
    return fit


def apply_adjusted_clusters(ratios: pd.DataFrame, clusters: pd.DataFrame) -> pd.DataFrame:
    """Return the adjusted ratio table with the equal-country adjusted ratios beside it.

    ``ci_low``/``ci_high`` of the pooled adjusted ratio stay the HC3 interval (descriptive
    estimand: the respondents as they answered).
    """
    out = ratios.copy()
    if out.empty:
        return out
    c = clusters.set_index("group") if not clusters.empty else pd.DataFrame()
    for col in (*EQUAL_COUNTRY_COLUMNS, "n_countries_averaged", "n_rows_averaged", "n_countries"):
        out[col] = out["group"].map(c[col]) if col in c else np.nan
    return out
