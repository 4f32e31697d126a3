"""Dates and periods: parse date strings and period labels, label periods, bound windows.

One home for every rule about time, shared by the cleaners and the models:

- :func:`parse_dates` reads observation dates (ISO, ``DD/MM/YYYY``, ``Month YYYY``, ``YYYY``)
  once per distinct string and keeps their precision;
- :func:`parse_periods` reads period labels (``YYYY``, ``YYYY-Qn``, ``YYYY-MM``);
- :func:`period_labels` gives labels and start dates at a frequency;
- :func:`window_mask` bounds a table by ``start``/``end`` the way pandas' partial strings do:
  a year bound covers the whole year, whatever the table's frequency (never a string compare).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import pandas as pd

from marketlib.bounds import year_offset
from marketlib.frames import frame_distinct

FREQS = ("Y", "Q", "M")
#: Coarse to fine.
FREQ_RANK = {"Y": 0, "Q": 1, "M": 2}
PERIODS_PER_YEAR = {"Y": 1, "Q": 4, "M": 12}

_DATE_FORMATS = (  # (format, precision)
    ("%Y-%m-%d", "D"),
    ("%d/%m/%Y", "D"),
    ("%Y/%m/%d", "D"),
    ("%d.%m.%Y", "D"),
    ("%d %B %Y", "D"),
    ("%d %b %Y", "D"),
    ("%B %d, %Y", "D"),
    ("%b %d, %Y", "D"),
    ("%Y-%m", "M"),
    ("%B %Y", "M"),
    ("%b %Y", "M"),
    ("%m/%Y", "M"),
    ("%Y", "Y"),
)


#: The accepted date forms, as rejection details name them.
ACCEPTED_DATES = (
    "YYYY-MM-DD, DD/MM/YYYY or MM/DD/YYYY (one order per column), YYYY/MM/DD, "
    "DD.MM.YYYY, 5 March 2024, March 5, 2024, YYYY-MM, March 2024, MM/YYYY or "
    "YYYY"
)
AMBIGUOUS_DATE = (
    " is ambiguous: day and month could be swapped and no date of the column "
    "shows which comes first (give --dayfirst or --monthfirst)"
)
_NUMERIC_DATE = r"^(\d{1,2})[/.](\d{1,2})[/.](\d{4})$"
DATE_ORDERS = ("auto", "dayfirst", "monthfirst")


def date_order(values: pd.Series, order: str = "auto") -> str | None:
    """Decide a column's order of ``NN/NN/YYYY`` dates: from the values that can only be one way.

    ``dayfirst`` when some first number is above 12 (31/12/2023) and none second;
    ``monthfirst`` in the mirror case (12/31/2023); ``None`` when the column proves neither or
    both (its ambiguous values are then rejected, never guessed). ``order`` other than
    ``auto`` (``--dayfirst`` / ``--monthfirst``) is taken as given.
    """
    if order != "auto":
        return order
    parts = pd.Series(values.dropna().unique(), dtype="str").str.strip().str.extract(_NUMERIC_DATE)
    a, b = pd.to_numeric(parts[0], errors="coerce"), pd.to_numeric(parts[1], errors="coerce")
    day_first, month_first = bool((a > 12).any()), bool((b > 12).any())
    if day_first and not month_first:
        return "dayfirst"
    if month_first and not day_first:
        return "monthfirst"
    return None


def parse_dates(values: pd.Series, order: str = "auto") -> pd.DataFrame:
    """Parse dates in the accepted formats, once per distinct string.

    Returns ``date`` (start of the stated period), ``precision`` (D, M or Y), ``end`` (last
    day of the stated period), ``out_of_range`` and ``ambiguous``. ``NN/NN/YYYY`` dates follow
    one order per column (:func:`date_order`); where the column proves no order, a value that
    reads both ways (03/04/2024) is ``ambiguous`` (``NaT``) and 05/05/2024 is still a date.
    ``YYYY-MM`` and ``Month YYYY`` give months, ``YYYY`` years. Unparseable strings give
    ``NaT``; well-formed dates whose year pandas cannot hold (3024, 0202, 9999) give ``NaT``
    with ``out_of_range`` True.
    """
    if order not in DATE_ORDERS:
        raise ValueError(f"date order must be one of {DATE_ORDERS}, got {order!r}")
    decided = date_order(values, order)
    return frame_distinct(values, lambda u: _parse_distinct_dates(u, decided))


def _parse_distinct_dates(distinct: pd.Series, order: str | None = "dayfirst") -> pd.DataFrame:
    text = distinct.astype("str").str.strip()
    parts = text.str.extract(_NUMERIC_DATE)
    numeric = parts[0].notna()
    a = pd.to_numeric(parts[0], errors="coerce")
    b = pd.to_numeric(parts[1], errors="coerce")
    ambiguous = numeric & (a <= 12) & (b <= 12) & (a != b) & (order is None)
    if numeric.any():  # NN/NN/YYYY to ISO in the column's order (ambiguous ones left out)
        day, month = (a, b) if order in ("dayfirst", None) else (b, a)
        if order is None:  # only what can be one way: the larger number is the day
            day, month = a.where(a > 12, b), a.where(a <= 12, b).where(a > 12, a)
        iso = (
            parts[2]
            + "-"
            + month.astype("Int64").astype("str").str.zfill(2)
            + "-"
            + day.astype("Int64").astype("str").str.zfill(2)
        )
        text = text.where(~numeric | ambiguous, iso)
        text = text.where(~ambiguous, "")
    parsed = pd.Series(pd.NaT, index=text.index, dtype="datetime64[ns]")
    precision = pd.Series(pd.NA, index=text.index, dtype="object")
    for fmt, prec in _DATE_FORMATS:
        todo = parsed.isna()
        if not todo.any():
            break
        got = _to_datetime(text[todo], fmt)
        hit = got.notna()
        parsed[got.index[hit]] = got[hit]
        precision[got.index[hit]] = prec
    end = parsed.copy()
    m = precision == "M"
    end[m] = parsed[m] + pd.offsets.MonthEnd(0)
    y = precision == "Y"
    end[y] = parsed[y] + pd.offsets.YearEnd(0)
    # a well-formed date whose year pandas cannot hold (3024, 0202): out of range, not garbage
    year = text.str.extract(
        r"^(\d{4})(?:[-/.]\d{1,2}(?:[-/.]\d{1,2})?)?$|^\d{1,2}[-/.]"
        r"(?:\d{1,2}[-/.])?(\d{4})$"
    )
    year = pd.to_numeric(year[0].fillna(year[1]), errors="coerce")
    out_of_range = parsed.isna() & (year.notna() & ~year.between(1678, 2261))
    return pd.DataFrame(
        {
            "date": parsed,
            "precision": precision,
            "end": end,
            "out_of_range": out_of_range.astype(bool),
            "ambiguous": ambiguous.astype(bool),
        }
    )


def _to_datetime(text: pd.Series, fmt: str) -> pd.Series:
    """``pd.to_datetime`` that turns years outside the nanosecond range into NaT, never raises."""
    try:
        got = pd.to_datetime(text, format=fmt, errors="coerce")
    except (OverflowError, pd.errors.OutOfBoundsDatetime, ValueError):
        got = pd.Series([_one_datetime(t, fmt) for t in text], index=text.index)
    got = pd.Series(got, index=text.index)
    if not len(got):
        return pd.Series(pd.NaT, index=text.index, dtype="datetime64[ns]")
    years = got.dt.year
    got = got.where(years.between(1678, 2261))
    return got.astype("datetime64[ns]")


def _one_datetime(text: str, fmt: str) -> pd.Timestamp:
    try:
        return pd.to_datetime(text, format=fmt)
    except (OverflowError, pd.errors.OutOfBoundsDatetime, ValueError):
        return pd.NaT


def period_labels(start: pd.Series, freq: str) -> pd.DataFrame:
    """Return ``period`` labels ("2023", "2023-Q1", "2023-01") and ``period_start`` for dates."""
    p = start.dt.to_period({"Y": "Y", "Q": "Q", "M": "M"}[freq])
    label = p.astype("str")
    if freq == "Q":
        label = label.str.replace(r"(\d{4})Q(\d)", r"\1-Q\2", regex=True)
    return pd.DataFrame(
        {"period": label, "period_start": p.dt.start_time.dt.normalize()}, index=start.index
    )


_PERIOD_PATTERNS = (
    (re.compile(r"^(\d{4})$"), "Y"),
    (re.compile(r"^(\d{4})\s*[-/ ]?\s*[Qq]([1-4])$"), "Q"),
    (re.compile(r"^(\d{4})[-/](\d{1,2})$"), "M"),
)


def parse_periods(values: pd.Series) -> pd.DataFrame:
    """Parse period labels ``YYYY``, ``YYYY-Qn`` or ``YYYY-MM`` into start date and freq.

    Years outside pandas' datetime range (before 1678 or after 2261) give ``NaT`` with
    ``out_of_range`` True.
    """
    text = values.astype("str").str.strip()
    start = pd.Series(pd.NaT, index=values.index, dtype="datetime64[ns]")
    freq = pd.Series(pd.NA, index=values.index, dtype="object")
    out_of_range = pd.Series(False, index=values.index)
    for pattern, f in _PERIOD_PATTERNS:
        parts = text.str.extract(pattern)
        hit = parts[0].notna() & freq.isna()
        if not hit.any():
            continue
        year = parts.loc[hit, 0].astype(int)
        if f == "Y":
            month = pd.Series(1, index=year.index)
        elif f == "Q":
            month = (parts.loc[hit, 1].astype(int) - 1) * 3 + 1
        else:
            month = parts.loc[hit, 1].astype(int)
        valid = month.between(1, 12) & year.between(1678, 2261)
        out_of_range[month.index[month.between(1, 12) & ~year.between(1678, 2261)]] = True
        idx = month.index[valid]
        start[idx] = pd.to_datetime(
            pd.DataFrame({"year": year[idx], "month": month[idx], "day": 1})
        )
        freq[idx] = f
    return pd.DataFrame({"period_start": start, "freq": freq, "out_of_range": out_of_range})


def period_end(period_start: pd.Series, freq: pd.Series | str) -> pd.Series:
    """Return the last day of each period (``period_start`` plus one period, minus a day)."""
    start = pd.to_datetime(period_start)
    freqs = pd.Series(freq, index=start.index) if isinstance(freq, str) else freq
    months = freqs.map({"Y": 12, "Q": 3, "M": 1}).fillna(12).astype(int)
    out = pd.Series(pd.NaT, index=start.index, dtype="datetime64[ns]")
    for m in months.unique():
        sel = months == m
        out[sel] = start[sel] + pd.DateOffset(months=int(m)) - pd.Timedelta(days=1)
    return out


@dataclass(frozen=True)
class Bound:
    """A window bound as a date range: ``"2024"`` is 2024-01-01 .. 2024-12-31."""

    text: str
    first_day: pd.Timestamp
    last_day: pd.Timestamp


def parse_bound(text: str | int) -> Bound:
    """Read a window bound (``YYYY``, ``YYYY-Qn``/``YYYYQn``, ``YYYY-MM``) as a date range.

    Raises
    ------
    ValueError
        The bound is not one of those forms.
    """
    s = str(text).strip()
    parsed = parse_periods(
        pd.Series([s.replace("Q", "-Q") if re.fullmatch(r"\d{4}Q[1-4]", s) else s])
    )
    start, freq = parsed["period_start"].iloc[0], parsed["freq"].iloc[0]
    if pd.isna(start):
        raise ValueError(f"window bound {text!r} is not YYYY, YYYY-Qn or YYYY-MM")
    end = period_end(pd.Series([start]), freq).iloc[0]
    return Bound(s, pd.Timestamp(start), pd.Timestamp(end))


def window_mask(
    period_start: pd.Series, freq: pd.Series | str, start: str | int | None, end: str | int | None
) -> pd.Series:
    """Return True for periods lying inside ``[start, end]``.

    A period is inside when it begins on or after the first day of ``start`` and ends on or
    before the last day of ``end``: ``end="2024"`` keeps 2024-12 and 2024-Q4 (pandas'
    partial-string convention), never drops them as a string compare ("2024-01" > "2024") did.
    """
    ps = pd.to_datetime(period_start)
    keep = pd.Series(True, index=ps.index)
    if start is not None:
        keep &= ps >= parse_bound(start).first_day
    if end is not None:
        keep &= period_end(ps, freq) <= parse_bound(end).last_day
    return keep


def describe_window(labels: pd.Series, kept: pd.Series) -> dict[str, list[str]]:
    """Return the periods a window used and the ones it dropped (sorted labels)."""
    used = sorted(pd.unique(labels[kept.to_numpy()]).tolist())
    dropped = sorted(set(pd.unique(labels[~kept.to_numpy()]).tolist()) - set(used))
    return {"used": used, "dropped": dropped}


def mid_year(start: pd.Series, freq: str) -> pd.Series:
    """Return the period midpoint in fractional years (trend time is measured in years)."""
    per = PERIODS_PER_YEAR[freq]
    step = (start.dt.month - 1) / 12
    return start.dt.year + step + 0.5 / per


def resolve_years(
    start: int | str, end: int | str, complete: list[int]
) -> tuple[int, int, list[str]]:
    """Resolve a window of calendar years against the complete years of the data.

    ``start``/``end``: a year or ``latest`` / ``latest-N`` (the latest complete year minus N).
    A bound past the data is clamped to what is complete, with a note; a window with fewer
    than two complete years left is refused (``ValueError``).

    Returns
    -------
    tuple
        ``(start, end, notes)``.
    """
    if not complete:
        raise ValueError("the data hold no complete calendar year (four published quarters)")
    first, latest = min(complete), max(complete)

    def one(v: int | str) -> int:
        return v if isinstance(v, int) else latest + year_offset(v)

    s, e = one(start), one(end)
    notes = []
    if e > latest:
        notes.append(
            f"window end {e} clamped to {latest}, the latest complete year of the data at as_of"
        )
        e = latest
    if s < first:
        notes.append(f"window start {s} clamped to {first}, the first complete year of the data")
        s = first
    if e <= s:
        raise ValueError(
            f"window {start}..{end} leaves fewer than two complete years in the "
            f"data (complete years: {first}..{latest})"
        )
    return s, e, notes


def resolve_period_bounds(
    start: str | None, end: str | None, labels: list[str]
) -> tuple[str | None, str | None, list[str]]:
    """Resolve ``latest`` / ``latest-N`` bounds against the data's period labels (sorted).

    A fixed ``end`` past the last period is clamped to it, with a note. Returns
    ``(start, end, notes)``; ``ValueError`` when the data hold no period or a bound reaches
    before the first one.
    """
    notes: list[str] = []
    if not labels:
        raise ValueError("the data hold no period at as_of")

    def one(v: str | None) -> str | None:
        if v is None or not re.fullmatch(r"latest(?:-\d{1,2})?", v):
            return v
        i = len(labels) - 1 + year_offset(v)
        if i < 0:
            raise ValueError(f"{v} reaches before the first period of the data ({labels[0]})")
        return labels[i]

    s, e = one(start), one(end)
    if e is not None and parse_bound(e).first_day > parse_bound(labels[-1]).first_day:
        notes.append(
            f"window end {e} clamped to {labels[-1]}, the latest period of the data at as_of"
        )
        e = labels[-1]
    return s, e, notes
