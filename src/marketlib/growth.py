"""Certification growth: period growth, trend growth, differentials and forecasts.

Methods follow METHODS.md §5 and its "Decisions at a glance":

- period growth (G1): ``y1/y0 - 1`` with a log-ratio CI whose variance adds the NB2
  extra-variance ``2·alpha`` estimated from the whole panel with the compared change held out
  of the residuals, t reference with a Satterthwaite df (the Poisson part of the variance is
  known, alpha is estimated; with small counts alpha comes from the Cox-Reid adjusted profile
  likelihood of an NB2 trend); the Poisson-only score interval is given beside it, labelled;
- trend growth (G2): pooled OLS on log counts with group x time interaction when every cell
  has at least ``large_count`` (50) credentials, otherwise per-group quasi-Poisson GLM
  (``scale='X2'``, t reference); seasonal dummies for quarterly and monthly data;
- differentials (G3): ratio of growth ratios with CI, and the probability that each group is
  the fastest-growing (parametric NB bootstrap); a "fastest" label needs ``P >= 0.9``;
- forecasts (G4): log-linear trend prediction intervals (OLS ``obs_ci``), labelled
  "constant-growth extrapolation"; ETS is not used (METHODS: its short-series PIs under-cover).

Counts are flows (new credentials per period); cumulative first values (``count_basis ==
"cumulative_first"``) are stocks and never enter.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np
import pandas as pd
import statsmodels.api as sm
import statsmodels.formula.api as smf
from scipy import stats
from scipy.optimize import brentq
from statsmodels.stats.rates import confint_poisson_2indep

from marketlib.clean import period_labels

FREQS = ("Y", "Q", "M")
PERIODS_PER_YEAR = {"Y": 1, "Q": 4, "M": 12}
LARGE_COUNT = 50
MIN_TREND_PERIODS = 3


class GrowthInputError(ValueError):
    """The certification table cannot support the requested growth analysis."""


@dataclass
class Panel:
    """Counts by group and period, with what was excluded and why."""

    data: pd.DataFrame  # group, <group cols>, period, period_start, t, season, y
    group_by: list[str]
    freq: str
    periods: list[str]
    excluded: list[dict[str, Any]] = field(default_factory=list)

    def groups(self) -> list[str]:
        """Return the group labels in a stable order."""
        return sorted(self.data["group"].unique())

    def group_keys(self, label: str) -> dict[str, str]:
        """Return the grouping columns' values of a group label."""
        row = self.data.loc[self.data["group"] == label].iloc[0]
        return {c: (None if pd.isna(row[c]) else str(row[c])) for c in self.group_by}

    def wide(self) -> pd.DataFrame:
        """Return counts as a periods x groups table (NaN = missing period)."""
        return self.data.pivot(index="period", columns="group", values="y").reindex(self.periods)


def _mid_year(start: pd.Series, freq: str) -> pd.Series:
    """Return the period midpoint in fractional years (t is measured in years)."""
    per = PERIODS_PER_YEAR[freq]
    step = (start.dt.month - 1) / 12
    return start.dt.year + step + 0.5 / per


def prepare_panel(
    certifications: pd.DataFrame,
    group_by: list[str] | tuple[str, ...] = ("region",),
    freq: str | None = None,
    start: str | None = None,
    end: str | None = None,
    certifications_kept: list[str] | None = None,
    balanced: bool = True,
) -> Panel:
    """Aggregate a clean certification table into a group x period panel of flows.

    Parameters
    ----------
    certifications
        A ``certifications.parquet`` table (period, period_start, freq, region, certification,
        count, count_basis, ...).
    group_by
        Grouping columns (e.g. ``["region"]``, ``["region", "certification"]``).
    freq
        Expected frequency; the table must have exactly one.
    start, end
        Period labels bounding the window (inclusive).
    certifications_kept
        Certification codes to keep (``None`` keeps all).
    balanced
        Drop certification series that do not cover every period of the window, so that a
        group total never changes composition (a new exam entering is not growth).

    Raises
    ------
    GrowthInputError
        Empty selection, mixed frequencies, negative or non-integer counts, unknown columns.
    """
    d = certifications.copy()
    need = {"period", "period_start", "freq", "certification", "count"} | set(group_by)
    missing = sorted(need - set(d.columns))
    if missing:
        raise GrowthInputError(f"certification table lacks column(s): {', '.join(missing)}")
    freqs = sorted(d["freq"].dropna().unique())
    if len(freqs) > 1:
        raise GrowthInputError(f"mixed frequencies {freqs}: clean again with one --freq")
    if freq is not None and freqs and freqs[0] != freq:
        raise GrowthInputError(f"table frequency is {freqs[0]}, parameter freq is {freq}")
    freq = freq or (freqs[0] if freqs else "Y")
    counts = pd.to_numeric(d["count"], errors="coerce")
    if counts.isna().any() or (counts < 0).any() or (counts != np.floor(counts)).any():
        raise GrowthInputError("counts must be non-negative integers (clean the table first)")
    excluded: list[dict[str, Any]] = []
    if "count_basis" in d.columns:
        stock = d["count_basis"] == "cumulative_first"
        for _, r in d[stock].iterrows():
            excluded.append({"certification": r["certification"], "period": r["period"],
                             "reason": "first value of a cumulative series is a stock, "
                                       "not a flow"})
        d = d[~stock]
    if certifications_kept:
        d = d[d["certification"].isin(certifications_kept)]
    if start is not None:
        d = d[d["period"] >= str(start)]
    if end is not None:
        d = d[d["period"] <= str(end)]
    if d.empty:
        raise GrowthInputError("no counts left after filtering (certifications, start, end)")
    periods = sorted(d["period"].unique())
    if "count_basis" in d.columns:
        series_cols = [c for c in dict.fromkeys([*group_by, "certification"]) if c in d]
        bases = d.groupby(series_cols, dropna=False)["count_basis"].agg(
            lambda s: frozenset(s) & {"new", "cumulative_diff"})
        mixed = bases[bases.map(len) > 1]
        if len(mixed):
            names = ", ".join(" | ".join(map(str, k)) if isinstance(k, tuple) else str(k)
                              for k in mixed.index[:5])
            raise GrowthInputError(
                f"series mix counts published as new with differences of cumulative totals "
                f"({names}): the definitions differ; narrow start/end to one definition")
    if balanced:
        series_keys = [*group_by, "certification"] if "certification" not in group_by \
            else list(group_by)
        cover = d.groupby(series_keys, dropna=False)["period"].nunique()
        partial = cover[cover < len(periods)]
        for key, n in partial.items():
            excluded.append({"series": key if isinstance(key, str) else " | ".join(
                map(str, key)), "periods_covered": int(n), "periods_in_window": len(periods),
                "reason": "series does not cover the whole window (composition change)"})
        if len(partial):
            keep = ~d.set_index(series_keys).index.isin(partial.index)
            d = d[keep]
        if d.empty:
            raise GrowthInputError("no series covers the whole window; narrow start/end")
    g = d.groupby([*group_by, "period"], dropna=False).agg(
        y=("count", "sum"), period_start=("period_start", "first")).reset_index()
    g["group"] = g[list(group_by)].astype("str").agg(" | ".join, axis=1)
    g["period_start"] = pd.to_datetime(g["period_start"])
    g["t"] = _mid_year(g["period_start"], freq)
    g["t"] = g["t"] - g["t"].min()
    g["season"] = (g["period_start"].dt.month - 1) // (12 // PERIODS_PER_YEAR[freq])
    g["y"] = g["y"].astype("int64")
    return Panel(data=g.sort_values(["group", "period"]).reset_index(drop=True),
                 group_by=list(group_by), freq=freq, periods=periods, excluded=excluded)


# --- over-dispersion ---------------------------------------------------------------------------

@dataclass(frozen=True)
class Dispersion:
    """NB2 extra-variance ``alpha`` (Var y = mu + alpha mu^2) and what it rests on.

    ``alpha_var`` is the delta-method variance of ``alpha`` (None when not available), used for
    the Satterthwaite df of an interval whose variance is ``known + k alpha``.
    ``held_out`` names the compared periods whose changes the residuals are orthogonal to, so
    that ``alpha`` is independent of the change it is used to judge.
    """

    alpha: float
    df: int
    method: str
    pearson_chi2_df: float | None = None
    alpha_var: float | None = None
    held_out: tuple[str, str] | None = None

    def critical(self, n_groups: int, known_var: float, level: float) -> tuple[float, float]:
        """Return the interval's t multiplier and its df.

        ``n_groups``: 1 for a period growth (variance ``known + 2 alpha``), 2 for a
        differential (``known + 4 alpha``).
        """
        df = self.effective_df(known_var, 2 * n_groups)
        return float(stats.t.ppf(0.5 + level / 2, df)), df

    def effective_df(self, known_var: float, k: float) -> float:
        """Satterthwaite df of ``se^2 = known_var + k alpha`` (``known_var`` is Poisson, exact).

        ``nu = 2 (known + k alpha)^2 / (k^2 Var(alpha))``: a large known part makes the
        interval rest less on the estimated alpha. Falls back to the model df without
        ``alpha_var``; never below 1.
        """
        if self.alpha_var is None or self.alpha_var <= 0:
            return float(self.df)
        nu = 2 * (known_var + k * self.alpha) ** 2 / (k ** 2 * self.alpha_var)
        return float(max(nu, 1.0))


def estimate_dispersion(panel: Panel, held_out: tuple[str, str] | None = None
                        ) -> Dispersion | None:
    """Estimate NB2 ``alpha`` from the trend residuals of the whole panel (METHODS §5.1).

    Large counts (every cell >= ``LARGE_COUNT``): Paule-Mandel on the log-linear trend
    (group x t), iterated with weights ``1/(1/mu + alpha)``; intervals use a t reference with
    a Satterthwaite df. Small counts or zeros: the Cox-Reid adjusted profile likelihood of an
    NB2 GLM trend on the count scale (edgeR's small-sample dispersion estimator; the log of
    small counts is biased, the Pearson moment equation too imprecise and plain ML biased
    low), with the variance of alpha from the curvature of that likelihood, same t reference.

    ``held_out = (from, to)`` adds, per group, a column ``+1 at to, -1 at from``. The residuals
    are then orthogonal to each group's change between those periods, so ``alpha`` does not
    grow with the very change it will judge (with it in the residuals, 95% intervals covered
    96.5% in every region; see docs/validation.md). When that leaves no residual df (e.g.
    three periods) the residuals keep the compared periods and the method says so: that
    interval is conservative (98-100% in simulation).

    Returns ``None`` when the panel has no residual df: year-to-year noise cannot be estimated.
    """
    d = panel.data
    ok = d.groupby("group")["y"].transform("size") >= MIN_TREND_PERIODS
    d = d[ok]
    if d.empty:
        return None
    cols: list[str] = []
    if held_out is not None:
        d, cols = _held_out_columns(d, held_out)
    if (d["y"] >= LARGE_COUNT).all():
        estimate = _log_trend_dispersion
    else:
        d = d[d.groupby("group")["y"].transform("sum") > 0]
        if d.empty:
            return None
        estimate = _count_trend_dispersion
    disp = estimate(panel, d, cols)
    if disp is not None and cols:
        return replace(disp, held_out=held_out,
                       method=f"{disp.method}; change {held_out[0]}->{held_out[1]} held out")
    if cols:
        disp = estimate(panel, d, [])
        if disp is not None:
            return replace(disp, alpha_var=None, method=f"{disp.method}; compared periods not"
                           " held out (too few periods): conservative, model df")
    return disp


def _held_out_columns(d: pd.DataFrame, held_out: tuple[str, str]
                      ) -> tuple[pd.DataFrame, list[str]]:
    """Add one ``+1 at to / -1 at from`` column per group that has both periods."""
    p0, p1 = held_out
    d = d.copy()
    cols = []
    for i, (_, s) in enumerate(d.groupby("group", sort=True)):
        if {p0, p1} <= set(s["period"]):
            name = f"held_out_{i}"
            d[name] = 0.0
            d.loc[s.index[s["period"] == p1], name] = 1.0
            d.loc[s.index[s["period"] == p0], name] = -1.0
            cols.append(name)
    return d, cols


def _log_trend_dispersion(panel: Panel, d: pd.DataFrame, cols: list[str]) -> Dispersion | None:
    """Estimate alpha by iterated Paule-Mandel on the weighted log-linear trend, with its variance.

    ``Var(alpha) ~ 2 df / (sum (1 - h_i) / v_i)^2`` (delta method on the moment equation;
    ``h`` the weighted leverages, ``v = 1/mu + alpha``).
    """
    model = smf.ols(_group_trend_formula(panel, d, "np.log(y)", cols), d)
    x, ly = model.exog, model.endog
    df = len(ly) - int(np.linalg.matrix_rank(x))
    if df < 1:
        return None
    alpha, w = 0.0, np.ones(len(ly))
    for _ in range(100):
        sw = np.sqrt(w)
        beta = np.linalg.lstsq(x * sw[:, None], ly * sw, rcond=None)[0]
        mu = np.exp(x @ beta)
        new = _paule_mandel_alpha(ly - x @ beta, mu, df)
        w = 1.0 / (1.0 / mu + new)
        if abs(new - alpha) <= 1e-10 + 1e-8 * alpha:
            alpha = new
            break
        alpha = new
    xw = x * np.sqrt(w)[:, None]
    leverage = np.sum((xw @ np.linalg.pinv(xw.T @ xw)) * xw, axis=1)
    alpha_var = 2.0 * df / float(np.sum((1.0 - leverage) * w)) ** 2
    return Dispersion(alpha=alpha, df=df, method="log-trend residuals, Paule-Mandel",
                      alpha_var=alpha_var)


def _count_trend_dispersion(panel: Panel, d: pd.DataFrame, cols: list[str]
                            ) -> Dispersion | None:
    """Estimate alpha from an NB2 GLM trend on the count scale (Cox-Reid adjusted profile)."""
    model = smf.ols(_group_trend_formula(panel, d, "y", cols), d)  # the design only
    x, y = model.exog, model.endog
    df = len(y) - int(np.linalg.matrix_rank(x))
    if df < 1:
        return None
    alpha, alpha_var, mu = _cox_reid_alpha(x, y)
    return Dispersion(alpha=alpha, df=df,
                      method="NB2 GLM trend, Cox-Reid adjusted profile likelihood",
                      pearson_chi2_df=float(np.sum((y - mu) ** 2 / mu) / df),
                      alpha_var=alpha_var)


def _cox_reid_alpha(x: np.ndarray, y: np.ndarray, lower: float = 1e-6,
                    upper: float = 10.0) -> tuple[float, float | None, np.ndarray]:
    """Maximize ``l(beta_alpha, alpha) - 1/2 log det(X' W_alpha X)`` over NB2 alpha.

    The Cox-Reid term removes most of the small-sample downward bias of ML (12 parameters on
    28 cells: ML gave 0.006 for a true 0.02, this 0.020). Returns alpha (0 at the lower bound),
    its variance from the curvature (None at the bound) and the fitted means.
    """
    from scipy.optimize import minimize_scalar
    from scipy.special import gammaln

    last = [np.linalg.lstsq(x, np.log(y + 0.5), rcond=None)[0]]  # warm start across alphas
    ridge = 1e-10 * np.eye(x.shape[1])

    def fitted(a: float) -> np.ndarray:
        beta = last[0]
        for _ in range(100):
            eta = np.clip(x @ beta, -50, 50)
            mu = np.exp(eta)
            xw = x * (mu / (1 + a * mu))[:, None]
            new = np.linalg.solve(xw.T @ x + ridge, xw.T @ (eta + (y - mu) / mu))
            done = np.max(np.abs(new - beta)) < 1e-10
            beta = new
            if done:
                break
        last[0] = beta
        return np.exp(np.clip(x @ beta, -50, 50))

    def adjusted(a: float) -> float:
        mu = fitted(a)
        r = 1 / a
        loglik = np.sum(gammaln(y + r) - gammaln(r) - gammaln(y + 1) + r * np.log(r / (r + mu))
                        + y * np.log(mu / (r + mu)))
        _, logdet = np.linalg.slogdet(x.T @ (x * (mu / (1 + a * mu))[:, None]))
        return float(loglik - 0.5 * logdet)

    res = minimize_scalar(lambda la: -adjusted(float(np.exp(la))),
                          bounds=(np.log(lower), np.log(upper)), method="bounded",
                          options={"xatol": 1e-7})
    a = float(np.exp(res.x))
    if a <= 10 * lower:
        return 0.0, None, fitted(lower)
    h = 1e-3 * a
    curvature = (adjusted(a + h) - 2 * adjusted(a) + adjusted(a - h)) / h ** 2
    return a, (-1.0 / curvature if curvature < 0 else None), fitted(a)


def _paule_mandel_alpha(resid: np.ndarray, mu: np.ndarray, df: int) -> float:
    """Solve ``sum r^2 / (1/mu + alpha) = df`` for alpha >= 0 (Paule-Mandel moment equation).

    ``Var(log y) ~ 1/mu + alpha``: unlike ``s^2 - mean(1/y)`` this weights each residual by
    its own Poisson part, so groups with small counts do not distort alpha.
    """
    def excess(a: float) -> float:
        return float(np.sum(resid ** 2 / (1.0 / mu + a)) - df)

    if excess(0.0) <= 0:
        return 0.0
    hi = 1.0
    while excess(hi) > 0 and hi < 1e6:
        hi *= 10
    return float(brentq(excess, 0.0, hi, xtol=1e-12))


def _group_trend_formula(panel: Panel, d: pd.DataFrame, response: str = "np.log(y)",
                         extra: list[str] | tuple[str, ...] = ()) -> str:
    """Return the panel's trend model: group intercepts and slopes, seasons, extra columns."""
    return (f"{response} ~ 0 + C(group) + C(group):t" + _season_term(panel, d)
            + "".join(f" + {c}" for c in extra))


def _season_term(panel: Panel, d: pd.DataFrame) -> str:
    per = PERIODS_PER_YEAR[panel.freq]
    if per == 1 or d["season"].nunique() < 2:
        return ""
    if d.groupby("group").size().min() < 2 * per:
        return ""
    return " + C(season)"


def _quasi_poisson(s: pd.DataFrame, panel: Panel) -> Any:
    formula = "y ~ t" + _season_term(panel, s)
    return smf.glm(formula, s, family=sm.families.Poisson()).fit(scale="X2", use_t=True)


# --- G1: period growth -------------------------------------------------------------------------

def growth_ci(y0: float, y1: float, alpha: float, df: float | None, level: float = 0.95,
              e0: float = 1.0, e1: float = 1.0,
              critical: float | None = None) -> tuple[float, float, float]:
    """Return growth ``(y1/e1)/(y0/e0) - 1`` and its over-dispersion-aware CI (METHODS §5.1).

    ``se = sqrt(1/y1 + 1/y0 + 2 alpha)`` on the log scale, t reference with ``df`` (normal when
    ``df`` is None) unless a ``critical`` multiplier is given (bootstrap-t).
    Known answer: 1000 -> 1670 with alpha = 0 gives +0.67 [0.54, 0.81].
    """
    lr = np.log((y1 / e1) / (y0 / e0))
    se = np.sqrt(1 / y1 + 1 / y0 + 2 * alpha)
    if critical is not None:
        q = critical
    else:
        q = stats.t.ppf(0.5 + level / 2, df) if df else stats.norm.ppf(0.5 + level / 2)
    return float(np.expm1(lr)), float(np.expm1(lr - q * se)), float(np.expm1(lr + q * se))


def poisson_growth_ci(y0: int, y1: int, level: float = 0.95) -> tuple[float, float]:
    """Return the Poisson-only score CI of ``y1/y0 - 1``.

    Labelled as such wherever shown: too narrow when counts are over-dispersed.
    """
    lo, hi = confint_poisson_2indep(y1, 1.0, y0, 1.0, method="score", compare="ratio",
                                    alpha=1 - level)
    return float(lo - 1), float(hi - 1)


def period_growth(panel: Panel, period_from: str, period_to: str, level: float = 0.95,
                  dispersion: Dispersion | None = None) -> pd.DataFrame:
    """Growth of each group from ``period_from`` to ``period_to`` with CIs and counts.

    Columns: group, y0, y1, abs_change, growth, ci_low, ci_high (over-dispersion-aware; NaN
    when the panel cannot estimate year-to-year noise), poisson_ci_low/high (Poisson-only),
    alpha, df, status.
    """
    w = panel.wide()
    for p in (period_from, period_to):
        if p not in w.index:
            raise GrowthInputError(f"period {p} not in the panel ({', '.join(panel.periods)})")
    disp = (dispersion if dispersion is not None
            else estimate_dispersion(panel, held_out=(period_from, period_to)))
    rows = []
    for g in w.columns:
        y0, y1 = w.at[period_from, g], w.at[period_to, g]
        row: dict[str, Any] = {"group": g, "from": period_from, "to": period_to,
                               "y0": y0, "y1": y1}
        if pd.isna(y0) or pd.isna(y1):
            row["status"] = "missing period"
        elif y0 == 0 or y1 == 0:
            row["status"] = "zero count: growth undefined"
        else:
            row["abs_change"] = y1 - y0
            pl, ph = poisson_growth_ci(int(y0), int(y1), level)
            row.update(poisson_ci_low=pl, poisson_ci_high=ph)
            if disp is None:
                row["growth"] = float(y1 / y0 - 1)
                row["status"] = "no CI: fewer than 3 periods, year-to-year noise unknown"
            else:
                q, df = disp.critical(1, 1 / y0 + 1 / y1, level)
                gr, lo, hi = growth_ci(y0, y1, disp.alpha, df, level, critical=q)
                row.update(growth=gr, ci_low=lo, ci_high=hi, alpha=disp.alpha, df=df,
                           critical=q, status="ok")
        rows.append(row)
    cols = ["group", "from", "to", "y0", "y1", "abs_change", "growth", "ci_low", "ci_high",
            "poisson_ci_low", "poisson_ci_high", "alpha", "df", "critical", "status"]
    return pd.DataFrame(rows).reindex(columns=cols)


def growth_differentials(panel: Panel, period_from: str, period_to: str, base: str,
                         level: float = 0.95,
                         dispersion: Dispersion | None = None) -> pd.DataFrame:
    """Ratio of growth ratios ``RR_g / RR_base`` with CI (METHODS §5.1, G3).

    ``se = sqrt(sum 1/y + 4 alpha)`` over the four counts. Never a difference of percentages.
    """
    w = panel.wide()
    disp = (dispersion if dispersion is not None
            else estimate_dispersion(panel, held_out=(period_from, period_to)))
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
                q, _ = disp.critical(2, float(np.sum(1 / counts)), level)
                row.update(ci_low=float(np.exp(lrr - q * se)), ci_high=float(np.exp(lrr + q * se)),
                           status="ok")
            else:
                row["status"] = "no CI: year-to-year noise unknown"
        rows.append(row)
    return pd.DataFrame(rows).reindex(
        columns=["group", "base", "ratio_of_ratios", "ci_low", "ci_high", "status"])


def fastest_probability(panel: Panel, period_from: str, period_to: str, alpha: float,
                        n_boot: int = 5000, seed: int = 0) -> pd.Series:
    """P(group has the highest growth) under NB2 resampling of both periods' counts.

    METHODS §5.1: do not assert a ranking when this probability is below 0.9.
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

def trend_growth(panel: Panel, level: float = 0.95,
                 large_count: int = LARGE_COUNT) -> pd.DataFrame:
    """Annual trend growth ``exp(beta) - 1`` per group with CI.

    Model choice (METHODS §5.3): pooled OLS on log counts with group x t when every cell has
    at least ``large_count``; otherwise per-group quasi-Poisson (``scale='X2'``, t reference).
    Groups with fewer than three periods, or only zeros, are reported, not fitted.
    Also returns the endpoint CAGR (descriptive only).
    """
    d = panel.data
    sizes = d.groupby("group")["y"].agg(["size", "sum", "min"])
    rows: list[dict[str, Any]] = []
    fit_groups = sizes[(sizes["size"] >= MIN_TREND_PERIODS) & (sizes["sum"] > 0)].index
    for g in sizes.index.difference(fit_groups):
        reason = ("fewer than 3 periods" if sizes.at[g, "size"] < MIN_TREND_PERIODS
                  else "all counts zero")
        rows.append({"group": g, "status": f"not fitted: {reason}",
                     "n_periods": int(sizes.at[g, "size"])})
    fd = d[d["group"].isin(fit_groups)]
    large = len(fd) > 0 and bool((fd["y"] >= large_count).all())
    if large:
        fit = _pooled_log_fit(panel, fd)
        ci = fit.conf_int(alpha=1 - level)
        for g in fit_groups:
            name = f"C(group)[{g}]:t"
            rows.append(_trend_row(g, fit.params[name], ci.loc[name], "wls_log", fd, fit.df_resid))
    else:
        for g in fit_groups:
            s = fd[fd["group"] == g]
            if len(s) - 2 - (_season_term(panel, s) != "") * (PERIODS_PER_YEAR[panel.freq] - 1) < 1:
                rows.append({"group": g, "status": "not fitted: no residual df",
                             "n_periods": len(s)})
                continue
            fit = _quasi_poisson(s, panel)
            ci = fit.conf_int(alpha=1 - level)
            rows.append(_trend_row(g, fit.params["t"], ci.loc["t"], "quasi_poisson", s,
                                   fit.df_resid))
    out = pd.DataFrame(rows)
    cols = ["group", "annual_growth", "ci_low", "ci_high", "model", "n_periods", "total_count",
            "endpoint_cagr", "df", "status"]
    return out.reindex(columns=cols).sort_values("group").reset_index(drop=True)


def _pooled_log_fit(panel: Panel, d: pd.DataFrame) -> Any:
    """Pooled log-linear trend, group x t, weighted by the NB2 variance of log counts.

    ``Var(log y) ~ 1/mu + alpha``: groups with small counts are noisier, so one pooled OLS
    residual variance under-covers them (METHODS §5.3 "regions with differing error
    variance"). Step 1: OLS gives mu and alpha; step 2: WLS with weights ``1/(1/mu + alpha)``,
    scale re-estimated, t reference.
    """
    formula = _group_trend_formula(panel, d)
    ols = smf.ols(formula, d).fit()
    mu = np.exp(ols.fittedvalues)
    alpha = max(0.0, float(ols.scale - np.mean(1.0 / d["y"])))
    weights = 1.0 / (1.0 / mu + alpha)
    return smf.wls(formula, d, weights=weights).fit()


def _trend_row(g: str, beta: float, ci: pd.Series, model: str, d: pd.DataFrame,
               df: float) -> dict[str, Any]:
    s = d[d["group"] == g].sort_values("t")
    span = float(s["t"].iloc[-1] - s["t"].iloc[0])
    first, last = s["y"].iloc[0], s["y"].iloc[-1]
    cagr = float((last / first) ** (1 / span) - 1) if first > 0 and last > 0 and span > 0 \
        else np.nan
    return {"group": g, "annual_growth": float(np.expm1(beta)),
            "ci_low": float(np.expm1(ci.iloc[0])), "ci_high": float(np.expm1(ci.iloc[1])),
            "model": model, "n_periods": len(s), "total_count": int(s["y"].sum()),
            "endpoint_cagr": cagr, "df": float(df), "status": "ok"}


def equal_growth_test(panel: Panel) -> dict[str, Any] | None:
    """Wald test that every group has the same trend (pooled log-OLS); ``None`` if impossible."""
    d = panel.data
    if d["group"].nunique() < 2 or (d["y"] <= 0).any():
        return None
    if d.groupby("group").size().min() < MIN_TREND_PERIODS:
        return None
    fit = smf.ols(_group_trend_formula(panel, d), d).fit()
    names = [n for n in fit.params.index if n.endswith(":t")]
    r = np.zeros((len(names) - 1, len(fit.params)))
    for i in range(len(names) - 1):
        r[i, fit.params.index.get_loc(names[i])] = 1
        r[i, fit.params.index.get_loc(names[-1])] = -1
    w = fit.wald_test(r, scalar=True)
    return {"statistic": float(w.statistic), "p_value": float(w.pvalue),
            "df_num": int(r.shape[0]), "df_denom": float(fit.df_resid)}


# --- G4: forecasts -----------------------------------------------------------------------------

def forecast(panel: Panel, periods_ahead: int = 2, levels: tuple[float, ...] = (0.8, 0.95),
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
        season = _season_term(panel, s)
        fit = smf.ols("np.log(y) ~ t" + season, s).fit()
        last_start = s["period_start"].iloc[-1]
        starts = [last_start + offset * (h + 1) for h in range(periods_ahead)]
        new = pd.DataFrame({
            "t": s["t"].iloc[-1] + step * np.arange(1, periods_ahead + 1),
            "season": [(st.month - 1) // (12 // PERIODS_PER_YEAR[panel.freq]) for st in starts],
        })
        labels = period_labels(pd.Series(starts), panel.freq)["period"].tolist()
        pred = {lv: fit.get_prediction(new).summary_frame(alpha=1 - lv) for lv in levels}
        for h in range(periods_ahead):
            row = {"group": g, "period": labels[h], "h": h + 1,
                   "mean": float(np.exp(pred[levels[0]]["mean"].iloc[h])), "status": "ok"}
            for lv in levels:
                tag = f"{int(round(lv * 100))}"
                row[f"pi{tag}_low"] = float(np.exp(pred[lv]["obs_ci_lower"].iloc[h]))
                row[f"pi{tag}_high"] = float(np.exp(pred[lv]["obs_ci_upper"].iloc[h]))
            rows.append(row)
    return pd.DataFrame(rows)


def fitted_trend(panel: Panel, level: float = 0.95) -> pd.DataFrame:
    """Fitted trend and its confidence band per group (for plotting observed vs trend)."""
    out = []
    for g, s in panel.data.groupby("group"):
        if len(s) < MIN_TREND_PERIODS or (s["y"] <= 0).any():
            continue
        fit = smf.ols("np.log(y) ~ t" + _season_term(panel, s), s).fit()
        sf = fit.get_prediction(s).summary_frame(alpha=1 - level)
        out.append(pd.DataFrame({"group": g, "period": s["period"].to_numpy(),
                                 "fitted": np.exp(sf["mean"]).to_numpy(),
                                 "band_low": np.exp(sf["mean_ci_lower"]).to_numpy(),
                                 "band_high": np.exp(sf["mean_ci_upper"]).to_numpy()}))
    return pd.concat(out, ignore_index=True) if out else pd.DataFrame(
        columns=["group", "period", "fitted", "band_low", "band_high"])


# --- result object -----------------------------------------------------------------------------

@dataclass
class GrowthFit:
    """Everything one growth run produced, and its ``results.json`` section."""

    panel: Panel
    dispersion: Dispersion | None
    period: pd.DataFrame
    trend: pd.DataFrame
    forecast: pd.DataFrame
    differentials: pd.DataFrame
    p_fastest: pd.Series
    equal_growth: dict[str, Any] | None
    level: float

    def to_results(self) -> dict[str, Any]:
        """Return the ``growth`` section of SPEC's results.json (fractions, not percents)."""
        def grp(label: str) -> dict[str, Any]:
            return self.panel.group_keys(label)

        def num(v: Any) -> float | None:
            return None if v is None or pd.isna(v) else float(v)

        period_rows = [
            {"group": grp(r.group), "from": r["from"], "to": r.to, "growth": num(r.growth),
             "ci_low": num(r.ci_low), "ci_high": num(r.ci_high), "y0": num(r.y0),
             "y1": num(r.y1), "poisson_ci_low": num(r.poisson_ci_low),
             "poisson_ci_high": num(r.poisson_ci_high), "status": r.status}
            for _, r in self.period.iterrows()]
        trend_rows = [
            {"group": grp(r.group), "annual_growth": num(r.annual_growth),
             "ci_low": num(r.ci_low), "ci_high": num(r.ci_high),
             "model": None if pd.isna(r.model) else r.model,
             "n_periods": None if pd.isna(r.n_periods) else int(r.n_periods),
             "status": r.status}
            for _, r in self.trend.iterrows()]
        fc_rows = [
            {"group": grp(r.group), "period": r.get("period"), "mean": num(r.get("mean")),
             "pi_low": num(r.get("pi95_low")), "pi_high": num(r.get("pi95_high")),
             "pi80_low": num(r.get("pi80_low")), "pi80_high": num(r.get("pi80_high")),
             "status": r.status}
            for _, r in self.forecast.iterrows()]
        fastest = None
        if len(self.p_fastest):
            top = self.p_fastest.idxmax()
            fastest = {"group": grp(top), "probability": float(self.p_fastest.max()),
                       "asserted": bool(self.p_fastest.max() >= 0.9)}
        return {
            "freq": self.panel.freq,
            "group_by": self.panel.group_by,
            "periods": self.panel.periods,
            "level": self.level,
            "dispersion": None if self.dispersion is None else {
                "alpha": self.dispersion.alpha, "df": self.dispersion.df,
                "method": self.dispersion.method},
            "period_growth": period_rows,
            "trend": trend_rows,
            "forecast": fc_rows,
            "differentials": [
                {"group": grp(r.group), "base": grp(r.base),
                 "ratio_of_ratios": num(r.ratio_of_ratios), "ci_low": num(r.ci_low),
                 "ci_high": num(r.ci_high), "status": r.status}
                for _, r in self.differentials.iterrows()],
            "fastest": fastest,
            "equal_growth_test": self.equal_growth,
            "excluded": self.panel.excluded,
        }


def fit_growth(panel: Panel, period_from: str | None = None, period_to: str | None = None,
               forecast_periods: int = 2, level: float = 0.95, base: str | None = None,
               seed: int = 0, n_boot: int = 5000) -> GrowthFit:
    """Run every growth estimator on a panel (the last two periods by default for G1)."""
    if len(panel.periods) < 2:
        raise GrowthInputError(
            f"a single period ({panel.periods[0]}): growth needs at least two periods")
    period_from = period_from or panel.periods[-2]
    period_to = period_to or panel.periods[-1]
    disp = estimate_dispersion(panel, held_out=(period_from, period_to))
    period = period_growth(panel, period_from, period_to, level, disp)
    groups = panel.groups()
    base = base if base in groups else (groups[0] if groups else None)
    diffs = (growth_differentials(panel, period_from, period_to, base, level, disp)
             if base is not None and len(groups) > 1 else pd.DataFrame(
                 columns=["group", "base", "ratio_of_ratios", "ci_low", "ci_high", "status"]))
    p_fast = (fastest_probability(panel, period_from, period_to,
                                  disp.alpha if disp else 0.0, n_boot, seed)
              if len(groups) > 1 else pd.Series(dtype=float))
    return GrowthFit(panel=panel, dispersion=disp, period=period, trend=trend_growth(
        panel, level), forecast=forecast(panel, forecast_periods), differentials=diffs,
        p_fastest=p_fast, equal_growth=equal_growth_test(panel), level=level)


# --- reading a published growth table ----------------------------------------------------------

def claimed_growth_intervals(claims: pd.DataFrame, base_counts: tuple[int, ...] = (
        100, 1_000, 10_000), alphas: tuple[float, ...] = (0.0, 0.005, 0.02),
        level: float = 0.95) -> pd.DataFrame:
    """Show what a claimed two-period growth is worth at various unstated base counts.

    For each claimed growth ``g`` (a fraction), base count ``y0`` and noise ``alpha``, returns the
    CI of ``y1/y0 - 1`` with ``y1 = y0 (1 + g)`` (METHODS §5.1). A table of growth rates without
    bases cannot be tested; this shows how much the unstated bases matter.
    """
    rows = []
    for _, c in claims.iterrows():
        for y0 in base_counts:
            for a in alphas:
                y1 = y0 * (1 + float(c["growth"]))
                gr, lo, hi = growth_ci(y0, y1, a, None, level)
                rows.append({"region": c["region"], "claimed_growth": float(c["growth"]),
                             "base_count": y0, "alpha": a, "ci_low": lo, "ci_high": hi})
    return pd.DataFrame(rows)


def total_growth_bounds(claims: pd.DataFrame) -> tuple[float, float]:
    """Bounds any total's growth must respect if the regions partition it.

    The total's growth ratio is a base-weighted mean of the regional ratios, so it lies between
    the smallest and largest regional growth, whatever the (unstated) bases.
    """
    g = claims["growth"].astype(float)
    return float(g.min()), float(g.max())


def check_params(params: dict[str, Any]) -> dict[str, Any]:
    """Validate the growth notebook's parameters; return them normalized or raise ValueError."""
    p = dict(params)
    errors = []
    if isinstance(p.get("group_by"), str):
        p["group_by"] = [p["group_by"]]
    if not isinstance(p.get("group_by"), list) or not p["group_by"] or not all(
            isinstance(x, str) for x in p["group_by"]):
        errors.append("group_by must be a non-empty list of column names")
    if p.get("freq") not in FREQS:
        errors.append(f"freq must be one of {FREQS}, got {p.get('freq')!r}")
    for k in ("start", "end"):
        if p.get(k) is not None:
            p[k] = str(p[k])
    if p.get("certifications") is not None and not isinstance(p["certifications"], list):
        errors.append("certifications must be a list of codes or null")
    fp = p.get("forecast_periods")
    if not isinstance(fp, int) or isinstance(fp, bool) or not 0 <= fp <= 24:
        errors.append("forecast_periods must be an integer in 0..24")
    a = p.get("alpha")
    if not isinstance(a, float | int) or isinstance(a, bool) or not 0 < a < 0.5:
        errors.append("alpha must be a number in (0, 0.5), e.g. 0.05 for 95% intervals")
    if not isinstance(p.get("seed"), int) or isinstance(p.get("seed"), bool):
        errors.append("seed must be an integer")
    if errors:
        raise ValueError("invalid parameters: " + "; ".join(errors))
    return p
