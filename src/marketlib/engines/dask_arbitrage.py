"""The arbitrage estimators on a Dask DataFrame, with the pandas functions' exact results.

* :func:`dask_group_medians`: each group's median and distribution-free order-statistic CI
  (METHODS §6.1), by exact distributed selection (:mod:`marketlib.engines.exact`).
* :func:`dask_raw_ratios`: :func:`marketlib.arbitrage.raw_ratios` (medians, CIs, exact-median
  bootstrap): the bootstrap draws only order statistics within a narrow rank window, so the
  window's values are selected exactly and sorted on the client; the random stream is the
  pandas function's, draw for draw.
* :func:`dask_adjusted_ratios`: :func:`marketlib.arbitrage.adjusted_ratios` (OLS on winsorized
  log pay with categorical controls, HC3) from sufficient statistics: winsorization bounds are
  exact per-cell quantiles; pass 1 aggregates ``n`` and ``sum y`` per design cell (so ``X'X``
  and ``X'y``), the client solves, pass 2 aggregates ``sum e^2`` per cell, and the HC3 meat is
  ``sum_c x_c x_c' (sum_i e_i^2) / (1 - h_c)^2`` with the leverage ``h_c = x_c (X'X)^-1 x_c'``
  shared by the rows of a cell (every regressor is a dummy). Equal to statsmodels to ~1e-12.

The input is the selected table (``marketlib.arbitrage.select_rates``' output as Dask, with a
``group`` column), e.g. ``dd.read_parquet("rates.parquet")`` filtered the same way.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import partial
from typing import Any

import dask
import dask.dataframe as dd
import numpy as np
import pandas as pd
from scipy import stats

from marketlib.arbitrage.medians import RAW_COLUMNS, reported_row
from marketlib.engines import exact


def _coded_parts(parts: list[Any], extract: exact.Extract) -> tuple[list[Any], exact.Extract]:
    """Reduce each partition to its ``(group codes, values)`` once, kept on the workers.

    Returns the persisted reduced partitions and the extract to give the selection passes
    (:func:`marketlib.engines.exact.identity_extract`): the codes are computed once, not on
    each of the ~10 passes.
    """
    coded = [dask.delayed(extract, pure=True)(p) for p in parts]
    return list(dask.persist(*coded)), exact.identity_extract


def _extract(part: pd.DataFrame, group_col: str, value_col: str, categories: list[Any],
             transform: str = "none") -> list[tuple[np.ndarray, np.ndarray]]:
    codes = pd.Categorical(part[group_col], categories=categories).codes.astype(np.int64)
    values = part[value_col].to_numpy(dtype=np.float64)
    if transform == "log":
        values = np.log(values)
    keep = (codes >= 0) & ~np.isnan(values)
    return [(codes[keep], values[keep])]


def _ci_ranks(n: np.ndarray, ci_level: float) -> np.ndarray:
    """0-based ranks of :func:`median_ci_order_statistic`'s bounds for groups of ``n``."""
    out = np.full((len(n), 2), -1, dtype=np.int64)
    for g, m in enumerate(n):
        if m > 0:
            k = int(stats.binom.ppf((1 - ci_level) / 2, m, 0.5))
            out[g] = (max(k, 1) - 1, min(m - k + 1, m) - 1)
    return out


def dask_group_medians(ddf: dd.DataFrame, group_col: str = "group",
                       value_col: str = "hourly_usd", ci_level: float = 0.95) -> pd.DataFrame:
    """Return each group's n, median and order-statistic CI, exactly as on the whole column.

    Parameters
    ----------
    ddf
        The rows.
    group_col, value_col
        Grouping column and values (NaN values are left out).
    ci_level
        Level of the distribution-free interval (:func:`median_ci_order_statistic`).

    Returns
    -------
    pandas.DataFrame
        ``group, n, median, ci_low, ci_high``, groups sorted; equal to ``np.median`` and
        :func:`~marketlib.arbitrage.median_ci_order_statistic` per group.
    """
    groups = sorted(ddf[group_col].dropna().unique().compute().tolist())
    parts, ext = _coded_parts(ddf[[group_col, value_col]].to_delayed(),
                              partial(_extract, group_col=group_col, value_col=value_col,
                                      categories=groups))
    n = exact.group_counts(parts, ext, len(groups))
    ranks = np.concatenate([exact.median_ranks(n), _ci_ranks(n, ci_level)], axis=1)
    v = exact.order_statistics(parts, ext, len(groups), ranks)
    return pd.DataFrame({"group": groups, "n": n, "median": exact.medians_from(v[:, :2]),
                         "ci_low": v[:, 2], "ci_high": v[:, 3]})


def _boot_ranks(n: int, n_boot: int, rng: np.random.Generator) -> np.ndarray:
    """Ranks drawn by :func:`marketlib.arbitrage.bootstrap_medians` (same draws, same order)."""
    m = (n + 1) // 2
    cdf = stats.binom.sf(m - 1, n, np.arange(1, n + 1) / n)
    return np.minimum(np.searchsorted(cdf, rng.random(n_boot), side="left"), n - 1)


def _country_counts(part: pd.DataFrame, index: int) -> pd.DataFrame:
    """Rows per (group, country) and where each pair is first seen (partition, row)."""
    pos = np.arange(len(part), dtype=np.int64) + (np.int64(index) << np.int64(40))
    d = part.assign(_pos=pos).dropna(subset=["group", "country_iso3"])
    return (d.groupby(["group", "country_iso3"], sort=False)
            .agg(n=("_pos", "size"), first=("_pos", "min")).reset_index())


def dask_raw_ratios(ddf: dd.DataFrame, base: str, min_n: int = 30, n_boot: int = 2000,
                    seed: int = 0, ci_level: float = 0.95) -> pd.DataFrame:
    """Return :func:`marketlib.arbitrage.raw_ratios` computed on a Dask DataFrame.

    Same rows, columns and numbers (bootstrap included: same seed, same draws; a tie for
    ``top_country`` goes to the country seen first, as in pandas' ``value_counts``).

    Parameters
    ----------
    ddf
        Selected rows with ``group``, ``hourly_usd`` and ``country_iso3``.
    base, min_n, n_boot, seed, ci_level
        As in :func:`~marketlib.arbitrage.raw_ratios`.

    Returns
    -------
    pandas.DataFrame
        One row per group.
    """
    q = ((1 - ci_level) / 2, 1 - (1 - ci_level) / 2)
    seen = dask.compute(*[dask.delayed(_country_counts)(part, i)
                          for i, part in enumerate(ddf[["group", "country_iso3"]].to_delayed())])
    by_country = (pd.concat(seen).groupby(["group", "country_iso3"])
                  .agg(n=("n", "sum"), first=("first", "min")))
    groups = sorted(by_country.index.get_level_values(0).unique().tolist())
    if base not in groups:
        raise ValueError(f"base group {base!r} has no rows in this selection")
    parts, ext = _coded_parts(ddf[["group", "hourly_usd"]].to_delayed(),
                              partial(_extract, group_col="group", value_col="hourly_usd",
                                      categories=groups))
    n = exact.group_counts(parts, ext, len(groups))
    gi = {g: i for i, g in enumerate(groups)}
    rng = np.random.default_rng(seed)
    draws: dict[str, np.ndarray] = {base: _boot_ranks(int(n[gi[base]]), n_boot, rng)}
    order = sorted(groups, key=lambda k: (k != base, k))
    for g in order:
        if g != base and n[gi[g]] >= min_n and n[gi[g]] >= 30:
            draws[g] = _boot_ranks(int(n[gi[g]]), n_boot, rng)
    ranks = np.concatenate([exact.median_ranks(n), _ci_ranks(n, ci_level),
                            np.full((len(groups), 2), -1)], axis=1)
    for g, idx in draws.items():
        ranks[gi[g], 4:] = (idx.min(), idx.max())
    v = exact.order_statistics(parts, ext, len(groups), ranks)
    lo = np.where(ranks[:, 4] >= 0, v[:, 4], np.nan)
    hi = np.where(ranks[:, 5] >= 0, v[:, 5], np.nan)
    window, below = exact.window_values(parts, ext, lo, hi)
    boots = {g: window[gi[g]][idx - below[gi[g]]] for g, idx in draws.items()}
    med = exact.medians_from(v[:, :2])
    base_med = float(med[gi[base]])
    blo, bhi = float(v[gi[base], 2]), float(v[gi[base], 3])
    base_boot = boots[base]
    rows = []
    for g in order:
        i = gi[g]
        counts = by_country.loc[g].sort_values(["n", "first"], ascending=[False, True])
        row: dict[str, Any] = {"group": g, "n": int(n[i]), "n_countries": len(counts),
                               "top_country": counts.index[0],
                               "top_country_share": float(counts["n"].iloc[0]
                                                          / counts["n"].sum())}
        if n[i] < min_n:
            row.update(reported=False, flag="F", note=f"n < {min_n}: suppressed")
            rows.append(row)
            continue
        m, lo_i, hi_i = float(med[i]), float(v[i, 2]), float(v[i, 3])
        rows.append(reported_row(row, int(n[i]), m, (lo_i, hi_i), base_med, (blo, bhi),
                                 boots.get(g), base_boot, g == base, q))
    return pd.DataFrame(rows).reindex(columns=RAW_COLUMNS)


@dataclass
class DaskAdjustedFit:
    """The adjusted regression fitted from distributed sufficient statistics."""

    ratios: pd.DataFrame
    controls: list[str]
    n: int
    params: pd.Series
    cov_params: pd.DataFrame
    n_cells: int


def _lerp(a: np.ndarray, b: np.ndarray, t: np.ndarray) -> np.ndarray:
    """Numpy's linear interpolation between order statistics (``np.quantile``, linear)."""
    diff = b - a
    return np.where(t >= 0.5, b - diff * (1 - t), a + diff * t)


def _quantile_ranks(n: np.ndarray, q: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Return numpy's (previous rank, next rank, gamma) of the linear quantile ``q``."""
    q = (q * 100) / 100  # pandas passes percentiles to numpy, which divides by 100
    virtual = (n - 1) * q
    prev = np.floor(virtual)
    nxt = np.minimum(prev + 1, n - 1)
    return prev.astype(np.int64), nxt.astype(np.int64), virtual - prev


def _winsor_part(part: pd.DataFrame, cells: pd.MultiIndex, lo: np.ndarray,
                 hi: np.ndarray) -> pd.DataFrame:
    code = cells.get_indexer(pd.MultiIndex.from_arrays([part["year"], part["group"]]))
    lx = np.log(part["hourly_usd"].to_numpy(dtype=np.float64))
    ok = code >= 0
    y = lx.copy()
    y[ok] = np.clip(lx[ok], lo[code[ok]], hi[code[ok]])
    return part.assign(log_rate=y)


def _extract_cells(part: pd.DataFrame, cells: pd.MultiIndex) -> list[tuple[np.ndarray,
                                                                          np.ndarray]]:
    code = cells.get_indexer(pd.MultiIndex.from_arrays([part["year"], part["group"]]))
    lx = np.log(part["hourly_usd"].to_numpy(dtype=np.float64))
    keep = code >= 0
    return [(code[keep].astype(np.int64), lx[keep])]


def _residual_part(part: pd.DataFrame, keys: list[str], fitted: pd.DataFrame) -> pd.DataFrame:
    m = part[[*keys, "log_rate"]].merge(fitted, on=keys, how="left")
    return m.assign(e2=(m["log_rate"] - m["yhat"]) ** 2)[[*keys, "e2"]]


def _design(cells: pd.DataFrame, base: str, levels: dict[str, list[Any]]) -> tuple[
        np.ndarray, list[str]]:
    """Return the cells' dummy design matrix: intercept, group (Treatment(base)), controls."""
    cols = [np.ones(len(cells))]
    names = ["Intercept"]
    for g in levels["group"]:
        if g != base:
            cols.append((cells["group"] == g).to_numpy(dtype=float))
            names.append(f"C(group, Treatment({base!r}))[T.{g}]")
    for c, lv in levels.items():
        if c == "group":
            continue
        for value in lv[1:]:
            cols.append((cells[c] == value).to_numpy(dtype=float))
            names.append(f"C({c})[T.{value}]")
    return np.column_stack(cols), names


def dask_adjusted_ratios(ddf: dd.DataFrame, base: str, groups: list[str],
                         controls: tuple[str, ...] = ("experience", "role_family", "year"),
                         ci_level: float = 0.95) -> DaskAdjustedFit:
    """Return :func:`marketlib.arbitrage.adjusted_ratios`' ratios computed on a Dask DataFrame.

    Same rows, controls (those that vary; ``employment_type`` added when several), within
    year x group p1/p99 winsorization (exact quantiles), OLS and HC3 intervals; equal to
    statsmodels on the same rows to 1e-8. The median-regression check is not computed (a
    distributed quantile regression is a separate problem).

    Parameters
    ----------
    ddf
        Selected rows with ``group``, ``hourly_usd``, ``year`` and the controls.
    base, groups, controls, ci_level
        As in :func:`~marketlib.arbitrage.adjusted_ratios`.

    Returns
    -------
    DaskAdjustedFit
        ``ratios`` (``group, ratio_to_base, ci_low, ci_high, kennedy_pct_difference, n``),
        the controls used, the number of rows, coefficients and their HC3 covariance.
    """
    present = [c for c in controls if c in ddf.columns]
    w = ddf[ddf["group"].isin(groups)].dropna(subset=present)
    cand = [*present, "employment_type"] if "employment_type" in ddf.columns else present
    distinct = dask.compute(*[w[c].dropna().drop_duplicates(split_out=1) for c in cand])
    values = {c: sorted(v.tolist()) for c, v in zip(cand, distinct, strict=True)}
    wanted = list(controls) + (["employment_type"] if len(values.get("employment_type", []))
                               > 1 else [])
    ctrl = [c for c in dict.fromkeys(wanted) if c in values and len(values[c]) > 1]
    # winsorization bounds: exact p1/p99 of log pay per year x group
    cell_counts = w.groupby(["year", "group"]).size().compute().sort_index()
    cell_counts = cell_counts[cell_counts > 0]
    cells = cell_counts.index
    nc = cell_counts.to_numpy()
    p_lo, n_lo, g_lo = _quantile_ranks(nc, 0.01)
    p_hi, n_hi, g_hi = _quantile_ranks(nc, 0.99)
    parts = w.persist()
    coded, ext = _coded_parts(parts.to_delayed(), partial(_extract_cells, cells=cells))
    v = exact.order_statistics(coded, ext, len(cells),
                               np.stack([p_lo, n_lo, p_hi, n_hi], axis=1))
    lo = _lerp(v[:, 0], v[:, 1], g_lo)
    hi = _lerp(v[:, 2], v[:, 3], g_hi)
    ww = parts.map_partitions(_winsor_part, cells, lo, hi)
    n_rows, n_group = dask.compute(ww.shape[0], ww["group"].value_counts(split_out=1))
    keys = ["group", *ctrl]
    fit_rows = ww.dropna(subset=keys)
    agg = fit_rows.groupby(keys).agg(n=("log_rate", "size"), sy=("log_rate", "sum"),
                                   split_out=1)
    agg = agg.compute().reset_index()
    agg = agg[agg["n"] > 0].reset_index(drop=True)
    levels = {"group": sorted(agg["group"].unique().tolist())}
    for c in ctrl:
        levels[c] = sorted(agg[c].unique().tolist())
    x, names = _design(agg, base, levels)
    cnt = agg["n"].to_numpy(dtype=float)
    xtx = x.T @ (x * cnt[:, None])
    xty = x.T @ agg["sy"].to_numpy()
    xtx_inv = np.linalg.pinv(xtx)
    beta = xtx_inv @ xty
    yhat = x @ beta
    lev = np.einsum("ij,jk,ik->i", x, xtx_inv, x)
    fitted = agg[keys].assign(yhat=yhat, _cell=np.arange(len(agg)))
    e2 = (fit_rows.map_partitions(_residual_part, keys, fitted[[*keys, "yhat"]])
          .groupby(keys)["e2"].sum(split_out=1).compute())
    e2 = fitted.merge(e2.rename("e2").reset_index(), on=keys, how="left")["e2"].to_numpy()
    with np.errstate(divide="ignore", invalid="ignore"):
        scale = e2 / (1 - lev) ** 2
    meat = x.T @ (x * scale[:, None])
    cov = xtx_inv @ meat @ xtx_inv
    params = pd.Series(beta, index=names)
    cov_df = pd.DataFrame(cov, index=names, columns=names)
    z = stats.norm.ppf(1 - (1 - ci_level) / 2)
    rows = []
    for g in groups:
        name = f"C(group, Treatment({base!r}))[T.{g}]"
        if g == base or name not in params.index:
            continue
        b, var = params[name], cov_df.loc[name, name]
        se = np.sqrt(var)
        rows.append({"group": g, "ratio_to_base": float(np.exp(b)),
                     "ci_low": float(np.exp(b - z * se)), "ci_high": float(np.exp(b + z * se)),
                     "kennedy_pct_difference": float(np.exp(b - 0.5 * var) - 1),
                     "n": int(n_group.get(g, 0))})
    return DaskAdjustedFit(ratios=pd.DataFrame(rows), controls=ctrl, n=int(n_rows),
                           params=params, cov_params=cov_df, n_cells=len(agg))



def dask_run_arbitrage(rates: pd.DataFrame, scope: Any, min_n: int = 30, n_boot: int = 2000,
                       seed: int = 0, ci_level: float = 0.95, plr: pd.DataFrame | None = None,
                       team: list[dict[str, Any]] | None = None,
                       scheduler: str | None = None, partition_rows: int = 250_000) -> Any:
    """Return :func:`marketlib.arbitrage.run_arbitrage`'s result with the Dask estimators.

    The selection (:func:`~marketlib.arbitrage.select_rates`) runs in pandas; the selected
    rows are split into partitions of ``partition_rows`` and given to the cluster
    (``scheduler``, or a local one): raw ratios (medians, order-statistic CIs, the exact-median
    bootstrap: :func:`dask_raw_ratios`) and the adjusted ratios (OLS + HC3 from distributed
    sufficient statistics: :func:`dask_adjusted_ratios`) are computed there, equal to the
    pandas estimators (medians and CIs exactly, adjusted ratios to 1e-8). The rest stays in
    pandas on the selected rows: the median-regression check of the adjusted ratios, PPP
    ratios, the gap trend and the team cost (which prices members with the statsmodels fit).
    """
    from marketlib.arbitrage import adjusted as adj
    from marketlib.arbitrage.result import ArbitrageResult, gap_trend, ppp_ratios, team_cost
    from marketlib.arbitrage.select import select_rates
    from marketlib.engines.cluster import dask_client

    d, log = select_rates(rates, scope)
    with dask_client(scheduler):
        ddf = dd.from_pandas(d, npartitions=max(1, -(-len(d) // partition_rows)), sort=False)
        raw = dask_raw_ratios(ddf, scope.base, min_n, n_boot, seed, ci_level)
        groups = raw.loc[raw["reported"].astype(bool), "group"].tolist()
        fit = dask_adjusted_ratios(ddf, scope.base, groups, ci_level=ci_level) \
            if len(groups) > 1 else None
    adjusted = None
    if fit is not None:
        controls = ("experience", "role_family", "year")
        w = d[d["group"].isin(groups)].dropna(subset=[c for c in controls if c in d]).copy()
        w["log_rate"] = adj.winsorize_log(w)
        formula = "log_rate ~ " + " + ".join(
            [f"C(group, Treatment({scope.base!r}))"] + [f"C({c})" for c in fit.controls])
        ratios, qr = fit.ratios, None
        if len(ratios):
            qr = adj._median_regression(w, formula, scope.base, groups, ci_level)
            ratios = ratios.merge(qr, on="group", how="left")
        adjusted = adj.AdjustedFit(ratios=ratios, controls=fit.controls, n=fit.n, model=fit,
                                   formula=formula, quantile=qr)
    ppp = ppp_ratios(d, plr, scope.base, groups) if plr is not None and groups else None
    trend = (gap_trend(d, scope.base, groups, ci_level=ci_level) if len(groups) > 1
             else pd.DataFrame())
    team_df = None
    if team and adjusted is not None:  # the team is priced with the statsmodels fit
        team_fit = adj.adjusted_ratios(d, scope.base, groups, ci_level=ci_level,
                                       quantile_check=False)
        team_df = team_cost(team_fit, team, scope.base, groups, scope.hours_per_year, seed=seed)
    return ArbitrageResult(scope=scope, log=log, raw=raw, adjusted=adjusted, ppp=ppp,
                           trend=trend, team=team_df, min_n=min_n)
