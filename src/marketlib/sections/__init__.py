"""Sections: one module per report section, built from one validated parameters object.

``run_growth``, ``run_arbitrage``, ``run_regional`` and ``run_claims`` read their declared
inputs (clean tables, typed reference files), run the models and return a section object with
``to_results()`` (its part of results.json) and ``save(path)``. The notebooks, the report runner
and the tests call these functions; none of them repeats their steps. ``registry.SECTIONS``
lists the sections and everything the report, the summary page and the change report need
from each.
"""

from __future__ import annotations

from marketlib.sections.arbitrage import ArbitrageSection, run_arbitrage, scope_of
from marketlib.sections.arbitrage_hooks import (
    arbitrage_caveats,
    arbitrage_intro,
    pay_population_intro,
)
from marketlib.sections.arbitrage_tables import (
    arbitrage_table,
    countries_table,
    percentiles_table,
    ranks_table,
    skills_table,
)
from marketlib.sections.base import Section, load_json, save_json
from marketlib.sections.claims import ClaimsSection, claims_table, run_claims
from marketlib.sections.growth import GrowthSection, growth_table, period_labels, run_growth
from marketlib.sections.regional import (
    RegionalSection,
    headline_regional,
    hong_kong_sensitivity,
    regional_table,
    run_regional,
)
from marketlib.sections.regional_hooks import regional_caveats
from marketlib.sections.registry import SECTIONS
from marketlib.sections.summary import (
    key_findings,
    params_not_run,
    reading_notes,
    report_title,
    show_findings,
    skipped_sentences,
    summary_blocks,
    summary_intro,
    summary_results,
)
from marketlib.sources import read_reference_table

__all__ = [
    "SECTIONS",
    "ArbitrageSection",
    "ClaimsSection",
    "GrowthSection",
    "RegionalSection",
    "Section",
    "arbitrage_caveats",
    "arbitrage_intro",
    "arbitrage_table",
    "claims_table",
    "countries_table",
    "growth_table",
    "headline_regional",
    "hong_kong_sensitivity",
    "key_findings",
    "load_json",
    "params_not_run",
    "pay_population_intro",
    "percentiles_table",
    "period_labels",
    "ranks_table",
    "read_reference_table",
    "reading_notes",
    "regional_caveats",
    "regional_table",
    "report_title",
    "run_arbitrage",
    "run_claims",
    "run_growth",
    "run_regional",
    "save_json",
    "scope_of",
    "show_findings",
    "skills_table",
    "skipped_sentences",
    "summary_blocks",
    "summary_intro",
    "summary_results",
]
