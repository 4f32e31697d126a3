"""Build ``src/marketlib/data/countries.csv`` from the UN M49 crosswalk.

Run once (and again only when the crosswalk or the documented edits change)::

    python scripts/build_country_table.py ../shared/data/country-regions/country-codes.csv

The output is a derived, reviewable table (ISO codes, UN M49 region and sub-region, and the
``article`` scheme), not a copy of the source. Every hand edit is listed in ``EDITS`` with its
reason and shows in the ``notes`` column.
"""

from __future__ import annotations

import sys
from pathlib import Path

import pandas as pd

OUT = Path(__file__).resolve().parents[1] / "src" / "marketlib" / "data" / "countries.csv"

# Eastern Europe in the article scheme (SPEC: central and eastern Europe including the Baltic
# states and the Balkans; METHODS §4.2 scheme B "CEE").
CEE = set("BY BG CZ HU MD PL RO RU SK UA EE LV LT AL BA HR ME MK RS SI XK".split())

UN_SUB_TO_ARTICLE = {
    "Northern America": ("North America", "North America"),
    "Latin America and the Caribbean": ("Latin America", "Latin America"),
    "Eastern Asia": ("Asia-Pacific", "East Asia"),
    "South-eastern Asia": ("Asia-Pacific", "Southeast Asia"),
    "Southern Asia": ("Asia-Pacific", "South Asia"),
    "Central Asia": ("Asia-Pacific", "Central Asia"),
    "Australia and New Zealand": ("Asia-Pacific", "Oceania"),
    "Melanesia": ("Asia-Pacific", "Oceania"),
    "Micronesia": ("Asia-Pacific", "Oceania"),
    "Polynesia": ("Asia-Pacific", "Oceania"),
    "Western Asia": ("Middle East & Africa", "Middle East"),
    "Northern Africa": ("Middle East & Africa", "Africa"),
    "Sub-Saharan Africa": ("Middle East & Africa", "Africa"),
}

# Documented hand edits: iso2 -> (field overrides, note)
EDITS: dict[str, tuple[dict[str, str], str]] = {
    "TW": (
        {"un_region": "Asia", "un_subregion": "Eastern Asia"},
        "UN fields blank in source (Taiwan); placed in Eastern Asia",
    ),
    "IR": (
        {"region": "Middle East & Africa", "subregion": "Middle East"},
        "M49 puts Iran in Southern Asia; article scheme treats it as Middle East",
    ),
}
EXTRA_ROWS = [
    {
        "iso2": "XK",
        "iso3": "XKX",
        "name": "Kosovo",
        "un_region": "Europe",
        "un_subregion": "Southern Europe",
        "notes": "not in ISO 3166/M49; user-assigned XK/XKX (World Bank) added by hand",
    },
]


def build(src: Path) -> pd.DataFrame:
    """Return the country table derived from the datahub country-codes crosswalk."""
    raw = pd.read_csv(src, keep_default_na=False, dtype=str)
    t = pd.DataFrame(
        {
            "iso2": raw["ISO3166-1-Alpha-2"],
            "iso3": raw["ISO3166-1-Alpha-3"],
            "name": raw["CLDR display name"].where(
                raw["CLDR display name"] != "", raw["official_name_en"]
            ),
            "un_region": raw["Region Name"],
            "un_subregion": raw["Sub-region Name"],
            "un_intermediate": raw["Intermediate Region Name"],
            "notes": "",
        }
    )
    t = t[(t["iso2"] != "") & (t["iso3"] != "")]
    # UN scheme: Americas split into Northern America / Latin America and the Caribbean
    americas = t["un_region"] == "Americas"
    t.loc[americas, "un_region"] = t.loc[americas, "un_subregion"]
    lac = t["un_subregion"] == "Latin America and the Caribbean"
    t.loc[lac, "un_subregion"] = t.loc[lac, "un_intermediate"]
    t = t.drop(columns="un_intermediate")
    t = pd.concat([t, pd.DataFrame(EXTRA_ROWS)], ignore_index=True).fillna("")
    for iso2, (fields, note) in EDITS.items():
        for k, v in fields.items():
            if k in t.columns:
                t.loc[t["iso2"] == iso2, k] = v
        t.loc[t["iso2"] == iso2, "notes"] = note
    # article scheme from the UN sub-region (and the original LAC grouping)
    sub_key = t["un_subregion"].where(
        ~t["un_region"].eq("Latin America and the Caribbean"), "Latin America and the Caribbean"
    )
    sub_key = sub_key.where(~t["un_region"].eq("Northern America"), "Northern America")
    art = sub_key.map(UN_SUB_TO_ARTICLE)
    t["region"] = [a[0] if isinstance(a, tuple) else "" for a in art]
    t["subregion"] = [a[1] if isinstance(a, tuple) else "" for a in art]
    europe = t["un_region"] == "Europe"
    t.loc[europe, "region"] = "Europe"
    t.loc[europe, "subregion"] = t.loc[europe, "iso2"].map(
        lambda c: "Eastern Europe" if c in CEE else "Western Europe"
    )
    for iso2, (fields, _note) in EDITS.items():
        for k in ("region", "subregion"):
            if k in fields:
                t.loc[t["iso2"] == iso2, k] = fields[k]
    missing = t["region"] == ""
    t.loc[missing, "notes"] = t.loc[missing, "notes"].where(
        t.loc[missing, "notes"] != "", "no UN region in source (e.g. Antarctica): unassigned"
    )
    cols = ["iso2", "iso3", "name", "region", "subregion", "un_region", "un_subregion", "notes"]
    return t[cols].sort_values("iso3").reset_index(drop=True)


if __name__ == "__main__":
    src = Path(
        sys.argv[1] if len(sys.argv) > 1 else "../shared/data/country-regions/country-codes.csv"
    )
    table = build(src)
    OUT.parent.mkdir(parents=True, exist_ok=True)
    table.to_csv(OUT, index=False, lineterminator="\n")
    print(f"wrote {OUT} ({len(table)} rows)")
