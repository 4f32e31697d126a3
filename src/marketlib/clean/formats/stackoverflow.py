"""The Stack Overflow Developer Survey's public results layout (``survey_results_public.csv``).

Columns used: ``Country`` (an English name), ``Currency`` ("EUR European Euro": the code is the
first word), ``CompTotal`` (total compensation in that currency), ``CompFreq`` (Yearly, Monthly,
Weekly; absent from 2023 on: yearly), ``Employment``, ``DevType``, ``ConvertedCompYearly``
(the survey's own USD figure, compared with marketlib's conversion as aijobs' is). The public
files carry no year: add a ``Year`` column, or give it in a column map (``year: {value: 2024}``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from marketlib.clean.formats import Canonical, Format

if TYPE_CHECKING:
    import pandas as pd

REQUIRED = ("country", "currency", "comptotal", "year")
OPTIONAL = ("compfreq", "employment", "devtype", "convertedcompyearly", "responseid")


def _optional(raw: pd.DataFrame, col: str, default: str = "") -> pd.Series | str:
    return raw[col] if col in raw.columns else default


def to_canonical(raw: pd.DataFrame) -> Canonical:
    """Map survey columns to canonical pay columns."""
    import pandas as pd

    frame = pd.DataFrame(index=raw.index)
    frame["date"] = raw["year"]
    frame["amount"] = raw["comptotal"]
    frame["currency"] = raw["currency"].str.strip().str.split(" ", n=1).str[0]
    frame["unit"] = _optional(raw, "compfreq", "year")
    if "compfreq" in raw.columns:  # blank frequency: the yearly question of later surveys
        frame["unit"] = frame["unit"].mask(frame["unit"].str.strip().eq(""), "year")
    frame["country"] = raw["country"]
    frame["role"] = _optional(raw, "devtype")
    frame["experience"] = ""
    frame["employment_type"] = _optional(raw, "employment")
    frame["source"] = "Stack Overflow Developer Survey"
    if "convertedcompyearly" in raw.columns:
        frame["source_annual_usd"] = raw["convertedcompyearly"]
    required = ("date", "amount", "currency", "country")
    labels = {"date": "year", "amount": "comptotal", "currency": "currency", "country": "country"}
    return Canonical(
        frame=frame,
        required=required,
        labels=labels,
        consumed=(*REQUIRED, *OPTIONAL[:-1]),
        year_only=True,
    )


FORMAT = Format(
    "stackoverflow",
    "rates",
    REQUIRED,
    optional=OPTIONAL,
    description="Stack Overflow Developer Survey public results",
    amount_columns=("comptotal", "convertedcompyearly"),
    to_canonical=to_canonical,
)
