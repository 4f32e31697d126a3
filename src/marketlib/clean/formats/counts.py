"""Certification counts: aggregated figures per period and country or region (docs/contract.md)."""

from marketlib.clean.formats import Format

FORMAT = Format(
    "counts",
    "certifications",
    ("period", "certification", "count"),
    any_of=(("country", "region"),),
    optional=("kind",),
    description="certification counts per period and country or region",
)
