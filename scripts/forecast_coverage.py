"""Coverage of the growth forecast prediction intervals (G4), for docs/validation.md.

Same NB2 panels as the growth study in tests/test_growth.py: 4 regions, annual counts
2017-2025 with known growth; forecasts are fitted on 2017-2023 and checked against the
simulated 2024 (h = 1) and 2025 (h = 2) counts.

Usage: ``python scripts/forecast_coverage.py LARGE|SMALL ALPHA REPS SEED``
"""

from __future__ import annotations

import sys

import numpy as np

from marketlib import growth as g
from marketlib.simulate import certification_counts

GROWTH = {"North America": 0.38, "Europe": 0.52, "Asia-Pacific": 0.67, "Latin America": 0.45}
BASES = {
    "LARGE": {"North America": 800, "Europe": 600, "Asia-Pacific": 400, "Latin America": 120},
    "SMALL": {"North America": 40, "Europe": 30, "Asia-Pacific": 12, "Latin America": 6},
}


def main(name: str, alpha: float, reps: int, seed: int) -> None:
    """Print the share of 80% and 95% PIs that hold the realized count, per region and h."""
    bases = BASES[name]
    hits = {(r, h, lv): 0 for r in bases for h in (1, 2) for lv in (80, 95)}
    n = dict.fromkeys(bases, 0)
    for child in np.random.SeedSequence(seed).spawn(reps):
        full = certification_counts(bases, GROWTH, 9, alpha, np.random.default_rng(child))
        fc = g.forecast(g.prepare_panel(full[full["period"] <= "2023"]), 2)
        fc = fc.set_index(["group", "period"])
        for r in bases:
            if (r, "2024") not in fc.index:
                continue
            n[r] += 1
            for h, period in ((1, "2024"), (2, "2025")):
                y = full.loc[(full["region"] == r) & (full["period"] == period), "count"].iloc[0]
                for lv in (80, 95):
                    lo, hi = fc.loc[(r, period), f"pi{lv}_low"], fc.loc[(r, period), f"pi{lv}_high"]
                    hits[(r, h, lv)] += bool(lo <= y <= hi)
    print(name, alpha, reps, seed, "forecasts per region:", n)
    for r in bases:
        print(
            f"  {r:14s}",
            " ".join(
                f"h{h}/{lv}%: {hits[(r, h, lv)] / max(n[r], 1):.3f}"
                for h in (1, 2)
                for lv in (80, 95)
            ),
        )


if __name__ == "__main__":
    main(sys.argv[1], float(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4]))
