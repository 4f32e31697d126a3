"""Clean banded pay (the Kaggle survey) into the ``pay_bands`` table: one row per respondent.

A band is kept as its bounds in USD per year (``pay_low_usd`` inclusive, ``pay_high_usd``
exclusive; the top band open: ``inf``), never as a midpoint: estimators work on the bands
(:mod:`marketlib.arbitrage.bands`). Rejected, with reasons: no pay answered
(``missing_required``), a band that is not ``A-B`` or ``> A`` (``unparseable_band``), Kaggle's
"Other" (countries under 50 respondents pooled: ``pooled_country``, never a region of its
own), a country no vocabulary knows (``unknown_country``).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from marketlib.clean.rejections import (
    CleanResult,
    blank,
    finish_clean,
    kept_sources,
    lazy_detail,
    source_rows,
    start_clean,
)
from marketlib.clean.skills import normalize_skills
from marketlib.cleanparams import CleanParams
from marketlib.frames import map_distinct
from marketlib.regions import assign_regions, resolve_countries

#: Kaggle's pooled label for countries with fewer than 50 respondents.
POOLED = frozenset({"other"})
#: Titles of people not in work (their pay answers, if any, are kept but not "employed").
NOT_EMPLOYED = frozenset({"student", "currently not employed", ""})
COLUMNS = (
    "year",
    "country_iso3",
    "region",
    "subregion",
    "country_name",
    "title",
    "employed",
    "years_coding",
    "years_ml",
    "pay_band",
    "pay_low_usd",
    "pay_high_usd",
    "skills",
    "source_file",
    "source_row",
)
_BAND = r"^\$?(?P<low>[\d,]+)\s*-\s*\$?(?P<high>[\d,]+)$"
_TOP = r"^>\s*\$?(?P<low>[\d,]+)$"


def band_bounds(bands: pd.Series) -> pd.DataFrame:
    """Return ``low`` and ``high`` USD of each band text (``1,000-1,999`` -> 1000, 2000).

    The upper figure of a band is its last whole dollar, so the band is ``[A, B + 1)``;
    ``> $1,000,000`` is ``[1000000, inf)``. Unparseable texts give NaN. Each distinct text is
    parsed once.
    """

    def parse(u: pd.Series) -> pd.DataFrame:
        t = u.astype("str").str.strip()
        closed = t.str.extract(_BAND)
        top = t.str.extract(_TOP)
        low = pd.to_numeric(closed["low"].str.replace(",", ""), errors="coerce")
        high = pd.to_numeric(closed["high"].str.replace(",", ""), errors="coerce") + 1
        open_low = pd.to_numeric(top["low"].str.replace(",", ""), errors="coerce")
        low = low.fillna(open_low)
        high = high.where(closed["high"].notna(), np.where(open_low.notna(), np.inf, np.nan))
        bad = high <= low
        return pd.DataFrame({"low": low.mask(bad), "high": high.mask(bad)}, index=u.index)

    codes, uniques = pd.factorize(bands, use_na_sentinel=False)
    parsed = parse(pd.Series(uniques, dtype="str"))
    return pd.DataFrame(
        {c: parsed[c].to_numpy()[codes] for c in ("low", "high")}, index=bands.index
    )


def clean_pay_bands(
    raw: pd.DataFrame,
    fmt: str = "kaggle",
    params: CleanParams | None = None,
    source_file: str | pd.Series = "",
) -> CleanResult:
    """Clean banded pay rows (the ``kaggle`` format's columns) into ``pay_bands``."""
    p = params or CleanParams()
    raw, source_file, rej = start_clean(raw, source_file)
    band = raw["pay_band"].astype("str").str.strip()
    country = raw["country"].astype("str").str.strip()
    rej.add(blank(band), "missing_required", "no yearly compensation answered (pay band blank)")
    bounds = band_bounds(band)
    rej.add(
        bounds["low"].isna(),
        "unparseable_band",
        lazy_detail("pay band ", band, " is not 'A-B' or '> A' in USD"),
    )
    rej.add(blank(country), "missing_required", "country of residence blank")
    pooled = map_distinct(country, lambda u: u.str.casefold().isin(POOLED)).astype(bool)
    rej.add(
        pooled,
        "pooled_country",
        "Kaggle pools countries with fewer than 50 respondents as 'Other': no country, "
        "so no region",
    )
    iso3 = resolve_countries(country, keep=rej.ok.to_numpy())
    rej.add(
        iso3.isna(),
        "unknown_country",
        lazy_detail("country ", country, " is not a country any vocabulary knows"),
    )
    ok = rej.ok
    rows = source_rows(raw, source_file)
    keep = raw.loc[ok]
    geo = assign_regions(iso3[ok].astype("str"), p.scheme)
    title = keep["title"].astype("str").str.strip()
    student = keep["student"].astype("str").str.strip().str.casefold().eq("yes")
    skills, unknown = normalize_skills(keep["skills"].astype("str"))
    files = kept_sources(source_file, ok)
    table = pd.DataFrame(
        {
            "year": pd.to_numeric(keep["year"], errors="raise").astype("int64"),
            "country_iso3": iso3[ok].astype("str"),
            "region": geo["region"],
            "subregion": geo["subregion"],
            "country_name": country[ok],
            "title": title,
            "employed": (~title.str.casefold().isin(NOT_EMPLOYED) & ~student).astype(bool),
            "years_coding": keep["years_coding"].astype("str").str.strip(),
            "years_ml": keep["years_ml"].astype("str").str.strip(),
            "pay_band": band[ok],
            "pay_low_usd": bounds.loc[ok, "low"].astype(float),
            "pay_high_usd": bounds.loc[ok, "high"].astype(float),
            "skills": skills.to_numpy(),
            "source_file": files,
            "source_row": rows[ok].astype("int64"),
        }
    ).reset_index(drop=True)
    extra = _report_extra(table)
    extra["unknown_skill_words"] = dict(list(unknown.items())[:50])
    return finish_clean("pay_bands", raw, table, rej, source_file, p, fmt, extra)


def _report_extra(table: pd.DataFrame) -> dict[str, Any]:
    """Respondents with pay per year and country (the SOURCE.md recount), employed ones."""
    by = table.groupby(["year", "country_iso3"]).size()
    return {
        "respondents_by_year": {
            str(k): int(v) for k, v in table["year"].value_counts().sort_index().items()
        },
        "employed_by_year": {
            str(k): int(v)
            for k, v in table.loc[table["employed"], "year"].value_counts().sort_index().items()
        },
        "respondents_by_country": {f"{y} {c}": int(v) for (y, c), v in by.items()},
    }
