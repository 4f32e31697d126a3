"""Growth estimators: period growth (G1), differentials (G3), trend (G2), forecasts (G4).

docs/methods.md#s5: over-dispersion-aware log-ratio intervals with a Satterthwaite t reference; the
trend model chosen by a stated rule (weighted pooled log-OLS for large counts, per-group
quasi-Poisson otherwise); constant-growth extrapolation for forecasts.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
from scipy import stats
from statsmodels.genmod.families import Poisson
from statsmodels.genmod.generalized_linear_model import GLM
from statsmodels.regression.linear_model import OLS, WLS
from statsmodels.stats.rates import confint_poisson_2indep

from marketlib.growth.dispersion import Dispersion, estimate_dispersion
from marketlib.growth.panel import (
    LARGE_COUNT,
    MIN_TREND_PERIODS,
    GrowthInputError,
    Panel,
    group_trend_formula,
    season_term,
)
from marketlib.periods import PERIODS_PER_YEAR, period_labels


def _quasi_poisson(s: pd.DataFrame, panel: Panel) -> Any:
    formula = "y ~ t" + season_term(panel, s)
    return GLM.from_formula(formula, s, family=Poisson()).fit(scale="X2", use_t=True)


# --- G1: period growth -------------------------------------------------------------------------

#: Fewest degrees of freedom an interval is printed from (1 df carries no information: a t(1)
#: 95% multiplier is 12.7).
MIN_INTERVAL_DF = 2


def growth_ci(
    y0: float,
    y1: float,
    alpha: float,
    df: float | None,
    ci_level: float = 0.95,
    e0: float = 1.0,
    e1: float = 1.0,
    critical: float | None = None,
) -> tuple[float, float, float]:
    """Return growth ``(y1/e1)/(y0/e0) - 1`` and its over-dispersion-aware CI.

    Method: docs/methods.md#s5-1.

    ``se = sqrt(1/y1 + 1/y0 + 2 alpha)`` on the log scale, t reference with ``df`` (normal when
    ``df`` is None) unless a ``critical`` multiplier is given (bootstrap-t).
    Known answer: 1000 -> 1670 with alpha = 0 gives +0.67 [0.54, 0.81].
    """
    lr = np.log((y1 / e1) / (y0 / e0))
    se = np.sqrt(1 / y1 + 1 / y0 + 2 * alpha)
    if critical is not None:
        q = critical
    else:
        q = stats.t.ppf(0.5 + ci_level / 2, df) if df else stats.norm.ppf(0.5 + ci_level / 2)
    return float(np.expm1(lr)), float(np.expm1(lr - q * se)), float(np.expm1(lr + q * se))


def poisson_growth_ci(y0: int, y1: int, ci_level: float = 0.95) -> tuple[float, float]:
    """Return the Poisson-only score CI of ``y1/y0 - 1``.

    Labelled as such wherever shown: too narrow when counts are over-dispersed.
    """
    lo, hi = confint_poisson_2indep(
        y1, 1.0, y0, 1.0, method="score", compare="ratio", alpha=1 - ci_level
    )
    return float(lo - 1), float(hi - 1)


def period_growth(
    panel: Panel,
    period_from: str,
    period_to: str,
    ci_level: float = 0.95,
    dispersion: Dispersion | None = None,
) -> pd.DataFrame:
    """Growth of each group from ``period_from`` to ``period_to`` with CIs and counts.

    Columns: group, count_from, count_to, abs_change, growth, ci_low, ci_high
    (over-dispersion-aware; NaN when the panel cannot estimate year-to-year noise),
    poisson_ci_low/high (Poisson-only), alpha, df, status.
    """
    w = panel.wide()
    for p in (period_from, period_to):
        if p not in w.index:
            raise GrowthInputError(f"period {p} not in the panel ({', '.join(panel.periods)})")
    disp = (
        dispersion
        if dispersion is not None
        else estimate_dispersion(panel, held_out=(period_from, period_to))
    )
    rows = []
    for g in w.columns:
        y0, y1 = w.at[period_from, g], w.at[period_to, g]
        row: dict[str, Any] = {
            "group": g,
            "from": period_from,
            "to": period_to,
            "count_from": y0,
            "count_to": y1,
        }
        if pd.isna(y0) or pd.isna(y1):
            row["status"] = "missing period"
        elif y0 == 0 or y1 == 0:
            row["status"] = "zero count: growth undefined"
        else:
            row["abs_change"] = y1 - y0
            pl, ph = poisson_growth_ci(int(y0), int(y1), ci_level)
            row.update(poisson_ci_low=pl, poisson_ci_high=ph)
            if disp is None:
                row["growth"] = float(y1 / y0 - 1)
                row["status"] = "no CI: fewer than 3 periods, year-to-year noise unknown"
            else:
                q, df = disp.critical(1, 1 / y0 + 1 / y1, ci_level)
                gr, lo, hi = growth_ci(y0, y1, disp.alpha, df, ci_level, critical=q)
                row.update(growth=gr, alpha=disp.alpha, df=df, critical=q)
                if df is not None and df < MIN_INTERVAL_DF:  # an interval with no information
                    row["status"] = (
                        f"no CI: the year-to-year noise rests on {df:.1f} "
                        f"degree(s) of freedom (at least {MIN_INTERVAL_DF} needed)"
                    )
                else:
                    row.update(ci_low=lo, ci_high=hi, status="ok")
        rows.append(row)
    cols = [
        "group",
        "from",
        "to",
        "count_from",
        "count_to",
        "abs_change",
        "growth",
        "ci_low",
        "ci_high",
        "poisson_ci_low",
        "poisson_ci_high",
        "alpha",
        "df",
        "critical",
        "status",
    ]
    return pd.DataFrame(rows).reindex(columns=cols)


def growth_differentials(
    panel: Panel,
    period_from: str,
    period_to: str,
    base: str,
    ci_level: float = 0.95,
    dispersion: Dispersion | None = None,
) -> pd.DataFrame:
    """Ratio of growth ratios ``RR_g / RR_base`` with CI (docs/methods.md#s5-1, G3).

    ``se = sqrt(sum 1/y + 4 alpha)`` over the four counts. Never a difference of percentages.
    """
    w = panel.wide()
    disp = (
        dispersion
        if dispersion is not None
        else estimate_dispersion(panel, held_out=(period_from, period_to))
    )
    if base not in w.columns:
        raise GrowthInputError(f"base group {base!r} not in the panel")
    rows = []
    b0, b1 = w.at[period_from, base], w.at[period_to, base]
    for g in w.columns:
        if g == base:
            continue
        y0, y1 = w.at[period_from, g], w.at[period_to, g]
        counts = np.array([y0, y1, b0, b1], dtype=float)
        row: dict[str, Any] = {"group": g, "base": base}
        if np.isnan(counts).any() or (counts <= 0).any():
            row["status"] = "missing or zero count"
        else:
            lrr = np.log(y1 / y0) - np.log(b1 / b0)
            row["ratio_of_ratios"] = float(np.exp(lrr))
            if disp is not None:
                se = np.sqrt(np.sum(1 / counts) + 4 * disp.alpha)
                q, _ = disp.critical(2, float(np.sum(1 / counts)), ci_level)
                row.update(
                    ci_low=float(np.exp(lrr - q * se)),
                    ci_high=float(np.exp(lrr + q * se)),
                    status="ok",
                )
            else:
                row["status"] = "no CI: year-to-year noise unknown"
        rows.append(row)
    return pd.DataFrame(rows).reindex(
        columns=["group", "base", "ratio_of_ratios", "ci_low", "ci_high", "status"]
    )


def fastest_probability(
    panel: Panel, period_from: str, period_to: str, alpha: float, n_boot: int = 5000, seed: int = 0
) -> pd.Series:
    """P(group has the highest growth) under NB2 resampling of both periods' counts.

    docs/methods.md#s5-1: do not assert a ranking when this probability is below 0.9.
    """
    w = panel.wide().loc[[period_from, period_to]].dropna(axis=1)
    w = w.loc[:, (w > 0).all()]
    rng = np.random.default_rng(seed)
    mu = w.to_numpy(dtype=float)  # 2 x G

    def draw(m: np.ndarray) -> np.ndarray:
        if alpha <= 0:
            return rng.poisson(m, size=(n_boot, *m.shape))
        shape = 1 / alpha
        lam = rng.gamma(shape, m / shape, size=(n_boot, *m.shape))
        return rng.poisson(lam)

    sims = draw(mu).astype(float)
    with np.errstate(divide="ignore", invalid="ignore"):
        growth = sims[:, 1, :] / sims[:, 0, :]
    growth[~np.isfinite(growth)] = -np.inf
    best = np.argmax(growth, axis=1)
    p = np.bincount(best, minlength=w.shape[1]) / n_boot
    return pd.Series(p, index=w.columns, name="p_fastest")


# --- G2: trend growth --------------------------------------------------------------------------


def trend_growth(
    panel: Panel, ci_level: float = 0.95, large_count: int = LARGE_COUNT
) -> pd.DataFrame:
    """Annual trend growth ``exp(beta) - 1`` per group with CI.

    Model choice (docs/methods.md#s5-3): pooled OLS on log counts with group x t when every cell has
    at least ``large_count``; otherwise per-group quasi-Poisson (``scale='X2'``, t reference).
    Groups with fewer than three periods, or only zeros, are reported, not fitted.
    Also returns the endpoint CAGR (descriptive only).
    """
    d = panel.data
    sizes = d.groupby("group")["y"].agg(["size", "sum", "min"])
    rows: list[dict[str, Any]] = []
    fit_groups = sizes[(sizes["size"] >= MIN_TREND_PERIODS) & (sizes["sum"] > 0)].index
    for g in sizes.index.difference(fit_groups):
        reason = (
            "fewer than 3 periods" if sizes.at[g, "size"] < MIN_TREND_PERIODS else "all counts zero"
        )
        rows.append(
            {"group": g, "status": f"not fitted: {reason}", "n_periods": int(sizes.at[g, "size"])}
        )
    fd = d[d["group"].isin(fit_groups)]
    large = len(fd) > 0 and bool((fd["y"] >= large_count).all())
    if large:
        fit = _pooled_log_fit(panel, fd)
        ci = fit.conf_int(alpha=1 - ci_level)
        for g in fit_groups:
            name = f"C(group)[{g}]:t"
            rows.append(_trend_row(g, fit.params[name], ci.loc[name], "wls_log", fd, fit.df_resid))
    else:
        for g in fit_groups:
            s = fd[fd["group"] == g]
            if len(s) - 2 - (season_term(panel, s) != "") * (PERIODS_PER_YEAR[panel.freq] - 1) < 1:
                rows.append(
                    {"group": g, "status": "not fitted: no residual df", "n_periods": len(s)}
                )
                continue
            fit = _quasi_poisson(s, panel)
            ci = fit.conf_int(alpha=1 - ci_level)
            rows.append(
                _trend_row(g, fit.params["t"], ci.loc["t"], "quasi_poisson", s, fit.df_resid)
            )
    out = pd.DataFrame(rows)
    cols = [
        "group",
        "annual_growth",
        "ci_low",
        "ci_high",
        "model",
        "n_periods",
        "total_count",
        "endpoint_cagr",
        "df",
        "status",
    ]
    return out.reindex(columns=cols).sort_values("group").reset_index(drop=True)


def _pooled_log_fit(panel: Panel, d: pd.DataFrame) -> Any:
    """Pooled log-linear trend, group x t, weighted by the NB2 variance of log counts.

    ``Var(log y) ~ 1/mu + alpha``: groups with small counts are noisier, so one pooled OLS
    residual variance under-covers them (docs/methods.md#s5-3 "regions with differing error
    variance"). Step 1: OLS gives mu and alpha; step 2: WLS with weights ``1/(1/mu + alpha)``,
    scale re-estimated, t reference.
    """
    formula = group_trend_formula(panel, d)
    ols = OLS.from_formula(formula, d).fit()
    mu = np.exp(ols.fittedvalues)
    alpha = max(0.0, float(ols.scale - np.mean(1.0 / d["y"])))
    weights = 1.0 / (1.0 / mu + alpha)
    return WLS.from_formula(formula, d, weights=weights).fit()


def _trend_row(
    g: str, beta: float, ci: pd.Series, model: str, d: pd.DataFrame, df: float
) -> dict[str, Any]:
    s = d[d["group"] == g].sort_values("t")
    span = float(s["t"].iloc[-1] - s["t"].iloc[0])
    first, last = s["y"].iloc[0], s["y"].iloc[-1]
    cagr = (
        float((last / first) ** (1 / span) - 1) if first > 0 and last > 0 and span > 0 else np.nan
    )
    row = {
        "group": g,
        "annual_growth": float(np.expm1(beta)),
        "ci_low": float(np.expm1(ci.iloc[0])),
        "ci_high": float(np.expm1(ci.iloc[1])),
        "model": model,
        "n_periods": len(s),
        "total_count": int(s["y"].sum()),
        "endpoint_cagr": cagr,
        "df": float(df),
        "status": "ok",
    }
    if df < MIN_INTERVAL_DF:  # the trend's variance rests on too few periods: no interval
        row.update(
            ci_low=np.nan,
            ci_high=np.nan,
            status=f"no CI: {len(s)} periods leave {df:g} residual degree(s) of freedom "
            f"(at least {MIN_INTERVAL_DF} needed)",
        )
    return row


def equal_growth_test(panel: Panel) -> dict[str, Any] | None:
    """Wald test that every group has the same trend (pooled log-OLS); ``None`` if impossible."""
    d = panel.data
    if d["group"].nunique() < 2 or (d["y"] <= 0).any():
        return None
    if d.groupby("group").size().min() < MIN_TREND_PERIODS:
        return None
    fit = OLS.from_formula(group_trend_formula(panel, d), d).fit()
    names = [n for n in fit.params.index if n.endswith(":t")]
    r = np.zeros((len(names) - 1, len(fit.params)))
    for i in range(len(names) - 1):
        r[i, fit.params.index.get_loc(names[i])] = 1
        r[i, fit.params.index.get_loc(names[-1])] = -1
    w = fit.wald_test(r, scalar=True)
    return {
        "statistic": float(w.statistic),
        "p_value": float(w.pvalue),
        "df_num": int(r.shape[0]),
        "df_denom": float(fit.df_resid),
    }


# --- G4: forecasts -----------------------------------------------------------------------------


def forecast(
    panel: Panel,
    periods_ahead: int = 2,
    ci_levels: tuple[float, ...] = (0.8, 0.95),
) -> pd.DataFrame:
    """Constant-growth extrapolation with prediction intervals, per group.

    Per-group OLS of ``log y`` on t (plus seasonal dummies when there are two full cycles);
    ``exp`` of the mean and of ``obs_ci`` bounds give a median forecast and its PIs. Groups with
    zeros or fewer than three periods are reported and not forecast.
    """
    rows = []
    step = 1 / PERIODS_PER_YEAR[panel.freq]
    offset = pd.DateOffset(months=12 // PERIODS_PER_YEAR[panel.freq])
    for g, s in panel.data.groupby("group"):
        s = s.sort_values("t")
        if len(s) < MIN_TREND_PERIODS or (s["y"] <= 0).any():
            rows.append({"group": g, "status": "not forecast: fewer than 3 periods or zeros"})
            continue
        season = season_term(panel, s)
        fit = OLS.from_formula("np.log(y) ~ t" + season, s).fit()
        if fit.df_resid < MIN_INTERVAL_DF:
            rows.append(
                {
                    "group": g,
                    "status": (
                        f"not estimable: {len(s)} periods leave {fit.df_resid:g} residual "
                        f"degree(s) of freedom for the forecast's variance (at least "
                        f"{MIN_INTERVAL_DF} needed)"
                    ),
                }
            )
            continue
        last_start = s["period_start"].iloc[-1]
        starts = [last_start + offset * (h + 1) for h in range(periods_ahead)]
        new = pd.DataFrame(
            {
                "t": s["t"].iloc[-1] + step * np.arange(1, periods_ahead + 1),
                "season": [(st.month - 1) // (12 // PERIODS_PER_YEAR[panel.freq]) for st in starts],
            }
        )
        labels = period_labels(pd.Series(starts), panel.freq)["period"].tolist()
        pred = {lv: fit.get_prediction(new).summary_frame(alpha=1 - lv) for lv in ci_levels}
        for h in range(periods_ahead):
            row = {
                "group": g,
                "period": labels[h],
                "h": h + 1,
                "mean": float(np.exp(pred[ci_levels[0]]["mean"].iloc[h])),
                "status": "ok",
            }
            for lv in ci_levels:
                tag = f"{int(round(lv * 100))}"
                row[f"pi{tag}_low"] = float(np.exp(pred[lv]["obs_ci_lower"].iloc[h]))
                row[f"pi{tag}_high"] = float(np.exp(pred[lv]["obs_ci_upper"].iloc[h]))
            rows.append(row)
    return pd.DataFrame(rows)


def fitted_trend(panel: Panel, ci_level: float = 0.95) -> pd.DataFrame:
    """Fitted trend and its confidence band per group (for plotting observed vs trend)."""
    out = []
    for g, s in panel.data.groupby("group"):
        if len(s) < MIN_TREND_PERIODS or (s["y"] <= 0).any():
            continue
        fit = OLS.from_formula("np.log(y) ~ t" + season_term(panel, s), s).fit()
        sf = fit.get_prediction(s).summary_frame(alpha=1 - ci_level)
        out.append(
            pd.DataFrame(
                {
                    "group": g,
                    "period": s["period"].to_numpy(),
                    "fitted": np.exp(sf["mean"]).to_numpy(),
                    "band_low": np.exp(sf["mean_ci_lower"]).to_numpy(),
                    "band_high": np.exp(sf["mean_ci_upper"]).to_numpy(),
                }
            )
        )
    return (
        pd.concat(out, ignore_index=True)
        if out
        else pd.DataFrame(columns=["group", "period", "fitted", "band_low", "band_high"])
    )
