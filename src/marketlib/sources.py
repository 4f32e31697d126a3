"""Reading and fetching inputs, at the edge: raw files in, string DataFrames out.

Every problem that makes a file unreadable raises :class:`InputError` naming the file and the
problem; nothing is written before all inputs are read.
"""

from __future__ import annotations

import csv
import hashlib
import io
import os
import tempfile
import urllib.error
import urllib.request
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

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
        Missing, empty, binary, non-UTF-8 or non-CSV file, duplicate or missing columns.
    """
    p = Path(path)
    if not p.exists():
        raise InputError(p, "file not found")
    if p.is_dir():
        raise InputError(p, "is a directory, not a CSV file")
    try:
        data = p.read_bytes()
    except OSError as exc:
        raise InputError(p, f"cannot be read ({exc.strerror})") from exc
    if not data.strip():
        raise InputError(p, "file is empty (no header row)")
    if b"\x00" in data[:65536]:
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


def _parse_csv_text(p: Path, data: bytes) -> pd.DataFrame:
    """Parse CSV bytes with Arrow's reader: every column text, nothing turned into NA."""
    text_start = data[3:] if data.startswith(b"\xef\xbb\xbf") else data
    try:
        header = next(csv.reader(io.StringIO(text_start[:1 << 16].decode("utf-8",
                                                                        "ignore"))))
    except (StopIteration, csv.Error) as exc:
        raise InputError(p, f"not a valid CSV header ({exc})") from exc
    ragged: list[int] = []

    def skip(row: object) -> str:  # a row whose field count differs from the header's
        ragged.append(1)
        return "skip"

    try:
        table = pacsv.read_csv(
            io.BytesIO(text_start),
            read_options=pacsv.ReadOptions(use_threads=True, block_size=1 << 24),
            parse_options=pacsv.ParseOptions(invalid_row_handler=skip),
            convert_options=pacsv.ConvertOptions(
                column_types={h: pa.string() for h in header},
                strings_can_be_null=False, quoted_strings_can_be_null=False),
        )
    except (pa.ArrowInvalid, ValueError) as exc:
        _check_utf8(p, data)
        msg = str(exc).strip().splitlines()[0][:300]
        raise InputError(p, f"not a valid CSV ({msg})") from exc
    if ragged:
        return _parse_ragged(text_start.decode("utf-8"), header)
    return table.to_pandas(types_mapper={pa.string(): pd.StringDtype("pyarrow", na_value=np.nan)}
                           .get)


def _parse_ragged(text: str, header: list[str]) -> pd.DataFrame:
    """Parse a CSV in which some rows have the wrong number of fields, keeping every row.

    Used only when Arrow found such rows (so well-formed files stay on the fast path). A short
    row is padded with empty fields, a long one cut to the header's width, and column
    :data:`MALFORMED` says what was wrong and keeps the line verbatim, so cleaning rejects the
    row with reason ``malformed_row`` instead of refusing the whole file. Blank lines are
    skipped, as Arrow does.
    """
    width = len(header)
    reader = csv.reader(io.StringIO(text))
    next(reader)
    lines = text.splitlines()
    rows: list[list[str]] = []
    problems: list[str | None] = []
    for fields in reader:
        if not fields:
            continue
        line = reader.line_num
        problem = None
        if len(fields) != width:
            verbatim = lines[line - 1] if line - 1 < len(lines) else ""
            problem = (f"line {line}: {len(fields)} field(s) where the header has {width}: "
                       f"{verbatim[:200]}")
            fields = (fields + [""] * width)[:width]
        rows.append(fields)
        problems.append(problem)
    frame = pd.DataFrame(rows, columns=header, dtype="str")
    frame[MALFORMED] = pd.Series(problems, dtype="str")
    return frame


def atomic_write_bytes(path: str | os.PathLike[str], data: bytes) -> None:
    """Write ``data`` to ``path`` through a temporary file and a rename."""
    p = Path(path)
    p.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{p.name}.", suffix=".tmp", dir=p.parent)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, p)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def atomic_write_parquet(frame: pd.DataFrame, path: str | os.PathLike[str]) -> None:
    """Write a DataFrame as Parquet atomically."""
    buf = io.BytesIO()
    frame.to_parquet(buf, index=False)
    atomic_write_bytes(path, buf.getvalue())


def atomic_write_csv(frame: pd.DataFrame, path: str | os.PathLike[str]) -> None:
    """Write a DataFrame as UTF-8 CSV atomically."""
    atomic_write_bytes(path, frame.to_csv(index=False, lineterminator="\n").encode("utf-8"))


@dataclass(frozen=True)
class Dataset:
    """A public file the project fetches: where it lives upstream and in a mirror, its hash."""

    name: str
    relpath: str  # under the mirror and under the destination folder
    url: str
    sha256: str


PPP_PLR_FILE = "API_PA.NUS.PPPC.RF_DS2_en_csv_v2_1665754.csv"
DATASETS = {
    "aijobs": Dataset("aijobs", "aijobs/salaries.csv", AIJOBS_URL, AIJOBS_SHA256),
    "ppp": Dataset(
        "ppp", f"ppp/{PPP_PLR_FILE}",
        "https://raw.githubusercontent.com/relatoscondatos/data_global/"
        "1473f4e537c117922502981b703d3346d4f00a20/data/source/worldbank/"
        f"API_PA.NUS.PPPC.RF_DS2_en_csv_v2_1665754/{PPP_PLR_FILE}",
        "1696cb983d0c8d090bab816a8ed7019fe9f772ea5f31bffc76575f1efa032818",
    ),
}


def fetch(name: str, dest: str | os.PathLike[str], timeout: float = 60.0) -> Path:
    """Get a pinned public file into ``dest/<relpath>`` and verify its sha256.

    With ``MARKETLIB_MIRROR`` set, the file is copied from ``$MARKETLIB_MIRROR/<relpath>``;
    otherwise it is downloaded from its pinned commit. The file lands atomically; a file
    already in place with the right hash is kept.

    Raises
    ------
    InputError
        Mirror file missing, network unreachable, or checksum mismatch.
    """
    ds = DATASETS[name]
    target = Path(dest) / ds.relpath
    if target.exists() and sha256_file(target) == ds.sha256:
        return target
    mirror = mirror_dir()
    if mirror is not None:
        src = mirror / ds.relpath
        if not src.is_file():
            raise InputError(src, f"MARKETLIB_MIRROR is set but the mirror has no {name} file")
        data = src.read_bytes()
        origin = str(src)
    else:
        try:
            with urllib.request.urlopen(ds.url, timeout=timeout) as resp:  # noqa: S310
                data = resp.read()
        except (urllib.error.URLError, TimeoutError, OSError) as exc:
            reason = getattr(exc, "reason", exc)
            raise InputError(
                ds.url,
                f"download failed ({reason}); offline? set MARKETLIB_MIRROR=DIR to copy "
                f"DIR/{ds.relpath} instead",
            ) from exc
        origin = ds.url
    got = sha256_bytes(data)
    if got != ds.sha256:
        raise InputError(origin, f"sha256 mismatch: expected {ds.sha256}, got {got}")
    atomic_write_bytes(target, data)
    return target


def locate(name: str, raw: str | os.PathLike[str] | None = None) -> Path | None:
    """Return a verified-by-fetch copy of a dataset: ``raw/<relpath>`` first, then the mirror.

    Nothing is downloaded; ``None`` when neither exists (run ``marketlib fetch``).
    """
    from marketlib.paths import raw_dir

    ds = DATASETS[name]
    candidates = [Path(raw) if raw is not None else raw_dir()]
    mirror = mirror_dir()
    if mirror is not None:
        candidates.append(mirror)
    return next((c / ds.relpath for c in candidates if (c / ds.relpath).is_file()), None)


def fetch_aijobs(dest: str | os.PathLike[str], timeout: float = 60.0) -> Path:
    """Get the pinned aijobs salaries file (see :func:`fetch`)."""
    return fetch("aijobs", dest, timeout)
