"""Small vectorized helpers shared by the cleaning modules."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc


def map_distinct(values: pd.Series, fn: Callable[[pd.Series], pd.Series]) -> pd.Series:
    """Apply a vectorized ``fn`` to the distinct values of ``values`` and spread the result back.

    ``fn`` receives a Series of the distinct non-missing values and must return a Series of the
    same length; missing inputs give missing outputs. This is how every per-value lookup
    (country, currency, unit, title, date string) runs once per distinct value.
    """
    codes, uniques = pd.factorize(values, use_na_sentinel=True)
    res = fn(pd.Series(uniques, dtype=values.dtype if len(uniques) else "str"))
    if len(res) != len(uniques):
        raise ValueError("map_distinct: fn must return one value per distinct input")
    missing = codes < 0
    values_arr = res.array
    if missing.any():
        if res.dtype == bool:
            values_arr = res.astype("boolean").array
        taken = values_arr.take(np.where(missing, -1, codes), allow_fill=True)
    elif len(values_arr):
        taken = values_arr.take(codes)
    else:
        taken = values_arr
    return pd.Series(taken, index=values.index)


_NUMBER = r"^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$"


def parse_numbers(values: pd.Series) -> pd.Series:
    """Parse numbers that may carry thousands separators ("1,234.5", "120 000", "1_000").

    Anything else (text, blanks, "inf", "nan") becomes NaN. Runs in Arrow compute kernels.
    """
    text = values if isinstance(values.dtype, pd.StringDtype) else values.astype("str")
    arr = pa.array(text.array, type=pa.large_string())  # zero-copy for Arrow-backed strings
    arr = pc.replace_substring_regex(arr, r"[,\s_'’]", "")
    ok = pc.fill_null(pc.match_substring_regex(arr, _NUMBER), False)
    nums = pc.cast(pc.if_else(ok, arr, "0"), pa.float64())
    out = np.where(ok.to_numpy(zero_copy_only=False), nums.to_numpy(zero_copy_only=False), np.nan)
    return pd.Series(out, index=values.index, dtype="float64")


def frame_distinct(values: pd.Series, fn: Callable[[pd.Series], pd.DataFrame]) -> pd.DataFrame:
    """Like :func:`map_distinct` for a ``fn`` that returns several columns (a DataFrame)."""
    codes, uniques = pd.factorize(values, use_na_sentinel=True)
    res = fn(pd.Series(uniques, dtype=values.dtype if len(uniques) else "str"))
    res = res.reset_index(drop=True)
    missing = codes < 0
    if len(res) == 0:
        res = res.reindex([0])  # one all-missing row to take from
        codes = np.zeros_like(codes)
        missing = np.ones(len(codes), dtype=bool)
    out = res.take(np.where(missing, 0, codes)).set_axis(values.index)
    if missing.any():
        out = out.mask(pd.Series(missing, index=values.index), axis=0)
    return out
