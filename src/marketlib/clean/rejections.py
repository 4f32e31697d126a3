"""Rejections: reason codes, the first-reason-wins accumulator, the rejected table, the report.

Every input row ends either in the clean table or in the rejected table with a stable reason
code (docs/contract.md) and a readable detail; this module holds the bookkeeping every cleaner
shares.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from marketlib.cleanparams import CleanParams
from marketlib.frames import map_distinct
from marketlib.sources import MALFORMED, SHEET_ROW

REASON_CODES = (
    "missing_required",
    "unparseable_amount",
    "non_positive_amount",
    "implausible_amount",
    "unknown_currency",
    "fx_rate_unavailable",
    "unknown_country",
    "ambiguous_country",
    "unknown_unit",
    "unparseable_date",
    "date_out_of_range",
    "unknown_certification",
    "duplicate_record",
    "bad_count",
    "malformed_row",
    "aggregate_economy",
    "pooled_country",
    "unparseable_band",
    "unknown_answer",
    "screened_out",
    "no_question",
)


@dataclass
class CleanResult:
    """A clean table, its rejected rows and the run's report."""

    name: str
    clean: pd.DataFrame
    rejected: pd.DataFrame
    report: dict[str, Any]

    def check_invariant(self) -> None:
        """Raise if any input row is unaccounted for."""
        r = self.report
        if r["rows_in"] != r["rows_clean"] + r["rows_rejected"]:
            raise AssertionError(f"{self.name}: rows_in != rows_clean + rows_rejected ({r})")


class Rejections:
    """First-reason-wins accumulator of reason codes and details for a frame's rows."""

    def __init__(self, index: pd.Index, malformed: pd.Series | None = None) -> None:
        self.reason = pd.Series(pd.NA, index=index, dtype="object")
        self.detail = pd.Series(pd.NA, index=index, dtype="object")
        self._ok = np.ones(len(index), dtype=bool)
        if malformed is not None:
            self.add(malformed.notna(), "malformed_row", malformed)

    @property
    def ok(self) -> pd.Series:
        """Return True for rows not rejected so far."""
        return pd.Series(self._ok.copy(), index=self.reason.index)

    def add(
        self, mask: pd.Series, code: str, detail: pd.Series | str | Callable[[pd.Index], pd.Series]
    ) -> None:
        """Give ``code`` to rows in ``mask`` not yet rejected; details built only for them."""
        if code not in REASON_CODES:
            raise ValueError(f"unknown reason code {code!r}")
        if isinstance(mask, pd.Series):
            if not mask.index.equals(self.reason.index):  # align by label, as ``&`` did
                mask = mask.reindex(self.reason.index)
            m = mask.fillna(False).to_numpy(dtype=bool)
        else:
            m = np.asarray(mask, dtype=bool)
        new = m & self._ok
        if not new.any():
            return
        self._ok &= ~new
        idx = self.reason.index[new]
        self.reason[idx] = code
        if callable(detail):
            self.detail[idx] = detail(idx).to_numpy()
        elif isinstance(detail, pd.Series):
            self.detail[idx] = detail[idx].to_numpy()
        else:
            self.detail[idx] = detail


def blank(s: pd.Series) -> pd.Series:
    """Return True where a text cell is empty or whitespace (once per distinct value)."""
    return map_distinct(s, lambda u: u.astype("str").str.strip() == "").fillna(True).astype(bool)


def quoted(s: pd.Series) -> pd.Series:
    """Return cell texts in single quotes, cut to 60 characters, for details."""
    return "'" + s.astype("str").str.slice(0, 60) + "'"


def lazy_detail(prefix: str, values: pd.Series, suffix: str) -> Callable[[pd.Index], pd.Series]:
    """Build a lazy detail ``prefix 'value' suffix``, computed only for the failing rows."""
    return lambda idx: prefix + quoted(values[idx]) + suffix


def split_malformed(raw: pd.DataFrame) -> tuple[pd.DataFrame, pd.Series | None]:
    """Take the reader's own columns off the table (malformed rows, a sheet's row numbers).

    The malformed-row column is returned (None when every row was whole); a workbook's sheet
    row numbers stay in ``raw.attrs`` for :func:`source_rows`.
    """
    raw = raw.reset_index(drop=True)
    sheet_rows = None
    if SHEET_ROW in raw.columns:
        given = pd.to_numeric(raw[SHEET_ROW].replace("", np.nan), errors="coerce")
        raw = raw.drop(columns=SHEET_ROW)
        sheet_rows = given
    problem = None
    if MALFORMED in raw.columns:
        problem = raw[MALFORMED]
        problem = problem.where(problem.fillna("").astype("str") != "")
        raw = raw.drop(columns=MALFORMED)
    if sheet_rows is not None:
        raw.attrs[SHEET_ROW] = sheet_rows
    return raw, problem


def source_rows(raw: pd.DataFrame, source_file: str | pd.Series) -> pd.Series:
    """Return each row's number in its source (a workbook's sheet row, else the data row).

    Data rows are 1-based within each file, the header not counted.
    """
    if isinstance(source_file, pd.Series):
        rows = source_file.groupby(source_file).cumcount() + 1
    else:
        rows = pd.Series(np.arange(1, len(raw) + 1), index=raw.index)
    sheet = raw.attrs.get(SHEET_ROW)
    if sheet is not None and len(sheet) == len(rows):
        rows = pd.Series(
            np.where(sheet.notna().to_numpy(), sheet.fillna(0).to_numpy(), rows.to_numpy()).astype(
                "int64"
            ),
            index=rows.index,
        )
    return rows


#: Columns every rejected file adds to the input's own.
REJECTED_COLUMNS = frozenset({"source_file", "source_row", "reason", "detail"})


def extra_names(
    columns: list[str] | pd.Index, extras: list[str] | pd.Index, taken: frozenset[str] | set[str]
) -> dict[str, str]:
    """Name every extra input column uniquely, never as a column marketlib writes.

    ``columns``: all the input's columns (their names are reserved too); ``extras``: the ones
    to name; ``taken``: marketlib's own names. An extra named like one of ours becomes
    ``input_<name>`` (``input_input_<name>`` when the input also has ``input_<name>``...), so
    ``reason`` beside ``input_reason``, or ``X`` beside ``input_X``, both survive.
    """
    reserved = set(taken) | {str(c) for c in columns if str(c) not in taken}
    out: dict[str, str] = {}
    used: set[str] = set()
    for c in extras:
        name = str(c)
        if name in taken:
            name = f"input_{name}"
            while name in reserved or name in used:
                name = f"input_{name}"
        used.add(name)
        out[str(c)] = name
    return out


def rejected_frame(
    raw: pd.DataFrame, rej: Rejections, source_file: str | pd.Series
) -> pd.DataFrame:
    """Return the rejected rows verbatim with source_file, source_row, reason and detail."""
    bad = ~rej.ok
    out = raw.loc[bad].copy()
    names = extra_names(out.columns, out.columns, REJECTED_COLUMNS)
    out.columns = [names[str(c)] for c in out.columns]
    out.insert(
        0, "source_file", source_file[bad] if isinstance(source_file, pd.Series) else source_file
    )
    out.insert(1, "source_row", source_rows(raw, source_file)[bad])
    out["reason"] = rej.reason[bad].astype("str")
    out["detail"] = rej.detail[bad].astype("str")
    return out.reset_index(drop=True)


def clean_report(
    name: str,
    raw: pd.DataFrame,
    clean_rows: pd.DataFrame | int,
    rejected: pd.DataFrame,
    p: CleanParams,
    fmt: str,
) -> dict[str, Any]:
    """Return the clean report's counts: rows in/clean/rejected, reasons, parameters."""
    n_clean = clean_rows if isinstance(clean_rows, int) else len(clean_rows)
    return {
        "name": name,
        "format": fmt,
        "rows_in": int(len(raw)),
        "rows_clean": int(n_clean),
        "rows_rejected": int(len(rejected)),
        "reasons": {k: int(v) for k, v in rejected["reason"].value_counts().sort_index().items()},
        "params": p.to_dict(),
    }


def start_clean(
    raw: pd.DataFrame, source_file: str | pd.Series
) -> tuple[pd.DataFrame, str | pd.Series, Rejections]:
    """Return a cleaner's raw frame and source names on a fresh index, and its rejections."""
    raw = raw.reset_index(drop=True)
    if isinstance(source_file, pd.Series):
        source_file = source_file.reset_index(drop=True)
    return raw, source_file, Rejections(raw.index)


def kept_sources(source_file: str | pd.Series, ok: pd.Series) -> pd.Series:
    """Return the source file name of each kept row."""
    if isinstance(source_file, pd.Series):
        return source_file[ok].astype("str")
    return pd.Series(source_file, index=ok.index[ok], dtype="str")


def finish_clean(
    name: str,
    raw: pd.DataFrame,
    table: pd.DataFrame,
    rej: Rejections,
    source_file: str | pd.Series,
    p: CleanParams,
    fmt: str,
    extra: dict[str, Any],
) -> CleanResult:
    """Return a cleaner's result: the table, the rejected rows, the report (invariant held)."""
    rejected = rejected_frame(raw, rej, source_file)
    report = clean_report(name, raw, len(table), rejected, p, fmt)
    report.update(extra)
    result = CleanResult(name, table.reset_index(drop=True), rejected, report)
    result.check_invariant()
    return result
