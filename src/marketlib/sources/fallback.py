"""A run that an unreachable or lying upstream never stops: fall back, and say so."""

from __future__ import annotations

import os
import sys
from pathlib import Path

from marketlib.sanitize import one_line
from marketlib.sources.datasets import DATASETS, fetch_snapshot
from marketlib.sources.download import check_shape, head_bytes
from marketlib.sources.errors import InputError, sha256_file
from marketlib.sources.provenance import Provenance, read_provenance

#: What :func:`fetch_or_fall_back` fell back to, in words (the report shows them).
FALLBACK_NOTES: list[str] = []


def fetch_or_fall_back(
    name: str, dest: str | os.PathLike[str], ref: str | None = None, timeout: float = 60.0
) -> tuple[Path, Provenance]:
    """Like :func:`fetch_snapshot`, but an unreachable or lying upstream never stops a run.

    When ``latest`` (or another upstream version) cannot be had, the newest version fetched
    earlier with ``latest`` is used (the monthly job fetches before it reports), else the
    pinned snapshot; each fallback is said in :data:`FALLBACK_NOTES` and on stderr.
    """
    try:
        return fetch_snapshot(name, dest, ref, timeout)
    except InputError as exc:
        if ref in (None, "pinned"):
            raise
        problem = exc.problem
    kept = _latest_kept(name, Path(dest)) if ref == "latest" else None
    if kept is not None:
        path, prov = kept
        note = (
            f"{name}: the upstream could not be asked for its latest version ({problem}); "
            f"this run uses the latest version fetched earlier (commit "
            f"{(prov.commit or '?')[:12]}, retrieved {prov.retrieved_at[:10]})."
        )
    else:
        path, prov = fetch_snapshot(name, dest, None, timeout)
        note = (
            f"{name}: version {ref} could not be fetched ({problem}); this run uses the "
            "pinned snapshot."
        )
    FALLBACK_NOTES.append(one_line(note)[:500])
    print(f"marketlib: warning: {FALLBACK_NOTES[-1]}", file=sys.stderr)
    return path, prov


def _latest_kept(name: str, root: Path) -> tuple[Path, Provenance] | None:
    """Return the newest file of ``name`` fetched with ``latest`` under ``root`` and whole."""
    ds = DATASETS[name]
    folder, _, fname = ds.relpath.partition("/")
    best: tuple[str, Path, Provenance] | None = None
    for f in (root / folder / "snapshots").glob(f"*/{fname}"):
        prov = read_provenance(f)
        if prov is None or prov.ref != "latest" or prov.dataset != name:
            continue
        if sha256_file(f) != prov.sha256 or check_shape(head_bytes(f), ds.expect):
            continue
        if best is None or prov.retrieved_at > best[0]:
            best = (prov.retrieved_at, f, prov)
    return None if best is None else (best[1], best[2])
