"""Adjusted pay ratios (A2): ``exp(gamma)`` from OLS on log hourly pay with controls, HC3.

With the Kennedy-corrected percentage, a median-regression check, and the gap's trend over years.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from statsmodels.regression.linear_model import OLS
from statsmodels.regression.quantile_regression import QuantReg


def winsorize_log(
    d: pd.DataFrame,
    col: str = "hourly_usd",
    by: tuple[str, ...] = ("year", "group"),
    limits: tuple[float, float] = (0.01, 0.99),
) -> pd.Series:
    """Return log(col) winsorized at p1/p99 within ``by`` cells (docs/methods.md#s3-7, OLS only).

    Cells are year x group, not year alone: with a pooled cut, a low-paid, dispersed group loses
    only its lower tail and its coefficient is biased upward (our validation measured +2% and
    92% coverage with year-only cuts; see tests/test_arbitrage.py).
    """
    lx = np.log(d[col])
    keys = [d[k] for k in by if k in d] or [pd.Series(0, index=d.index)]
    lo = lx.groupby(keys).transform(lambda s: s.quantile(limits[0]))
    hi = lx.groupby(keys).transform(lambda s: s.quantile(limits[1]))
    return lx.clip(lo, hi)


def _controls(d: pd.DataFrame, controls: list[str]) -> list[str]:
    """Keep only controls that vary in the data (a constant control cannot be estimated)."""
    return [c for c in controls if c in d and d[c].nunique(dropna=True) > 1]


@dataclass
class AdjustedFit:
    """The adjusted log-rate regression and its ratios."""

    ratios: pd.DataFrame
    controls: list[str]
    n: int
    model: Any = field(repr=False)
    formula: str = ""
    quantile: pd.DataFrame | None = None


def held_controls(d: pd.DataFrame, groups: list[str], controls: tuple[str, ...]) -> tuple[str, ...]:
    """Return the controls the groups' rows hold at all.

    A column absent or blank in every row (no job titles in a marketplace export) cannot be
    held fixed: it is left out, and its missing values never drop every row.
    """
    rows = d[d["group"].isin(groups)]
    return tuple(c for c in controls if c in rows and rows[c].notna().any())


def adjusted_ratios(
    d: pd.DataFrame,
    base: str,
    groups: list[str],
    controls: tuple[str, ...] = ("experience", "role_family", "year"),
    ci_level: float = 0.95,
    quantile_check: bool = True,
) -> AdjustedFit:
    """Ratio for a comparable specialist: ``exp(gamma)`` from OLS on log hourly pay, HC3.

    Rows: the listed groups (those above the floor). Controls that do not vary are dropped;
    ``employment_type`` is added when several are present. Log pay is winsorized at within-year
    p1/p99. A median regression (QuantReg, q = 0.5) gives the robust check.
    """
    controls = held_controls(d, groups, controls)
    w = d[d["group"].isin(groups)].dropna(subset=[c for c in controls if c in d]).copy()
    ctrl = _controls(
        w, list(controls) + (["employment_type"] if w["employment_type"].nunique() > 1 else [])
    )
    w["log_rate"] = winsorize_log(w)
    terms = [f"C(group, Treatment({base!r}))"] + [f"C({c})" for c in ctrl]
    formula = "log_rate ~ " + " + ".join(terms)
    fit = OLS.from_formula(formula, w).fit(cov_type="HC3")
    ci = fit.conf_int(alpha=1 - ci_level)
    rows = []
    for g in groups:
        if g == base:
            continue
        name = f"C(group, Treatment({base!r}))[T.{g}]"
        if name not in fit.params:
            continue
        b, v = fit.params[name], fit.cov_params().loc[name, name]
        rows.append(
            {
                "group": g,
                "ratio_to_base": float(np.exp(b)),
                "ci_low": float(np.exp(ci.loc[name, 0])),
                "ci_high": float(np.exp(ci.loc[name, 1])),
                "kennedy_pct_difference": float(np.exp(b - 0.5 * v) - 1),
                "n": int((w["group"] == g).sum()),
            }
        )
    ratios = pd.DataFrame(rows)
    qr = None
    if quantile_check and len(ratios):
        qr = _median_regression(w, formula, base, groups, ci_level)
        ratios = ratios.merge(qr, on="group", how="left")
    return AdjustedFit(
        ratios=ratios, controls=ctrl, n=len(w), model=fit, formula=formula, quantile=qr
    )


def _median_regression(
    w: pd.DataFrame, formula: str, base: str, groups: list[str], ci_level: float
) -> pd.DataFrame:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        res = QuantReg.from_formula(formula, w).fit(
            q=0.5, vcov="robust", kernel="epa", bandwidth="hsheather", max_iter=2000
        )
    ci = res.conf_int(alpha=1 - ci_level)
    out = []
    for g in groups:
        name = f"C(group, Treatment({base!r}))[T.{g}]"
        if g != base and name in res.params:
            out.append(
                {
                    "group": g,
                    "qr_ratio": float(np.exp(res.params[name])),
                    "qr_ci_low": float(np.exp(ci.loc[name, 0])),
                    "qr_ci_high": float(np.exp(ci.loc[name, 1])),
                }
            )
    return pd.DataFrame(out)


def gap_trend(
    d: pd.DataFrame,
    base: str,
    groups: list[str],
    controls: tuple[str, ...] = ("experience", "role_family"),
    ci_level: float = 0.95,
) -> pd.DataFrame:
    """Estimate whether the gap narrows: yearly change of each log ratio to base, HC3 CI.

    Model: ``log_rate ~ C(group) + C(group):t + C(year) + controls``; the ``C(group):t``
    coefficient is the yearly change of log(ratio); ``exp(.) - 1`` is reported. Positive =
    group pay rising relative to the base (a narrowing gap when the ratio is below 1).
    """
    w = d[d["group"].isin(groups)].copy()
    if w["year"].nunique() < 2:
        return pd.DataFrame(columns=["group", "yearly_ratio_change", "ci_low", "ci_high", "years"])
    w["t"] = w["year"] - w["year"].min()
    w["log_rate"] = winsorize_log(w)
    ctrl = _controls(w, list(controls))
    g = f"C(group, Treatment({base!r}))"
    slopes = {}
    for i, grp in enumerate(x for x in groups if x != base):
        if w.loc[w["group"] == grp, "year"].nunique() >= 2:
            slopes[grp] = f"slope_{i}"
            w[slopes[grp]] = w["t"] * (w["group"] == grp)
    if not slopes:
        return pd.DataFrame(columns=["group", "yearly_ratio_change", "ci_low", "ci_high", "years"])
    formula = (
        f"log_rate ~ {g} + C(year) + "
        + " + ".join(slopes.values())
        + "".join(f" + C({c})" for c in ctrl)
    )
    fit = OLS.from_formula(formula, w).fit(cov_type="HC3")
    ci = fit.conf_int(alpha=1 - ci_level)
    rows = []
    for grp, name in slopes.items():
        years = w.loc[w["group"] == grp, "year"]
        if years.nunique() < 2:
            continue
        rows.append(
            {
                "group": grp,
                "yearly_ratio_change": float(np.expm1(fit.params[name])),
                "ci_low": float(np.expm1(ci.loc[name, 0])),
                "ci_high": float(np.expm1(ci.loc[name, 1])),
                "years": f"{years.min()}-{years.max()}",
            }
        )
    return pd.DataFrame(rows)
