"""The section protocol's shared parts: results documents saved and read once."""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from marketlib.sources import (
    InputError,
    atomic_write_bytes,
)
from marketlib.sources.outputs import json_bytes


def save_json(data: dict[str, Any], path: str | Path) -> Path:
    """Write a results document atomically (UTF-8 JSON, sorted as built, no NaN)."""
    p = Path(path)
    atomic_write_bytes(p, json_bytes(data))
    return p


def load_json(path: str | Path) -> dict[str, Any]:
    """Read a results document written by :func:`save_json`."""
    p = Path(path)
    if not p.is_file():
        raise InputError(p, "results file not found (run the notebook that writes it first)")
    try:
        return json.loads(p.read_text(encoding="utf-8"))
    except (ValueError, UnicodeDecodeError) as exc:
        raise InputError(p, f"not a JSON results file ({exc})") from exc


class Section:
    """Shared behaviour: ``save`` writes ``to_results()`` atomically."""

    def to_results(self) -> dict[str, Any]:  # pragma: no cover - overridden
        """Return this section's part of results.json."""
        raise NotImplementedError

    def save(self, path: str | Path | None) -> Path | None:
        """Write ``to_results()`` to ``path`` (nothing when ``path`` is None)."""
        return None if path is None else save_json(self.to_results(), path)


#: A section's notebook parameters: (report params, the run's data, the run folder) -> dict.
NotebookParameters = Callable[[Any, Mapping[str, Any], Path], dict[str, Any]]
#: Change-report hooks: two results documents (and the comparability status) -> items.
Comparisons = Callable[[Mapping[str, Any], Mapping[str, Any]], dict[str, dict[str, Any]]]
Estimates = Callable[
    [Mapping[str, Any], Mapping[str, Any], Mapping[str, Any]], list[dict[str, Any]]
]


@dataclass(frozen=True)
class SectionSpec:
    """Everything the report, the summary page, the tables and the change report need.

    One record per section in ``registry.SECTIONS``; nothing outside the section's own module
    knows its notebook, its results keys, its tables or its sentences.
    """

    name: str  # notebooks/<name>.ipynb and results/<name>.json
    key: str  # its key in results.json, and ``<key>_results_path`` in dependants' parameters
    title: str  # its name for people ("certification growth")
    needs: tuple[str, ...] = ()  # sections whose results it reads (run after them)
    #: ``inputs.<x>`` (or several): any of them null skips the section
    optional_input: str | tuple[str, ...] | None = None
    skip_reason: str = ""
    #: the public data sets' clean tables it reads (``report.inputs.DATASET_INPUTS``): a
    #: run cleans only those of the sections it runs
    reads: tuple[str, ...] = ()
    notebook_parameters: NotebookParameters | None = None
    #: results/<name>.json -> its entries in results.json (None: the section did not run)
    merge: Callable[[dict[str, Any] | None], dict[str, Any]] | None = None
    #: the summary page on its own: (default params, processed dir, raw dir, seed, the results
    #: of the sections before it, merged) -> its results
    default_results: (
        Callable[[Any, Path, Path, int, Mapping[str, Any]], dict[str, Any] | None] | None
    ) = None
    comparisons: Comparisons | None = None  # {status name: comparability status}
    estimates: Estimates | None = None  # headline estimates of two comparable runs
    #: (previous, current, status) -> extra items of the changes section (e.g. floor crossings)
    change_extras: (
        Callable[
            [Mapping[str, Any], Mapping[str, Any], Mapping[str, Any]],
            dict[str, list[dict[str, Any]]],
        ]
        | None
    ) = None
    status_words: Mapping[str, str] = field(default_factory=dict)  # status name -> words
    #: key findings: results -> (lead sentences, other sentences)
    findings: Callable[[Mapping[str, Any]], tuple[list[str], list[str]]] | None = None
    #: CSV / Excel tables: name -> (path in results.json, {output column: results key})
    tables: Mapping[str, tuple[tuple[str, ...], Mapping[str, str]]] = field(default_factory=dict)
    #: the summary page's block: (results, figures dir, context) -> objects to display
    summary: Callable[[Mapping[str, Any], str | None, Mapping[str, Any]], list[Any]] | None = None
    #: before any notebook: (report params, clean tables by name) -> None, or an InputError
    #: naming a parameter the clean data cannot serve (exit 2, not a failed notebook)
    check: Callable[[Any, Mapping[str, Path]], None] | None = None
    #: the summary page's opening: results -> what the section tells this run (None: nothing)
    intro: Callable[[Mapping[str, Any]], str | None] | None = None
    #: the summary page's "how to read this, and its limits": results -> bullets
    reading_notes: Callable[[Mapping[str, Any]], list[str]] | None = None
    #: the printed brief: (heading, results -> table or None), in page order
    brief_tables: tuple[tuple[str, Callable[[Mapping[str, Any]], Any]], ...] = ()
    #: the brief's figures: (file stem in the run's figures/, caption)
    brief_figures: tuple[tuple[str, str], ...] = ()
    #: history.csv: results -> the headline estimates tracked across runs, each a dict of
    #: ``key, quantity, value, ci_low, ci_high, n``
    history: Callable[[Mapping[str, Any]], list[dict[str, Any]]] | None = None
    quantity_words: Mapping[str, str] = field(default_factory=dict)  # chart titles
    #: the change report's inputs: (previous, current) -> {clean table: what changed in it}
    input_details: (
        Callable[[Mapping[str, Any], Mapping[str, Any]], dict[str, dict[str, Any]]] | None
    ) = None


def heading(spec: SectionSpec) -> str:
    """Return a section's title as a heading or a sentence's start ("Certification growth")."""
    return spec.title[:1].upper() + spec.title[1:]


def results_path(out: Path, name: str) -> str:
    """Return where a section's notebook writes its results in a run folder."""
    return str(out / "results" / f"{name}.json")


def optional(path: Path | str | None) -> str | None:
    """Return a path as a notebook parameter (None stays None)."""
    return None if path is None else str(path)
