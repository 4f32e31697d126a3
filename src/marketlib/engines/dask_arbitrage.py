"""The arbitrage estimators on a Dask DataFrame, with the pandas functions' exact results.

* :func:`dask_group_medians`: each group's median and distribution-free order-statistic CI
  (docs/methods.md#s6-1), by exact distributed selection (:mod:`marketlib.engines.exact`).
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
from typing import Any

import dask
import dask.dataframe as dd
import numpy as np
import pandas as pd
from scipy import stats

from marketlib.arbitrage import adjusted as adj
from marketlib.arbitrage import percentiles as pc
from marketlib.arbitrage.adjusted_countries import respect_countries
from marketlib.arbitrage.countries import MIN_COUNTRY_N, apply_country_clusters, country_clusters
from marketlib.arbitrage.medians import RAW_COLUMNS, reported_row
from marketlib.arbitrage.result import ArbitrageResult, gap_trend, ppp_ratios, ranks_of, team_cost
from marketlib.arbitrage.select import require_base, select_rates
from marketlib.arbitrage.skills import has_skills, skills_breakdown
from marketlib.engines import exact
from marketlib.engines.cells import global_cells, key_frame, local_cells
from marketlib.engines.cluster import dask_client


def _local_part(
    part: pd.DataFrame, keys: list[str], value_col: str, keep: Any = None
) -> dict[str, Any]:
    """Code a partition's cells (the combinations of ``keys``); keep its log or raw values."""
    if keep is not None:
        part = part[keep(part)]
    codes, cell_keys, first = local_cells([part[k] for k in keys])
    values = part[value_col].to_numpy(dtype=np.float64)
    return {
        "codes": codes,
        "keys": cell_keys,
        "first": first,
        "values": values,
        "rows": np.bincount(codes, minlength=len(cell_keys)).astype(np.int64),
    }


def _small(local: dict[str, Any]) -> dict[str, Any]:
    return {k: local[k] for k in ("keys", "first", "rows")}


def _map_values(
    local: dict[str, Any], cell_map: np.ndarray, log: bool = False
) -> list[tuple[np.ndarray, np.ndarray]]:
    """Return ``(group code, value)`` pairs: cells mapped to groups (-1: left out)."""
    codes = cell_map[local["codes"]]
    values = np.log(local["values"]) if log else local["values"]
    keep = codes >= 0
    return [(codes[keep], values[keep])]


@dataclass
class _Cells:
    """A table reduced on the workers to cell codes and values (read once)."""

    local: list[Any]  # persisted per-partition results of _local_part
    keys: pd.DataFrame  # one row per global cell, with ``rows`` and ``first``
    maps: list[np.ndarray]  # per partition: local cell code -> global cell code

    def groups(self, cell_group: np.ndarray, n_groups: int, log: bool = False) -> list[Any]:
        """Prepare the values of each group (a function of the cell) for selection."""
        parts = [
            dask.delayed(_map_values, pure=True)(loc, cell_group[m], log)
            for loc, m in zip(self.local, self.maps, strict=True)
        ]
        return exact.prepare(parts, exact.identity_extract, n_groups)


def _cells(ddf: dd.DataFrame, keys: list[str], value_col: str, keep: Any = None) -> _Cells:
    """Read ``ddf`` once: per partition the cell code of each row and its value."""
    local = list(
        dask.persist(
            *[
                dask.delayed(_local_part, pure=True)(p, keys, value_col, keep)
                for p in ddf[[*dict.fromkeys([*keys, value_col])]].to_delayed()
            ]
        )
    )
    small = dask.compute(*[dask.delayed(_small, pure=True)(loc) for loc in local])
    ids, maps = global_cells([s["keys"] for s in small])
    frame = key_frame(ids, keys)
    rows = np.zeros(len(ids), dtype=np.int64)
    first = np.full(len(ids), np.iinfo(np.int64).max)
    for i, (s, m) in enumerate(zip(small, maps, strict=True)):
        np.add.at(rows, m, s["rows"])
        np.minimum.at(first, m, (np.int64(i) << np.int64(40)) + s["first"])
    return _Cells(local, frame.assign(rows=rows, first=first), maps)


def _ci_ranks(n: np.ndarray, ci_level: float) -> np.ndarray:
    """0-based ranks of :func:`median_ci_order_statistic`'s bounds for groups of ``n``."""
    out = np.full((len(n), 2), -1, dtype=np.int64)
    for g, m in enumerate(n):
        if m > 0:
            k = int(stats.binom.ppf((1 - ci_level) / 2, m, 0.5))
            out[g] = (max(k, 1) - 1, min(m - k + 1, m) - 1)
    return out


def dask_group_medians(
    ddf: dd.DataFrame,
    group_col: str = "group",
    value_col: str = "hourly_usd",
    ci_level: float = 0.95,
) -> pd.DataFrame:
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
    cells = _cells(ddf, [group_col], value_col)
    groups = sorted(cells.keys[group_col].dropna().tolist())
    gi = {g: i for i, g in enumerate(groups)}
    cell_group = cells.keys[group_col].map(gi).fillna(-1).to_numpy(dtype=np.int64)
    prepared = cells.groups(cell_group, len(groups))
    summary = exact.summarize(prepared, len(groups))
    n = summary.counts
    ranks = np.concatenate([exact.median_ranks(n), _ci_ranks(n, ci_level)], axis=1)
    v = exact.order_statistics(prepared, ranks, summary)
    return pd.DataFrame(
        {
            "group": groups,
            "n": n,
            "median": exact.medians_from(v[:, :2], n),
            "ci_low": v[:, 2],
            "ci_high": v[:, 3],
        }
    )


def dask_percentiles(
    d: pd.DataFrame,
    min_n: int = 30,
    country_min_n: int = 10,
    ci_level: float = 0.95,
    partition_rows: int = 250_000,
) -> pd.DataFrame:
    """Return :func:`marketlib.arbitrage.percentiles.pay_percentiles` by exact selection.

    Every cell's percentile and interval ranks (the pandas function's) are selected
    exactly on the cluster (:func:`marketlib.engines.exact.order_statistics`): the same
    numbers, not an approximation.
    """
    cells = pc.cells_of(d)
    cells = cells.assign(
        cell=cells["dimension"]
        + "\x1f"
        + cells["group"].astype("str")
        + "\x1f"
        + cells["key"].astype("str")
    )
    ddf = dd.from_pandas(
        cells[["cell", "hourly_usd"]],
        npartitions=max(1, -(-len(cells) // partition_rows)),
        sort=False,
    )
    c = _cells(ddf, ["cell"], "hourly_usd")
    names = sorted(c.keys["cell"].dropna().tolist())
    gi = {g: i for i, g in enumerate(names)}
    prepared = c.groups(c.keys["cell"].map(gi).fillna(-1).to_numpy(dtype=np.int64), len(names))
    summary = exact.summarize(prepared, len(names))
    n = summary.counts
    floor = pc.floors(min_n, country_min_n)
    dims = [name.split("\x1f") for name in names]
    wanted = np.array([m >= floor[dim[0]] for dim, m in zip(dims, n, strict=True)])
    k = len(pc.PERCENTILES)
    ranks = np.full((len(names), 4 * k), -1, dtype=np.int64)
    weights = np.zeros((len(names), k))
    for g in map(int, np.flatnonzero(wanted)):
        for j, q in enumerate(pc.PERCENTILES):
            prev, nxt, t = pc.quantile_ranks(int(n[g]), q)
            lo, hi = pc.ci_ranks(int(n[g]), q, ci_level)
            ranks[g, 4 * j : 4 * j + 4] = (prev, nxt, lo, hi if hi < n[g] else -1)
            weights[g, j] = t
    v = exact.order_statistics(prepared, ranks, summary)
    rows = []
    for g, (dim, group, key) in enumerate(dims):
        base = {"dimension": dim, "group": group, "key": key, "n": int(n[g])}
        if not wanted[g]:
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
        for j, q in enumerate(pc.PERCENTILES):
            a, b, lo, hi = v[g, 4 * j : 4 * j + 4]
            r = ranks[g, 4 * j : 4 * j + 4]
            rows.append(
                {
                    **base,
                    "reported": True,
                    "percentile": q,
                    "hourly_usd": pc.lerp(float(a), float(b), float(weights[g, j])),
                    "ci_low": float(lo) if r[2] >= 0 else np.nan,
                    "ci_high": float(hi) if r[3] >= 0 else np.nan,
                }
            )
    out = pd.DataFrame(rows, columns=pc.COLUMNS)
    order = {dim: i for i, dim in enumerate(pc.DIMENSIONS)}
    return out.sort_values(
        ["dimension", "group", "key", "percentile"],
        key=lambda col: col.map(order) if col.name == "dimension" else col,
        kind="stable",
    ).reset_index(drop=True)


def _boot_ranks(n: int, n_boot: int, rng: np.random.Generator) -> np.ndarray:
    """Ranks drawn by :func:`marketlib.arbitrage.bootstrap_medians` (same draws, same order)."""
    m = (n + 1) // 2
    cdf = stats.binom.sf(m - 1, n, np.arange(1, n + 1) / n)
    return np.minimum(np.searchsorted(cdf, rng.random(n_boot), side="left"), n - 1)


def dask_raw_ratios(
    ddf: dd.DataFrame,
    base: str,
    min_n: int = 30,
    n_boot: int = 2000,
    seed: int = 0,
    ci_level: float = 0.95,
) -> pd.DataFrame:
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
    cells = _cells(ddf, ["group", "country_iso3"], "hourly_usd")
    known = cells.keys.dropna(subset=["group", "country_iso3"])
    by_country = known.rename(columns={"rows": "n"}).set_index(["group", "country_iso3"])[
        ["n", "first"]
    ]
    groups = sorted(by_country.index.get_level_values(0).unique().tolist())
    if base not in groups:
        raise ValueError(f"base group {base!r} has no rows in this selection")
    gi = {g: i for i, g in enumerate(groups)}
    cell_group = cells.keys["group"].map(gi).fillna(-1).to_numpy(dtype=np.int64)
    parts = cells.groups(cell_group, len(groups))
    summary = exact.summarize(parts, len(groups))
    n = summary.counts
    rng = np.random.default_rng(seed)
    draws: dict[str, np.ndarray] = {base: _boot_ranks(int(n[gi[base]]), n_boot, rng)}
    order = sorted(groups, key=lambda k: (k != base, k))
    for g in order:
        if g != base and n[gi[g]] >= min_n and n[gi[g]] >= 30:
            draws[g] = _boot_ranks(int(n[gi[g]]), n_boot, rng)
    ranks = np.concatenate(
        [exact.median_ranks(n), _ci_ranks(n, ci_level), np.full((len(groups), 2), -1)], axis=1
    )
    for g, idx in draws.items():
        ranks[gi[g], 4:] = (idx.min(), idx.max())
    v = exact.order_statistics(parts, ranks, summary)
    lo = np.where(ranks[:, 4] >= 0, v[:, 4], np.nan)
    hi = np.where(ranks[:, 5] >= 0, v[:, 5], np.nan)
    window, below = exact.window_values(parts, lo, hi)
    boots = {g: window[gi[g]][idx - below[gi[g]]] for g, idx in draws.items()}
    med = exact.medians_from(v[:, :2], n)
    base_med = float(med[gi[base]])
    blo, bhi = float(v[gi[base], 2]), float(v[gi[base], 3])
    base_boot = boots[base]
    rows = []
    for g in order:
        i = gi[g]
        counts = by_country.loc[g].sort_values(["n", "first"], ascending=[False, True])
        row: dict[str, Any] = {
            "group": g,
            "n": int(n[i]),
            "n_countries": len(counts),
            "top_country": counts.index[0],
            "top_country_share": float(counts["n"].iloc[0] / counts["n"].sum()),
        }
        if n[i] < min_n:
            row.update(reported=False, flag="F", note=f"n < {min_n}: suppressed")
            rows.append(row)
            continue
        m, lo_i, hi_i = float(med[i]), float(v[i, 2]), float(v[i, 3])
        rows.append(
            reported_row(
                row,
                int(n[i]),
                m,
                (lo_i, hi_i),
                base_med,
                (blo, bhi),
                boots.get(g),
                base_boot,
                g == base,
                q,
            )
        )
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


def _cell_moments(
    local: dict[str, Any],
    cell_map: np.ndarray,
    fit_map: np.ndarray,
    lo: np.ndarray,
    hi: np.ndarray,
    n_fit: int,
) -> np.ndarray:
    """Per design cell: rows, sum and centred sum of squares of the winsorized log pay.

    ``cell_map`` gives each cell's winsorization cell (year x group), ``fit_map`` its design
    cell (-1: a control is missing, left out of the fit).
    """
    codes = local["codes"]
    w = cell_map[codes]
    y = np.clip(np.log(local["values"]), lo[w], hi[w])
    f = fit_map[codes]
    keep = (f >= 0) & ~np.isnan(y)
    f, y = f[keep], y[keep]
    n = np.bincount(f, minlength=n_fit).astype(np.float64)
    s = np.bincount(f, weights=y, minlength=n_fit)
    with np.errstate(invalid="ignore", divide="ignore"):
        mean = np.where(n > 0, s / n, 0.0)
    m2 = np.bincount(f, weights=(y - mean[f]) ** 2, minlength=n_fit)
    return np.stack([n, s, m2])


def _merge_moments(parts: list[np.ndarray]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Chan et al.'s pairwise update: ``(n, mean, M2)`` of the whole from the parts'."""
    n = np.sum([p[0] for p in parts], axis=0)
    s = np.sum([p[1] for p in parts], axis=0)
    with np.errstate(invalid="ignore", divide="ignore"):
        mean = np.where(n > 0, s / n, 0.0)
        m2 = np.zeros_like(n)
        for p in parts:
            pm = np.where(p[0] > 0, p[1] / p[0], 0.0)
            m2 += p[2] + p[0] * (pm - mean) ** 2
    return n, mean, m2


def _design(
    cells: pd.DataFrame, base: str, levels: dict[str, list[Any]]
) -> tuple[np.ndarray, list[str]]:
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


def dask_adjusted_ratios(
    ddf: dd.DataFrame,
    base: str,
    groups: list[str],
    controls: tuple[str, ...] = ("experience", "role_family", "year"),
    ci_level: float = 0.95,
) -> DaskAdjustedFit:
    """Return :func:`marketlib.arbitrage.adjusted_ratios`' ratios computed on a Dask DataFrame.

    Same rows, controls (those that vary; ``employment_type`` added when several), within
    year x group p1/p99 winsorization (exact quantiles), OLS and HC3 intervals; equal to
    statsmodels on the same rows to 1e-8. The median-regression check is not computed (a
    distributed quantile regression is a separate problem).

    The table is read once: each partition keeps its rows' cell codes (the combinations of
    group and controls) and pay. Then exact winsorization bounds per year x group (two
    selection rounds), and one pass for each design cell's ``n``, mean and centred sum of
    squares of winsorized log pay (merged with Chan et al.'s update): every regressor is a
    dummy, so ``X'X``, ``X'y``, the residual sums ``sum e^2 = M2 + n (mean - yhat)^2`` and the
    leverages ``h_c = x_c (X'X)^-1 x_c'`` (shared by a cell's rows) follow per cell.

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
    cand = [*present, "employment_type"] if "employment_type" in ddf.columns else present
    keys = list(dict.fromkeys(["group", "year", *cand]))
    wanted_groups = list(groups)

    def keep(part: pd.DataFrame) -> np.ndarray:
        return (part["group"].isin(wanted_groups) & part[present].notna().all(axis=1)).to_numpy()

    cells = _cells(ddf, keys, "hourly_usd", keep)
    table = cells.keys
    values = {c: sorted(table[c].dropna().unique().tolist()) for c in cand}
    wanted = list(controls) + (
        ["employment_type"] if len(values.get("employment_type", [])) > 1 else []
    )
    ctrl = [c for c in dict.fromkeys(wanted) if c in values and len(values[c]) > 1]
    n_rows = int(table["rows"].sum())
    n_group = table.groupby("group")["rows"].sum()
    cell_w, lo, hi = _winsor_bounds(cells, table)
    # design cells: group x controls, every one given
    fit_keys = ["group", *ctrl]
    given = table[fit_keys].notna().all(axis=1).to_numpy()
    fit_code = np.full(len(table), -1, dtype=np.int64)
    by_fit = table.loc[given].groupby(fit_keys, sort=True)
    fit_code[given] = by_fit.ngroup().to_numpy()
    agg = by_fit.size().index.to_frame(index=False)
    tasks = [
        dask.delayed(_cell_moments, pure=True)(loc, cell_w[m], fit_code[m], lo, hi, len(agg))
        for loc, m in zip(cells.local, cells.maps, strict=True)
    ]
    cnt, mean, m2 = _merge_moments(list(dask.compute(*tasks)))
    nonempty = cnt > 0
    agg, cnt, mean, m2 = (
        agg[nonempty].reset_index(drop=True),
        cnt[nonempty],
        mean[nonempty],
        m2[nonempty],
    )
    levels = {"group": sorted(agg["group"].unique().tolist())}
    for c in ctrl:
        levels[c] = sorted(agg[c].unique().tolist())
    x, names = _design(agg, base, levels)
    beta, cov = _ols_hc3(x, cnt, mean, m2)
    params = pd.Series(beta, index=names)
    cov_df = pd.DataFrame(cov, index=names, columns=names)
    return DaskAdjustedFit(
        ratios=_group_ratios(params, cov_df, base, groups, n_group, ci_level),
        controls=ctrl,
        n=n_rows,
        params=params,
        cov_params=cov_df,
        n_cells=len(agg),
    )


def _winsor_bounds(cells: Any, table: pd.DataFrame) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Return each key cell's winsorization cell (year x group) and their exact p1/p99 bounds."""
    by_wcell = table.groupby(["year", "group"], sort=True)
    cell_w = by_wcell.ngroup().fillna(-1).to_numpy(dtype=np.int64)  # -1: a key is missing
    nc = by_wcell["rows"].sum().to_numpy()
    p_lo, n_lo, g_lo = _quantile_ranks(nc, 0.01)
    p_hi, n_hi, g_hi = _quantile_ranks(nc, 0.99)
    prepared = cells.groups(cell_w, len(nc), log=True)
    v = exact.order_statistics(prepared, np.stack([p_lo, n_lo, p_hi, n_hi], axis=1))
    del prepared
    lo = np.append(_lerp(v[:, 0], v[:, 1], g_lo), -np.inf)  # index -1: not winsorized
    hi = np.append(_lerp(v[:, 2], v[:, 3], g_hi), np.inf)
    return cell_w, lo, hi


def _ols_hc3(
    x: np.ndarray, cnt: np.ndarray, mean: np.ndarray, m2: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Return OLS coefficients and their HC3 covariance from per-cell n, mean and M2.

    Every regressor is a dummy, so a design cell's rows share ``x`` and the leverage ``h``;
    a cell's squared residuals sum to ``M2 + n (mean - yhat)^2``.
    """
    xtx_inv = np.linalg.pinv(x.T @ (x * cnt[:, None]))
    beta = xtx_inv @ (x.T @ (cnt * mean))
    lev = np.einsum("ij,jk,ik->i", x, xtx_inv, x)
    e2 = m2 + cnt * (mean - x @ beta) ** 2
    with np.errstate(divide="ignore", invalid="ignore"):
        scale = e2 / (1 - lev) ** 2
    return beta, xtx_inv @ (x.T @ (x * scale[:, None])) @ xtx_inv


def _group_ratios(
    params: pd.Series,
    cov: pd.DataFrame,
    base: str,
    groups: list[str],
    n_group: pd.Series,
    ci_level: float,
) -> pd.DataFrame:
    """Return each group's ratio to the base with its normal CI and Kennedy percentage."""
    z = stats.norm.ppf(1 - (1 - ci_level) / 2)
    rows = []
    for g in groups:
        name = f"C(group, Treatment({base!r}))[T.{g}]"
        if g == base or name not in params.index:
            continue
        b, var = params[name], cov.loc[name, name]
        se = np.sqrt(var)
        rows.append(
            {
                "group": g,
                "ratio_to_base": float(np.exp(b)),
                "ci_low": float(np.exp(b - z * se)),
                "ci_high": float(np.exp(b + z * se)),
                "kennedy_pct_difference": float(np.exp(b - 0.5 * var) - 1),
                "n": int(n_group.get(g, 0)),
            }
        )
    return pd.DataFrame(rows)


def dask_run_arbitrage(
    rates: pd.DataFrame,
    scope: Any,
    min_n: int = 30,
    n_boot: int = 2000,
    seed: int = 0,
    ci_level: float = 0.95,
    plr: pd.DataFrame | None = None,
    team: list[dict[str, Any]] | None = None,
    scheduler: str | None = None,
    partition_rows: int = 250_000,
) -> Any:
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
    d, log = select_rates(rates, scope)
    require_base(d, scope, min_n)
    with dask_client(scheduler):
        ddf = dd.from_pandas(d, npartitions=max(1, -(-len(d) // partition_rows)), sort=False)
        raw = dask_raw_ratios(ddf, scope.base, min_n, n_boot, seed, ci_level)
        clusters = country_clusters(d, scope.base, n_boot, seed, ci_level)  # small: here
        raw = apply_country_clusters(raw, clusters, scope.base)
        groups = raw.loc[raw["reported"].astype(bool), "group"].tolist()
        controls = adj.held_controls(d, groups, ("experience", "role_family", "year"))
        fit = (
            dask_adjusted_ratios(ddf, scope.base, groups, controls, ci_level=ci_level)
            if len(groups) > 1
            else None
        )
        percentiles = dask_percentiles(d, min_n, MIN_COUNTRY_N, ci_level, partition_rows)
    adjusted = None
    if fit is not None:
        w = d[d["group"].isin(groups)].dropna(subset=[c for c in controls if c in d]).copy()
        w["log_rate"] = adj.winsorize_log(w)
        formula = "log_rate ~ " + " + ".join(
            [f"C(group, Treatment({scope.base!r}))"] + [f"C({c})" for c in fit.controls]
        )
        ratios, qr = fit.ratios, None
        if len(ratios):
            qr = adj._median_regression(w, formula, scope.base, groups, ci_level)
            ratios = ratios.merge(qr, on="group", how="left")
        adjusted = adj.AdjustedFit(
            ratios=ratios, controls=fit.controls, n=fit.n, model=fit, formula=formula, quantile=qr
        )
    adjusted = respect_countries(adjusted, d, scope.base, groups, ci_level)
    ppp = ppp_ratios(d, plr, scope.base, groups) if plr is not None and groups else None
    trend = (
        gap_trend(d, scope.base, groups, ci_level=ci_level) if len(groups) > 1 else pd.DataFrame()
    )
    team_df = None
    if team and adjusted is not None:  # each group's team model, on the selected rows
        team_df = team_cost(d, team, scope.base, groups, scope.hours_per_year, seed=seed)
    skills = (
        skills_breakdown(d, scope.base, min_n, n_boot, seed, ci_level) if has_skills(d) else None
    )  # small subsets: in pandas
    return ArbitrageResult(
        scope=scope,
        log=log,
        raw=raw,
        adjusted=adjusted,
        ppp=ppp,
        trend=trend,
        team=team_df,
        min_n=min_n,
        countries=clusters.countries,
        tau2=clusters.tau2,
        percentiles=percentiles,
        skills=skills,
        ranks=ranks_of(adjusted, scope.base, ci_level, seed),
    )
