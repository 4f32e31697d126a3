"""Small YAML files (parameters, column and value maps) read safely, with limits.

Limits are checked on the parser's events, before any object is built: size, nesting depth,
aliases and the size a document would have once its aliases are expanded (a "billion laughs"
file of a few hundred bytes is refused, never expanded). A key given twice in one mapping is
refused (YAML would keep the last silently).
"""

from __future__ import annotations

import os
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any

import yaml

from marketlib.sanitize import one_line
from marketlib.sources.files import InputError

MAX_YAML_BYTES = 1 << 20
MAX_DEPTH = 32
MAX_ALIASES = 100
MAX_NODES = 100_000


class _UniqueKeyLoader(yaml.SafeLoader):
    """YAML's safe loader, refusing a key given twice in one mapping (the last would win)."""


def _no_duplicates(
    loader: yaml.SafeLoader, node: yaml.MappingNode, deep: bool = False
) -> dict[Any, Any]:
    seen = set()
    for key_node, _ in node.value:
        if key_node.tag == "tag:yaml.org,2002:merge":  # ``<<: *base``: merged keys may repeat
            continue
        key = loader.construct_object(key_node, deep=deep)
        try:
            dup = key in seen
        except TypeError:  # an unhashable key (a list): refused by the mapping below anyway
            dup = False
        if dup:
            raise yaml.constructor.ConstructorError(
                None, None, f"key {str(key)[:60]!r} given twice", key_node.start_mark
            )
        if not isinstance(key, list | dict):
            seen.add(key)
    return loader.construct_mapping(node, deep=deep)


_UniqueKeyLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _no_duplicates)


def _date_text(loader: yaml.SafeLoader, node: yaml.ScalarNode) -> Any:
    """Build a YAML date (``as_of: 2024-02-30``); an impossible one, or a time, stays text.

    PyYAML's own date constructor raises without naming the key, and a date with a time of
    day (``2026-11-26 10:00:00``) would become a datetime that no date parameter takes; kept
    as text, either is refused by the parameter that holds it, by name ("as_of must be a date
    YYYY-MM-DD, got '2026-11-26 10:00:00'").
    """
    try:
        value = yaml.SafeLoader.construct_yaml_timestamp(loader, node)
    except ValueError:
        return str(node.value)
    return str(node.value) if isinstance(value, datetime) else value


def _number_or_text(loader: yaml.SafeLoader, node: yaml.ScalarNode) -> Any:
    """Build a YAML 1.1 number, but keep sexagesimal ``5:00`` as text (never 300).

    YAML 1.1 reads ``5:00`` as base 60; nobody writing ``timeout_seconds: 5:00`` means 300
    seconds by that rule, so the text reaches the parameter and is refused by name.
    """
    if ":" in str(node.value):
        return str(node.value)
    if node.tag.endswith(":int"):
        return yaml.SafeLoader.construct_yaml_int(loader, node)
    return yaml.SafeLoader.construct_yaml_float(loader, node)


_UniqueKeyLoader.add_constructor("tag:yaml.org,2002:timestamp", _date_text)
_UniqueKeyLoader.add_constructor("tag:yaml.org,2002:int", _number_or_text)
_UniqueKeyLoader.add_constructor("tag:yaml.org,2002:float", _number_or_text)


def _check_events(text: str) -> None:
    """Refuse deep nesting, many aliases and a large alias expansion, from events only."""
    aliases = total = 0
    sizes: dict[str, int] = {}  # anchor -> its node's size once expanded
    stack: list[list[Any]] = []  # open collections: [anchor, size of children so far]

    def count(n: int, expanded: int) -> None:
        nonlocal total
        total += expanded
        if total > MAX_NODES:
            raise ValueError(f"more than {MAX_NODES:,} values once aliases are expanded")
        if stack:
            stack[-1][1] += n

    for ev in yaml.parse(text, Loader=yaml.SafeLoader):
        if isinstance(ev, yaml.AliasEvent):
            aliases += 1
            if aliases > MAX_ALIASES:
                raise ValueError(f"more than {MAX_ALIASES} aliases")
            n = sizes.get(ev.anchor, 1)
            count(n, n)
        elif isinstance(ev, yaml.ScalarEvent):
            if ev.anchor:
                sizes[ev.anchor] = 1
            count(1, 1)
        elif isinstance(ev, yaml.MappingStartEvent | yaml.SequenceStartEvent):
            if len(stack) >= MAX_DEPTH:
                raise ValueError(f"nested more than {MAX_DEPTH} levels deep")
            stack.append([ev.anchor, 0])
        elif isinstance(ev, yaml.MappingEndEvent | yaml.SequenceEndEvent):
            anchor, k = stack.pop()
            if anchor:
                sizes[anchor] = k + 1
            count(k + 1, 1)


def read_yaml(path: str | os.PathLike[str], what: str = "YAML file") -> Any:
    """Read a small YAML file safely; raise :class:`InputError` naming the file and problem.

    Parameters
    ----------
    path
        The file.
    what
        What the file is, for messages ("parameters file", "column map").
    """
    p = Path(path)
    if not p.is_file():
        raise InputError(p, f"{what} not found")
    if p.stat().st_size > MAX_YAML_BYTES:
        raise InputError(p, f"{what} is larger than {MAX_YAML_BYTES // 1024} KiB")
    try:
        text = p.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        raise InputError(p, f"{what} is not UTF-8 text (byte offset {exc.start})") from None
    try:
        _check_events(text)
        return yaml.load(text, Loader=_UniqueKeyLoader)  # noqa: S506 - a safe loader
    except yaml.YAMLError as exc:
        raise InputError(p, f"not valid YAML ({_yaml_problem(exc)})") from None
    except ValueError as exc:
        raise InputError(p, f"{what} refused: {exc}") from None
    except RecursionError:
        raise InputError(p, f"{what} refused: nested too deeply") from None


def _yaml_problem(exc: yaml.YAMLError) -> str:
    """Say what is wrong and where, never quoting the file's lines (it may not be ours)."""
    problem = getattr(exc, "problem", None) or getattr(exc, "context", None)
    mark = getattr(exc, "problem_mark", None) or getattr(exc, "context_mark", None)
    where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark is not None else ""
    return one_line(problem or type(exc).__name__)[:120] + where


#: How many files an ``extends:`` chain may span.
MAX_EXTENDS = 3


def read_yaml_extending(
    p: Path,
    what: str,
    depth: int = 0,
    chain: list[Path] | None = None,
    resolve: Callable[[dict[str, Any], Path], dict[str, Any]] | None = None,
) -> dict[str, Any]:
    """Read a YAML mapping; ``extends: FILE.yaml`` (relative to it) supplies the keys it omits.

    Mappings merge key by key; any other value (a list, a scalar, null) replaces the base's.
    A chain deeper than :data:`MAX_EXTENDS` (a loop included), a missing base or one that is
    not a ``.yaml``/``.yml`` file is refused. ``chain`` (if given) receives every file read,
    this one first, so an error in the merged result can name where its key may come from.
    ``resolve(mapping, folder)`` (if given) rewrites each file's own relative paths against
    that file's folder before the merge, so every path is relative to the file that wrote it.
    """
    if chain is not None:
        chain.append(p)
    raw = read_yaml(p, what)
    if not isinstance(raw, dict):
        raise InputError(p, f"the {what} must be a mapping of sections")
    base = raw.pop("extends", None)
    if resolve is not None:
        raw = resolve(raw, p.parent)
    if base is None:
        return raw
    if not isinstance(base, str) or not base or depth >= MAX_EXTENDS:
        raise InputError(
            p,
            f"extends: a YAML file relative to this one, at most {MAX_EXTENDS} "
            f"deep (got {str(base)[:80]!r})",
        )
    target = p.parent / base
    if target.suffix.lower() not in (".yaml", ".yml") or target.resolve().suffix.lower() not in (
        ".yaml",
        ".yml",
    ):
        raise InputError(p, f"extends: {base[:80]!r} is not a .yaml/.yml parameters file")
    if not target.is_file():
        raise InputError(p, f"extends: {base[:80]} not found (relative to this file)")
    return _merged(read_yaml_extending(target, what, depth + 1, chain, resolve), raw)


def _merged(base: dict[str, Any], over: dict[str, Any]) -> dict[str, Any]:
    out = dict(base)
    for k, v in over.items():
        out[k] = _merged(out[k], v) if isinstance(v, dict) and isinstance(out.get(k), dict) else v
    return out
