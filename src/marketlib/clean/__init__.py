"""Cleaning: raw text tables in, clean tables plus rejected rows out, no row lost.

Every input row ends either in the clean table or in the rejected table with a stable reason
code and a readable detail. Flagged rows (duplicates, range pairs, outliers, FX mismatches)
stay in the clean table; estimators choose what to exclude. Functions take DataFrames and a
frozen :class:`~marketlib.params.CleanParams` and return new DataFrames.

Modules: ``formats`` (required columns per format), ``rejections`` (reason codes and the
report), ``vocab`` (vocabularies from data files), ``flags``, ``rates``, ``certifications``,
``activity``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from marketlib.clean.activity import clean_activity
from marketlib.clean.certifications import WORLD, clean_certifications
from marketlib.clean.flags import flag_outliers, flag_range_pairs
from marketlib.clean.formats import (
    AIJOBS_REQUIRED,
    CERT_FORMATS,
    COUNTS_REQUIRED,
    FORMATS,
    GENERIC_REQUIRED,
    RATE_FORMATS,
    RECORDS_REQUIRED,
    input_format,
)
from marketlib.clean.rates import clean_rates
from marketlib.clean.rejections import REASON_CODES, CleanResult
from marketlib.clean.vocab import (
    assign_role_families,
    certification_codes,
    normalize_certification_names,
)
from marketlib.params import CleanParams
from marketlib.storage import write_outputs

CLEANERS = {"rates": clean_rates, "certifications": clean_certifications,
            "activity": clean_activity}


def clean_file(path: str | Path, fmt: str, params: CleanParams | None = None) -> tuple[
        CleanResult, dict[str, Any]]:
    """Read one raw CSV and clean it in memory; return the result and its provenance.

    Lets a notebook or a test start from committed raw figures without writing anything.
    """
    from marketlib.sources import read_csv_text

    spec = input_format(fmt)
    raw = read_csv_text(path, required=spec.required, any_of=spec.any_of)
    result = CLEANERS[spec.table](raw.frame, fmt, params, source_file=Path(path).name)
    return result, {"path": Path(path).name, "sha256": raw.sha256, "report": result.report}


__all__ = [
    "AIJOBS_REQUIRED", "CERT_FORMATS", "CLEANERS", "COUNTS_REQUIRED", "FORMATS",
    "GENERIC_REQUIRED", "RATE_FORMATS", "REASON_CODES", "RECORDS_REQUIRED", "WORLD",
    "CleanParams", "CleanResult", "assign_role_families", "certification_codes",
    "clean_activity", "clean_certifications", "clean_file", "clean_rates", "flag_outliers",
    "flag_range_pairs", "input_format", "normalize_certification_names", "write_outputs",
]
