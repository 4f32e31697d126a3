"""A generated HR pay export with its own headers and words (no real personal data).

Used by the "your own data" tests and the walk-through in docs/own-data.md:

    python tests/hr_export.py /tmp/hr_export.csv

The export uses an HR system's headers ("Work Country", "Base Salary", "Pay Currency",
"Pay Frequency", "Effective Date", "Seniority", "Worker Type", "Job Title") and words
("Mid-level", "Staff", "Regular Employee", "Fixed-term Contract") that no marketlib
vocabulary holds as written.
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pandas as pd

#: country -> (currency, yearly median in that currency, rows)
COUNTRIES = {
    "Germany": ("EUR", 78_000, 90),
    "France": ("EUR", 66_000, 70),
    "Netherlands": ("EUR", 72_000, 50),
    "Belgium": ("EUR", 68_000, 30),
    "Austria": ("EUR", 64_000, 20),
    "Poland": ("PLN", 190_000, 70),
    "Romania": ("RON", 150_000, 40),
    "Czechia": ("CZK", 1_100_000, 40),
    "Hungary": ("HUF", 16_000_000, 30),
    "Spain": ("EUR", 48_000, 60),
    "Italy": ("EUR", 45_000, 40),
    "Portugal": ("EUR", 38_000, 30),
}
SENIORITY = {"Junior": 0.7, "Mid-level": 1.0, "Senior": 1.3, "Staff": 1.6}
TITLES = ["ML Engineer", "Machine Learning Engineer", "Data Scientist", "Platform Engineer"]


def make_hr_export(n_scale: float = 1.0, seed: int = 7) -> pd.DataFrame:
    """Return the export: one row per employee, lognormal pay around each country's median."""
    rng = np.random.default_rng(seed)
    rows = []
    i = 0
    for country, (currency, median, n) in COUNTRIES.items():
        for _ in range(max(1, round(n * n_scale))):
            i += 1
            level = rng.choice(list(SENIORITY), p=[0.2, 0.35, 0.3, 0.15])
            worker = rng.choice(["Regular Employee", "Fixed-term Contract"], p=[0.92, 0.08])
            monthly = rng.random() < 0.2
            annual = median * SENIORITY[level] * rng.lognormal(0, 0.25)
            amount = annual / 12 if monthly else annual
            rows.append(
                {
                    "Employee ID": f"E{i:05d}",
                    "Work Country": country,
                    "Base Salary": f"{amount:,.0f}",
                    "Pay Currency": currency,
                    "Pay Frequency": "Monthly" if monthly else "Annual",
                    "Effective Date": rng.choice(["2023-04-01", "2024-01-15", "2024-07-01"]),
                    "Seniority": level,
                    "Worker Type": worker,
                    "Job Title": rng.choice(TITLES),
                    "Cost Center": f"CC{rng.integers(10, 99)}",
                }
            )
    return pd.DataFrame(rows)


if __name__ == "__main__":
    out = Path(sys.argv[1] if len(sys.argv) > 1 else "hr_export.csv")
    make_hr_export().to_csv(out, index=False)
    print(f"wrote {out}")
