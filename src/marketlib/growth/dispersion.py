"""Over-dispersion: the NB2 extra-variance ``alpha`` of a panel, and what it rests on.

Large counts: Paule-Mandel on the weighted log-linear trend. Small counts: the Cox-Reid adjusted
profile likelihood of an NB2 trend on the count scale. The compared change can be held out of
the residuals so that ``alpha`` is independent of the change it judges (docs/methods.md#s5-1).
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np
import pandas as pd
from scipy import stats
from scipy.optimize import brentq
from statsmodels.regression.linear_model import OLS

from marketlib.growth.panel import LARGE_COUNT, MIN_TREND_PERIODS, Panel, group_trend_formula


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

    def critical(self, n_groups: int, known_var: float, ci_level: float) -> tuple[float, float]:
        """Return the interval's t multiplier and its df.

        ``n_groups``: 1 for a period growth (variance ``known + 2 alpha``), 2 for a
        differential (``known + 4 alpha``).
        """
        df = self.effective_df(known_var, 2 * n_groups)
        return float(stats.t.ppf(0.5 + ci_level / 2, df)), df

    def effective_df(self, known_var: float, k: float) -> float:
        """Satterthwaite df of ``se^2 = known_var + k alpha`` (``known_var`` is Poisson, exact).

        ``nu = 2 (known + k alpha)^2 / (k^2 Var(alpha))``: a large known part makes the
        interval rest less on the estimated alpha. Falls back to the model df without
        ``alpha_var``; never below 1.
        """
        if self.alpha_var is None or self.alpha_var <= 0:
            return float(self.df)
        nu = 2 * (known_var + k * self.alpha) ** 2 / (k**2 * self.alpha_var)
        return float(max(nu, 1.0))


def estimate_dispersion(panel: Panel, held_out: tuple[str, str] | None = None) -> Dispersion | None:
    """Estimate NB2 ``alpha`` from the trend residuals of the whole panel (docs/methods.md#s5-1).

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
    if disp is not None and cols and held_out is not None:  # cols come from held_out
        return replace(
            disp,
            held_out=held_out,
            method=f"{disp.method}; change {held_out[0]}->{held_out[1]} held out",
        )
    if cols:
        disp = estimate(panel, d, [])
        if disp is not None:
            return replace(
                disp,
                alpha_var=None,
                method=f"{disp.method}; compared periods not"
                " held out (too few periods): conservative, model df",
            )
    return disp


def _held_out_columns(d: pd.DataFrame, held_out: tuple[str, str]) -> tuple[pd.DataFrame, list[str]]:
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
    model = OLS.from_formula(group_trend_formula(panel, d, "np.log(y)", cols), d)
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
    return Dispersion(
        alpha=alpha, df=df, method="log-trend residuals, Paule-Mandel", alpha_var=alpha_var
    )


def _count_trend_dispersion(panel: Panel, d: pd.DataFrame, cols: list[str]) -> Dispersion | None:
    """Estimate alpha from an NB2 GLM trend on the count scale (Cox-Reid adjusted profile)."""
    model = OLS.from_formula(group_trend_formula(panel, d, "y", cols), d)  # the design only
    x, y = model.exog, model.endog
    df = len(y) - int(np.linalg.matrix_rank(x))
    if df < 1:
        return None
    alpha, alpha_var, mu = _cox_reid_alpha(x, y)
    return Dispersion(
        alpha=alpha,
        df=df,
        method="NB2 GLM trend, Cox-Reid adjusted profile likelihood",
        pearson_chi2_df=float(np.sum((y - mu) ** 2 / mu) / df),
        alpha_var=alpha_var,
    )


def _cox_reid_alpha(
    x: np.ndarray, y: np.ndarray, lower: float = 1e-6, upper: float = 10.0
) -> tuple[float, float | None, np.ndarray]:
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
        loglik = np.sum(
            gammaln(y + r)
            - gammaln(r)
            - gammaln(y + 1)
            + r * np.log(r / (r + mu))
            + y * np.log(mu / (r + mu))
        )
        _, logdet = np.linalg.slogdet(x.T @ (x * (mu / (1 + a * mu))[:, None]))
        return float(loglik - 0.5 * logdet)

    res = minimize_scalar(
        lambda la: -adjusted(float(np.exp(la))),
        bounds=(np.log(lower), np.log(upper)),
        method="bounded",
        options={"xatol": 1e-7},
    )
    a = float(np.exp(res.x))
    if a <= 10 * lower:
        return 0.0, None, fitted(lower)
    h = 1e-3 * a
    curvature = (adjusted(a + h) - 2 * adjusted(a) + adjusted(a - h)) / h**2
    return a, (-1.0 / curvature if curvature < 0 else None), fitted(a)


def _paule_mandel_alpha(resid: np.ndarray, mu: np.ndarray, df: int) -> float:
    """Solve ``sum r^2 / (1/mu + alpha) = df`` for alpha >= 0 (Paule-Mandel moment equation).

    ``Var(log y) ~ 1/mu + alpha``: unlike ``s^2 - mean(1/y)`` this weights each residual by
    its own Poisson part, so groups with small counts do not distort alpha.
    """

    def excess(a: float) -> float:
        return float(np.sum(resid**2 / (1.0 / mu + a)) - df)

    if excess(0.0) <= 0:
        return 0.0
    hi = 1.0
    while excess(hi) > 0 and hi < 1e6:
        hi *= 10
    return float(brentq(excess, 0.0, hi, xtol=1e-12))


@dataclass(frozen=True)
class YearShocks:
    """Year-level extra variance of an economy's annual log count, and what it rests on.

    An economy's year can sit above or below its own trend for reasons that last the year
    (a release, a migration, a policy): ``variance`` (``s^2`` on the log scale) is that
    shock's variance, which the quarterly ``alpha`` of an economy's own trend cannot see (a
    two-year window's trend absorbs the very change it compares).

    ``q``, ``p_value``: Cochran's homogeneity statistic ``Q = sum z^2 / p`` of the contrasts
    against their Poisson and quarterly variance (chi-square with ``n`` df when there are no
    shocks) and its p-value. When ``p_value >= PRELIMINARY_LEVEL`` the shock variance is pooled
    into the residual (``variance = 0``, ``variance_var = None``: no shock term in the interval,
    which then keeps the df of ``alpha``); ``pooled`` says so.
    """

    variance: float
    variance_var: float | None
    n: int  # residual contrasts used
    method: str = (
        "residual contrasts of annual log sums (economies' own trends, the compared "
        "change held out), Paule-Mandel"
    )
    q: float | None = None
    p_value: float | None = None
    pooled: bool = False


#: Annual sums below this are left out of the year-shock estimate (log approximation).
MIN_ANNUAL_COUNT = 20
#: Level of the preliminary test for year shocks ("sometimes pool": Bancroft 1944, Paull 1950,
#: Bozivich, Bancroft & Hartley 1956 recommend 0.25 rather than 0.05; docs/methods.md#s5-5).
PRELIMINARY_LEVEL = 0.25


def year_shock_variance(
    annual: np.ndarray,
    squares: np.ndarray,
    alpha: float = 0.0,
    min_count: float = MIN_ANNUAL_COUNT,
    held_out: tuple[int, int] | None = None,
    level: float = PRELIMINARY_LEVEL,
) -> YearShocks | None:
    """Estimate the year-shock variance from economies' annual sums (docs/methods.md#s5-5).

    ``annual``: economies x consecutive complete years (NaN: not published); ``squares``: the
    same cells' sums of squared quarterly counts. Each economy's annual log sums are taken off
    its own level and trend (and, with ``held_out = (i, j)`` column indices, off the compared
    change ``+1 at j, -1 at i``): the orthonormal residual contrasts ``z = C' l`` have variance
    ``c' diag(v) c + s^2``, ``v = 1/Y + alpha SS/Y^2`` (Poisson and the quarterly
    over-dispersion), so ``s^2`` solves the Paule-Mandel equation ``sum z^2 / (p + s^2) = n``
    and ``Var(s^2) = 2 n / (sum w)^2`` (orthonormal contrasts do not overlap). Holding the
    compared change out makes ``s^2`` independent of the growth it judges, as a t reference
    assumes: with it in, a large change raised ``s^2`` and the interval covered 97.3%
    (docs/validation.md). A curving trend counts as shocks: the estimate errs wide. None with
    fewer than three contrasts.

    Preliminary test ("sometimes pool", Bancroft 1944; Paull 1950): the shock variance is kept
    only when Cochran's ``Q = sum z^2 / p`` exceeds the ``1 - level`` quantile of chi-square
    with ``n`` df (``level`` 0.25, as Bozivich, Bancroft & Hartley 1956 recommend for pooling
    a mean square); otherwise it is pooled into the residual: ``variance`` 0 and no
    ``variance_var``, so it neither widens the interval nor takes df from it. With few
    contrasts (four complete years: one per economy) ``s^2`` is mostly noise when there are no
    shocks, and its Satterthwaite df (about 3) made 95% intervals cover 99-100%; always pooled
    (no shock term) they covered 72-79% with shocks (docs/validation.md).
    """
    y = np.asarray(annual, dtype=float)
    ss = np.asarray(squares, dtype=float)
    if y.ndim != 2 or y.shape[1] < 3:
        return None
    t = np.arange(y.shape[1], dtype=float)
    change = np.zeros_like(t)
    if held_out is not None:
        change[held_out[0]], change[held_out[1]] = -1.0, 1.0
    z: list[np.ndarray] = []
    p: list[np.ndarray] = []
    with np.errstate(divide="ignore", invalid="ignore"):
        for yc, sc in zip(y, ss, strict=True):
            ok = np.isfinite(yc) & (yc >= min_count)
            both = np.count_nonzero(change[ok]) == 2  # the change of an economy compared
            cols = [np.ones(ok.sum()), t[ok]] + ([change[ok]] if both else [])
            x = np.column_stack(cols)
            rank = int(np.linalg.matrix_rank(x))
            if ok.sum() - rank < 1:
                continue
            basis = np.linalg.qr(np.column_stack([x, np.eye(ok.sum())]))[0][:, rank : ok.sum()]
            z.append(basis.T @ np.log(yc[ok]))
            p.append((basis**2).T @ (1.0 / yc[ok] + alpha * sc[ok] / yc[ok] ** 2))
    if sum(len(a) for a in z) < 3:
        return None
    zz, pp = np.concatenate(z), np.concatenate(p)
    n = len(zz)
    q = float(np.sum(zz**2 / pp))
    p_value = float(stats.chi2.sf(q, n))
    if p_value >= level:
        return YearShocks(
            variance=0.0,
            variance_var=None,
            n=n,
            q=q,
            p_value=p_value,
            pooled=True,
            method=f"{YearShocks.method}; Q test p = {p_value:.2f}"
            f" >= {level}: pooled, no shock term",
        )

    def excess(s2: float) -> float:
        return float(np.sum(zz**2 / (pp + s2)) - n)

    if excess(0.0) <= 0:
        s2 = 0.0
    else:
        hi = 1.0
        while excess(hi) > 0 and hi < 1e6:
            hi *= 10
        s2 = float(brentq(excess, 0.0, hi, xtol=1e-12))
    return YearShocks(
        variance=s2,
        variance_var=2.0 * n / float(np.sum(1.0 / (pp + s2))) ** 2,
        n=n,
        q=q,
        p_value=p_value,
    )


def year_shocks(
    subject_wide: pd.DataFrame, alpha: float, held_out: tuple[int, int] | None = None
) -> YearShocks | None:
    """Return the year-shock variance of one subject's economies (all complete years).

    ``subject_wide``: economy rows x quarter columns; a year enters when the table holds its
    four quarters, an economy's year when it is published in all four. ``held_out``: the
    compared calendar years (from, to), whose change is held out when both are complete.
    """
    cols = pd.DatetimeIndex(subject_wide.columns)
    years = sorted(y for y in set(cols.year) if (cols.year == y).sum() == 4)
    if len(years) < 3 or years != list(range(years[0], years[-1] + 1)):
        return None
    v = subject_wide.to_numpy(dtype=float)
    annual = np.column_stack(
        [
            np.where(
                np.isnan(v[:, cols.year == y]).any(axis=1), np.nan, v[:, cols.year == y].sum(axis=1)
            )
            for y in years
        ]
    )
    squares = np.column_stack([np.square(v[:, cols.year == y]).sum(axis=1) for y in years])
    pair = (
        None
        if held_out is None or not set(held_out) <= set(years)
        else (years.index(held_out[0]), years.index(held_out[1]))
    )
    return year_shock_variance(annual, squares, alpha, held_out=pair)


def combined_df(
    known: float, alpha_k: float, disp: Dispersion, shock_k: float, shocks: YearShocks | None
) -> float:
    """Satterthwaite df of ``known + k alpha + k_y s^2`` with both parts estimated."""
    if shocks is None or shocks.variance_var is None:
        return disp.effective_df(known, alpha_k)
    if disp.alpha_var is None or disp.alpha_var <= 0:
        return float(disp.df)
    total = known + alpha_k * disp.alpha + shock_k * shocks.variance
    denom = alpha_k**2 * disp.alpha_var + shock_k**2 * shocks.variance_var
    return float(max(2 * total**2 / denom, 1.0)) if denom > 0 else float(disp.df)
