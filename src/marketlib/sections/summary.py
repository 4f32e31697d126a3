"""The summary page's results: each section's own results, or computed with defaults."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from marketlib import prose
from marketlib.comparison import VERDICT_UNTESTABLE, VERDICT_WITHIN
from marketlib.params import (
    default_report_params,
)
from marketlib.paths import processed_dir, raw_dir
from marketlib.publish.text import results_part
from marketlib.results_view import SCHEMA_VERSION
from marketlib.results_view import mapping as _map
from marketlib.results_view import rows as _rows
from marketlib.sections.base import heading, load_json
from marketlib.sections.regional_hooks import regional_subjects
from marketlib.sections.registry import SECTIONS


def summary_results(
    results_paths: Mapping[str, str | None] | None = None,
    as_of: str | None = None,
    processed: str | Path | None = None,
    raw: str | Path | None = None,
    seed: int = 0,
) -> dict[str, Any]:
    """Return the sections the summary page shows, as one results document.

    ``results_paths`` maps a section's key to the results file its notebook wrote; a section
    not given is computed here with the default report parameters (JupyterLab, nbval), from
    the clean tables in ``processed`` and the typed files in ``raw`` (the project's
    ``data/processed`` and ``data/raw`` by default, wherever the page runs from), reading the
    sections computed before it.
    """
    given = dict(results_paths or {})
    unknown = sorted(set(given) - {spec.key for spec in SECTIONS})
    if unknown:
        raise KeyError(f"no section with the key(s) {unknown}")
    defaults = default_report_params()
    proc = Path(processed) if processed is not None else processed_dir()
    rawp = Path(raw) if raw is not None else raw_dir()
    out: dict[str, Any] = {
        "run": {
            "schema_version": SCHEMA_VERSION,
            "as_of": as_of,
            "params": defaults.to_dict(),
            "rates_source": "the aijobs.net salary survey",
        }
    }
    for spec in SECTIONS:
        path = given.get(spec.key)
        doc = (
            load_json(path)
            if path
            else spec.default_results(defaults, proc, rawp, seed, out)
            if spec.default_results
            else None
        )
        out.update(spec.merge(doc) if spec.merge else {spec.key: doc})
    return out


def key_findings(results: Mapping[str, Any] | None, max_sentences: int = 8) -> list[str]:
    """Return the report's key findings as 4-8 sentences generated from ``results.json``.

    Each section says its own sentences (``SectionSpec.findings``: lead sentences, then the
    others). The leads (comparable-specialist pay of the article's regions, else the largest
    samples, at most three) are always kept: no other sentence replaces one. The change since
    the previous report follows them; the others fill what is left of ``max_sentences``.
    Percent in prose; every estimate carries its 95% CI and n.
    """
    if not isinstance(results, Mapping):
        return []
    lead: list[str] = []
    others: list[str] = []
    for spec in SECTIONS:
        if spec.findings is not None:
            a, b = spec.findings(results)
            lead += a
            others += b
    head = lead[:3] + _changes_sentence(results)
    return head + others[: max(0, max_sentences - len(head))]


def _changes_sentence(results: Mapping[str, Any]) -> list[str]:
    changes = results_part(results, "changes")
    if not isinstance(changes, Mapping):
        return []
    est = _rows(changes.get("estimates"))
    if not est:
        return []

    verdicts = [e.get("verdict") for e in est]  # the same list the change block counts
    n_changed = verdicts.count("changed")
    n_within = verdicts.count(VERDICT_WITHIN)
    n_untestable = verdicts.count(VERDICT_UNTESTABLE)
    prev = changes.get("previous")
    prev_as_of = prev.get("as_of") if isinstance(prev, Mapping) else None
    since = f" (as of {prev_as_of})" if prev_as_of else ""
    parts = [f"{n_changed} changed beyond their uncertainty", f"{n_within} moved within it"]
    if n_untestable:
        parts.append(f"{n_untestable} could not be tested (no interval in one of the runs)")
    return [
        f"Since the previous report{since}, of {len(est)} estimates compared: "
        + ", ".join(parts[:-1])
        + " and "
        + parts[-1]
        + "."
    ]


def summary_blocks(
    results: Mapping[str, Any], figures_dir: str | None = None, article: Any = None
) -> list[Any]:
    """Return every section's block of the summary page (headings, tables, figures)."""
    from IPython.display import Markdown

    skipped = (
        ((results.get("run") or {}).get("skipped") or {}) if isinstance(results, Mapping) else {}
    )
    out: list[Any] = []
    for spec in SECTIONS:
        if spec.name in skipped:  # one line, not an empty table under a heading
            out.append(
                Markdown(f"## {heading(spec)}\n\n*Not part of this run: {skipped[spec.name]}.*")
            )
        elif spec.summary is not None:
            out += spec.summary(results, figures_dir, {"article": article})
    return out


def params_not_run(results: Mapping[str, Any] | None) -> list[str]:
    """Return the parameter sections of the sections this run skipped (not shown as used)."""
    skipped = ((results or {}).get("run") or {}).get("skipped") or {}
    return [spec.key for spec in SECTIONS if spec.name in skipped]


def show_findings(results: Mapping[str, Any] | None) -> Any:
    """Display the key findings in a notebook as a Markdown list (``IPython.display``)."""
    from IPython.display import Markdown

    lines = "\n".join(f"- {s}" for s in key_findings(results))
    return Markdown("**Key findings**\n\n" + lines)


def report_title(results: Mapping[str, Any] | None) -> str:
    """Return the summary page's title from what the run covered.

    A skill is named only where the pay data hold skills and the run selected them
    ("Kubernetes and PyTorch specialists: pay ..."); the regional topics are developer
    activity, never a property of the pay rows, so they are named as activity.
    """
    r = results or {}
    subjects = regional_subjects(results)
    population = str(_map(r.get("arbitrage")).get("population") or "")
    who = population.split(" (")[0] if " specialists (" in population else ""
    pay = f"{who}: pay" if who else "Pay"
    if subjects:
        return f"{pay} and developer activity in {prose.topic_list(subjects)}"
    return f"{pay} brief" + (" and claims audit" if r.get("claims") else "")


def summary_intro(results: Mapping[str, Any] | None) -> str:
    """Return the summary page's opening sentence: what this run covers, nothing it skipped."""
    r = results or {}
    parts = [p for spec in SECTIONS if spec.intro is not None and (p := spec.intro(r))]
    if not parts:
        return "This run produced no section results."
    said = ", ".join(parts[:-1]) + (" and " if len(parts) > 1 else "") + parts[-1]
    return (
        f"{said[0].upper()}{said[1:]}. Every number comes from `results.json`, with its "
        "sample size and its interval where the data hold one; sources and parameters "
        "are at the end."
    )


def skipped_sentences(results: Mapping[str, Any] | None) -> list[str]:
    """Return one sentence per section the run skipped (a null input), saying why."""
    skipped = _map(_map((results or {}).get("run")).get("skipped"))
    titles = {spec.name: heading(spec) for spec in SECTIONS}
    return [f"{titles.get(k, k)}: not part of this run ({why})." for k, why in skipped.items()]


def reading_notes(results: Mapping[str, Any] | None) -> list[str]:
    """Return the summary page's "how to read this, and its limits" bullets."""
    r = results or {}
    run = _map(r.get("run"))
    notes = [f"Note for this run: {n}" for n in run.get("notes") or [] if isinstance(n, str)]
    out = [n for spec in SECTIONS if spec.reading_notes is not None for n in spec.reading_notes(r)]
    return notes + prose.point_in_time_notes(results) + out + skipped_sentences(results)
