"""Clean tables on disk: write a cleaning run's three outputs, read a clean table back.

The edge between the cleaners (DataFrames in, DataFrames out) and the file system. Reading raw
inputs lives in :mod:`marketlib.sources`; this module handles what the cleaners produce.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Protocol

import pandas as pd

from marketlib.fields import validate
from marketlib.sources import (
    InputError,
    atomic_output_dir,
    atomic_write_bytes,
    atomic_write_parquet,
    sha256_file,
    write_rejected,
)
from marketlib.sources.outputs import json_bytes


class CleanOutput(Protocol):
    """What a cleaner returns (see :class:`marketlib.clean.CleanResult`)."""

    name: str
    clean: pd.DataFrame
    rejected: pd.DataFrame
    report: dict[str, Any]


def output_paths(out_dir: str | Path, name: str) -> dict[str, Path]:
    """Return the three output paths of a clean table ``name`` under ``out_dir``."""
    out = Path(out_dir)
    return {
        "table": out / f"{name}.parquet",
        "rejected": out / f"{name}_rejected.csv",
        "report": out / f"{name}_clean_report.json",
    }


def write_outputs(
    result: CleanOutput, out_dir: str | Path, inputs: dict[str, str]
) -> dict[str, Path]:
    """Write ``<name>.parquet``, ``<name>_rejected.csv`` (+ ``.jsonl``) and the clean report.

    The set is written into a staging folder and swapped in under a lock, so a killed or
    concurrent run never leaves a new table beside an old report. The rejected CSV is
    spreadsheet-safe (cells starting with ``= + - @`` TAB or CR get a ``'`` prefix, undone by
    :func:`marketlib.sources.read_rejected_csv`); the ``.jsonl`` sibling holds the exact values.
    The report records the inputs' sha256. The table is validated against the field
    dictionary first (:func:`marketlib.fields.validate`).
    """
    validate(result.clean, result.name)  # the field dictionary, before anything is written
    report = dict(result.report)
    report["inputs"] = inputs
    final = output_paths(out_dir, result.name)
    with atomic_output_dir(out_dir) as tmp:
        staged = output_paths(tmp, result.name)
        atomic_write_parquet(result.clean, staged["table"])
        write_rejected(result.rejected, staged["rejected"])
        atomic_write_bytes(staged["report"], json_bytes(report))
    final["rejected_exact"] = final["rejected"].with_suffix(".jsonl")
    return final


def table_sha256(path: str | Path) -> str:
    """Return the sha256 of a clean table: its file, or a dataset folder's parts.

    For a partitioned Parquet dataset (``rates.parquet/`` written by ``--engine dask``) the
    digest runs over the bytes of its ``*.parquet`` files in sorted order of their paths
    within the folder.
    """
    p = Path(path)
    return sha256_file(*_dataset_files(p)) if p.is_dir() else sha256_file(p)


def _dataset_files(folder: Path) -> list[Path]:
    return sorted(
        (f for f in folder.rglob("*.parquet") if f.is_file()),
        key=lambda f: f.relative_to(folder).as_posix(),
    )


def read_clean_table(path: str | Path) -> tuple[pd.DataFrame, dict[str, Any]]:
    """Return a clean Parquet table and its provenance (path, sha256, clean report).

    ``path`` is a ``.parquet`` file (pandas engine) or a partitioned Parquet dataset folder
    named ``*.parquet`` (``--engine dask``: one part per input file, read in the parts' order).
    The report is the sibling ``<name>_clean_report.json``; the sha256 is
    :func:`table_sha256`'s.

    Raises
    ------
    InputError
        The path does not exist or is not a clean table written by ``marketlib clean``.
    """
    p = Path(path)
    if not p.exists():
        raise InputError(p, "file not found (run `make clean-data` or pass another path)")
    if p.suffix != ".parquet" or not (p.is_file() or p.is_dir()):
        raise InputError(p, "not a clean table (.parquet written by `marketlib clean`)")
    if p.is_dir() and not _dataset_files(p):
        raise InputError(p, "not a clean table (a folder without .parquet parts)")
    name = p.stem
    report_path = p.with_name(f"{name}_clean_report.json")
    report = json.loads(report_path.read_text()) if report_path.exists() else {}
    try:
        table = pd.read_parquet(p)
    except Exception as exc:  # pyarrow raises several types for a damaged file
        raise InputError(p, f"not a readable Parquet file ({type(exc).__name__})") from exc
    return table, {"path": p.name, "sha256": table_sha256(p), "report": report}
