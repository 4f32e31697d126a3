"""Flags on clean rows: duplicates, range pairs (METHODS §3.4) and outliers (METHODS §3.7).

Flagged rows stay in the clean table; each estimator says which flags it excludes.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from marketlib.params import CleanParams


def flag_range_pairs(
    frame: pd.DataFrame, key_cols: list[str], amount_col: str,
    min_ratio: float = 1.05, max_ratio: float = 2.0,
) -> tuple[pd.Series, pd.Series]:
    """Flag adjacent rows that agree on ``key_cols`` and differ only in amount (a posted range).

    METHODS §3.4 / Appendix A.1: two rows pair when adjacent in file order, identical on every
    non-amount column and ``min_ratio <= max/min <= max_ratio``; no row is in two pairs.
    Returns ``(is_range_pair, range_pair_id)``.
    """
    if frame.empty:
        return (pd.Series(False, index=frame.index, dtype=bool),
                pd.Series(pd.NA, index=frame.index, dtype="Int64"))
    keys = frame[key_cols]
    same = keys.eq(keys.shift(1)).all(axis=1)
    amt = frame[amount_col].astype("float64")
    prev = amt.shift(1)
    hi = np.maximum(amt, prev)
    lo = np.minimum(amt, prev)
    second = same & (hi / lo).between(min_ratio, max_ratio)
    # in a chain a,b,c,d of candidate closers, pair greedily: keep every other one
    arr = second.to_numpy()
    run_start = arr & ~np.concatenate([[False], arr[:-1]])
    run_id = np.cumsum(run_start)
    pos = np.arange(len(arr)) - np.maximum.accumulate(np.where(run_start, np.arange(len(arr)), 0))
    second = pd.Series(arr & (pos % 2 == 0) & (run_id > 0), index=frame.index)
    first = second.shift(-1, fill_value=False)
    is_pair = first | second
    pair_id = second.cumsum().where(second)
    pair_id = pair_id.fillna(pair_id.shift(-1).where(first))
    return is_pair, pair_id.astype("Int64")


def flag_outliers(
    log_value: pd.Series, cell_fine: list[pd.Series], cell_coarse: list[pd.Series],
    z: float = 3.5, min_cell: int = 20,
) -> pd.Series:
    """Flag ``|modified z| > z`` (Iglewicz-Hoaglin) within cells (METHODS §3.7).

    The fine cell (e.g. year x region x seniority) is used where it has at least ``min_cell``
    rows, else the coarse cell (year x seniority). A zero MAD falls back to the mean absolute
    deviation (``M = (x - med) / (1.253314 * meanAD)``).
    """
    def mz(cells: list[pd.Series]) -> tuple[pd.Series, pd.Series]:
        codes = pd.DataFrame({i: c for i, c in enumerate(cells)}).groupby(
            list(range(len(cells))), dropna=False, sort=False).ngroup()
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


def modified_z(x: np.ndarray, med: np.ndarray, mad: np.ndarray,
               mean_ad: np.ndarray) -> np.ndarray:
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


def outlier_from_scores(log_value: pd.Series, m_fine: pd.Series, n_fine: pd.Series,
                        m_coarse: pd.Series, z: float, min_cell: int) -> pd.Series:
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
    return (np.log(clean["hourly_usd"]),
            [clean["rate_kind"], clean["year"], clean["region"], clean["experience"]],
            [clean["rate_kind"], clean["year"], clean["experience"]])



def flag_file_order(clean: pd.DataFrame, raw_ok: pd.DataFrame, fmt: str,
                    p: CleanParams) -> pd.DataFrame:
    """Add ``is_duplicate`` and ``is_range_pair``/``range_pair_id`` (rules within a file).

    Both rules compare rows of one source file only (``source_file`` is part of every key), so
    an engine may run them file by file; ``range_pair_id`` then numbers the pairs from 1 within
    the frame given (add the number of pairs of earlier files to get the table-wide id).
    """
    out = clean.copy()
    # duplicates: same raw values (date reduced to its year) as an earlier accepted row
    dup_key = raw_ok.drop(columns=[k for k in ("date",) if k in raw_ok.columns])
    dup_key = dup_key.assign(_year=out["year"].to_numpy(), _file=out["source_file"].to_numpy())
    out["is_duplicate"] = dup_key.duplicated(keep="first").to_numpy()
    # range pairs among non-duplicate rows, adjacent in file order
    amount_col = "salary" if fmt == "aijobs" else "amount"
    key_cols = [k for k in dup_key.columns if k not in {amount_col, "salary_in_usd"}]
    nondup = ~out["is_duplicate"].to_numpy()
    base = dup_key.loc[nondup, key_cols].assign(_amount=out.loc[nondup, "amount"].to_numpy())
    is_pair, pair_id = flag_range_pairs(base, key_cols, "_amount", *p.range_pair_ratio)
    out["is_range_pair"] = is_pair.reindex(out.index, fill_value=False).astype(bool)
    out["range_pair_id"] = pair_id.reindex(out.index).astype("Int64")
    return out


def flag_rates(clean: pd.DataFrame, raw_ok: pd.DataFrame, fmt: str,
               p: CleanParams) -> pd.DataFrame:
    """Add ``is_duplicate``, ``is_range_pair``/``range_pair_id`` and ``is_outlier``."""
    out = flag_file_order(clean, raw_ok, fmt, p)
    out["is_outlier"] = flag_outliers(*outlier_inputs(out), z=p.outlier_z,
                                      min_cell=p.outlier_min_cell)
    return out
