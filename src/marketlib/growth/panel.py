"""Panels: a clean counts table (certifications or activity) to group x period flows.

The window is bounded by dates (a year bound covers the whole year), series that do not cover
the whole window are left out and listed (a new exam entering is not growth), and stocks
(the first value of a cumulative series) never enter.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from marketlib.periods import PERIODS_PER_YEAR, describe_window, mid_year, window_mask

FREQS = ("Y", "Q", "M")
LARGE_COUNT = 50
MIN_TREND_PERIODS = 3


class GrowthInputError(ValueError):
    """The certification table cannot support the requested growth analysis."""


@dataclass
class Panel:
    """Counts by group and period, with what was excluded and why."""

    data: pd.DataFrame  # group, <group cols>, period, period_start, t, season, y
    group_by: list[str]
    freq: str
    periods: list[str]
    excluded: list[dict[str, Any]] = field(default_factory=list)
    window: dict[str, Any] = field(default_factory=dict)  # start, end, used, dropped

    def groups(self) -> list[str]:
        """Return the group labels in a stable order."""
        return sorted(self.data["group"].unique())

    def group_keys(self, label: str) -> dict[str, str | None]:
        """Return the grouping columns' values of a group label."""
        row = self.data.loc[self.data["group"] == label].iloc[0]
        return {c: (None if pd.isna(row[c]) else str(row[c])) for c in self.group_by}

    def wide(self) -> pd.DataFrame:
        """Return counts as a periods x groups table (NaN = missing period)."""
        return self.data.pivot(index="period", columns="group", values="y").reindex(self.periods)


def check_counts_table(
    d: pd.DataFrame, group_by: list[str] | tuple[str, ...], freq: str | None
) -> str:
    """Refuse a table without the columns, with mixed frequencies or bad counts; its freq."""
    need = {"period", "period_start", "freq", "certification", "count"} | set(group_by)
    missing = sorted(need - set(d.columns))
    if missing:
        raise GrowthInputError(f"certification table lacks column(s): {', '.join(missing)}")
    empty = [c for c in group_by if d[c].isna().all()]
    if empty and len(d):
        filled = [
            c
            for c in ("region", "subregion", "country_iso3", "certification")
            if c in d and d[c].notna().any()
        ]
        raise GrowthInputError(
            f"group_by {', '.join(empty)}: no row of the counts has it "
            f"(published world totals have no countries); group by "
            f"{' or '.join(filled) or 'region'}"
        )
    freqs = sorted(d["freq"].dropna().unique())
    if len(freqs) > 1:
        raise GrowthInputError(f"mixed frequencies {freqs}: clean again with one --freq")
    if freq is not None and freqs and freqs[0] != freq:
        raise GrowthInputError(f"table frequency is {freqs[0]}, parameter freq is {freq}")
    counts = pd.to_numeric(d["count"], errors="coerce")
    if counts.isna().any() or (counts < 0).any() or (counts != np.floor(counts)).any():
        raise GrowthInputError("counts must be non-negative integers (clean the table first)")
    return freq or (freqs[0] if freqs else "Y")


def _refuse_mixed_definitions(d: pd.DataFrame, group_by: list[str] | tuple[str, ...]) -> None:
    """Refuse a series mixing counts published as new with differences of cumulative totals."""
    if "count_basis" not in d.columns:
        return
    series_cols = [c for c in dict.fromkeys([*group_by, "certification"]) if c in d]
    bases = d.groupby(series_cols, dropna=False)["count_basis"].agg(
        lambda s: frozenset(s) & {"new", "cumulative_diff"}
    )
    mixed = bases[bases.map(len) > 1]
    if len(mixed):
        names = ", ".join(
            " | ".join(map(str, k)) if isinstance(k, tuple) else str(k) for k in mixed.index[:5]
        )
        raise GrowthInputError(
            f"series mix counts published as new with differences of cumulative totals "
            f"({names}): the definitions differ; narrow start/end to one definition"
        )


def _whole_window_series(
    d: pd.DataFrame,
    group_by: list[str] | tuple[str, ...],
    periods: list[Any],
    excluded: list[dict[str, Any]],
) -> pd.DataFrame:
    """Keep the series covering every period of the window (each dropped one listed)."""
    series_keys = (
        [*group_by, "certification"] if "certification" not in group_by else list(group_by)
    )
    cover = d.groupby(series_keys, dropna=False)["period"].nunique()
    partial = cover[cover < len(periods)]
    for key, n in partial.items():
        excluded.append(
            {
                "series": key if isinstance(key, str) else " | ".join(map(str, key)),
                "periods_covered": int(n),
                "periods_in_window": len(periods),
                "reason": "series does not cover the whole window (composition change)",
            }
        )
    if len(partial):
        d = d[~d.set_index(series_keys).index.isin(partial.index)]
    if d.empty:
        raise GrowthInputError("no series covers the whole window; narrow start/end")
    return d


def prepare_panel(
    certifications: pd.DataFrame,
    group_by: list[str] | tuple[str, ...] = ("region",),
    freq: str | None = None,
    start: str | None = None,
    end: str | None = None,
    certifications_kept: list[str] | None = None,
    balanced: bool = True,
) -> Panel:
    """Aggregate a clean certification table into a group x period panel of flows.

    Parameters
    ----------
    certifications
        A ``certifications.parquet`` table (period, period_start, freq, region, certification,
        count, count_basis, ...).
    group_by
        Grouping columns (e.g. ``["region"]``, ``["region", "certification"]``).
    freq
        Expected frequency; the table must have exactly one.
    start, end
        Period labels bounding the window (inclusive).
    certifications_kept
        Certification codes to keep (``None`` keeps all).
    balanced
        Drop certification series that do not cover every period of the window, so that a
        group total never changes composition (a new exam entering is not growth).

    Raises
    ------
    GrowthInputError
        Empty selection, mixed frequencies, negative or non-integer counts, unknown columns.
    """
    d = certifications.copy()
    freq = check_counts_table(d, group_by, freq)
    excluded: list[dict[str, Any]] = []
    if "count_basis" in d.columns:
        stock = d["count_basis"] == "cumulative_first"
        for _, r in d[stock].iterrows():
            excluded.append(
                {
                    "certification": r["certification"],
                    "period": r["period"],
                    "reason": "first value of a cumulative series is a stock, not a flow",
                }
            )
        d = d[~stock]
    if certifications_kept:
        d = d[d["certification"].isin(certifications_kept)]
    try:
        inside = window_mask(d["period_start"], d["freq"], start, end)
    except ValueError as exc:
        raise GrowthInputError(str(exc)) from exc
    window = describe_window(d["period"].astype("str"), inside)
    d = d[inside]
    if d.empty:
        raise GrowthInputError(
            f"no counts left after filtering (certifications, start {start}, end {end}); "
            f"periods in the table: {', '.join(window['dropped']) or 'none'}"
        )
    periods = sorted(d["period"].unique())
    _refuse_mixed_definitions(d, group_by)
    if balanced:
        d = _whole_window_series(d, group_by, periods, excluded)
    g = (
        d.groupby([*group_by, "period"], dropna=False)
        .agg(y=("count", "sum"), period_start=("period_start", "first"))
        .reset_index()
    )
    labels = g[list(group_by)].astype(object)
    g["group"] = labels.where(labels.notna(), "not stated").astype("str").agg(" | ".join, axis=1)
    g["period_start"] = pd.to_datetime(g["period_start"])
    g["t"] = mid_year(g["period_start"], freq)
    g["t"] = g["t"] - g["t"].min()
    g["season"] = (g["period_start"].dt.month - 1) // (12 // PERIODS_PER_YEAR[freq])
    g["y"] = g["y"].astype("int64")
    return Panel(
        data=g.sort_values(["group", "period"]).reset_index(drop=True),
        group_by=list(group_by),
        freq=freq,
        periods=periods,
        excluded=excluded,
        window={
            "start": None if start is None else str(start),
            "end": None if end is None else str(end),
            **window,
        },
    )


def group_trend_formula(
    panel: Panel,
    d: pd.DataFrame,
    response: str = "np.log(y)",
    extra: list[str] | tuple[str, ...] = (),
) -> str:
    """Return the panel's trend model: group intercepts and slopes, seasons, extra columns."""
    return (
        f"{response} ~ 0 + C(group) + C(group):t"
        + season_term(panel, d)
        + "".join(f" + {c}" for c in extra)
    )


def season_term(panel: Panel, d: pd.DataFrame) -> str:
    """Return the seasonal-dummy term when every group has two full cycles, else nothing."""
    per = PERIODS_PER_YEAR[panel.freq]
    if per == 1 or d["season"].nunique() < 2:
        return ""
    if d.groupby("group").size().min() < 2 * per:
        return ""
    return " + C(season)"
