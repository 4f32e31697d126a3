"""Publication formatting: key findings, tables for people, self-contained HTML and a PDF.

Everything here reads a ``results.json`` dict (SPEC, "results.json") and never recomputes an
estimate: the words and tables are generated from the numbers, so they cannot drift from them.
Every function is defensive about missing sections and keys (a report run with ``--only``, an
older report, or the future ``regional`` and ``changes`` sections): a missing value is shown as
words or as an em dash, never as ``NaN`` or ``None``.

Public functions
----------------
- :func:`key_findings` -- 4-8 sentences (percent in prose, with 95% CI and n).
- :func:`arbitrage_table`, :func:`growth_table`, :func:`regional_table`,
  :func:`claims_table`, :func:`provenance_table` -- DataFrames for people: human column
  names, every cell already text, at most 8 columns, sorted the way a reader scans.
- :func:`to_html` -- one table as clean HTML with a small embedded CSS.
- :func:`summary_html` -- a whole self-contained summary page (findings, tables, figures).
- :func:`notebook_to_html` -- an executed notebook as one self-contained HTML file.
- :func:`self_contain`, :func:`remote_fetches` -- make / check "no fetch from the internet".
- :func:`find_chromium`, :func:`write_pdf` -- the PDF through the system's headless Chromium.

Why pandas Styler for tables
----------------------------
``pandas.io.formats.style.Styler`` (with ``hide(axis="index")``) is already a dependency
(pandas + jinja2), renders the same way in JupyterLab, in nbconvert's HTML and in Chromium's
PDF, and is deterministic (fixed ``uuid``, no cell ids), so nbval baselines stay stable.
great_tables was considered: it makes prettier tables, but adds a dependency tree
(htmltools, babel, ...) for what is, here, a plain table whose cells are all pre-formatted
text; its fixed-width layout also fights the "fit 1280 px" requirement. Since the formatting
(CIs as text, "not estimated" wording) is done in the DataFrame itself, the HTML layer only
needs to be small and predictable, which is exactly what Styler gives.
"""

from __future__ import annotations

import base64
import html as html_lib
import math
import mimetypes
import os
import re
import shutil
import subprocess
import tempfile
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from marketlib.frames import finite_or_none as _num
from marketlib.results_view import comparable_ratio

DASH = "—"
LEVEL_TEXT = "95% CI"

#: Publication flags of the arbitrage table (RSE rule, METHODS.md): words for readers.
RELIABILITY = {"A": "reliable", "E": "use with caution", "F": "unreliable"}

#: Claims verdicts in the order a reader scans them (problems first), with their words.
VERDICTS = {
    "contradicted_by_data": "contradicted by data",
    "not_supported_by_proxy": "not supported by the activity proxy",
    "inconsistent": "inconsistent",
    "supported_by_data": "supported by data",
    "consistent": "consistent",
    "consistent_with_proxy": "consistent with the activity proxy",
    "untestable": "untestable",
}

_ADJECTIVE = {
    "North America": "North American",
    "Latin America": "Latin American",
    "Western Europe": "Western European",
    "Eastern Europe": "Eastern European",
    "Europe": "European",
    "Oceania": "Oceanian",
}

#: Human names of the activity measures of the ``regional`` section.
MEASURES = {
    "topic_pushers": "developers pushing to {subject}-tagged repositories",
    "developers": "developers",
    "git_pushes": "git pushes",
    "repositories": "repositories",
    "organizations": "organizations",
}

# --- numbers as text ---------------------------------------------------------------------------




def _pct_digits(v: float) -> int:
    return 1 if 0 < abs(v) < 0.095 else 0


def pct(x: Any, signed: bool = False, digits: int | None = None) -> str:
    """Format a fraction as a percent for prose: ``0.4 -> "40%"``, ``-0.012 -> "-1.2%"``.

    Parameters
    ----------
    x : float or None
        A fraction (0.4 means 40%).
    signed : bool
        Prefix a ``+`` on positive values (growth).
    digits : int, optional
        Decimals; by default 0, or 1 for small values (|x| < 9.5%) so they do not read as 0%.

    Returns
    -------
    str
        The percent, or an em dash when ``x`` is missing.
    """
    v = _num(x)
    if v is None:
        return DASH
    p = v * 100
    d = _pct_digits(v) if digits is None else digits
    if round(p, d) == 0:
        p = 0.0
    return f"{p:{'+' if signed and p != 0 else ''},.{d}f}%"


def pct_range(lo: Any, hi: Any, signed: bool = False) -> str:
    """Format an interval of fractions as percents: ``"37-43%"`` or ``"-99% to +430%"``.

    Parameters
    ----------
    lo, hi : float or None
        Bounds as fractions.
    signed : bool
        Show signs (growth intervals); a range with a negative bound always uses "to".

    Returns
    -------
    str
        The interval, or an em dash when a bound is missing.
    """
    a, b = _num(lo), _num(hi)
    if a is None or b is None:
        return DASH
    d = max(_pct_digits(a), _pct_digits(b))
    if signed or a < 0 or b < 0:
        return f"{pct(a, signed=True, digits=d)} to {pct(b, signed=True, digits=d)}"
    return f"{pct(a, digits=d)[:-1]}-{pct(b, digits=d)}"


def ratio_ci(est: Any, lo: Any, hi: Any, digits: int = 2) -> str:
    """Format a ratio with its interval for tables: ``"0.40 (0.37-0.43)"``.

    Parameters
    ----------
    est, lo, hi : float or None
        The estimate and its bounds.
    digits : int
        Decimals.

    Returns
    -------
    str
        ``"est (lo-hi)"``, ``"est"`` when the bounds are missing, an em dash when ``est`` is.
    """
    e, a, b = _num(est), _num(lo), _num(hi)
    if e is None:
        return DASH
    if a is None or b is None:
        return f"{e:.{digits}f}"
    return f"{e:.{digits}f} ({a:.{digits}f}-{b:.{digits}f})"


def pct_ci(est: Any, lo: Any, hi: Any, signed: bool = True) -> str:
    """Format a fraction with its interval as percents for tables: ``"+52% (+10% to +90%)"``.

    Parameters
    ----------
    est, lo, hi : float or None
        The estimate and its bounds, as fractions.
    signed : bool
        Show signs (growth).

    Returns
    -------
    str
        The text, or an em dash when the estimate is missing.
    """
    if _num(est) is None:
        return DASH
    if _num(lo) is None or _num(hi) is None:
        return pct(est, signed=signed)
    return f"{pct(est, signed=signed)} ({pct_range(lo, hi, signed=signed)})"


def money(x: Any, digits: int = 0) -> str:
    """Format a USD amount: ``"$71"``, ``"$858,196"``; an em dash when missing."""
    v = _num(x)
    return DASH if v is None else f"${v:,.{digits}f}"


def count(x: Any) -> str:
    """Format a count with thousands separators; an em dash when missing."""
    v = _num(x)
    return DASH if v is None else f"{v:,.0f}"


def not_estimated(n: Any, floor: Any) -> str:
    """Return the words for a group below the sample-size floor: ``"not estimated (n = 23 < 30)"``.

    Parameters
    ----------
    n : int or None
        The group's sample size.
    floor : int or None
        The minimum size for an estimate.

    Returns
    -------
    str
        The words (without the numbers that are unknown).
    """
    nn, ff = _num(n), _num(floor)
    if nn is None:
        return "not estimated"
    if ff is None:
        return f"not estimated (n = {nn:,.0f})"
    return f"not estimated (n = {nn:,.0f} < {ff:,.0f})"


def _text(x: Any) -> str:
    """Return any value as display text; missing values become an em dash."""
    if x is None:
        return DASH
    if isinstance(x, float) and not math.isfinite(x):
        return DASH
    if isinstance(x, bool):
        return "yes" if x else "no"
    if isinstance(x, float):
        return f"{x:g}"
    if isinstance(x, Mapping):
        return "; ".join(f"{k}: {_text(v)}" for k, v in x.items()) or DASH
    if isinstance(x, list | tuple | set):
        return ", ".join(_text(v) for v in x) or DASH
    s = scrub_paths(str(x)).strip()
    return s if s and s.lower() not in ("nan", "none", "null", "<na>", "nat") else DASH


# --- paths -------------------------------------------------------------------------------------

_PROJECT_DIRS = ("data", "reports", "notebooks", "params", "docs", "figures", "html", "clean",
                 "results")
_ABS_PATH = re.compile(r"(?<![\w.:/~])(?:~|/)(?:[^\s/'\"<>`(),;]+/)+[^\s/'\"<>`(),;]*")


def display_path(path: str | os.PathLike[str]) -> str:
    """Return a path as a reader may see it: project-relative, else the file name.

    Relative paths are kept. An absolute path is cut at its last project folder
    (``data``, ``reports``, ``notebooks``, ``params``, ...) and otherwise reduced to its file
    name, so the folders of the machine that ran the report never appear.

    Parameters
    ----------
    path : str or PathLike
        Any path.

    Returns
    -------
    str
        The path to display.
    """
    s = os.fspath(path)
    if not (s.startswith("/") or s.startswith("~") or re.match(r"^[A-Za-z]:[\\/]", s)):
        return s
    parts = [p for p in re.split(r"[\\/]+", s) if p]
    for i in range(len(parts) - 2, -1, -1):
        if parts[i] in _PROJECT_DIRS and i < len(parts) - 1:
            if parts[i] == "data" or i == 0 or parts[i - 1] not in _PROJECT_DIRS:
                return "/".join(parts[i:])
    return parts[-1] if parts else s


def scrub_paths(text: str) -> str:
    """Replace every absolute path inside ``text`` by :func:`display_path` of it."""
    return _ABS_PATH.sub(lambda m: display_path(m.group(0)), text)


# --- reading results.json defensively ----------------------------------------------------------


def _section(results: Mapping[str, Any] | None, name: str) -> Any:
    if not isinstance(results, Mapping):
        return None
    return results.get(name)


def _rows(value: Any) -> list[dict[str, Any]]:
    """Return the dict rows of a list section (anything else: no rows)."""
    if not isinstance(value, list):
        return []
    return [r for r in value if isinstance(r, Mapping)]


def _group_label(group: Any) -> str:
    if isinstance(group, Mapping):
        vals = [_text(v) for v in group.values() if v is not None]
        return " | ".join(vals) if vals else "All"
    return _text(group) if group is not None else "All"


def _base_adjective(base: str) -> str:
    return f"{_ADJECTIVE[base]} pay" if base in _ADJECTIVE else f"pay in {base}"


def _arbitrage_parts(results: Mapping[str, Any] | None) -> tuple[
        dict[str, Any], list[dict[str, Any]], dict[str, dict[str, Any]], str, Any]:
    arb = _section(results, "arbitrage")
    arb = arb if isinstance(arb, Mapping) else {}
    raw = _rows(arb.get("regions"))
    adjusted = {str(r.get("region")): dict(r) for r in _rows(arb.get("adjusted"))}
    base = str(arb.get("base") or "the base region")
    return dict(arb), raw, adjusted, base, arb.get("min_n")


def _reported(r: Mapping[str, Any]) -> bool:
    rep = r.get("reported")
    if rep is None:
        return _num(r.get("ratio_to_base")) is not None
    return bool(rep)


def _plural(n: int, one: str, many: str) -> str:
    return f"{n:,} {one if n == 1 else many}"


def _ci_n(r: Mapping[str, Any], lo: str, hi: str) -> str:
    return f"{LEVEL_TEXT} {pct_range(r.get(lo), r.get(hi))}; n = {count(r.get('n'))}"


def _controls_text(controls: Any) -> str:
    if not isinstance(controls, list) or not controls:
        return ""
    words = [str(c).replace("role_family", "role").replace("_", " ") for c in controls]
    return ", ".join(words[:-1]) + (" and " if len(words) > 1 else "") + words[-1]


def _measure_label(measure: Any, subject: Any) -> str:
    tmpl = MEASURES.get(str(measure), str(measure).replace("_", " ") if measure else "activity")
    return tmpl.format(subject=subject or "topic")


# --- key findings ------------------------------------------------------------------------------


def key_findings(results: Mapping[str, Any] | None, max_sentences: int = 8) -> list[str]:
    """Return the report's key findings as 4-8 sentences generated from ``results.json``.

    The sentences cover, when their sections exist: comparable-specialist (adjusted) pay
    ratios of the article's regions (else the largest samples), the range of raw ratios,
    the groups not estimated, regional developer-activity growth (a proxy, labelled as such),
    the CNCF world growth figure, the claims verdict counts, and changes since the previous
    report. Percent in prose; every estimate carries its 95% CI and n.

    Parameters
    ----------
    results : dict
        A ``results.json`` document (any section may be missing).
    max_sentences : int
        Upper bound on the number of sentences (default 8).

    Returns
    -------
    list of str
        The sentences, most important first.
    """
    others: list[str] = []
    arb, raw, adjusted, base, floor = _arbitrage_parts(results)
    raw_by_region = {str(r.get("region")): r for r in raw}

    # raw range
    raw_est = [r for r in raw if _reported(r) and str(r.get("region")) != base
               and _num(r.get("ratio_to_base")) is not None]
    if len(raw_est) >= 2:
        lo = min(raw_est, key=lambda r: r["ratio_to_base"])
        hi = max(raw_est, key=lambda r: r["ratio_to_base"])
        hours = _num(arb.get("hours_per_year"))
        h = f", {hours:,.0f} h a year" if hours else ""
        others.append(
            f"Raw medians (salary-equivalent pay{h}, not adjusted for role or experience) "
            f"range from {pct(lo['ratio_to_base'])} of {_base_adjective(base)} in "
            f"{lo['region']} ({_ci_n(lo, 'ratio_ci_low', 'ratio_ci_high')}) to "
            f"{pct(hi['ratio_to_base'])} in {hi['region']} "
            f"({_ci_n(hi, 'ratio_ci_low', 'ratio_ci_high')}).")
    elif len(raw_est) == 1 and not adjusted:
        r = raw_est[0]
        others.append(
            f"{r['region']}: the raw median pay is {pct(r['ratio_to_base'])} of "
            f"{_base_adjective(base)} ({_ci_n(r, 'ratio_ci_low', 'ratio_ci_high')}).")

    # groups under the floor
    small = [r for r in raw if not _reported(r)]
    if small:
        small.sort(key=lambda r: -(_num(r.get("n")) or 0))
        listed = "; ".join(f"{r.get('region', DASH)} {not_estimated(r.get('n'), floor)}"
                           for r in small)
        others.append(f"Too few observations: {listed}.")

    # regional growth (proxy)
    regional = headline_regional(results)
    comps = _comparisons(regional)
    years = [c for c in comps if c[0].isdigit() and c[1].isdigit()]
    if regional and years:
        first = regional[0]
        measure = _measure_label(first.get("measure"), first.get("subject"))
        latest = years[-1]
        same = [r for r in regional if (str(r.get("from")), str(r.get("to"))) == latest
                and _num(r.get("growth")) is not None]
        same.sort(key=lambda r: -(_num(r.get("growth")) or 0))
        parts = [f"{r.get('region', DASH)} {pct(r['growth'], signed=True)} ({LEVEL_TEXT} "
                 f"{pct_range(r.get('ci_low'), r.get('ci_high'), signed=True)}; "
                 f"{_plural(len(r.get('economies') or []), 'economy', 'economies')})"
                 for r in same[:5]]
        if parts:
            others.append(
                f"Regional activity, a proxy and not certifications: {measure} (GitHub "
                f"Innovation Graph), {latest[0]} to {latest[1]}: " + "; ".join(parts) + ".")
        early = [r for r in regional if (str(r.get("from")), str(r.get("to"))) == years[0]
                 and _num(r.get("growth")) is not None]
        if len(years) > 1 and early:
            lo = min(early, key=lambda r: r["growth"])
            hi = max(early, key=lambda r: r["growth"])
            others.append(
                f"In {years[0][0]} to {years[0][1]}, the years of the article's regional table "
                f"(+38% to +67% certifications, no source), this activity grew "
                f"{pct(lo['growth'], signed=True)} ({lo.get('region')}) to "
                f"{pct(hi['growth'], signed=True)} ({hi.get('region')}).")

    # CNCF world figure
    growth = _section(results, "growth")
    growth = growth if isinstance(growth, Mapping) else {}
    for r in _rows(growth.get("period_growth"))[:1]:
        if _num(r.get("growth")) is None:
            continue
        where = _group_label(r.get("group"))
        where = "worldwide" if where in ("World", "All") else f"in {where}"
        counts = ""
        if _num(r.get("count_from")) is not None and _num(r.get("count_to")) is not None:
            counts = f"; {count(r['count_from'])} to {count(r['count_to'])}"
        what = str(growth.get("summed") or "exam registrations")
        ci = (f"{LEVEL_TEXT} {pct_range(r.get('ci_low'), r.get('ci_high'), signed=True)}"
              if _num(r.get("ci_low")) is not None else "exact change of published totals, "
              "no interval")
        others.append(
            f"CNCF {what} {where} changed {pct(r['growth'], signed=True)} from "
            f"{r.get('from', DASH)} to {r.get('to', DASH)} ({ci}{counts}): published world "
            "totals, so no regional certification growth can be measured.")

    # claims
    claims = _rows(_section(results, "claims"))
    if claims:
        c = Counter(str(x.get("verdict")) for x in claims)
        order = [v for v in VERDICTS if c.get(v)] + sorted(v for v in c if v not in VERDICTS)
        words = [f"{c[v]} {VERDICTS.get(v, v.replace('_', ' '))}" for v in order]
        listed = ", ".join(words[:-1]) + (" and " if len(words) > 1 else "") + words[-1]
        others.append(f"Of {len(claims)} published claims audited: {listed}.")

    # changes since the previous report
    changes = _section(results, "changes")
    if isinstance(changes, Mapping):
        est = _rows(changes.get("estimates"))
        if est:
            n_changed = sum(1 for e in est if e.get("verdict") == "changed")
            prev = changes.get("previous")
            prev_as_of = prev.get("as_of") if isinstance(prev, Mapping) else None
            since = f" (as of {prev_as_of})" if prev_as_of else ""
            others.append(
                f"Since the previous report{since}, {n_changed} of {len(est)} estimates "
                f"changed beyond their uncertainty; "
                f"{len(est) - n_changed} moved within it.")

    # adjusted (comparable specialist) sentences fill the remaining budget first in order
    budget = max(1, max_sentences - len(others))
    claimed = [str(r.get("region")) for r in _rows(arb.get("claimed_vs_data"))]
    ranked = [g for g in claimed if g in adjusted and g != base]
    ranked += sorted((g for g in adjusted if g not in ranked and g != base),
                     key=lambda g: -(_num(adjusted[g].get("n")) or 0))
    lead: list[str] = []
    for g in ranked[:min(3, budget)]:
        a = adjusted[g]
        value, lo, hi, k = comparable_ratio(a)
        if _num(value) is None:
            continue
        raw_g = raw_by_region.get(g, {})
        n = a.get("n", raw_g.get("n"))
        nc = raw_g.get("n_countries")
        n_text = f"n = {count(n)}" + (f", {count(nc)} countries" if _num(nc) else "")
        how = f"countries weighed alike ({count(k)} averaged)" if k else "pooled"
        lead.append(
            f"{g}: a comparable specialist earns {pct(value)} of "
            f"{_base_adjective(base)} ({how}; {LEVEL_TEXT} {pct_range(lo, hi)}; {n_text}).")
    out = lead + others
    return out[:max_sentences]


# --- tables ------------------------------------------------------------------------------------


def _frame(rows: list[dict[str, str]], columns: Sequence[str]) -> pd.DataFrame:
    df = pd.DataFrame(rows, columns=list(columns), dtype=object)
    return df.fillna(DASH).reset_index(drop=True)


def arbitrage_table(results: Mapping[str, Any] | None) -> pd.DataFrame:
    """Return the pay-ratio table: one row per region, base first, then by adjusted ratio.

    Columns: Region, Employees (n), Countries, Median pay (USD/h, 95% CI), raw ratio to the base,
    comparable-specialist (adjusted) ratio, reliability. Groups under the floor say
    "not estimated (n = 23 < 30)".

    Parameters
    ----------
    results : dict
        A ``results.json`` document.

    Returns
    -------
    pandas.DataFrame
        Text cells, no meaningful index; empty (with the columns) without an arbitrage section.
    """
    arb, raw, adjusted, base, floor = _arbitrage_parts(results)
    controls = next((a.get("controls") for a in adjusted.values() if a.get("controls")), None)
    same = _controls_text(controls)
    adj_col = "Comparable specialist" + (f" (same {same})" if same else "")
    cols = ["Region", "Employees (n)", "Countries (largest)", "Median pay, USD/h (95% CI)",
            f"Raw ratio to {base} (95% CI)", f"{adj_col} (95% CI)",
            "Equal-country ratio (95% CI)", "Reliability"]
    rows = []
    seen = set()
    for r in raw:
        g = str(r.get("region", DASH))
        seen.add(g)
        a = adjusted.get(g, {})
        if _reported(r):
            value, lo, hi, k = comparable_ratio(a)
            adj = ("1.00 (base)" if g == base else ratio_ci(value, lo, hi)
                   + (f", {count(k)} countries" if k else ""))
            rel = RELIABILITY.get(str(r.get("flag")), _text(r.get("flag")))
            eq = ("1.00 (base)" if g == base else
                  ratio_ci(r.get("ratio_equal_country"), r.get("ratio_equal_country_ci_low"),
                           r.get("ratio_equal_country_ci_high"))
                  + (f", {count(r.get('n_countries_averaged'))} countries"
                     if _num(r.get("ratio_equal_country")) is not None else ""))
            rows.append({
                "Region": g, "Employees (n)": count(r.get("n")),
                "Countries (largest)": _countries_text(r), cols[6]: eq,
                "Median pay, USD/h (95% CI)": ratio_ci(
                    r.get("median_hourly_usd"), r.get("ci_low"), r.get("ci_high"), digits=0),
                cols[4]: "1.00 (base)" if g == base else ratio_ci(
                    r.get("ratio_to_base"), r.get("ratio_ci_low"), r.get("ratio_ci_high")),
                cols[5]: adj, "Reliability": rel,
                "_key": (0 if g == base else 1, -(_num(a.get("ratio_to_base"))
                                                  or _num(r.get("ratio_to_base")) or 0))})
        else:
            ne = not_estimated(r.get("n"), floor)
            rows.append({"Region": g, "Employees (n)": count(r.get("n")),
                         "Countries (largest)": _countries_text(r),
                         "Median pay, USD/h (95% CI)": ne, cols[4]: ne, cols[5]: ne,
                         cols[6]: ne,
                         "Reliability": "too few observations",
                         "_key": (2, -(_num(r.get("n")) or 0))})
    for g, a in adjusted.items():  # adjusted-only groups (no raw row)
        if g not in seen:
            rows.append({"Region": g, "Employees (n)": count(a.get("n")),
                         cols[5]: ratio_ci(*comparable_ratio(a)[:3]),
                         "_key": (1, -(_num(a.get("ratio_to_base")) or 0))})
    rows.sort(key=lambda r: r["_key"])
    return _frame(rows, cols)


def _countries_text(r: Mapping[str, Any]) -> str:
    top, share = r.get("top_country"), _num(r.get("top_country_share"))
    return count(r.get("n_countries")) + (f" ({top} {pct(share)})" if top and share is not None
                                           else "")


def countries_table(results: Mapping[str, Any] | None, top: int | None = None
                    ) -> pd.DataFrame:
    """Return the "where to hire" table: each country with enough rows, cheapest first.

    Columns: Country, Group, n, Median pay (USD/h), Ratio to the base (95% CI), Shrunk ratio
    (empirical Bayes, borrowing from the group). Countries below the country floor are left
    out here (their n is in results.json).
    """
    arb = _section(results, "arbitrage") or {}
    base = str(arb.get("base") or "the base")
    rows = [r for r in _rows(arb.get("countries")) if r.get("reported")
            and r.get("group") != base]
    rows.sort(key=lambda r: _num(r.get("ratio_to_base")) or 0)
    cols = ["Country", "Group", "n", "Median pay, USD/h", f"Ratio to {base} (95% CI)",
            "Shrunk ratio"]
    out = [{"Country": _text(r.get("country_iso3")), "Group": _text(r.get("group")),
            "n": count(r.get("n")), "Median pay, USD/h": money(r.get("median_hourly_usd")),
            cols[4]: ratio_ci(r.get("ratio_to_base"), r.get("ci_low"), r.get("ci_high")),
            "Shrunk ratio": ratio_ci(r.get("ratio_shrunk"), None, None)}
           for r in (rows[:top] if top else rows)]
    return _frame(out, cols)


def growth_table(results: Mapping[str, Any] | None) -> pd.DataFrame:
    """Return the certification growth table: period changes, annual trends and forecasts.

    Parameters
    ----------
    results : dict
        A ``results.json`` document.

    Returns
    -------
    pandas.DataFrame
        Columns: Group, Estimate, Period, Value (95% interval), Counts / basis.
    """
    growth = _section(results, "growth")
    growth = growth if isinstance(growth, Mapping) else {}
    cols = ["Group", "Estimate", "Period", "Value (95% interval)", "Counts / basis"]
    rows: list[dict[str, Any]] = []
    for r in _rows(growth.get("period_growth")):
        basis = (f"{count(r.get('count_from'))} to {count(r.get('count_to'))}"
                 if _num(r.get("count_from")) is not None else DASH)
        status = r.get("status")
        value = (pct_ci(r.get("growth"), r.get("ci_low"), r.get("ci_high"))
                 if _num(r.get("growth")) is not None
                 else f"not estimated ({_text(status)})" if status else "not estimated")
        rows.append({"Group": _group_label(r.get("group")), "Estimate": "Change",
                     "Period": f"{r.get('from', DASH)} to {r.get('to', DASH)}",
                     "Value (95% interval)": value, "Counts / basis": basis, "_o": 0})
    periods = growth.get("periods") if isinstance(growth.get("periods"), list) else []
    span = f"{periods[0]}-{periods[-1]}" if periods else DASH
    for r in _rows(growth.get("trend")):
        value = (pct_ci(r.get("annual_growth"), r.get("ci_low"), r.get("ci_high"))
                 if _num(r.get("annual_growth")) is not None else "not estimated")
        n_p = r.get("n_periods")
        model = {"wls_log": "log-linear trend", "negbin": "negative binomial trend"}.get(
            str(r.get("model")), _text(r.get("model")))
        basis = model + (f", {count(n_p)} periods" if _num(n_p) else "")
        rows.append({"Group": _group_label(r.get("group")), "Estimate": "Annual trend",
                     "Period": span, "Value (95% interval)": value, "Counts / basis": basis,
                     "_o": 1})
    for r in _rows(growth.get("forecast")):
        if _num(r.get("mean")) is None:
            value = "not estimated"
        elif _num(r.get("pi_low")) is not None and _num(r.get("pi_high")) is not None:
            value = f"{count(r['mean'])} ({count(r['pi_low'])} to {count(r['pi_high'])})"
        else:
            value = count(r.get("mean"))
        pi80 = (f"80% interval {count(r.get('pi80_low'))} to {count(r.get('pi80_high'))}"
                if _num(r.get("pi80_low")) is not None else "prediction interval")
        rows.append({"Group": _group_label(r.get("group")), "Estimate": "Forecast (count)",
                     "Period": _text(r.get("period")), "Value (95% interval)": value,
                     "Counts / basis": pi80, "_o": 2})
    rows.sort(key=lambda r: (r["Group"], r["_o"], r["Period"]))
    return _frame(rows, cols)


def headline_regional(results: Mapping[str, Any] | None) -> list[dict[str, Any]]:
    """Return the ``regional`` rows of the headline measure and subject (the first row's)."""
    rows = _rows(_section(results, "regional"))
    if not rows:
        return []
    first = rows[0]
    return [r for r in rows if r.get("measure") == first.get("measure")
            and r.get("subject") == first.get("subject")]


def _comparisons(rows: list[dict[str, Any]]) -> list[tuple[str, str]]:
    return list(dict.fromkeys((str(r.get("from")), str(r.get("to"))) for r in rows))


def regional_table(results: Mapping[str, Any] | None) -> pd.DataFrame:
    """Return the regional activity-growth table of the headline topic (a proxy).

    One row per region, one column per comparison (calendar years, then the latest four
    quarters), the latest calendar year's growth relative to the region's developer stock, and
    the economies summed. Sorted by the latest calendar year's growth.

    Parameters
    ----------
    results : dict
        A ``results.json`` document; without a ``regional`` section the table is empty.

    Returns
    -------
    pandas.DataFrame
        At most 7 columns, every cell text.
    """
    rows = headline_regional(results)
    if not rows:
        return _frame([], ["Region", "Growth (95% CI)"])
    comps = _comparisons(rows)[:4]
    years = [c for c in comps if c[0].isdigit() and c[1].isdigit()]
    latest_year = years[-1] if years else comps[-1]
    label = {c: f"{c[0]} to {c[1]}" for c in comps}
    cols = ["Region", *[label[c] for c in comps],
            f"Relative to all developers, {label[latest_year]}", "Economies"]
    by_region: dict[str, dict[str, Any]] = {}
    for r in rows:
        reg = _text(r.get("region"))
        item = by_region.setdefault(reg, {"Region": reg, "_sort": 0.0})
        c = (str(r.get("from")), str(r.get("to")))
        if c not in label:
            continue
        item[label[c]] = (pct_ci(r.get("growth"), r.get("ci_low"), r.get("ci_high"))
                          if _num(r.get("growth")) is not None else "not estimated")
        if c == latest_year:
            item[cols[-2]] = pct_ci(r.get("share_growth"), r.get("share_ci_low"),
                                    r.get("share_ci_high"))
            econ = r.get("economies") or []
            item["Economies"] = (", ".join(econ) if len(econ) <= 4
                                 else f"{len(econ)} ({', '.join(econ[:3])}, ...)")
            item["_sort"] = -(_num(r.get("growth")) or 0.0)
    out = sorted(by_region.values(), key=lambda r: r["_sort"])
    return _frame([{k: v for k, v in r.items() if k != "_sort"} for r in out], cols)


def regional_caption(results: Mapping[str, Any] | None) -> str:
    """Return the caption of the regional table: what is counted, and that it is a proxy."""
    rows = headline_regional(results)
    if not rows:
        return "No regional activity data in this report."
    r = rows[0]
    return (f"{_measure_label(r.get('measure'), r.get('subject')).capitalize()} (GitHub "
            "Innovation Graph), summed over the economies published in every quarter of each "
            "comparison: a proxy for activity, not certifications. Growth with 95% CI.")


def claims_table(results: Mapping[str, Any] | None) -> pd.DataFrame:
    """Return the claims audit as a table: problems first, then supported, then untestable.

    Parameters
    ----------
    results : dict
        A ``results.json`` document.

    Returns
    -------
    pandas.DataFrame
        Columns: Claim, Verdict, Check, Why.
    """
    order = {v: i for i, v in enumerate(VERDICTS)}
    rows = []
    for i, c in enumerate(_rows(_section(results, "claims"))):
        v = str(c.get("verdict"))
        rows.append({"Claim": _text(c.get("text") or c.get("id")),
                     "Verdict": VERDICTS.get(v, v.replace("_", " ")),
                     "Check": _text(c.get("check")).replace("_", " "),
                     "Why": _text(c.get("detail")), "_key": (order.get(v, len(order)), i)})
    rows.sort(key=lambda r: r["_key"])
    return _frame(rows, ["Claim", "Verdict", "Check", "Why"])


def _short_hash(value: Any) -> str:
    s = str(value)
    return s[:12] if re.fullmatch(r"[0-9a-fA-F]{16,}", s) else _text(s)


def _param_text(value: Any) -> str:
    if isinstance(value, Mapping):
        return "(" + ", ".join(f"{k} {_param_text(v)}" for k, v in value.items()) + ")"
    if isinstance(value, list) and value and all(isinstance(v, Mapping) for v in value):
        return ", ".join(_param_text(v) for v in value)
    if isinstance(value, str):
        return display_path(value)
    return _text(value)


def _flatten(prefix: str, value: Any) -> Iterable[tuple[str, str]]:
    if isinstance(value, Mapping):
        for k, v in value.items():
            yield from _flatten(f"{prefix}.{k}" if prefix else str(k), v)
    elif isinstance(value, list) and value and all(isinstance(v, Mapping) for v in value):
        yield prefix, "; ".join(_text(v) for v in value)
    else:
        yield prefix, _text(value)


def provenance_table(results: Mapping[str, Any] | None) -> pd.DataFrame:
    """Return run facts, datasets (short sha256 / commits) and parameters as a compact table.

    No absolute path of the machine that ran the report appears: paths are shown relative to
    the project, or as file names.

    Parameters
    ----------
    results : dict
        A ``results.json`` document.

    Returns
    -------
    pandas.DataFrame
        Columns: Kind, Name, Value.
    """
    run = _section(results, "run")
    run = run if isinstance(run, Mapping) else {}
    rows: list[dict[str, str]] = []
    params = run.get("params") if isinstance(run.get("params"), Mapping) else {}
    as_of = run.get("as_of", params.get("as_of"))
    for key, label in (("as_of", "Data as of"), ("started", "Run started"),
                       ("marketlib_version", "marketlib version"), ("python", "Python")):
        value = as_of if key == "as_of" else run.get(key)
        if value is not None:
            rows.append({"Kind": "Run", "Name": label, "Value": _text(value)})
    inputs = run.get("inputs")
    if isinstance(inputs, Mapping):
        for path, digest in inputs.items():
            if isinstance(digest, Mapping):  # e.g. {"sha256": ..., "commit": ...}
                value = ", ".join(f"{k} {_short_hash(v)}" for k, v in digest.items())
            else:
                value = f"sha256 {_short_hash(digest)}"
            rows.append({"Kind": "Dataset", "Name": display_path(str(path)), "Value": value})
    for section in ("growth", "arbitrage"):
        sec = _section(results, section)
        if isinstance(sec, Mapping) and isinstance(sec.get("inputs"), Mapping):
            for path, digest in sec["inputs"].items():
                rows.append({"Kind": "Clean table", "Name": display_path(str(path)),
                             "Value": f"sha256 {_short_hash(digest)}"})
    for name, value in params.items():
        if name == "as_of" or (name == "inputs" and isinstance(inputs, Mapping) and inputs):
            continue  # the datasets above name the same files
        if isinstance(value, Mapping):
            text = "; ".join(f"{k} {_param_text(v)}" for k, v in value.items()
                             if v is not None and v != []) or DASH
        else:
            text = _param_text(value)
        rows.append({"Kind": "Parameters", "Name": str(name), "Value": text})
    return _frame(rows, ["Kind", "Name", "Value"])


# --- HTML --------------------------------------------------------------------------------------

TABLE_CSS = """
.mlib-table { border-collapse: collapse; width: 100%; max-width: 100%; table-layout: auto;
  font: 14px/1.4 system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial,
  sans-serif; margin: 0.6em 0 1.2em; color: #1d2330; }
.mlib-table caption { caption-side: top; text-align: left; font-weight: 600;
  padding: 0 0 0.4em; }
.mlib-table th, .mlib-table td { padding: 0.35em 0.6em; border-bottom: 1px solid #dde1e8;
  text-align: left !important; vertical-align: top; overflow-wrap: anywhere;
  word-break: normal; }
.mlib-table td.num { text-align: right !important; font-variant-numeric: tabular-nums;
  white-space: nowrap; }
.mlib-table thead th { border-bottom: 2px solid #8a94a6; background: #f4f6f9; }
.mlib-table tbody tr:nth-child(even) td { background: #fafbfc; }
""".strip()

PAGE_CSS = """
html, body { margin: 0; padding: 0; }
body { font: 15px/1.5 system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial,
  sans-serif; color: #1d2330; background: #fff; }
main { box-sizing: border-box; max-width: 1100px; margin: 0 auto; padding: 24px 32px; }
h1 { font-size: 1.7em; margin: 0 0 0.2em; } h2 { font-size: 1.25em; margin: 1.4em 0 0.4em; }
img { max-width: 100%; height: auto; }
figure { margin: 1em 0; } figcaption { font-size: 0.9em; color: #4a5363; }
.mlib-findings li { margin: 0.3em 0; }
.mlib-muted { color: #4a5363; font-size: 0.9em; }
@media print { main { max-width: none; padding: 0; } h2 { break-after: avoid; }
  .mlib-table tr, figure { break-inside: avoid; } }
""".strip()

#: Injected into nbconvert pages: wide outputs scroll inside their cell, never the page.
NOTEBOOK_CSS = """
.jp-OutputArea-output, .jp-RenderedHTMLCommon { max-width: 100%; overflow-x: auto; }
.jp-RenderedHTMLCommon table { display: block; max-width: 100%; overflow-x: auto; }
.jp-RenderedImage img, .jp-OutputArea-output img { max-width: 100%; height: auto; }
""".strip()


#: A cell that reads as a number (right-aligned): "19,659", "0.40 (0.37-0.43)", "+21% (...)".
_NUMERIC_CELL = re.compile(r"^[+\-−]?[\d.,]+%?( ?pts)?( \(.*\))?$")


def to_html(frame: pd.DataFrame, caption: str | None = None, css: bool = True) -> str:
    """Render a formatted table as clean HTML: no index, escaped text, small embedded CSS.

    Parameters
    ----------
    frame : pandas.DataFrame
        A table from this module (or any frame; missing cells are shown as an em dash).
    caption : str, optional
        A caption above the table.
    css : bool
        Include the ``<style>`` block (once per page is enough).

    Returns
    -------
    str
        An HTML fragment that fits a 1280 px page (cells wrap; width 100%).
    """
    df = frame.reset_index(drop=True).astype(object)
    df = df.where(df.notna(), DASH)
    df.columns = [_text(c) for c in df.columns]
    df = df.map(_text)
    styler = df.style.hide(axis="index").format(escape="html")
    styler = styler.format_index(escape="html", axis=1)  # headers may come from input data
    styler = styler.set_td_classes(df.map(lambda v: "num" if _NUMERIC_CELL.match(v) else ""))
    styler = styler.set_table_attributes('class="mlib-table"')
    styler.set_uuid("mlib")
    styler.cell_ids = False
    if caption:
        styler = styler.set_caption(html_lib.escape(scrub_paths(caption)))
    body = styler.to_html(doctype_html=False, exclude_styles=True)
    return (f"<style>{TABLE_CSS}</style>\n" if css else "") + body


#: Words of column names that read better spelled out or in capitals.
_WORDS = {"usd": "USD", "ci": "CI", "n": "n", "iso3": "ISO3", "ppp": "PPP", "rse": "RSE",
          "qr": "median-regression", "df": "df", "pi80": "80% PI", "pi95": "95% PI",
          "p05": "5th pct", "p50": "median", "p95": "95th pct", "abs": "absolute",
          "kennedy": "Kennedy", "hc3": "HC3", "cagr": "CAGR", "mz": "modified z"}


def human_name(column: str) -> str:
    """Return a column name for readers: ``ratio_ci_low`` -> ``Ratio CI low``."""
    words = [_WORDS.get(w, w) for w in str(column).split("_") if w]
    text = " ".join(words)
    return text[:1].upper() + text[1:] if text else str(column)


def _cell(x: Any) -> str:
    """Return one cell as text: numbers to 3 significant digits, missing as a dash."""
    if isinstance(x, bool | float | int) or x is None:
        if isinstance(x, bool):
            return "yes" if x else "no"
        if x is None or (isinstance(x, float) and not math.isfinite(x)):
            return DASH
        if isinstance(x, int) or float(x).is_integer() and abs(x) >= 1000:
            return f"{int(x):,}"
        # 3 significant digits under 1,000; whole numbers with separators above (never 1.31e+05)
        return f"{x:.3g}" if abs(x) < 1000 else f"{x:,.0f}"
    if hasattr(x, "item") and not isinstance(x, str):  # numpy scalars
        try:
            return _cell(x.item())
        except (ValueError, AttributeError):
            pass
    if isinstance(x, pd.Timestamp):
        return x.date().isoformat() if not pd.isna(x) else DASH
    return _text(x)


def tidy(frame: pd.DataFrame, columns: Sequence[str] | None = None,
         names: Mapping[str, str] | None = None) -> pd.DataFrame:
    """Return a DataFrame for people: chosen columns, human names, text cells, no index.

    Numbers get 3 significant digits (fractions stay fractions: 0.52, never 52), counts get
    thousands separators, missing values an em dash, booleans yes/no, lists a comma list;
    absolute paths are cut to file names.
    """
    d = frame if columns is None else frame[[c for c in columns if c in frame.columns]]
    out = pd.DataFrame({(names or {}).get(c, human_name(c)): [_cell(v) for v in d[c].tolist()]
                        for c in d.columns})
    return out.reset_index(drop=True)


class Table:
    """A table shown for people in HTML (no index, human names) and as plain text.

    The text form (what nbval compares) is the same formatted table, so the stored baselines
    still catch a changed number at the precision shown.
    """

    def __init__(self, frame: pd.DataFrame, columns: Sequence[str] | None = None,
                 names: Mapping[str, str] | None = None, caption: str | None = None) -> None:
        self.frame = tidy(frame, columns, names)
        self.caption = caption

    def _repr_html_(self) -> str:
        return to_html(self.frame, caption=self.caption)

    def __repr__(self) -> str:
        if self.frame.empty:
            return "(no rows)"
        return self.frame.to_string(index=False)


def table(frame: pd.DataFrame | None, columns: Sequence[str] | None = None,
          names: Mapping[str, str] | None = None, caption: str | None = None,
          empty: str = "(no rows)") -> Any:
    """Return a :class:`Table` to display as a notebook cell's last value.

    A missing or empty table shows ``empty`` instead (a sentence saying why), never a crash.
    """
    if frame is None or frame.empty:
        from IPython.display import Markdown

        return Markdown(f"*{empty}*")
    return Table(frame, columns, names, caption)


def show_findings(results: Mapping[str, Any] | None) -> Any:
    """Display the key findings in a notebook as a Markdown list (``IPython.display``)."""
    from IPython.display import Markdown

    lines = "\n".join(f"- {s}" for s in key_findings(results))
    return Markdown("**Key findings**\n\n" + lines)


def show(frame: pd.DataFrame, caption: str | None = None) -> Any:
    """Display a formatted table in a notebook (an ``IPython.display.HTML`` object)."""
    from IPython.display import HTML

    return HTML(to_html(frame, caption=caption))


def image_data_uri(path: str | os.PathLike[str]) -> str:
    """Return an image file as a ``data:`` URI (PNG, JPEG, SVG, GIF...)."""
    p = Path(path)
    mime = mimetypes.guess_type(p.name)[0] or "application/octet-stream"
    return f"data:{mime};base64,{base64.b64encode(p.read_bytes()).decode('ascii')}"


HOW_TO_READ = [
    "Ratios compare median salary-equivalent pay (annual salary / hours per year) of full-time "
    "employees with the base region; 0.40 means 40% of base pay.",
    "A comparable specialist holds role, experience and year fixed (adjusted ratio, with "
    "each country's own effect, countries weighed alike); the raw ratio compares everyone in "
    "the sample.",
    "Regional intervals respect countries: countries are resampled within the region, then "
    "people within each country (a region's countries are a sample of its countries).",
    "Every estimate carries a 95% interval and its sample size; groups below the minimum "
    "sample are listed as not estimated rather than guessed.",
]

LIMITS = [
    "Pay data is a voluntary survey (aijobs.net), dominated by a few countries per region.",
    "Published certification counts are world totals of exam registrations, not passes and "
    "not regions; regional activity figures are a proxy (developer activity), not "
    "certifications.",
    "Bill rates ($/hr quoted for contractors) are not salaries; only ratios are compared.",
]


def summary_html(results: Mapping[str, Any] | None,
                 figures: Sequence[str | os.PathLike[str]] | Mapping[str, Any] = (),
                 title: str = "Kubernetes AI skills: pay and certification brief") -> str:
    """Return the summary page as one self-contained HTML document.

    Parameters
    ----------
    results : dict
        A ``results.json`` document.
    figures : sequence of paths, or mapping caption -> path
        PNG/SVG figures embedded as data URIs (a missing file is skipped).
    title : str
        The page title.

    Returns
    -------
    str
        The page: key findings, figures, tables, how to read, limits, provenance.
    """
    run = _section(results, "run")
    as_of = run.get("as_of") if isinstance(run, Mapping) else None
    esc = html_lib.escape
    parts = [f"<h1>{esc(title)}</h1>"]
    if as_of:
        parts.append(f'<p class="mlib-muted">Data as of {esc(str(as_of))}. Generated from '
                     "results.json by marketlib; every number below carries its 95% interval."
                     "</p>")
    findings = key_findings(results)
    parts.append('<section id="key-findings"><h2>Key findings</h2><ul class="mlib-findings">'
                 + "".join(f"<li>{esc(s)}</li>" for s in findings) + "</ul></section>")
    items = (list(figures.items()) if isinstance(figures, Mapping)
             else [(None, f) for f in figures])
    for caption, fig in items:
        p = Path(fig)
        if not p.exists():
            continue
        cap = f"<figcaption>{esc(str(caption))}</figcaption>" if caption else ""
        parts.append(f'<figure><img src="{image_data_uri(p)}" alt="{esc(str(caption or p.stem))}">'
                     f"{cap}</figure>")
    first = True
    for heading, frame in (("Pay ratios by region", arbitrage_table(results)),
                           ("Regional developer activity (proxy)", regional_table(results)),
                           ("Certification growth (CNCF world totals)", growth_table(results)),
                           ("Claims audit", claims_table(results))):
        if len(frame):
            parts.append(f"<section><h2>{esc(heading)}</h2>{to_html(frame, css=first)}</section>")
            first = False
    parts.append("<section><h2>How to read this</h2><ul>"
                 + "".join(f"<li>{esc(s)}</li>" for s in HOW_TO_READ) + "</ul></section>")
    parts.append("<section><h2>Limits</h2><ul>"
                 + "".join(f"<li>{esc(s)}</li>" for s in LIMITS) + "</ul></section>")
    prov = provenance_table(results)
    if len(prov):
        parts.append(f"<section><h2>Parameters and provenance</h2>{to_html(prov, css=first)}"
                     "</section>")
    return ("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
            '<meta name="viewport" content="width=device-width, initial-scale=1">'
            f"<title>{esc(title)}</title><style>{PAGE_CSS}\n{TABLE_CSS}</style></head>"
            f"<body><main>{''.join(parts)}</main></body></html>\n")


# --- self-contained files ----------------------------------------------------------------------

_REMOTE = r"(?:https?:)?//"
_REMOTE_SCRIPT = re.compile(
    rf"<script\b[^>]*\bsrc\s*=\s*[\"']?{_REMOTE}[^>]*>.*?</script\s*>", re.I | re.S)
_REMOTE_LINK = re.compile(rf"<link\b[^>]*\bhref\s*=\s*[\"']?{_REMOTE}[^>]*>", re.I)
_SCRIPT_BLOCK = re.compile(r"<script\b[^>]*>(.*?)</script\s*>", re.I | re.S)
_STYLE_BLOCK = re.compile(r"<style\b[^>]*>(.*?)</style\s*>", re.I | re.S)
_IMPORT_REMOTE = re.compile(rf"\bimport\s*\(?\s*[\"'`]{_REMOTE}", re.I)
_CSS_REMOTE = re.compile(rf"(?:@import\s+(?:url\()?|url\()\s*[\"']?{_REMOTE}[^\"')\s;]*", re.I)
_SRC_ATTR = re.compile(
    rf"<(img|script|iframe|source|video|audio|embed|input|track)\b[^>]*?\b(?:src|poster)"
    rf"\s*=\s*[\"']?({_REMOTE}[^\"'\s>]*)", re.I)
_LINK_ATTR = re.compile(rf"<link\b[^>]*?\bhref\s*=\s*[\"']?({_REMOTE}[^\"'\s>]*)", re.I)
_LOCAL_IMG = re.compile(r"(<img\b[^>]*?\bsrc\s*=\s*)([\"'])(?!data:|https?:|//)([^\"']+)\2",
                        re.I)
_CSS_COMMENT = re.compile(r"/\*.*?\*/", re.S)
_JS_LINE_COMMENT = re.compile(r"(?m)^\s*//.*$")


def remote_fetches(html: str | os.PathLike[str]) -> list[str]:
    """Return what an HTML document would fetch from the network when opened.

    Looks at ``src``/``poster`` of script, img, iframe and media tags, ``<link href>``, CSS
    ``url(...)``/``@import`` in style blocks and ``import("http...")`` in scripts. Plain
    links (``<a href>``) and URLs inside comments or string constants are not fetches.

    Parameters
    ----------
    html : str or PathLike
        The HTML text, or the path of an HTML file.

    Returns
    -------
    list of str
        The remote references found (empty: the document is self-contained).
    """
    text = (Path(html).read_text(encoding="utf-8")
            if isinstance(html, os.PathLike) or (isinstance(html, str) and "<" not in html
                                                 and Path(html).exists())
            else str(html))
    found = [m.group(2) for m in _SRC_ATTR.finditer(text)]
    found += [m.group(1) for m in _LINK_ATTR.finditer(text)]
    for m in _STYLE_BLOCK.finditer(text):
        found += [x.group(0) for x in _CSS_REMOTE.finditer(_CSS_COMMENT.sub("", m.group(1)))]
    for m in _SCRIPT_BLOCK.finditer(text):
        code = _JS_LINE_COMMENT.sub("", _CSS_COMMENT.sub("", m.group(1)))
        found += [x.group(0) for x in _IMPORT_REMOTE.finditer(code)]
    return found


def _strip_remote(text: str) -> str:
    text = _REMOTE_SCRIPT.sub("", text)
    text = _REMOTE_LINK.sub("", text)

    def script(m: re.Match[str]) -> str:
        return "" if _IMPORT_REMOTE.search(m.group(1)) else m.group(0)

    text = _SCRIPT_BLOCK.sub(script, text)

    def style(m: re.Match[str]) -> str:
        return _CSS_REMOTE.sub("url(data:,", m.group(0))

    return _STYLE_BLOCK.sub(style, text)


#: Every published page forbids scripts and any image that is not inlined in the page itself.
CSP_META = ('<meta http-equiv="Content-Security-Policy" content="default-src \'none\'; '
            "img-src data:; style-src 'unsafe-inline'; font-src data:\">")
_IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".gif", ".svg", ".webp")


def self_contain(html_path: str | os.PathLike[str],
                 out: str | os.PathLike[str] | None = None,
                 root: str | os.PathLike[str] | None = None) -> Path:
    """Make an HTML file self-contained: local images inlined, no fetch from the internet.

    Local ``<img src="...">`` files under ``root`` (default: the folder above the page's, the
    run folder) become data URIs, and any other local image reference is emptied; remote
    ``<script src>`` (nbconvert's require.js and MathJax), remote ``<link href>``, scripts that
    ``import()`` remote modules (nbconvert's mermaid loader) and remote CSS ``url()``/``@import``
    are removed; a small CSS keeps wide notebook outputs inside the page width. Absolute paths
    of this machine are not touched here (see :func:`scrub_paths`).

    Parameters
    ----------
    html_path : str or PathLike
        The HTML file.
    out : str or PathLike, optional
        Where to write the result (default: in place).

    Returns
    -------
    pathlib.Path
        The written file. LaTeX in markdown is left as text (MathJax is not bundled).
    """
    src = Path(html_path)
    text = src.read_text(encoding="utf-8")

    home = Path(root).resolve() if root is not None else src.parent.parent.resolve()

    def inline(m: re.Match[str]) -> str:
        p = (src.parent / html_lib.unescape(m.group(3))).resolve()
        # only an image the run itself wrote under its own folder; anything else is dropped
        if not (p.is_file() and p.is_relative_to(home) and p.suffix.lower() in _IMAGE_SUFFIXES):
            return f"{m.group(1)}{m.group(2)}{m.group(2)}"
        return f"{m.group(1)}{m.group(2)}{image_data_uri(p)}{m.group(2)}"

    text = _LOCAL_IMG.sub(inline, text)
    text = _strip_remote(text)
    if CSP_META not in text:  # no script runs and no image loads from outside the page
        text = re.sub(r"<head(\s[^>]*)?>", lambda m: m.group(0) + CSP_META, text, count=1,
                      flags=re.I) if re.search(r"<head(\s[^>]*)?>", text, re.I) \
            else CSP_META + text
    if "mlib-notebook-css" not in text and "jp-" in text:
        tag = f'<style id="mlib-notebook-css">{NOTEBOOK_CSS}</style>'
        text = re.sub(r"</head\s*>", lambda _: tag + "</head>", text, count=1, flags=re.I) \
            if re.search(r"</head\s*>", text, re.I) else tag + text
    dst = Path(out) if out is not None else src
    dst.parent.mkdir(parents=True, exist_ok=True)
    dst.write_text(text, encoding="utf-8")
    return dst


def escape_markdown_outputs(nb: Any) -> None:
    """Escape ``<``, ``>`` and ``&`` in every Markdown output of ``nb`` (in place).

    Markdown outputs are generated sentences that may quote input data (group names, file
    names, a previous run's values); Markdown lets raw HTML through, so it is escaped here,
    once, at the page boundary. marketlib's own Markdown uses no HTML.
    """
    for cell in nb.cells:
        for out in cell.get("outputs", []):
            data = out.get("data", {})
            if "text/markdown" in data:
                text = data["text/markdown"]
                text = "".join(text) if isinstance(text, list) else str(text)
                data["text/markdown"] = html_lib.escape(text, quote=False)


def notebook_to_html(notebook: str | os.PathLike[str], html_path: str | os.PathLike[str],
                     parameters: Mapping[str, Any] | None = None) -> Path:
    """Render an executed notebook as one self-contained HTML file, code hidden.

    Uses nbconvert's ``HTMLExporter`` with ``embed_images=True`` (markdown images inlined) and
    no input cells or prompts, shows the run's parameters first as a compact table (paths
    made project-relative), then applies :func:`self_contain` (no require.js/MathJax/mermaid
    from a CDN).

    Parameters
    ----------
    notebook : str or PathLike
        The executed ``.ipynb``.
    html_path : str or PathLike
        The HTML file to write.
    parameters : dict, optional
        The parameters the notebook ran with.

    Returns
    -------
    pathlib.Path
        The HTML file.
    """
    import nbformat
    from nbconvert import HTMLExporter

    nb_path = Path(notebook)
    nb = nbformat.read(nb_path, as_version=4)
    escape_markdown_outputs(nb)
    if parameters:  # at the end of the page, never before its title; no run-folder paths
        shown = {k: v for k, v in dict(parameters).items()
                 if k not in ("results_path", "figures_dir")}
        rows = [{"Parameter": k, "Value": v} for k, v in _flatten("", shown)]
        table = to_html(_frame(rows, ["Parameter", "Value"]), caption="Parameters of this run")
        nb.cells.append(nbformat.v4.new_markdown_cell(table))
    exporter = HTMLExporter(exclude_input=True, exclude_input_prompt=True,
                            exclude_output_prompt=True, embed_images=True)
    body, _ = exporter.from_notebook_node(
        nb, resources={"metadata": {"path": str(nb_path.parent), "name": nb_path.stem}})
    title = next((ln[2:].strip() for c in nb.cells if c.cell_type == "markdown"
                  for ln in c.source.splitlines() if ln.startswith("# ")), nb_path.stem)
    body = re.sub(r"<title>.*?</title>", lambda _: f"<title>{html_lib.escape(title)}</title>",
                  body, count=1, flags=re.S)
    out = Path(html_path)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(body, encoding="utf-8")
    return self_contain(out)


# --- PDF ---------------------------------------------------------------------------------------

CHROMIUM_NAMES = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")
NO_CHROMIUM = ("PDF skipped: no Chromium found; install it with `apt-get install chromium` "
               "or set MARKETLIB_CHROMIUM")
CHROMIUM_FLAGS = ("--headless", "--no-sandbox", "--disable-gpu",
                  "--disable-background-networking", "--disable-component-update",
                  "--disable-sync", "--no-first-run", "--disable-dev-shm-usage",
                  "--no-pdf-header-footer")


@dataclass(frozen=True)
class PdfResult:
    """Outcome of :func:`write_pdf`: the PDF's path (None when skipped) and a message."""

    path: Path | None
    message: str

    def __bool__(self) -> bool:
        return self.path is not None


def find_chromium() -> str | None:
    """Return the system Chromium to use, or None.

    Order: ``$MARKETLIB_CHROMIUM``, ``/usr/bin/chromium``, then ``chromium``,
    ``chromium-browser``, ``google-chrome`` on ``PATH``.
    """
    env = os.environ.get("MARKETLIB_CHROMIUM")
    if env:
        found = shutil.which(env) or (env if Path(env).is_file() else None)
        return found
    if Path("/usr/bin/chromium").is_file():
        return "/usr/bin/chromium"
    for name in CHROMIUM_NAMES:
        found = shutil.which(name)
        if found:
            return found
    return None


def write_pdf(html_path: str | os.PathLike[str], pdf_path: str | os.PathLike[str],
              timeout: float = 60.0) -> PdfResult:
    """Print an HTML file to PDF with the system's headless Chromium.

    Never raises for a missing or failing browser: the report must still succeed. The caller
    prints ``result.message`` (it says how to get the PDF when it was skipped).

    Parameters
    ----------
    html_path : str or PathLike
        The (self-contained) HTML page.
    pdf_path : str or PathLike
        The PDF to write.
    timeout : float
        Seconds before the browser is killed.

    Returns
    -------
    PdfResult
        ``path`` is the PDF, or None when skipped or failed; ``message`` says which.
    """
    browser = find_chromium()
    if browser is None:
        return PdfResult(None, NO_CHROMIUM)
    src = Path(html_path).resolve()
    dst = Path(pdf_path).resolve()
    dst.parent.mkdir(parents=True, exist_ok=True)
    if dst.exists():
        dst.unlink()
    with tempfile.TemporaryDirectory(prefix="marketlib-chromium-") as profile:
        cmd = [browser, *CHROMIUM_FLAGS, f"--user-data-dir={profile}",
               f"--print-to-pdf={dst}", src.as_uri()]
        try:
            proc = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout,
                                  stdin=subprocess.DEVNULL, check=False)
        except subprocess.TimeoutExpired:
            return PdfResult(None, f"PDF skipped: Chromium ({browser}) did not finish in "
                                   f"{timeout:g} s")
        except OSError as exc:
            return PdfResult(None, f"PDF skipped: Chromium ({browser}) could not start: {exc}")
    if dst.is_file() and dst.stat().st_size > 0:
        return PdfResult(dst, f"PDF written: {display_path(dst)}")
    tail = " ".join((proc.stderr or "").strip().splitlines()[-2:])[:300]
    return PdfResult(None, f"PDF skipped: Chromium exited {proc.returncode} without a PDF"
                           + (f" ({tail})" if tail else ""))
