"""Find, read and validate the previous run to compare with; compare with it."""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from marketlib.comparison import run_as_of
from marketlib.results_view import mapping as _map
from marketlib.results_view import upgrade
from marketlib.sources import InputError


def results_file(path: str | Path) -> Path:
    """Return the results.json of a run folder, or ``path`` itself when it is the file."""
    p = Path(path)
    return p / "results.json" if p.is_dir() else p


def load_previous(path: str | Path) -> dict[str, Any]:
    """Read a previous run's results: a run folder or its ``results.json``.

    Raises
    ------
    InputError
        No such file, not JSON, or not a results document (no ``run`` section).
    """
    p = results_file(path)
    try:
        if not p.is_file():
            raise InputError(
                p, "previous results not found (give a run folder or its results.json)"
            )
        if p.stat().st_size > MAX_PREVIOUS_BYTES:
            raise InputError(p, f"larger than {MAX_PREVIOUS_BYTES >> 20} MiB: not a results file")
        data = json.loads(p.read_text(encoding="utf-8"))
    except (ValueError, UnicodeDecodeError) as exc:
        raise InputError(p, f"not a JSON results file ({str(exc)[:120]})") from None
    except RecursionError:
        raise InputError(p, "not a results file (nested too deeply)") from None
    except OSError as exc:
        raise InputError(p, f"cannot be read ({exc.strerror or exc})") from None
    if not isinstance(data, dict) or not isinstance(data.get("run"), Mapping):
        raise InputError(p, "not a marketlib results.json (no run section)")
    depth = _depth(data)
    if depth > MAX_PREVIOUS_DEPTH:
        raise InputError(p, f"not a results file (nested {depth} levels deep)")
    data = upgrade(data)  # a run written before today's names reads with them
    try:
        import jsonschema

        jsonschema.validate(data, previous_schema())
    except Exception as exc:  # jsonschema's ValidationError, or a schema that cannot apply
        msg = getattr(exc, "message", str(exc))
        raise InputError(p, f"does not follow the results schema ({str(msg)[:160]})") from None
    return data


def previous_schema() -> dict[str, Any]:
    """Return the results schema as it applies to earlier runs: sections may be absent.

    Runs written by earlier versions lack sections added since; what a run does hold must
    still have the schema's types (a ``ci_level`` of 1 or a text where a number goes fails).
    """
    import copy

    from marketlib.paths import PACKAGE_DATA

    schema = copy.deepcopy(json.loads((PACKAGE_DATA / "results.schema.json").read_text()))
    stack: list[Any] = [schema]
    while stack:  # plain "required" lists dropped (conditions kept): the types still checked
        node = stack.pop()
        if not isinstance(node, dict):
            continue
        node.pop("required", None)
        for key in ("properties", "$defs"):
            stack.extend((node.get(key) or {}).values())
        for key in ("items", "additionalProperties"):
            if isinstance(node.get(key), dict):
                stack.append(node[key])
    schema["required"] = ["run"]
    return schema


MAX_PREVIOUS_BYTES = 64 << 20


MAX_PREVIOUS_DEPTH = 24


def _depth(value: Any) -> int:
    """Return how deeply ``value`` nests (iteratively: a hostile file cannot overflow it)."""
    deepest, stack = 0, [(value, 1)]
    while stack:
        v, d = stack.pop()
        deepest = max(deepest, d)
        if d > MAX_PREVIOUS_DEPTH:
            return d
        if isinstance(v, dict):
            stack.extend((x, d + 1) for x in v.values())
        elif isinstance(v, list):
            stack.extend((x, d + 1) for x in v)
    return deepest


def find_previous_run(
    reports_root: str | Path, as_of: str, skipped: list[str] | None = None
) -> Path | None:
    """Return the newest run folder under ``reports_root`` whose ``as_of`` is before ``as_of``.

    Parameters
    ----------
    reports_root
        The folder holding run folders (``reports/``).
    as_of
        This run's date (ISO ``YYYY-MM-DD``).

    Returns
    -------
    pathlib.Path or None
        The run folder (holding a readable results.json with ``run.as_of`` earlier than
        ``as_of``; ties broken by ``run.started``); ``None`` on the first run. Hidden staging
        folders and ``*.failed`` folders are never chosen.
    """
    root = Path(reports_root)
    if not root.is_dir():
        return None
    best: tuple[str, str, str] | None = None
    found: Path | None = None
    for folder in root.iterdir():
        if not folder.is_dir() or folder.name.startswith(".") or folder.name.endswith(".failed"):
            continue
        if not (folder / "results.json").exists():
            continue
        try:
            data = load_previous(folder)
        except InputError as exc:  # named for the page (``skipped``), never fatal
            if skipped is not None:
                skipped.append(f"{exc.path} was skipped as a previous run: {exc.problem}")
            continue
        when = run_as_of(data)
        if when is None or when >= str(as_of):
            continue
        started = str(_map(data.get("run")).get("started") or "")
        key = (when, started, folder.name)
        if best is None or key > best:
            best, found = key, folder
    return found


def _shown(path: Path, reports_root: Path | None) -> str:
    from marketlib.publish import display_path

    if reports_root is not None:
        try:
            rel = path.resolve().relative_to(reports_root.resolve().parent)
            return rel.as_posix()
        except ValueError:
            pass
    return display_path(str(path))


def changes_since(
    current: Mapping[str, Any],
    compare_to: str | Path | None = None,
    reports_root: str | Path | None = None,
) -> dict[str, Any] | None:
    """Return the ``changes`` section of a run against its previous run (or ``None``).

    Parameters
    ----------
    current
        This run's results document (``run.as_of`` set).
    compare_to
        The previous run (folder or results.json) given by the user; when ``None``, the newest
        earlier run under ``reports_root`` (:func:`find_previous_run`).
    reports_root
        Where run folders live (the parent of this run's folder).

    Returns
    -------
    dict or None
        :func:`compare_results` of the two, the previous results named relative to the
        reports root's parent (``reports/2026-10-26/results.json``); ``None`` when there is no
        previous run (the first run).

    Raises
    ------
    InputError
        ``compare_to`` given but unreadable.
    """
    root = Path(reports_root) if reports_root is not None else None
    if compare_to is not None:
        path = results_file(compare_to)
    else:
        as_of = run_as_of(current)
        if root is None or as_of is None:
            return None
        folder = find_previous_run(root, as_of)
        if folder is None:
            return None
        path = results_file(folder)
    previous = load_previous(path)
    from marketlib.changes import compare_results

    return compare_results(previous, current, previous_results=_shown(path, root))
