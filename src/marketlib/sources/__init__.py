"""Reading and fetching inputs, at the edge: raw files in, string DataFrames out.

Modules: ``files`` (checks and CSV reading of raw inputs), ``outputs`` (atomic writes, output
sets swapped in together, spreadsheet-safe rejected files), ``datasets`` (pinned public
datasets, snapshots, the mirror and provenance), ``reference`` (small typed reference tables).
Every problem that makes a file unreadable raises :class:`InputError` naming the file and the
problem; nothing is written before all inputs are read.

Names are imported on first use (PEP 562), so a command that needs only the dataset table or
:class:`InputError` does not pay for pandas and Arrow.
"""

from __future__ import annotations

import os  # noqa: F401 - tests patch os functions through this module
from typing import Any

from marketlib.lazy import lazy_attribute
from marketlib.sources.errors import InputError, sha256_bytes, sha256_file  # noqa: F401

#: public name -> the submodule that defines it
_WHERE: dict[str, str] = {
    # datasets
    "AIJOBS_COLUMNS": "marketlib.sources.datasets",
    "AIJOBS_COMMIT": "marketlib.sources.datasets",
    "AIJOBS_SHA256": "marketlib.sources.datasets",
    "AIJOBS_URL": "marketlib.sources.datasets",
    "DATASETS": "marketlib.sources.datasets",
    "DATASET_GROUPS": "marketlib.sources.datasets",
    "Dataset": "marketlib.sources.datasets",
    "GITHUB_API": "marketlib.sources.datasets",
    "GITHUB_RAW": "marketlib.sources.datasets",
    "INNOVATIONGRAPH_COMMIT": "marketlib.sources.datasets",
    "INNOVATIONGRAPH_SHA256": "marketlib.sources.datasets",
    "PPP_COMMIT": "marketlib.sources.datasets",
    "PPP_PLR_FILE": "marketlib.sources.datasets",
    "PPP_UPSTREAM": "marketlib.sources.datasets",
    "PROVENANCE_SUFFIX": "marketlib.sources.provenance",
    "Provenance": "marketlib.sources.provenance",
    "ResolvedRef": "marketlib.sources.datasets",
    "Snapshot": "marketlib.sources.datasets",
    "dataset_names": "marketlib.sources.datasets",
    "fetch": "marketlib.sources.datasets",
    "fetch_aijobs": "marketlib.sources.datasets",
    "fetch_snapshot": "marketlib.sources.datasets",
    "github_api_base": "marketlib.sources.datasets",
    "github_raw_base": "marketlib.sources.datasets",
    "latest_commit": "marketlib.sources.datasets",
    "locate": "marketlib.sources.datasets",
    "provenance_of": "marketlib.sources.provenance",
    "provenance_path": "marketlib.sources.provenance",
    "read_provenance": "marketlib.sources.provenance",
    "resolve_ref": "marketlib.sources.datasets",
    "sha256_cached": "marketlib.sources.datasets",
    "snapshot_refs": "marketlib.sources.datasets",
    "snapshots": "marketlib.sources.datasets",
    "write_provenance": "marketlib.sources.provenance",
    # files
    "MALFORMED": "marketlib.sources.files",
    "MAX_INPUT_BYTES": "marketlib.sources.files",
    "RawTable": "marketlib.sources.files",
    "check_columns": "marketlib.sources.files",
    "max_input_bytes": "marketlib.sources.files",
    "read_csv_text": "marketlib.sources.files",
    "read_input_bytes": "marketlib.sources.files",
    "read_table": "marketlib.sources.files",
    "SHEET_ROW": "marketlib.sources.sheets",
    "read_sheet_text": "marketlib.sources.sheets",
    "wide_encoding": "marketlib.sources.files",
    # outputs
    "FORMULA_TRIGGERS": "marketlib.sources.outputs",
    "atomic_output_dir": "marketlib.sources.outputs",
    "atomic_write_bytes": "marketlib.sources.outputs",
    "atomic_write_csv": "marketlib.sources.outputs",
    "atomic_write_jsonl": "marketlib.sources.outputs",
    "atomic_write_parquet": "marketlib.sources.outputs",
    "atomic_write_with": "marketlib.sources.outputs",
    "csv_text": "marketlib.sources.outputs",
    "jsonl_text": "marketlib.sources.outputs",
    "neutralise_formulas": "marketlib.sources.outputs",
    "parquet_statistics": "marketlib.sources.outputs",
    "read_jsonl": "marketlib.sources.outputs",
    "read_rejected_csv": "marketlib.sources.outputs",
    "restore_formulas": "marketlib.sources.outputs",
    "spreadsheet_safe": "marketlib.sources.outputs",
    "write_rejected": "marketlib.sources.outputs",
    # reference
    "read_price_level_ratios": "marketlib.sources.reference",
    "read_reference_table": "marketlib.sources.reference",
}


def __getattr__(name: str) -> Any:
    return lazy_attribute(__name__, _WHERE, globals(), name)


def __dir__() -> list[str]:
    return sorted({*globals(), *_WHERE})


__all__ = sorted({"InputError", "sha256_bytes", "sha256_file", *_WHERE})
