"""Provenance of a fetched file: where it came from, which version, when, its sha256."""

from __future__ import annotations

import json
import os
from dataclasses import asdict, dataclass, fields
from datetime import UTC, datetime
from pathlib import Path
from typing import Any


@dataclass(frozen=True)
class Provenance:
    """Where a fetched file came from: upstream version, address, hash and retrieval time.

    ``ref`` is what was asked for (``pinned``, a snapshot label, ``latest`` or a commit);
    ``commit`` the upstream commit it resolved to; ``url`` the canonical upstream address of
    the bytes; ``mirror_path`` the mirror-relative path when they were copied from
    ``MARKETLIB_MIRROR`` (never an absolute path); ``sha256_verified`` says whether the hash
    was checked against a pinned value (a new upstream version has none: it is only recorded);
    ``file`` is the file's path under the fetch destination.
    """

    dataset: str
    repo: str | None
    ref: str
    commit: str | None
    url: str | None
    mirror_path: str | None
    sha256: str
    sha256_verified: bool
    retrieved_at: str
    published: str | None = None
    file: str | None = None

    def to_dict(self) -> dict[str, Any]:
        """Return the record as JSON-ready values (results.json ``run.provenance`` items)."""
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Provenance:
        """Build a record from :meth:`to_dict` output (unknown keys ignored)."""
        names = {f.name for f in fields(cls)}
        return cls(**{k: v for k, v in data.items() if k in names})


PROVENANCE_SUFFIX = ".provenance.json"


def provenance_path(path: str | os.PathLike[str]) -> Path:
    """Return the sidecar path of a fetched file: ``<file>.provenance.json`` beside it."""
    p = Path(path)
    return p.with_name(p.name + PROVENANCE_SUFFIX)


def write_provenance(path: str | os.PathLike[str], prov: Provenance) -> Path:
    """Write ``prov`` as the sidecar of ``path`` (atomically); return the sidecar's path."""
    from marketlib.sources.datasets import atomic_write_bytes

    side = provenance_path(path)
    atomic_write_bytes(side, (json.dumps(prov.to_dict(), indent=2) + "\n").encode("utf-8"))
    return side


def read_provenance(path: str | os.PathLike[str]) -> Provenance | None:
    """Return the provenance recorded beside a fetched file, or ``None`` without a sidecar.

    A sidecar whose sha256 no longer matches the file (the file was replaced) is not trusted:
    ``None`` as well.
    """
    from marketlib.sources.datasets import sha256_cached

    side = provenance_path(path)
    if not side.is_file():
        return None
    try:
        prov = Provenance.from_dict(json.loads(side.read_text(encoding="utf-8")))
    except (ValueError, TypeError, UnicodeDecodeError):
        return None
    if not Path(path).is_file() or sha256_cached(path) != prov.sha256:
        return None
    return prov


def provenance_of(path: str | os.PathLike[str]) -> Provenance | None:
    """Return the provenance of an input file: its sidecar, else what its sha256 tells.

    A file without sidecar whose sha256 is a pinned dataset's or a known snapshot's (e.g. a
    mirror copy found by :func:`locate`) gets that version's record (``retrieved_at``: the
    file's modification time). Anything else: ``None`` (a user file; the report records its
    sha256 only).
    """
    from marketlib.sources.datasets import DATASETS, sha256_cached, snapshots

    p = Path(path)
    found = read_provenance(p)
    if found is not None or not p.is_file():
        return found
    digest = sha256_cached(p)
    when = datetime.fromtimestamp(p.stat().st_mtime, UTC).isoformat(timespec="seconds")
    for ds in DATASETS.values():
        if ds.sha256 == digest:
            return Provenance(
                ds.name,
                ds.repo,
                "pinned",
                ds.commit,
                ds.url,
                None,
                digest,
                True,
                when,
                None,
                ds.relpath,
            )
    for snap in snapshots().values():
        if snap.sha256 == digest:
            ds = DATASETS[snap.dataset]
            return Provenance(
                ds.name,
                ds.repo,
                snap.ref,
                snap.commit,
                ds.raw_url(snap.commit) if ds.repo else None,
                None,
                digest,
                True,
                when,
                snap.published,
                None,
            )
    return None
