"""Skills: a multi-valued pay field ("Kubernetes;PyTorch;MLOps") to canonical skill words.

A cell is split on ``;``, ``,``, ``|`` and ``/``; each word is folded like the other
vocabularies (:func:`~marketlib.frames.word_key`) and mapped through the value map's
``skills:`` words, then ``data/skills.csv`` (``k8s`` and ``CKA`` -> ``kubernetes``). A word
in neither is kept as written, folded (spaces as ``_``), and counted among the unknown words,
so that an analyst can select it or map it. The clean column holds the distinct canonical
words sorted and joined by ``;`` (``kubernetes;mlops;pytorch``); null when the cell is blank.
Each distinct cell is parsed once.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from functools import cache

import numpy as np
import pandas as pd

from marketlib.frames import map_distinct, word_key
from marketlib.paths import PACKAGE_DATA

#: What separates the skills of one cell.
SEPARATORS = re.compile(r"\s*[;,|/]\s*")
#: A skill word as the clean table writes it: one token, no space and no separator (`.net`,
#: `c#`, `c++`, non-Latin letters are words too); params and value maps accept the same.
SKILL_WORD = re.compile(r"^[^\s;,|/]+$")
#: Invisible format characters (zero-width space, joiners, BOM) taken out of skill words.
_INVISIBLE = re.compile("[\u200b-\u200f\u2060-\u2064\ufeff\u00ad]")


@cache
def skill_vocabulary() -> dict[str, str]:
    """Return spelling (word key) -> canonical skill, from ``data/skills.csv``."""
    t = pd.read_csv(PACKAGE_DATA / "skills.csv", comment="#", dtype=str, keep_default_na=False)
    return dict(zip(word_key(t["spelling"]), t["skill"].str.strip(), strict=True))


def known_skills() -> tuple[str, ...]:
    """Return the canonical skills of the vocabulary, sorted."""
    return tuple(sorted(set(skill_vocabulary().values())))


def skill_word(text: str) -> str:
    """Return a word as a skill token: folded, runs of spaces as one ``_``."""
    return re.sub(r"\s+", "_", word_key(pd.Series([text], dtype="str")).iloc[0])


def _parse_cell(cell: str, look: Mapping[str, str]) -> tuple[str | None, list[str]]:
    """Return one cell's canonical skills and the words of it no vocabulary knows."""
    found: set[str] = set()
    unknown: list[str] = []
    for w in SEPARATORS.split(_INVISIBLE.sub("", cell).strip()):
        key = re.sub(r"[\s\-_]+", " ", w.casefold()).strip()
        if not key:
            continue
        skill = look.get(key)
        if skill is None:
            skill = key.replace(" ", "_")
            unknown.append(w.strip())
        found.add(skill)
    return (";".join(sorted(found)) if found else None), unknown


def normalize_skills(
    values: pd.Series, words: Mapping[str, str] | None = None
) -> tuple[pd.Series, dict[str, int]]:
    """Return each cell's canonical skills (``;``-joined, sorted) and the unknown words.

    ``words``: the value map's ``skills`` entries (word key -> skill). The unknown words are
    counted in rows (a word in a cell shared by 40 rows counts 40).
    """
    look = {**skill_vocabulary(), **dict(words or {})}
    per_cell: dict[str, list[str]] = {}

    def fn(u: pd.Series) -> pd.Series:
        out = []
        for cell in u.astype("str"):
            skills, unknown = _parse_cell(cell, look)
            out.append(skills)
            if unknown:
                per_cell[cell] = unknown
        return pd.Series(out, dtype="str")

    text = values.astype("str")
    skills = map_distinct(values.where(text.str.strip().ne("")), fn)
    counts = text[text.isin(list(per_cell))].value_counts() if per_cell else {}
    unknown: dict[str, int] = {}
    for cell, ws in per_cell.items():
        for w in ws:
            unknown[w] = unknown.get(w, 0) + int(counts.get(cell, 0))
    return skills, dict(sorted(unknown.items(), key=lambda kv: (-kv[1], kv[0])))


def with_skills(
    skills: pd.Series, all_of: Iterable[str] = (), any_of: Iterable[str] = ()
) -> np.ndarray:
    """Return the rows holding every skill of ``all_of`` and at least one of ``any_of``.

    Each distinct ``;``-joined cell is tested once (a row without skills holds none).
    """
    all_of, any_of = set(all_of), set(any_of)

    def test(u: pd.Series) -> pd.Series:
        sets = [set(x.split(";")) for x in u.astype("str")]
        return pd.Series(
            [all_of <= s and (not any_of or bool(any_of & s)) for s in sets], dtype=bool
        )

    hit = map_distinct(skills, test)
    return hit.fillna(False).to_numpy(dtype=bool)


def skill_counts(skills: pd.Series) -> pd.Series:
    """Return how many rows hold each skill (descending), from the ``;``-joined column."""
    s = skills.dropna().astype("str")
    if s.empty:
        return pd.Series(dtype="int64")
    return s.str.split(";").explode().value_counts()
