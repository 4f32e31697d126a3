"""Small activity and certification-count tables for the growth checks made before any
notebook runs (used by test_growth.py and test_report.py)."""

from __future__ import annotations

import pandas as pd


def activity_table() -> pd.DataFrame:
    """Eight quarters of Kubernetes pushers and developers in Germany and India."""
    rows = []
    for q in range(8):
        start = pd.Timestamp(2022, 1, 1) + pd.DateOffset(months=3 * q)
        for iso, region in (("DEU", "Europe"), ("IND", "Asia")):
            rows.append(
                {
                    "period_start": start,
                    "country_iso3": iso,
                    "region": region,
                    "measure": "topic_pushers",
                    "subject": "kubernetes",
                    "count": 500,
                }
            )
            rows.append(
                {
                    "period_start": start,
                    "country_iso3": iso,
                    "region": region,
                    "measure": "developers",
                    "subject": None,
                    "count": 9000,
                }
            )
    return pd.DataFrame(rows)


def world_counts() -> pd.DataFrame:
    """Three years of world-wide CKA and CKAD counts: no row names a country."""
    return pd.DataFrame(
        {
            "period": ["2021", "2022", "2023"] * 2,
            "period_start": pd.to_datetime(["2021-01-01", "2022-01-01", "2023-01-01"] * 2),
            "freq": "Y",
            "region": "World",
            "country_iso3": None,
            "certification": ["CKA"] * 3 + ["CKAD"] * 3,
            "count": [100, 150, 210, 50, 70, 90],
        }
    )
