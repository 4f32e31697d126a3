"""Import layers of src/marketlib, read from the source (AST): no circles, no upward import
(function-level imports included), no private names imported from another package."""

from __future__ import annotations

import ast
from pathlib import Path

SRC = Path(__file__).resolve().parents[1] / "src"


def _modules() -> dict[str, Path]:
    out = {}
    for f in (SRC / "marketlib").rglob("*.py"):
        parts = f.relative_to(SRC).with_suffix("").parts
        out[".".join(parts[:-1] if parts[-1] == "__init__" else parts)] = f
    return out


MODULES = _modules()


def _package(module: str) -> str:
    """Return the package a module belongs to (a package's ``__init__``: the package)."""
    return module if MODULES[module].name == "__init__.py" else module.rsplit(".", 1)[0]


def _imports(module: str, top_only: bool) -> list[tuple[str, str | None]]:
    """Return (imported module, imported name) of ``module``'s marketlib imports."""
    tree = ast.parse(MODULES[module].read_text(encoding="utf-8"))
    nodes = (
        [n for n in tree.body if isinstance(n, ast.Import | ast.ImportFrom)]
        if top_only
        else [n for n in ast.walk(tree) if isinstance(n, ast.Import | ast.ImportFrom)]
    )
    out: list[tuple[str, str | None]] = []
    for node in nodes:
        if isinstance(node, ast.Import):
            out += [(a.name, None) for a in node.names if a.name.startswith("marketlib")]
            continue
        base = node.module or ""
        if node.level:
            pkg = _package(module).split(".")
            base = ".".join(pkg[: len(pkg) - node.level + 1] + ([base] if base else []))
        if not base.startswith("marketlib"):
            continue
        for a in node.names:
            sub = f"{base}.{a.name}"
            out.append((sub, None) if sub in MODULES else (base, a.name))
    return out


def _cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Return the strongly connected components with more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    found: list[list[str]] = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        for w in graph[v]:
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                comp.append(w)
                if w == v:
                    break
            if len(comp) > 1:
                found.append(sorted(comp))

    for v in sorted(graph):
        if v not in index:
            visit(v)
    return found


#: The layers, bottom to top (docs/architecture.md "Layers"): a unit (a top-level module or
#: package of marketlib) imports only from its own layer or the layers below, at module level
#: or inside a function. The data flow reads upward: raw files -> clean -> models -> results
#: words -> sections -> the run's composition -> the report -> the command line.
LAYERS: tuple[tuple[str, frozenset[str]], ...] = (
    (
        "foundation",
        frozenset(
            {"marketlib", "__version__", "paths", "lazy", "sanitize", "bounds", "frames", "periods"}
            | {"cleanparams", "fields", "money"}
        ),
    ),
    ("files", frozenset({"sources", "storage", "regions"})),
    ("cleaning", frozenset({"clean"})),
    ("parameters", frozenset({"paramsbase", "params"})),
    ("models", frozenset({"arbitrage", "growth", "claims", "evidence", "engines"})),
    ("results words", frozenset({"results_view", "comparison", "publish", "prose", "figures"})),
    ("sections", frozenset({"sections"})),
    ("run composition", frozenset({"changes", "tables", "history", "brief"})),
    ("report", frozenset({"report"})),
    ("command line", frozenset({"cli", "__main__"})),
)


def _unit(module: str) -> str:
    """Return a module's unit: ``marketlib.sections.arbitrage`` -> ``sections``."""
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else parts[0]


def _layer(unit: str) -> int:
    for i, (_, units) in enumerate(LAYERS):
        if unit in units:
            return i
    raise AssertionError(f"{unit} is in no layer of tests/test_layers.py LAYERS: add it")


def _unit_edges() -> set[tuple[str, str, str]]:
    """Return (importing module, its unit, imported unit) for every marketlib import."""
    return {
        (m, _unit(m), _unit(t))
        for m in MODULES
        for t, _ in _imports(m, top_only=False)
        if _unit(t) != _unit(m)
    }


def test__every_unit_has_a_layer_and_no_import_goes_up():
    upward = sorted(
        (m, imported) for m, unit, imported in _unit_edges() if _layer(imported) > _layer(unit)
    )
    assert upward == []


def test__units_form_no_circle_counting_function_level_imports():
    graph: dict[str, set[str]] = {u: set() for _, units in LAYERS for u in units}
    for _, unit, imported in _unit_edges():
        graph.setdefault(unit, set()).add(imported)
        graph.setdefault(imported, set())
    assert _cycles(graph) == []


def test__module_level_imports_form_no_circle():
    graph = {m: {t for t, _ in _imports(m, top_only=True) if t in MODULES} for m in MODULES}
    assert _cycles(graph) == []


def test__no_private_name_is_imported_from_another_package():
    crossing = [
        (m, t, name)
        for m in MODULES
        for t, name in _imports(m, top_only=False)
        if name
        and name.startswith("_")
        and not name.startswith("__")
        and t in MODULES
        and _package(t) != _package(m)
    ]
    assert crossing == []


def test__the_layer_reader_sees_a_known_import():
    assert ("marketlib.sections.base", None) in _imports(
        "marketlib.sections.triangulation", top_only=True
    ) or ("marketlib.sections.base", "Section") in _imports(
        "marketlib.sections.triangulation", top_only=True
    )
    assert _cycles({"a": {"b"}, "b": {"a"}, "c": {"a"}}) == [["a", "b"]]
    edges = _unit_edges()
    assert ("marketlib.history", "history", "sections") in edges  # the registry, from above
    assert _layer("sections") > _layer("publish")


#: Imports kept inside functions on purpose: what the light paths must not load.
LIGHT_PATHS = {
    # `marketlib --help`, `marketlib fetch`: no numerical stack at start-up
    "pandas": (
        "marketlib.cli",
        "marketlib.sources.datasets",
        "marketlib.clean.cache",
        "marketlib.params",
    ),
    # dask loads with the Dask engine only
    "dask": ("marketlib.sections", "marketlib.report"),
    # the report's own process and the change report draw nothing: matplotlib loads in the
    # notebooks and in `marketlib history`'s charts only
    "matplotlib": ("marketlib.sections", "marketlib.changes", "marketlib.report"),
}


def test__light_paths_do_not_load_the_heavy_libraries():
    """One fresh interpreter per library: its light modules imported one by one, checked after
    each (a module that loads the library is named; those after it are not checked)."""
    import subprocess
    import sys

    for library, modules in LIGHT_PATHS.items():
        probe = (
            "import importlib, sys\n"
            f"for m in {list(modules)!r}:\n"
            "    importlib.import_module(m)\n"
            f"    if {library!r} in sys.modules:\n"
            "        print(m)\n"
            "        break\n"
        )
        out = subprocess.run(
            [sys.executable, "-c", probe], capture_output=True, text=True, check=True
        )
        assert out.stdout.strip() == "", f"{out.stdout.strip()} loads {library}"
