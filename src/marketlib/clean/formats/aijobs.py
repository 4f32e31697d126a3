"""The aijobs.net salary survey export (``salaries.csv``, CC0): annual salaries by residence."""

from __future__ import annotations

from typing import TYPE_CHECKING

from marketlib.clean.formats import Canonical, Format

if TYPE_CHECKING:
    import pandas as pd

REQUIRED = (
    "work_year",
    "experience_level",
    "employment_type",
    "job_title",
    "salary",
    "salary_currency",
    "salary_in_usd",
    "employee_residence",
    "remote_ratio",
    "company_location",
    "company_size",
)
#: canonical column <- the file's column
COLUMNS = {
    "date": "work_year",
    "amount": "salary",
    "currency": "salary_currency",
    "country": "employee_residence",
    "role": "job_title",
    "experience": "experience_level",
    "employment_type": "employment_type",
    "source_annual_usd": "salary_in_usd",
    "company_location": "company_location",
    "remote_ratio": "remote_ratio",
    "company_size": "company_size",
}


def to_canonical(raw: pd.DataFrame) -> Canonical:
    """Map aijobs columns to canonical pay columns (every amount is a yearly salary)."""
    import pandas as pd

    frame = pd.DataFrame({dst: raw[src] for dst, src in COLUMNS.items()}, index=raw.index)
    frame["unit"] = "year"
    required = ("date", "amount", "currency", "country", "employment_type")
    return Canonical(
        frame=frame,
        required=required,
        labels={k: COLUMNS[k] for k in required},
        consumed=REQUIRED,
        year_only=True,
    )


FORMAT = Format(
    "aijobs",
    "rates",
    REQUIRED,
    description="aijobs.net salary survey export",
    amount_columns=("salary", "salary_in_usd"),
    range_order="high_first",
    to_canonical=to_canonical,
)
