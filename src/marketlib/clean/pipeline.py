"""The clean step, once: read every input (with the analyst's maps) -> clean -> write.

Used by ``marketlib clean``, the report and :func:`marketlib.clean.clean_file`, so a file is
read, mapped, checked and cleaned the same way wherever it comes from. Every input is read and
checked before anything is written.
"""

from __future__ import annotations

import glob
import os
from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from marketlib.clean.formats import Format, input_format
from marketlib.clean.maps import (
    ColumnMap,
    ValueMap,
    check_constants,
    load_column_map,
    load_value_map,
)
from marketlib.clean.rejections import CleanResult
from marketlib.cleanparams import CleanParams
from marketlib.sources import InputError, check_columns, read_table

#: Exit status of a clean in which every input row was rejected (documented in the CLI).
EXIT_ALL_REJECTED = 3
#: Exit status of a pay clean that rejected more than ``--max-rejected-share`` of its rows.
EXIT_TOO_MANY_REJECTED = 4


@dataclass(frozen=True)
class Maps:
    """A run's column and value maps (both optional), validated."""

    columns: ColumnMap = ColumnMap()
    values: ValueMap = ValueMap()

    @classmethod
    def load(
        cls,
        fmt: Format,
        columns: str | os.PathLike[str] | None = None,
        values: str | os.PathLike[str] | None = None,
    ) -> Maps:
        """Read and validate the map files (exit-2 errors name the map and the key)."""
        if (columns or values) and fmt.table != "rates":
            raise InputError(
                "--columns/--values",
                f"maps apply to pay (rates) files; {fmt.name} is a {fmt.table} format",
            )
        maps = cls(load_column_map(columns, fmt), load_value_map(values))
        check_constants(maps.columns, maps.values)
        return maps

    def params(self, p: CleanParams) -> CleanParams:
        """Return ``p`` with the maps recorded (and the value map's words applied)."""
        if not self.columns.to_dict() and not self.values.words:
            return p
        return replace(p, columns=self.columns.to_dict(), values=self.values.to_dict())


@dataclass
class Inputs:
    """Every input file of one clean run, read and checked, as one text frame."""

    frame: pd.DataFrame
    source_file: pd.Series
    sha256: dict[str, str]
    tables: list[Any]

    @property
    def notes(self) -> list[str]:
        """Return what the readers said about each file (sheet chosen, title rows skipped)."""
        return [f"{t.path}: {n}" for t in self.tables for n in t.notes]


def expand_inputs(patterns: list[str]) -> list[str]:
    """Expand each FILE argument: a folder gives its CSV and workbook files, a glob its matches.

    Names are sorted within each argument; arguments keep their order; a file named twice is
    read once. A plain path is kept as given (a missing file is reported by the reader).

    Raises
    ------
    InputError
        A folder without CSV files, or a glob that matches nothing.
    """
    out: list[str] = []
    for pat in patterns:
        if os.path.isdir(pat):
            # every *.csv entry: one that is not a regular file (a FIFO, a device, a folder
            # named *.csv) is refused by the reader, naming it, never skipped in silence
            from marketlib.sources.sheets import SPREADSHEET_SUFFIXES

            found = sorted(
                str(p)
                for p in Path(pat).iterdir()
                if p.suffix.lower() in (".csv", *SPREADSHEET_SUFFIXES)
            )
            if not found:
                raise InputError(pat, "folder has no .csv or workbook files")
        elif glob.has_magic(pat):
            found = sorted(glob.glob(pat))
            if not found:
                raise InputError(pat, "no file matches this pattern")
        else:
            found = [pat]
        seen = {os.path.realpath(f) for f in out}  # one file named twice is read once
        for f in found:
            if os.path.realpath(f) not in seen:
                out.append(f)
                seen.add(os.path.realpath(f))
    return out


def read_inputs(
    files: Sequence[str | os.PathLike[str]],
    fmt: Format,
    maps: Maps | None = None,
    names: list[str] | None = None,
    sheet: str | int | None = None,
    header_row: int | None = None,
) -> Inputs:
    """Read every file (column map applied, required columns checked) before any writing.

    ``names``: what ``source_file`` and the provenance call each file (default: its path).
    ``sheet``, ``header_row``: for workbooks (:func:`marketlib.sources.read_table`).
    """
    maps = maps or Maps()
    hint = (
        "; name them with --columns MAP.yaml (see `marketlib inspect FILE`)"
        if fmt.table == "rates"
        else ""
    )
    tables = []
    for f in files:
        t = fmt.read(str(f)) if fmt.read is not None else read_table(f, sheet, header_row)
        frame = maps.columns.apply(t.frame, t.path)
        check_columns(t.path, frame.columns, fmt.required, fmt.any_of, hint)
        tables.append(replace(t, frame=frame))
    shown = names or [str(t.path) for t in tables]
    if fmt.table == "activity":
        from marketlib.clean.activity import stack_activity

        frame, source = stack_activity([(t.frame, n) for t, n in zip(tables, shown, strict=True)])
    else:
        frame = (
            pd.concat([t.frame for t in tables], ignore_index=True).fillna("")
            if len(tables) > 1
            else tables[0].frame.fillna("")
        )
        source = pd.Series(
            np.repeat(np.array(shown, dtype=object), [len(t.frame) for t in tables]),
            index=frame.index,
            dtype="str",
        )
    sha = {n: t.sha256 for n, t in zip(shown, tables, strict=True)}
    return Inputs(frame, source, sha, tables)


def clean_inputs(inputs: Inputs, fmt: Format, params: CleanParams) -> CleanResult:
    """Clean read inputs with the cleaner of the format's table.

    A known version's collection date applies (:func:`with_collection_date`).
    """
    from marketlib.clean import cleaners

    return cleaners()[fmt.table](
        inputs.frame,
        fmt.name,
        with_collection_date(params, inputs.sha256),
        source_file=inputs.source_file,
    )


def clean_files(
    files: list[str | os.PathLike[str]],
    fmt_name: str,
    table: str | None,
    params: CleanParams,
    maps: Maps | None = None,
    names: list[str] | None = None,
    sheet: str | int | None = None,
    header_row: int | None = None,
) -> tuple[CleanResult, dict[str, str], list[str]]:
    """Read and clean ``files`` of one format.

    Returns the result, each input's sha256 and the readers' notes (a workbook's sheet,
    title rows skipped).
    """
    fmt = input_format(fmt_name, table)
    maps = maps or Maps()
    inputs = read_inputs(files, fmt, maps, names, sheet, header_row)
    return clean_inputs(inputs, fmt, maps.params(params)), inputs.sha256, inputs.notes


def with_collection_date(params: CleanParams, sha256: dict[str, str]) -> CleanParams:
    """Return ``params`` with ``collected_on`` from the inputs when they are known versions.

    A file whose sha256 is a pinned or snapshot version of a dataset was collected by that
    version's publication date (the latest of several files); the analyst's own
    ``collected_on`` is kept.
    """
    if params.collected_on is not None:
        return params
    from marketlib.sources.datasets import collection_date

    known = [d for d in (collection_date(h) for h in sha256.values()) if d]
    return replace(params, collected_on=max(known)) if known else params


def write_clean(
    result: CleanResult, out: str | os.PathLike[str], inputs: dict[str, str]
) -> dict[str, Path]:
    """Write the clean table, the rejected rows and the report together (atomically)."""
    from marketlib.storage import write_outputs

    return write_outputs(result, Path(out), inputs)


#: What becomes of a row whose word no vocabulary knows: a row without its country, currency
#: or unit cannot be converted to USD per year, so it is rejected with that reason; other
#: columns keep the row with the variable missing.
UNKNOWN_WORD_FATE = {
    c: f"rows rejected: a rate needs its {c}" for c in ("country", "currency", "unit")
} | {"skills": "rows kept, the word kept as a skill as written"}


def summary_lines(r: dict[str, Any], name: str) -> list[str]:
    """Return the terminal summary of a clean report: counts, reasons, words nobody knows."""
    lines = [
        f"{name}: {r['rows_in']} rows in, {r['rows_clean']} clean, "
        f"{r['rows_rejected']} rejected {r['reasons'] or ''}".rstrip()
    ]
    unknown = r.get("unknown_words") or {}
    if unknown:
        lines.append(
            "  words no vocabulary or value map knows (map them with --values "
            "MAP.yaml, e.g. `marketlib inspect FILE --write-maps DIR`):"
        )
        for col, info in unknown.items():
            top = ", ".join(f"{w!r} {n}" for w, n in list(info["values"].items())[:5])
            more = info["distinct"] - min(5, len(info["values"]))
            lines.append(
                f"    {col}: {info['rows']} row(s): {top}"
                + (f" and {more} more" if more > 0 else "")
                + f" ({UNKNOWN_WORD_FATE.get(col, 'rows kept, ' + col + ' missing')})"
            )
    if r["rows_in"] > 0 and r["rows_clean"] == 0:
        lines.append(
            f"  every row was rejected (exit {EXIT_ALL_REJECTED}); see the reasons "
            "above and the rejected file"
        )
    return lines
