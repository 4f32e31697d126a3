"""Cells of a partitioned table: per-partition integer codes and one numbering for all.

A partition numbers the combinations of its key columns it holds (:func:`local_cells`); the
client numbers the keys of all partitions once (:func:`global_cells`) and sends each partition
the map from its codes to the table's. Rows never move; only the distinct keys do.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from marketlib.clean.flags import cell_codes

#: Stands for a missing value in a cell key (a value of its own, as ``dropna=False``).
MISSING = "\x00<NA>"


def local_cells(cells: list[pd.Series]) -> tuple[np.ndarray, list[tuple[Any, ...]], np.ndarray]:
    """Return a partition's cell code per row, the cells' keys and each cell's first row.

    Codes come from :func:`marketlib.clean.flags.cell_codes` (each column's distinct values
    found once); a cell's key is read from its first row, a missing value as :data:`MISSING`,
    numpy integers as ``int``.
    """
    codes = np.asarray(cell_codes(cells), dtype=np.int64)
    # codes are numbered in order of appearance: a cell starts where the running maximum rises
    first = (
        np.flatnonzero(np.diff(np.maximum.accumulate(codes), prepend=-1) > 0)
        if len(codes)
        else np.zeros(0, dtype=np.int64)
    )
    columns = [s.iloc[first].astype("object") for s in cells]
    columns = [c.where(c.notna(), MISSING).tolist() for c in columns]
    keys = [
        tuple(int(v) if isinstance(v, np.integer) else v for v in k)
        for k in zip(*columns, strict=True)
    ]
    return codes, keys, first


def global_cells(
    key_lists: list[list[tuple[Any, ...]]], offset: int = 0
) -> tuple[dict[tuple[Any, ...], int], list[np.ndarray]]:
    """Return one numbering of every partition's keys (first seen first) and the maps.

    ``maps[p][local code]`` is the global code (plus ``offset``) of partition ``p``'s cell.
    """
    ids: dict[tuple[Any, ...], int] = {}
    for keys in key_lists:
        for k in keys:
            ids.setdefault(k, len(ids))
    maps = [np.array([ids[k] + offset for k in keys], dtype=np.int64) for keys in key_lists]
    return ids, maps


def key_frame(ids: dict[tuple[Any, ...], int], columns: list[str]) -> pd.DataFrame:
    """Return the cells' keys as a frame (row ``i`` is global code ``i``; missing as NaN)."""
    rows = [tuple(None if v == MISSING else v for v in k) for k in ids]
    return (
        pd.DataFrame.from_records(rows, columns=columns) if rows else pd.DataFrame(columns=columns)
    )
