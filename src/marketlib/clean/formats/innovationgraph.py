"""The GitHub Innovation Graph files: quarterly counts per economy (docs/contract.md)."""

from marketlib.clean.formats import Format

FORMAT = Format(
    "innovationgraph",
    "activity",
    ("iso2_code", "year", "quarter"),
    optional=("topic",),
    description="GitHub Innovation Graph quarterly files",
)
