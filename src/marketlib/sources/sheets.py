"""Spreadsheets at the edge: a sheet of a workbook in, the same string DataFrame as a CSV out.

Read with python-calamine (Rust ``calamine`` bindings: one maintained reader for .xlsx, .xlsm,
.xlsb, .xls and .ods, and several times faster than openpyxl, which stays the writer). The
header row is given (``header_row``, the sheet's own 1-based row number) or found: the first
row, among the first :data:`HEADER_SEARCH_ROWS`, whose non-blank cells are all text and fill
most of the table's width; rows above it (titles, notes) are skipped and said. Cells become
text from their type: dates and date-times as ISO dates (a time of day dropped),
whole numbers without ``.0``, other numbers at full precision. Each data row keeps the sheet's
own row number (:data:`SHEET_ROW`, becoming ``source_row``); blank rows are not data rows.
"""

from __future__ import annotations

import datetime as dt
import io
import math
import os
from pathlib import Path

import numpy as np
import pandas as pd

from marketlib.sources.errors import InputError, sha256_bytes

#: File name endings read as workbooks (everything else is read as CSV text).
SPREADSHEET_SUFFIXES = (".xlsx", ".xlsm", ".xlsb", ".xls", ".ods")
#: Most cells a sheet's used range may span (rows x columns): the reader builds the whole
#: rectangle, so one stray cell at XFD1048576 would ask for 17 billion (refused, exit 2).
MAX_CELLS = 25_000_000
#: Rows looked at when finding the header row.
HEADER_SEARCH_ROWS = 50
#: Column holding each data row's row number in the sheet (taken off by the cleaners).
SHEET_ROW = "_sheet_row"
#: An OLE compound file: what an encrypted .xlsx/.xlsm is wrapped in (and a legacy .xls).
_OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_ZIP_MAGIC = b"PK\x03\x04"


def is_spreadsheet(path: str | os.PathLike[str]) -> bool:
    """Return whether ``path`` names a workbook (by its ending)."""
    return Path(path).suffix.lower() in SPREADSHEET_SUFFIXES


def column_letter(i: int) -> str:
    """Return the spreadsheet letter of the 0-based column ``i`` (0 -> A, 26 -> AA)."""
    out = ""
    i += 1
    while i:
        i, r = divmod(i - 1, 26)
        out = chr(65 + r) + out
    return out


def cell_text(v: object) -> str:
    """Return a cell as the text a CSV export would hold (dates ISO, 3.0 -> "3")."""
    if v is None or v == "":
        return ""
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, dt.datetime):  # a pay date's day (a time of day is not a pay period)
        return v.date().isoformat()
    if isinstance(v, dt.date | dt.time):
        return v.isoformat()
    if isinstance(v, float):
        if not math.isfinite(v):
            return ""
        return str(int(v)) if v.is_integer() and abs(v) < 1e15 else repr(v)
    if isinstance(v, int):
        return str(v)
    return str(v)


_TYPE = np.frompyfunc(type, 1, 1)


def column_text(col: np.ndarray) -> np.ndarray:
    """Return a column of cells as text, as :func:`cell_text` does, by type not by cell.

    Text, whole and other floats, dates and date-times are converted vectorized (a
    workbook's columns hold one or two types); other cells (booleans, times) one by one.
    """
    out = np.full(len(col), "", dtype=object)
    if not len(col):
        return out
    types = _TYPE(col)
    done = np.zeros(len(col), dtype=bool)
    is_str = types == str  # noqa: E721 - exact types, elementwise
    out[is_str] = col[is_str]
    done |= is_str | pd.isna(col) if col.dtype == object else is_str
    is_float = types == float  # noqa: E721
    if is_float.any():
        v = col[is_float].astype(float)
        finite = np.isfinite(v)
        whole = finite & (v == np.floor(np.where(finite, v, 0))) & (np.abs(v) < 1e15)
        txt = np.full(len(v), "", dtype=object)
        txt[whole] = v[whole].astype(np.int64).astype(str).astype(object)
        rest = finite & ~whole
        txt[rest] = pd.Series(v[rest]).astype(str).to_numpy(dtype=object)
        out[is_float] = txt
        done |= is_float
    for kind in (dt.datetime, dt.date):
        m = (types == kind) & ~done
        if m.any():
            stamps = pd.DatetimeIndex(pd.to_datetime(list(col[m])))
            out[m] = stamps.strftime("%Y-%m-%d").to_numpy(dtype=object)
            done |= m
    for i in np.flatnonzero(~done):
        out[i] = cell_text(col[i])
    return out


def _open(p: Path, data: bytes):  # noqa: ANN202 - calamine's workbook type
    from python_calamine import CalamineWorkbook

    suffix = p.suffix.lower()
    if suffix in (".xlsx", ".xlsm", ".xlsb") and data[:8] == _OLE_MAGIC:
        raise InputError(
            p, "password-protected (encrypted) workbook: save a copy without a password"
        )
    if suffix in (".xlsx", ".xlsm", ".xlsb", ".ods") and data[:4] != _ZIP_MAGIC:
        raise InputError(
            p, f"not a readable {suffix} workbook (corrupt, or another kind of file with this name)"
        )
    try:
        return CalamineWorkbook.from_filelike(io.BytesIO(data))
    except Exception as exc:  # calamine raises its own error types per format
        text = str(exc).splitlines()[0][:160] if str(exc) else type(exc).__name__
        raise InputError(p, f"not a readable workbook ({text})") from exc


def _letters_to_index(letters: bytes) -> int:
    n = 0
    for ch in letters:
        n = n * 26 + (ch - 64)
    return n


def xlsx_extent(data: bytes, sheet: str) -> tuple[int, int] | None:
    """Return (rows, columns) of an .xlsx/.xlsm sheet's used range, read from its XML.

    The sheet's ``<dimension ref="A1:H201"/>`` where it has one, else the largest row and
    column its cells name. None when the file is not a zip of worksheets (calamine decides).
    """
    import re
    import zipfile

    try:
        z = zipfile.ZipFile(io.BytesIO(data))
        book = z.read("xl/workbook.xml")
        rels = z.read("xl/_rels/workbook.xml.rels")
    except (zipfile.BadZipFile, KeyError, OSError):
        return None
    import html as _html

    rid = None
    for m in re.finditer(rb"<sheet\b[^>]*>", book):
        tag = m.group(0)
        name = re.search(rb'name="([^"]*)"', tag)
        if name and _html.unescape(name.group(1).decode("utf-8", "replace")) == sheet:
            found = re.search(rb'r:id="([^"]*)"', tag) or re.search(rb'id="([^"]*)"', tag)
            rid = found.group(1) if found else None
            break
    target = None
    for m in re.finditer(rb"<Relationship\b[^>]*>", rels):
        tag = m.group(0)
        if rid is not None and re.search(rb'Id="' + re.escape(rid) + rb'"', tag):
            t = re.search(rb'Target="([^"]*)"', tag)
            target = t.group(1).decode("utf-8", "replace").lstrip("/") if t else None
    if target is None:
        return None
    path = target if target.startswith("xl/") else f"xl/{target}"
    try:
        xml = z.read(path)
    except KeyError:
        return None
    dim = re.search(rb'<dimension ref="(?:[A-Z]+\d+:)?([A-Z]+)(\d+)"', xml[:4096])
    if dim:
        return int(dim.group(2)), _letters_to_index(dim.group(1))
    rows = [int(r) for r in re.findall(rb'<row r="(\d+)"', xml)]
    cols = {c for c in re.findall(rb'<c r="([A-Z]+)', xml)}
    if not rows or not cols:
        return 0, 0
    return max(rows), max(_letters_to_index(c) for c in cols)


def _pick_sheet(p: Path, names: list[str], sheet: str | int | None) -> str:
    if not names:
        raise InputError(p, "workbook has no sheets")
    if sheet is None or sheet == "":
        return names[0]
    if str(sheet) in names:
        return str(sheet)  # a name wins over a position (said by the caller's note)
    text = str(sheet).strip()
    if text.isdigit() and 1 <= int(text) <= len(names):
        return names[int(text) - 1]
    raise InputError(
        p,
        f"no sheet {sheet!r} (sheets: {', '.join(names)}; give a name or a number 1..{len(names)})",
    )


def find_header_row(rows: list[list[str]]) -> int:
    """Return the 0-based index of the header row among ``rows`` (cells as text).

    The first row whose non-blank cells are all text (not numbers or dates) and number at
    least 60% of the widest row's (and at least 2): title rows above a table have one or two
    cells. ``-1`` when no row qualifies.
    """
    head = rows[:HEADER_SEARCH_ROWS]
    counts = [sum(c != "" for c in r) for r in head]
    widest = max(counts, default=0)
    need = max(2, math.ceil(0.6 * widest))
    for i, r in enumerate(head):
        cells = [c for c in r if c != ""]
        if len(cells) >= need and not any(_looks_numeric(c) for c in cells):
            return i
    return -1


def _looks_numeric(text: str) -> bool:
    try:
        float(text.replace(",", ""))
        return True
    except ValueError:
        return len(text) >= 8 and text[:4].isdigit() and text[4] == "-"  # an ISO date


def read_sheet_text(
    path: str | os.PathLike[str], sheet: str | int | None = None, header_row: int | None = None
):  # noqa: ANN201 - RawTable (files.py)
    """Read one sheet as a :class:`~marketlib.sources.files.RawTable` of text.

    Parameters
    ----------
    path
        The workbook (size and file-kind checks as for CSV files).
    sheet
        A sheet name or its 1-based position; default the first sheet.
    header_row
        The header's row number in the sheet (1-based, as the spreadsheet shows it);
        default: found (:func:`find_header_row`).

    Raises
    ------
    InputError
        Corrupt or password-protected workbook, an unknown sheet, a header row beyond the
        sheet, no header found, duplicate or blank-named columns holding values.
    """
    from marketlib.sources.files import MALFORMED, RawTable, read_input_bytes

    p = Path(path)
    data = read_input_bytes(p)
    if not data:
        raise InputError(p, "file is empty (not a workbook)")
    book = _open(p, data)
    names = list(book.sheet_names)
    name = _pick_sheet(p, names, sheet)
    extent = xlsx_extent(data, name) if p.suffix.lower() in (".xlsx", ".xlsm") else None
    if extent is not None and extent[0] * extent[1] > MAX_CELLS:
        rows_n, cols_n = extent
        raise InputError(
            p,
            f"sheet {name!r} spans {rows_n:,} rows x {cols_n:,} columns "
            f"(to {column_letter(cols_n - 1)}{rows_n}), over {MAX_CELLS:,} "
            "cells: a stray cell far from the table? Delete it, or copy the "
            "table to a new sheet",
        )
    try:
        cells = book.get_sheet_by_name(name).to_python(skip_empty_area=False)
    except Exception as exc:
        raise InputError(p, f"sheet {name!r} cannot be read ({str(exc)[:160]})") from exc
    head = [[cell_text(v) for v in r] for r in cells[:HEADER_SEARCH_ROWS]]
    notes = []
    if len(names) > 1 and sheet in (None, ""):
        notes.append(
            f"read sheet {name!r}, the first of {len(names)} "
            f"({', '.join(names)}); choose another with --sheet"
        )
    asked = str(sheet).strip() if sheet not in (None, "") else ""
    if (
        asked.isdigit()
        and asked in names
        and 1 <= int(asked) <= len(names)
        and names[int(asked) - 1] != asked
    ):
        notes.append(
            f"--sheet {asked}: read the sheet named {asked!r}, not sheet number "
            f"{asked} ({names[int(asked) - 1]!r})"
        )
    if header_row is not None:
        if not 1 <= header_row <= len(cells):
            raise InputError(
                p, f"header row {header_row} is outside sheet {name!r} (rows 1..{len(cells)})"
            )
        h = header_row - 1
    else:
        h = find_header_row(head)
        if h < 0:
            raise InputError(
                p,
                f"sheet {name!r}: no header row found in its first "
                f"{HEADER_SEARCH_ROWS} rows (a row of column names); give it "
                "with --header-row N",
            )
    header = [cell_text(v) for v in cells[h]]
    if h > 0:
        above = [cell_text(v) for r in cells[:h] for v in r]
        notes.append(
            f"sheet {name!r}: header in row {h + 1}; row(s) 1-{h} above it skipped "
            f"({' / '.join(c for c in above if c)[:120] or 'blank'})"
        )
    width = max((len(r) for r in cells), default=0)
    header = header + [""] * (width - len(header))
    body_cells = cells[h + 1 :]
    if all(len(r) == width for r in body_cells):  # calamine's range is rectangular
        grid = np.array(body_cells, dtype=object).reshape(len(body_cells), width)
    else:
        grid = np.full((len(body_cells), width), "", dtype=object)
        for i, r in enumerate(body_cells):
            grid[i, : len(r)] = r
    text = (
        np.stack([column_text(grid[:, j]) for j in range(width)], axis=1)
        if len(body_cells)
        else np.empty((0, width), dtype=object)
    )
    filled = (text != "").any(axis=1)
    text = text[filled]
    numbers = np.arange(h + 2, h + 2 + len(body_cells))[filled]
    named = [i for i, c in enumerate(header) if c.strip() != ""]
    lowered = [header[i].strip().lower() for i in named]
    dupes = sorted({c for c in lowered if lowered.count(c) > 1})
    if dupes:
        raise InputError(
            p,
            f"sheet {name!r}, row {h + 1}: duplicate column(s) after ignoring "
            f"case: {', '.join(dupes)}",
        )
    frame = pd.DataFrame(
        {col: pd.Series(text[:, i], dtype="str") for col, i in zip(lowered, named, strict=True)}
    )
    unnamed = [i for i in range(width) if i not in set(named)]
    if unnamed and len(text):
        stray = text[:, unnamed] != ""
        if stray.any():  # a value under a blank header: the row is malformed, not the file
            frame[MALFORMED] = [
                "value(s) in column(s) "
                + ", ".join(column_letter(unnamed[k]) for k in np.flatnonzero(row))
                + " under a blank header"
                if row.any()
                else ""
                for row in stray
            ]
    frame[SHEET_ROW] = pd.Series(numbers, dtype="int64").astype("str")
    return RawTable(frame=frame, path=p, sha256=sha256_bytes(data), notes=tuple(notes))
