"""What every reader and fetcher shares, with no heavy import: the input error and digests."""

from __future__ import annotations

import functools
import hashlib
import os


class InputError(Exception):
    """A file that cannot be used at all; the message names the file and the problem."""

    def __init__(self, path: str | os.PathLike[str], problem: str) -> None:
        self.path = str(path)
        self.problem = problem
        super().__init__(f"{self.path}: {problem}")


def sha256_bytes(data: bytes) -> str:
    """Return the hex sha256 of ``data``."""
    return hashlib.sha256(data).hexdigest()


def sha256_file(path: str | os.PathLike[str], *more: str | os.PathLike[str]) -> str:
    """Return the hex sha256 of a file (or of several files' bytes in order), read in chunks."""
    h = hashlib.sha256()
    for p in (path, *more):
        with open(p, "rb") as fh:
            for chunk in iter(functools.partial(fh.read, 1 << 20), b""):
                h.update(chunk)
    return h.hexdigest()
