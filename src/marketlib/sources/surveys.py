"""Reading published survey files as they were released: zips, legacy encodings, text cells.

Survey exports are not the analyst's CSVs: Kaggle ships a zip whose CSV holds the question
texts on its second line; CNCF's 2020 and 2022 files are not UTF-8. These helpers read such
files exactly (every cell as text) and say what they decided, for the clean report.
"""

from __future__ import annotations

import io
import re
import unicodedata
import zipfile
from pathlib import Path

import pandas as pd

from marketlib.sources.errors import InputError, sha256_bytes
from marketlib.sources.files import RawTable, read_input_bytes

#: Single-byte encodings a survey export may be in when it is not UTF-8 (Windows, old Mac).
LEGACY_ENCODINGS = ("cp1252", "mac_roman")


def _plausibility(text: str) -> int:
    """Count non-ASCII characters that are spaces or punctuation (dashes, quotes).

    Misdecoded bytes come out as accented letters between plain ones ("HowÊoften");
    the right encoding turns the same bytes into non-breaking spaces and dashes.
    """
    score = 0
    for ch in re.findall(r"[^\x00-\x7f]", text):
        cat = unicodedata.category(ch)
        score += 1 if cat[0] in "PZ" else 0
    return score


def decode_text(data: bytes, path: str | Path) -> tuple[str, str | None]:
    """Decode a survey's bytes: UTF-8 (BOM allowed), else the likelier legacy encoding.

    Returns the text and a note naming the encoding chosen when it is not UTF-8.
    """
    try:
        return data.decode("utf-8-sig"), None
    except UnicodeDecodeError:
        pass
    texts = {enc: data.decode(enc, errors="replace") for enc in LEGACY_ENCODINGS}
    best = max(LEGACY_ENCODINGS, key=lambda e: (_plausibility(texts[e]), -texts[e].count("\ufffd")))
    if texts[best].count("\ufffd"):
        raise InputError(path, f"text is neither UTF-8 nor {best}: re-save as UTF-8")
    name = {"cp1252": "Windows-1252", "mac_roman": "Mac OS Roman"}[best]
    return texts[best], (
        f"not UTF-8: read as {name} (its non-ASCII bytes decode as spaces and punctuation there)"
    )


def read_text_frame(
    text: str,
    path: str | Path,
    header: int | None = 0,
    usecols: list[str] | None = None,
    nrows: int | None = None,
) -> pd.DataFrame:
    """Parse CSV text with every cell as text (blank: ``""``), refusing what is not CSV.

    ``usecols`` parses only those columns (a wide survey file: the few a format reads);
    ``nrows`` only the first rows.
    """
    try:
        return pd.read_csv(
            io.StringIO(text),
            dtype=str,
            keep_default_na=False,
            header=header,
            usecols=usecols,
            nrows=nrows,
        )
    except (pd.errors.ParserError, pd.errors.EmptyDataError, ValueError) as exc:
        raise InputError(path, f"not a CSV file ({exc})") from exc


def zip_member(path: str | Path, pattern: str) -> tuple[str, bytes, bytes]:
    """Return the one member of a zip whose name matches ``pattern``: name, bytes, zip bytes.

    Raises
    ------
    InputError
        Not a zip, or no / several members matching.
    """
    data = read_input_bytes(path)
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as zf:
            names = [n for n in zf.namelist() if re.search(pattern, Path(n).name)]
            if len(names) != 1:
                raise InputError(
                    path, f"expected one file matching {pattern!r} in the zip, found {len(names)}"
                )
            return names[0], zf.read(names[0]), data
    except zipfile.BadZipFile as exc:
        raise InputError(path, f"not a zip file ({exc})") from exc


def raw_table(
    frame: pd.DataFrame, path: str | Path, data: bytes, notes: tuple[str, ...] = ()
) -> RawTable:
    """Wrap a frame read from ``data`` (the file's bytes) as a :class:`RawTable`."""
    return RawTable(frame=frame, path=Path(path), sha256=sha256_bytes(data), notes=notes)
