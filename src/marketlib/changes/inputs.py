"""Which inputs changed between two runs: snapshots, rows added, new economies."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import PurePosixPath
from typing import Any

from marketlib.frames import finite_or_none as _num
from marketlib.results_view import mapping as _map
from marketlib.results_view import rows as _rows
from marketlib.sections.registry import SECTIONS
from marketlib.sources import DATASETS, snapshots


def _dataset_of(path: str, provenance: Mapping[str, dict[str, Any]]) -> str:
    prov = provenance.get(path)
    if prov and prov.get("dataset"):
        return str(prov["dataset"])
    parts = PurePosixPath(path.replace("\\", "/")).parts
    for ds in DATASETS.values():
        rel = PurePosixPath(ds.relpath)
        if parts and parts[-1] == rel.name and rel.parts[0] in parts:
            return ds.name
    return path


def _provenance_by_path(results: Mapping[str, Any]) -> dict[str, dict[str, Any]]:
    prov = _map(results.get("run")).get("provenance")
    if isinstance(prov, Mapping):
        return {str(k): dict(v) for k, v in prov.items() if isinstance(v, Mapping)}
    return {str(p.get("path")): p for p in _rows(prov) if p.get("path")}


def _table_of(dataset: str) -> str | None:
    if dataset == "aijobs":
        return "rates"
    if dataset.startswith("innovationgraph"):
        return "activity"
    if "certification" in dataset:
        return "certifications"
    return None


def _section_details(
    previous: Mapping[str, Any], current: Mapping[str, Any]
) -> dict[str, dict[str, Any]]:
    """Return what the sections' results tell of each clean table's change."""
    out: dict[str, dict[str, Any]] = {}
    for spec in SECTIONS:
        if spec.input_details is not None:
            for table, details in spec.input_details(previous, current).items():
                out.setdefault(table, {}).update(details)
    return out


def _table_details(
    table: str,
    previous: Mapping[str, Any],
    current: Mapping[str, Any],
    sections: Mapping[str, dict[str, Any]],
) -> dict[str, Any]:
    out: dict[str, Any] = {}
    po = _map(_map(previous.get("cleaning")).get(table))
    co = _map(_map(current.get("cleaning")).get(table))
    if _num(po.get("rows_in")) is not None and _num(co.get("rows_in")) is not None:
        out["rows_in"] = [int(po["rows_in"]), int(co["rows_in"])]
        out["rows_added"] = int(co["rows_in"]) - int(po["rows_in"])
    out.update(sections.get(table, {}))
    return out


def _known_version(digest: Any) -> dict[str, Any]:
    """Return what a sha256 tells of a dataset's version: pinned or a known snapshot."""
    for ds in DATASETS.values():
        if ds.sha256 == digest:
            return {"ref": "pinned", "commit": ds.commit}
    for snap in snapshots().values():
        if snap.sha256 == digest:
            return {"ref": snap.ref, "commit": snap.commit, "published": snap.published}
    return {}


def _version(path: str | None, digest: Any, prov: Mapping[str, Any] | None) -> dict[str, Any]:
    out: dict[str, Any] = {"path": path, "sha256": digest}
    if not prov:
        out.update(_known_version(digest))
    if prov:
        out.update(
            {
                k: prov.get(k)
                for k in ("ref", "commit", "published", "retrieved_at")
                if prov.get(k) is not None
            }
        )
    return out


def _input_changes(previous: Mapping[str, Any], current: Mapping[str, Any]) -> list[dict[str, Any]]:
    p_in = _map(_map(previous.get("run")).get("inputs"))
    c_in = _map(_map(current.get("run")).get("inputs"))
    p_prov, c_prov = _provenance_by_path(previous), _provenance_by_path(current)
    old = {_dataset_of(str(p), p_prov): str(p) for p in p_in}
    new = {_dataset_of(str(p), c_prov): str(p) for p in c_in}
    out = []
    sections = _section_details(previous, current)
    tables_done: set[str] = set()
    for ds in dict.fromkeys([*new, *old]):
        op, np_ = old.get(ds), new.get(ds)
        od = p_in.get(op) if op is not None else None
        nd = c_in.get(np_) if np_ is not None else None
        if od == nd:
            continue
        item: dict[str, Any] = {
            "dataset": ds,
            "status": ("added" if op is None else "removed" if np_ is None else "snapshot changed"),
            "old": _version(op, od, p_prov.get(op or "")) if op is not None else None,
            "new": _version(np_, nd, c_prov.get(np_ or "")) if np_ is not None else None,
        }
        table = _table_of(ds)
        if table is not None:
            item["table"] = table
            if table not in tables_done:  # table-level facts once, on its first changed file
                item.update(_table_details(table, previous, current, sections))
                tables_done.add(table)
        out.append(item)
    return out
