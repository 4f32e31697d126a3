"""Run facts, datasets (short sha256 / commits) and parameters as one table for people."""

from __future__ import annotations

import re
from collections.abc import Collection, Iterable, Mapping
from typing import Any

import pandas as pd

from marketlib.publish.text import (
    DASH,
    display_path,
    display_text,
    reader_words,
    results_part,
    rows_frame,
)


def _short_hash(value: Any) -> str:
    s = str(value)
    return s[:12] if re.fullmatch(r"[0-9a-fA-F]{16,}", s) else display_text(s)


def parameter_label(name: str) -> str:
    """Return a parameter's name for readers (``n_boot`` -> "bootstrap draws").

    The parameters file and results.json keep the names; pages show these words.
    """
    return ", ".join(reader_words(part) for part in str(name).split(".") if part)


def _param_text(value: Any) -> str:
    if isinstance(value, Mapping):
        return (
            "(" + ", ".join(f"{reader_words(k)} {_param_text(v)}" for k, v in value.items()) + ")"
        )
    if isinstance(value, list) and value and all(isinstance(v, Mapping) for v in value):
        return ", ".join(_param_text(v) for v in value)
    if isinstance(value, list):
        return ", ".join(_param_text(v) for v in value) or DASH
    if isinstance(value, str):
        return reader_words(display_path(value))
    return display_text(value)


def _flatten(prefix: str, value: Any) -> Iterable[tuple[str, str]]:
    """Yield (label, text) for every leaf of a parameter record, labels in words."""
    if isinstance(value, Mapping):
        for k, v in value.items():
            yield from _flatten(f"{prefix}.{k}" if prefix else str(k), v)
    else:
        yield parameter_label(prefix), _param_text(value)


def provenance_table(
    results: Mapping[str, Any] | None, not_run: Collection[str] = ()
) -> pd.DataFrame:
    """Return run facts, datasets (short sha256 / commits) and parameters as a compact table.

    ``not_run``: parameter sections of sections the run skipped, shown as not used.

    No absolute path of the machine that ran the report appears: paths are shown relative to
    the project, or as file names.

    Reads a ``results.json`` document. Columns: Kind, Name, Value.
    """
    run = results_part(results, "run")
    run = run if isinstance(run, Mapping) else {}
    rows: list[dict[str, str]] = []
    params: Mapping[str, Any] = run["params"] if isinstance(run.get("params"), Mapping) else {}
    as_of = run.get("as_of", params.get("as_of"))
    for key, label in (
        ("as_of", "Data as of"),
        ("started", "Run started"),
        ("marketlib_version", "marketlib version"),
        ("python", "Python"),
    ):
        value = as_of if key == "as_of" else run.get(key)
        if value is not None:
            rows.append({"Kind": "Run", "Name": label, "Value": display_text(value)})
    inputs = run.get("inputs")
    if isinstance(inputs, Mapping):
        for path, digest in inputs.items():
            if isinstance(digest, Mapping):  # e.g. {"sha256": ..., "commit": ...}
                value = ", ".join(f"{k} {_short_hash(v)}" for k, v in digest.items())
            else:
                value = f"sha256 {_short_hash(digest)}"
            rows.append({"Kind": "Dataset", "Name": display_path(str(path)), "Value": value})
    seen: set[str] = set()
    for part, sec in (
        results.items() if isinstance(results, Mapping) else ()
    ):  # every section's clean tables, in the results' order
        clean = sec.get("inputs") if isinstance(sec, Mapping) and part != "run" else None
        if not isinstance(clean, Mapping):
            continue
        for path, digest in clean.items():
            if str(path) in seen:
                continue
            seen.add(str(path))
            rows.append(
                {
                    "Kind": "Clean table",
                    "Name": display_path(str(path)),
                    "Value": f"sha256 {_short_hash(digest)}",
                }
            )
    for name, value in params.items():
        if name == "as_of" or (name == "inputs" and isinstance(inputs, Mapping) and inputs):
            continue  # the datasets above name the same files
        if name in not_run:
            text = "not used: the section is not part of this run"
        elif isinstance(value, Mapping):
            text = (
                "; ".join(
                    f"{reader_words(k)} {_param_text(v)}"
                    for k, v in value.items()
                    if v is not None and v != []
                )
                or DASH
            )
        else:
            text = _param_text(value)
        rows.append({"Kind": "Parameters", "Name": parameter_label(name), "Value": text})
    return rows_frame(rows, ["Kind", "Name", "Value"])
