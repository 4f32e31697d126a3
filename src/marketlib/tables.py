"""Tables a colleague can reuse: one CSV per table and one Excel workbook, from results.json.

Numbers stay numbers and fractions stay fractions (0.52, never 52%); column names say their
unit (``_usd_per_hour``, ``_fraction``). The workbook (openpyxl: the maintained pure-Python
reader and writer of .xlsx, so the tests can open what was written with the same library)
holds a sheet per table and a README sheet with the sources and the definitions.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pandas as pd


def table_columns() -> dict[str, tuple[tuple[str, ...], Mapping[str, str]]]:
    """Return every section's tables: name -> (results path, {output column: results key})."""
    from marketlib.sections.registry import SECTIONS

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
        out[name] = pd.DataFrame([{dst: _cell(r.get(src)) for dst, src in keep.items()}
                                  for r in recs], columns=list(keep))
    return out


def readme_frame(results: Mapping[str, Any]) -> pd.DataFrame:
    """Return the README sheet: what the run is, its sources, and what the columns mean."""
    run = results.get("run") or {}
    rows = [("as_of", str(run.get("as_of", ""))),
            ("pay data", str(run.get("rates_source") or "")),
            ("units", "fractions (0.52 = 52%); *_usd_per_hour in US dollars per hour; "
                      "ratio_* relative to the base group"),
            ("intervals", "95% unless the parameters say otherwise; regional ratios: two-stage "
                          "country-cluster bootstrap")]
    for p in run.get("provenance") or []:
        if isinstance(p, Mapping):
            rows.append((f"source {p.get('path', '')}",
                         f"{p.get('dataset', '')} commit {p.get('commit', '')} sha256 "
                         f"{p.get('sha256', '')} retrieved {p.get('retrieved', '')}"))
    for k, v in (run.get("inputs") or {}).items():
        rows.append((f"input {k}", f"sha256 {v}"))
    return pd.DataFrame(rows, columns=["item", "value"])


_SHEET_BAD = re.compile(r"[\[\]:*?/\\]")


def write_tables(results: Mapping[str, Any], folder: str | Path) -> dict[str, Path]:
    """Write ``folder/tables/<name>.csv`` and ``folder/tables/marketlib_tables.xlsx``."""
    from marketlib.sources.outputs import published_frame, write_published_csv

    out = Path(folder) / "tables"
    out.mkdir(parents=True, exist_ok=True)
    tables = result_tables(results)
    paths = {}
    for name, frame in tables.items():
        p = out / f"{name}.csv"
        write_published_csv(frame, p)
        paths[name] = p
    book = out / "marketlib_tables.xlsx"
    with pd.ExcelWriter(book, engine="openpyxl") as xl:
        published_frame(readme_frame(results)).to_excel(xl, sheet_name="README", index=False)
        for name, frame in tables.items():  # a text cell is never a formula
            published_frame(frame).to_excel(xl, sheet_name=_SHEET_BAD.sub("_", name)[:31],
                                            index=False)
    paths["workbook"] = book
    return paths
