"""Shared fixtures: the real-data mirror (loud failure under CI), inline CSV helpers."""

from __future__ import annotations

import io
import os
from pathlib import Path

import pandas as pd
import pytest

ROOT = Path(__file__).resolve().parents[1]


def shared_data_dir() -> Path | None:
    """Return ``MARKETLIB_MIRROR`` (or ../shared/data beside the project) if it exists."""
    env = os.environ.get("MARKETLIB_MIRROR")
    candidates = [Path(env)] if env else [ROOT.parent / "shared" / "data"]
    for c in candidates:
        if (c / "aijobs" / "salaries.csv").is_file():
            return c.resolve()
    return None


@pytest.fixture(scope="session")
def shared_data() -> Path:
    """The real public data; under CI its absence is a failure, never a skip."""
    found = shared_data_dir()
    if found is None:
        msg = "real data not found: set MARKETLIB_MIRROR=../shared/data"
        if os.environ.get("CI"):
            pytest.fail(msg)
        pytest.skip(msg)
    return found


def frame(text: str) -> pd.DataFrame:
    """Read an inline CSV the way the project reads files (text, lower-case headers)."""
    df = pd.read_csv(io.StringIO(text), dtype=str, keep_default_na=False)
    df.columns = [c.strip().lower() for c in df.columns]
    return df
