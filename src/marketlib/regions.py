"""Countries to ISO3, ISO3 to regions under a named scheme.

Resolution is table-driven (``data/countries.csv`` derived from the UN M49 crosswalk,
``data/country_aliases.csv`` for common variants) with ``pycountry`` (the ISO 3166 database)
for official and common names. Each distinct spelling is looked up once. Unknown places are
never guessed: they resolve to ``None``.

Why not ``country_converter``: version 1.3.2 raises ``TypeError`` in ``CountryConverter()``
under pandas 3.1, which this project uses (the methods were verified on pandas 3.1). pycountry has
no pandas dependency, and the aliases it lacks are a reviewed data file.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache
from pathlib import Path

import numpy as np
import pandas as pd
import pycountry

from marketlib.frames import map_distinct
from marketlib.paths import PACKAGE_DATA
from marketlib.sanitize import plain_text
from marketlib.sources import InputError, read_csv_text

SCHEMES = ("article", "un")
ARTICLE_REGIONS = (
    "North America",
    "Latin America",
    "Europe",
    "Asia-Pacific",
    "Middle East & Africa",
)
ARTICLE_SUBREGIONS = (
    "North America",
    "Latin America",
    "Western Europe",
    "Eastern Europe",
    "East Asia",
    "Southeast Asia",
    "South Asia",
    "Oceania",
    "Middle East",
    "Africa",
    "Central Asia",
)


def _key(text: str) -> str:
    """Normalize a spelling for lookup: accents folded, case folded, dots and spaces squeezed."""
    t = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    t = t.casefold().replace(".", "").replace("&", "and")
    t = re.sub(r"[\s_\-]+", " ", t).strip()
    return re.sub(r"^the ", "", t)


@lru_cache(maxsize=1)
def country_table() -> pd.DataFrame:
    """Return the committed country table (iso2, iso3, names, article and UN regions)."""
    return pd.read_csv(PACKAGE_DATA / "countries.csv", keep_default_na=False, dtype=str)


@lru_cache(maxsize=1)
def _lookup() -> dict[str, str]:
    table = country_table()
    look: dict[str, str] = {}
    for col in ("name", "iso3"):
        look.update({_key(v): iso3 for v, iso3 in zip(table[col], table["iso3"], strict=True)})
    look.update({_key(v): iso3 for v, iso3 in zip(table["iso2"], table["iso3"], strict=True)})
    aliases = pd.read_csv(PACKAGE_DATA / "country_aliases.csv", keep_default_na=False, dtype=str)
    look.update({_key(a): i for a, i in zip(aliases["alias"], aliases["iso3"], strict=True)})
    return look


def _foreign_letters(text: str) -> bool:
    """Whether ``text`` holds a letter of another script (a Cyrillic "а" in "Frаnce")."""
    return any(
        ch.isalpha() and ord(ch) > 0x24F and not unicodedata.name(ch, "").startswith("LATIN")
        for ch in unicodedata.normalize("NFKC", text)
    )


def _resolve_one(text: str) -> str | None:
    """Resolve one spelling ("US", "United Kingdom", "Austin, TX, USA") to ISO3 or None.

    A spelling with letters of another script than Latin (a homoglyph: Cyrillic "а" for
    Latin "a") is never resolved: folding it to ASCII could name another country.
    """
    raw = text.strip()
    if not raw or _foreign_letters(raw) or ambiguity(raw) is not None:
        return None
    whole = _lookup_name(raw)  # "Korea, Republic of" is a name, not "City, Country"
    if whole is not None:
        return whole
    parts = [p.strip() for p in raw.split(",") if p.strip()]
    if len(parts) < 2:
        return None
    return _lookup_name(parts[-1])


#: Countries whose addresses name a state or province by a code or name after the city
#: ("Munich, BY", "Porto Alegre, RS", "Adelaide, SA", "Regina, SK", "Atlanta, Georgia").
#: Their subdivisions come from pycountry's ISO 3166-2 table.
POSTAL_SUBDIVISIONS = (
    "US",
    "CA",
    "AU",
    "BR",
    "MX",
    "IN",
    "DE",
    "AT",
    "CH",
    "IT",
    "ES",
    "AR",
    "MY",
    "NG",
)


@lru_cache(maxsize=1)
def _subdivisions() -> dict[str, frozenset[str]]:
    """Return subdivision code suffixes and names (folded) -> the countries that have them."""
    found: dict[str, set[str]] = {}
    for sub in pycountry.subdivisions:
        if sub.country_code not in POSTAL_SUBDIVISIONS:
            continue
        for word in (sub.code.split("-", 1)[1], sub.name):
            found.setdefault(_key(word), set()).add(sub.country_code)
    return {k: frozenset(v) for k, v in found.items()}


@lru_cache(maxsize=1)
def _ambiguous_names() -> dict[str, str]:
    t = pd.read_csv(PACKAGE_DATA / "ambiguous_countries.csv", keep_default_na=False, dtype=str)
    return {_key(n): c for n, c in zip(t["name"], t["candidates"], strict=True)}


@lru_cache(maxsize=4096)
def ambiguity(text: str) -> str | None:
    """Say why a place cannot be resolved to one country, or None when it is not ambiguous.

    Two kinds, both said and never guessed: a name two countries share ("Congo", "Korea":
    ``data/ambiguous_countries.csv``), and "City, X" where X is both a country and a state or
    province of a country whose addresses use them (:data:`POSTAL_SUBDIVISIONS`): "Munich,
    BY" is Bavaria or Belarus, "Atlanta, Georgia" the US state or the country.
    """
    raw = text.strip()
    shared = _ambiguous_names().get(_key(raw))
    if shared is not None:
        return f"{raw!r} names more than one country ({shared})"
    parts = [p.strip() for p in raw.split(",") if p.strip()]
    if len(parts) != 2:
        return None
    last = parts[-1]
    shared = _ambiguous_names().get(_key(last))
    if shared is not None:
        return f"{last!r} names more than one country ({shared})"
    holders = _subdivisions().get(_key(last))
    country = _lookup_name(last)
    if holders and country is not None:
        return (
            f"{last!r} is the country {country} or a state/province of {', '.join(sorted(holders))}"
        )
    return None


def country_ambiguities(values: pd.Series) -> pd.Series:
    """Return, per value, why it is ambiguous (text) or ``<NA>``; each distinct value once."""
    return map_distinct(
        values,
        lambda u: pd.Series([None if pd.isna(v) else ambiguity(str(v)) for v in u], dtype="str"),
    )


def _lookup_name(text: str) -> str | None:
    key = _key(text)
    look = _lookup()
    if key in look:
        return look[key]
    try:
        found = pycountry.countries.lookup(text)
    except LookupError:
        return None
    return found.alpha_3 if found.alpha_3 in _known_iso3() else None


@lru_cache(maxsize=1)
def _known_iso3() -> frozenset[str]:
    return frozenset(country_table()["iso3"])


def resolve_countries(values: pd.Series, keep: np.ndarray | None = None) -> pd.Series:
    """Map country spellings to ISO3 codes, looking up each distinct value once.

    Accepts ISO2, ISO3, English names and common variants, "City, Country" and
    "City, ST, Country". Unresolved values become ``<NA>``. ``keep``: a boolean mask of the
    rows wanted (see :func:`marketlib.frames.map_distinct`).
    """
    return map_distinct(
        values, lambda u: pd.Series([_resolve_one(v) for v in u], dtype="str"), keep=keep
    )


def load_scheme(scheme: str | Path = "article") -> pd.DataFrame:
    """Return ``iso3, region, subregion`` for a scheme name or a user CSV path.

    A user CSV (``iso3,region,subregion``) overrides the named schemes for the countries it
    lists; other countries keep the ``article`` mapping.
    """
    table = country_table()
    if str(scheme) in SCHEMES:
        if scheme == "article":
            out = table[["iso3", "region", "subregion"]]
        else:
            out = table[["iso3", "un_region", "un_subregion"]].set_axis(
                ["iso3", "region", "subregion"], axis=1
            )
        return out[out["region"] != ""].reset_index(drop=True)
    raw = read_csv_text(scheme, required=("iso3", "region", "subregion")).frame
    user = raw[["iso3", "region", "subregion"]].apply(lambda s: s.str.strip())
    if user.empty:
        raise InputError(scheme, "the scheme lists no country (a header only)")
    for col in ("region", "subregion"):
        blank = user.index[user[col].fillna("").eq("")]
        if len(blank):
            raise InputError(
                scheme,
                f"row {int(blank[0]) + 1}: empty {col} (every country "
                "needs its region and subregion)",
            )
        names = user[col].fillna("")
        unsafe = user.index[names.str.contains(r"[\n\r\t]") | names.ne(names.map(plain_text))]
        if len(unsafe):  # a name is printed on pages, terminals and sheets: one plain line
            raise InputError(
                scheme,
                f"row {int(unsafe[0]) + 1}: {col} holds a line break or a "
                "control character (a region name is one plain line)",
            )
    user["iso3"] = resolve_countries(user["iso3"])
    bad = user.index[user["iso3"].isna()]
    if len(bad):
        raise InputError(scheme, f"row {int(bad[0]) + 1}: unknown country code in iso3 column")
    if user["iso3"].duplicated().any():
        dup = user.loc[user["iso3"].duplicated(), "iso3"].iloc[0]
        raise InputError(scheme, f"country {dup} listed twice")
    base = load_scheme("article")
    base = base[~base["iso3"].isin(user["iso3"])]
    return pd.concat([user, base], ignore_index=True)


def assign_regions(iso3: pd.Series, scheme: str | Path = "article") -> pd.DataFrame:
    """Return ``region`` and ``subregion`` for each ISO3 code under ``scheme``."""
    mapping = load_scheme(scheme).set_index("iso3")
    out = pd.DataFrame(index=iso3.index)
    out["region"] = map_distinct(iso3, lambda u: u.map(mapping["region"]).astype("str"))
    out["subregion"] = map_distinct(iso3, lambda u: u.map(mapping["subregion"]).astype("str"))
    return out


def region_names(scheme: str | Path = "article") -> set[str]:
    """Return every region and subregion name of a scheme (for region-level inputs)."""
    m = load_scheme(scheme)
    return set(m["region"]) | set(m["subregion"])
