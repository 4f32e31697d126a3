"""The report's inputs: the params' files, fetched or mirrored public data, the clean step."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from marketlib.params import ReportParams
from marketlib.paths import data_dir, project_root, raw_dir
from marketlib.sections.registry import SECTIONS
from marketlib.sources import InputError, sha256_file


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
        raise InputError("inputs.claims_definitions", "the claims audit needs the definitions "
                                                      "file too (or set inputs.claims: null)")
    return files



def skipped_sections(params: ReportParams) -> dict[str, str]:
    """Return the notebooks a run skips because an input is null, with the reason in words."""
    return {spec.name: spec.skip_reason for spec in SECTIONS
            if spec.optional_input and getattr(params.inputs, spec.optional_input) is None}


def prepare_data(params: ReportParams, out: Path, say: Callable[[str], None] = print
                 ) -> dict[str, Any]:
    """Fetch (or mirror) the public files and clean them into ``out/clean``; return provenance.

    Every input is read and checked before anything is written. The pay file goes through the
    same pipeline as ``marketlib clean rates`` (its format and maps from ``inputs.rates``).
    """
    from marketlib.clean.formats import input_format
    from marketlib.clean.pipeline import Maps, clean_inputs, read_inputs, write_clean
    from marketlib.sources import DATASETS, provenance_of

    files = check_inputs(params)
    rates_in = params.inputs.rates
    ref = params.inputs.data_ref
    rates_path = fetched_or_given(rates_in.path, "aijobs", ref)
    ppp = (fetched_or_given(str(raw_dir() / DATASETS["ppp"].relpath), "ppp", ref)
           if params.arbitrage.ppp else None)
    cparams = params.clean_params()
    fmt = input_format(rates_in.format, "rates")
    maps = Maps.load(fmt, files["rates_columns"], files["rates_values"])
    read = {"rates": (fmt, read_inputs([rates_path], fmt, maps, names=[rates_path.name]))}
    if files["certifications"] is not None:
        cfmt = input_format(params.inputs.certifications_format, "certifications")
        cpath = files["certifications"]
        read["certifications"] = (cfmt, read_inputs([cpath], cfmt, names=[cpath.name]))
    activity_files = activity_inputs(params, ref)
    if activity_files:
        afmt = input_format("innovationgraph", "activity")
        read["activity"] = (afmt, read_inputs(activity_files, afmt,
                                              names=[f.name for f in activity_files]))
    clean_dir = out / "clean"
    inputs: dict[str, str] = {}
    reports: dict[str, Any] = {}
    tables: dict[str, Path] = {}
    for table, (f, raw) in read.items():  # everything read and checked: now clean and write
        p = maps.params(cparams) if table == "rates" else cparams
        result = clean_inputs(raw, f, p)
        shown = {input_key(t.path, f"{table} input"): t.sha256 for t in raw.tables}
        write_clean(result, clean_dir, shown)
        inputs.update(shown)
        reports[table] = result.report
        tables[table] = clean_dir / f"{table}.parquet"
    check_base(params, tables["rates"])
    extra = [*(p for k, p in files.items() if k != "certifications" and p is not None)]
    extra += [ppp] if ppp is not None else []
    for path in extra:
        inputs[input_key(path, "input")] = sha256_file(path)
    provenance = []
    for path in [rates_path, *([ppp] if ppp else []), *activity_files]:
        prov = provenance_of(path)
        if prov is not None:
            provenance.append({"path": shown_path(path), **prov.to_dict()})
    say("  data: " + "; ".join(f"{k} {r['rows_clean']:,} clean of {r['rows_in']:,}"
                               for k, r in reports.items()))
    return {"inputs": inputs, "tables": tables, "ppp": ppp, "files": files,
            "clean_reports": reports, "provenance": provenance,
            "coverage": data_coverage(tables), "article": article_source(files["claims"]),
            "rates_source": rates_source(fmt.name, rates_path)}



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



def check_base(params: ReportParams, rates_table: Path) -> None:
    """Refuse (exit 2, before any notebook) a base group the clean pay data does not hold."""
    import pandas as pd

    geo, base = params.arbitrage.geography, params.arbitrage.base
    groups = pd.read_parquet(rates_table, columns=[geo])[geo].dropna()
    if not (groups == base).any():
        have = ", ".join(sorted(groups.astype(str).unique())[:15])
        raise InputError("arbitrage.base", f"{base!r} has no rows in the clean pay data (its "
                                           f"{geo} groups: {have or 'none'})")



def input_key(path: Path, what: str) -> str:
    """Return the key of an input in ``run.inputs``: unique per file, whatever its name.

    Project- and data-relative paths as :func:`shown_path`; a file elsewhere by its absolute
    path (three ``input.csv`` in different folders are three keys).
    """
    shown = shown_path(path)
    return shown if shown != path.name or path.resolve().parent in (
        project_root().resolve(), data_dir().resolve()) else str(path.resolve())



def fetched_or_given(rel: str, dataset: str, ref: str = "pinned") -> Path:
    """Return an input file: the public file at ``ref`` when it is asked for at its home.

    The pinned file (or the snapshot ``ref`` names, or the latest upstream version) is
    fetched or copied from the mirror, with its sha256 checked or recorded; any other path is
    used as given.
    """
    from marketlib.sources import DATASETS, fetch_snapshot

    path = input_path(rel)
    if path == raw_dir() / DATASETS[dataset].relpath:
        return fetch_snapshot(dataset, raw_dir(), ref=None if ref == "pinned" else ref)[0]
    if not path.is_file():
        raise InputError(path, "input file not found")
    return path



def activity_inputs(params: ReportParams, ref: str = "pinned") -> list[Path]:
    """Return the Innovation Graph files of the run (fetched or mirrored), or none."""
    if params.inputs.activity is None:
        return []
    from marketlib.sources import fetch_snapshot

    folder = input_path(params.inputs.activity)
    if folder == input_path("data/raw/innovationgraph"):
        return [fetch_snapshot(name, raw_dir(), ref=None if ref == "pinned" else ref)[0]
                for name in ACTIVITY_DATASETS]
    if folder.is_file():
        return [folder]
    found = sorted(folder.glob("*.csv")) if folder.is_dir() else []
    if not found:
        raise InputError(folder, "no Innovation Graph CSV files there")
    return found



#: The Innovation Graph files the regional section reads (datasets of marketlib.sources).
ACTIVITY_DATASETS = ("innovationgraph/topics", "innovationgraph/developers")



