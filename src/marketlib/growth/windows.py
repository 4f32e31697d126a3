"""The windows a regional growth compares: calendar years and the latest quarters."""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd


def quarter_label(q: pd.Timestamp) -> str:
    """Return a quarter start's label (``2024Q3``)."""
    return f"{q.year}Q{(q.month - 1) // 3 + 1}"


def quarters_between(first: pd.Timestamp, last: pd.Timestamp) -> list[pd.Timestamp]:
    """Return the quarter starts from ``first`` to ``last`` inclusive."""
    return list(pd.date_range(first, last, freq="QS"))


@dataclass
class Comparison:
    """One comparison window: ``from`` and ``to`` spans of four quarters (or two Q4 stocks)."""

    label_from: str
    label_to: str
    quarters_from: list[pd.Timestamp]
    quarters_to: list[pd.Timestamp]


def year_comparisons(years: list[int]) -> list[Comparison]:
    """Return consecutive calendar-year comparisons (2022 -> 2023, 2023 -> 2024, ...)."""
    out = []
    for y0, y1 in zip(years[:-1], years[1:], strict=True):
        out.append(
            Comparison(
                str(y0),
                str(y1),
                quarters_between(pd.Timestamp(f"{y0}-01-01"), pd.Timestamp(f"{y0}-10-01")),
                quarters_between(pd.Timestamp(f"{y1}-01-01"), pd.Timestamp(f"{y1}-10-01")),
            )
        )
    return out


def latest_quarters_comparison(last: pd.Timestamp, n: int = 4) -> Comparison:
    """Return the latest ``n`` quarters against the ``n`` before them."""
    to = quarters_between(last - pd.DateOffset(months=3 * (n - 1)), last)
    fr = quarters_between(to[0] - pd.DateOffset(months=3 * n), to[0] - pd.DateOffset(months=3))

    return Comparison(
        f"{quarter_label(fr[0])}-{quarter_label(fr[-1])}",
        f"{quarter_label(to[0])}-{quarter_label(to[-1])}",
        fr,
        to,
    )
