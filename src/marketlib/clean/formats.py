"""Input formats: which columns each raw format needs (one table, used by every reader)."""

from __future__ import annotations

from dataclasses import dataclass

AIJOBS_REQUIRED = (
    "work_year", "experience_level", "employment_type", "job_title", "salary",
    "salary_currency", "salary_in_usd", "employee_residence", "remote_ratio",
    "company_location", "company_size",
)
GENERIC_REQUIRED = ("country", "amount", "currency", "unit", "date")
RECORDS_REQUIRED = ("date", "certification", "location")
COUNTS_REQUIRED = ("period", "certification", "count")
INNOVATIONGRAPH_REQUIRED = ("iso2_code", "year", "quarter")
RATE_FORMATS = ("aijobs", "generic")
CERT_FORMATS = ("records", "counts")
ACTIVITY_FORMATS = ("innovationgraph",)


@dataclass(frozen=True)
class Format:
    """A raw input format: the table it cleans into and the columns it needs."""

    name: str
    table: str  # rates | certifications | activity
    required: tuple[str, ...]
    any_of: tuple[tuple[str, ...], ...] = ()


FORMATS: dict[str, Format] = {
    "aijobs": Format("aijobs", "rates", AIJOBS_REQUIRED),
    "generic": Format("generic", "rates", GENERIC_REQUIRED),
    "records": Format("records", "certifications", RECORDS_REQUIRED),
    "counts": Format("counts", "certifications", COUNTS_REQUIRED, (("country", "region"),)),
    "innovationgraph": Format("innovationgraph", "activity", INNOVATIONGRAPH_REQUIRED),
}


def input_format(name: str, table: str | None = None) -> Format:
    """Return a format by name, checking it cleans into ``table`` when given.

    Raises
    ------
    ValueError
        Unknown format, or one that does not belong to ``table``.
    """
    fmt = FORMATS.get(name)
    if fmt is None or (table is not None and fmt.table != table):
        known = [f for f, v in FORMATS.items() if table is None or v.table == table]
        raise ValueError(f"unknown {table or 'input'} format {name!r}; expected one of {known}")
    return fmt
