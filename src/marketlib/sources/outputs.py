"""Writing outputs safely: atomic files and whole output sets swapped in at once.

Rejected files are spreadsheet-safe (formula cells neutralised) with an exact JSON-lines copy.
"""

from __future__ import annotations

import contextlib
import csv
import fcntl
import json
import math
import os
import re
import shutil
import stat
import tempfile
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa

from marketlib.sanitize import spreadsheet_text


def current_umask() -> int:
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
        mode = 0o666 & ~current_umask()
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


def parquet_statistics(schema: pa.Schema) -> list[str]:
    """Return the columns whose min/max statistics a Parquet file keeps: all but text.

    Text statistics took a third of the write (0.9 -> 0.55 s for a 925,000-row rates table)
    and prune nothing here: tables are in file order, so every row group spans nearly every
    region and country. Numbers, dates and flags keep theirs (pruning by year or pay).
    """
    return [
        f.name
        for f in schema
        if not (pa.types.is_string(f.type) or pa.types.is_large_string(f.type))
    ]


def atomic_write_parquet(frame: pd.DataFrame, path: str | os.PathLike[str]) -> None:
    """Write a DataFrame as Parquet atomically (streamed to the temporary file)."""
    stats = parquet_statistics(pa.Schema.from_pandas(frame, preserve_index=False))
    atomic_write_with(path, lambda fh: frame.to_parquet(fh, index=False, write_statistics=stats))


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
        values, skipna=True
    ) in ("string", "empty"):
        is_text = values.notna()
    else:  # mixed object column: only the str cells are text
        is_text = values.map(lambda v: isinstance(v, str), na_action="ignore").fillna(False)
    if not is_text.any():
        return values
    hit = is_text.astype(bool) & text.str.match(f"'*{_TRIGGER_CLASS}").fillna(False).astype(bool)
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


def atomic_write_csv(
    frame: pd.DataFrame, path: str | os.PathLike[str], neutralise: bool = True
) -> None:
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
    out = spreadsheet_safe(frame) if neutralise else frame

    def write(fh: Any) -> None:  # in row chunks: the text is never held whole in memory
        for i, part in enumerate(_row_chunks(out)):
            fh.write(csv_text(part, header=i == 0).encode("utf-8"))

    atomic_write_with(path, write)


def spreadsheet_safe(frame: pd.DataFrame) -> pd.DataFrame:
    """Return a copy whose text cells and column names are neutralised (OWASP ``'``)."""
    out = frame.copy()
    for col in out.columns:
        if not (
            pd.api.types.is_numeric_dtype(out[col].dtype)
            or pd.api.types.is_bool_dtype(out[col].dtype)
        ):
            out[col] = neutralise_formulas(out[col])
    out.columns = list(
        neutralise_formulas(pd.Series([str(c) for c in out.columns], dtype="object"))
    )
    return out


def published_frame(frame: pd.DataFrame) -> pd.DataFrame:
    """Return a table as every published CSV and workbook sheet holds it.

    Text cells and column names are neutralised (:func:`spreadsheet_safe`) and the control
    characters a workbook cannot hold are replaced (:func:`marketlib.sanitize.spreadsheet_text`):
    the one rule for any cell that may hold input text (a region name, a claim, a file name).
    The exact text stays in results.json.
    """
    out = spreadsheet_safe(frame)
    for col in out.columns:
        if out[col].dtype == object or isinstance(out[col].dtype, pd.StringDtype):
            out[col] = out[col].map(lambda v: spreadsheet_text(v) if isinstance(v, str) else v)
    out.columns = [spreadsheet_text(str(c)) for c in out.columns]
    return out


def write_published_csv(frame: pd.DataFrame, path: str | os.PathLike[str]) -> None:
    """Write a published table (``tables/*.csv``, ``history.csv``): :func:`published_frame`."""
    atomic_write_bytes(path, published_frame(frame).to_csv(index=False).encode("utf-8"))


def csv_text(frame: pd.DataFrame, header: bool = True) -> str:
    """Return ``frame`` as the rejected CSVs hold it: text quoted, numbers bare, LF lines."""
    return frame.to_csv(
        index=False, header=header, lineterminator="\n", quoting=csv.QUOTE_NONNUMERIC
    )


def jsonl_text(frame: pd.DataFrame) -> str:
    """Return ``frame`` as JSON lines: one object per row, exact text, ISO dates, 15 digits."""
    if len(frame) == 0:
        return ""
    text = frame.to_json(
        orient="records", lines=True, force_ascii=False, date_format="iso", double_precision=15
    )
    return text.rstrip("\n") + "\n"


def _row_chunks(frame: pd.DataFrame, rows: int = 20_000) -> Iterator[pd.DataFrame]:
    """Yield ``frame`` in consecutive row blocks (the whole, empty, frame when it has none)."""
    if len(frame) == 0:
        yield frame
        return
    for start in range(0, len(frame), rows):
        yield frame.iloc[start : start + rows]


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
            fh.write(jsonl_text(part).encode("utf-8"))

    atomic_write_with(path, write)


def read_jsonl(path: str | os.PathLike[str]) -> pd.DataFrame:
    """Read a file written by :func:`atomic_write_jsonl` (values as JSON gave them)."""
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
def atomic_output_dir(
    final_dir: str | os.PathLike[str], replace: Iterable[str] = ()
) -> Iterator[Path]:
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
            pid = int(old.name[len(prefix) :].split("-", 1)[0])
            os.kill(pid, 0)
        except (ValueError, ProcessLookupError):
            shutil.rmtree(old, ignore_errors=True)
        except OSError:
            pass  # alive (or not ours to signal): leave it


def json_ready(value: Any) -> Any:
    """Return ``value`` with every NaN or infinite float as None (JSON has no NaN).

    A missing estimate is null in a data file: ``NaN`` would make the file unreadable to
    strict JSON readers (jq, JavaScript, Excel's importer).
    """
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, dict):
        return {k: json_ready(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [json_ready(v) for v in value]
    return value


def json_bytes(doc: Any) -> bytes:
    """Return ``doc`` as indented UTF-8 JSON with a final newline; NaN and inf become null."""
    return (json.dumps(json_ready(doc), indent=2, default=str, allow_nan=False) + "\n").encode(
        "utf-8"
    )
