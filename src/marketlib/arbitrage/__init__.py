"""Geographic pay arbitrage: how much cheaper a comparable specialist is than in a base group.

Methods: docs/methods.md#s3, #s6 and #s7. Modules: ``select`` (scope and rows), ``medians``
(A1 raw ratio of medians), ``adjusted`` (A2 OLS with HC3, gap trend), ``ppp`` (A3), ``team``
(A4 team cost), ``percentiles`` (pay bands), ``skills`` (pay by skill), ``result`` (one run
and its results section).
"""

from __future__ import annotations

from marketlib.arbitrage.adjusted import (
    AdjustedFit,
    adjusted_ratios,
    gap_trend,
    winsorize_log,
)
from marketlib.arbitrage.medians import (
    CAUTION_RSE,
    PUBLISH_RSE,
    bootstrap_medians,
    median_ci_order_statistic,
    raw_ratios,
)
from marketlib.arbitrage.percentiles import PERCENTILES, pay_percentiles
from marketlib.arbitrage.ppp import attach_price_levels, ppp_ratios
from marketlib.arbitrage.result import ArbitrageResult, run_arbitrage, sensitivity
from marketlib.arbitrage.select import (
    GEOGRAPHIES,
    SALARIED,
    Scope,
    SelectionError,
    handle_range_pairs,
    require_base,
    select_rates,
)
from marketlib.arbitrage.skills import skills_breakdown
from marketlib.arbitrage.team import TeamAssumptions, team_cost

__all__ = [
    "CAUTION_RSE",
    "GEOGRAPHIES",
    "PUBLISH_RSE",
    "SALARIED",
    "AdjustedFit",
    "ArbitrageResult",
    "Scope",
    "SelectionError",
    "TeamAssumptions",
    "adjusted_ratios",
    "attach_price_levels",
    "bootstrap_medians",
    "gap_trend",
    "handle_range_pairs",
    "median_ci_order_statistic",
    "ppp_ratios",
    "raw_ratios",
    "require_base",
    "run_arbitrage",
    "select_rates",
    "sensitivity",
    "team_cost",
    "PERCENTILES",
    "pay_percentiles",
    "skills_breakdown",
    "winsorize_log",
]
