"""The committed .ipynb baselines are in sync with their .py sources and cleanly executed."""

from __future__ import annotations

from pathlib import Path

import jupytext
import nbformat
import pytest

NB_DIR = Path(__file__).resolve().parents[1] / "notebooks"
SOURCES = sorted(NB_DIR.glob("*.py"))


@pytest.mark.parametrize("src", SOURCES, ids=lambda p: p.stem)
def test__baseline_inputs_equal_the_py_source(src):
    ipynb = src.with_suffix(".ipynb")
    assert ipynb.exists(), f"{ipynb.name} missing: run `make baselines`"
    want = [(c.cell_type, c.source.strip()) for c in jupytext.read(src).cells]
    got = [(c.cell_type, c.source.strip()) for c in nbformat.read(ipynb, as_version=4).cells]
    assert got == want, f"{ipynb.name} is stale: run `make baselines`"


@pytest.mark.parametrize("src", SOURCES, ids=lambda p: p.stem)
def test__baseline_counts_run_in_order_without_errors(src):
    nb = nbformat.read(src.with_suffix(".ipynb"), as_version=4)
    code = [c for c in nb.cells if c.cell_type == "code"]
    assert [c.execution_count for c in code] == list(range(1, len(code) + 1))
    assert all(o.get("output_type") != "error" for c in code for o in c.outputs)
    assert any(c.outputs for c in code)
    assert not any("papermill" in c.metadata for c in code)


@pytest.mark.parametrize("src", SOURCES, ids=lambda p: p.stem)
def test__exactly_one_parameters_cell(src):
    nb = jupytext.read(src)
    tagged = [c for c in nb.cells if "parameters" in c.metadata.get("tags", [])]
    assert len(tagged) == 1
