"""Generated own-data files with known truth for the specialists tests (issue 30).

* :func:`make_marketplace`: a contractor-marketplace export (bill rates in USD per hour,
  skills like "Kubernetes;PyTorch;MLOps" in mixed spellings, numeric years of experience).
  Truth: each country's median rate for a non-specialist is ``BASE_RATE[country]``;
  a row listing both Kubernetes and PyTorch earns :data:`SPECIALIST_PREMIUM` times more;
  log-normal spread :data:`SIGMA`. North America (USA, Canada) shares one median, so does
  Eastern Europe (Poland, Romania, Ukraine): the pooled and the typical-country ratios then
  have one true value, :data:`TRUE_EE_RATIO`.
* :func:`write_hr_workbook`: an HR export as .xlsx with a title row and a blank row above
  the header, a hire-date column spread over ten years and a pay-date column.

    python tests/specialists.py DIR   # writes marketplace.csv and hr.xlsx there
"""

from __future__ import annotations

import datetime as dt
import sys
from pathlib import Path

import numpy as np
import pandas as pd

BASE_RATE = {
    "United States": 120.0,
    "Canada": 120.0,
    "Poland": 54.0,
    "Romania": 54.0,
    "Ukraine": 54.0,
    "Germany": 90.0,
    "France": 90.0,
    "Spain": 90.0,
    "India": 30.0,
    "Sri Lanka": 30.0,
    "Pakistan": 30.0,
}
ROWS = {
    "United States": 500,
    "Canada": 150,
    "Poland": 160,
    "Romania": 120,
    "Ukraine": 120,
    "Germany": 120,
    "France": 90,
    "Spain": 60,
    "India": 160,
    "Sri Lanka": 40,
    "Pakistan": 40,
}
SPECIALIST_PREMIUM = 1.3
SIGMA = 0.3
TRUE_EE_RATIO = 54.0 / 120.0
#: spellings of the same skills, as marketplaces write them
SPELLINGS = {
    "kubernetes": ["Kubernetes", "k8s", "K8S", "kubernetes"],
    "pytorch": ["PyTorch", "pytorch", "Torch"],
    "mlops": ["MLOps", "ML Ops"],
    "docker": ["Docker"],
    "python": ["Python"],
    "tensorflow": ["TensorFlow"],
}
SEPARATORS = [";", ", ", " | ", "/"]


def make_marketplace(seed: int = 11) -> pd.DataFrame:
    """Return the marketplace export (one row per contractor), with ``true_*`` columns off."""
    rng = np.random.default_rng(seed)
    rows = []
    for country, n in ROWS.items():
        for _ in range(n):
            has = {
                s: rng.random() < p
                for s, p in (
                    ("kubernetes", 0.55),
                    ("pytorch", 0.5),
                    ("mlops", 0.3),
                    ("docker", 0.5),
                    ("python", 0.7),
                    ("tensorflow", 0.2),
                )
            }
            words = [str(rng.choice(SPELLINGS[s])) for s, on in has.items() if on]
            specialist = has["kubernetes"] and has["pytorch"]
            rate = (
                BASE_RATE[country]
                * (SPECIALIST_PREMIUM if specialist else 1.0)
                * np.exp(rng.normal(0, SIGMA))
            )
            rows.append(
                {
                    "freelancer": f"F{len(rows) + 1:05d}",
                    "country": country,
                    "hourly_rate_usd": round(rate, 2),
                    "skills": str(rng.choice(SEPARATORS)).join(words),
                    "years_experience": float(rng.choice([0.5, 1, 3, 4.5, 7, 12, 25])),
                    "contract": "contractor",
                    "billed_on": f"2024-{int(rng.integers(1, 13)):02d}-15",
                }
            )
    return pd.DataFrame(rows)


def write_hr_workbook(path: Path, seed: int = 5, rows: int = 240) -> pd.DataFrame:
    """Write the HR workbook; return its data rows as written (for accounting checks)."""
    import openpyxl

    rng = np.random.default_rng(seed)
    countries = {
        "Germany": ("EUR", 70_000),
        "Poland": ("PLN", 200_000),
        "United States": ("USD", 150_000),
        "India": ("INR", 2_400_000),
    }
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "Pay export"
    ws.append(["ACME Corp. HR pay export, confidential"])
    ws.append([])
    header = [
        "Employee ID",
        "Work Country",
        "Base Salary",
        "Currency",
        "Hire Date",
        "Pay Date",
        "Years Experience",
        "Worker Type",
        "Job Title",
    ]
    ws.append(header)
    data = []
    for i in range(rows):
        c = list(countries)[i % len(countries)]
        cur, median = countries[c]
        row = [
            f"E{i + 1:04d}",
            c,
            float(round(median * np.exp(rng.normal(0, 0.25)))),
            cur,
            dt.datetime(2015 + int(rng.integers(0, 11)), int(rng.integers(1, 13)), 1),
            dt.datetime(2024, 6, 30),
            float(rng.choice([1, 3, 6, 11])),
            "Employee",
            "Machine Learning Engineer",
        ]
        ws.append(row)
        data.append(row)
    ws.append([])  # a trailing blank row is not a data row
    wb.create_sheet("Notes").append(["nothing here"])
    wb.save(path)
    return pd.DataFrame(data, columns=header)


if __name__ == "__main__":
    out = Path(sys.argv[1] if len(sys.argv) > 1 else ".")
    out.mkdir(parents=True, exist_ok=True)
    make_marketplace().to_csv(out / "marketplace.csv", index=False)
    write_hr_workbook(out / "hr.xlsx")
    print(f"wrote {out / 'marketplace.csv'} and {out / 'hr.xlsx'}")
