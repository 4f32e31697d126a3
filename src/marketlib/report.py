"""The scheduled report: clean inputs, notebooks through papermill, HTML, PDF, results.json.

``run_report`` is the engine of ``marketlib report``. Everything is validated before anything
is written, the run is built in a hidden staging folder, and only a complete, successful run
replaces ``reports/<as_of>/``: a failed run never leaves stale or mixed results (it is kept
beside it as ``<as_of>.failed/`` with the failing notebook and its error).

Exit status: 0 all notebooks ran; 1 a notebook failed or timed out (named in the message;
notebooks that depend on it are not run); 2 unusable input or parameters.
"""

from __future__ import annotations

import json
import os
import shutil
import sys
import tempfile
import time
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from marketlib import __version__
from marketlib.params import ReportParams, load_report_params
from marketlib.paths import PACKAGE_DATA, data_dir, project_root, raw_dir
from marketlib.sources import InputError, atomic_write_bytes, sha256_file

#: Notebooks in dependency order: name -> notebooks it needs.
NOTEBOOKS: dict[str, tuple[str, ...]] = {
    "certification_growth": (),
    "geographic_arbitrage": (),
    "regional_growth": (),
    "claims_audit": ("certification_growth", "geographic_arbitrage", "regional_growth"),
    "market_report": ("certification_growth", "geographic_arbitrage", "regional_growth",
                      "claims_audit"),
}
EXIT_OK, EXIT_FAILED, EXIT_INPUT = 0, 1, 2


@dataclass
class Step:
    """One notebook run: its outcome and timing."""

    name: str
    status: str  # ok | failed | timeout | skipped
    seconds: float = 0.0
    message: str = ""


def load_params(path: str | Path | None) -> ReportParams:
    """Read and validate the report parameters (default: ``params/default.yaml``)."""
    return load_report_params(path or project_root() / "params" / "default.yaml")


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


#: Report inputs (``params.inputs`` keys) that may be null, and the notebook each feeds.
OPTIONAL_INPUTS = {"certifications": "certification_growth", "activity": "regional_growth",
                   "claims": "claims_audit"}


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
    inp = params.inputs
    out = {}
    if inp.certifications is None:
        out["certification_growth"] = "no certification counts (inputs.certifications: null)"
    if inp.activity is None:
        out["regional_growth"] = "no developer-activity files (inputs.activity: null)"
    if inp.claims is None:
        out["claims_audit"] = "no claims file (inputs.claims: null)"
    return out


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


def _opt(path: Path | str | None) -> str | None:
    return None if path is None else str(path)


def notebook_parameters(name: str, params: ReportParams, data: dict[str, Any],
                        out: Path) -> dict[str, Any]:
    """Return the papermill parameters of one notebook (absolute paths, plain literals).

    An input the run does not have (null in the params, or a section not run) is passed as
    None: the notebook skips what needs it and says so.
    """
    res = out / "results"
    figs = str(out / "figures")
    tables = data["tables"]
    files = data["files"]
    skipped = data.get("skipped", {})

    def result(section: str) -> str | None:
        return None if section in skipped else str(res / f"{section}.json")

    if name == "certification_growth":
        return {**params.growth.to_dict(), "counts_path": str(tables["certifications"]),
                "article_growth_path": _opt(files["claims_growth"]),
                "as_of": params.run_date().isoformat(),
                "results_path": str(res / f"{name}.json"), "figures_dir": figs}
    if name == "regional_growth":
        return {**params.regional.to_dict(), "counts_path": str(tables["activity"]),
                "article_growth_path": _opt(files["claims_growth"]),
                "as_of": params.run_date().isoformat(),
                "results_path": str(res / f"{name}.json"), "figures_dir": figs}
    if name == "geographic_arbitrage":
        return {**params.arbitrage.to_dict(), "rates_path": str(tables["rates"]),
                "claims_path": _opt(files["claims"]), "price_levels_path": _opt(data["ppp"]),
                "rates_source": data.get("rates_source"),
                "results_path": str(res / f"{name}.json"), "figures_dir": figs}
    if name == "claims_audit":
        return {"claims_path": str(files["claims"]),
                "definitions_path": str(files["claims_definitions"]),
                "printed_path": _opt(files["certifications"]),
                "certifications_path": _opt(tables.get("certifications")),
                "rates_path": str(tables["rates"]),
                "activity_path": _opt(tables.get("activity")),
                "growth_results_path": result("certification_growth"),
                "arbitrage_results_path": result("geographic_arbitrage"),
                "regional_results_path": result("regional_growth"),
                "seed": params.seed, "results_path": str(res / f"{name}.json")}
    if name == "market_report":
        return {"results_path": str(out / "results.json"),
                "growth_results_path": result("certification_growth"),
                "arbitrage_results_path": result("geographic_arbitrage"),
                "regional_results_path": result("regional_growth"),
                "claims_results_path": result("claims_audit"),
                "article_growth_path": _opt(files["claims_growth"]),
                "figures_dir": figs, "as_of": params.run_date().isoformat()}
    raise ValueError(name)


def execute_notebook(name: str, parameters: dict[str, Any], out: Path,
                     timeout: int) -> Step:
    """Execute one notebook with papermill (API), then export self-contained HTML."""
    import logging

    import papermill as pm

    from marketlib.publish import notebook_to_html

    logging.getLogger("papermill").setLevel(logging.WARNING)
    src = project_root() / "notebooks" / f"{name}.ipynb"
    dst = out / "notebooks" / f"{name}.ipynb"
    dst.parent.mkdir(parents=True, exist_ok=True)
    t0 = time.perf_counter()
    try:
        for attempt in (1, 2):
            try:
                pm.execute_notebook(str(src), str(dst), parameters=parameters,
                                    cwd=str(src.parent), kernel_name="python3",
                                    execution_timeout=timeout, progress_bar=False,
                                    log_output=False)
                break
            except pm.PapermillExecutionError:
                raise
            except Exception as exc:  # a kernel that never started: one retry, fresh kernel
                if attempt == 2 or not kernel_start_failure(exc, dst):
                    raise
                logging.getLogger("marketlib").warning(
                    "%s: kernel failed to start (%s); retrying once", name, exc)
                time.sleep(1.0)
    except pm.PapermillExecutionError as exc:
        return Step(name, "failed", time.perf_counter() - t0,
                    f"{exc.ename}: {exc.evalue} (cell {exc.exec_count})")
    except Exception as exc:  # timeouts and dead kernels surface as other errors
        kind = "timeout" if "timeout" in type(exc).__name__.lower() or "Timeout" in str(exc) \
            else "failed"
        return Step(name, kind, time.perf_counter() - t0,
                    f"{type(exc).__name__}: {str(exc)[:300]}")
    # the summary page ends with its own sources-and-parameters table; the others start with
    # the parameters they ran with
    notebook_to_html(dst, out / "html" / f"{name}.html",
                     None if name == "market_report" else parameters)
    return Step(name, "ok", time.perf_counter() - t0)


#: Words of the errors a kernel that could not start raises (port clash, ZMQ, no reply).
_KERNEL_START_WORDS = ("address already in use", "zmqerror", "kernel died before replying",
                       "kernel didn't respond", "timeout waiting for kernel_info",
                       "kernel_info", "failed to start the kernel")


def kernel_start_failure(exc: BaseException, output: Path) -> bool:
    """Whether ``exc`` is a kernel that failed to start (no cell ran), not the notebook's error.

    Only such failures are retried: a notebook that fails on its own error is reported as it
    is. The output notebook having any executed cell means the kernel did start.
    """
    text = f"{type(exc).__name__}: {exc}".lower()
    started = _executed_cells(output) > 0
    return not started and any(w in text for w in _KERNEL_START_WORDS)


def merge_results(params: ReportParams, data: dict[str, Any], out: Path,
                  started: str, previous: Path | None = None) -> dict[str, Any]:
    """Merge the notebooks' results into one results.json and validate it against the schema."""
    res = out / "results"

    def read(name: str) -> Any:
        p = res / f"{name}.json"
        return json.loads(p.read_text()) if p.exists() else None

    claims = read("claims_audit")
    regional = read("regional_growth")
    merged = {
        "run": {"started": started, "as_of": params.run_date().isoformat(),
                "params": params.to_dict(), "inputs": data["inputs"],
                "skipped": data.get("skipped", {}), "rates_source": data.get("rates_source"),
                "notes": data.get("notes", []), "coverage": data.get("coverage", {}),
                "article": data.get("article", {}),
                "provenance": data.get("provenance", []),
                "marketlib_version": __version__, "python": sys.version.split()[0]},
        "growth": read("certification_growth"),
        "arbitrage": read("geographic_arbitrage"),
        "regional": regional["regional"] if regional else None,
        "regional_detail": ({k: v for k, v in regional.items() if k != "regional"}
                            if regional else None),
        "claims": claims["claims"] if claims else None,
        "cleaning": {k: {f: v[f] for f in ("rows_in", "rows_clean", "rows_rejected",
                                            "reasons")}
                     for k, v in data["clean_reports"].items()},
    }
    merged["changes"] = None  # the first run has nothing to compare with
    if previous is not None:
        from marketlib.changes import changes_since

        try:
            merged["changes"] = changes_since(merged, compare_to=previous)
        except Exception as exc:  # a previous run's odd values never break the new run
            note = (f"the previous run {previous} could not be compared "
                    f"({type(exc).__name__}: {str(exc)[:160]})")
            merged["run"]["notes"] = [*merged["run"].get("notes", []), note]
            print(f"marketlib: warning: {note}", file=sys.stderr)
    validate_results(merged)
    write_json(out / "results.json", merged)
    return merged


def write_json(path: Path, data: Any) -> None:
    """Write JSON atomically."""
    atomic_write_bytes(path, (json.dumps(data, indent=2, default=str) + "\n").encode("utf-8"))


def validate_results(results: dict[str, Any]) -> None:
    """Validate a results.json document against the committed JSON Schema."""
    import jsonschema

    schema = json.loads((PACKAGE_DATA / "results.schema.json").read_text())
    jsonschema.validate(results, schema)


def _run_one(args: tuple[str, dict[str, Any], str, int]) -> Step:
    """Run one notebook in a pool worker, the kernel's own stderr going to a log file.

    The kernel inherits the worker's file descriptor 2, so its start-up warnings ("running
    over TCP without encryption") land in ``logs/<name>.kernel.log``, not on the terminal.
    """
    name, parameters, out, timeout = args
    log = Path(out) / "logs" / f"{name}.kernel.log"
    log.parent.mkdir(parents=True, exist_ok=True)
    with open(log, "ab") as fh:
        os.dup2(fh.fileno(), 2)
    return execute_notebook(name, parameters, Path(out), timeout)


def selected_notebooks(only: list[str] | None) -> list[str]:
    """Return the notebooks to run: ``only`` and what they need, in dependency order."""
    names = list(NOTEBOOKS)
    if not only:
        return names
    unknown = sorted(set(only) - set(NOTEBOOKS))
    if unknown:
        raise InputError("--only", f"unknown notebook(s) {unknown}; known: {names}")
    wanted: set[str] = set()
    for n in only:
        wanted |= {n, *NOTEBOOKS[n]}
    return [n for n in names if n in wanted]


class Progress:
    """Per-notebook progress: a bar per notebook on a terminal, plain lines otherwise.

    Papermill saves the output notebook after every cell, so progress is read from those
    files (cells with a papermill ``status`` of completed or failed): the notebooks run in other
    processes and need no channel back.
    """

    def __init__(self, names: list[str], out: Path, say: Callable[[str], None],
                 tty: bool | None = None) -> None:
        self.out = out
        self.say = say
        self.tty = sys.stdout.isatty() if tty is None else tty
        self.total = {n: _code_cells(n) for n in names}
        self.done: dict[str, int] = {}
        self.bars: dict[str, Any] = {}

    def start(self, name: str) -> None:
        """Show that a notebook started."""
        if self.tty:
            from tqdm import tqdm

            self.bars[name] = tqdm(total=self.total[name], desc=f"  {name}", unit="cell",
                                   position=len(self.bars), leave=True, dynamic_ncols=True)
        else:
            self.say(f"  {name}: started ({self.total[name]} cells)")

    def poll(self) -> None:
        """Advance each running notebook's bar to the cells it has executed."""
        for name in list(self.bars):
            n = _executed_cells(self.out / "notebooks" / f"{name}.ipynb")
            bar = self.bars[name]
            if n > bar.n:
                bar.update(n - bar.n)

    def finish(self, step: Step) -> None:
        """Show a notebook's outcome and close its bar."""
        bar = self.bars.pop(step.name, None)
        if bar is not None:
            if step.status == "ok":
                bar.update(bar.total - bar.n)
            bar.close()
        msg = f"  {step.name}: {step.status} in {step.seconds:.1f}s"
        self.say(msg + (f" - {step.message}" if step.message else ""))


def _code_cells(name: str) -> int:
    import nbformat

    nb = nbformat.read(project_root() / "notebooks" / f"{name}.ipynb", as_version=4)
    return sum(c.cell_type == "code" for c in nb.cells) + 1  # + papermill's parameters cell


def _executed_cells(path: Path) -> int:
    try:
        nb = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return 0
    return sum(c.get("metadata", {}).get("papermill", {}).get("status") in ("completed",
                                                                             "failed")
               for c in nb.get("cells", []) if c.get("cell_type") == "code")


def run_notebooks(names: list[str], params: ReportParams, data: dict[str, Any], out: Path,
                  say: Callable[[str], None]) -> dict[str, Step]:
    """Run the notebooks on two processes as their needs allow; return each one's step."""
    from concurrent.futures import FIRST_COMPLETED, wait

    steps: dict[str, Step] = {}
    progress = Progress(names, out, say)
    workers = max(1, min(2, os.cpu_count() or 1))
    running: dict[Any, str] = {}
    with ProcessPoolExecutor(max_workers=workers) as pool:
        while len(steps) < len(names):
            for n in names:
                if n in steps or n in running.values():
                    continue
                needs = [d for d in NOTEBOOKS[n] if d in names]
                if not all(d in steps for d in needs):
                    continue
                failed = [d for d in needs if steps[d].status != "ok"]
                if failed:
                    steps[n] = Step(n, "skipped", message=f"needs {', '.join(failed)}")
                    say(f"  {n}: skipped (needs {', '.join(failed)})")
                    continue
                job = pool.submit(_run_one, (n, notebook_parameters(n, params, data, out),
                                             str(out), params.timeout_seconds))
                running[job] = n
                progress.start(n)
            if not running:
                continue
            finished, _ = wait(list(running), timeout=0.5, return_when=FIRST_COMPLETED)
            progress.poll()
            for job in finished:
                n = running.pop(job)
                steps[n] = job.result()
                progress.finish(steps[n])
    return steps


def publish_run(staging: Path, final: Path) -> None:
    """Swap a complete run folder in place of ``final`` (the old one removed afterwards)."""
    old = None
    if final.exists():
        old = final.with_name(f".{final.name}.old-{os.getpid()}")
        os.replace(final, old)
    os.replace(staging, final)
    if old is not None:
        shutil.rmtree(old, ignore_errors=True)


def run_report(params_file: str | None = None, out: str | None = None,
               only: list[str] | None = None, update_readme: bool = False,
               compare_to: str | None = None, as_of: str | None = None,
               data_ref: str | None = None, notes: list[str] | None = None) -> int:
    """Run the whole report; return the exit status (0 ok, 1 notebook failed, 2 input).

    ``compare_to``: a previous run folder or results.json (default: the newest earlier run
    under the same reports folder; none on the first run) for results.json ``changes``.
    """
    from marketlib.changes import find_previous_run, load_previous

    started = datetime.now(UTC).isoformat(timespec="seconds")
    params = load_params(params_file)
    if as_of is not None or data_ref is not None:
        params = with_overrides(params, as_of, data_ref)
    names = selected_notebooks(only)
    as_of = params.run_date().isoformat()
    final = output_folder(params, out)
    if final.exists() and not final.is_dir():
        raise InputError(final, "--out exists and is not a folder")
    refuse_mixing(final, as_of)
    warnings: list[str] = []
    previous = (Path(compare_to) if compare_to
                else find_previous_run(final.parent, as_of, skipped=warnings))
    for w in warnings:
        print(f"marketlib: warning: {w}", file=sys.stderr)
    if previous is not None:
        try:
            load_previous(previous)
        except InputError as exc:  # named and skipped: a bad earlier run never stops this one
            warnings.append(f"the previous run {exc.path} was not compared: {exc.problem}")
            print(f"marketlib: warning: {warnings[-1]}", file=sys.stderr)
            previous = None
    check_inputs(params)
    sweep_staging(final.parent)
    _terminate_as_exit()
    try:
        final.parent.mkdir(parents=True, exist_ok=True)
        staging = Path(tempfile.mkdtemp(prefix=f".{final.name}.run-", dir=final.parent))
        from marketlib.sources.outputs import _umask

        os.chmod(staging, 0o777 & ~_umask())  # the run folder follows the umask (not 0700)
    except OSError as exc:
        raise InputError(final, f"cannot write the report there ({exc.strerror})") from exc

    def say(msg: str) -> None:
        print(msg, flush=True)

    t0 = time.perf_counter()
    say(f"marketlib report {as_of} -> {final}"
        + (f" (compared with {previous})" if previous is not None else ""))
    try:
        data = prepare_data(params, staging, say)
        data["notes"] = [str(n)[:500] for n in (notes or [])] + warnings
        data["skipped"] = {k: v for k, v in skipped_sections(params).items() if k in names}
        for n, why in data["skipped"].items():
            say(f"  {n}: skipped ({why})")
        t_prep = time.perf_counter() - t0
        sections = [n for n in names if n != "market_report" and n not in data["skipped"]]
        steps = run_notebooks(sections, params, data, staging, say)
        merged = merge_results(params, data, staging, started, previous)
        if "market_report" in names:
            if all(s.status == "ok" for s in steps.values()):
                steps.update(run_notebooks(["market_report"], params, data, staging, say))
            else:
                steps["market_report"] = Step("market_report", "skipped",
                                              message="a section failed")
        t1 = time.perf_counter()
        from marketlib.tables import write_tables

        write_tables(merged, staging)
        pdf_message = finish_summary(staging, merged, say)
        write_run_index(staging, merged)
        timings = {"data_prep": round(t_prep, 1), "notebooks_wall": round(t1 - t0 - t_prep, 1),
                   **{n: round(s.seconds, 1) for n, s in steps.items()},
                   "pdf": round(time.perf_counter() - t1, 1),
                   "total": round(time.perf_counter() - t0, 1)}
        write_json(staging / "timings.json", timings)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    bad = [s for s in steps.values() if s.status != "ok"]
    if bad:
        failed = final.with_name(f"{final.name}.failed")
        shutil.rmtree(failed, ignore_errors=True)
        os.replace(staging, failed)
        for s in bad:
            where = failed / "notebooks" / f"{s.name}.ipynb"
            kept = f"; kept at {where}" if s.status in ("failed", "timeout") else ""
            print(f"marketlib: notebook {s.name} {s.status}: {s.message}{kept}",
                  file=sys.stderr)
        if final.exists():
            print(f"marketlib: the previous report in {final} was left as it was",
                  file=sys.stderr)
        else:
            print(f"marketlib: no report was published for {as_of}", file=sys.stderr)
        if out is None:
            from marketlib.history import write_history

            write_history(final.parent)
        return EXIT_FAILED
    publish_run(staging, final)
    for stale in (final.with_name(f"{final.name}.failed"),):  # a later good run supersedes it
        shutil.rmtree(stale, ignore_errors=True)
    if out is None:  # the default reports folder: its history follows every run
        from marketlib.history import write_history

        say(f"  history: {write_history(final.parent)[1]}")
    if update_readme:
        update_readme_section(merged, final)
    pdf = final / "market_report.pdf"
    say(f"  PDF: {pdf}" if pdf.exists() else f"  {pdf_message}" if pdf_message else "")
    say(f"done in {timings['total']:.1f}s: {final / 'results.json'}")
    summary = final / "html" / "market_report.html"
    if summary.exists():
        say(f"summary page: {summary}")
    return EXIT_OK


def with_overrides(params: ReportParams, as_of: str | None = None,
                   data_ref: str | None = None) -> ReportParams:
    """Return ``params`` with ``--as-of`` / ``--data-ref`` set, validated as the file's."""
    from marketlib.params import ParamsError

    values = params.model_dump(mode="json")
    if as_of is not None:
        values["as_of"] = as_of
    if data_ref is not None:
        values["inputs"]["data_ref"] = data_ref
    try:
        return ReportParams.build(values)
    except ParamsError as exc:
        raise InputError("--as-of/--data-ref", str(exc)) from None


#: A staging folder older than this was left by a killed run (no run lasts that long).
STALE_STAGING_SECONDS = 6 * 3600


def sweep_staging(root: Path) -> None:
    """Remove staging folders (``.<as_of>.run-*``) that killed runs left under ``root``."""
    if not root.is_dir():
        return
    now = time.time()
    for p in root.glob(".*.run-*"):
        try:
            if p.is_dir() and now - p.stat().st_mtime > STALE_STAGING_SECONDS:
                shutil.rmtree(p, ignore_errors=True)
        except OSError:
            continue


def _terminate_as_exit() -> None:
    """Turn SIGTERM (a scheduler's timeout, ``kill``) into SystemExit, so staging is removed."""
    import signal

    def stop(signum: int, frame: Any) -> None:
        raise SystemExit(128 + signum)

    try:
        signal.signal(signal.SIGTERM, stop)
    except ValueError:  # not the main thread (a library caller): leave the handler alone
        pass


def output_folder(params: ReportParams, out: str | Path | None = None) -> Path:
    """Return the run's folder: ``--out``, else ``reports/<as_of>`` (as_of: the run date)."""
    return Path(out) if out else project_root() / "reports" / params.run_date().isoformat()


def refuse_mixing(final: Path, as_of: str) -> None:
    """Refuse to write a run into a folder that holds another as_of's report.

    A re-run of the same as_of replaces its folder as a whole (never file by file); a folder
    holding a different run, or files that are not a report, is left alone (exit 2).
    """
    if not final.exists():
        return
    results = final / "results.json"
    if not results.exists():
        if any(final.iterdir()):
            raise InputError(final, "folder is not empty and holds no report: choose another "
                                    "--out")
        return
    try:
        old = json.loads(results.read_text(encoding="utf-8"))["run"]["as_of"]
    except (OSError, ValueError, KeyError, TypeError):
        raise InputError(results, "unreadable report in the --out folder") from None
    if str(old) != as_of:
        raise InputError(final, f"holds the report of as_of {old}, not {as_of}: two runs are "
                                "never mixed in one folder (choose another --out)")


def page_title(path: Path) -> str:
    """Return a page's own title (its ``<title>``), else its file name."""
    import re

    m = re.search(r"<title>(.*?)</title>", path.read_text(encoding="utf-8", errors="replace"),
                  re.S)
    return m.group(1).strip() if m else path.stem


def write_run_index(out: Path, results: dict[str, Any]) -> Path:
    """Write ``index.html`` of one run: every page with its title, the tables and the data."""
    import html

    esc = html.escape
    pages = sorted((out / "html").glob("*.html"), key=lambda p: p.name != "market_report.html")
    items = "".join(f'<li><a href="html/{esc(p.name, quote=True)}">{esc(page_title(p))}</a>'
                    "</li>" for p in pages)
    tables = sorted((out / "tables").glob("*")) if (out / "tables").is_dir() else []
    tlinks = "".join(f'<li><a href="tables/{esc(t.name, quote=True)}">{esc(t.name)}</a></li>'
                     for t in tables)
    as_of = esc(str(results.get("run", {}).get("as_of", "")))
    from marketlib.publish import CSP_META

    body = (f"<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\">{CSP_META}"
            f"<title>marketlib report {as_of}</title></head><body style=\"font-family:"
            f"system-ui,sans-serif;max-width:900px;margin:2em auto\"><h1>marketlib report, "
            f"as of {as_of}</h1><h2>Pages</h2><ul>{items}</ul><h2>Tables (CSV, Excel)</h2>"
            f"<ul>{tlinks}</ul><h2>Data</h2><ul><li><a href=\"results.json\">results.json"
            "</a></li><li><a href=\"market_report.pdf\">market_report.pdf</a> (when printed)"
            "</li></ul></body></html>\n")
    atomic_write_bytes(out / "index.html", body.encode("utf-8"))
    return out / "index.html"


def finish_summary(out: Path, results: dict[str, Any], say: Callable[[str], None]) -> str:
    """Write the brief (html/brief.html) and print it to PDF, or say why not."""
    from marketlib.brief import write_brief
    from marketlib.publish import write_pdf

    if not (out / "html" / "market_report.html").exists():
        return ""
    brief = write_brief(results, out)
    result = write_pdf(brief, out / "market_report.pdf")
    return result.message


README_START, README_END = "<!-- report:start -->", "<!-- report:end -->"


def headline_markdown(results: dict[str, Any], figure: str) -> str:
    """Return the README's generated section: a figure and the headline numbers."""
    from marketlib.publish import key_findings

    lines = [README_START, "", f"*Generated by `make headline` (params/pinned.yaml) for as_of "
             f"{results['run']['as_of']}; do not edit by hand.*", "", f"![ratios]({figure})", ""]
    if results.get("regional"):
        lines[-1:-1] = ["", "![regional growth](docs/regional_growth.png)"]
    from marketlib.prose import hong_kong_sentence

    lines += [f"- {s}" for s in key_findings(results)]
    hk = hong_kong_sentence(results)
    if hk:
        lines.append(f"- Composition: {hk}")
    lines += ["", README_END]
    return "\n".join(lines)


def update_readme_section(results: dict[str, Any], out_dir: Path) -> None:
    """Replace the README's generated section and copy its figure to ``docs/``."""
    root = project_root()
    docs = root / "docs"
    docs.mkdir(exist_ok=True)
    for name in ("arbitrage_ratios.png", "regional_growth.png"):
        fig = out_dir / "figures" / name
        if fig.exists():
            (docs / name).write_bytes(fig.read_bytes())
    readme = root / "README.md"
    text = readme.read_text(encoding="utf-8")
    if README_START not in text or README_END not in text:
        return
    head, rest = text.split(README_START, 1)
    _, tail = rest.split(README_END, 1)
    readme.write_text(head + headline_markdown(results, "docs/arbitrage_ratios.png") + tail,
                      encoding="utf-8")
