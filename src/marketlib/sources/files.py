"""Raw input files at the edge: checks before reading, then CSV text in, string DataFrames out.

Every problem that makes a file unreadable raises :class:`InputError` naming the file and the
problem: not a regular file, over the size limit, binary or UTF-16/32, not CSV, columns
missing. A row with the wrong number of fields (or a bare CR in an unquoted field) is kept and
marked (:data:`MALFORMED`) so that cleaning rejects that row, not the file.
"""

from __future__ import annotations

import csv
import io
import itertools
import os
import stat
import sys
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.csv as pacsv

from marketlib.sources.errors import InputError, sha256_bytes, sha256_file  # noqa: F401
from marketlib.sources.sheets import is_spreadsheet, read_sheet_text


@dataclass(frozen=True)
class RawTable:
    """A raw table read as text: the frame (all ``str``), its path, its sha256, and notes.

    ``notes``: what the reader decided that the analyst should hear (a workbook's sheet, title
    rows skipped above its header), printed by ``marketlib clean`` and kept in its report.
    """

    frame: pd.DataFrame
    path: Path
    sha256: str
    notes: tuple[str, ...] = ()


#: Most columns a raw table may have (a file of 40,000 columns is not a table of rows).
MAX_COLUMNS = 2_000

#: Largest input file read (bytes); ``MARKETLIB_MAX_INPUT_BYTES`` overrides it.
MAX_INPUT_BYTES = 2 * 1024**3

_FILE_KINDS = (
    (stat.S_ISDIR, "is a directory, not a CSV file"),
    (stat.S_ISFIFO, "is a FIFO (named pipe), not a regular file"),
    (stat.S_ISCHR, "is a character device, not a regular file"),
    (stat.S_ISBLK, "is a block device, not a regular file"),
    (stat.S_ISSOCK, "is a socket, not a regular file"),
)


def max_input_bytes() -> int:
    """Return the input size limit: ``MARKETLIB_MAX_INPUT_BYTES`` if set, else the default.

    Raises
    ------
    InputError
        The variable is set to something other than a positive integer.
    """
    value = os.environ.get("MARKETLIB_MAX_INPUT_BYTES", "").strip()
    if not value:
        return MAX_INPUT_BYTES
    try:
        limit = int(value)
    except ValueError:
        limit = 0
    if limit <= 0:
        raise InputError("MARKETLIB_MAX_INPUT_BYTES", f"not a positive integer: {value!r}")
    return limit


def _size_text(n: int) -> str:
    for unit, size in (("GiB", 1024**3), ("MiB", 1024**2), ("KiB", 1024)):
        if n >= size:
            return f"{n} bytes ({n / size:.1f} {unit})"
    return f"{n} bytes"


def _check_regular(p: Path, st: os.stat_result) -> None:
    for test, problem in _FILE_KINDS:
        if test(st.st_mode):
            raise InputError(p, problem)
    if not stat.S_ISREG(st.st_mode):
        raise InputError(p, "not a regular file")
    limit = max_input_bytes()
    if st.st_size > limit:
        raise InputError(
            p,
            f"file is {_size_text(st.st_size)}, over the input limit of "
            f"{_size_text(limit)} (set MARKETLIB_MAX_INPUT_BYTES to raise it)",
        )


def read_input_bytes(path: str | os.PathLike[str]) -> bytes:
    """Read a whole input file, refusing anything that is not a regular file of sane size.

    The checks happen before reading (a FIFO or ``/dev/zero``, directly or through a symlink,
    is never opened for reading), and again on the open descriptor.

    Raises
    ------
    InputError
        Missing file, directory, FIFO, device, socket, a file over :func:`max_input_bytes`, or
        a read error.
    """
    p = Path(path)
    try:
        st = os.stat(p)
    except FileNotFoundError as exc:
        problem = "file not found" + (" (broken symbolic link)" if p.is_symlink() else "")
        raise InputError(p, problem) from exc
    except OSError as exc:
        raise InputError(p, f"cannot be read ({exc.strerror})") from exc
    _check_regular(p, st)
    try:
        fd = os.open(p, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_CLOEXEC", 0))
    except OSError as exc:
        raise InputError(p, f"cannot be read ({exc.strerror})") from exc
    with os.fdopen(fd, "rb") as fh:
        _check_regular(p, os.fstat(fh.fileno()))  # replaced between stat and open
        try:
            data = fh.read()
        except OSError as exc:
            raise InputError(p, f"cannot be read ({exc.strerror})") from exc
    if len(data) > max_input_bytes():  # grew while being read
        raise InputError(
            p, f"file grew past the input limit of {_size_text(max_input_bytes())} while being read"
        )
    return data


_BOMS = (  # longest first: the UTF-32 LE mark starts with the UTF-16 LE one
    (b"\xff\xfe\x00\x00", "UTF-32 (LE)"),
    (b"\x00\x00\xfe\xff", "UTF-32 (BE)"),
    (b"\xff\xfe", "UTF-16 (LE)"),
    (b"\xfe\xff", "UTF-16 (BE)"),
)


def wide_encoding(data: bytes) -> str | None:
    """Name the UTF-16/UTF-32 encoding of ``data`` ("UTF-16 (LE)"...), or ``None``.

    Recognised by a byte-order mark, or without one by NUL bytes interleaved with ASCII text
    in the first 64 KiB (every other byte NUL: UTF-16; three of every four: UTF-32).
    """
    for bom, name in _BOMS:
        if data.startswith(bom):
            return name
    sample = data[:65536]
    n4 = len(sample) // 4 * 4
    if n4 >= 4:
        lanes = [sample[i:n4:4] for i in range(4)]
        zero = [lane.count(0) / len(lane) for lane in lanes]
        if zero[1] > 0.9 and zero[2] > 0.9 and zero[3] > 0.9 and zero[0] < 0.1:
            return "UTF-32 (LE)"
        if zero[0] > 0.9 and zero[1] > 0.9 and zero[2] > 0.9 and zero[3] < 0.1:
            return "UTF-32 (BE)"
    n2 = len(sample) // 2 * 2
    if n2 >= 2:
        even, odd = sample[0:n2:2], sample[1:n2:2]
        z_even, z_odd = even.count(0) / len(even), odd.count(0) / len(odd)
        if z_odd > 0.9 and z_even < 0.1:
            return "UTF-16 (LE)"
        if z_even > 0.9 and z_odd < 0.1:
            return "UTF-16 (BE)"
    return None


def read_csv_text(
    path: str | os.PathLike[str],
    required: Iterable[str] = (),
    any_of: Iterable[tuple[str, ...]] = (),
) -> RawTable:
    """Read a CSV as text, with case-insensitive headers, refusing unusable files.

    Parameters
    ----------
    path
        The file.
    required
        Column names (lower case) that must be present.
    any_of
        Groups of names of which at least one must be present (e.g. ``("country", "region")``).

    Raises
    ------
    InputError
        Missing, empty, binary (a NUL byte anywhere), UTF-16/UTF-32 (named), non-UTF-8 or
        non-CSV file; not a regular file (FIFO, device...) or over the size limit (both refused
        before reading, see :func:`read_input_bytes`); duplicate or missing columns.

    Notes
    -----
    A row with the wrong number of fields, or with a bare carriage return (CR not followed by
    LF) inside an unquoted field in a file whose lines end in LF, is kept and marked in column
    :data:`MALFORMED` (the cleaners reject it as ``malformed_row``); the rest is read. A file
    whose only line ends are CRs (old Mac) is read with CR as the line end.
    """
    p = Path(path)
    data = read_input_bytes(p)
    if not data or data.isspace():  # as ``not data.strip()``, without copying the file
        raise InputError(p, "file is empty (no header row)")
    wide = wide_encoding(data)
    if wide is not None:
        raise InputError(p, f"text is {wide} encoded; re-save as UTF-8")
    if b"\x00" in data:
        raise InputError(p, "binary content (NUL bytes): not a CSV text file")
    frame = _parse_csv_text(p, data)
    cols = [str(c).strip().lower() for c in frame.columns]
    dupes = sorted({c for c in cols if cols.count(c) > 1})
    if dupes:
        raise InputError(p, f"duplicate column(s) after ignoring case: {', '.join(dupes)}")
    if any(c.startswith("unnamed:") or c == "" for c in cols) and len(frame.columns) == 1:
        raise InputError(p, "no header row")
    frame.columns = cols
    if len(cols) > MAX_COLUMNS:
        raise InputError(
            p, f"{len(cols):,} columns (at most {MAX_COLUMNS:,}): not a table of observations"
        )
    check_columns(p, cols, required, any_of)
    return RawTable(frame=frame, path=p, sha256=sha256_bytes(data))


def read_table(
    path: str | os.PathLike[str], sheet: str | int | None = None, header_row: int | None = None
) -> RawTable:
    """Read a pay, count or activity file: a workbook by its ending, else CSV text.

    ``sheet`` and ``header_row`` apply to workbooks (:func:`marketlib.sources.sheets.
    read_sheet_text`); given for a CSV file they are refused, not ignored.
    """
    if is_spreadsheet(path):
        return read_sheet_text(path, sheet, header_row)
    if sheet not in (None, "") or header_row is not None:
        raise InputError(
            path,
            "--sheet and --header-row apply to workbooks (.xlsx, .xls, "
            ".ods); this file is read as CSV",
        )
    return read_csv_text(path)


def check_columns(
    path: str | os.PathLike[str],
    columns: Iterable[str],
    required: Iterable[str] = (),
    any_of: Iterable[tuple[str, ...]] = (),
    hint: str = "",
) -> None:
    """Refuse (:class:`InputError`) a table lacking a required column, naming what it has."""
    cols = list(columns)
    missing = [c for c in required if c not in cols]
    for group in any_of:
        if not any(g in cols for g in group):
            missing.append(" or ".join(group))
    if missing:
        expected = set(required) | {c for group in any_of for c in group}
        if expected & set(cols):  # the right kind of file: its headers help
            found = ", ".join(cols)
            found = f"found: {found if len(found) <= 300 else found[:300] + '...'}"
        else:  # no column of this format: never echo the first line of an arbitrary file
            found = f"the file's first line holds none of them ({len(cols)} field(s))"
        seps = [
            name
            for sep, name in ((";", "semicolons"), ("\t", "tabs"), ("|", "bars"))
            if len(cols) == 1 and sep in cols[0]
        ]
        if seps:
            found += (
                f"; its header is split by {seps[0]}, not commas: re-save it as comma-separated CSV"
            )
        raise InputError(path, f"required column(s) missing: {', '.join(missing)} ({found}){hint}")


def _check_utf8(p: Path, data: bytes) -> None:
    try:
        data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise InputError(
            p,
            f"not valid UTF-8 (byte 0x{data[exc.start]:02x} at offset {exc.start}); "
            "re-save the file as UTF-8",
        ) from exc


MALFORMED = "_malformed_row"
"""Column added by :func:`read_csv_text` only when some row had the wrong number of fields."""


def _has_bare_cr(data: bytes) -> bool:
    """Whether ``data`` has a CR not followed by LF (two C-level counts, no regex scan)."""
    if b"\r" not in data:  # the usual case: one memchr, no counting
        return False
    return data.count(b"\r") != data.count(b"\r\n")


def _parse_csv_text(p: Path, data: bytes) -> pd.DataFrame:
    """Parse CSV bytes with Arrow's reader: every column text, nothing turned into NA.

    Files Arrow would misread go through :func:`_parse_rows` instead: a bare CR in a file with
    LF line ends (Arrow would end the row there) and files with rows of the wrong width.
    """
    text_start = data[3:] if data.startswith(b"\xef\xbb\xbf") else data
    cr_only = b"\n" not in text_start  # old Mac line ends: CR ends a line
    try:
        head = text_start[: 1 << 22].decode("utf-8", "ignore")  # a header may be long
        header = next(csv.reader(io.StringIO(head, newline="" if cr_only else "\n")))
    except (StopIteration, csv.Error) as exc:
        raise InputError(p, f"not a valid CSV header ({exc})") from exc
    # an input column named like the reader's own marker is kept under another name
    header = [f"input_{h}" if h.strip().lower() == MALFORMED else h for h in header]
    if not cr_only and _has_bare_cr(text_start):
        _check_utf8(p, data)
        return _parse_rows(text_start.decode("utf-8"), header)
    ragged: list[int] = []

    def skip(row: object) -> str:  # a row whose field count differs from the header's
        ragged.append(1)
        return "skip"

    def read(names: list[str]) -> pa.Table:
        return pacsv.read_csv(
            io.BytesIO(text_start),
            read_options=pacsv.ReadOptions(
                use_threads=True, block_size=1 << 24, skip_rows=1, column_names=names
            ),
            parse_options=pacsv.ParseOptions(
                invalid_row_handler=skip, newlines_in_values=b'"' in text_start
            ),
            convert_options=pacsv.ConvertOptions(
                column_types={h: pa.string() for h in names},
                strings_can_be_null=False,
                quoted_strings_can_be_null=False,
            ),
        )

    try:
        # the names come from the header parsed above, so every column is read as text
        # whatever Arrow would have made of the header line (a second BOM, a huge name)
        table = read(_unique(header))
    except (pa.ArrowInvalid, ValueError) as exc:
        _check_utf8(p, data)
        msg = str(exc).strip().splitlines()[0][:300]
        raise InputError(p, f"not a valid CSV ({msg})") from exc
    if ragged or _swallows_rows(table, len(header)):
        text = text_start.decode("utf-8")
        return _parse_rows(text if "\n" in text else text.replace("\r", "\n"), header)
    frame = table.to_pandas(
        types_mapper={pa.string(): pd.StringDtype("pyarrow", na_value=np.nan)}.get
    )
    frame.columns = header  # the names as written (duplicates are refused by the caller)
    return frame


def _whole_row(line: str, width: int) -> bool:
    """Whether a physical line, read alone, is a whole delimited row (no quote, full width)."""
    line = line.rstrip("\r")
    return width > 1 and '"' not in line and line.count(",") == width - 1


def _swallows_rows(table: pa.Table, width: int) -> bool:
    """Whether a quoted value spans lines that are themselves whole rows (an unclosed quote).

    A field that opens ``"`` and never closes would take the rest of the file as one value;
    a legitimate multi-line value (a note with line breaks) does not hold whole rows.
    """
    import pyarrow.compute as pc

    for col in table.columns:
        if not pc.any(pc.match_substring(col, "\n")).as_py():
            continue
        for value in col.filter(pc.match_substring(col, "\n")).to_pylist():
            if any(_whole_row(line, width) for line in value.split("\n")[1:]):
                return True
    return False


def _unique(names: list[str]) -> list[str]:
    """Return names Arrow accepts as distinct column names (duplicates get a suffix)."""
    seen: dict[str, int] = {}
    out = []
    for n in names:
        k = seen.get(n, 0)
        seen[n] = k + 1
        out.append(n if k == 0 else f"{n}\x00{k}")
    return out


_PRIVATE = "\ue000"  # stands in for a bare CR while splitting a malformed line into fields


def _shown(line: str) -> str:
    return line[:200].replace("\r", "\\r")


def _split_alone(line: str, width: int) -> list[str]:
    """Split one malformed line on commas (CR kept), padded or cut to the header's width."""
    try:
        fields = next(csv.reader([line.replace("\r", _PRIVATE)]))
        fields = [f.replace(_PRIVATE, "\r") for f in fields]
    except (csv.Error, StopIteration):
        fields = [line]
    return (fields + [""] * width)[:width]


def _parse_rows(text: str, header: list[str]) -> pd.DataFrame:
    """Parse CSV text row by row (Python's csv module), keeping and marking bad rows.

    Used only when Arrow cannot be trusted with the file (so well-formed files stay on the fast
    path). Only LF ends a line. A short row is padded with empty fields, a long one cut to the
    header's width; a line with a CR inside an unquoted field (or another CSV error) becomes one
    row split on commas, CR kept. A quote that opens and does not close before a line that is
    itself a whole row (:func:`_whole_row`) makes only its own line malformed, and the lines
    after it are read as rows again: an unbalanced quote never swallows the rest of the file.
    Column :data:`MALFORMED` says what was wrong and keeps the line, so cleaning rejects the
    row with reason ``malformed_row`` instead of refusing the whole file. Blank lines are
    skipped, as Arrow does. Fields may be of any length (no csv field-size limit).
    """
    csv.field_size_limit(sys.maxsize)
    width = len(header)
    lines = text.split("\n")
    head = csv.reader(io.StringIO(text, newline="\n"))
    next(head)
    pos = head.line_num  # physical lines of the header
    rows: list[list[str]] = []
    problems: list[str | None] = []
    while pos < len(lines):
        reader = csv.reader(line + "\n" for line in itertools.islice(lines, pos, None))
        try:
            fields = next(reader)
            error = None
        except StopIteration:
            break
        except csv.Error as exc:
            error = str(exc)
            fields = None
        used = max(1, reader.line_num)
        first = pos + 1
        verbatim = "\n".join(lines[pos : pos + used]).removesuffix("\r")
        if (
            fields is not None
            and used > 1
            and any(_whole_row(line, width) for line in lines[pos + 1 : pos + used])
        ):
            line = lines[pos].removesuffix("\r")
            problems.append(
                f"line {first}: a quote opens and is not closed before the next "
                f"line, itself a whole row: {_shown(line)}"
            )
            rows.append(_split_alone(line, width))
            pos += 1
            continue
        pos += used
        if fields is None:
            unreadable = (
                "carriage return (CR) inside an unquoted field"
                if "new-line character" in (error or "")
                else f"not valid CSV ({error})"
            )
            problems.append(f"line {first}: {unreadable}: {_shown(verbatim)}")
            rows.append(_split_alone(verbatim, width))
            continue
        if not fields:
            continue
        problem = None
        if len(fields) != width:
            problem = (
                f"line {first}: {len(fields)} field(s) where the header has {width}: "
                f"{_shown(verbatim)}"
            )
            fields = (fields + [""] * width)[:width]
        rows.append(fields)
        problems.append(problem)
    frame = pd.DataFrame(rows, columns=header, dtype="str")
    if any(problem is not None for problem in problems):
        frame[MALFORMED] = pd.Series(problems, dtype="str")
    return frame
