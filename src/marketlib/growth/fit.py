"""A growth run: every estimator on one panel, and its ``results.json`` section."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pandas as pd

from marketlib.growth.dispersion import Dispersion, estimate_dispersion
from marketlib.growth.estimators import (
    equal_growth_test,
    fastest_probability,
    forecast,
    growth_differentials,
    period_growth,
    trend_growth,
)
from marketlib.growth.panel import GrowthInputError, Panel


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
    ci_level: float

    def to_results(self) -> dict[str, Any]:
        """Return the ``growth`` section of results.json (fractions, not percents)."""

        def grp(label: str) -> dict[str, Any]:
            return self.panel.group_keys(label)

        def num(v: Any) -> float | None:
            return None if v is None or pd.isna(v) else float(v)

        period_rows = [
            {
                "group": grp(r.group),
                "from": r["from"],
                "to": r.to,
                "growth": num(r.growth),
                "ci_low": num(r.ci_low),
                "ci_high": num(r.ci_high),
                "count_from": num(r.count_from),
                "count_to": num(r.count_to),
                "poisson_ci_low": num(r.poisson_ci_low),
                "poisson_ci_high": num(r.poisson_ci_high),
                "status": r.status,
            }
            for _, r in self.period.iterrows()
        ]
        trend_rows = [
            {
                "group": grp(r.group),
                "annual_growth": num(r.annual_growth),
                "ci_low": num(r.ci_low),
                "ci_high": num(r.ci_high),
                "model": None if pd.isna(r.model) else r.model,
                "n_periods": None if pd.isna(r.n_periods) else int(r.n_periods),
                "status": r.status,
            }
            for _, r in self.trend.iterrows()
        ]
        fc_rows = [
            {
                "group": grp(r.group),
                "period": r.get("period"),
                "mean": num(r.get("mean")),
                "pi_low": num(r.get("pi95_low")),
                "pi_high": num(r.get("pi95_high")),
                "pi80_low": num(r.get("pi80_low")),
                "pi80_high": num(r.get("pi80_high")),
                "status": r.status,
            }
            for _, r in self.forecast.iterrows()
        ]
        fastest = None
        if len(self.p_fastest):
            top = self.p_fastest.idxmax()
            fastest = {
                "group": grp(top),
                "probability": float(self.p_fastest.max()),
                "asserted": bool(self.p_fastest.max() >= 0.9),
            }
        return {
            "freq": self.panel.freq,
            "group_by": self.panel.group_by,
            "periods": self.panel.periods,
            "ci_level": self.ci_level,
            "dispersion": None
            if self.dispersion is None
            else {
                "alpha": self.dispersion.alpha,
                "df": self.dispersion.df,
                "method": self.dispersion.method,
            },
            "period_growth": period_rows,
            "trend": trend_rows,
            "forecast": fc_rows,
            "differentials": [
                {
                    "group": grp(r.group),
                    "base": grp(r.base),
                    "ratio_of_ratios": num(r.ratio_of_ratios),
                    "ci_low": num(r.ci_low),
                    "ci_high": num(r.ci_high),
                    "status": r.status,
                }
                for _, r in self.differentials.iterrows()
            ],
            "fastest": fastest,
            "equal_growth_test": self.equal_growth,
            "excluded": self.panel.excluded,
            "window": self.panel.window,
        }


def fit_growth(
    panel: Panel,
    period_from: str | None = None,
    period_to: str | None = None,
    forecast_periods: int = 2,
    ci_level: float = 0.95,
    base: str | None = None,
    seed: int = 0,
    n_boot: int = 5000,
) -> GrowthFit:
    """Run every growth estimator on a panel (the last two periods by default for G1)."""
    if len(panel.periods) < 2:
        raise GrowthInputError(
            f"a single period ({panel.periods[0]}): growth needs at least two periods"
        )
    period_from = period_from or panel.periods[-2]
    period_to = period_to or panel.periods[-1]
    disp = estimate_dispersion(panel, held_out=(period_from, period_to))
    period = period_growth(panel, period_from, period_to, ci_level, disp)
    groups = panel.groups()
    base = base if base in groups else (groups[0] if groups else None)
    diffs = (
        growth_differentials(panel, period_from, period_to, base, ci_level, disp)
        if base is not None and len(groups) > 1
        else pd.DataFrame(
            columns=["group", "base", "ratio_of_ratios", "ci_low", "ci_high", "status"]
        )
    )
    p_fast = (
        fastest_probability(
            panel, period_from, period_to, disp.alpha if disp else 0.0, n_boot, seed
        )
        if len(groups) > 1
        else pd.Series(dtype=float)
    )
    return GrowthFit(
        panel=panel,
        dispersion=disp,
        period=period,
        trend=trend_growth(panel, ci_level),
        forecast=forecast(panel, forecast_periods),
        differentials=diffs,
        p_fastest=p_fast,
        equal_growth=equal_growth_test(panel),
        ci_level=ci_level,
    )
