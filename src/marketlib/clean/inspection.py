"""``marketlib inspect``: what a pay file holds, a proposed column map, and its unknown words.

The on-ramp for an analyst's own export: inspect, edit the proposed maps, clean, report.
Columns are proposed by their header (synonyms from ``data/column_synonyms.csv``) and by
sniffing their values (share of dates, currency codes, countries, numbers, known words); each
mapped word column then lists the distinct values no vocabulary knows, with counts.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

import pandas as pd

from marketlib import money
from marketlib.clean.formats import Format, input_format
from marketlib.clean.maps import (
    VALUE_COLUMNS,
    ColumnMap,
    load_column_map,
    merge_unknown_words,
    unknown_words,
    value_choices,
)
from marketlib.clean.skills import SEPARATORS, normalize_skills
from marketlib.clean.vocab import experience_levels, normalize_vocabulary
from marketlib.frames import parse_numbers
from marketlib.paths import PACKAGE_DATA
from marketlib.periods import parse_dates
from marketlib.regions import resolve_countries
from marketlib.sources import MALFORMED, SHEET_ROW, read_table

#: Values looked at per column when sniffing (the first non-blank ones).
SNIFF_ROWS = 2000
#: A column is proposed when its score (header match + share of values that fit) reaches this.
MIN_SCORE = 0.6
SAME_NAME, GIVEN = 3.0, 9.0  # scores of a header named as the column / from a given map


@cache
def _synonyms() -> dict[str, list[re.Pattern[str]]]:
    t = pd.read_csv(PACKAGE_DATA / "column_synonyms.csv", comment="#", dtype=str)
    out: dict[str, list[re.Pattern[str]]] = {}
    for col, pattern in zip(t["column"], t["pattern"], strict=True):
        out.setdefault(col, []).append(re.compile(pattern, re.IGNORECASE))
    return out


def header_score(column: str, header: str) -> float:
    """Return 1 for a header named as ``column`` or a synonym, 0.5 for a partial match."""
    h = re.sub(r"[\s_\-]+", " ", header.strip().lower())
    if h == column.replace("_", " "):
        return 1.0
    pats = _synonyms().get(column, [])
    if any(p.fullmatch(h) for p in pats):
        return 1.0
    return 0.5 if any(p.search(h) for p in pats) else 0.0


def value_share(column: str, values: pd.Series) -> float:
    """Return the share of non-blank ``values`` that look like ``column``'s values."""
    v = values.astype("str").str.strip()
    v = v[v.ne("")].head(SNIFF_ROWS)
    if v.empty:
        return 0.0
    if column == "date":
        ok = parse_dates(v)["date"].notna()
        # a plain number column (amounts) parses as years only when small: demand a date shape
        ok &= v.str.contains(r"[-/.\s]|^(?:19|20)\d{2}$", regex=True)
    elif column == "amount":
        num = parse_numbers(v)
        ok = num.notna() & (num > 100)  # pay figures, not codes, counts or ratios
    elif column == "currency":
        ok = v.str.upper().isin(money.iso4217_codes())
    elif column == "country":
        ok = resolve_countries(v).notna() & ~v.str.upper().isin(money.iso4217_codes())
    elif column == "unit":
        ok = money.normalize_units(v).notna()
    elif column == "experience":
        ok = experience_levels(v).notna()  # words, or years of experience (binned)
    elif column == "skills":
        known = normalize_skills(v)[0].notna() & v.str.contains(SEPARATORS.pattern, regex=True)
        listed = v.str.contains(SEPARATORS.pattern, regex=True)
        return float(0.5 * listed.mean() + 0.5 * (known.mean() if len(known) else 0))
    elif column == "employment_type":
        ok = normalize_vocabulary(v, "employment_types").notna()
    elif column == "role":
        ok = v.str.contains(r"[A-Za-z]{3,}", regex=True) & ~v.str.fullmatch(r"[A-Z]{2,3}")
        return float(ok.mean()) * 0.5  # free text: a hint only, the header decides
    else:
        return 0.0
    return float(ok.mean())


def propose_columns(frame: pd.DataFrame, fmt: Format) -> dict[str, tuple[str, float]]:
    """Propose, for each column of ``fmt``, the file's header (and the score) that fits best.

    Headers already named as the format's columns are taken as they are; the rest are scored
    by :func:`header_score` + :func:`value_share` and assigned best-first, each header once.
    """
    headers = list(frame.columns)
    proposal: dict[str, tuple[str, float]] = {}
    for col in fmt.columns:
        if col in headers:
            proposal[col] = (col, SAME_NAME)
    scores = []
    for col in fmt.columns:
        if col in proposal:
            continue
        for h in headers:
            if h in proposal.values() or h in fmt.columns:
                continue
            s = header_score(col, h) + value_share(col, frame[h])
            if s >= MIN_SCORE:
                scores.append((s, col, h))
    used = {h for h, _ in proposal.values()}
    for s, col, h in sorted(scores, key=lambda t: -t[0]):
        if col in proposal or h in used:
            continue
        proposal[col] = (h, s)
        used.add(h)
    return {c: proposal[c] for c in fmt.columns if c in proposal}


#: Headers that name when a person joined, not when the pay was stated.
HIRE_WORDS = re.compile(
    r"\b(hire|hired|hiring|start|started|join|joined|joining|onboard\w*|"
    r"employ\w* since|seniority date|tenure)\b",
    re.IGNORECASE,
)
#: A pay-date column spread over more distinct years than this looks like hire dates.
HIRE_SPREAD_YEARS = 4


def date_warning(header: str, values: pd.Series) -> str | None:
    """Return why a proposed date column may be a hire/start date, not the pay date, or None.

    Its header names a hire or start (``Hire Date``, ``start_date``), or its values spread
    over more than :data:`HIRE_SPREAD_YEARS` distinct years (a pay export is stated at one
    date or a few periods; joining dates spread over a career).
    """
    v = values.astype("str").str.strip()
    d = parse_dates(v[v.ne("")].head(SNIFF_ROWS))["date"].dropna()
    years = d.dt.year
    spread = (
        f"{years.nunique()} distinct years ({years.min()}-{years.max()})"
        if years.nunique() > HIRE_SPREAD_YEARS
        else ""
    )
    named = HIRE_WORDS.search(header)
    if not named and not spread:
        return None
    why = " and ".join(
        x
        for x in (
            f"its header says {named.group(0)!r}" if named else "",
            f"its values span {spread}" if spread else "",
        )
        if x
    )
    return (
        f"date column {header!r} looks like a hire or start date, not the pay date "
        f"({why}): every row would be converted at that date's exchange rate. Map the "
        "pay period's date, or give one with `date: {value: YYYY-MM-DD}`"
    )


#: A pay unit the amount's header implies ("hourly_rate_usd" -> hour, "Base Salary" -> year).
_UNIT_WORDS = (
    ("hour", r"hour|hourly|per h\b|/h\b|\bhr\b"),
    ("day", r"\bday|daily"),
    ("week", r"week"),
    ("month", r"month"),
    ("year", r"salary|annual|yearly|year|per annum|\bp\.?a\b|compensation"),
)


def implied_constants(amount_header: str | None) -> dict[str, tuple[str, str]]:
    """Return the unit and currency an amount's header states, with why.

    ``hourly_rate_usd`` states hour and USD; ``Base Salary (EUR)`` year and EUR. Proposed as
    constants (``unit: {value: hour}``) only where no column holds them; the analyst edits the
    map if the header misleads.
    """
    if not amount_header:
        return {}

    h = amount_header.lower()
    out = {}
    for unit, pattern in _UNIT_WORDS:
        if re.search(pattern, h):
            out["unit"] = (unit, f"implied by the amount's header {amount_header!r}")
            break
    words = {w.upper() for w in re.split(r"[^a-z]+", h) if len(w) == 3}
    codes = sorted(words & money.iso4217_codes())
    if len(codes) == 1:
        out["currency"] = (codes[0], f"implied by the amount's header {amount_header!r}")
    return out


@dataclass
class Inspection:
    """What ``marketlib inspect`` found in one file."""

    path: Path
    fmt: Format
    rows: int
    headers: list[str]
    columns: dict[str, tuple[str, float]]
    unknown: dict[str, Any] = field(default_factory=dict)
    constants: dict[str, str] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)
    notes: tuple[str, ...] = ()
    #: constants the amount's header implies for columns no header holds: col -> (value, why)
    implied: dict[str, tuple[str, str]] = field(default_factory=dict)

    @property
    def missing(self) -> list[str]:
        """Return the format's required columns no header (or constant) was found for."""
        return [
            c
            for c in self.fmt.required
            if c not in self.columns and c not in self.constants and c not in self.implied
        ]


def inspect_file(
    path: str | os.PathLike[str],
    fmt_name: str = "generic",
    columns: str | os.PathLike[str] | None = None,
    sheet: str | int | None = None,
    header_row: int | None = None,
) -> Inspection:
    """Read a pay file (CSV or a workbook) and propose its column map and unknown words.

    ``columns``: an existing column map to start from (its entries win over proposals).
    """
    fmt = input_format(fmt_name, "rates")
    table = read_table(path, sheet, header_row)
    frame = table.frame.drop(
        columns=[c for c in (SHEET_ROW, MALFORMED) if c in table.frame.columns]
    ).fillna("")
    proposal = propose_columns(frame, fmt)
    given = load_column_map(columns, fmt) if columns else ColumnMap()
    for col, header in given.headers.items():
        proposal[col] = (header.strip().lower(), GIVEN)
    for col in given.constants:
        proposal.pop(col, None)
    mapped = ColumnMap({c: h for c, (h, _) in proposal.items()}, given.constants, given.source)
    canonical = fmt.canonical(_fill_required(mapped.apply(frame, table.path), fmt)).frame
    warnings = []
    if "date" in proposal and proposal["date"][1] != GIVEN and proposal["date"][0] in frame:
        w = date_warning(proposal["date"][0], frame[proposal["date"][0]])
        if w:
            warnings.append(w)
    implied = {
        c: v
        for c, v in implied_constants(proposal.get("amount", (None, 0))[0]).items()
        if c not in proposal and c not in given.constants
    }
    return Inspection(
        table.path,
        fmt,
        len(frame),
        list(frame.columns),
        proposal,
        _unknown(canonical),
        dict(given.constants),
        warnings,
        table.notes,
        implied,
    )


def _fill_required(frame: pd.DataFrame, fmt: Format) -> pd.DataFrame:
    """Add the format's missing required columns as blanks (so its mapping can run)."""
    missing = {c: "" for c in fmt.required if c not in frame.columns}
    return frame.assign(**missing) if missing else frame


def _unknown(c: pd.DataFrame) -> dict[str, Any]:
    """Return the unknown words of each canonical word column (as a clean report has them)."""
    found: dict[str, dict[str, int]] = {}

    checks = {
        "experience": experience_levels,
        "employment_type": lambda v: normalize_vocabulary(v, "employment_types"),
        "unit": money.normalize_units,
        "currency": lambda v: (
            v.str.strip().str.upper().where(v.str.strip().str.upper().isin(money.iso4217_codes()))
        ),
        "country": resolve_countries,
    }
    for col, known in checks.items():
        if col in c.columns:
            words = unknown_words(c[col], known(c[col].astype("str")))
            if words:
                found[col] = words
    if "skills" in c.columns:
        words = normalize_skills(c["skills"].astype("str"))[1]
        if words:
            found["skills"] = words
    return merge_unknown_words([found], top=50)


def _yaml_key(text: str) -> str:
    import yaml

    return (
        yaml.safe_dump(text, default_style=None, allow_unicode=True)
        .strip()
        .removesuffix("...")
        .strip()
    )


def column_map_yaml(ins: Inspection) -> str:
    """Return the proposed column map as editable YAML (unfound columns commented out)."""
    lines = [
        f"# Column map for {ins.path.name} as format {ins.fmt.name} (marketlib inspect).",
        "# For each column marketlib reads: the file's header. Edit, then:",
        f"#   marketlib clean rates {ins.path.name} --format {ins.fmt.name} "
        "--columns columns.yaml --values values.yaml",
        "# A column the file lacks may be a constant: `unit: {value: year}`.",
        f"# The file's headers: {', '.join(ins.headers)[:400]}",
    ]
    for col in ins.fmt.columns:
        need = "required" if col in ins.fmt.required else "optional"
        if col in ins.constants:
            lines.append(
                f"{col}: {{value: {_yaml_key(ins.constants[col])}}}    # {need}, "
                "a constant from the given map"
            )
        elif col in ins.columns:
            header, score = ins.columns[col]
            how = {SAME_NAME: "same name", GIVEN: "from the given map"}.get(
                score, f"proposed, score {score:.2f} of 2"
            )
            lines.append(f"{col}: {_yaml_key(header)}    # {need}, {how}")
        elif col in ins.implied:
            value, why = ins.implied[col]
            lines.append(
                f"{col}: {{value: {_yaml_key(value)}}}    # {need}, a constant {why}: check it"
            )
        else:
            lines.append(f"# {col}:    # {need}: no header found")
    return "\n".join(lines) + "\n"


def value_map_yaml(ins: Inspection) -> str:
    """Return a value map listing every unknown word (mapped to nothing yet) with choices."""
    lines = [
        f"# Value map for {ins.path.name} (marketlib inspect): words marketlib does not know.",
        "# Give each word the value it stands for; a word left at ~ stays unknown (rows kept, the",
        "# variable missing for them).",
    ]
    any_word = False
    for col in VALUE_COLUMNS:
        info = ins.unknown.get(col)
        if not info:
            continue
        choices = value_choices(col)
        hint = (
            ", ".join(choices)
            if choices
            else "an ISO 4217 code"
            if col == "currency"
            else "a skill word, e.g. kubernetes, pytorch, mlops (data/skills.csv)"
            if col == "skills"
            else "a country name or ISO code"
        )
        lines.append(f"{col}:    # choose: {hint}")
        for word, n in info["values"].items():
            lines.append(f"  {_yaml_key(word)}: ~    # {n} row(s)")
            any_word = True
    if not any_word:
        lines.append("{}    # every word is known")
    return "\n".join(lines) + "\n"


def inspection_text(ins: Inspection) -> str:
    """Return the terminal report of an inspection."""
    out = [
        f"{ins.path}: {ins.rows:,} rows, {len(ins.headers)} columns (format {ins.fmt.name})",
        "headers: " + ", ".join(ins.headers)[:600],
        "proposed column map:",
    ]
    for col in ins.fmt.columns:
        if col in ins.constants:
            out.append(f"  {col}: {{value: {ins.constants[col]}}}")
        elif col in ins.columns:
            out.append(f"  {col}: {ins.columns[col][0]}")
        elif col in ins.implied:
            out.append(f"  {col}: {{value: {ins.implied[col][0]}}}  ({ins.implied[col][1]})")
        elif col in ins.fmt.required:
            out.append(f"  {col}: ?  (required: no header found)")
    for i, note in enumerate(ins.notes):
        out.insert(1 + i, f"note: {note}")
    why = {SAME_NAME: "same name", GIVEN: "from the given map"}
    out.append("why each column was picked:")
    for col, (header, score) in ins.columns.items():
        if col not in ins.constants:
            out.append(
                f"  {col} <- {header}: "
                + why.get(
                    score,
                    f"header {header_score(col, header):.1f} + values "
                    f"{score - header_score(col, header):.2f} (score {score:.2f} of 2)",
                )
            )
    for w in ins.warnings:
        out.append(f"warning: {w}")
    if not ins.unknown:
        out.append("unknown words: none")
    for col, info in ins.unknown.items():
        top = ", ".join(f"{w!r} {n}" for w, n in list(info["values"].items())[:8])
        out.append(f"unknown {col} words ({info['rows']} rows, {info['distinct']} distinct): {top}")
    return "\n".join(out)
