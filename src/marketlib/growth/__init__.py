"""Growth of counts: certification flows or developer activity, by group and period.

Modules: ``panel`` (counts table -> group x period panel), ``dispersion`` (NB2 alpha),
``estimators`` (G1 period growth, G2 trend, G3 differentials, G4 forecasts), ``fit`` (one run
and its results section), ``regional`` (constant-composition regional growth of activity).
Methods: docs/methods.md#s5; counts are flows, and stocks never enter a sum.
"""

from __future__ import annotations

from marketlib.growth.dispersion import Dispersion, estimate_dispersion
from marketlib.growth.estimators import (
    equal_growth_test,
    fastest_probability,
    fitted_trend,
    forecast,
    growth_ci,
    growth_differentials,
    period_growth,
    poisson_growth_ci,
    trend_growth,
)
from marketlib.growth.fit import GrowthFit, fit_growth
from marketlib.growth.panel import (
    FREQS,
    LARGE_COUNT,
    MIN_TREND_PERIODS,
    GrowthInputError,
    Panel,
    prepare_panel,
)
from marketlib.growth.regional import (
    RegionalGrowth,
    check_measure,
    complete_years,
    quarters_through,
    regional_growth,
)

__all__ = [
    "FREQS",
    "LARGE_COUNT",
    "MIN_TREND_PERIODS",
    "Dispersion",
    "GrowthFit",
    "GrowthInputError",
    "Panel",
    "RegionalGrowth",
    "equal_growth_test",
    "estimate_dispersion",
    "fastest_probability",
    "fit_growth",
    "fitted_trend",
    "forecast",
    "growth_ci",
    "growth_differentials",
    "period_growth",
    "poisson_growth_ci",
    "prepare_panel",
    "regional_growth",
    "trend_growth",
    "check_measure",
    "complete_years",
    "quarters_through",
]
