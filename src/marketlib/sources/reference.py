"""Small typed reference tables: World Bank price level ratios, claims and published figures."""

from __future__ import annotations

import os
from pathlib import Path

import pandas as pd

from marketlib.money import iso4217_codes
from marketlib.periods import parse_dates
from marketlib.sources.files import InputError, read_table


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
    long = raw.melt(
        id_vars=["Country Code"], value_vars=years, var_name="year", value_name="price_level_ratio"
    ).dropna()
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


#: Columns of an analyst's own exchange-rate table (``--fx-table``).
FX_TABLE_COLUMNS = ("date", "currency", "usd_per_unit")


def read_fx_table(path: str | os.PathLike[str]) -> pd.DataFrame:
    """Read an analyst's exchange rates (CSV or a workbook) for ``--fx-table``.

    Columns: ``date`` (a day, ``YYYY-MM`` or a year: the rate holds over that period),
    ``currency`` (ISO 4217), ``usd_per_unit`` (US dollars for one unit, > 0).

    Refused whole (one line naming the row) when a row is unusable: rates are parameters of
    the run, not observations to reject one by one.

    Raises
    ------
    InputError
        Missing columns, an unparseable date, an unknown currency, a rate that is not a
        positive number, or one currency and date given twice with different rates.
    """
    t = read_table(path)
    p = t.path
    missing = [c for c in FX_TABLE_COLUMNS if c not in t.frame.columns]
    if missing:
        raise InputError(
            p,
            f"exchange-rate table lacks column(s) {', '.join(missing)} "
            f"(expected: {', '.join(FX_TABLE_COLUMNS)})",
        )
    f = t.frame[list(FX_TABLE_COLUMNS)].copy()
    sheet = "_sheet_row" in t.frame
    rows = (
        pd.to_numeric(t.frame["_sheet_row"]) if sheet else pd.Series(range(2, len(f) + 2))
    )  # CSV: the file's line (header is line 1)
    where = "row" if sheet else "line"
    if f.empty:
        raise InputError(p, "exchange-rate table has no rows")
    bad_shape = t.frame.get("_malformed_row")
    if bad_shape is not None and bad_shape.fillna("").astype(str).ne("").any():
        i = int(bad_shape.fillna("").astype(str).ne("").to_numpy().argmax())
        raise InputError(p, f"{where} {int(rows.iloc[i])}: {bad_shape.iloc[i]}")
    f["currency"] = f["currency"].str.strip().str.upper()
    dates = parse_dates(f["date"].astype("str"))
    rate = pd.to_numeric(f["usd_per_unit"].str.strip(), errors="coerce")
    problems = [
        (dates["date"].isna(), "date {v} is not a date (YYYY-MM-DD, YYYY-MM or YYYY)", "date"),
        (~f["currency"].isin(iso4217_codes()), "currency {v} is not an ISO 4217 code", "currency"),
        (
            ~(rate > 0) | rate.isin([float("inf")]),
            "usd_per_unit {v} is not a positive number",
            "usd_per_unit",
        ),
    ]
    problems.append(
        (
            f["currency"].eq("USD"),
            "currency {v}: a US dollar is always 1 US dollar (leave USD out)",
            "currency",
        )
    )
    for bad, text, col in problems:
        if bad.any():
            i = int(bad.to_numpy().argmax())
            raise InputError(
                p, f"{where} {int(rows.iloc[i])}: " + text.format(v=repr(f[col].iloc[i]))
            )
    f["usd_per_unit"] = rate
    # periods of one currency may not overlap (a day inside a month, the same day written
    # two ways): which rate holds would depend on the file's order
    spans = pd.DataFrame(
        {
            "currency": f["currency"],
            "start": dates["date"],
            "end": dates["end"],
            "row": rows.to_numpy(),
        }
    )
    spans = spans.sort_values(["currency", "start", "end"], kind="stable")
    prev_end = spans.groupby("currency")["end"].shift()
    clash = spans["start"] <= prev_end
    if clash.any():
        j = spans.index[clash.to_numpy().argmax()]
        k = spans.index.get_loc(j)
        other = int(spans["row"].iloc[k - 1])
        raise InputError(
            p,
            f"{where} {int(spans.at[j, 'row'])}: {f.at[j, 'currency']} "
            f"{f.at[j, 'date']!r} overlaps the period of {where} {other}: "
            "give each day one rate (which would hold depends on the order)",
        )
    return f.reset_index(drop=True)
