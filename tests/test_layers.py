"""Import layers of src/marketlib, read from the source (AST): no circles, no private names
imported from another package."""

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
