"""Labour demand by country from Indeed Hiring Lab's series: exact facts, no sampling interval.

Indeed publishes aggregates of all the postings on its sites, not a sample: a change in them
is a fact of Indeed's series (which postings Indeed carries is its own selection), so no
sampling interval is printed. Per country and pair of calendar years (the activity proxy's
windows):

- **AI share of postings**: the mean of the daily values (7-day averages) over each year, and
  its change in points of share and as a ratio;
- **Software Development postings index**: its change between the two years' means (an index
  is a ratio to its own 2020-02-01 base, so **levels are never compared between countries**);
  a sector snapshot that ends before a year's end gives no figure for it, and a snapshot whose
  last date is before the November 2024 revision of Indeed's seasonal adjustment is marked;
- **posted-wage growth**: the mean year-over-year growth of the months of the later year.

A year counts only when the series has a value in each of its 12 months.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

#: Indeed revised its seasonal adjustment in November 2024: snapshots before it do not match.
REVISION = pd.Timestamp("2024-11-01")
SECTOR = "Software Development"


def _year_means(d: pd.DataFrame) -> pd.DataFrame:
    """Mean value per country and complete calendar year (a value in all 12 months)."""
    d = d.assign(year=d["date"].dt.year, month=d["date"].dt.month)
    g = d.groupby(["country_iso3", "year"])
    out = g["value"].mean().to_frame("mean")
    out["months"] = g["month"].nunique()
    out["vintage"] = g["vintage"].max()
    return out[out["months"] == 12]


def demand_changes(table: pd.DataFrame, pairs: list[tuple[int, int]]) -> pd.DataFrame:
    """Return one row per country and year pair: AI share, Software Development, wages.

    ``table``: the clean ``demand`` table; ``pairs``: (from year, to year).
    """
    ai = _year_means(table[table["series"] == "ai_share"])
    sw = _year_means(
        table[(table["series"] == "sector_postings_index") & (table["subject"] == SECTOR)]
    )
    wages = _year_means(table[table["series"] == "wage_growth_yoy"])
    countries = sorted(set(table["country_iso3"]))
    rows = []
    for a, b in pairs:
        for c in countries:
            row: dict[str, object] = {"country_iso3": c, "from": int(a), "to": int(b)}
            if (c, a) in ai.index and (c, b) in ai.index:
                x, y = ai.at[(c, a), "mean"], ai.at[(c, b), "mean"]
                row.update(
                    ai_share_from=float(x),
                    ai_share_to=float(y),
                    ai_share_change=float(y - x),
                    ai_share_ratio=float(y / x),
                )
            if (c, a) in sw.index and (c, b) in sw.index:
                x, y = sw.at[(c, a), "mean"], sw.at[(c, b), "mean"]
                vintage = sw.at[(c, b), "vintage"]
                row.update(
                    software_postings_change=float(y / x - 1),
                    software_vintage=str(pd.Timestamp(vintage).date()),
                    software_before_revision=bool(vintage < REVISION),
                )
            elif c in set(sw.index.get_level_values(0)):
                last = table.loc[
                    (table["series"] == "sector_postings_index") & (table["country_iso3"] == c),
                    "vintage",
                ].max()
                row.update(
                    software_vintage=str(pd.Timestamp(last).date()),
                    software_note=f"the sector snapshot ends {pd.Timestamp(last).date()}"
                    f": {b if pd.Timestamp(last).year <= b else a} is "
                    "not complete in it",
                )
            if (c, b) in wages.index:
                row["wage_growth_yoy"] = float(wages.at[(c, b), "mean"])
            if len(row) > 3:
                rows.append(row)
    out = pd.DataFrame(rows)
    return out.replace({np.nan: None}) if len(out) else out
