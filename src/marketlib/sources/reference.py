"""Small typed reference tables: World Bank price level ratios, claims and published figures."""

from __future__ import annotations

import os
from pathlib import Path

import pandas as pd

from marketlib.sources.files import InputError


def read_price_level_ratios(path: str | os.PathLike[str]) -> pd.DataFrame:
    """Read the World Bank PA.NUS.PPPC.RF file (wide) into long price level ratios.

    Columns: ``country_iso3``, ``year``, ``price_level_ratio`` (PPP / FX, US = 1).

    Raises
    ------
    InputError
        The file is missing or is not the World Bank's wide layout.
    """
    p = Path(path)
    try:
        raw = pd.read_csv(p, skiprows=4, encoding="utf-8-sig")
    except (OSError, ValueError, UnicodeDecodeError) as exc:
        raise InputError(p, f"not a World Bank indicator file ({exc})") from exc
    if "Country Code" not in raw.columns:
        raise InputError(p, "no 'Country Code' column: not a World Bank indicator file")
    years = [c for c in raw.columns if str(c).isdigit()]
    long = raw.melt(id_vars=["Country Code"], value_vars=years, var_name="year",
                    value_name="price_level_ratio").dropna()
    long = long.rename(columns={"Country Code": "country_iso3"})
    long["year"] = long["year"].astype(int)
    return long[long["price_level_ratio"] > 0].reset_index(drop=True)


def read_reference_table(path: str | os.PathLike[str]) -> pd.DataFrame:
    """Read a small typed reference table (claims, published figures) with pandas' types.

    Raises
    ------
    InputError
        The file is missing or not a CSV.
    """
    p = Path(path)
    if not p.is_file():
        raise InputError(p, "file not found")
    try:
        return pd.read_csv(p)
    except (OSError, ValueError, UnicodeDecodeError) as exc:
        raise InputError(p, f"not a readable CSV ({str(exc).splitlines()[0]})") from exc
