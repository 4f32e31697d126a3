"""Numpy replica of the G1 (period growth) interval study, for the numbers in docs/validation.md.

Fast enough for R = 4,000: the large-base scenario of tests/test_growth.py (4 regions x 7 annual
points, NB2 noise), G1 = 2022 -> 2023 (the last two points). Variants of the interval
``exp(log(y1/y0) +- q se)``, ``se^2 = 1/y0 + 1/y1 + 2 alpha``:

- ``in_residuals``: alpha from the log-trend residuals including the compared periods,
  t(model df) (the first shipped version; over-covers);
- ``held_out_t_model_df``: compared change held out of the residuals, t(model df);
- ``held_out_satterthwaite``: held out, per-group Satterthwaite df (what marketlib ships);
- ``oracle``: the true alpha and a z reference.

Usage: ``python scripts/g1_interval_replica.py ALPHA REPS SEED``
"""

from __future__ import annotations

import sys

import numpy as np
from scipy import stats
from scipy.optimize import brentq

GROWTH = np.array([0.38, 0.52, 0.67, 0.45])
BASES = np.array([800, 600, 400, 120.0])
YEARS, GROUPS = 7, 4
T = np.arange(YEARS)


def design(held_out: bool) -> np.ndarray:
    """Group intercepts and slopes, plus one ``+1 at 2023 / -1 at 2022`` column per group."""
    cols = []
    for k in range(GROUPS):
        for values in ([1.0] * YEARS, T) + (([0, 0, 0, 0, 0, -1, 1],) if held_out else ()):
            c = np.zeros((GROUPS, YEARS))
            c[k] = values
            cols.append(c.ravel())
    return np.array(cols).T


def paule_mandel(x: np.ndarray, ly: np.ndarray, iterate: bool) -> tuple[float, float, int]:
    """Return alpha, its delta-method variance and the residual df (weighted log-OLS trend)."""
    n, p = x.shape
    df = n - p
    w, alpha = np.ones(n), 0.0
    for _ in range(50 if iterate else 1):
        sw = np.sqrt(w)
        beta = np.linalg.lstsq(x * sw[:, None], ly * sw, rcond=None)[0]
        r, mu = ly - x @ beta, np.exp(x @ beta)

        def excess(a: float, r: np.ndarray = r, mu: np.ndarray = mu) -> float:
            return float(np.sum(r**2 / (1 / mu + a)) - df)

        new = 0.0 if excess(0.0) <= 0 else brentq(excess, 0, 10, xtol=1e-12)
        w = 1 / (1 / mu + new)
        if abs(new - alpha) < 1e-10:
            alpha = new
            break
        alpha = new
    xw = x * np.sqrt(w)[:, None]
    lev = np.sum((xw @ np.linalg.pinv(xw.T @ xw)) * xw, axis=1)
    return alpha, 2 * df / float(np.sum((1 - lev) * w)) ** 2, df


def run(alpha: float, reps: int, seed: int) -> dict[str, np.ndarray]:
    """Return coverage per variant and region."""
    rng = np.random.default_rng(seed)
    xs = {h: design(h) for h in (False, True)}
    mu_true = BASES[:, None] * (1 + GROWTH[:, None]) ** T
    hits = {
        k: np.zeros(GROUPS)
        for k in ("in_residuals", "held_out_t_model_df", "held_out_satterthwaite", "oracle")
    }
    for _ in range(reps):
        y = rng.poisson(rng.gamma(1 / alpha, mu_true * alpha)).astype(float)
        ly = np.log(y).ravel()
        y0, y1 = y[:, 5], y[:, 6]
        err = np.abs(np.log(y1 / y0) - np.log1p(GROWTH))
        known = 1 / y0 + 1 / y1

        def covers(
            a: float, q: np.ndarray | float, known: np.ndarray = known, err: np.ndarray = err
        ) -> np.ndarray:
            return err <= q * np.sqrt(known + 2 * a)

        a, _, df = paule_mandel(xs[False], ly, iterate=False)
        hits["in_residuals"] += covers(a, stats.t.ppf(0.975, df))
        a, var_a, df = paule_mandel(xs[True], ly, iterate=True)
        hits["held_out_t_model_df"] += covers(a, stats.t.ppf(0.975, df))
        nu = np.maximum(2 * (known + 2 * a) ** 2 / (4 * var_a), 1.0)
        hits["held_out_satterthwaite"] += covers(a, stats.t.ppf(0.975, nu))
        hits["oracle"] += covers(alpha, stats.norm.ppf(0.975))
    return {k: v / reps for k, v in hits.items()}


if __name__ == "__main__":
    a, reps, seed = float(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3])
    for name, cov in run(a, reps, seed).items():
        print(f"alpha={a} R={reps} seed={seed} {name:24s} " + " ".join(f"{c:.4f}" for c in cov))
