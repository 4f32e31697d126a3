"""Exact order statistics per group over the partitions of a distributed table.

Each partition is reduced once to its values sorted within group (:func:`prepare`), kept on
the workers. A selection then takes two or three rounds of one small task per partition:

1. :func:`summarize`: per group its count, its sum and a *sketch*: the values at ``K + 1``
   evenly spaced ranks of the partition's sorted group (all values when there are fewer);
2. on the client, each wanted rank ``k`` of group ``g`` gets a bracket ``[lo, hi]`` that
   certainly holds the ``k``-th value: summed over partitions, a sketch bounds how many values
   lie below any candidate (a partition's error is at most its gap between sketch ranks), so
   ``lo`` is the largest candidate with at most ``k`` values certainly below it and ``hi`` the
   smallest with more than ``k`` values certainly at or below it;
3. each partition returns, per bracket, how many of its values are below ``lo``, at ``lo``,
   below ``hi`` and at ``hi`` (exact counts) and the values strictly inside: all of them when
   the bracket is narrow (a few per partition), else a sketch of them for a narrower bracket.

The ``k``-th value is then read off exactly: ``lo``, ``hi`` or the right one of the sorted
inside values. Nothing is approximated (the sketches only decide how narrow the brackets
are), so medians, order-statistic intervals and quantiles are the numbers ``numpy`` finds on
the whole sorted column. What moves between machines is a few hundred numbers per group and
partition, never rows; the client holds at most ``INSIDE_BUDGET`` values per round.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import dask
import numpy as np

#: ``extract(part)`` -> list of ``(group codes, values)`` pairs (codes int, values float64).
Extract = Callable[[Any], list[tuple[np.ndarray, np.ndarray]]]

#: Sketch points per group and partition, minus one (the error of a partition's rank bounds
#: is at most its group size / SKETCH_SIZE).
SKETCH_SIZE = 128

#: Most values fetched to the client in one round; wider brackets get another sketch round.
INSIDE_BUDGET = 4_000_000

#: Most sketch points fetched to the client in one round: with many partitions and groups the
#: sketches get fewer points (at least 4) and the selection one or two more rounds.
SKETCH_POINTS = 4_000_000


def _checked_size(size: int) -> int:
    """Refuse sketches of fewer than 3 points: with 2 (the ends) a round trims only the ends."""
    if size < 2:
        raise ValueError(f"sketch size must be at least 2 (got {size})")
    return int(size)


def _sketch_size(n_parts: int, n_windows: int) -> int:
    """Points per window and partition (minus one) so a round stays within SKETCH_POINTS."""
    return int(min(SKETCH_SIZE, max(4, SKETCH_POINTS // max(1, n_parts * n_windows))))


def _sorted_part(
    pairs: list[tuple[np.ndarray, np.ndarray]], n_groups: int
) -> tuple[np.ndarray, np.ndarray]:
    """Return ``(starts, values)``: values sorted within group (NaN left out).

    Group ``g``'s values are ``values[starts[g]:starts[g + 1]]``.
    """
    codes = np.concatenate(
        [np.asarray(c, dtype=np.int64) for c, _ in pairs] or [np.zeros(0, np.int64)]
    )
    values = np.concatenate([np.asarray(v, dtype=np.float64) for _, v in pairs] or [np.zeros(0)])
    keep = ~np.isnan(values)
    if not keep.all():
        codes, values = codes[keep], values[keep]
    counts = np.bincount(codes, minlength=n_groups)[:n_groups]
    starts = np.concatenate([[0], np.cumsum(counts)]).astype(np.int64)
    if n_groups > 4096:  # many small groups: one global sort (values, then stably by group)
        order = np.argsort(values)
        small = codes[order].astype(np.int16 if n_groups < 2**15 else np.int64)
        return starts, values[order[np.argsort(small, kind="stable")]]
    # group the values (a stable radix sort of the codes), then sort each group's segment
    order = np.argsort(codes.astype(np.int16 if n_groups < 2**15 else np.int64), kind="stable")
    values = values[order]
    for g in np.flatnonzero(counts > 1):
        values[starts[g] : starts[g + 1]].sort()
    return starts, values


def _prepare_part(part: Any, extract: Extract, n_groups: int) -> tuple[np.ndarray, np.ndarray]:
    return _sorted_part(extract(part), n_groups)


def prepare(parts: Sequence[Any], extract: Extract, n_groups: int) -> list[Any]:
    """Reduce each partition to its values sorted within group, persisted on the workers.

    Parameters
    ----------
    parts
        Partitions (Dask delayed objects, futures or values), each given to ``extract``.
    extract
        ``extract(part)`` returns ``(codes, values)`` pairs: group codes in ``[0, n_groups)``
        and float64 values (NaN left out). A row may appear in several pairs (groupings).
    n_groups
        Number of group codes.

    Returns
    -------
    list
        One persisted ``(starts, values)`` per partition (see :func:`group_codes`).
    """
    tasks = [dask.delayed(_prepare_part, pure=True)(p, extract, n_groups) for p in parts]
    return list(dask.persist(*tasks))


def identity_extract(
    part: list[tuple[np.ndarray, np.ndarray]],
) -> list[tuple[np.ndarray, np.ndarray]]:
    """Return ``part`` as is: the extract of partitions already reduced to ``(codes, values)``."""
    return part


def group_codes(prepared: tuple[np.ndarray, np.ndarray]) -> np.ndarray:
    """Return the group code of each value of a prepared partition."""
    starts, _ = prepared
    return np.repeat(np.arange(len(starts) - 1), np.diff(starts))


def _sketch(
    values: np.ndarray, lo: np.ndarray, n: np.ndarray, size: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Sketch of segments ``values[lo[w]:lo[w] + n[w]]`` (each sorted).

    Returns ``(window, value, d, e)`` per point: ``min(n, size + 1)`` points at evenly
    spaced local ranks ``r_0 = 0 < ... < r_q = n - 1``; ``d = r_{j+1} - r_j`` (``n - r_q``
    for the last) and ``e = r_j - r_{j-1}`` (1 for the first) are the steps of the rank
    bounds (see :func:`_brackets`).
    """
    q = np.minimum(n, size + 1)
    total = int(q.sum())
    w = np.repeat(np.arange(len(n)), q)
    first = np.concatenate([[0], np.cumsum(q)[:-1]])
    j = np.arange(total) - np.repeat(first, q)
    qq, nn = np.repeat(q, q), np.repeat(n, q)
    r = j * (nn - 1) // np.maximum(qq - 1, 1)
    nxt = np.concatenate([r[1:], [0]])
    last = j == qq - 1
    d = np.where(last, nn - r, nxt - r)
    prev = np.concatenate([[0], r[:-1]])
    e = np.where(j == 0, 1, r - prev)
    return w, values[np.repeat(lo, q) + r], d, e


def _segment_search(
    values: np.ndarray, start: np.ndarray, end: np.ndarray, x: np.ndarray, side: str
) -> np.ndarray:
    """Return ``searchsorted(values[start[i]:end[i]], x[i], side)`` for every ``i`` at once.

    A binary search run on all segments together (each ``values`` segment sorted), so the
    cost is ~log2(segment length) vectorized steps, not a Python call per segment.
    """
    lo, hi = start.astype(np.int64).copy(), end.astype(np.int64).copy()
    last = max(len(values) - 1, 0)
    while True:
        active = lo < hi
        if not active.any():
            return lo - start
        mid = (lo + hi) // 2
        v = values[np.minimum(mid, last)] if len(values) else np.zeros(len(mid))
        right = active & ((v < x) if side == "left" else (v <= x))
        lo = np.where(right, mid + 1, lo)
        hi = np.where(active & ~right, mid, hi)


def _summary_part(prepared: tuple[np.ndarray, np.ndarray], size: int) -> dict[str, np.ndarray]:
    starts, values = prepared
    counts = np.diff(starts)
    sums = np.zeros(len(counts))
    nonempty = counts > 0
    if nonempty.any():
        sums[nonempty] = np.add.reduceat(values, starts[:-1][nonempty])
    w, v, d, e = _sketch(values, starts[:-1], counts, size)
    return {
        "counts": counts,
        "sums": sums,
        "w": w,
        "v": v,
        "d": d,
        "e": e,
        "complete": counts <= size + 1,
    }


def _window_part(
    prepared: tuple[np.ndarray, np.ndarray],
    group: np.ndarray,
    lo: np.ndarray,
    hi: np.ndarray,
    as_values: np.ndarray,
    size: int,
) -> dict[str, np.ndarray]:
    """Per bracket: counts below/at ``lo`` and ``hi``; the values strictly inside, or a sketch."""
    starts, values = prepared
    a, b = starts[group], starts[group + 1]
    cnt = np.stack(
        [
            _segment_search(values, a, b, lo, "left"),  # < lo, <= lo, < hi, <= hi
            _segment_search(values, a, b, lo, "right"),
            _segment_search(values, a, b, hi, "left"),
            _segment_search(values, a, b, hi, "right"),
        ],
        axis=1,
    ).astype(np.int64)
    begin = starts[group] + cnt[:, 1]
    inside = np.maximum(cnt[:, 2] - cnt[:, 1], 0)
    take = np.where(as_values, inside, 0)
    vals = values[
        np.repeat(begin - np.concatenate([[0], np.cumsum(take)[:-1]]), take)
        + np.arange(int(take.sum()))
    ]
    sk_n = np.where(as_values, 0, inside)
    w, v, d, e = _sketch(values, begin, sk_n, size)
    return {
        "counts": cnt,
        "values": vals,
        "values_n": take,
        "w": w,
        "v": v,
        "d": d,
        "e": e,
        "complete": sk_n <= size + 1,
    }


@dataclass
class Summary:
    """Counts, sums and sketches per group over all partitions (:func:`summarize`)."""

    counts: np.ndarray
    sums: np.ndarray
    sketch: dict[str, np.ndarray]
    complete: np.ndarray


def _merge_sketches(
    pieces: list[dict[str, np.ndarray]], n_windows: int
) -> tuple[dict[str, np.ndarray], np.ndarray]:
    sk = {
        k: np.concatenate([p[k] for p in pieces]) if pieces else np.zeros(0)
        for k in ("w", "v", "d", "e")
    }
    complete = (
        np.logical_and.reduce([p["complete"] for p in pieces])
        if pieces
        else np.ones(n_windows, bool)
    )
    return sk, complete


def summarize(prepared: Sequence[Any], n_groups: int, size: int | None = None) -> Summary:
    """Return each group's count and sum, and the sketches for :func:`order_statistics`.

    ``size``: sketch points per group and partition, minus one (default :data:`SKETCH_SIZE`,
    fewer when partitions x groups is large: :data:`SKETCH_POINTS`).
    """
    size = _sketch_size(len(prepared), n_groups) if size is None else _checked_size(size)
    tasks = [dask.delayed(_summary_part, pure=True)(p, size) for p in prepared]
    pieces = list(dask.compute(*tasks))
    counts = (
        np.sum([p["counts"] for p in pieces], axis=0) if pieces else np.zeros(n_groups, np.int64)
    )
    sums = np.sum([p["sums"] for p in pieces], axis=0) if pieces else np.zeros(n_groups)
    sketch, complete = _merge_sketches(pieces, n_groups)
    return Summary(np.asarray(counts, np.int64), np.asarray(sums, float), sketch, complete)


def _brackets(
    sk: dict[str, np.ndarray], complete: np.ndarray, t_window: np.ndarray, t_rank: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Narrow each target's bracket from the sketches of its window's inside values.

    ``t_rank`` is the target's rank among its window's inside values. For a candidate ``c``
    (a sketch value), summed over partitions: at most ``U(c) = sum of d over points < c``
    inside values are ``< c`` and at least ``L(c) = sum of e over points <= c`` are ``<= c``.
    Returns ``(lo, hi, bound, found, value)``: the largest candidate with ``U <= k`` and the
    smallest with ``L >= k + 1`` (NaN when there is none: keep the old bound), at most how
    many inside values lie strictly between them (``U(hi) - L(lo)``), and where the window's
    sketch held every inside value, the value itself.
    """
    n_t = len(t_window)
    lo, hi = np.full(n_t, np.nan), np.full(n_t, np.nan)
    bound = np.zeros(n_t, np.int64)
    found, value = np.zeros(n_t, bool), np.full(n_t, np.nan)
    if len(sk["w"]) == 0 or n_t == 0:
        return lo, hi, bound, found, value
    w = sk["w"].astype(np.int64)
    order = np.lexsort((sk["v"], w))
    w, v = w[order], sk["v"][order]
    d, e = sk["d"][order].astype(np.int64), sk["e"][order].astype(np.int64)
    n = len(v)
    new_run = np.concatenate([[True], (w[1:] != w[:-1]) | (v[1:] != v[:-1])])
    run_start = np.maximum.accumulate(np.where(new_run, np.arange(n), 0))
    run_end = np.concatenate([np.flatnonzero(new_run)[1:], [n]]) - 1
    run_end = run_end[np.cumsum(new_run) - 1]
    cd = np.concatenate([[0], np.cumsum(d)])
    ce = np.concatenate([[0], np.cumsum(e)])
    n_win = int(max(w.max(), t_window.max())) + 1
    w_start = np.searchsorted(w, np.arange(n_win), "left")
    w_end = np.searchsorted(w, np.arange(n_win), "right")
    upper = cd[run_start] - cd[w_start[w]]
    lower = ce[run_end + 1] - ce[w_start[w]]
    big = int(max(cd[-1], ce[-1], t_rank.max(initial=0))) + 2
    tw = t_window.astype(np.int64)
    i_lo = np.searchsorted(upper + w * big, tw * big + t_rank, "right") - 1
    ok_lo = (i_lo >= w_start[tw]) & (i_lo >= 0)
    lo[ok_lo] = v[i_lo[ok_lo]]
    i_hi = np.searchsorted(lower + w * big, tw * big + t_rank + 1, "left")
    ok_hi = i_hi < w_end[tw]
    i_hi_c = np.minimum(i_hi, n - 1)
    hi[ok_hi] = v[i_hi_c[ok_hi]]
    u_hi = np.where(ok_hi, upper[i_hi_c], cd[w_end[tw]] - cd[w_start[tw]])
    l_lo = np.where(ok_lo, lower[np.maximum(i_lo, 0)], 0)
    bound = np.maximum(u_hi - l_lo, 0)
    comp = complete[tw] & (w_start[tw] + t_rank < w_end[tw])
    found[comp] = True
    value[comp] = v[(w_start[tw] + t_rank)[comp]]
    return lo, hi, bound, found, value


def _fetch_as_values(n_windows: int, inv: np.ndarray, bounds: np.ndarray) -> np.ndarray:
    """Return which windows to fetch as values (the rest are sketched again).

    At most ``bound`` values lie inside each window (from the rank bounds): windows are
    fetched while the round's total stays within the budget.
    """
    bound = np.full(n_windows, np.iinfo(np.int64).max)
    np.minimum.at(bound, inv, bounds)
    return np.cumsum(np.minimum(bound, INSIDE_BUDGET + 1)) <= INSIDE_BUDGET


def _ranked_values(
    pieces: list[dict[str, Any]], n_windows: int, window: np.ndarray, rank: np.ndarray
) -> np.ndarray:
    """Return the ``rank``-th value of each fetched ``window`` (its values sorted)."""
    vals = np.concatenate([p["values"] for p in pieces])
    wv = np.concatenate([np.repeat(np.arange(n_windows), p["values_n"]) for p in pieces])
    order = np.lexsort((vals, wv))
    w_start = np.searchsorted(wv[order], np.arange(n_windows))
    return vals[order][w_start[window] + rank]


def order_statistics(
    prepared: Sequence[Any],
    ranks: np.ndarray,
    summary: Summary | None = None,
    size: int | None = None,
) -> np.ndarray:
    """Return exact order statistics per group: ``out[g, r]`` is the ``ranks[g, r]``-th value.

    ``prepared``: partitions from :func:`prepare`; ``ranks``: ``(n_groups, R)`` 0-based ranks
    within each group (-1 where nothing is wanted: NaN out); ``summary``: :func:`summarize`
    of ``prepared`` (computed when not given); ``size``: sketch points per bracket and
    partition in later rounds. Raises ``ValueError`` when a rank is beyond its group's size.
    """
    fixed = None if size is None else _checked_size(size)
    ranks = np.asarray(ranks, dtype=np.int64)
    ranks = ranks.reshape(len(ranks), -1) if ranks.ndim else ranks.reshape(1, 1)
    n_groups = ranks.shape[0]
    out = np.full(ranks.shape, np.nan)
    if summary is None:
        summary = summarize(prepared, n_groups, fixed)
    gi, ri = np.nonzero(ranks >= 0)
    if len(gi) == 0:
        return out
    k = ranks[gi, ri]
    if (k >= summary.counts[gi]).any():
        raise ValueError("order_statistics: a rank is beyond its group's size")
    # round 1: windows are whole groups (inside = every value)
    lo, hi, t_bound, found, value = _brackets(summary.sketch, summary.complete, gi, k)
    out[gi[found], ri[found]] = value[found]
    t_lo = np.where(np.isnan(lo), -np.inf, lo)
    t_hi = np.where(np.isnan(hi), np.inf, hi)
    todo = ~found
    while todo.any():
        idx = np.flatnonzero(todo)
        win, inv = np.unique(
            np.stack([gi[idx], t_lo[idx], t_hi[idx]], axis=1), axis=0, return_inverse=True
        )
        inv = inv.reshape(-1)
        w_group = win[:, 0].astype(np.int64)
        w_lo, w_hi = win[:, 1], win[:, 2]
        as_values = _fetch_as_values(len(win), inv, t_bound[idx])
        size = _sketch_size(len(prepared), int((~as_values).sum())) if fixed is None else fixed
        tasks = [
            dask.delayed(_window_part, pure=True)(p, w_group, w_lo, w_hi, as_values, size)
            for p in prepared
        ]
        pieces = list(dask.compute(*tasks))
        cnt = np.sum([p["counts"] for p in pieces], axis=0)
        kk = k[idx]
        c = cnt[inv]
        if ((kk < c[:, 0]) | (kk >= c[:, 3])).any():
            raise AssertionError("order_statistics: a bracket missed its rank")
        at_lo = kk < c[:, 1]
        at_hi = ~at_lo & (kk >= c[:, 2])
        out[gi[idx[at_lo]], ri[idx[at_lo]]] = w_lo[inv[at_lo]]
        out[gi[idx[at_hi]], ri[idx[at_hi]]] = w_hi[inv[at_hi]]
        inner = ~at_lo & ~at_hi
        k_in = kk - c[:, 1]
        # windows fetched as values: sort each window's values, read the rank
        got = inner & as_values[inv]
        if got.any():
            sel = idx[got]
            out[gi[sel], ri[sel]] = _ranked_values(pieces, len(win), inv[got], k_in[got])
        todo[idx[~inner | got]] = False
        rest = inner & ~as_values[inv]
        if rest.any():
            sk, complete = _merge_sketches(pieces, len(win))
            nlo, nhi, nb, f2, v2 = _brackets(sk, complete, inv[rest], k_in[rest])
            sel = idx[rest]
            out[gi[sel[f2]], ri[sel[f2]]] = v2[f2]
            todo[sel[f2]] = False
            t_lo[sel] = np.where(np.isnan(nlo), t_lo[sel], nlo)
            t_hi[sel] = np.where(np.isnan(nhi), t_hi[sel], nhi)
            t_bound[sel] = nb
    return out


def _window_values_part(
    prepared: tuple[np.ndarray, np.ndarray], lo: np.ndarray, hi: np.ndarray
) -> tuple[list[np.ndarray], np.ndarray]:
    starts, values = prepared
    wanted = ~(np.isnan(lo) | np.isnan(hi))
    a, b = starts[:-1], starts[1:]
    below = np.where(wanted, _segment_search(values, a, b, np.where(wanted, lo, 0.0), "left"), 0)
    upto = np.where(wanted, _segment_search(values, a, b, np.where(wanted, hi, 0.0), "right"), 0)
    return [
        values[a[g] + below[g] : a[g] + max(upto[g], below[g])] for g in range(len(lo))
    ], below.astype(np.int64)


def window_values(
    prepared: Sequence[Any], lo: np.ndarray, hi: np.ndarray
) -> tuple[dict[int, np.ndarray], np.ndarray]:
    """Return, per group, the sorted values within ``[lo[g], hi[g]]`` and the count below.

    Use with :func:`order_statistics`: the values of a narrow rank window (e.g. every rank a
    bootstrap of the median can draw) are gathered once and merged on the client; the value
    of rank ``k`` (between the ranks of ``lo`` and ``hi``) is ``window[g][k - below[g]]``.
    NaN bounds select nothing.
    """
    lo, hi = np.asarray(lo, dtype=float), np.asarray(hi, dtype=float)
    tasks = [dask.delayed(_window_values_part, pure=True)(p, lo, hi) for p in prepared]
    pieces = dask.compute(*tasks)
    below = np.sum([b for _, b in pieces], axis=0) if pieces else np.zeros(len(lo), int)
    window = {
        g: np.sort(np.concatenate([part[g] for part, _ in pieces] or [np.zeros(0)]))
        for g in range(len(lo))
    }
    return window, below


def median_ranks(n: np.ndarray) -> np.ndarray:
    """Return ``(G, 2)`` ranks whose values average to the median (numpy's definition)."""
    n = np.asarray(n, dtype=np.int64)
    return np.where(n[:, None] > 0, np.stack([(n - 1) // 2, n // 2], axis=1), -1)


def medians_from(values: np.ndarray, n: np.ndarray) -> np.ndarray:
    """Return medians from the two order statistics of :func:`median_ranks`, as numpy does.

    ``np.median`` takes the mean of the middle value(s), a sum that starts from ``+0.0``: for
    an odd count ``0.0 + a``, for an even count ``(0.0 + a + b) / 2`` (so never ``-0.0``, and
    two middle values of 1e308 overflow to inf as in numpy).
    """
    a, b = values[:, 0], values[:, 1]
    odd = np.asarray(n) % 2 == 1
    with np.errstate(over="ignore"):
        return np.where(odd, 0.0 + a, ((0.0 + a) + b) / 2)
