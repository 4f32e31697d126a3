"""Where things live: the one module that knows the project's folders and overrides."""

from __future__ import annotations

import os
from importlib.resources import files
from pathlib import Path

#: Package reference tables (country table, aliases, role families, certification names).
PACKAGE_DATA = Path(str(files("marketlib") / "data"))


def project_root() -> Path:
    """Return the project root (the folder holding ``pyproject.toml``), or the working dir."""
    here = Path(__file__).resolve()
    for parent in here.parents:
        if (parent / "pyproject.toml").is_file() and (parent / "src" / "marketlib").is_dir():
            return parent
    return Path.cwd()


def data_dir() -> Path:
    """Return the data folder (``MARKETLIB_DATA`` overrides ``<root>/data``)."""
    return Path(os.environ.get("MARKETLIB_DATA", project_root() / "data"))


def raw_dir() -> Path:
    """Return the immutable raw-input folder."""
    return data_dir() / "raw"


def processed_dir() -> Path:
    """Return the folder of reproducible clean tables."""
    return data_dir() / "processed"


def mirror_dir() -> Path | None:
    """Return the local mirror of the public data (``MARKETLIB_MIRROR``), if one is set."""
    value = os.environ.get("MARKETLIB_MIRROR")
    return Path(value).resolve() if value else None


def data_file(kind: str, rel: str) -> str:
    """Return a file of the project's ``raw`` or ``processed`` data folder, as a string."""
    return str((raw_dir() if kind == "raw" else processed_dir()) / rel)
