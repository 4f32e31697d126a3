"""The changes section in words and one small table for the summary page."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import pandas as pd

from marketlib.comparison import VERDICT_CHANGED, VERDICT_WITHIN
from marketlib.frames import finite_or_none as _num
from marketlib.publish import pct_ci, ratio_ci, to_html
from marketlib.publish.text import reader_words
from marketlib.results_view import mapping as _map
from marketlib.results_view import rows as _rows
from marketlib.sections.registry import SECTIONS


def _value_text(kind: str, v: Any, ci: Any) -> str:

    lo, hi = (ci + [None, None])[:2] if isinstance(ci, list) else (None, None)
    if kind == "ratio":
        return ratio_ci(v, lo, hi)
    return pct_ci(v, lo, hi, signed=kind == "growth")


def _change_text(e: Mapping[str, Any]) -> str:
    d = _num(e.get("difference"))
    if d is None:
        return "-"
    if e.get("kind") == "ratio":
        return f"{d:+.2f}"
    pts = d * 100
    return f"{pts:+.1f} pts" if abs(pts) < 9.95 else f"{pts:+.0f} pts"


def _z_text(e: Mapping[str, Any]) -> str:
    z = _num(e.get("z"))
    return "not testable" if z is None else f"z = {z:.1f}"


def _verdict_words(e: Mapping[str, Any]) -> str:
    v = e.get("verdict")
    if v == VERDICT_CHANGED:
        return f"beyond its combined uncertainty ({_z_text(e)})"
    if v == VERDICT_WITHIN:
        return f"within its combined uncertainty ({_z_text(e)})"
    return "not testable (an interval is missing)"


def _estimate_sentence(e: Mapping[str, Any]) -> str:
    kind = str(e.get("kind"))
    return (
        f"{e.get('label')} moved from {_value_text(kind, e.get('old'), e.get('old_ci'))} "
        f"to {_value_text(kind, e.get('new'), e.get('new_ci'))}: {_verdict_words(e)}."
    )


def _verdict_label(v: Any) -> str:
    return reader_words(v) if v else "-"


def _n(x: Any) -> str:
    v = _num(x)
    return "-" if v is None else f"{v:,.0f}"


def _floor_sentence(f: Mapping[str, Any]) -> str:
    floor = f.get("new_min_n") or f.get("old_min_n")
    fl = f", floor {_n(floor)}" if floor is not None else ""
    if f.get("new_reported"):
        return (
            f"{f.get('group')} now has enough observations to be reported "
            f"(n {_n(f.get('old_n'))} -> {_n(f.get('new_n'))}{fl})."
        )
    return (
        f"{f.get('group')} is no longer reported: too few observations "
        f"(n {_n(f.get('old_n'))} -> {_n(f.get('new_n'))}{fl})."
    )


def _claim_sentence(c: Mapping[str, Any]) -> str:
    text = str(c.get("text") or "")
    short = (text[:77] + "...") if len(text) > 80 else text
    what = f' "{short}"' if short else ""
    return (
        f"Claim{what or ' ' + str(c.get('id'))} is now {_verdict_label(c.get('new'))} "
        f"(was {_verdict_label(c.get('old'))})."
    )


_DATASET_WORDS = {"aijobs": "The aijobs salary survey", "ppp": "The price-level table"}


def _version_text(v: Mapping[str, Any] | None) -> str:
    if not v:
        return "none"
    ref = v.get("ref")
    if ref and ref not in ("pinned", "latest"):
        return str(ref)
    commit = f"commit {str(v['commit'])[:7]}" if v.get("commit") else ""
    if ref in ("pinned", "latest") and commit:
        when = f" of {v['published']}" if v.get("published") else ""
        return f"{ref} {commit}{when}"
    if v.get("published"):
        return str(v["published"])
    return commit or f"sha256 {str(v.get('sha256'))[:7]}"


def _input_sentence(i: Mapping[str, Any]) -> str:
    ds = str(i.get("dataset"))
    name = _DATASET_WORDS.get(ds, f"Input {ds}")
    if ds.startswith("innovationgraph/"):
        name = f"The Innovation Graph {ds.split('/', 1)[1]} file"
    if i.get("status") != "snapshot changed":
        return f"{name} was {i.get('status')}."
    parts = [
        f"{name} is a new snapshot ({_version_text(i.get('old'))} -> {_version_text(i.get('new'))})"
    ]
    rows = i.get("rows_in")
    if isinstance(rows, list) and len(rows) == 2:
        parts.append(
            f"{i.get('table')} rows {_n(rows[0])} -> {_n(rows[1])} "
            f"({int(rows[1]) - int(rows[0]):+,})"
        )
    through = i.get("data_through")
    if isinstance(through, list):
        parts.append(f"data through {through[1]} (was {through[0]})")
    if i.get("new_economies"):
        parts.append(f"new economies {', '.join(i['new_economies'])}")
    if i.get("new_periods"):
        parts.append(f"new periods {', '.join(map(str, i['new_periods']))}")
    moved = i.get("countries_by_region")
    if moved:
        parts.append(
            "countries "
            + ", ".join(f"{m['region']} {_n(m['old'])} -> {_n(m['new'])}" for m in moved[:4])
        )
    return "; ".join(parts) + "."


def _section_words() -> dict[str, str]:
    return {k: v for spec in SECTIONS for k, v in spec.status_words.items()}


def changes_markdown(changes: Mapping[str, Any] | None, max_estimates: int = 6) -> list[str]:
    """Return the "What changed since <previous as_of>" block as sentences.

    Parameters
    ----------
    changes
        A ``changes`` section (:func:`compare_results`); ``None`` gives no sentences.
    max_estimates
        At most this many sentences on single estimates (those that changed, largest |z|
        first; when none changed, the largest moves within uncertainty).

    Returns
    -------
    list of str
        An overview, the sections not compared (and why), the estimates, the groups that
        crossed the floor, the claims whose verdict flipped and the inputs that changed.
    """
    if not isinstance(changes, Mapping):
        return []
    est = _rows(changes.get("estimates"))
    prev = _map(changes.get("previous")).get("as_of") or "the previous report"
    changed = sorted(
        (e for e in est if e.get("verdict") == VERDICT_CHANGED),
        key=lambda e: -abs(_num(e.get("z")) or 0),
    )
    within = [e for e in est if e.get("verdict") == VERDICT_WITHIN]
    untestable = len(est) - len(changed) - len(within)
    out = []
    if est:
        extra = f"; {untestable} could not be tested" if untestable else ""
        same = _num(_map(changes.get("counts")).get("identical")) or 0
        same_text = f", {same:,.0f} of them identical" if same else ""
        out.append(
            f"Compared with the report as of {prev}: {len(changed)} of {len(est)} "
            f"estimates moved beyond their combined uncertainty, {len(within)} within "
            f"it{same_text}{extra} (z from the two runs' intervals, |z| > 1.96)."
        )
    else:
        out.append(f"Compared with the report as of {prev}: no estimate could be compared.")
    for name, st in _map(changes.get("comparable")).items():
        st = _map(st)
        if not st.get("comparable") and st.get("differences"):
            out.append(f"Not compared: {_section_words().get(name, name)}, {st.get('reason')}.")
    shown = (
        changed[:max_estimates]
        if changed
        else sorted(within, key=lambda e: -abs(_num(e.get("z")) or 0))[: min(2, max_estimates)]
    )
    out += [_estimate_sentence(e) for e in shown]
    if len(changed) > max_estimates:
        out.append(
            f"{len(changed) - max_estimates} more estimates changed beyond their "
            f"uncertainty (see the table)."
        )
    for key, sentence, what in (
        ("groups_crossing_floor", _floor_sentence, "groups crossed the floor"),
        ("claims_flipped", _claim_sentence, "claims changed verdict"),
        ("inputs", _input_sentence, "inputs changed"),
    ):
        rows = _rows(changes.get(key))
        out += [sentence(r) for r in rows[:MAX_LISTED]]
        if len(rows) > MAX_LISTED:  # a huge previous run never floods the page
            out.append(
                f"{len(rows) - MAX_LISTED:,} more {what} (all of them are in "
                "results.json, under changes)."
            )
    return out


#: Sentences listed per kind of change (crossed floors, flipped claims, changed inputs).
MAX_LISTED = 8


TABLE_COLUMNS = [
    "Estimate",
    "Previous (95% CI)",
    "Current (95% CI)",
    "Change",
    "Against uncertainty",
    "Verdict",
]


def changes_table(changes: Mapping[str, Any] | None, max_rows: int = 15) -> pd.DataFrame:
    """Return one small table of what moved: estimates beyond uncertainty, floors, claims.

    Parameters
    ----------
    changes
        A ``changes`` section (:func:`compare_results`).
    max_rows
        Row limit (changed estimates first, by |z|).

    Returns
    -------
    pandas.DataFrame
        Text cells; columns Estimate, Previous (95% CI), Current (95% CI), Change, Against
        uncertainty, Verdict. When nothing changed, the two largest moves within uncertainty
        are shown so the table says so. Team savings carry their 5th-95th percentile band.
    """
    rows: list[dict[str, str]] = []
    est = _rows(_map(changes).get("estimates")) if isinstance(changes, Mapping) else []
    changed = sorted(
        (e for e in est if e.get("verdict") == VERDICT_CHANGED),
        key=lambda e: -abs(_num(e.get("z")) or 0),
    )
    if not changed:
        changed = sorted(
            (e for e in est if e.get("verdict") == VERDICT_WITHIN),
            key=lambda e: -abs(_num(e.get("z")) or 0),
        )[:2]
    for e in changed:
        kind = str(e.get("kind"))
        rows.append(
            {
                "Estimate": str(e.get("label", "")).rstrip(","),
                "Previous (95% CI)": _value_text(kind, e.get("old"), e.get("old_ci")),
                "Current (95% CI)": _value_text(kind, e.get("new"), e.get("new_ci")),
                "Change": _change_text(e),
                "Against uncertainty": _z_text(e),
                "Verdict": (
                    "beyond uncertainty"
                    if e.get("verdict") == VERDICT_CHANGED
                    else "within uncertainty"
                ),
            }
        )
    for f in _rows(_map(changes).get("groups_crossing_floor")) if changes else []:
        was = "reported" if f.get("old_reported") else "not reported"
        now = "reported" if f.get("new_reported") else "not reported"
        floor = f.get("new_min_n") or f.get("old_min_n")
        rows.append(
            {
                "Estimate": f"{f.get('group')} sample size",
                "Previous (95% CI)": f"n = {_n(f.get('old_n'))} ({was})",
                "Current (95% CI)": f"n = {_n(f.get('new_n'))} ({now})",
                "Change": "-"
                if _num(f.get("old_n")) is None or _num(f.get("new_n")) is None
                else f"{int(f['new_n']) - int(f['old_n']):+,}",
                "Against uncertainty": f"floor n = {_n(floor)}",
                "Verdict": str(f.get("direction")),
            }
        )
    for c in _rows(_map(changes).get("claims_flipped")) if changes else []:
        text = str(c.get("text") or c.get("id") or "")
        rows.append(
            {
                "Estimate": f'Claim "{text[:57] + "..." if len(text) > 60 else text}"',
                "Previous (95% CI)": _verdict_label(c.get("old")),
                "Current (95% CI)": _verdict_label(c.get("new")),
                "Change": "-",
                "Against uncertainty": "-",
                "Verdict": "verdict flipped",
            }
        )
    return pd.DataFrame(rows[:max_rows], columns=TABLE_COLUMNS, dtype=object)


def show_changes(changes: Mapping[str, Any] | None) -> Any:
    """Display the "What changed since <previous as_of>" block in a notebook (or a line)."""
    from IPython.display import HTML, Markdown

    if not changes or not changes.get("previous"):
        return Markdown("*No earlier report to compare with: this is the first run.*")
    import html

    as_of = html.escape(str(changes["previous"].get("as_of", "the previous report")))
    lines = "\n".join(f"<li>{html.escape(str(s))}</li>" for s in changes_markdown(changes))
    table = changes_table(changes)
    body = to_html(table) if len(table) else ""
    return HTML(f"<h2>What changed since {as_of}</h2><ul>{lines}</ul>{body}")
