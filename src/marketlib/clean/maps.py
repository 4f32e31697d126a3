"""Column and value maps: an analyst's own headers and words, validated strictly, applied once.

A **column map** (YAML) names, for each column of a format, the header the file uses
(``country: Work Country``), or a constant for a column the file does not have
(``unit: {value: year}``). A **value map** adds words per column
(``experience: {Mid-level: mid}``) to marketlib's vocabularies. Both are checked before
anything is read or written: an unknown column, a header the file does not have, or a word
mapped outside the vocabulary is refused with the map, the key and the choices named.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from marketlib import money
from marketlib.clean.formats import Format
from marketlib.clean.skills import SKILL_WORD, skill_word
from marketlib.clean.vocab import employment_types, normalize_vocabulary, role_families
from marketlib.frames import map_distinct, parse_numbers, word_key
from marketlib.money import iso4217_codes
from marketlib.regions import resolve_countries
from marketlib.sources import InputError
from marketlib.sources.yamlfile import read_yaml

#: Columns a value map may add words to, and what their words become.
#: Columns the readers add (a malformed row's problem, a workbook's row numbers): never shown
#: to the analyst as the file's headers.
_READER_COLUMNS = frozenset({"_malformed_row", "_sheet_row"})
VALUE_COLUMNS = (
    "experience",
    "employment_type",
    "unit",
    "currency",
    "country",
    "role_family",
    "skills",
)
EXPERIENCE_LEVELS = ("junior", "mid", "senior", "lead", "executive")


def value_choices(column: str) -> tuple[str, ...] | None:
    """Return the values a word of ``column`` may be mapped to (None: checked another way)."""
    if column == "experience":
        return EXPERIENCE_LEVELS
    if column == "employment_type":
        return tuple(employment_types())
    if column == "unit":
        return ("hour", "day", "week", "month", "year")
    if column == "role_family":
        return tuple(role_families())
    return None


@dataclass(frozen=True)
class ColumnMap:
    """A validated column map: format column -> file header (or a constant value)."""

    headers: dict[str, str] = field(default_factory=dict)
    constants: dict[str, str] = field(default_factory=dict)
    source: str = ""

    def to_dict(self) -> dict[str, Any]:
        """Return the map as recorded in a clean report."""
        return {**self.headers, **{k: {"value": v} for k, v in self.constants.items()}}

    def apply(self, frame: pd.DataFrame, path: str | os.PathLike[str]) -> pd.DataFrame:
        """Return ``frame`` (lower-case headers) with the mapped headers renamed.

        A file column already named like a mapped target is kept as ``input_<name>``.
        Raises :class:`InputError` (naming the map) when a mapped header is not in the file.
        """
        if not self.headers and not self.constants:
            return frame
        cols = list(frame.columns)
        missing = {k: h for k, h in self.headers.items() if h.strip().lower() not in cols}
        if missing:
            k, h = next(iter(missing.items()))
            raise InputError(
                self.source or "--columns",
                f"key {k!r}: header {h!r} is not in {Path(path).name} "
                f"(its headers: "
                f"{', '.join(c for c in cols if c not in _READER_COLUMNS)[:300]})",
            )
        rename = {h.strip().lower(): k for k, h in self.headers.items()}
        targets = set(rename.values()) | set(self.constants)
        clash = {c: f"input_{c}" for c in cols if c in targets and c not in rename}
        out = frame.rename(columns={**clash, **rename})
        if len(set(out.columns)) != len(out.columns):
            raise InputError(
                self.source or "--columns",
                "two columns of the file would get the same name "
                f"(renamed: {sorted(clash.values())})",
            )
        for k, v in self.constants.items():
            out[k] = v
        return out


@dataclass(frozen=True)
class ValueMap:
    """A validated value map: per column, word key -> marketlib's value."""

    words: dict[str, dict[str, str]] = field(default_factory=dict)
    source: str = ""

    def to_dict(self) -> dict[str, dict[str, str]]:
        """Return the map as recorded in a clean report (keys as normalized)."""
        return {c: dict(w) for c, w in self.words.items()}


def _mapping(data: Any, where: str, what: str) -> dict[str, Any]:
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise InputError(where, f"a {what} must be a mapping (got {type(data).__name__})")
    return data


def load_column_map(path: str | os.PathLike[str] | None, fmt: Format) -> ColumnMap:
    """Read and validate a column map for ``fmt`` (None: no map).

    Keys must be columns of the format (its required and optional columns); values a header
    (text) or ``{value: CONSTANT}``.
    """
    if path is None:
        return ColumnMap()

    where = str(path)
    data = _mapping(read_yaml(path, "column map"), where, "column map")
    return column_map_from(data, fmt, where)


def column_map_from(data: Mapping[str, Any], fmt: Format, where: str = "columns") -> ColumnMap:
    """Validate a column map given as a mapping (see :func:`load_column_map`)."""
    choices = fmt.columns
    headers: dict[str, str] = {}
    constants: dict[str, str] = {}
    seen: set[str] = set()
    for key, value in data.items():
        k = str(key).strip().lower()
        if k in seen:
            raise InputError(where, f"key {k!r} given twice (keys ignore case)")
        seen.add(k)
        if k not in choices:
            raise InputError(
                where,
                f"key {str(key)[:60]!r} is not a column of format "
                f"{fmt.name} (choices: {', '.join(choices)})",
            )
        if isinstance(value, dict):
            if (
                set(value) != {"value"}
                or isinstance(value["value"], dict | list)
                or value["value"] is None
            ):
                raise InputError(where, f"key {k!r}: a constant is written {{value: TEXT}}")
            constants[k] = str(value["value"]).strip()
            if not constants[k]:
                raise InputError(
                    where, f"key {k!r}: an empty constant would leave every row without it"
                )
        elif isinstance(value, str) and value.strip():
            headers[k] = value.strip()
        else:
            raise InputError(
                where,
                f"key {k!r}: give the file's header as text, or "
                "{value: CONSTANT} (got "
                f"{type(value).__name__})",
            )
    dup = sorted(
        {
            h.lower()
            for h in headers.values()
            if [x.lower() for x in headers.values()].count(h.lower()) > 1
        }
    )
    if dup:
        raise InputError(where, f"header {dup[0]!r} is mapped to two columns")
    return ColumnMap(headers, constants, where)


def load_value_map(path: str | os.PathLike[str] | None) -> ValueMap:
    """Read and validate a value map (None: no map).

    Keys are columns (:data:`VALUE_COLUMNS`); each maps words to a value of that column's
    vocabulary (a country to a name or code marketlib knows, a currency to an ISO 4217 code).
    A word mapped to nothing (``~``) is a placeholder: it stays unknown.
    """
    if path is None:
        return ValueMap()

    where = str(path)
    data = _mapping(read_yaml(path, "value map"), where, "value map")
    return value_map_from(data, where)


def value_map_from(data: Mapping[str, Any], where: str = "values") -> ValueMap:
    """Validate a value map given as a mapping (see :func:`load_value_map`)."""
    words: dict[str, dict[str, str]] = {}
    for column, entries in data.items():
        col = str(column).strip().lower()
        if col not in VALUE_COLUMNS:
            raise InputError(
                where,
                f"key {str(column)[:60]!r} is not a column with words "
                f"(choices: {', '.join(VALUE_COLUMNS)})",
            )
        entries = _mapping(entries, where, f"value map's {col!r} entry")
        for w in entries:
            if not isinstance(w, str | int | float) or isinstance(w, bool) or w is None:
                raise InputError(
                    where,
                    f"{col}: the word {w!r} is not text (YAML reads yes, "
                    "no, on, off and null as other values): quote it, e.g. "
                    "'NO': NOR",
                )
        targets = {str(w): t for w, t in entries.items() if t is not None}
        checked = _check_targets(col, targets, where)
        keys = word_key(pd.Series(list(checked), dtype="str")).tolist()
        mapped: dict[str, str] = {}
        for word, key, target in zip(checked, keys, checked.values(), strict=True):
            if key in mapped and mapped[key] != target:
                first = next(w for w, k in zip(checked, keys, strict=True) if k == key)
                raise InputError(
                    where,
                    f"{col}: {first!r} and {word!r} are one word once "
                    f"case and separators are folded, mapped to "
                    f"{mapped[key]!r} and {target!r}: keep one",
                )
            mapped[key] = target
        words[col] = mapped
    return ValueMap(words, where)


def _check_targets(col: str, targets: dict[str, Any], where: str) -> dict[str, str]:
    out: dict[str, str] = {}
    choices = value_choices(col)
    for word, target in targets.items():
        if isinstance(target, dict | list) or isinstance(target, bool):
            raise InputError(
                where, f"{col}: {word[:60]!r} must map to a word (got {type(target).__name__})"
            )
        t = str(target).strip()
        if choices is not None:
            if t not in choices:
                raise InputError(
                    where, f"{col}: {word[:60]!r} -> {t[:60]!r} is not one of {', '.join(choices)}"
                )
        elif col == "currency":
            if t.upper() not in iso4217_codes():
                raise InputError(
                    where,
                    f"currency: {word[:60]!r} -> {t[:60]!r} is not an "
                    "ISO 4217 code (e.g. EUR, USD, INR)",
                )
            t = t.upper()
        elif col == "skills":
            t = skill_word(t)
            if not SKILL_WORD.match(t):
                raise InputError(
                    where,
                    f"skills: {word[:60]!r} -> {t[:60]!r} is not one skill "
                    "word (no spaces or separators; e.g. kubernetes)",
                )
        elif col == "country":
            iso3 = resolve_countries(pd.Series([t], dtype="str")).iloc[0]
            if pd.isna(iso3):
                raise InputError(
                    where,
                    f"country: {word[:60]!r} -> {t[:60]!r} is not a "
                    "country marketlib knows (use an ISO2/ISO3 code)",
                )
            t = str(iso3)
        out[word] = t
    return out


def apply_value_map(values: pd.Series, words: Mapping[str, str] | None) -> pd.Series:
    """Replace the words of ``values`` found in ``words`` (word keys) by their mapped value."""
    if not words:
        return values

    def fn(u: pd.Series) -> pd.Series:
        mapped = word_key(u).map(dict(words))
        return mapped.fillna(u).astype("str")

    return map_distinct(values, fn)


#: Unknown words kept per column in a clean report (the commonest first).
TOP_UNKNOWN = 20


def unknown_words(values: pd.Series, known: pd.Series) -> dict[str, int]:
    """Count the non-blank ``values`` whose normalized value ``known`` is missing, per word."""
    text = values.astype("str").str.strip()
    unknown = text[known.isna().to_numpy() & text.ne("").to_numpy() & text.notna().to_numpy()]
    return {str(k): int(v) for k, v in unknown.value_counts().items()}


def merge_unknown_words(
    parts: list[dict[str, dict[str, int]]], top: int = TOP_UNKNOWN
) -> dict[str, Any]:
    """Sum per-column word counts of several parts; keep the ``top`` commonest per column.

    Returns ``{column: {"rows": n, "distinct": k, "values": {word: count}}}`` for the columns
    with any unknown word (ties broken by the word, so both engines agree).
    """
    out: dict[str, Any] = {}
    for col in dict.fromkeys(c for part in parts for c in part):
        total: dict[str, int] = {}
        for part in parts:
            for w, n in part.get(col, {}).items():
                total[w] = total.get(w, 0) + n
        if not total:
            continue
        ranked = sorted(total.items(), key=lambda kv: (-kv[1], kv[0]))
        out[col] = {
            "rows": sum(total.values()),
            "distinct": len(total),
            "values": dict(ranked[:top]),
        }
    return out


def check_constants(columns: ColumnMap, values: ValueMap) -> None:
    """Refuse a column-map constant the cleaner could not use on any row (before reading).

    A constant is one word for every row: if no vocabulary (or the value map) knows it, every
    row would be rejected or lose the variable, so it is named now, with the choices.
    """

    def known(col: str, v: pd.Series) -> bool:
        if col == "unit":
            return bool(money.normalize_units(v).notna().all())
        if col == "currency":  # its first word: a layout may add the name ("EUR Euro")
            words = v.iloc[0].split()
            return bool(words) and words[0].upper() in money.iso4217_codes()
        if col == "country":
            return bool(resolve_countries(v).notna().all())
        if col in ("experience", "employment_type"):
            name = "experience" if col == "experience" else "employment_types"
            return bool(normalize_vocabulary(v, name).notna().all())
        if col == "amount":
            return any(bool((parse_numbers(v, d) > 0).all()) for d in (".", ","))
        return True

    hints = {
        "unit": "hour, day, week, month or year",
        "currency": "an ISO 4217 code",
        "country": "an ISO2/ISO3 code or an English name",
        "amount": "a positive number",
        "experience": ", ".join(EXPERIENCE_LEVELS),
        "employment_type": "a word the employment vocabulary knows",
    }
    for col, constant in columns.constants.items():
        mapped = values.words.get(col, {}).get(str(word_key(pd.Series([constant])).iloc[0]))
        v = pd.Series([mapped if mapped is not None else constant], dtype="str")
        if col in hints and not known(col, v):
            raise InputError(
                columns.source or "columns",
                f"{col}: the constant {constant[:60]!r} is not {hints[col]}: "
                f"every row would be rejected or lose its {col}",
            )
