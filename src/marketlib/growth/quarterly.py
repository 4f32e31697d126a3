"""Each region's quarterly activity: the constant set of economies beside all published ones.

The period growth compares sums over the economies published in every quarter of the window;
this is the same series quarter by quarter, so a reader sees the seasons, the trend and how
much the constant set leaves out (economies entering and leaving the published table).
"""

from __future__ import annotations

import pandas as pd

from marketlib.growth.regional import regional_series


def quarterly_totals(
    table: pd.DataFrame,
    measure: str,
    subject: str,
    group_by: list[str] | tuple[str, ...] = ("region",),
    china_hong_kong: str = "combine",
    first_year: int | None = None,
    last_year: int | None = None,
) -> pd.DataFrame:
    """Return per group and quarter the count over the constant economies and over all.

    The constant set is the economies published in every quarter from ``first_year`` to
    ``last_year`` (all quarters of the table when not given), as in the period growth.
    Columns: the group, ``period_start``, ``count_constant``, ``economies_constant``,
    ``count_all``, ``economies_all``.
    """
    geo = list(group_by)[0]
    d = regional_series(table, measure, [subject], list(group_by), china_hong_kong).data
    year = d["period_start"].dt.year
    keep = pd.Series(True, index=d.index)
    if first_year is not None:
        keep &= year >= first_year
    if last_year is not None:
        keep &= year <= last_year
    d = d[keep]
    quarters = d["period_start"].nunique()
    seen = d.groupby("country_iso3")["period_start"].nunique()
    constant = d["country_iso3"].isin(seen.index[seen == quarters])
    keys = [geo, "period_start"]
    out = d.groupby(keys).agg(count_all=("count", "sum"), economies_all=("country_iso3", "nunique"))
    const = (
        d[constant]
        .groupby(keys)
        .agg(count_constant=("count", "sum"), economies_constant=("country_iso3", "nunique"))
    )
    out = out.join(const, how="left").reset_index()
    out[["count_constant", "economies_constant"]] = (
        out[["count_constant", "economies_constant"]].fillna(0).astype("int64")
    )
    return out[
        [geo, "period_start", "count_constant", "economies_constant", "count_all", "economies_all"]
    ]
