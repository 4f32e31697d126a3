"""Tables a colleague can reuse: one CSV per table and one Excel workbook, from results.json.

Numbers stay numbers and fractions stay fractions (0.52, never 52%); column names say their
unit (``_usd_per_hour``, ``_fraction``). The workbook (openpyxl: the maintained pure-Python
reader and writer of .xlsx, so the tests can open what was written with the same library)
holds a sheet per table and a README sheet with the sources, the definitions and a legend of
the reliability flags; its headers are for people ("Median, USD/h"), its cells keep their
numbers (a fraction stays 0.52, shown as 52.0%), with widths, a frozen header and filters.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pandas as pd

from marketlib.sections.registry import SECTIONS
from marketlib.sources.outputs import published_frame, write_published_csv


def table_columns() -> dict[str, tuple[tuple[str, ...], Mapping[str, str]]]:
    """Return every section's tables: name -> (results path, {output column: results key})."""
    return {name: t for spec in SECTIONS for name, t in spec.tables.items()}


def _at(results: Mapping[str, Any], path: tuple[str, ...]) -> Any:
    value: Any = results
    for key in path:
        value = value.get(key) if isinstance(value, Mapping) else None
    return value


def _cell(v: Any) -> Any:
    if isinstance(v, Mapping):
        return " | ".join(f"{k}={x}" for k, x in v.items())
    if isinstance(v, list):
        return ", ".join(str(x) for x in v)
    return v


def result_tables(results: Mapping[str, Any]) -> dict[str, pd.DataFrame]:
    """Return each table the run has (skipped sections give none)."""
    out = {}
    for name, (path, columns) in table_columns().items():
        rows = _at(results, path)
        if not isinstance(rows, list) or not rows:
            continue
        recs = [r for r in rows if isinstance(r, Mapping)]
        keep = {dst: src for dst, src in columns.items() if any(src in r for r in recs)}
        out[name] = pd.DataFrame(
            [{dst: _cell(r.get(src)) for dst, src in keep.items()} for r in recs],
            columns=list(keep),
        )
    return out


def readme_frame(results: Mapping[str, Any]) -> pd.DataFrame:
    """Return the README sheet: what the run is, its sources, and what the columns mean."""
    run = results.get("run") or {}
    rows = [
        ("as_of", str(run.get("as_of", ""))),
        ("pay data", str(run.get("rates_source") or "")),
        (
            "units",
            "fractions (0.52 = 52%); *_usd_per_hour in US dollars per hour; "
            "ratio_* relative to the base group",
        ),
        (
            "intervals",
            "95% unless the parameters say otherwise; regional ratios: two-stage "
            "country-cluster bootstrap",
        ),
    ]
    for p in run.get("provenance") or []:
        if isinstance(p, Mapping):
            rows.append(
                (
                    f"source {p.get('path', '')}",
                    f"{p.get('dataset', '')} commit {p.get('commit', '')} sha256 "
                    f"{p.get('sha256', '')} retrieved {p.get('retrieved', '')}",
                )
            )
    for k, v in (run.get("inputs") or {}).items():
        rows.append((f"input {k}", f"sha256 {v}"))
    return pd.DataFrame(rows, columns=["item", "value"])


_SHEET_BAD = re.compile(r"[\[\]:*?/\\]")

#: Column-name endings that carry a unit: (ending, unit shown, Excel number format).
_UNITS = (
    ("_usd_per_hour", "USD/h", '"$"#,##0.00'),
    ("_usd", "USD", '"$"#,##0'),
    ("_fraction", "%", "0.0%"),
)
_WORDS = {
    "ci": "CI",
    "n": "n",
    "iso3": "ISO3",
    "usd": "USD",
    "ppp": "PPP",
    "p05": "P5",
    "p50": "P50",
    "p95": "P95",
    "rse": "RSE",
}
#: What the reliability flags mean (the workbook's legend and its flag cells).
FLAG_WORDS = {
    "A": "A: reliable (RSE at most 16.5%)",
    "E": "E: use with caution (RSE 16.5-33.3%, or indicative: n under 30)",
    "F": "F: too unreliable to publish (RSE over 33.3%, or under the floor)",
    "N": "N: no interval, not assessable",
}


def human_header(column: str) -> str:
    """Return a table column as a person reads it, with its unit ("Median, USD/h")."""
    if column == "n_rows":
        return "Rows (n)"
    unit = ""
    for end, shown, _ in _UNITS:
        if column.endswith(end):
            column, unit = column[: -len(end)], shown
            break
    words = [_WORDS.get(w, w) for w in column.split("_") if w]
    text = " ".join(words)
    text = text[:1].upper() + text[1:]
    return f"{text}, {unit}" if unit else text


def number_format(column: str) -> str | None:
    """Return the Excel number format of a table column (None: as written)."""
    for end, _, fmt in _UNITS:
        if column.endswith(end):
            return fmt
    if column.startswith(("ratio", "median_regression_ratio")) or column.endswith("_ratio"):
        return "0.00"
    if column.startswith("n_") or column == "n":
        return "#,##0"
    return None


def _format_sheet(ws: Any, columns: list[str]) -> None:
    """Human headers, number formats, widths, a frozen header row and an auto-filter."""
    from openpyxl.styles import Alignment, Font
    from openpyxl.utils import get_column_letter

    for i, col in enumerate(columns, start=1):
        head = ws.cell(row=1, column=i)
        head.value = human_header(col)
        head.font = Font(bold=True)
        head.alignment = Alignment(wrap_text=True, vertical="top")
        fmt = number_format(col)
        width = len(str(head.value))
        for (cell,) in ws.iter_rows(min_row=2, min_col=i, max_col=i):
            if fmt and isinstance(cell.value, int | float) and not isinstance(cell.value, bool):
                cell.number_format = fmt
            if col.endswith("flag") and cell.value in FLAG_WORDS:
                cell.value = FLAG_WORDS[cell.value]
            width = max(width, min(len(str(cell.value or "")), 60))
        ws.column_dimensions[get_column_letter(i)].width = min(max(10, width + 2), 48)
    ws.freeze_panes = "A2"
    if ws.max_row >= 1 and columns:
        ws.auto_filter.ref = f"A1:{get_column_letter(len(columns))}{ws.max_row}"


def write_tables(results: Mapping[str, Any], folder: str | Path) -> dict[str, Path]:
    """Write ``folder/tables/<name>.csv`` and ``folder/tables/marketlib_tables.xlsx``."""
    out = Path(folder) / "tables"
    out.mkdir(parents=True, exist_ok=True)
    tables = result_tables(results)
    paths = {}
    for name, frame in tables.items():
        p = out / f"{name}.csv"
        write_published_csv(frame, p)
        paths[name] = p
    book = out / "marketlib_tables.xlsx"
    readme = readme_frame(results)
    legend = pd.DataFrame(
        [(f"flag {k}", v) for k, v in FLAG_WORDS.items()]
        + [
            (f"sheet {n}", ", ".join(human_header(c) for c in f.columns)) for n, f in tables.items()
        ],
        columns=["item", "value"],
    )
    with pd.ExcelWriter(book, engine="openpyxl") as xl:
        published_frame(pd.concat([readme, legend], ignore_index=True)).to_excel(
            xl, sheet_name="README", index=False
        )
        _format_sheet(xl.sheets["README"], ["item", "value"])
        for name, frame in tables.items():  # a text cell is never a formula
            sheet = _SHEET_BAD.sub("_", name)[:31]
            published_frame(frame).to_excel(xl, sheet_name=sheet, index=False)
            _format_sheet(xl.sheets[sheet], list(frame.columns))
    paths["workbook"] = book
    return paths
