"""Clean Indeed Hiring Lab series into the ``demand`` table: one row per published value.

Indeed's two-letter codes become ISO3 (``UK`` and ``GB`` alike); the euro area (``EA``) is an
aggregate of economies and is rejected as one (``aggregate_economy``), as the Innovation
Graph's EU is. ``ai_share`` is published as a percent and stored as a fraction. Dates: a day
(``2024-06-30``) or a month (``Jan-19``, the wage file: its first day). ``vintage``: the last
date of the row's file and series (a sector snapshot ends where its version ended).
Rejected: a value that is ``NA`` or blank (``missing_required``), not a number
(``unparseable_amount``), an unparseable date (``unparseable_date``), an unknown code.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from marketlib.clean.rejections import (
    CleanResult,
    blank,
    finish_clean,
    kept_sources,
    lazy_detail,
    source_rows,
    start_clean,
)
from marketlib.cleanparams import CleanParams
from marketlib.frames import map_distinct
from marketlib.regions import assign_regions, resolve_countries

COLUMNS = (
    "date",
    "country_iso3",
    "region",
    "series",
    "subject",
    "value",
    "n_obs",
    "vintage",
    "source_file",
    "source_row",
)
SERIES = (
    "ai_share",
    "postings_index_sa",
    "postings_index_nsa",
    "sector_postings_index",
    "wage_growth_yoy",
    "wage_growth_yoy_3mo",
)
#: published as a percent (stored as a fraction)
PERCENT_SERIES = frozenset({"ai_share"})
AGGREGATES = frozenset({"EA"})


def _dates(text: pd.Series) -> pd.Series:
    """Parse ``YYYY-MM-DD`` or ``Mon-YY`` dates, each distinct text once."""

    def parse(u: pd.Series) -> pd.Series:
        day = pd.to_datetime(u, format="%Y-%m-%d", errors="coerce")
        month = pd.to_datetime(u, format="%b-%y", errors="coerce")
        return day.fillna(month)

    return map_distinct(text.astype("str").str.strip(), parse)


def clean_demand(
    raw: pd.DataFrame,
    fmt: str = "indeed",
    params: CleanParams | None = None,
    source_file: str | pd.Series = "",
) -> CleanResult:
    """Clean Indeed rows (the ``indeed`` format's columns) into ``demand``."""
    p = params or CleanParams()
    raw, source_file, rej = start_clean(raw, source_file)
    code = raw["jobcountry"].astype("str").str.strip().str.upper()
    series = raw["series"].astype("str")
    text = raw["value"].astype("str").str.strip()
    value = pd.to_numeric(text.mask(text.str.upper().isin(["NA", "NAN"])), errors="coerce")
    date = _dates(raw["date"])
    rej.add(
        code.isin(AGGREGATES),
        "aggregate_economy",
        "the euro area is an aggregate of economies, not a country",
    )
    rej.add(
        blank(text) | text.str.upper().isin(["NA", "NAN"]),
        "missing_required",
        lazy_detail("value ", text, " not published for this date"),
    )
    rej.add(value.isna(), "unparseable_amount", lazy_detail("value ", text, " is not a number"))
    rej.add(
        date.isna(),
        "unparseable_date",
        lazy_detail("date ", raw["date"].astype("str"), " is not YYYY-MM-DD or Mon-YY"),
    )
    iso3 = resolve_countries(code.replace({"UK": "GB"}), keep=rej.ok.to_numpy())
    rej.add(
        iso3.isna(),
        "unknown_country",
        lazy_detail("jobcountry ", code, " is not a known country code"),
    )
    ok = rej.ok
    rows = source_rows(raw, source_file)
    files = kept_sources(source_file, ok)
    v = value[ok].astype(float)
    v = v.where(~series[ok].isin(PERCENT_SERIES), v / 100.0)
    n_obs = pd.to_numeric(
        raw.loc[ok, "n_obs"].astype("str").str.strip().replace("", np.nan), errors="coerce"
    ).astype("Int64")
    table = pd.DataFrame(
        {
            "date": date[ok].astype("datetime64[ns]"),
            "country_iso3": iso3[ok].astype("str"),
            "region": assign_regions(iso3[ok].astype("str"), p.scheme)["region"],
            "series": series[ok],
            "subject": raw.loc[ok, "subject"].astype("str").str.strip(),
            "value": v,
            "n_obs": n_obs,
            "source_file": files,
            "source_row": rows[ok].astype("int64"),
        }
    )
    table.insert(7, "vintage", table.groupby(["source_file", "series"])["date"].transform("max"))
    table = table.reset_index(drop=True)
    extra = _report_extra(table)
    return finish_clean("demand", raw, table, rej, source_file, p, fmt, extra)


def _report_extra(table: pd.DataFrame) -> dict[str, Any]:
    """Rows, countries and date range per series."""
    g = table.groupby("series")
    return {
        "series": {
            s: {
                "rows": int(len(t)),
                "countries": sorted(t["country_iso3"].unique()),
                "first": str(t["date"].min().date()),
                "last": str(t["date"].max().date()),
            }
            for s, t in g
        }
    }
