"""Vocabularies: spellings to marketlib's fixed vocabularies, all loaded from data files.

Experience, employment type, rate kind and pay units (``data/*.csv``), role families
(regular expressions, first match wins) and certification names. Each table is read once; each
distinct input spelling is looked up once.
"""

from __future__ import annotations

import re
from functools import cache, lru_cache

import numpy as np
import pandas as pd

from marketlib.frames import map_distinct, word_key
from marketlib.paths import PACKAGE_DATA


@cache
def vocabulary(name: str) -> dict[str, str]:
    """Return a spelling -> value mapping from ``data/<name>.csv`` (first column -> second).

    ``experience``, ``employment_types``, ``rate_kinds`` and ``units``; keys are
    :func:`~marketlib.frames.word_key` (trimmed, case-folded, hyphens as spaces).
    """
    t = pd.read_csv(PACKAGE_DATA / f"{name}.csv", comment="#", dtype=str, keep_default_na=False)
    key, value = t.columns[:2]
    return dict(zip(word_key(t[key]), t[value].str.strip(), strict=True))


def normalize_vocabulary(values: pd.Series, name: str, keep: np.ndarray | None = None) -> pd.Series:
    """Map spellings (trimmed, case-insensitive) through a vocabulary; unknown give NA.

    ``keep``: a boolean mask of the rows wanted (see :func:`marketlib.frames.map_distinct`).
    """
    look = vocabulary(name)
    return map_distinct(values, lambda u: word_key(u).map(look), keep=keep)


#: Default years-of-experience bands (docs/methods.md#s3-6): junior < 2, mid 2-5, senior
#: 5-10, lead >= 10 years (the lower bound of each band belongs to it).
EXPERIENCE_BANDS: tuple[float, float, float] = (2.0, 5.0, 10.0)
_YEARS = re.compile(
    r"^\s*(\d+(?:[.,]\d+)?)\s*\+?\s*(?:y|yr|yrs|year|years|a|ans|jahre)?\.?\s*$", re.IGNORECASE
)


def experience_years(values: pd.Series) -> pd.Series:
    """Return the years of experience a cell states ("3", "3.5", "10+", "4 yrs"), else NaN."""

    def years(u: pd.Series) -> pd.Series:
        m = u.astype("str").str.extract(_YEARS, expand=False)
        return pd.to_numeric(m.str.replace(",", ".", regex=False), errors="coerce")

    return map_distinct(values, years)


def experience_levels(values: pd.Series, bands: tuple[float, ...] = EXPERIENCE_BANDS) -> pd.Series:
    """Map seniority words *and* years of experience to the experience vocabulary.

    Words go through ``data/experience.csv``; a number of years (0.5 ... 40) is binned by
    ``bands`` (three ascending limits: junior below the first, mid, senior, lead from the
    last), never counted as an unknown word. Over 60 years is not a career: unknown (NA).
    """
    words = normalize_vocabulary(values, "experience")
    todo = words.isna()
    if not todo.any():
        return words
    yrs = experience_years(values.where(todo))
    yrs = yrs.where((yrs >= 0) & (yrs <= 60))
    binned = pd.cut(
        yrs, [-np.inf, *bands, np.inf], right=False, labels=["junior", "mid", "senior", "lead"]
    ).astype("object")
    out = words.copy()
    fill = todo & binned.notna()
    out[fill] = binned[fill]
    return out


def employment_types() -> list[str]:
    """Return the contract's fixed employment-type vocabulary."""
    return sorted(set(vocabulary("employment_types").values()))


def role_families() -> list[str]:
    """Return the role families titles are assigned to (``Other`` last)."""
    t = pd.read_csv(PACKAGE_DATA / "role_families.csv", dtype=str)
    return [*dict.fromkeys(t.sort_values("priority")["role_family"]), "Other"]


@lru_cache(maxsize=1)
def _role_patterns() -> list[tuple[re.Pattern[str], str]]:
    t = pd.read_csv(PACKAGE_DATA / "role_families.csv", dtype={"pattern": str})
    t = t.sort_values("priority")
    return [
        (re.compile(p, re.IGNORECASE), f)
        for p, f in zip(t["pattern"], t["role_family"], strict=True)
    ]


def assign_role_families(titles: pd.Series) -> pd.Series:
    """Map free-text job titles to role families (first matching pattern wins), once per title."""

    def family(title: str) -> str:
        for pattern, fam in _role_patterns():
            if pattern.search(title):
                return fam
        return "Other"

    return map_distinct(titles, lambda u: pd.Series([family(t) for t in u], dtype="str"))


def _cert_key(text: str) -> str:
    t = re.sub(r"\([^)]*\)", " ", text.casefold())
    t = re.sub(r"[^a-z0-9]+", " ", t)
    return re.sub(r"\s+", " ", t).strip()


@lru_cache(maxsize=1)
def certification_codes() -> dict[str, str]:
    """Return the lookup from normalized code or full name to certification code."""
    t = pd.read_csv(PACKAGE_DATA / "certifications.csv", dtype=str)
    look = {_cert_key(c): c for c in t["code"]}
    look.update({_cert_key(n): c for n, c in zip(t["name"], t["code"], strict=True)})
    look.update({_cert_key(f"{n} {c}"): c for n, c in zip(t["name"], t["code"], strict=True)})
    return look


def normalize_certification_names(values: pd.Series) -> pd.DataFrame:
    """Return ``certification`` (CNCF code, or the name verbatim) and ``is_known``.

    "cka", "Certified Kubernetes Administrator" and "Certified Kubernetes Administrator (CKA)"
    all become ``CKA``; names of other vendors' certifications are kept verbatim (trimmed).
    """
    text = values.astype("str").str.strip()
    look = certification_codes()
    distinct = pd.unique(text.dropna())
    mapping: dict[str, str | None] = {}
    for v in distinct:
        key = _cert_key(v)
        if key in look:
            mapping[v] = look[key]
        else:
            m = re.search(r"\(([A-Za-z]{2,5})\)", v)  # "... (CKA)"
            mapping[v] = look.get(_cert_key(m.group(1))) if m else None
    code = text.map(mapping)
    return pd.DataFrame(
        {"certification": code.fillna(text).astype("str"), "is_known": code.notna()},
        index=values.index,
    )
