"""Cleaning: raw text tables in, clean tables plus rejected rows out, no row lost.

Every input row ends either in the clean table or in the rejected table with a stable reason
code and a readable detail. Flagged rows (duplicates, range pairs, outliers, FX mismatches)
stay in the clean table; estimators choose what to exclude. Functions take DataFrames and a
frozen :class:`~marketlib.params.CleanParams` and return new DataFrames.

Modules: ``formats/`` (one file per input format, the ``FORMATS`` registry), ``maps`` (the
analyst's column and value maps), ``pipeline`` (read -> clean -> write, once), ``inspection``
(``marketlib inspect``), ``rejections`` (reason codes and the report), ``vocab``
(vocabularies from data files), ``flags``, ``rates``, ``certifications``, ``activity``.
Names are imported on first use, so the command line can list formats without pandas.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from marketlib.lazy import lazy_attribute

if TYPE_CHECKING:
    from marketlib.clean.rejections import CleanResult
    from marketlib.cleanparams import CleanParams

_WHERE: dict[str, str] = {
    "clean_activity": "marketlib.clean.activity",
    "WORLD": "marketlib.clean.certifications",
    "clean_certifications": "marketlib.clean.certifications",
    "flag_outliers": "marketlib.clean.flags",
    "flag_range_pairs": "marketlib.clean.flags",
    "AIJOBS_REQUIRED": "marketlib.clean.formats",
    "CERT_FORMATS": "marketlib.clean.formats",
    "COUNTS_REQUIRED": "marketlib.clean.formats",
    "FORMATS": "marketlib.clean.formats",
    "GENERIC_REQUIRED": "marketlib.clean.formats",
    "RATE_FORMATS": "marketlib.clean.formats",
    "RECORDS_REQUIRED": "marketlib.clean.formats",
    "input_format": "marketlib.clean.formats",
    "clean_rates": "marketlib.clean.rates",
    "REASON_CODES": "marketlib.clean.rejections",
    "CleanResult": "marketlib.clean.rejections",
    "assign_role_families": "marketlib.clean.vocab",
    "certification_codes": "marketlib.clean.vocab",
    "normalize_certification_names": "marketlib.clean.vocab",
    "CleanParams": "marketlib.cleanparams",
    "write_outputs": "marketlib.storage",
}


def __getattr__(name: str) -> Any:
    if name == "CLEANERS":
        return cleaners()
    return lazy_attribute(__name__, _WHERE, globals(), name)


def cleaners() -> dict[str, Any]:
    """Return the cleaner of each table (one line per table; ``marketlib clean <table>``)."""
    from marketlib.clean.activity import clean_activity
    from marketlib.clean.adoption import clean_adoption
    from marketlib.clean.certifications import clean_certifications
    from marketlib.clean.demand import clean_demand
    from marketlib.clean.pay_bands import clean_pay_bands
    from marketlib.clean.rates import clean_rates

    return {
        "rates": clean_rates,
        "certifications": clean_certifications,
        "activity": clean_activity,
        "pay_bands": clean_pay_bands,
        "adoption": clean_adoption,
        "demand": clean_demand,
    }


def clean_file(
    path: str | Path, fmt: str, params: CleanParams | None = None
) -> tuple[CleanResult, dict[str, Any]]:
    """Read one raw CSV and clean it in memory; return the result and its provenance.

    Lets a notebook or a test start from committed raw figures without writing anything.
    """
    from marketlib.clean.pipeline import clean_files
    from marketlib.cleanparams import CleanParams

    name = Path(path).name
    result, sha, _ = clean_files([path], fmt, None, params or CleanParams(), names=[name])
    return result, {"path": name, "sha256": sha[name], "report": result.report}


__all__ = sorted({*_WHERE, "CLEANERS", "clean_file", "cleaners"})
