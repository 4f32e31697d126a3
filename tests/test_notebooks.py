"""The committed .ipynb baselines are in sync with their .py sources and cleanly executed."""

from __future__ import annotations

from pathlib import Path

import jupytext
import nbformat
import pytest

from marketlib.params import default_report_params
from marketlib.sections.registry import SECTIONS

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


def _parameters_cell(name: str) -> dict:
    """Return the literals of a notebook's parameters cell (its paired .py source)."""
    import jupytext

    nb = jupytext.read(NB_DIR / f"{name}.py")
    (cell,) = [c for c in nb.cells if "parameters" in c.metadata.get("tags", [])]
    values: dict = {}
    exec(compile(cell.source, f"{name}.py parameters", "exec"), {}, values)  # literals only
    return values


#: Parameters the report fills per run (its files and the pay data's name), not settings.
PER_RUN = ("rates_source", "compute_missing")


@pytest.mark.parametrize("spec", SECTIONS, ids=lambda s: s.name)
def test__notebook_defaults_equal_params_default_yaml(spec):
    """A notebook run on its own (JupyterLab, nbval) uses the default report's settings."""
    defaults = default_report_params().to_dict()
    given = _parameters_cell(spec.name)
    if "seed" in given:  # a section with random draws
        assert given["seed"] == defaults["seed"]
    if spec.key not in defaults:  # the claims audit: its inputs are files, no settings
        assert all(k.endswith("_path") or k == "seed" for k in given), sorted(given)
        return
    section = defaults[spec.key]
    shared = sorted(
        k for k in set(given) & set(section) if not k.endswith("_path") and k not in PER_RUN
    )
    assert shared, f"{spec.name}: no setting shared with params/default.yaml {spec.key}"
    differ = {k: (given[k], section[k]) for k in shared if given[k] != section[k]}
    assert differ == {}, f"{spec.name} defaults differ from default.yaml {spec.key}: {differ}"
