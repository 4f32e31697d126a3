"""The report's inputs: the params' files, fetched or mirrored public data, the clean step."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from marketlib.params import ReportParams
from marketlib.paths import data_dir, project_root, raw_dir
from marketlib.sections.registry import SECTIONS
from marketlib.sources import InputError, sha256_file
from marketlib.sources.outputs import json_bytes


def input_path(rel: str | Path) -> Path:
    """Resolve an input path of the params file.

    Absolute paths stay; ``data/...`` paths live under the data folder (``MARKETLIB_DATA``
    overrides ``<root>/data``); other relative paths are relative to the project root.
    """
    q = Path(rel)
    if q.is_absolute():
        return q
    if q.parts and q.parts[0] == "data":
        return data_dir().joinpath(*q.parts[1:])
    return project_root() / q


def shown_path(path: Path) -> str:
    """Return a path as recorded in results.json: project- or data-relative, never absolute."""
    for base, label in ((data_dir(), "data"), (project_root(), "")):
        try:
            rel = path.resolve().relative_to(base.resolve())
        except ValueError:
            continue
        return str(Path(label) / rel) if label else str(rel)
    return path.name


def check_inputs(params: ReportParams) -> dict[str, Path | None]:
    """Return the typed input files (None where the params set null); refuse missing ones."""
    inp = params.inputs
    files: dict[str, Path | None] = {}
    for key in ("certifications", "claims", "claims_definitions", "claims_growth"):
        rel = getattr(inp, key)
        files[key] = None if rel is None else input_path(rel)
    for key in ("columns", "values"):
        rel = getattr(inp.rates, key)
        files[f"rates_{key}"] = None if rel is None else input_path(rel)
    for key, path in files.items():
        if path is not None and not path.is_file():
            where = key.replace("rates_", "rates.")
            raise InputError(path, f"input file not found (inputs.{where})")
    if inp.claims is not None and inp.claims_definitions is None:
        raise InputError(
            "inputs.claims_definitions",
            "the claims audit needs the definitions file too (or set inputs.claims: null)",
        )
    return files


def skipped_sections(params: ReportParams) -> dict[str, str]:
    """Return the notebooks a run skips because an input is null, with the reason in words."""

    def left_out(keys: str | tuple[str, ...] | None) -> bool:
        keys = (keys,) if isinstance(keys, str) else keys or ()
        return any(getattr(params.inputs, k) is None for k in keys)

    return {spec.name: spec.skip_reason for spec in SECTIONS if left_out(spec.optional_input)}


def prepare_data(
    params: ReportParams,
    out: Path,
    say: Callable[[str], None] = print,
    names: list[str] | None = None,
) -> dict[str, Any]:
    """Fetch (or mirror) the public files and clean them into ``out/clean``; return provenance.

    Of the public data sets (:data:`DATASET_INPUTS`), only those the sections in ``names``
    read (``SectionSpec.reads``; all sections when None) are fetched and cleaned. Every input
    is read and checked before anything is written. The pay file goes through the
    same pipeline as ``marketlib clean rates`` (its format and maps from ``inputs.rates``).
    """
    from marketlib.clean.formats import input_format
    from marketlib.clean.pipeline import Maps
    from marketlib.sources import DATASETS, provenance_of
    from marketlib.sources.fallback import FALLBACK_NOTES

    FALLBACK_NOTES.clear()
    files = check_inputs(params)
    rates_in = params.inputs.rates
    ref = params.inputs.data_ref
    rates_path = fetched_or_given(rates_in.path, "aijobs", ref)
    ppp = (
        fetched_or_given(str(raw_dir() / DATASETS["ppp"].relpath), "ppp", ref)
        if params.arbitrage.ppp
        else None
    )
    cparams = params.clean_params()
    fmt = input_format(rates_in.format, "rates")
    maps = Maps.load(fmt, files["rates_columns"], files["rates_values"])
    plans = {"rates": (fmt, [rates_path], maps.params(cparams))}
    if files["certifications"] is not None:
        plans["certifications"] = (
            input_format(params.inputs.certifications_format, "certifications"),
            [files["certifications"]],
            cparams,
        )
    dataset_files: list[Path] = []
    read = {t for spec in SECTIONS if names is None or spec.name in names for t in spec.reads}
    for table, spec in DATASET_INPUTS.items():
        if table not in read:
            continue
        found = dataset_inputs(params, table, ref if spec.versioned else "pinned")
        if found:
            plans[table] = (input_format(spec.format, table), found, cparams)
            dataset_files += found
    clean_dir = out / "clean"
    sheet = {"sheet": rates_in.sheet, "header_row": rates_in.header_row}
    inputs, reports, tables, reused = clean_tables(
        plans, maps, clean_dir, {"rates": sheet} if any(sheet.values()) else None
    )
    extra = [*(p for k, p in files.items() if k != "certifications" and p is not None)]
    extra += [ppp] if ppp is not None else []
    for path in extra:
        inputs[input_key(path, "input")] = sha256_file(path)
    provenance = []
    for path in [rates_path, *([ppp] if ppp else []), *dataset_files]:
        prov = provenance_of(path)
        if prov is not None:
            provenance.append({"path": shown_path(path), **prov.to_dict()})
    say(
        "  data: "
        + "; ".join(
            f"{k} {r['rows_clean']:,} clean of {r['rows_in']:,}"
            + (" (reused: same inputs, code and parameters)" if k in reused else "")
            for k, r in reports.items()
        )
    )
    return {
        "inputs": inputs,
        "tables": tables,
        "ppp": ppp,
        "files": files,
        "fallbacks": list(FALLBACK_NOTES),
        "clean_reports": reports,
        "provenance": provenance,
        "coverage": data_coverage(tables),
        "article": article_source(files["claims"]),
        "rates_source": rates_source(fmt.name, rates_path),
    }


def clean_tables(
    plans: dict[str, tuple[Any, list[Path], Any]],
    maps: Any,
    clean_dir: Path,
    sheets: dict[str, dict[str, Any]] | None = None,
) -> tuple[dict[str, str], dict[str, Any], dict[str, Path], set[str]]:
    """Clean each table into ``clean_dir``, reusing a current clean set where there is one.

    ``plans``: table -> (format, input files, cleaning parameters); ``sheets``: table -> the
    workbook options (``sheet``, ``header_row``) of its files. Every input of a table to
    clean is read and checked before anything is written. Returns the inputs' sha256 (as
    results.json records them), the clean reports, the tables' paths and the reused tables.
    """
    from marketlib.clean.cache import cache_key, is_cached, restore, store
    from marketlib.clean.pipeline import clean_inputs, read_inputs, write_clean
    from marketlib.sources import atomic_write_bytes, sha256_cached

    sheets = sheets or {}
    inputs: dict[str, str] = {}
    reports: dict[str, Any] = {}
    todo: dict[str, tuple[Any, Any, str, dict[str, str]]] = {}
    hits: dict[str, str] = {}
    shown_by: dict[str, dict[str, str]] = {}
    for table, (f, paths, p) in plans.items():
        digests = [sha256_cached(path) for path in paths]
        shown = {
            input_key(path, f"{table} input"): d for path, d in zip(paths, digests, strict=True)
        }
        inputs.update(shown)
        shown_by[table] = shown
        key = cache_key(
            table,
            f.name,
            {path.name: d for path, d in zip(paths, digests, strict=True)},
            {**p.to_dict(), "max_date": str(p.resolved_max_date()), **sheets.get(table, {})},
        )
        if is_cached(key, table):
            hits[table] = key
            continue
        raw = read_inputs(
            paths,
            f,
            maps if table == "rates" else None,
            names=[path.name for path in paths],
            **sheets.get(table, {}),
        )
        todo[table] = (f, raw, key, shown)
    for table, key in hits.items():  # all read and checked: now write
        report = restore(key, table, clean_dir)
        if report is None:  # removed meanwhile by another run's pruning: clean it
            f, paths, _ = plans[table]
            raw = read_inputs(
                paths,
                f,
                maps if table == "rates" else None,
                names=[path.name for path in paths],
                **sheets.get(table, {}),
            )
            todo[table] = (f, raw, key, shown_by[table])
            continue
        report["inputs"] = shown_by[table]  # this run's paths, not the run that cleaned it
        atomic_write_bytes(clean_dir / f"{table}_clean_report.json", json_bytes(report))
        reports[table] = report
    for table, (f, raw, key, shown) in todo.items():
        result = clean_inputs(raw, f, plans[table][2])
        if raw.notes:
            result.report["reading"] = raw.notes
        write_clean(result, clean_dir, shown)
        reports[table] = result.report
        store(key, table, clean_dir)
    tables = {table: clean_dir / f"{table}.parquet" for table in plans}
    return inputs, reports, tables, set(hits) - set(todo)


def data_coverage(tables: dict[str, Path]) -> dict[str, Any]:
    """Return the data's own coverage: pay years and their shares, activity quarters, latest."""
    import pandas as pd

    out: dict[str, Any] = {}
    latest = []
    years = pd.read_parquet(tables["rates"], columns=["year"])["year"]
    if len(years):
        share = years.value_counts(normalize=True).sort_index()
        out["pay_years"] = {str(int(y)): round(float(s), 4) for y, s in share.items()}
        latest.append(str(int(years.max())))
    if "activity" in tables:
        a = pd.read_parquet(tables["activity"], columns=["period"])["period"]
        if len(a):
            out["activity_quarters"] = [str(a.min()), str(a.max())]
            latest.append(str(a.max()))
    if latest:
        out["data_through"] = max(latest)
    return out


def article_source(claims: Path | None) -> dict[str, str]:
    """Return how the audited article is cited (``article_source.csv`` beside the claims)."""
    if claims is None or not (claims.parent / "article_source.csv").is_file():
        return {}
    import csv

    with open(claims.parent / "article_source.csv", encoding="utf-8") as fh:
        return {r["field"]: r["value"] for r in csv.DictReader(fh) if r.get("field")}


def rates_source(fmt: str, path: Path) -> str:
    """Return how pages name the pay data: the survey for aijobs, else the file and format."""
    from marketlib.clean.formats import input_format

    if fmt == "aijobs":
        return "the aijobs.net salary survey"
    return f"{path.name} ({input_format(fmt).description})"


def input_key(path: Path, what: str) -> str:
    """Return the key of an input in ``run.inputs``: unique per file, whatever its name.

    Project- and data-relative paths as :func:`shown_path`; a file elsewhere by its absolute
    path (three ``input.csv`` in different folders are three keys).
    """
    shown = shown_path(path)
    return (
        shown
        if shown != path.name
        or path.resolve().parent in (project_root().resolve(), data_dir().resolve())
        else str(path.resolve())
    )


def fetched_or_given(rel: str, dataset: str, ref: str = "pinned") -> Path:
    """Return an input file: the public file at ``ref`` when it is asked for at its home.

    The pinned file (or the snapshot ``ref`` names, or the latest upstream version) is
    fetched or copied from the mirror, with its sha256 checked or recorded; any other path is
    used as given.
    """
    from marketlib.sources import DATASETS
    from marketlib.sources.fallback import fetch_or_fall_back

    path = input_path(rel)
    if path == raw_dir() / DATASETS[dataset].relpath:
        return fetch_or_fall_back(dataset, raw_dir(), ref=None if ref == "pinned" else ref)[0]
    if not path.is_file():
        raise InputError(path, "input file not found")
    return path


@dataclass(frozen=True)
class DatasetInput:
    """A public data set a report cleans into a table: ``inputs.<table>`` names its folder.

    At its home folder (``data/raw/<group>``) the files are the group's pinned datasets that
    match ``patterns`` (fetched or mirrored); any other folder is globbed with the same
    patterns, and a single file is read as it is.
    """

    table: str  # the clean table, and its key under ``inputs``
    format: str  # the format it is read with (clean.formats)
    group: str  # the dataset group of sources.datasets (its home is data/raw/<group>)
    patterns: tuple[str, ...]  # its files, relative to the folder
    description: str  # what is looked for (in the error when a folder holds none)
    #: ``inputs.data_ref`` applies (latest, snapshots); else always the pinned files
    versioned: bool = False


#: The public data sets a report cleans besides the pay file and the typed figures.
DATASET_INPUTS: dict[str, DatasetInput] = {
    d.table: d
    for d in (
        DatasetInput(
            "activity",
            "innovationgraph",
            "innovationgraph",
            ("topics.csv", "developers.csv"),
            "Innovation Graph CSV files",
            versioned=True,
        ),
        DatasetInput(
            "pay_bands",
            "kaggle",
            "kaggle-survey",
            ("kaggle-survey-*.zip",),
            "Kaggle survey zips (kaggle-survey-<year>.zip)",
        ),
        DatasetInput(
            "adoption",
            "cncf_survey",
            "cncf-surveys",
            ("*.csv", "*.xlsx"),
            "CNCF survey waves (.csv / .xlsx)",
        ),
        DatasetInput(
            "demand",
            "indeed",
            "indeed",
            (
                "ai-tracker/AI_posting.csv",
                "job-postings/aggregate_job_postings_*.csv",
                "job-postings/sector-snapshots/*.csv",
                "wage-tracker/posted-wage-growth-by-country.csv",
            ),
            "Indeed Hiring Lab CSV files (the indeed/ folder layout)",
        ),
    )
}


def home_datasets(spec: DatasetInput) -> list[str]:
    """Return the pinned datasets of ``spec``'s group that its patterns select."""
    from fnmatch import fnmatch

    from marketlib.sources.datasets import DATASET_GROUPS, DATASETS

    return [
        n
        for n in DATASET_GROUPS[spec.group]
        if any(
            fnmatch(DATASETS[n].relpath.removeprefix(f"{spec.group}/"), p) for p in spec.patterns
        )
    ]


def dataset_inputs(params: ReportParams, table: str, ref: str = "pinned") -> list[Path]:
    """Return the files of ``inputs.<table>`` (fetched or mirrored at home), or none (null)."""
    rel = getattr(params.inputs, table)
    if rel is None:
        return []
    from marketlib.sources.fallback import fetch_or_fall_back

    spec = DATASET_INPUTS[table]
    folder = input_path(rel)
    if folder == raw_dir() / spec.group:
        return [
            fetch_or_fall_back(n, raw_dir(), ref=None if ref == "pinned" else ref)[0]
            for n in home_datasets(spec)
        ]
    if folder.is_file():
        return [folder]
    found = sorted({f for p in spec.patterns for f in folder.glob(p)}) if folder.is_dir() else []
    if not found:
        raise InputError(folder, f"no {spec.description} there (inputs.{table})")
    return found


def activity_inputs(params: ReportParams, ref: str = "pinned") -> list[Path]:
    """Return the Innovation Graph files of the run (fetched or mirrored), or none."""
    return dataset_inputs(params, "activity", ref)


#: The Innovation Graph files the regional section reads (datasets of marketlib.sources).
ACTIVITY_DATASETS = tuple(home_datasets(DATASET_INPUTS["activity"]))
