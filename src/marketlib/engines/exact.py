"""Exact order statistics per group over the partitions of a distributed table.

Selection by counting (radix select): every float64 maps to a 64-bit key whose unsigned order
is the numeric order; eight passes over the partitions each histogram the next 8 bits of the
keys that still match a wanted rank's prefix. After the eighth pass each wanted order statistic
is known bit for bit, so medians, order-statistic intervals and quantiles are the same numbers
``numpy`` finds on the whole sorted column. Each pass moves the non-zero entries of one
``groups x ranks x 256`` count array per partition (sparse: after the first pass only the
buckets under a wanted prefix are non-zero), never rows.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import dask
import numpy as np

#: ``extract(part)`` -> list of ``(group codes, values)`` pairs (codes int, values float64).
Extract = Callable[[Any], list[tuple[np.ndarray, np.ndarray]]]

_SIGN = np.uint64(1 << 63)


def order_keys(x: np.ndarray) -> np.ndarray:
    """Map float64 values to uint64 keys with the same order (``-0.0`` just below ``0.0``).

    Parameters
    ----------
    x
        Values without NaN.

    Returns
    -------
    numpy.ndarray
        ``uint64`` keys.
    """
    bits = np.ascontiguousarray(x, dtype=np.float64).view(np.uint64)
    return np.where(bits & _SIGN, ~bits, bits | _SIGN)


def key_values(k: np.ndarray) -> np.ndarray:
    """Invert :func:`order_keys`."""
    k = np.asarray(k, dtype=np.uint64)
    bits = np.where(k & _SIGN, k & ~_SIGN, ~k)
    return bits.view(np.float64)


def _tree_sum(items: list[Any], add_fn: Callable[[Any, Any], Any] = np.add) -> Any:
    """Sum delayed arrays pairwise on the workers (a tree, so no task receives them all)."""
    add = dask.delayed(add_fn, pure=True)
    while len(items) > 1:
        items = [add(items[i], items[i + 1]) if i + 1 < len(items) else items[i]
                 for i in range(0, len(items), 2)]
    return items[0]


def _counts_part(part: Any, extract: Extract, n_groups: int) -> np.ndarray:
    out = np.zeros(n_groups, dtype=np.int64)
    for codes, _values in extract(part):
        out += np.bincount(codes, minlength=n_groups)[:n_groups]
    return out


def _sums_part(part: Any, extract: Extract, n_groups: int) -> np.ndarray:
    out = np.zeros(n_groups, dtype=np.float64)
    for codes, values in extract(part):
        out += np.bincount(codes, weights=values, minlength=n_groups)[:n_groups]
    return out


def _sparse(dense: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Return a count array as (positions, counts) of its non-zero entries."""
    idx = np.flatnonzero(dense)
    return idx, dense[idx]


def _sparse_add(a: tuple[np.ndarray, np.ndarray], b: tuple[np.ndarray, np.ndarray]
                ) -> tuple[np.ndarray, np.ndarray]:
    """Add two sparse count arrays (positions sorted and unique in each)."""
    idx = np.concatenate([a[0], b[0]])
    cnt = np.concatenate([a[1], b[1]])
    uniq, inv = np.unique(idx, return_inverse=True)
    return uniq, np.bincount(inv, weights=cnt, minlength=len(uniq)).astype(np.int64)


def _keyed(part: Any, extract: Extract) -> list[tuple[np.ndarray, np.ndarray]]:
    """Return a partition's ``(group codes, order keys)`` pairs (computed once per selection)."""
    return [(np.asarray(codes, dtype=np.int64), order_keys(values))
            for codes, values in extract(part) if len(codes)]


def _hist_part_sparse(keyed: list[tuple[np.ndarray, np.ndarray]], n_groups: int, shift: int,
                      prefix: np.ndarray, active: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """:func:`_hist_part` on :func:`_keyed` pairs, as non-zero (position, count) pairs.

    What moves between machines: after the first pass only the buckets under a wanted rank's
    prefix are non-zero, so a pass sends a few numbers per group and rank instead of
    ``groups x ranks x 256``.
    """
    return _sparse(_hist_keys(keyed, n_groups, shift, prefix, active))


def _hist_part(part: Any, extract: Extract, n_groups: int, shift: int,
               prefix: np.ndarray, active: np.ndarray) -> np.ndarray:
    """Histogram of the 8 key bits at ``shift`` for rows matching each (group, rank) prefix."""
    return _hist_keys(_keyed(part, extract), n_groups, shift, prefix, active)


def _hist_keys(keyed: list[tuple[np.ndarray, np.ndarray]], n_groups: int, shift: int,
               prefix: np.ndarray, active: np.ndarray) -> np.ndarray:
    n_ranks = prefix.shape[1]
    out = np.zeros(n_groups * n_ranks * 256, dtype=np.int64)
    for codes, keys in keyed:
        byte = ((keys >> np.uint64(shift)) & np.uint64(0xFF)).astype(np.int64)
        high = keys >> np.uint64(shift + 8) if shift < 56 else None
        for r in range(n_ranks):
            match = active[codes, r]
            if high is not None:
                match &= high == prefix[codes, r]
            idx = (codes[match].astype(np.int64) * n_ranks + r) * 256 + byte[match]
            out += np.bincount(idx, minlength=out.size)
    return out


def group_counts(parts: Sequence[Any], extract: Extract, n_groups: int) -> np.ndarray:
    """Return the number of values per group code over all partitions."""
    tasks = [dask.delayed(_counts_part, pure=True)(p, extract, n_groups) for p in parts]
    return np.asarray(dask.compute(_tree_sum(tasks))[0]) if tasks else np.zeros(n_groups, int)


def group_sums(parts: Sequence[Any], extract: Extract, n_groups: int) -> np.ndarray:
    """Return the sum of the values per group code over all partitions."""
    tasks = [dask.delayed(_sums_part, pure=True)(p, extract, n_groups) for p in parts]
    return np.asarray(dask.compute(_tree_sum(tasks))[0]) if tasks else np.zeros(n_groups)


def order_statistics(parts: Sequence[Any], extract: Extract, n_groups: int,
                     ranks: np.ndarray) -> np.ndarray:
    """Return exact order statistics per group: ``out[g, r]`` is the ``ranks[g, r]``-th value.

    Parameters
    ----------
    parts
        Partitions (Dask delayed objects or values), each given to ``extract``.
    extract
        ``extract(part)`` returns ``(codes, values)`` pairs: group codes in ``[0, n_groups)``
        and float64 values (no NaN). A row may appear in several pairs (several groupings).
    n_groups
        Number of group codes.
    ranks
        ``(n_groups, R)`` 0-based ranks within each group (the smallest value is rank 0);
        ``-1`` where nothing is wanted.

    Returns
    -------
    numpy.ndarray
        ``(n_groups, R)`` values (NaN where the rank was -1).
    """
    ranks = np.asarray(ranks, dtype=np.int64).reshape(n_groups, -1)
    active = ranks >= 0
    left = np.where(active, ranks, 0)
    prefix = np.zeros(ranks.shape, dtype=np.uint64)
    n_ranks = ranks.shape[1]
    if not active.any():
        return np.full(ranks.shape, np.nan)
    # codes and order keys once per selection, kept on the workers for the eight passes
    keyed = list(dask.persist(*[dask.delayed(_keyed, pure=True)(p, extract) for p in parts]))
    for shift in range(56, -8, -8):
        tasks = [dask.delayed(_hist_part_sparse, pure=True)(k, n_groups, shift, prefix, active)
                 for k in keyed]
        pos, cnt = dask.compute(_tree_sum(tasks, _sparse_add))[0]
        hist = np.zeros(n_groups * n_ranks * 256, dtype=np.int64)
        hist[np.asarray(pos, dtype=np.int64)] = cnt
        hist = hist.reshape(n_groups, n_ranks, 256)
        cum = hist.cumsum(axis=2)
        bucket = (cum <= left[:, :, None]).sum(axis=2)
        if (active & (bucket > 255)).any():
            raise ValueError("order_statistics: a rank is beyond its group's size")
        bucket = np.minimum(bucket, 255)
        below = np.where(bucket > 0,
                         np.take_along_axis(cum, np.maximum(bucket - 1, 0)[:, :, None],
                                            axis=2)[:, :, 0], 0)
        left = np.where(active, left - below, 0)
        prefix = (prefix << np.uint64(8)) | bucket.astype(np.uint64)
    return np.where(active, key_values(prefix), np.nan)


def _window_part(part: Any, extract: Extract, lo: np.ndarray, hi: np.ndarray
                 ) -> tuple[list[tuple[np.ndarray, np.ndarray]], np.ndarray]:
    out = []
    below = np.zeros(len(lo), dtype=np.int64)
    for codes, values in extract(part):
        keep = (values >= lo[codes]) & (values <= hi[codes])
        out.append((codes[keep], values[keep]))
        below += np.bincount(codes[values < lo[codes]], minlength=len(lo))[:len(lo)]
    return out, below


def window_values(parts: Sequence[Any], extract: Extract, lo: np.ndarray,
                  hi: np.ndarray) -> tuple[dict[int, np.ndarray], np.ndarray]:
    """Return, per group, the sorted values within ``[lo[g], hi[g]]`` and the count below.

    Use with :func:`order_statistics`: the values of a narrow rank window (e.g. every rank a
    bootstrap of the median can draw) are gathered once and sorted on the client; the value
    of rank ``k`` (between the ranks of ``lo`` and ``hi``) is ``window[g][k - below[g]]``.
    NaN bounds select nothing.
    """
    tasks = [dask.delayed(_window_part, pure=True)(p, extract, lo, hi) for p in parts]
    pieces = dask.compute(*tasks)
    below = np.sum([b for _, b in pieces], axis=0) if pieces else np.zeros(len(lo), int)
    codes = np.concatenate([c for part, _ in pieces for c, _ in part] or [np.zeros(0, int)])
    values = np.concatenate([v for part, _ in pieces for _, v in part] or [np.zeros(0)])
    order = np.lexsort((values, codes))
    codes, values = codes[order], values[order]
    bounds = np.searchsorted(codes, np.arange(len(lo) + 1))
    return {g: values[bounds[g]:bounds[g + 1]] for g in range(len(lo))}, below


def identity_extract(part: list[tuple[np.ndarray, np.ndarray]]
                     ) -> list[tuple[np.ndarray, np.ndarray]]:
    """Return ``part`` as is: the extract of partitions reduced to ``(codes, values)``.

    Persist ``extract(part)`` once (group codes computed once, not on every pass), then run
    the passes with this function.
    """
    return part


def median_ranks(n: np.ndarray) -> np.ndarray:
    """Return ``(G, 2)`` ranks whose values average to the median (numpy's definition)."""
    n = np.asarray(n, dtype=np.int64)
    return np.where(n[:, None] > 0, np.stack([(n - 1) // 2, n // 2], axis=1), -1)


def medians_from(values: np.ndarray) -> np.ndarray:
    """Return medians from the two order statistics of :func:`median_ranks` (``(a + b) / 2``).

    For an odd count both ranks are the same value; numpy's ``median`` takes the mean of the
    two middle values, ``(a + b) / 2``, the same float operations.
    """
    a, b = values[:, 0], values[:, 1]
    return np.where(a == b, a, (a + b) / 2)
