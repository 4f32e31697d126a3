"""Certification records: one row per credential issued (docs/contract.md)."""

from marketlib.clean.formats import Format

FORMAT = Format(
    "records",
    "certifications",
    ("date", "certification", "location"),
    optional=("job_title", "credential_id"),
    description="one row per credential issued",
)
