"""Reading and fetching inputs, at the edge: raw files in, string DataFrames out.

Every problem that makes a file unreadable raises :class:`InputError` naming the file and the
problem; nothing is written before all inputs are read.
"""

from __future__ import annotations

import contextlib
import csv
import fcntl
import hashlib
import io
import json
import os
import re
import shutil
import stat
import tempfile
import urllib.error
import urllib.request
from collections.abc import Callable, Iterable, Iterator
from dataclasses import asdict, dataclass, fields
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.csv as pacsv

from marketlib.paths import mirror_dir

#: The aijobs.net salary survey, pinned (see ../shared/data/aijobs/SOURCE.md).
AIJOBS_COMMIT = "9c225876510af8fbdabdb7ca39d1a6d44be0072b"
AIJOBS_URL = (
    "https://raw.githubusercontent.com/foorilla/ai-jobs-net-salaries/"
    f"{AIJOBS_COMMIT}/salaries.csv"
)
AIJOBS_SHA256 = "fce1318d2fa6f574cd36ce192bf3c38debcb61892d15255eb8f772a05e4a5aef"
AIJOBS_COLUMNS = (
    "work_year", "experience_level", "employment_type", "job_title", "salary",
    "salary_currency", "salary_in_usd", "employee_residence", "remote_ratio",
    "company_location", "company_size",
)


class InputError(Exception):
    """A file that cannot be used at all; the message names the file and the problem."""

    def __init__(self, path: str | os.PathLike[str], problem: str) -> None:
        self.path = str(path)
        self.problem = problem
        super().__init__(f"{self.path}: {problem}")


@dataclass(frozen=True)
class RawTable:
    """A raw CSV read as text: the frame (all ``str``), its path and its sha256."""

    frame: pd.DataFrame
    path: Path
    sha256: str


def sha256_bytes(data: bytes) -> str:
    """Return the hex sha256 of ``data``."""
    return hashlib.sha256(data).hexdigest()


def sha256_file(path: str | os.PathLike[str]) -> str:
    """Return the hex sha256 of a file, read in chunks."""
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


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
        raise InputError(p, f"file is {_size_text(st.st_size)}, over the input limit of "
                            f"{_size_text(limit)} (set MARKETLIB_MAX_INPUT_BYTES to raise it)")


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
        raise InputError(p, f"file grew past the input limit of {_size_text(max_input_bytes())} "
                            "while being read")
    return data


_BOMS = (  # longest first: the UTF-32 LE mark starts with the UTF-16 LE one
    (b"\xff\xfe\x00\x00", "UTF-32 (LE)"), (b"\x00\x00\xfe\xff", "UTF-32 (BE)"),
    (b"\xff\xfe", "UTF-16 (LE)"), (b"\xfe\xff", "UTF-16 (BE)"),
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
    missing = [c for c in required if c not in cols]
    for group in any_of:
        if not any(g in cols for g in group):
            missing.append(" or ".join(group))
    if missing:
        raise InputError(
            p, f"required column(s) missing: {', '.join(missing)} (found: {', '.join(cols)})"
        )
    return RawTable(frame=frame, path=p, sha256=sha256_bytes(data))


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
        head = text_start[:1 << 16].decode("utf-8", "ignore")
        header = next(csv.reader(io.StringIO(head, newline="" if cr_only else "\n")))
    except (StopIteration, csv.Error) as exc:
        raise InputError(p, f"not a valid CSV header ({exc})") from exc
    if not cr_only and _has_bare_cr(text_start):
        _check_utf8(p, data)
        return _parse_rows(text_start.decode("utf-8"), header)
    ragged: list[int] = []

    def skip(row: object) -> str:  # a row whose field count differs from the header's
        ragged.append(1)
        return "skip"

    try:
        table = pacsv.read_csv(
            io.BytesIO(text_start),
            read_options=pacsv.ReadOptions(use_threads=True, block_size=1 << 24),
            parse_options=pacsv.ParseOptions(invalid_row_handler=skip,
                                             newlines_in_values=b'"' in text_start),
            convert_options=pacsv.ConvertOptions(
                column_types={h: pa.string() for h in header},
                strings_can_be_null=False, quoted_strings_can_be_null=False),
        )
    except (pa.ArrowInvalid, ValueError) as exc:
        _check_utf8(p, data)
        msg = str(exc).strip().splitlines()[0][:300]
        raise InputError(p, f"not a valid CSV ({msg})") from exc
    if ragged:
        text = text_start.decode("utf-8")
        return _parse_rows(text if "\n" in text else text.replace("\r", "\n"), header)
    return table.to_pandas(types_mapper={pa.string(): pd.StringDtype("pyarrow", na_value=np.nan)}
                           .get)


_PRIVATE = "\ue000"  # stands in for a bare CR while splitting a malformed line into fields


def _shown(line: str) -> str:
    return line[:200].replace("\r", "\\r")


def _parse_rows(text: str, header: list[str]) -> pd.DataFrame:
    """Parse CSV text row by row (Python's csv module), keeping and marking bad rows.

    Used only when Arrow cannot be trusted with the file (so well-formed files stay on the fast
    path). Only LF ends a line. A short row is padded with empty fields, a long one cut to the
    header's width; a line with a CR inside an unquoted field (or another CSV error) becomes one
    row split on commas, CR kept. Column :data:`MALFORMED` says what was wrong and keeps the
    line, so cleaning rejects the row with reason ``malformed_row`` instead of refusing the
    whole file. Blank lines are skipped, as Arrow does.
    """
    width = len(header)
    reader = csv.reader(io.StringIO(text, newline="\n"))
    next(reader)
    lines = text.split("\n")
    rows: list[list[str]] = []
    problems: list[str | None] = []
    done = reader.line_num  # physical lines consumed so far
    while True:
        try:
            fields = next(reader)
            error = None
        except StopIteration:
            break
        except csv.Error as exc:
            error = str(exc)
            fields = None
        first, done = done + 1, reader.line_num
        verbatim = "\n".join(lines[first - 1:done]).removesuffix("\r")
        if fields is None:
            problem = ("carriage return (CR) inside an unquoted field"
                       if "new-line character" in (error or "") else f"not valid CSV ({error})")
            problems.append(f"line {first}: {problem}: {_shown(verbatim)}")
            try:
                fields = next(csv.reader([verbatim.replace("\r", _PRIVATE)]))
                fields = [f.replace(_PRIVATE, "\r") for f in fields]
            except csv.Error:
                fields = [verbatim]
            rows.append((fields + [""] * width)[:width])
            continue
        if not fields:
            continue
        problem = None
        if len(fields) != width:
            problem = (f"line {first}: {len(fields)} field(s) where the header has {width}: "
                       f"{_shown(verbatim)}")
            fields = (fields + [""] * width)[:width]
        rows.append(fields)
        problems.append(problem)
    frame = pd.DataFrame(rows, columns=header, dtype="str")
    if any(problem is not None for problem in problems):
        frame[MALFORMED] = pd.Series(problems, dtype="str")
    return frame


def _umask() -> int:
    """Return the process umask without changing it (Linux ``/proc``), else via ``os.umask``."""
    try:
        with open("/proc/self/status", encoding="ascii") as fh:
            for line in fh:
                if line.startswith("Umask:"):
                    return int(line.split()[1], 8)
    except (OSError, ValueError, IndexError):
        pass
    mask = os.umask(0o022)  # no way to read it without setting it elsewhere
    os.umask(mask)
    return mask


def atomic_write_bytes(path: str | os.PathLike[str], data: bytes) -> None:
    """Write ``data`` to ``path`` through a temporary file, an fsync and a rename.

    The file gets the mode any tool would give it: an existing file's mode is kept, a new file
    gets ``0o666 & ~umask`` (not the ``0o600`` of a bare temporary file). On failure the old
    file is untouched and no temporary file is left.
    """
    atomic_write_with(path, lambda fh: fh.write(data))


def atomic_write_with(path: str | os.PathLike[str], write: Callable[[Any], Any]) -> None:
    """Like :func:`atomic_write_bytes` for a writer that streams into the binary file handle.

    ``write(fh)`` writes the content; the file is then fsynced and renamed over ``path``
    (so a large output is never held twice in memory).
    """
    p = Path(path)
    p.parent.mkdir(parents=True, exist_ok=True)
    try:
        mode = stat.S_IMODE(os.stat(p).st_mode)
    except OSError:
        mode = 0o666 & ~_umask()
    fd, tmp = tempfile.mkstemp(prefix=f".{p.name}.", suffix=".tmp", dir=p.parent)
    try:
        with os.fdopen(fd, "wb") as fh:
            os.fchmod(fh.fileno(), mode)
            write(fh)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, p)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def atomic_write_parquet(frame: pd.DataFrame, path: str | os.PathLike[str]) -> None:
    """Write a DataFrame as Parquet atomically (streamed to the temporary file)."""
    atomic_write_with(path, lambda fh: frame.to_parquet(fh, index=False))


#: First characters that make a spreadsheet read a cell as a formula (OWASP "CSV injection").
FORMULA_TRIGGERS = "=+-@\t\r"
_TRIGGER_CLASS = "[=+\\-@\\t\\r]"
_NEUTRALISED = re.compile(f"'+{_TRIGGER_CLASS}", re.DOTALL)  # what a reader un-prefixes
_PLAIN_NUMBER = r"[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?"


def neutralise_formulas(values: pd.Series) -> pd.Series:
    """Prefix ``'`` to text cells a spreadsheet would run as a formula (OWASP CSV injection).

    Rule: a text value whose first character after any leading ``'`` is one of ``= + - @``
    TAB or CR gets one more ``'`` in front, unless it is a plain number ("-3", "+1.5e3":
    a spreadsheet reads those as numbers, never as formulas, so they stay as they are).
    Prefixing values that already start with ``'`` + trigger keeps the rule reversible:
    :func:`restore_formulas` removes exactly one ``'`` from every value matching ``'+``
    trigger, so ``restore_formulas(neutralise_formulas(v)) == v`` for every text. Missing
    values and non-text cells are left alone.
    """
    text = values.astype("str")
    if isinstance(values.dtype, pd.StringDtype) or pd.api.types.infer_dtype(
            values, skipna=True) in ("string", "empty"):
        is_text = values.notna()
    else:  # mixed object column: only the str cells are text
        is_text = values.map(lambda v: isinstance(v, str), na_action="ignore").fillna(False)
    if not is_text.any():
        return values
    hit = (is_text.astype(bool)
           & text.str.match(f"'*{_TRIGGER_CLASS}").fillna(False).astype(bool))
    if not hit.any():
        return values
    flags = hit.to_numpy(dtype=bool).copy()
    pos = np.flatnonzero(flags)  # a plain number is checked only where a trigger leads
    flags[pos] = ~text.iloc[pos].str.fullmatch(_PLAIN_NUMBER).fillna(False).to_numpy(dtype=bool)
    hit = pd.Series(flags, index=values.index)
    if not hit.any():
        return values
    out = values.astype("object").copy()
    out[hit] = "'" + text[hit]
    return out


def restore_formulas(values: pd.Series) -> pd.Series:
    """Undo :func:`neutralise_formulas` on text read back from a neutralised CSV."""
    text = values.astype("str")
    hit = text.str.match(_NEUTRALISED.pattern).fillna(False).astype(bool)
    if not hit.any():
        return values
    out = values.astype("object").copy()
    out[hit] = text[hit].str.slice(1)
    return out


def atomic_write_csv(frame: pd.DataFrame, path: str | os.PathLike[str],
                     neutralise: bool = True) -> None:
    """Write a DataFrame as UTF-8 CSV atomically, safe to open in a spreadsheet.

    Parameters
    ----------
    frame
        The table; its column names are written as the header.
    path
        The file.
    neutralise
        Prefix ``'`` to text cells and header names that a spreadsheet would run as formulas
        (rule in :func:`neutralise_formulas`; :func:`read_rejected_csv` undoes it).

    Notes
    -----
    Every text field is quoted (``csv.QUOTE_NONNUMERIC``), so commas, quotes, CR and LF inside
    values survive a re-read; numbers are written bare; missing values as empty fields.
    """
    out = frame
    if neutralise:
        out = frame.copy()
        for col in out.columns:
            if not (pd.api.types.is_numeric_dtype(out[col].dtype)
                    or pd.api.types.is_bool_dtype(out[col].dtype)):
                out[col] = neutralise_formulas(out[col])
        out.columns = list(neutralise_formulas(pd.Series([str(c) for c in out.columns],
                                                          dtype="object")))
    def write(fh: Any) -> None:  # in row chunks: the text is never held whole in memory
        for i, part in enumerate(_row_chunks(out)):
            fh.write(part.to_csv(index=False, header=i == 0, lineterminator="\n",
                                 quoting=csv.QUOTE_NONNUMERIC).encode("utf-8"))

    atomic_write_with(path, write)


def _row_chunks(frame: pd.DataFrame, rows: int = 20_000) -> Iterator[pd.DataFrame]:
    """Yield ``frame`` in consecutive row blocks (the whole, empty, frame when it has none)."""
    if len(frame) == 0:
        yield frame
        return
    for start in range(0, len(frame), rows):
        yield frame.iloc[start:start + rows]


def atomic_write_jsonl(frame: pd.DataFrame, path: str | os.PathLike[str]) -> None:
    """Write a DataFrame as JSON lines atomically: one object per row, values exact.

    Text is kept exactly (no formula neutralisation: JSON is not opened as a spreadsheet),
    missing values are ``null``, dates ISO 8601, floats to 15 significant digits.
    """
    if len(frame) == 0:
        atomic_write_bytes(path, b"")
        return

    def write(fh: Any) -> None:  # one record per line, so row chunks join exactly
        for part in _row_chunks(frame):
            text = part.to_json(orient="records", lines=True, force_ascii=False,
                                date_format="iso", double_precision=15)
            fh.write((text.rstrip("\n") + "\n").encode("utf-8"))

    atomic_write_with(path, write)


def read_jsonl(path: str | os.PathLike[str]) -> pd.DataFrame:
    """Read a file written by :func:`atomic_write_jsonl` (values as JSON gave them)."""
    import json

    with open(path, encoding="utf-8") as fh:
        records = [json.loads(line) for line in fh if line.strip()]
    return pd.DataFrame.from_records(records) if records else pd.DataFrame()


def write_rejected(frame: pd.DataFrame, path: str | os.PathLike[str]) -> tuple[Path, Path]:
    """Write rejected rows as ``path`` (neutralised CSV) and ``path`` with ``.jsonl`` (exact).

    Returns the two paths. The CSV is for people (spreadsheet-safe); the JSON-lines sibling is
    for programs and keeps every value verbatim, types included.
    """
    p = Path(path)
    jsonl = p.with_suffix(".jsonl")
    atomic_write_csv(frame, p)
    atomic_write_jsonl(frame, jsonl)
    return p, jsonl


def read_rejected_csv(path: str | os.PathLike[str]) -> pd.DataFrame:
    """Read a CSV written by :func:`atomic_write_csv`, undoing the formula neutralisation.

    Every column comes back as text (numbers as written, e.g. ``source_row`` "3"); an empty
    field is ``""`` (a missing value was written empty: use the ``.jsonl`` sibling to tell the
    two apart). For the rows of a rejected file, ``read_rejected_csv(p)`` equals the written
    frame's text.
    """
    with open(path, encoding="utf-8", newline="") as fh:
        rows = list(csv.reader(fh))
    if not rows:
        return pd.DataFrame()
    header = list(restore_formulas(pd.Series(rows[0], dtype="object")))
    frame = pd.DataFrame(rows[1:], columns=header, dtype="object")
    for col in range(frame.shape[1]):
        frame.isetitem(col, restore_formulas(frame.iloc[:, col]).astype("object"))
    return frame


@contextlib.contextmanager
def atomic_output_dir(final_dir: str | os.PathLike[str],
                      replace: Iterable[str] = ()) -> Iterator[Path]:
    """Write a set of output files into ``final_dir`` all together, or not at all.

    Yields a fresh staging folder (a hidden sibling of ``final_dir``). Write every output into
    it; when the ``with`` block ends without an error, each staged file (subfolders too) is
    fsynced and renamed over its counterpart in ``final_dir``, under an exclusive ``flock`` on
    ``final_dir`` so two concurrent writers never interleave their files (the last one wins as
    a whole). Files of ``final_dir`` that were not staged are left alone. On an error, or if
    the process is killed before the swap, ``final_dir`` keeps its previous files and the
    staging folder is removed (a killed process's leftover staging folder is removed by the
    next call; it is hidden and never inside ``final_dir``).

    A staged entry of another kind than what ``final_dir`` holds under that name (a table file
    where an earlier run left a ``rates.parquet/`` dataset folder, or the reverse) replaces it,
    as does every entry named in ``replace`` (e.g. a dataset folder, so no part of an earlier
    run lingers): under the lock the old entry is first renamed to a hidden sibling of
    ``final_dir``, the new one is moved in, then the old one is deleted.

    Examples
    --------
    >>> with atomic_output_dir(out) as tmp:                              # doctest: +SKIP
    ...     atomic_write_parquet(result.clean, tmp / "rates.parquet")
    ...     write_rejected(result.rejected, tmp / "rates_rejected.csv")
    ...     atomic_write_bytes(tmp / "rates_clean_report.json", report_bytes)
    """
    final = Path(final_dir)
    final.mkdir(parents=True, exist_ok=True)
    prefix = f".{final.name}.staging-"
    aside_prefix = f".{final.name}.old-"
    _remove_stale_staging(final.parent, prefix)
    _remove_stale_staging(final.parent, aside_prefix)
    staging = Path(tempfile.mkdtemp(prefix=f"{prefix}{os.getpid()}-", dir=final.parent))
    aside: list[Path] = []
    replace = set(replace)
    try:
        yield staging
        files = sorted(f for f in staging.rglob("*") if f.is_file() and not f.is_symlink())
        for f in files:
            with open(f, "rb") as fh:
                os.fsync(fh.fileno())
        fd = os.open(final, os.O_RDONLY | getattr(os, "O_DIRECTORY", 0))
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)
            for name in sorted({f.relative_to(staging).parts[0] for f in files}):
                target = final / name
                if not (target.exists() or target.is_symlink()):
                    continue
                if name in replace or (staging / name).is_dir() != target.is_dir():
                    old = final.parent / f"{aside_prefix}{os.getpid()}-{len(aside)}-{name}"
                    os.rename(target, old)
                    aside.append(old)
            for f in files:
                target = final / f.relative_to(staging)
                target.parent.mkdir(parents=True, exist_ok=True)
                os.replace(f, target)
            os.fsync(fd)
        finally:
            os.close(fd)  # releases the lock
        for old in aside:
            if old.is_dir() and not old.is_symlink():
                shutil.rmtree(old, ignore_errors=True)
            else:
                old.unlink(missing_ok=True)
    finally:
        shutil.rmtree(staging, ignore_errors=True)


def _remove_stale_staging(parent: Path, prefix: str) -> None:
    """Remove staging folders left by processes that no longer exist."""
    for old in parent.glob(f"{prefix}*"):
        try:
            pid = int(old.name[len(prefix):].split("-", 1)[0])
            os.kill(pid, 0)
        except (ValueError, ProcessLookupError):
            shutil.rmtree(old, ignore_errors=True)
        except OSError:
            pass  # alive (or not ours to signal): leave it


@dataclass(frozen=True)
class Dataset:
    """A public file the project fetches: where it lives upstream and in a mirror, its hash.

    ``repo`` (``owner/name`` on GitHub), ``upstream_path`` (the file inside it) and ``commit``
    (the pinned commit) let :func:`fetch` take the same file at another upstream version;
    ``track`` is the path whose newest commit is the dataset's ``latest`` version (the file, or
    the folder of a release published as several files).
    """

    name: str
    relpath: str  # under the mirror and under the destination folder
    url: str
    sha256: str
    repo: str | None = None
    upstream_path: str | None = None
    commit: str | None = None
    track: str | None = None

    def raw_url(self, commit: str) -> str:
        """Return the raw-file address of this file at ``commit`` (``MARKETLIB_GITHUB_RAW``)."""
        if self.repo is None or self.upstream_path is None:
            raise InputError(self.name, "no upstream repository known: only the pinned file")
        return f"{github_raw_base()}/{self.repo}/{commit}/{self.upstream_path}"


PPP_PLR_FILE = "API_PA.NUS.PPPC.RF_DS2_en_csv_v2_1665754.csv"
PPP_COMMIT = "1473f4e537c117922502981b703d3346d4f00a20"
PPP_UPSTREAM = f"data/source/worldbank/API_PA.NUS.PPPC.RF_DS2_en_csv_v2_1665754/{PPP_PLR_FILE}"
DATASETS = {
    "aijobs": Dataset("aijobs", "aijobs/salaries.csv", AIJOBS_URL, AIJOBS_SHA256,
                      "foorilla/ai-jobs-net-salaries", "salaries.csv", AIJOBS_COMMIT,
                      "salaries.csv"),
    "ppp": Dataset(
        "ppp", f"ppp/{PPP_PLR_FILE}",
        f"https://raw.githubusercontent.com/relatoscondatos/data_global/{PPP_COMMIT}/"
        f"{PPP_UPSTREAM}",
        "1696cb983d0c8d090bab816a8ed7019fe9f772ea5f31bffc76575f1efa032818",
        "relatoscondatos/data_global", PPP_UPSTREAM, PPP_COMMIT, PPP_UPSTREAM,
    ),
}

#: The GitHub Innovation Graph release "release q3 2025 data", pinned (see
#: ../shared/data/innovationgraph/SOURCE.md); one dataset per file, fetched together as
#: ``innovationgraph``.
INNOVATIONGRAPH_COMMIT = "882cd69904170d39bb25205543fb34c813bed9f5"
INNOVATIONGRAPH_SHA256 = {
    "topics": "f92d3a687ca28d64c818389c88e951fda16f08aa62f2bf356b9c62600643adea",
    "developers": "6e5f2d867da68e9141ba4ed90c6d88ccf020c2196ac9f1b5497c99d464425d1d",
    "git_pushes": "4a0f800a6254b7b28e718fb8b2208684187070bf2cdc1466499d490619747db0",
    "repositories": "4c0cffba5d3aaeeb45fe36f6edc48cf4ec92f701c8bf826e4acb0cdaad192478",
    "organizations": "b19b16a33d828201302dd057a38f4cb1d803fdf1ae71ab6e2cc06503ae93ae0d",
}
DATASETS.update({
    f"innovationgraph/{f}": Dataset(
        f"innovationgraph/{f}", f"innovationgraph/{f}.csv",
        "https://raw.githubusercontent.com/github/innovationgraph/"
        f"{INNOVATIONGRAPH_COMMIT}/data/{f}.csv", digest,
        "github/innovationgraph", f"data/{f}.csv", INNOVATIONGRAPH_COMMIT, "data",
    )
    for f, digest in INNOVATIONGRAPH_SHA256.items()
})
#: Names that fetch several datasets at once.
DATASET_GROUPS: dict[str, tuple[str, ...]] = {
    "innovationgraph": tuple(f"innovationgraph/{f}" for f in INNOVATIONGRAPH_SHA256),
}


def dataset_names(name: str, ref: str | None = None) -> list[str]:
    """Return the datasets a fetch name stands for: ``all``, a group, or one dataset.

    With ``ref`` naming a known snapshot (``marketlib.data/snapshots.csv``, e.g. ``2024q4``),
    a group stands for the members that snapshot holds (the Q4 2024 Innovation Graph release
    is known for ``topics`` and ``developers`` only).

    Raises
    ------
    KeyError
        Not a dataset, a group or ``all``.
    """
    if name == "all":
        names = list(DATASETS)
    elif name in DATASET_GROUPS:
        names = list(DATASET_GROUPS[name])
    elif name in DATASETS:
        return [name]
    else:
        raise KeyError(f"unknown dataset {name!r}; expected all, "
                       f"{', '.join([*DATASET_GROUPS, *DATASETS])}")
    if ref is not None and ref not in ("pinned", "latest") and not _is_commit(ref):
        known = [n for n in names if (n, ref) in snapshots()]
        if known:
            return known
    return names


# --- snapshots: other upstream versions, with provenance ---------------------------------------

#: Upstream addresses; ``MARKETLIB_GITHUB_API`` / ``MARKETLIB_GITHUB_RAW`` override them (tests
#: point them at a stand-in server on 127.0.0.1).
GITHUB_API = "https://api.github.com"
GITHUB_RAW = "https://raw.githubusercontent.com"

_COMMIT = re.compile(r"[0-9a-f]{40}")


def github_api_base() -> str:
    """Return the GitHub API base address (``MARKETLIB_GITHUB_API`` overrides it)."""
    return (os.environ.get("MARKETLIB_GITHUB_API") or GITHUB_API).rstrip("/")


def github_raw_base() -> str:
    """Return the raw-file base address (``MARKETLIB_GITHUB_RAW`` overrides it)."""
    return (os.environ.get("MARKETLIB_GITHUB_RAW") or GITHUB_RAW).rstrip("/")


def _is_commit(ref: str) -> bool:
    return bool(_COMMIT.fullmatch(ref))


@dataclass(frozen=True)
class Snapshot:
    """An earlier upstream version of a dataset with a known sha256 (and maybe a mirror copy)."""

    dataset: str
    ref: str  # the label used on the command line (``2024-10-27``, ``2024q4``)
    commit: str
    published: str | None
    mirror_path: str  # relative to MARKETLIB_MIRROR
    sha256: str
    note: str = ""


_SNAPSHOTS: dict[tuple[str, str], Snapshot] = {}


def snapshots() -> dict[tuple[str, str], Snapshot]:
    """Return the known earlier snapshots, keyed by ``(dataset, ref label)``.

    Read once from the package file ``data/snapshots.csv`` (commits and sha256 from the
    mirror's SOURCE.md files).
    """
    if not _SNAPSHOTS:
        from marketlib.paths import PACKAGE_DATA

        with open(PACKAGE_DATA / "snapshots.csv", encoding="utf-8", newline="") as fh:
            for row in csv.DictReader(fh):
                snap = Snapshot(row["dataset"], row["ref"], row["commit"],
                                row["published"] or None, row["mirror_path"], row["sha256"],
                                row.get("note") or "")
                _SNAPSHOTS[(snap.dataset, snap.ref)] = snap
    return _SNAPSHOTS


def snapshot_refs(name: str) -> list[str]:
    """Return the labels of the known snapshots of dataset ``name`` (e.g. ``["2024q4"]``)."""
    return [ref for (ds, ref) in snapshots() if ds == name]


@dataclass(frozen=True)
class Provenance:
    """Where a fetched file came from: upstream version, address, hash and retrieval time.

    ``ref`` is what was asked for (``pinned``, a snapshot label, ``latest`` or a commit);
    ``commit`` the upstream commit it resolved to; ``url`` the canonical upstream address of
    the bytes; ``mirror_path`` the mirror-relative path when they were copied from
    ``MARKETLIB_MIRROR`` (never an absolute path); ``sha256_verified`` says whether the hash
    was checked against a pinned value (a new upstream version has none: it is only recorded);
    ``file`` is the file's path under the fetch destination.
    """

    dataset: str
    repo: str | None
    ref: str
    commit: str | None
    url: str | None
    mirror_path: str | None
    sha256: str
    sha256_verified: bool
    retrieved_at: str
    published: str | None = None
    file: str | None = None

    def to_dict(self) -> dict[str, Any]:
        """Return the record as JSON-ready values (results.json ``run.provenance`` items)."""
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Provenance:
        """Build a record from :meth:`to_dict` output (unknown keys ignored)."""
        names = {f.name for f in fields(cls)}
        return cls(**{k: v for k, v in data.items() if k in names})


PROVENANCE_SUFFIX = ".provenance.json"


def provenance_path(path: str | os.PathLike[str]) -> Path:
    """Return the sidecar path of a fetched file: ``<file>.provenance.json`` beside it."""
    p = Path(path)
    return p.with_name(p.name + PROVENANCE_SUFFIX)


def write_provenance(path: str | os.PathLike[str], prov: Provenance) -> Path:
    """Write ``prov`` as the sidecar of ``path`` (atomically); return the sidecar's path."""
    side = provenance_path(path)
    atomic_write_bytes(side, (json.dumps(prov.to_dict(), indent=2) + "\n").encode("utf-8"))
    return side


def read_provenance(path: str | os.PathLike[str]) -> Provenance | None:
    """Return the provenance recorded beside a fetched file, or ``None`` without a sidecar.

    A sidecar whose sha256 no longer matches the file (the file was replaced) is not trusted:
    ``None`` as well.
    """
    side = provenance_path(path)
    if not side.is_file():
        return None
    try:
        prov = Provenance.from_dict(json.loads(side.read_text(encoding="utf-8")))
    except (ValueError, TypeError, UnicodeDecodeError):
        return None
    if not Path(path).is_file() or sha256_cached(path) != prov.sha256:
        return None
    return prov


def provenance_of(path: str | os.PathLike[str]) -> Provenance | None:
    """Return the provenance of an input file: its sidecar, else what its sha256 tells.

    A file without sidecar whose sha256 is a pinned dataset's or a known snapshot's (e.g. a
    mirror copy found by :func:`locate`) gets that version's record (``retrieved_at``: the
    file's modification time). Anything else: ``None`` (a user file; the report records its
    sha256 only).
    """
    p = Path(path)
    found = read_provenance(p)
    if found is not None or not p.is_file():
        return found
    digest = sha256_cached(p)
    when = datetime.fromtimestamp(p.stat().st_mtime, UTC).isoformat(timespec="seconds")
    for ds in DATASETS.values():
        if ds.sha256 == digest:
            return Provenance(ds.name, ds.repo, "pinned", ds.commit, ds.url, None, digest, True,
                              when, None, ds.relpath)
    for snap in snapshots().values():
        if snap.sha256 == digest:
            ds = DATASETS[snap.dataset]
            return Provenance(ds.name, ds.repo, snap.ref, snap.commit,
                              ds.raw_url(snap.commit) if ds.repo else None, None, digest, True,
                              when, snap.published, None)
    return None


@dataclass(frozen=True)
class ResolvedRef:
    """An upstream version of one dataset: what was asked, the commit, where it lands."""

    ref: str  # pinned | a snapshot label | latest | a commit
    commit: str | None
    label: str | None  # folder under <dataset folder>/snapshots/ (None: the pinned place)
    sha256: str | None  # known hash (verified), or None (computed and recorded only)
    published: str | None = None
    snapshot: Snapshot | None = None

    @property
    def pinned(self) -> bool:
        """Whether this is the dataset's pinned version (it lands at its usual path)."""
        return self.label is None


#: "latest" resolutions of this process: (api base, repo, path) -> (time, commit, date).
_LATEST: dict[tuple[str, str, str], tuple[float, str, str | None]] = {}
_LATEST_TTL = 600.0


def latest_commit(repo: str, path: str, timeout: float = 60.0) -> tuple[str, str | None]:
    """Return the newest commit touching ``path`` in GitHub repository ``repo``, and its date.

    Asks ``<api>/repos/<repo>/commits?path=<path>&per_page=1`` (``MARKETLIB_GITHUB_API``
    overrides the API base). The answer is reused for ten minutes within the process, so the
    files of one release resolve to one commit.

    Raises
    ------
    InputError
        Network unreachable, or an answer that is not a list of commits.
    """
    import time
    import urllib.parse

    api = github_api_base()
    key = (api, repo, path)
    hit = _LATEST.get(key)
    if hit is not None and time.monotonic() - hit[0] < _LATEST_TTL:
        return hit[1], hit[2]
    url = (f"{api}/repos/{repo}/commits?"
           f"{urllib.parse.urlencode({'path': path, 'per_page': 1})}")
    req = urllib.request.Request(url, headers={  # noqa: S310
        "Accept": "application/vnd.github+json", "User-Agent": "marketlib"})
    try:
        with urllib.request.urlopen(req, timeout=timeout) as resp:  # noqa: S310
            body = json.loads(resp.read().decode("utf-8"))
    except (urllib.error.URLError, TimeoutError, OSError) as exc:
        reason = getattr(exc, "reason", exc)
        raise InputError(url, f"cannot resolve the latest version ({reason}); it needs the "
                              "network: use --ref with a commit or a mirrored snapshot") from exc
    except (ValueError, UnicodeDecodeError) as exc:
        raise InputError(url, f"not a JSON answer ({exc})") from exc
    try:
        sha = str(body[0]["sha"])
        commit_info = body[0].get("commit") or {}
        who = commit_info.get("committer") or commit_info.get("author") or {}
        date_text = str(who["date"])[:10] if who.get("date") else None
    except (IndexError, KeyError, TypeError, AttributeError) as exc:
        raise InputError(url, "no commit in the answer (wrong repository or path?)") from exc
    if not _is_commit(sha):
        raise InputError(url, f"answer's commit {sha[:60]!r} is not a full commit hash")
    if date_text is not None and not re.fullmatch(r"\d{4}-\d{2}-\d{2}", date_text):
        date_text = None
    _LATEST[key] = (time.monotonic(), sha, date_text)
    return sha, date_text


def resolve_ref(name: str, ref: str | None, timeout: float = 60.0) -> ResolvedRef:
    """Say which upstream version of dataset ``name`` a ref means.

    Parameters
    ----------
    name
        A dataset of :data:`DATASETS`.
    ref
        ``None`` or ``"pinned"``: the pinned version; a snapshot label of
        :func:`snapshot_refs` (``2024-10-27``, ``2024q4``); ``"latest"``: the newest commit
        published upstream (asks the GitHub API: needs the network); or a full 40-hex commit.
    timeout
        Seconds to wait for the API.

    Raises
    ------
    InputError
        An unknown ref, a dataset without an upstream repository, or ``latest`` unresolvable.
    """
    ds = DATASETS[name]
    if ref is None or ref == "pinned" or ref == ds.commit:
        return ResolvedRef("pinned", ds.commit, None, ds.sha256)
    snap = snapshots().get((name, ref))
    if snap is None and _is_commit(ref):
        snap = next((s for s in snapshots().values()
                     if s.dataset == name and s.commit == ref), None)
    if snap is not None:
        return ResolvedRef(snap.ref, snap.commit, snap.ref, snap.sha256, snap.published, snap)
    sibling = next((s for s in snapshots().values()
                    if s.ref == ref and _group_of(s.dataset) == _group_of(name)), None)
    if sibling is not None:  # a release known by other files: same commit, hash not known
        return ResolvedRef(ref, sibling.commit, ref, None, sibling.published)
    if ds.repo is None:
        raise InputError("--ref", f"{name} has no upstream repository: only the pinned file")
    if ref == "latest":
        commit, when = latest_commit(ds.repo, ds.track or ds.upstream_path or "", timeout)
        if commit == ds.commit:
            return ResolvedRef("latest", commit, None, ds.sha256)
        known = next((s for s in snapshots().values()
                      if s.dataset == name and s.commit == commit), None)
        return ResolvedRef("latest", commit, when or commit[:12],
                           known.sha256 if known else None, when, known)
    if _is_commit(ref):
        return ResolvedRef(ref, ref, ref, None)
    labels = snapshot_refs(name)
    raise InputError("--ref", f"unknown ref {ref!r} for {name}: expected pinned, latest, a full "
                              f"40-character commit hash"
                              + (f" or a known snapshot ({', '.join(labels)})" if labels else ""))


def _group_of(name: str) -> str:
    return next((g for g, members in DATASET_GROUPS.items() if name in members), name)


def _download(url: str, timeout: float, hint: str) -> bytes:
    try:
        with urllib.request.urlopen(url, timeout=timeout) as resp:  # noqa: S310
            return resp.read()
    except (urllib.error.URLError, TimeoutError, OSError) as exc:
        reason = getattr(exc, "reason", exc)
        raise InputError(url, f"download failed ({reason}); {hint}") from exc


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


def fetch_snapshot(name: str, dest: str | os.PathLike[str], ref: str | None = None,
                   timeout: float = 60.0) -> tuple[Path, Provenance]:
    """Get dataset ``name`` at an upstream version into ``dest``; return it and its provenance.

    The pinned version (``ref`` ``None``) lands at ``dest/<relpath>`` as :func:`fetch` always
    did; any other version lands under ``dest/<dataset folder>/snapshots/<label>/`` (the
    snapshot label, the commit date for ``latest``, or the commit), so the pinned file is never
    overwritten. A known version's sha256 is verified; a new one's is computed and recorded.
    With ``MARKETLIB_MIRROR`` set, the pinned file and the mirrored snapshots are copied from
    the mirror; ``latest`` and other commits are always downloaded from
    ``MARKETLIB_GITHUB_RAW`` (default raw.githubusercontent.com). Each file gets a
    ``<file>.provenance.json`` sidecar (:func:`write_provenance`).

    Raises
    ------
    InputError
        Unknown ref, mirror file missing, network unreachable, or checksum mismatch.
    """
    ds = DATASETS[name]
    res = resolve_ref(name, ref, timeout)
    root = Path(dest)
    if res.pinned:
        rel = ds.relpath
    else:
        folder, _, fname = ds.relpath.partition("/")
        rel = f"{folder}/snapshots/{res.label}/{fname}"
    target = root / rel
    url = ds.url if res.pinned else ds.raw_url(res.commit or "")
    if target.is_file():  # already there: keep it when its hash is the known (or recorded) one
        have = sha256_file(target)
        prov = read_provenance(target)
        if res.sha256 is not None and have == res.sha256:
            if prov is None or prov.commit != res.commit:
                when = datetime.fromtimestamp(target.stat().st_mtime, UTC).isoformat(
                    timespec="seconds")
                prov = Provenance(name, ds.repo, res.ref, res.commit, url, None, have, True,
                                  when, res.published, rel)
                write_provenance(target, prov)
            return target, prov
        if res.sha256 is None and prov is not None and prov.commit == res.commit:
            return target, prov
    mirror = mirror_dir()
    mirror_rel = None
    if mirror is not None and (res.pinned or res.snapshot is not None):
        mirror_rel = ds.relpath if res.pinned or res.snapshot is None else res.snapshot.mirror_path
        src = mirror / mirror_rel
        if not src.is_file():
            raise InputError(src, f"MARKETLIB_MIRROR is set but the mirror has no {name} file "
                                  f"for ref {res.ref}")
        data = src.read_bytes()
        origin = str(src)
    else:
        hint = ("offline? set MARKETLIB_MIRROR=DIR to copy "
                f"DIR/{ds.relpath} instead" if res.pinned else
                "other upstream versions need the network (or a mirrored snapshot)")
        data = _download(url, timeout, hint)
        origin = url
    got = sha256_bytes(data)
    if res.sha256 is not None and got != res.sha256:
        raise InputError(origin, f"sha256 mismatch: expected {res.sha256}, got {got}")
    atomic_write_bytes(target, data)
    prov = Provenance(name, ds.repo, res.ref, res.commit, url, mirror_rel, got,
                      res.sha256 is not None, _now(), res.published, rel)
    write_provenance(target, prov)
    return target, prov


def fetch(name: str, dest: str | os.PathLike[str], timeout: float = 60.0,
          ref: str | None = None) -> Path:
    """Get a public file into ``dest`` at its pinned version (or at ``ref``); return its path.

    With ``MARKETLIB_MIRROR`` set, the pinned file is copied from ``$MARKETLIB_MIRROR/<relpath>``;
    otherwise it is downloaded from its pinned commit and its sha256 verified. The file lands
    atomically; a file already in place with the right hash is kept. ``ref`` takes another
    upstream version (see :func:`fetch_snapshot`, which also returns the provenance record
    written beside the file).

    Raises
    ------
    InputError
        Mirror file missing, network unreachable, or checksum mismatch.
    """
    return fetch_snapshot(name, dest, ref, timeout)[0]


_HASH_CACHE: dict[tuple[str, int, int, int, int], str] = {}


def sha256_cached(path: str | os.PathLike[str]) -> str:
    """Return a file's sha256, computed once per (path, device, inode, size, mtime)."""
    p = Path(path).resolve()
    st = os.stat(p)
    key = (str(p), st.st_dev, st.st_ino, st.st_size, st.st_mtime_ns)
    if key not in _HASH_CACHE:
        _HASH_CACHE[key] = sha256_file(p)
    return _HASH_CACHE[key]


def locate(name: str, raw: str | os.PathLike[str] | None = None) -> Path | None:
    """Return a sha256-verified copy of a dataset: ``raw/<relpath>`` first, then the mirror.

    Nothing is downloaded; ``None`` when neither exists (run ``marketlib fetch``). The hash is
    cached by (path, inode, size, mtime), so repeated calls do not re-read the file.

    Raises
    ------
    InputError
        The first copy found does not have the pinned sha256 (edited, truncated or stale).
    """
    from marketlib.paths import raw_dir

    ds = DATASETS[name]
    candidates = [Path(raw) if raw is not None else raw_dir()]
    mirror = mirror_dir()
    if mirror is not None:
        candidates.append(mirror)
    found = next((c / ds.relpath for c in candidates if (c / ds.relpath).is_file()), None)
    if found is None:
        return None
    got = sha256_cached(found)
    if got != ds.sha256:
        raise InputError(found, f"sha256 mismatch: expected {ds.sha256}, got {got} (a changed "
                                f"or partial copy; re-run marketlib fetch {name})")
    return found


def fetch_aijobs(dest: str | os.PathLike[str], timeout: float = 60.0) -> Path:
    """Get the pinned aijobs salaries file (see :func:`fetch`)."""
    return fetch("aijobs", dest, timeout)


def read_price_level_ratios(path: str | os.PathLike[str]) -> pd.DataFrame:
    """Read the World Bank PA.NUS.PPPC.RF file (wide) into long price level ratios.

    Columns: ``country_iso3``, ``year``, ``price_level_ratio`` (PPP / FX, US = 1).

    Raises
    ------
    InputError
        The file is missing or is not the World Bank's wide layout.
    """
    p = Path(path)
    try:
        raw = pd.read_csv(p, skiprows=4, encoding="utf-8-sig")
    except (OSError, ValueError, UnicodeDecodeError) as exc:
        raise InputError(p, f"not a World Bank indicator file ({exc})") from exc
    if "Country Code" not in raw.columns:
        raise InputError(p, "no 'Country Code' column: not a World Bank indicator file")
    years = [c for c in raw.columns if str(c).isdigit()]
    long = raw.melt(id_vars=["Country Code"], value_vars=years, var_name="year",
                    value_name="price_level_ratio").dropna()
    long = long.rename(columns={"Country Code": "country_iso3"})
    long["year"] = long["year"].astype(int)
    return long[long["price_level_ratio"] > 0].reset_index(drop=True)


def read_reference_table(path: str | os.PathLike[str]) -> pd.DataFrame:
    """Read a small typed reference table (claims, published figures) with pandas' types.

    Raises
    ------
    InputError
        The file is missing or not a CSV.
    """
    p = Path(path)
    if not p.is_file():
        raise InputError(p, "file not found")
    try:
        return pd.read_csv(p)
    except (OSError, ValueError, UnicodeDecodeError) as exc:
        raise InputError(p, f"not a readable CSV ({str(exc).splitlines()[0]})") from exc
