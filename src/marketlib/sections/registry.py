"""The report's sections, in the order their findings are read (a new section: one line).

Notebooks run in the order their needs allow (``SectionSpec.needs``); the summary page
(``market_report``) needs every section and runs last.
"""

from __future__ import annotations

from marketlib.sections import arbitrage, claims, growth, regional, triangulation
from marketlib.sections.base import SectionSpec

SECTIONS: tuple[SectionSpec, ...] = (
    arbitrage.SPEC,
    regional.SPEC,
    growth.SPEC,
    claims.SPEC,
    triangulation.SPEC,
)

#: The summary page: the last notebook of a run, reading every section's results.
SUMMARY = "market_report"


def by_name(name: str) -> SectionSpec:
    """Return the section whose notebook is ``name``."""
    for spec in SECTIONS:
        if spec.name == name:
            return spec
    raise KeyError(name)


def notebooks() -> dict[str, tuple[str, ...]]:
    """Return every notebook of a run and the notebooks it needs, in a valid run order."""
    order = [s.name for s in SECTIONS if not s.needs] + [s.name for s in SECTIONS if s.needs]
    deps = {n: by_name(n).needs for n in order}
    return {**deps, SUMMARY: tuple(order)}
