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


def check_inputs(params: ReportParams) -> dict[str, Path]:
    """Return the typed input files, refusing (InputError) any that is missing."""
    inp = params.inputs
    files = {"certifications": input_path(inp.certifications), "claims": input_path(inp.claims),
             "claims_definitions": input_path(inp.claims_definitions),
             "claims_growth": input_path(inp.claims_growth)}
    for path in files.values():
        if not path.is_file():
            raise InputError(path, "input file not found")
    return files


def prepare_data(params: ReportParams, out: Path, say: Callable[[str], None] = print
                 ) -> dict[str, Any]:
    """Fetch (or mirror) the public files and clean them into ``out/clean``; return provenance.

    Every input is read and checked before anything is written.
    """
    from marketlib.clean import clean_activity, clean_certifications, clean_rates, input_format
    from marketlib.sources import fetch, provenance_of, read_csv_text
    from marketlib.storage import write_outputs

    files = check_inputs(params)
    aijobs = fetched_or_given(params.inputs.aijobs, "aijobs")
    ppp = fetch("ppp", raw_dir())
    cparams = params.clean_params()
    spec = input_format("aijobs")
    rates_raw = read_csv_text(aijobs, required=spec.required)
    cert_fmt = input_format(params.inputs.certifications_format, "certifications")
    cert_raw = read_csv_text(files["certifications"], required=cert_fmt.required,
                             any_of=cert_fmt.any_of)
    activity_files = activity_inputs(params)
    act_fmt = input_format("innovationgraph")
    act_raw = [read_csv_text(f, required=act_fmt.required) for f in activity_files]
    clean_dir = out / "clean"
    rates = clean_rates(rates_raw.frame, "aijobs", cparams, source_file=aijobs.name)
    certs = clean_certifications(cert_raw.frame, cert_fmt.name, cparams,
                                 source_file=files["certifications"].name)
    inputs = {shown_path(aijobs): rates_raw.sha256, shown_path(ppp): sha256_file(ppp),
              shown_path(files["certifications"]): cert_raw.sha256}
    write_outputs(rates, clean_dir, {shown_path(aijobs): rates_raw.sha256})
    write_outputs(certs, clean_dir, {shown_path(files["certifications"]): cert_raw.sha256})
    reports = {"rates": rates.report, "certifications": certs.report}
    tables = {"rates": clean_dir / "rates.parquet",
              "certifications": clean_dir / "certifications.parquet"}
    if act_raw:
        activity = clean_activity([(t.frame, t.path.name) for t in act_raw], "innovationgraph",
                                  cparams)
        act_inputs = {shown_path(t.path): t.sha256 for t in act_raw}
        write_outputs(activity, clean_dir, act_inputs)
        inputs.update(act_inputs)
        reports["activity"] = activity.report
        tables["activity"] = clean_dir / "activity.parquet"
    for key in ("claims", "claims_definitions", "claims_growth"):
        inputs[shown_path(files[key])] = sha256_file(files[key])
    provenance = []
    for path in [aijobs, ppp, *activity_files]:
        prov = provenance_of(path)
        if prov is not None:
            provenance.append({"path": shown_path(path), **prov.to_dict()})
    say(f"  data: rates {rates.report['rows_clean']:,} clean of {rates.report['rows_in']:,}; "
        f"certifications {certs.report['rows_clean']} of {certs.report['rows_in']}"
        + (f"; activity {reports['activity']['rows_clean']:,} of "
           f"{reports['activity']['rows_in']:,}" if "activity" in reports else ""))
    return {"inputs": inputs, "tables": tables, "ppp": ppp, "files": files,
            "clean_reports": reports, "provenance": provenance}


def fetched_or_given(rel: str, dataset: str) -> Path:
    """Return an input file: the pinned public file when it is asked for at its home.

    The pinned file is fetched (or copied from the mirror) and sha256-checked; any other path
    is used as given.
    """
    from marketlib.sources import DATASETS, fetch

    path = input_path(rel)
    if path == raw_dir() / DATASETS[dataset].relpath:
        return fetch(dataset, raw_dir())
    if not path.is_file():
        raise InputError(path, "input file not found")
    return path


def activity_inputs(params: ReportParams) -> list[Path]:
    """Return the Innovation Graph files of the run (fetched or mirrored), or none."""
    if params.inputs.activity is None:
        return []
    from marketlib.sources import fetch

    folder = input_path(params.inputs.activity)
    if folder == input_path("data/raw/innovationgraph"):
        return [fetch(name, raw_dir()) for name in ACTIVITY_DATASETS]
    if folder.is_file():
        return [folder]
    found = sorted(folder.glob("*.csv")) if folder.is_dir() else []
    if not found:
        raise InputError(folder, "no Innovation Graph CSV files there")
    return found


#: The Innovation Graph files the regional section reads (datasets of marketlib.sources).
ACTIVITY_DATASETS = ("innovationgraph/topics", "innovationgraph/developers")


def notebook_parameters(name: str, params: ReportParams, data: dict[str, Any],
                        out: Path) -> dict[str, Any]:
    """Return the papermill parameters of one notebook (absolute paths, plain literals)."""
    res = out / "results"
    figs = str(out / "figures")
    tables = data["tables"]
    files = data["files"]
    if name == "certification_growth":
        return {**params.growth.to_dict(), "counts_path": str(tables["certifications"]),
                "article_growth_path": str(files["claims_growth"]),
                "results_path": str(res / f"{name}.json"), "figures_dir": figs}
    if name == "regional_growth":
        return {**params.regional.to_dict(), "counts_path": str(tables.get("activity", "")),
                "article_growth_path": str(files["claims_growth"]),
                "results_path": str(res / f"{name}.json"), "figures_dir": figs}
    if name == "geographic_arbitrage":
        return {**params.arbitrage.to_dict(), "rates_path": str(tables["rates"]),
                "claims_path": str(files["claims"]), "price_levels_path": str(data["ppp"]),
                "results_path": str(res / f"{name}.json"), "figures_dir": figs}
    if name == "claims_audit":
        return {"claims_path": str(files["claims"]),
                "definitions_path": str(files["claims_definitions"]),
                "printed_path": str(files["certifications"]),
                "certifications_path": str(tables["certifications"]),
                "rates_path": str(tables["rates"]),
                "activity_path": str(tables.get("activity", "")),
                "growth_results_path": str(res / "certification_growth.json"),
                "arbitrage_results_path": str(res / "geographic_arbitrage.json"),
                "regional_results_path": str(res / "regional_growth.json"),
                "seed": params.seed, "results_path": str(res / f"{name}.json")}
    if name == "market_report":
        return {"results_path": str(out / "results.json"),
                "growth_results_path": str(res / "certification_growth.json"),
                "arbitrage_results_path": str(res / "geographic_arbitrage.json"),
                "regional_results_path": str(res / "regional_growth.json"),
                "claims_results_path": str(res / "claims_audit.json"),
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
        pm.execute_notebook(str(src), str(dst), parameters=parameters,
                            cwd=str(src.parent), kernel_name="python3",
                            execution_timeout=timeout, progress_bar=False, log_output=False)
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

        merged["changes"] = changes_since(merged, compare_to=previous)
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
               compare_to: str | None = None) -> int:
    """Run the whole report; return the exit status (0 ok, 1 notebook failed, 2 input).

    ``compare_to``: a previous run folder or results.json (default: the newest earlier run
    under the same reports folder; none on the first run) for results.json ``changes``.
    """
    from marketlib.changes import find_previous_run, load_previous

    started = datetime.now(UTC).isoformat(timespec="seconds")
    params = load_params(params_file)
    names = selected_notebooks(only)
    as_of = params.run_date().isoformat()
    final = output_folder(params, out)
    if final.exists() and not final.is_dir():
        raise InputError(final, "--out exists and is not a folder")
    refuse_mixing(final, as_of)
    previous = Path(compare_to) if compare_to else find_previous_run(final.parent, as_of)
    if previous is not None:
        try:
            load_previous(previous)
        except (OSError, ValueError, KeyError) as exc:
            raise InputError(previous, f"not a previous report ({exc})") from exc
    check_inputs(params)
    try:
        final.parent.mkdir(parents=True, exist_ok=True)
        staging = Path(tempfile.mkdtemp(prefix=f".{final.name}.run-", dir=final.parent))
    except OSError as exc:
        raise InputError(final, f"cannot write the report there ({exc.strerror})") from exc

    def say(msg: str) -> None:
        print(msg, flush=True)

    t0 = time.perf_counter()
    say(f"marketlib report {as_of} -> {final}"
        + (f" (compared with {previous})" if previous is not None else ""))
    try:
        data = prepare_data(params, staging, say)
        t_prep = time.perf_counter() - t0
        sections = [n for n in names if n != "market_report"]
        steps = run_notebooks(sections, params, data, staging, say)
        merged = merge_results(params, data, staging, started, previous)
        if "market_report" in names:
            if all(s.status == "ok" for s in steps.values()):
                steps.update(run_notebooks(["market_report"], params, data, staging, say))
            else:
                steps["market_report"] = Step("market_report", "skipped",
                                              message="a section failed")
        t1 = time.perf_counter()
        pdf_message = finish_summary(staging, say)
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
        print(f"marketlib: the previous report in {final} was left as it was", file=sys.stderr)
        return EXIT_FAILED
    publish_run(staging, final)
    if update_readme:
        update_readme_section(merged, final)
    pdf = final / "market_report.pdf"
    say(f"  PDF: {pdf}" if pdf.exists() else f"  {pdf_message}" if pdf_message else "")
    say(f"done in {timings['total']:.1f}s: {final / 'results.json'}")
    return EXIT_OK


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


def finish_summary(out: Path, say: Callable[[str], None]) -> str:
    """Print the summary page to PDF (or say why not); return the message for the user."""
    from marketlib.publish import write_pdf

    html = out / "html" / "market_report.html"
    if not html.exists():
        return ""
    result = write_pdf(html, out / "market_report.pdf")
    return result.message


README_START, README_END = "<!-- report:start -->", "<!-- report:end -->"


def headline_markdown(results: dict[str, Any], figure: str) -> str:
    """Return the README's generated section: a figure and the headline numbers."""
    from marketlib.publish import key_findings

    lines = [README_START, "", f"*Generated by `marketlib report` for as_of "
             f"{results['run']['as_of']}; do not edit by hand.*", "", f"![ratios]({figure})", ""]
    if results.get("regional"):
        lines[-1:-1] = ["", "![regional growth](docs/regional_growth.png)"]
    lines += [f"- {s}" for s in key_findings(results)]
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
