"""Regenerate the committed notebook baselines (the nbval reference outputs).

For each ``notebooks/<name>.py`` (jupytext percent source): build the notebook from the source,
execute it with papermill and **no parameters** (the defaults are the fixture), in
``notebooks/`` with a cell timeout, then strip papermill's run metadata while keeping outputs
and execution counts. Running it twice leaves no git diff.

    python scripts/regenerate_notebooks.py [name ...]
"""

from __future__ import annotations

import os
import sys
import tempfile
from pathlib import Path

import jupytext
import nbformat
import papermill as pm

ROOT = Path(__file__).resolve().parents[1]
NB_DIR = ROOT / "notebooks"
from marketlib.report import NOTEBOOKS  # noqa: E402 - the one dependency order

ORDER = list(NOTEBOOKS)
TIMEOUT = 300


def strip_run_metadata(nb: nbformat.NotebookNode) -> nbformat.NotebookNode:
    """Drop papermill/timing metadata; keep outputs, execution counts and tags."""
    nb.metadata.pop("papermill", None)
    nb.metadata.pop("widgets", None)
    for cell in nb.cells:
        cell.metadata.pop("papermill", None)
        cell.metadata.pop("execution", None)
        cell.metadata.pop("ExecuteTime", None)
        if "id" in cell:
            del cell["id"]
    nb.nbformat, nb.nbformat_minor = 4, 4
    return nb


#: The notebooks' kernel: the project's environment, registered by `make install`.
KERNELSPEC = {"display_name": "marketlib (project)", "language": "python", "name": "marketlib"}


def regenerate(name: str) -> Path:
    """Execute ``notebooks/<name>.py`` and write ``notebooks/<name>.ipynb``."""
    src = NB_DIR / f"{name}.py"
    out = NB_DIR / f"{name}.ipynb"
    nb = jupytext.read(src)
    with tempfile.TemporaryDirectory() as tmp:
        tmp_in = Path(tmp) / f"{name}.ipynb"
        nbformat.write(nb, tmp_in)
        executed = pm.execute_notebook(
            str(tmp_in),
            str(Path(tmp) / "out.ipynb"),
            cwd=str(NB_DIR),
            kernel_name="python3",
            execution_timeout=TIMEOUT,
            progress_bar=False,
            log_output=False,
        )
    executed = strip_run_metadata(nbformat.from_dict(executed))
    # executed by this interpreter's kernel; opened in JupyterLab with the project's kernel
    # (`make install` registers it), as the paired .py says
    executed.metadata["kernelspec"] = dict(KERNELSPEC)
    nbformat.write(executed, out)
    return out


def main(names: list[str]) -> int:
    """Regenerate the named notebooks (all, in dependency order, by default)."""
    os.environ.setdefault("PYTHONHASHSEED", "0")
    names = names or [n for n in ORDER if (NB_DIR / f"{n}.py").exists()]
    for name in names:
        print(f"regenerating {name} ...", flush=True)
        print(f"  wrote {regenerate(name).relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
