"""Cleaning parameters: a frozen dataclass with no heavy import (the clean path needs no pydantic).

The report's parameter models (:mod:`marketlib.params`) build these; ``marketlib clean`` builds
them from its options.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field
from datetime import date
from typing import Any

#: What a pay period after the last exchange rate gets (CleanParams.fx_after_last).
FX_AFTER_LAST = ("reject", "last_available")

#: Default hours per working year (40 h x 52 weeks), printed on every table.
HOURS_PER_YEAR = 2080


@dataclass(frozen=True)
class CleanParams:
    """Tunables of a cleaning run (all recorded in the clean report)."""

    scheme: str = "article"
    hours_per_year: float = HOURS_PER_YEAR
    min_date: str = "1990-01-01"
    max_date: str | None = None  # default: today (only bounds validity, never an output)
    #: when the data were collected (a snapshot's date): a row's pay period is converted at
    #: the mean rate up to this date, never later (point in time, docs/methods.md#s3-5);
    #: None: a known snapshot's date when the file's sha256 is one, else the period's end
    collected_on: str | None = None
    annual_usd_bounds: tuple[float, float] = (1_000.0, 2_000_000.0)
    fx_tolerance: float = 0.05
    #: a posted range's max/min (measured on aijobs: 2.0-2.5 are ranges too, docs #s3-4)
    range_pair_ratio: tuple[float, float] = (1.05, 2.5)
    outlier_z: float = 3.5
    outlier_min_cell: int = 20
    freq: str | None = None
    known_certifications_only: bool = False
    decimal: str = "."
    #: order of NN/NN/YYYY dates: auto (decided per column from the dates that can only be one
    #: way), dayfirst or monthfirst (--dayfirst / --monthfirst)
    date_order: str = "auto"
    #: a value map's words per column (:mod:`marketlib.clean.maps`), keys normalized
    values: dict[str, dict[str, str]] = field(default_factory=dict)
    #: the column map the file was read with (recorded; applied by the reader)
    columns: dict[str, Any] = field(default_factory=dict)
    extra: dict[str, Any] = field(default_factory=dict)
    #: years-of-experience limits junior|mid|senior|lead (numeric experience cells)
    experience_bands: tuple[float, float, float] = (2.0, 5.0, 10.0)
    #: a pay period after the last exchange rate of its currency: ``reject``
    #: (fx_rate_unavailable) or ``last_available`` (the last rate, row flagged
    #: ``is_fx_last_available``; pages say so)
    fx_after_last: str = "reject"
    #: the analyst's own exchange rates (``--fx-table``): where the table came from (recorded)
    fx_table: str | None = None
    #: its rows: date, currency, usd_per_unit (they take precedence over the ECB's)
    own_fx: Any = field(default=None, compare=False, repr=False)

    def __post_init__(self) -> None:
        if self.fx_after_last not in FX_AFTER_LAST:
            raise ValueError(
                f"fx_after_last must be one of {FX_AFTER_LAST}, got {self.fx_after_last!r}"
            )
        b = tuple(self.experience_bands)
        if (
            len(b) != 3
            or not all(isinstance(x, int | float) and math.isfinite(x) for x in b)
            or not 0 < b[0] < b[1] < b[2] <= 60
        ):
            raise ValueError(
                "experience_bands must be three ascending years in (0, 60], e.g. "
                f"[2, 5, 10]; got {list(b)!r}"
            )

    def to_dict(self) -> dict[str, Any]:
        """Return the parameters as plain JSON-ready values."""
        d = asdict(self)
        d.pop("own_fx", None)
        d["experience_bands"] = list(self.experience_bands)
        d["annual_usd_bounds"] = list(self.annual_usd_bounds)
        d["range_pair_ratio"] = list(self.range_pair_ratio)
        d["max_date"] = self.resolved_max_date().isoformat()
        return d

    def resolved_max_date(self) -> date:
        """Return the latest valid observation date."""
        return date.fromisoformat(self.max_date) if self.max_date else date.today()


def check_hours(value: float) -> float:
    """Return a valid hours-per-year value or raise ``ValueError``.

    The same bounds as the params files (1,000-3,000 working hours): 0, negative, NaN, inf or
    a value that turns an hourly rate into a yearly one are refused.
    """
    if (
        not isinstance(value, int | float)
        or not math.isfinite(value)
        or not (1000 <= value <= 3000)
    ):
        raise ValueError(f"hours per year must be a number in 1000..3000, got {value!r}")
    return float(value)
