"""``clean rates`` on a Dask cluster: the pandas engine's rules, partition by partition.

One partition is one input file. The plan, whose result equals
:func:`marketlib.clean.clean_rates` on the concatenated files row for row:

1. per file (a task): read it, run :func:`~marketlib.clean.rates.clean_rate_rows` (every
   row-local rule: reasons, dates, amounts, units, currencies, countries, FX, plausibility,
   vocabularies, regions) and :func:`~marketlib.clean.flags.flag_file_order` (duplicates and
   range pairs: both compare rows of one file only); stage the rows in Parquet; keep on the
   worker only the outlier rule's compact inputs (two cell codes and a log value per row);
2. outliers: exact medians and MADs per cell by distributed selection
   (:mod:`marketlib.engines.exact`), counts and mean absolute deviations by aggregation;
3. per file (a task): add ``is_outlier`` (the pandas engine's
   :func:`~marketlib.clean.flags.modified_z`), number the range pairs table-wide (an offset per
   file from the pair counts of earlier files), write the Parquet part, the rejected rows' CSV
   and JSON-lines text, and the part's report counts; the client sums the reports and joins
   the rejected parts as a stream.

No task holds more than one file; the client never holds rows.
"""

from __future__ import annotations

import os
import shutil
import sys
from collections import Counter
from functools import partial
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.feather as feather
import pyarrow.parquet as pq

from marketlib.clean.flags import (
    flag_file_order,
    modified_z,
    outlier_from_scores,
    outlier_inputs,
)
from marketlib.clean.formats import input_format
from marketlib.clean.maps import merge_unknown_words
from marketlib.clean.pipeline import (  # noqa: F401
    Maps,
    expand_inputs,
    read_inputs,
    with_collection_date,
)
from marketlib.clean.rates import clean_rate_rows, fx_vs_source, rates_report
from marketlib.cleanparams import CleanParams
from marketlib.engines import exact
from marketlib.engines.cells import global_cells, local_cells
from marketlib.engines.cluster import show_progress
from marketlib.sources import (
    MALFORMED,
    SHEET_ROW,
    InputError,
    atomic_output_dir,
    atomic_write_bytes,
    csv_text,
    jsonl_text,
    parquet_statistics,
    spreadsheet_safe,
)
from marketlib.sources.outputs import json_bytes
from marketlib.storage import output_paths

_GIVEN = "_experience_given"


def _stage_one(
    path: str,
    index: int,
    fmt: str,
    p: CleanParams,
    work: str,
    maps: Maps | None = None,
    sheet: str | int | None = None,
    header_row: int | None = None,
) -> dict[str, Any]:
    """Read and clean one file up to the outlier rule; stage its rows; return compact data."""
    spec = input_format(fmt, "rates")
    try:
        inputs = read_inputs([path], spec, maps, sheet=sheet, header_row=header_row)
    except InputError as exc:
        return {"error": (exc.path, exc.problem)}
    table = inputs.tables[0]
    raw = inputs.frame
    columns = [c for c in raw.columns if c not in (MALFORMED, SHEET_ROW)]
    names = pd.Series(str(table.path), index=pd.RangeIndex(len(raw)), dtype="str")
    p = with_collection_date(p, {str(table.path): table.sha256})  # as the pandas engine
    rows = clean_rate_rows(raw, fmt, p, source_file=names)
    flagged = flag_file_order(rows.clean, rows.raw_ok_codes, fmt, p)
    n_pairs = int(flagged["range_pair_id"].max()) if flagged["is_range_pair"].any() else 0
    log_value, fine, coarse = outlier_inputs(flagged)
    fine_codes, fine_keys, _ = local_cells(fine)
    coarse_codes, coarse_keys, _ = local_cells(coarse)
    staged = flagged.assign(**{_GIVEN: rows.experience_given})
    w = Path(work)
    clean = pa.Table.from_pandas(staged, preserve_index=False)
    for name, arrow in (
        ("clean", clean),  # Arrow IPC: cheap to write and to read back
        ("rejected", pa.Table.from_pandas(rows.rejected, preserve_index=False)),
    ):
        feather.write_feather(arrow, w / f"{name}-{index:05d}.arrow", compression="uncompressed")
    schema = clean.schema.remove(clean.schema.get_field_index(_GIVEN))  # for the run's schema
    _write_rejected_text(rows.rejected, columns, w, index)  # kept if no other file adds columns
    return {
        "rows_in": len(rows.raw),
        "columns": columns,
        "n_pairs": n_pairs,
        "sha256": table.sha256,
        "unknown": rows.unknown,
        "collected_on": p.collected_on,
        "schema": schema,
        "fine_keys": fine_keys,
        "coarse_keys": coarse_keys,
        "fine": fine_codes,
        "coarse": coarse_codes,
        "log_value": log_value.to_numpy(dtype=np.float64),
    }


def _small(stage: dict[str, Any]) -> dict[str, Any]:
    """Return a stage-one result without its per-row arrays (what the client fetches)."""
    return {k: v for k, v in stage.items() if k not in ("fine", "coarse", "log_value")}


def _globalize(
    stage: dict[str, Any], fine_map: np.ndarray, coarse_map: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Return a partition's global (fine, coarse) cell codes and log values (16 bytes a row)."""
    return (
        fine_map.astype(np.int32)[stage["fine"]],
        coarse_map.astype(np.int32)[stage["coarse"]],
        stage["log_value"],
    )


def _extract_log(
    part: tuple[np.ndarray, np.ndarray, np.ndarray],
) -> list[tuple[np.ndarray, np.ndarray]]:
    fine, coarse, x = part
    return [(fine, x), (coarse, x)]


def _clean_columns(raw_columns: list[str], fmt: str, p: CleanParams) -> list[str]:
    """Return the clean table's columns for files whose raw columns together are these.

    The pandas engine's order on the concatenated files, from the same functions on no rows.
    """
    empty = pd.DataFrame({c: pd.Series([], dtype="str") for c in raw_columns})
    rows = clean_rate_rows(empty, fmt, p, source_file=pd.Series([], dtype="str"))
    return [*flag_file_order(rows.clean, rows.raw_ok_codes, fmt, p).columns, "is_outlier"]


def _unified_schema(schemas: list[pa.Schema], columns: list[str]) -> pa.Schema:
    """Return one Arrow schema for every part (types unified, missing extras as text)."""
    unified = pa.unify_schemas([s.remove_metadata() for s in schemas], promote_options="permissive")
    fields = []
    for c in columns:
        i = unified.get_field_index(c)
        if c == "is_outlier":
            fields.append(pa.field(c, pa.bool_()))
        elif i < 0 or unified.field(i).type == pa.null():
            fields.append(pa.field(c, pa.large_string() if i < 0 else pa.string()))
        else:
            fields.append(unified.field(i))
    return pa.schema(fields)


def _write_rejected_text(
    rejected: pd.DataFrame, raw_columns: list[str], work: Path, index: int
) -> None:
    """Write a part of the rejected files (CSV without header, JSON lines) in the run's columns.

    Columns: ``source_file, source_row``, every raw column of the run (a column this file
    lacks is empty), ``reason, detail`` (the pandas engine's layout).
    """
    rejected = rejected.copy(deep=False)
    for col in raw_columns:
        if col not in rejected.columns:
            rejected[col] = ""
    rejected = rejected[["source_file", "source_row", *raw_columns, "reason", "detail"]]
    (work / f"rejected-{index:05d}.csv").write_bytes(
        csv_text(spreadsheet_safe(rejected), header=False).encode("utf-8")
    )
    (work / f"rejected-{index:05d}.jsonl").write_bytes(jsonl_text(rejected).encode("utf-8"))


def _finalize(
    index: int,
    part: tuple[np.ndarray, np.ndarray, np.ndarray],
    stats: dict[str, np.ndarray],
    offset: int,
    own_columns: list[str],
    raw_columns: list[str],
    clean_columns: list[str],
    schema: pa.Schema,
    fmt: str,
    p: CleanParams,
    work: str,
    table_dir: str,
) -> dict[str, Any]:
    """Add ``is_outlier`` and table-wide pair ids; write this file's outputs; return counts."""
    w = Path(work)
    clean = feather.read_table(w / f"clean-{index:05d}.arrow", memory_map=True).to_pandas()
    redo = own_columns != raw_columns  # another file added columns: the text is redone
    rejected = feather.read_table(
        w / f"rejected-{index:05d}.arrow", memory_map=True, columns=None if redo else ["reason"]
    ).to_pandas()
    given = clean.pop(_GIVEN).to_numpy(dtype=bool)
    clean["range_pair_id"] = clean["range_pair_id"] + offset
    fine, coarse, x = part
    log_value = pd.Series(x, index=clean.index)
    m_fine = pd.Series(
        modified_z(x, stats["med"][fine], stats["mad"][fine], stats["mean_ad"][fine]),
        index=clean.index,
    )
    m_coarse = pd.Series(
        modified_z(x, stats["med"][coarse], stats["mad"][coarse], stats["mean_ad"][coarse]),
        index=clean.index,
    )
    n_fine = pd.Series(stats["n"][fine], index=clean.index)
    clean["is_outlier"] = outlier_from_scores(
        log_value, m_fine, n_fine, m_coarse, p.outlier_z, p.outlier_min_cell
    )
    for col in clean_columns:
        if col not in clean.columns:
            clean[col] = ""  # an extra column of another file (the pandas engine fills "")
    clean = clean[clean_columns]
    if redo:
        _write_rejected_text(rejected, raw_columns, w, index)
    table = pa.Table.from_pandas(clean, schema=schema, preserve_index=False)
    pq.write_table(
        table,
        Path(table_dir) / f"part.{index:05d}.parquet",
        write_statistics=parquet_statistics(table.schema),
    )
    stub = pd.DataFrame(index=pd.RangeIndex(len(clean) + len(rejected)))
    return rates_report(stub, clean, rejected, given, p, fmt)


def _merge_reports(parts: list[dict[str, Any]], rows_in: int) -> dict[str, Any]:
    """Sum per-file reports into the report of the whole run (the pandas engine's layout)."""
    first = parts[0]
    reasons: Counter[str] = Counter()
    flags: Counter[str] = Counter()
    fx: Counter[str] = Counter()
    kinds: Counter[str] = Counter()
    logs = []
    for r in parts:
        reasons.update(r["reasons"])
        flags.update(r["flags"])
        fx.update(r["fx_source"])
        kinds.update(r["rate_kind"])
        logs.append(pd.DataFrame(r["log_by_year_region"]))
    log = pd.concat(logs, ignore_index=True)
    if len(log):
        log = log.groupby(["year", "region"], as_index=False).sum()
    report = {
        "name": "rates",
        "format": first["format"],
        "rows_in": rows_in,
        "rows_clean": sum(r["rows_clean"] for r in parts),
        "rows_rejected": sum(r["rows_rejected"] for r in parts),
        "reasons": dict(sorted(reasons.items())),
        "params": first["params"],
        "flags": {k: int(flags[k]) for k in first["flags"]},
        "fx_source": dict(fx.most_common()),
        "rate_kind": dict(kinds.most_common()),
        "experience_unrecognized": sum(r["experience_unrecognized"] for r in parts),
        "rows_without": {
            k: sum(r["rows_without"][k] for r in parts) for k in first["rows_without"]
        },
        "log_by_year_region": [
            {k: (int(v) if isinstance(v, np.integer) else v) for k, v in rec.items()}
            for rec in log.to_dict("records")
        ],
    }
    if report["rows_in"] != report["rows_clean"] + report["rows_rejected"]:
        raise AssertionError(f"rates: rows_in != rows_clean + rows_rejected ({report})")
    return report


def _deviations(
    prepared: tuple[np.ndarray, np.ndarray], med: np.ndarray
) -> list[tuple[np.ndarray, np.ndarray]]:
    """Return a prepared partition's absolute deviations from its cells' medians."""
    codes = exact.group_codes(prepared)
    return [(codes, np.abs(prepared[1] - med[codes]))]


def _cell_stats(parts: list[Any], n_cells: int) -> dict[str, np.ndarray]:
    """Exact median, MAD, mean absolute deviation and size of every cell (distributed)."""
    values = exact.prepare(parts, _extract_log, n_cells)
    summary = exact.summarize(values, n_cells)
    n = summary.counts
    med = exact.medians_from(exact.order_statistics(values, exact.median_ranks(n), summary), n)
    dev = exact.prepare(values, partial(_deviations, med=med), n_cells)
    del values
    dev_summary = exact.summarize(dev, n_cells)
    mad = exact.medians_from(exact.order_statistics(dev, exact.median_ranks(n), dev_summary), n)
    with np.errstate(invalid="ignore", divide="ignore"):
        mean_ad = dev_summary.sums / n
    return {"n": n, "med": med, "mad": mad, "mean_ad": mean_ad}


def _cell_stats_or_none(parts: list[Any], n_cells: int) -> dict[str, np.ndarray]:
    """Return the cells' outlier statistics (empty arrays when no row is clean)."""
    if n_cells:
        return _cell_stats(parts, n_cells)
    return {k: np.empty(0, dtype=np.float64) for k in ("med", "mad", "mean_ad")} | {
        "n": np.empty(0, dtype=np.int64)
    }


def _join_rejected(target: Path, work: Path, n_files: int, raw_columns: list[str]) -> None:
    """Write the rejected CSV and JSON lines from the per-file parts, in file order."""
    rej_cols = ["source_file", "source_row", *raw_columns, "reason", "detail"]
    header = csv_text(spreadsheet_safe(pd.DataFrame(columns=rej_cols)), header=True)
    for path, suffix, head in (
        (target, "csv", header),
        (target.with_suffix(".jsonl"), "jsonl", ""),
    ):
        with open(path, "wb") as fh:  # bytes: the parts are UTF-8 already
            fh.write(head.encode("utf-8"))
            for i in range(n_files):
                with open(work / f"rejected-{i:05d}.{suffix}", "rb") as src:
                    shutil.copyfileobj(src, fh, 1 << 20)


def clean_rates_dask(
    files: list[str],
    fmt: str,
    params: CleanParams | None,
    out: str | Path,
    progress: bool = False,
    maps: Maps | None = None,
    sheet: str | int | None = None,
    header_row: int | None = None,
) -> tuple[dict[str, Any], dict[str, Path]]:
    """Clean rates files on the current Dask client; write the three outputs into ``out``.

    ``files`` (expanded, see :func:`expand_inputs`) are one partition each; ``fmt`` and
    ``params`` as in the pandas engine, with the analyst's ``maps``. ``out`` gets
    ``rates.parquet/`` (a Parquet dataset, one part per input file), ``rates_rejected.csv``
    and ``.jsonl`` and ``rates_clean_report.json``; it must be on a file system every worker
    can write. ``progress`` shows the progress bar (terminal) or the dashboard link. Returns
    the clean report and the output paths; raises :class:`InputError` when an input cannot
    be read (nothing is written).
    """
    from distributed import get_client

    maps = maps or Maps()
    p = maps.params(params or CleanParams())
    client = get_client()
    paths = output_paths(out, "rates")
    with atomic_output_dir(out, replace=("rates.parquet",)) as tmp:
        work = tmp / "_work"
        table_dir = tmp / "rates.parquet"
        work.mkdir()
        table_dir.mkdir()
        stage = [
            client.submit(
                _stage_one,
                f,
                i,
                fmt,
                p,
                str(work),
                maps,
                sheet,
                header_row,
                pure=False,
                key=f"marketlib-clean-{i}-{os.getpid()}-{id(work)}",
            )
            for i, f in enumerate(files)
        ]
        if progress:
            show_progress(client, stage)
        small = client.gather(client.map(_small, stage))
        bad = [s["error"] for s in small if "error" in s]
        if bad:
            raise InputError(*bad[0])
        fine_ids, fine_maps = global_cells([s["fine_keys"] for s in small])
        coarse_ids, coarse_maps = global_cells(
            [s["coarse_keys"] for s in small], offset=len(fine_ids)
        )
        parts = [
            client.submit(_globalize, st, fm, cm, pure=False)
            for st, fm, cm in zip(stage, fine_maps, coarse_maps, strict=True)
        ]
        del stage
        stats = _cell_stats_or_none(parts, len(fine_ids) + len(coarse_ids))
        offsets = np.concatenate([[0], np.cumsum([s["n_pairs"] for s in small])[:-1]])
        raw_columns = list(pd.concat([pd.DataFrame(columns=s["columns"]) for s in small]).columns)
        clean_columns = _clean_columns(raw_columns, fmt, p)
        schema = _unified_schema([s["schema"] for s in small], clean_columns)
        final = [
            client.submit(
                _finalize,
                i,
                part,
                stats,
                int(offsets[i]),
                s["columns"],
                raw_columns,
                clean_columns,
                schema,
                fmt,
                p,
                str(work),
                str(table_dir),
                pure=False,
            )
            for i, (part, s) in enumerate(zip(parts, small, strict=True))
        ]
        if progress and sys.stdout.isatty():
            show_progress(client, final)
        reports = client.gather(final)
        del parts
        report = _merge_reports(reports, sum(s["rows_in"] for s in small))
        report["unknown_words"] = merge_unknown_words([s["unknown"] for s in small])
        report["fx_vs_source"] = fx_vs_source(
            pd.read_parquet(
                table_dir,
                columns=["currency", "year", "annual_usd", "source_annual_usd", "fx_source"],
                filters=[("fx_source", "==", "ecb"), ("currency", "!=", "USD")],
            )
            if "source_annual_usd" in clean_columns
            else pd.DataFrame()
        )
        dates = [s["collected_on"] for s in small if s.get("collected_on")]
        report["collected_on"] = max(dates) if dates else None
        report["params"]["collected_on"] = report["collected_on"]
        staged = output_paths(tmp, "rates")
        _join_rejected(staged["rejected"], work, len(files), raw_columns)
        report["inputs"] = {str(Path(f)): s["sha256"] for f, s in zip(files, small, strict=True)}
        atomic_write_bytes(staged["report"], json_bytes(report))
        shutil.rmtree(work)  # the dataset folder replaces an earlier table (file or folder)
    paths["rejected_exact"] = paths["rejected"].with_suffix(".jsonl")
    return report, paths
