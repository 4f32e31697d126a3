"""What changed since the previous report: results.json ``changes`` and its summary-page block.

:func:`compare_results` sets two ``results.json`` documents side by side and returns SPEC's
``changes`` section: every headline estimate found in both runs (arbitrage ratios raw and
adjusted, regional growth, certification growth, team cost) with its old and new value, their
intervals and a verdict from a stated test; the arbitrage groups that crossed the minimum-n
floor; the claims whose verdict flipped; the inputs whose snapshot changed. Sections computed
under other definitions in the two runs (hours per year, base, geography, window,
composition...) are listed in ``comparable`` and not compared.

Each section brings its own definitions, estimates and extra items
(``SectionSpec.comparisons``, ``estimates``, ``change_extras``): nothing here knows a section.

:func:`changes_markdown` and :func:`changes_table` turn the section into sentences and one
small table for the summary page; :func:`find_previous_run` and :func:`load_previous` find
and read the run to compare with.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from marketlib.changes.inputs import _input_changes
from marketlib.changes.previous import (
    MAX_PREVIOUS_BYTES,
    MAX_PREVIOUS_DEPTH,
    changes_since,
    find_previous_run,
    load_previous,
    previous_schema,
    results_file,
)
from marketlib.changes.words import TABLE_COLUMNS, changes_markdown, changes_table, show_changes
from marketlib.comparison import (
    TESTS,
    VERDICT_CHANGED,
    VERDICT_UNTESTABLE,
    VERDICT_WITHIN,
    Z_CRITICAL,
    run_as_of,
    z_score,
)
from marketlib.results_view import upgrade
from marketlib.sections.registry import SECTIONS


def comparability(previous: Mapping[str, Any], current: Mapping[str, Any]) -> dict[str, Any]:
    """Say, per section, whether two runs used the same definitions.

    Returns ``{name: {"comparable": bool, "differences": [{"parameter", "old", "new"}],
    "reason": str}}`` with each section's own names (e.g. ``arbitrage``, ``adjusted``,
    ``team``, ``regional``, ``growth``). Intervals' confidence levels, seeds and bootstrap
    sizes are not definitions (the test uses each run's own level).
    """
    out: dict[str, Any] = {}
    for spec in SECTIONS:
        if spec.comparisons is not None:
            out.update(spec.comparisons(previous, current))
    return out


def compare_results(
    previous: Mapping[str, Any], current: Mapping[str, Any], previous_results: str | None = None
) -> dict[str, Any]:
    """Return the contract's ``changes`` section: what moved between two runs, and is it real.

    ``previous``/``current`` are two ``results.json`` documents; ``previous_results`` names the
    previous run's results file (project- or reports-relative, never absolute). The section
    holds ``previous``, ``current``, ``estimates`` (one item per headline estimate present in
    both runs of a comparable section: ``section``, ``key``, ``quantity``, ``label``,
    ``old``/``old_ci``, ``new``/``new_ci``, ``difference``, ``z``, ``verdict`` and the ``test``
    used), each section's extra items (``groups_crossing_floor``, ``claims_flipped``),
    ``inputs`` (datasets whose sha256 changed), ``comparable`` and ``counts``.

    Ratios are compared on the log scale, growth on log(1 + g), team savings on log(1 - s);
    each run's standard error comes from its own interval, the runs are treated as
    independent, and a difference is ``changed`` only when |z| > 1.96.
    """
    previous, current = upgrade(previous), upgrade(current)  # any earlier run's names
    status = comparability(previous, current)
    estimates: list[dict[str, Any]] = []
    extras: dict[str, list[dict[str, Any]]] = {}
    for spec in SECTIONS:
        if spec.estimates is not None:
            estimates += spec.estimates(previous, current, status)
        if spec.change_extras is not None:
            extras.update(spec.change_extras(previous, current, status))
    verdicts = [e["verdict"] for e in estimates]
    return {
        "previous": {"as_of": run_as_of(previous), "results": previous_results},
        "current": {"as_of": run_as_of(current)},
        "estimates": estimates,
        **extras,
        "inputs": _input_changes(previous, current),
        "comparable": status,
        "counts": {
            "estimates": len(estimates),
            VERDICT_CHANGED: verdicts.count(VERDICT_CHANGED),
            VERDICT_WITHIN: verdicts.count(VERDICT_WITHIN),
            VERDICT_UNTESTABLE: verdicts.count(VERDICT_UNTESTABLE),
            "identical": sum(
                1 for e in estimates if e["difference"] == 0 and e["old_ci"] == e["new_ci"]
            ),
        },
        "test": (
            "per estimate in `test`: z from the two runs' intervals on a log scale, runs "
            "treated as independent, changed when |z| > 1.96"
        ),
    }


__all__ = [
    "MAX_PREVIOUS_BYTES",
    "MAX_PREVIOUS_DEPTH",
    "TABLE_COLUMNS",
    "TESTS",
    "VERDICT_CHANGED",
    "VERDICT_UNTESTABLE",
    "VERDICT_WITHIN",
    "Z_CRITICAL",
    "changes_markdown",
    "changes_since",
    "changes_table",
    "compare_results",
    "comparability",
    "find_previous_run",
    "load_previous",
    "previous_schema",
    "results_file",
    "run_as_of",
    "show_changes",
    "z_score",
]
