"""Run the report: plan, stage, run the sections' notebooks, publish or keep the failure.

Everything is validated before anything is written, the run is built in a hidden staging
folder, and only a complete, successful run replaces ``reports/<as_of>/``: a failed run never
leaves stale or mixed results (it is kept beside it as ``<as_of>.failed/`` with the failing
notebook and its error).
"""

from __future__ import annotations

import json
import os
import shutil
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from marketlib.changes import find_previous_run, load_previous
from marketlib.history import write_history
from marketlib.params import ParamsError, ReportParams, load_report_params
from marketlib.paths import project_root
from marketlib.report.folder import (
    check_out_folder,
    publish_run,
    recover_publish,
    report_lock,
    short_name,
)
from marketlib.report.inputs import (
    check_inputs,
    prepare_data,
    skipped_sections,
)
from marketlib.report.notebooks import Step, run_notebooks, selected_notebooks
from marketlib.report.outputs import (
    finish_summary,
    merge_results,
    update_readme_section,
    write_run_index,
)
from marketlib.sanitize import one_line, plain_text
from marketlib.sections.base import save_json
from marketlib.sections.registry import SUMMARY, by_name
from marketlib.sources import InputError
from marketlib.sources.outputs import current_umask
from marketlib.tables import write_tables

EXIT_OK, EXIT_FAILED, EXIT_INPUT = 0, 1, 2
#: The step after the notebooks: results, tables, the summary's PDF, the run's index.
PUBLISH = "publishing"


def load_params(path: str | Path | None) -> ReportParams:
    """Read and validate the report parameters (default: ``params/default.yaml``)."""
    return load_report_params(path or project_root() / "params" / "default.yaml")


def say(msg: str) -> None:
    """Print one progress line now (the report's terminal output)."""
    print(plain_text(msg), flush=True)


def warn(msg: str) -> None:
    """Print a warning on stderr."""
    print(f"marketlib: warning: {one_line(msg)}", file=sys.stderr)


def run_report(
    params_file: str | None = None,
    out: str | None = None,
    only: list[str] | None = None,
    update_readme: bool = False,
    compare_to: str | None = None,
    as_of: str | None = None,
    data_ref: str | None = None,
    notes: list[str] | None = None,
) -> int:
    """Run the whole report; return the exit status (0 ok, 1 notebook failed, 2 input).

    ``compare_to``: a previous run folder or results.json (default: the newest earlier run
    under the same reports folder; none on the first run) for results.json ``changes``.
    """
    started = datetime.now(UTC).isoformat(timespec="seconds")
    params = load_params(params_file)
    if as_of is not None or data_ref is not None:
        params = with_overrides(params, as_of, data_ref)
    names = selected_notebooks(only)
    as_of = params.run_date().isoformat()
    final = check_out_folder(output_folder(params, out))
    if final.exists() and not final.is_dir():
        raise InputError(final, "--out exists and is not a folder")
    with report_lock(final):
        restored = recover_publish(final)
        if restored:
            warn(f"{final}: {restored}")
        return _locked_run(
            params, names, final, as_of, out, compare_to, notes, update_readme, started
        )


def _locked_run(
    params: ReportParams,
    names: list[str],
    final: Path,
    as_of: str,
    out: str | None,
    compare_to: str | None,
    notes: list[str] | None,
    update_readme: bool,
    started: str,
) -> int:
    """Run the report into ``final`` while holding its lock (see :func:`run_report`)."""
    refuse_mixing(final, as_of)
    warnings: list[str] = []
    previous = previous_run(final, as_of, compare_to, warnings)
    check_inputs(params)
    sweep_staging(final.parent)
    _terminate_as_exit()
    staging = make_staging(final)
    say(
        f"marketlib report {as_of} -> {final}"
        + (f" (compared with {previous})" if previous is not None else "")
    )
    try:
        steps, merged, timings, pdf_message = build_run(
            params,
            names,
            staging,
            started,
            previous,
            [one_line(n)[:500] for n in (notes or [])] + warnings,
        )
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    bad = [s for s in steps.values() if s.status != "ok"]
    if bad:
        return keep_failed(final, staging, bad, as_of, history=out is None)
    publish_run(staging, final)
    shutil.rmtree(final.with_name(f"{final.name}.failed"), ignore_errors=True)  # superseded
    if out is None:  # the default reports folder: its history follows every run
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


def previous_run(
    final: Path, as_of: str, compare_to: str | None, warnings: list[str]
) -> Path | None:
    """Return the run to compare with (given, or the newest earlier one), or None.

    A previous run that cannot be read is named in ``warnings`` and skipped: a bad earlier run
    never stops this one.
    """
    previous = (
        Path(compare_to) if compare_to else find_previous_run(final.parent, as_of, skipped=warnings)
    )
    for w in warnings:
        warn(w)
    if previous is not None:
        try:
            load_previous(previous)
        except InputError as exc:
            warnings.append(f"the previous run {exc.path} was not compared: {exc.problem}")
            warn(warnings[-1])
            previous = None
    return previous


def make_staging(final: Path) -> Path:
    """Create the hidden staging folder beside ``final``, following the umask (not 0700)."""
    try:
        final.parent.mkdir(parents=True, exist_ok=True)
        staging = Path(tempfile.mkdtemp(prefix=f".{short_name(final)}.run-", dir=final.parent))
        os.chmod(staging, 0o777 & ~current_umask())
    except OSError as exc:
        raise InputError(final, f"cannot write the report there ({exc.strerror})") from exc
    return staging


def build_run(
    params: ReportParams,
    names: list[str],
    staging: Path,
    started: str,
    previous: Path | None,
    notes: list[str],
) -> tuple[dict[str, Step], dict[str, Any], dict[str, float], str]:
    """Clean the inputs, run the sections and the summary page, write tables, PDF, index."""
    t0 = time.perf_counter()
    data = prepare_data(params, staging, say, names)
    data["notes"] = notes + [n for n in data.get("fallbacks", []) if n not in notes]
    data["skipped"] = {k: v for k, v in skipped_sections(params).items() if k in names}
    for n, why in data["skipped"].items():
        say(f"  {n}: skipped ({why})")
    t_prep = time.perf_counter() - t0
    sections = [n for n in names if n != SUMMARY and n not in data["skipped"]]
    check_sections(params, data["tables"], sections)
    steps = run_notebooks(sections, params, data, staging, say)
    t1 = time.perf_counter()
    merged: dict[str, Any] = {}
    pdf_message = ""
    try:  # any failure from here on is the run's, kept as <as_of>.failed/ with its reason
        merged = merge_results(params, data, staging, started, previous)
        if SUMMARY in names:
            if all(s.status == "ok" for s in steps.values()):
                steps.update(run_notebooks([SUMMARY], params, data, staging, say))
            else:
                steps[SUMMARY] = Step(SUMMARY, "skipped", message="a section failed")
        t1 = time.perf_counter()
        write_tables(merged, staging)
        pdf_message = finish_summary(staging, merged, say)
        write_run_index(staging, merged)
    except Exception as exc:  # noqa: BLE001 - reported with its type, never a traceback
        steps[PUBLISH] = Step(
            PUBLISH,
            "failed",
            time.perf_counter() - t1,
            one_line(f"{type(exc).__name__}: {exc}")[:300],
        )
    timings = {
        "data_prep": round(t_prep, 1),
        "notebooks_wall": round(t1 - t0 - t_prep, 1),
        **{n: round(s.seconds, 1) for n, s in steps.items()},
        "pdf": round(time.perf_counter() - t1, 1),
        "total": round(time.perf_counter() - t0, 1),
    }
    save_json(timings, staging / "timings.json")
    return steps, merged, timings, pdf_message


def check_sections(params: ReportParams, tables: dict[str, Path], names: list[str]) -> None:
    """Refuse (exit 2, before any notebook) parameters the clean tables cannot serve.

    Each section the run executes checks its own (``SectionSpec.check``); a section not run is
    not checked (``--only regional_growth`` never fails on the pay section's filters).
    """
    for n in names:
        spec = by_name(n)
        if spec.check is not None:
            spec.check(params, tables)


def keep_failed(final: Path, staging: Path, bad: list[Step], as_of: str, history: bool) -> int:
    """Keep a failed run beside the report as ``<as_of>.failed/``, say why, return exit 1."""
    failed = final.with_name(f"{final.name}.failed")
    shutil.rmtree(failed, ignore_errors=True)
    os.replace(staging, failed)
    for s in bad:
        if s.name == PUBLISH:
            print(
                f"marketlib: publishing the run failed: {s.message}; the run is kept at {failed}",
                file=sys.stderr,
            )
            continue
        where = failed / "notebooks" / f"{s.name}.ipynb"
        kept = f"; kept at {where}" if s.status in ("failed", "timeout") else ""
        print(f"marketlib: notebook {s.name} {s.status}: {s.message}{kept}", file=sys.stderr)
    if final.exists():
        print(f"marketlib: the previous report in {final} was left as it was", file=sys.stderr)
    else:
        print(f"marketlib: no report was published for {as_of}", file=sys.stderr)
    if history:
        write_history(final.parent)
    return EXIT_FAILED


def with_overrides(
    params: ReportParams, as_of: str | None = None, data_ref: str | None = None
) -> ReportParams:
    """Return ``params`` with ``--as-of`` / ``--data-ref`` set, validated as the file's."""
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
            raise InputError(final, "folder is not empty and holds no report: choose another --out")
        return
    try:
        old = json.loads(results.read_text(encoding="utf-8"))["run"]["as_of"]
    except (OSError, ValueError, KeyError, TypeError):
        raise InputError(results, "unreadable report in the --out folder") from None
    if str(old) != as_of:
        raise InputError(
            final,
            f"holds the report of as_of {old}, not {as_of}: two runs are "
            "never mixed in one folder (choose another --out)",
        )
