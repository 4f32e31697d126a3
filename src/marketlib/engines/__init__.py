"""Engines beyond one pandas process: the cleaning and the arbitrage estimators on Dask.

The pandas path stays the default and the reference; every Dask function here returns what its
pandas counterpart returns on the same rows. Modules: ``cluster`` (connect, progress),
``exact`` (exact distributed order statistics), ``dask_clean`` (``clean rates --engine dask``),
``dask_arbitrage`` (group medians and CIs, raw ratios, adjusted ratios with HC3).
"""

from __future__ import annotations

ENGINES = ("pandas", "dask")

__all__ = ["ENGINES"]
