"""The sections' notebooks through papermill, on two processes as their needs allow."""

from __future__ import annotations

import json
import os
import sys
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ProcessPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from marketlib.params import ReportParams
from marketlib.paths import project_root
from marketlib.publish import notebook_to_html
from marketlib.sections.base import optional, results_path
from marketlib.sections.registry import SECTIONS, SUMMARY, by_name, notebooks
from marketlib.sources import InputError


@dataclass
class Step:
    """One notebook run: its outcome and timing."""

    name: str
    status: str  # ok | failed | timeout | skipped
    seconds: float = 0.0
    message: str = ""


def notebook_parameters(
    name: str, params: ReportParams, data: dict[str, Any], out: Path
) -> dict[str, Any]:
    """Return the papermill parameters of one notebook (absolute paths, plain literals).

    Each section says its own (``SectionSpec.notebook_parameters``). An input the run does not
    have (null in the params, or a section not run) is passed as None: the notebook skips what
    needs it and says so.
    """
    if name != SUMMARY:
        spec = by_name(name)
        assert spec.notebook_parameters is not None
        return spec.notebook_parameters(params, data, out)
    skipped = data.get("skipped", {})
    return {
        "results_path": str(out / "results.json"),
        "results_paths": {
            s.key: None if s.name in skipped else results_path(out, s.name) for s in SECTIONS
        },
        "article_growth_path": optional(data["files"]["claims_growth"]),
        "figures_dir": str(out / "figures"),
        "as_of": params.run_date().isoformat(),
    }


def execute_notebook(name: str, parameters: dict[str, Any], out: Path, timeout: int) -> Step:
    """Execute one notebook with papermill (API), then export self-contained HTML."""
    import logging

    import papermill as pm

    logging.getLogger("papermill").setLevel(logging.WARNING)
    src = project_root() / "notebooks" / f"{name}.ipynb"
    dst = out / "notebooks" / f"{name}.ipynb"
    dst.parent.mkdir(parents=True, exist_ok=True)
    t0 = time.perf_counter()
    try:
        for attempt in (1, 2):
            try:
                with ipc_kernel_manager() as km:
                    pm.execute_notebook(
                        str(src),
                        str(dst),
                        parameters=parameters,
                        cwd=str(src.parent),
                        kernel_name="python3",
                        execution_timeout=timeout,
                        progress_bar=False,
                        log_output=False,
                        km=km,
                    )
                break
            except pm.PapermillExecutionError:
                raise
            except Exception as exc:  # a kernel that never started: one retry, fresh kernel
                if attempt == 2 or not kernel_start_failure(exc, dst):
                    raise
                logging.getLogger("marketlib").warning(
                    "%s: kernel failed to start (%s); retrying once", name, exc
                )
                time.sleep(1.0)
    except pm.PapermillExecutionError as exc:
        return Step(
            name,
            "failed",
            time.perf_counter() - t0,
            f"{exc.ename}: {exc.evalue} (cell {exc.exec_count})",
        )
    except Exception as exc:  # timeouts and dead kernels surface as other errors
        kind = (
            "timeout"
            if "timeout" in type(exc).__name__.lower() or "Timeout" in str(exc)
            else "failed"
        )
        return Step(name, kind, time.perf_counter() - t0, f"{type(exc).__name__}: {str(exc)[:300]}")
    # the summary page ends with its own sources-and-parameters table; the others start with
    # the parameters they ran with
    notebook_to_html(
        dst, out / "html" / f"{name}.html", None if name == "market_report" else parameters
    )
    return Step(name, "ok", time.perf_counter() - t0)


@contextmanager
def ipc_kernel_manager() -> Iterator[Any]:
    """Yield a kernel manager whose kernel talks over IPC sockets in a private folder.

    The default TCP transport picks free ports and then binds them: two kernels started at
    once (the report runs two notebooks in parallel, and tests run beside it) can pick the
    same port, and the loser dies with "Address already in use". Socket files in a folder of
    our own cannot clash.
    """
    import shutil
    import tempfile

    from jupyter_client.manager import AsyncKernelManager
    from jupyter_core.utils import run_sync

    folder = tempfile.mkdtemp(prefix="marketlib-kernel-")
    km = AsyncKernelManager(kernel_name="python3", transport="ipc", ip=os.path.join(folder, "k"))
    try:
        yield km
    finally:  # a manager passed in is not ours to nbclient: it never stops the kernel itself
        try:
            if km.has_kernel:
                run_sync(km.shutdown_kernel)(now=True)
        finally:
            shutil.rmtree(folder, ignore_errors=True)


#: Words of the errors a kernel that could not start raises (port clash, ZMQ, no reply).
_KERNEL_START_WORDS = (
    "address already in use",
    "zmqerror",
    "kernel died",
    "deadkernel",
    "kernel didn't respond",
    "timeout waiting for kernel_info",
    "kernel_info",
    "failed to start the kernel",
)


def kernel_start_failure(exc: BaseException, output: Path) -> bool:
    """Whether ``exc`` is a kernel that failed to start (no cell ran), not the notebook's error.

    Only such failures are retried: a notebook that fails on its own error is reported as it
    is. A cell the kernel ran has an execution count; papermill's own "completed" status is
    no proof, as it marks every pending cell completed when it gives up.
    """
    text = f"{type(exc).__name__}: {exc}".lower()
    started = _ran_cells(output) > 0
    return not started and any(w in text for w in _KERNEL_START_WORDS)


def die_with_parent() -> None:
    """Make this pool worker end when the report process ends, however it ends.

    A killed report (SIGKILL, the out-of-memory killer) runs no clean-up: without this its
    workers (about 200 MB each) go on running their notebooks into a staging folder nobody
    will publish. Linux ``prctl(PR_SET_PDEATHSIG, SIGKILL)``; the kernels a worker starts end
    with it (ipykernel exits when its parent process changes). Elsewhere a no-op.
    """
    import ctypes
    import signal

    try:
        libc = ctypes.CDLL(None, use_errno=True)
        pr_set_pdeathsig = 1
        libc.prctl(pr_set_pdeathsig, int(signal.SIGKILL), 0, 0, 0)
    except (OSError, AttributeError):
        return
    if os.getppid() == 1:  # the parent died before the call: follow it now
        os._exit(1)


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


#: Notebooks in a valid run order: name -> the notebooks it needs (from the section registry).
NOTEBOOKS: dict[str, tuple[str, ...]] = notebooks()


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

    def __init__(
        self, names: list[str], out: Path, say: Callable[[str], None], tty: bool | None = None
    ) -> None:
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

            self.bars[name] = tqdm(
                total=self.total[name],
                desc=f"  {name}",
                unit="cell",
                position=len(self.bars),
                leave=True,
                dynamic_ncols=True,
            )
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


def _ran_cells(path: Path) -> int:
    """Code cells the kernel actually ran (they carry an execution count)."""
    try:
        nb = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return 0
    return sum(
        c.get("execution_count") is not None
        for c in nb.get("cells", [])
        if c.get("cell_type") == "code"
    )


def _executed_cells(path: Path) -> int:
    try:
        nb = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return 0
    return sum(
        c.get("metadata", {}).get("papermill", {}).get("status") in ("completed", "failed")
        for c in nb.get("cells", [])
        if c.get("cell_type") == "code"
    )


def run_notebooks(
    names: list[str],
    params: ReportParams,
    data: dict[str, Any],
    out: Path,
    say: Callable[[str], None],
) -> dict[str, Step]:
    """Run the notebooks on two processes as their needs allow; return each one's step."""
    from concurrent.futures import FIRST_COMPLETED, wait

    steps: dict[str, Step] = {}
    progress = Progress(names, out, say)
    workers = max(1, min(2, os.cpu_count() or 1))
    running: dict[Any, str] = {}
    with ProcessPoolExecutor(max_workers=workers, initializer=die_with_parent) as pool:
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
                job = pool.submit(
                    _run_one,
                    (
                        n,
                        notebook_parameters(n, params, data, out),
                        str(out),
                        params.timeout_seconds,
                    ),
                )
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
