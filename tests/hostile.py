"""Hostile inputs shared by the per-module tests: markup a page must show as text, and an
inline file cleaned through the command line (``marketlib clean``)."""

from __future__ import annotations

from pathlib import Path

from marketlib.cli import main

MARKUP = [
    "<script>alert(1)</script>",
    '<img src="../../../etc/passwd">',
    "<b onmouseover=x>",
    "&lt;already&gt;",
    "<iframe src=//evil>",
]


def clean_cli(tmp_path: Path, what: str, fmt: str, text: str, name: str = "in.csv", *extra):
    """Write ``text`` to ``tmp_path/name``, run ``marketlib clean``; return (exit status, out)."""
    src = tmp_path / name
    src.write_text(text)
    out = tmp_path / "out"
    if what == "rates" and "--max-rejected-share" not in extra:  # the share's own tests:
        extra = (*extra, "--max-rejected-share", "1")  # test_specialists.py
    rc = main(["clean", what, str(src), "--format", fmt, "--out", str(out), *extra])
    return rc, out
