"""Text that came from an input, made safe for where it goes: pages, terminals, mail, sheets.

One module for every boundary, so a rule is written once:

- :func:`plain_text`: no terminal escape sequences (ANSI CSI, OSC hyperlinks and titles), no
  C0/C1 control characters but TAB and LF, no bidirectional overrides (text that reads one
  way and runs another). For stderr, mail and log lines.
- :func:`one_line`: :func:`plain_text` with every run of white space (line breaks included)
  folded to one space. For names and sentences built from input text: a line break inside a
  region name or a note cannot start a Markdown heading or a forged list item.
- :func:`markdown_inline`: :func:`one_line` with every Markdown control character escaped, so
  input text renders as the characters it holds (no link, image, heading, emphasis or code).
- :func:`inert_markdown`: the page boundary's pass over generated Markdown: links, images and
  raw HTML never render (marketlib's own sentences use none), controls removed.
- :func:`spreadsheet_text`: a cell that opens safely in Excel, LibreOffice and openpyxl: XML
  control characters replaced (openpyxl refuses them) and formula triggers neutralised
  (:func:`marketlib.sources.outputs.neutralise_formulas`, the OWASP rule).
"""

from __future__ import annotations

import html
import re

#: Terminal escape sequences: CSI (``ESC [ ... final``), OSC (``ESC ] ... BEL|ESC \``), and
#: the two-byte escapes (``ESC x``).
_ESCAPES = re.compile(
    r"\x1b\[[0-?]*[ -/]*[@-~]|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)?"
    r"|\x1b[@-Z\\-_]|\x9b[0-?]*[ -/]*[@-~]|\x9d[^\x07\x9c]*[\x07\x9c]?"
)
#: Control characters but TAB and LF; C1 controls; bidirectional overrides and isolates.
_CONTROLS = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069\u200e\u200f\ufeff]")
#: Characters openpyxl refuses in a cell (XML 1.0 forbids them).
_XML_ILLEGAL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f]")
_SPACES = re.compile(r"\s+")
#: Characters with a meaning in Markdown (CommonMark + GFM tables and strikethrough).
_MD_SPECIAL = re.compile(r"([\\`*_{}\[\]()#+\-.!|<>~&=:])")
#: Replacement shown where a control character was (visible, never executed).
REPLACEMENT = "\ufffd"


def plain_text(text: object) -> str:
    """Return ``text`` without escape sequences or control characters (TAB, LF kept)."""
    s = _ESCAPES.sub("", str(text))
    return _CONTROLS.sub(lambda m: "" if m.group() in "\r\x1b" else REPLACEMENT, s)


def one_line(text: object) -> str:
    """Return ``text`` as one plain line: controls removed, white space folded to one space."""
    return _SPACES.sub(" ", plain_text(text)).strip()


def markdown_inline(text: object) -> str:
    """Return input text for a Markdown sentence: one line, every Markdown character escaped."""
    return _MD_SPECIAL.sub(r"\\\1", one_line(text))


_LINK = re.compile(r"(!?)\[")
_AFTER_MARKER = re.compile(r"^(\s*(?:[-*+]|\d+[.)])\s+)([#>])", re.M)


def inert_markdown(markdown: str) -> str:
    """Return generated Markdown with no live link, image, raw HTML or control character.

    ``<``, ``>`` and ``&`` become entities (no raw HTML, no ``<javascript:...>`` autolink);
    every ``[`` is escaped, so no ``[text](url)`` link or ``![](url)`` image can form
    (marketlib's sentences use neither); a ``#`` or ``>`` right after a list marker is
    escaped (no heading or quote forged inside a bullet). Headings that marketlib writes at
    the start of its own lines stay headings.
    """
    text = html.escape(plain_text(markdown), quote=False)
    return _inert(text)


def inert_markdown_text(markdown: str) -> str:
    """Like :func:`inert_markdown` for a Markdown file (the README): ``&`` kept as it is."""
    return _inert(plain_text(markdown).replace("<", "&lt;").replace(">", "&gt;"))


def _inert(text: str) -> str:
    text = _LINK.sub(lambda m: m.group(1) + "\\[", text)
    return _AFTER_MARKER.sub(lambda m: m.group(1) + "\\" + m.group(2), text)


def spreadsheet_text(text: str) -> str:
    """Return a cell's text with the characters a workbook cannot hold replaced."""
    return _XML_ILLEGAL.sub(REPLACEMENT, text)
