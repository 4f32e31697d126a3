"""Flags on clean rows: duplicates, range pairs and outliers.

Method: docs/methods.md#s3-4 (duplicates, range pairs) and #s3-7 (outliers).

Flagged rows stay in the clean table; each estimator says which flags it excludes.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from marketlib.clean.formats import input_format
from marketlib.cleanparams import CleanParams
from marketlib.frames import distinct_codes


def flag_range_pairs(
    frame: pd.DataFrame,
    key_cols: list[str],
    amount_col: str,
    min_ratio: float = 1.05,
    max_ratio: float = 2.5,
    order: str = "any",
) -> tuple[pd.Series, pd.Series]:
    """Flag adjacent rows that agree on ``key_cols`` and differ only in amount (a posted range).

    docs/methods.md#s3-4 and #sa-1: two rows pair when adjacent in file order, identical on every
    non-amount column and ``min_ratio <= max/min <= max_ratio`` (and, with ``order =
    "high_first"``, the first row the higher: the source's own range order); no row is in two
    pairs. Returns ``(is_range_pair, range_pair_id)``.
    """
    if frame.empty:
        return (
            pd.Series(False, index=frame.index, dtype=bool),
            pd.Series(pd.NA, index=frame.index, dtype="Int64"),
        )
    keys = frame[key_cols]
    same = keys.eq(keys.shift(1)).all(axis=1).to_numpy(dtype=bool)
    return _range_pairs(
        same, frame[amount_col].to_numpy(dtype="float64"), frame.index, min_ratio, max_ratio, order
    )


def _range_pairs(
    same: np.ndarray,
    amt: np.ndarray,
    index: pd.Index,
    min_ratio: float,
    max_ratio: float,
    order: str = "any",
) -> tuple[pd.Series, pd.Series]:
    """:func:`flag_range_pairs` given ``same`` (row equals the previous row on every key)."""
    if len(same) == 0:
        return (
            pd.Series(False, index=index, dtype=bool),
            pd.Series(pd.NA, index=index, dtype="Int64"),
        )
    prev = np.concatenate([[np.nan], amt[:-1]])
    with np.errstate(invalid="ignore", divide="ignore"):
        ratio = np.maximum(amt, prev) / np.minimum(amt, prev)
    arr = same & (ratio >= min_ratio) & (ratio <= max_ratio)
    if order == "high_first":  # two people who happen to agree come in either order
        arr &= prev > amt
    # in a chain a,b,c,d of candidate closers, pair greedily: keep every other one
    run_start = arr & ~np.concatenate([[False], arr[:-1]])
    run_id = np.cumsum(run_start)
    pos = np.arange(len(arr)) - np.maximum.accumulate(np.where(run_start, np.arange(len(arr)), 0))
    second = arr & (pos % 2 == 0) & (run_id > 0)
    first = np.concatenate([second[1:], [False]])
    pair_id = np.cumsum(second)
    ids = np.where(second, pair_id, np.where(first, np.concatenate([pair_id[1:], [0]]), 0))
    is_pair = first | second
    return (
        pd.Series(is_pair, index=index),
        pd.Series(pd.arrays.IntegerArray(ids.astype("int64"), ~is_pair), index=index),
    )


def flag_outliers(
    log_value: pd.Series,
    cell_fine: list[pd.Series],
    cell_coarse: list[pd.Series],
    z: float = 3.5,
    min_cell: int = 20,
) -> pd.Series:
    """Flag ``|modified z| > z`` (Iglewicz-Hoaglin) within cells (docs/methods.md#s3-7).

    The fine cell (e.g. year x region x seniority) is used where it has at least ``min_cell``
    rows, else the coarse cell (year x seniority). A zero MAD falls back to the mean absolute
    deviation (``M = (x - med) / (1.253314 * meanAD)``).
    """

    def mz(cells: list[pd.Series]) -> tuple[pd.Series, pd.Series]:
        codes = cell_codes(cells)
        g = log_value.groupby(codes)
        med = g.transform("median")
        dev = (log_value - med).abs()
        dg = dev.groupby(codes)
        mad = dg.transform("median")
        mean_ad = dg.transform("mean")
        m = modified_z(log_value.to_numpy(), med.to_numpy(), mad.to_numpy(), mean_ad.to_numpy())
        n = g.transform("size")
        return pd.Series(m, index=log_value.index), n

    if log_value.empty:
        return pd.Series(False, index=log_value.index, dtype=bool)
    m_fine, n_fine = mz(cell_fine)
    m_coarse, _ = mz(cell_coarse)
    return outlier_from_scores(log_value, m_fine, n_fine, m_coarse, z, min_cell)


def cell_codes(cells: list[pd.Series]) -> np.ndarray:
    """Return one integer per row naming its cell (the combination of ``cells``' values).

    Equal codes <=> equal values in every column, a missing value being a value of its own
    (as ``groupby(..., dropna=False)``); each column's distinct values are found once
    (:func:`marketlib.frames.distinct_codes`).
    """
    return pd.factorize(combine_codes([distinct_codes(s)[0] for s in cells]))[0]


def modified_z(x: np.ndarray, med: np.ndarray, mad: np.ndarray, mean_ad: np.ndarray) -> np.ndarray:
    """Return the modified z-scores of ``x`` given its cell's median, MAD and mean AD.

    Row-local (every argument is aligned with ``x``), so the pandas and the Dask engines share
    it: ``0.6745 (x - med) / MAD``, or ``(x - med) / (1.253314 meanAD)`` where the MAD is 0;
    NaN (a 0/0) becomes 0.

    Parameters
    ----------
    x
        Log values.
    med, mad, mean_ad
        Per row: the median, median absolute deviation and mean absolute deviation of its cell.

    Returns
    -------
    numpy.ndarray
        The scores.
    """
    with np.errstate(divide="ignore", invalid="ignore"):
        m = np.where(mad > 0, 0.6745 * (x - med) / mad, (x - med) / (1.253314 * mean_ad))
    return np.nan_to_num(m, nan=0.0)


def outlier_from_scores(
    log_value: pd.Series,
    m_fine: pd.Series,
    n_fine: pd.Series,
    m_coarse: pd.Series,
    z: float,
    min_cell: int,
) -> pd.Series:
    """Flag rows whose fine-cell score (coarse where the fine cell is small) exceeds ``z``.

    Parameters
    ----------
    log_value
        Log hourly pay.
    m_fine, n_fine
        Per row: the modified z within the fine cell and the fine cell's size.
    m_coarse
        Per row: the modified z within the coarse cell.
    z, min_cell
        Threshold and the smallest fine cell used.

    Returns
    -------
    pandas.Series
        Boolean flags.
    """
    m = m_fine.where(n_fine >= min_cell, m_coarse)
    return (m.abs() > z) & log_value.notna()


def outlier_inputs(clean: pd.DataFrame) -> tuple[pd.Series, list[pd.Series], list[pd.Series]]:
    """Return the outlier rule's inputs: log hourly pay, the fine cell and the coarse cell.

    Fine cell: rate kind x year x region x seniority; coarse: rate kind x year x seniority.
    """
    return (
        np.log(clean["hourly_usd"]),
        [clean["rate_kind"], clean["year"], clean["region"], clean["experience"]],
        [clean["rate_kind"], clean["year"], clean["experience"]],
    )


def combine_codes(codes: list[np.ndarray]) -> np.ndarray:
    """Return one int64 per row, equal for two rows <=> equal in every code array.

    Codes are integers >= -1 (-1: missing, a value of its own). They are packed as mixed-radix
    digits; only when the packed numbers would overflow are they renumbered (factorized).
    """
    n = len(codes[0]) if codes else 0
    combined = np.zeros(n, dtype=np.int64)
    bound = 1  # combined < bound
    for c in codes:
        c = np.asarray(c)
        radix = int(c.max(initial=-1)) + 2
        if bound > (2**62) // radix:
            combined = pd.factorize(combined)[0].astype(np.int64)
            bound = int(combined.max(initial=-1)) + 1
        combined = combined * radix + (c.astype(np.int64) + 1)
        bound *= radix
    return combined


def first_seen(codes: list[np.ndarray]) -> np.ndarray:
    """Return True where a row's combination of codes appeared in an earlier row.

    The same as :meth:`pandas.DataFrame.duplicated` (``keep="first"``) on the coded columns.
    """
    return pd.Series(combine_codes(codes)).duplicated(keep="first").to_numpy()


def flag_file_order(
    clean: pd.DataFrame, key_codes: dict[str, np.ndarray], fmt: str, p: CleanParams
) -> pd.DataFrame:
    """Add ``is_duplicate`` and ``is_range_pair``/``range_pair_id`` (rules within a file).

    Both rules compare rows of one source file only (``source_file`` is part of every key), so
    an engine may run them file by file; ``range_pair_id`` then numbers the pairs from 1 within
    the frame given (add the number of pairs of earlier files to get the table-wide id). Rows
    are compared through integer codes of their raw values: ``key_codes`` (column -> codes of
    the accepted rows, -1 missing: :attr:`marketlib.clean.rates.RateRows.raw_ok_codes`).
    Missing values count as equal for duplicates (as :meth:`pandas.DataFrame.duplicated`) and
    as different for range pairs.
    """
    out = clean.copy(deep=False)  # copy-on-write: the caller's frame is never changed
    # duplicates: same raw values as an earlier accepted row of the same year (SPEC) and the
    # same day: a survey's year-only date is its year; an export's full dates tell two hires
    # on different days apart (the parsed day, so 2024-01-05 and 05/01/2024 are one day)
    codes = {k: v for k, v in key_codes.items() if k != "date"}
    codes["_year"] = pd.factorize(out["year"].to_numpy())[0]
    if "date" in out:
        codes["_day"] = pd.factorize(out["date"].to_numpy())[0]
    codes["_file"] = distinct_codes(out["source_file"])[0]
    out["is_duplicate"] = first_seen(list(codes.values()))
    # range pairs among non-duplicate rows, adjacent in file order

    amounts = set(input_format(fmt, "rates").amount_columns)
    key_cols = [k for k in codes if k not in amounts]
    nondup = ~out["is_duplicate"].to_numpy()
    same = np.ones(int(nondup.sum()), dtype=bool)
    for k in key_cols:
        v = np.asarray(codes[k])[nondup]
        same &= np.concatenate([[False], v[1:] == v[:-1]]) & (v >= 0)  # NA equals nothing
    is_pair, pair_id = _range_pairs(
        same,
        out.loc[nondup, "amount"].to_numpy(dtype="float64"),
        out.index[nondup],
        *p.range_pair_ratio,
        order=input_format(fmt, "rates").range_order,
    )
    out["is_range_pair"] = is_pair.reindex(out.index, fill_value=False).astype(bool)
    out["range_pair_id"] = pair_id.reindex(out.index).astype("Int64")
    return out


def flag_rates(
    clean: pd.DataFrame, key_codes: dict[str, np.ndarray], fmt: str, p: CleanParams
) -> pd.DataFrame:
    """Add ``is_duplicate``, ``is_range_pair``/``range_pair_id`` and ``is_outlier``."""
    out = flag_file_order(clean, key_codes, fmt, p)
    out["is_outlier"] = flag_outliers(
        *outlier_inputs(out), z=p.outlier_z, min_cell=p.outlier_min_cell
    )
    return out
