"""Downloads with a total deadline, and the shape check a new data version must pass.

No dataset knowledge here: :mod:`marketlib.sources.datasets` says which header fields each
dataset's files hold (``Dataset.expect``).
"""

from __future__ import annotations

import http.client
import os
import socket
import time
import urllib.error
import urllib.request

from marketlib.sanitize import one_line
from marketlib.sources.errors import InputError

#: The largest file a download may bring (the biggest dataset is about 60 MB).
MAX_DOWNLOAD_BYTES = 512 << 20
#: How much of a file its shape is judged on.
SHAPE_BYTES = 1 << 16


def download(url: str, timeout: float, hint: str) -> bytes:
    """Download ``url`` within ``timeout`` seconds in all (not per read); refuse short bodies.

    A server sending one byte every few seconds never trips a per-read timeout; the total
    deadline does, so a scheduler's own timeout never kills the job before its fallback.
    A body shorter than its ``Content-Length`` (a dropped connection) is refused.
    """
    deadline = time.monotonic() + timeout
    chunks: list[bytes] = []
    try:
        with urllib.request.urlopen(url, timeout=timeout) as resp:  # noqa: S310
            expected = resp.headers.get("Content-Length")
            got = 0
            while True:
                left = deadline - time.monotonic()
                if left <= 0:
                    raise TimeoutError(f"no complete answer within {timeout:g} s")
                sock = getattr(getattr(getattr(resp, "fp", None), "raw", None), "_sock", None)
                if isinstance(sock, socket.socket):
                    sock.settimeout(max(0.1, min(left, timeout)))
                chunk = resp.read1(1 << 16) if hasattr(resp, "read1") else resp.read(1 << 16)
                if not chunk:
                    break
                chunks.append(chunk)
                got += len(chunk)
                if got > MAX_DOWNLOAD_BYTES:
                    raise ValueError(f"larger than {MAX_DOWNLOAD_BYTES >> 20} MiB")
            if expected is not None and expected.isdigit() and got < int(expected):
                raise http.client.IncompleteRead(b"", int(expected) - got)
    except http.client.IncompleteRead as exc:
        raise InputError(
            url, f"download incomplete ({exc.expected or '?'} bytes missing); {hint}"
        ) from None
    except (
        urllib.error.URLError,
        TimeoutError,
        OSError,
        http.client.HTTPException,
        ValueError,
    ) as exc:
        reason = one_line(getattr(exc, "reason", exc))[:200]
        raise InputError(url, f"download failed ({reason}); {hint}") from None
    return b"".join(chunks)


def head_bytes(path: str | os.PathLike[str]) -> bytes:
    """Return the first :data:`SHAPE_BYTES` of a file (never the whole file)."""
    with open(path, "rb") as fh:
        return fh.read(SHAPE_BYTES)


def check_shape(data: bytes, expect: tuple[str, ...] = ()) -> str | None:
    """Say why ``data`` is not a version of a dataset (None: it looks like one).

    A new upstream version has no known sha256, so its shape is what can be checked: text,
    not an HTML page (a rate-limit or error page served with status 200), and the header
    fields every version holds (``expect``, from ``Dataset.expect``) in its first lines.
    """
    head = data[:SHAPE_BYTES].lstrip(b"\xef\xbb\xbf \t\r\n")
    if not head:
        return "an empty file"
    low = head[:512].lower()
    if low.startswith((b"<!doctype", b"<html", b"<?xml", b"<head", b"<body")) or b"<html" in low:
        return "an HTML page, not the data file (an error or rate-limit page?)"
    if head.startswith((b"{", b"[")):
        return "a JSON answer, not the data file (an API error?)"
    if b"\x00" in head:
        return "binary content, not a CSV text file"
    text = head.decode("utf-8", errors="replace")
    missing = [f for f in expect if f not in text]
    if missing:
        return f"no {', '.join(missing)} in its first lines (not this dataset's layout)"
    return None
