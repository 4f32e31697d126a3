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

#: table name -> (results path, columns: output name <- results key)
TABLES: dict[str, tuple[tuple[str, ...], dict[str, str]]] = {
    "pay_ratios": (("arbitrage", "regions"), {
        "group": "region", "n_rows": "n", "n_countries": "n_countries",
        "top_country": "top_country", "top_country_share_fraction": "top_country_share",
        "reported": "reported", "median_usd_per_hour": "median_hourly_usd",
        "median_ci_low_usd_per_hour": "ci_low", "median_ci_high_usd_per_hour": "ci_high",
        "ratio_to_base": "ratio_to_base", "ratio_ci_low": "ratio_ci_low",
        "ratio_ci_high": "ratio_ci_high", "ratio_equal_country": "ratio_equal_country",
        "ratio_equal_country_ci_low": "ratio_equal_country_ci_low",
        "ratio_equal_country_ci_high": "ratio_equal_country_ci_high",
        "n_countries_averaged": "n_countries_averaged"}),
    "adjusted_ratios": (("arbitrage", "adjusted"), {
        "group": "region", "n_rows": "n", "ratio_to_base": "ratio_to_base",
        "ratio_ci_low": "ci_low", "ratio_ci_high": "ci_high"}),
    "countries": (("arbitrage", "countries"), {
        "country_iso3": "country_iso3", "group": "group", "n_rows": "n", "reported": "reported",
        "median_usd_per_hour": "median_hourly_usd", "ratio_to_base": "ratio_to_base",
        "ratio_ci_low": "ci_low", "ratio_ci_high": "ci_high", "ratio_shrunk": "ratio_shrunk"}),
    "team_cost": (("arbitrage", "team"), {
        "group": "group", "savings_p05_fraction": "savings_p05",
        "savings_p50_fraction": "savings_p50", "savings_p95_fraction": "savings_p95",
        "team_annual_cost_base_p50_usd": "team_annual_cost_base_p50",
        "team_annual_cost_p50_usd": "team_annual_cost_p50"}),
    "regional_growth": (("regional",), {
        "region": "region", "subregion": "subregion", "measure": "measure",
        "subject": "subject", "from": "from", "to": "to", "growth_fraction": "growth",
        "growth_ci_low_fraction": "ci_low", "growth_ci_high_fraction": "ci_high",
        "share_growth_fraction": "share_growth", "economies": "economies"}),
    "certification_growth": (("growth", "period_growth"), {
        "group": "group", "from": "from", "to": "to", "growth_fraction": "growth",
        "growth_ci_low_fraction": "ci_low", "growth_ci_high_fraction": "ci_high",
        "count_from": "count_from", "count_to": "count_to", "status": "status"}),
    "claims": (("claims",), {"id": "id", "claim": "text", "check": "check",
                             "verdict": "verdict", "detail": "detail"}),
}


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
    for name, (path, columns) in TABLES.items():
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
    from marketlib.sources import atomic_write_bytes

    out = Path(folder) / "tables"
    out.mkdir(parents=True, exist_ok=True)
    tables = result_tables(results)
    paths = {}
    for name, frame in tables.items():
        p = out / f"{name}.csv"
        atomic_write_bytes(p, frame.to_csv(index=False).encode("utf-8"))
        paths[name] = p
    book = out / "marketlib_tables.xlsx"
    with pd.ExcelWriter(book, engine="openpyxl") as xl:
        readme_frame(results).to_excel(xl, sheet_name="README", index=False)
        for name, frame in tables.items():
            safe = frame.map(lambda v: f"'{v}" if isinstance(v, str) and v[:1] in "=+-@"
                             else v)  # a text cell is never a formula
            safe.to_excel(xl, sheet_name=_SHEET_BAD.sub("_", name)[:31], index=False)
    paths["workbook"] = book
    return paths
