"""What a reader sees on a run's pages: their text, and the developer words it must not hold.

Used by the report tests of the default, own-data and bill-rate runs (issue 32, item 5).
"""

from __future__ import annotations

import html
import re
from collections.abc import Iterable
from pathlib import Path

#: Words of the code, not of the reader: registry and module names, variables, Python values.
INTERNAL = re.compile(
    r"\bthe registry\b|\bregistry's\b|\bmarketlib\.[a-z]|\bexp\((?:gamma|beta|mu)\)"
    r"|\bgamma\b|\bKennedy\b"
    r"|\bdtype\b|\bNone\b|\bNaN\b|\bparams\.|\bresults_path\b|\bkwargs\b|\bdef \w"
)
#: A snake_case token (``group_by``, ``ratio_ci_*``) that is not part of a file name or address.
SNAKE = re.compile(r"(?<![\w./:@-])[A-Za-z][A-Za-z0-9]*(?:_[A-Za-z0-9*]+)+(?![\w/.-]*\.\w)")


def page_text(page: Path) -> str:
    """Return a page's visible text: no markup, styles, scripts, embedded images, addresses."""
    t = page.read_text(encoding="utf-8")
    t = re.sub(r"<(style|script)\b.*?</\1\s*>", " ", t, flags=re.S | re.I)
    t = re.sub(r"data:[a-z]+/[\w.+-]+;base64,[A-Za-z0-9+/=]+", " ", t)
    t = re.sub(r"<[^>]+>", " ", t)
    t = html.unescape(t)
    t = re.sub(r"(?:https?://|www\.)\S+", " ", t)
    return re.sub(r"\s+", " ", t)


def developer_words(out: Path, quoted: Iterable[str] = ()) -> list[str]:
    """Return each internal word or snake_case token on the run's pages, with its context.

    ``quoted``: texts the pages quote (the audited claims as written) are left out.
    """
    found = []
    for page in sorted((out / "html").glob("*.html")):
        text = page_text(page)
        for q in quoted:
            text = text.replace(re.sub(r"\s+", " ", q), " ")
        for pattern in (INTERNAL, SNAKE):
            for m in pattern.finditer(text):
                found.append(
                    f"{page.name}: {m.group(0)!r} in "
                    f"...{text[max(0, m.start() - 60) : m.end() + 40]}..."
                )
    return found


def pdf_is_legible(out: Path) -> None:
    """The printed brief (issue 32, item 6): at most 4 pages; every character and every
    figure's smallest text (its font recorded in the PNG, scaled by the width it prints at)
    at ``brief.MIN_PRINT_PT`` or more; each figure printed at the size the brief computed."""
    import pdfplumber
    from PIL import Image

    from marketlib import brief, figures

    pngs = {}
    for png in (out / "figures").glob("*.png"):
        with Image.open(png) as im:
            pngs[im.size] = (
                png,
                im.info.get("dpi", (100, 100))[0],
                float(im.info[figures.MIN_FONT_KEY]),
            )
    with pdfplumber.open(out / "market_report.pdf") as pdf:
        assert 1 <= len(pdf.pages) <= 4, len(pdf.pages)
        smallest = min(c["size"] for p in pdf.pages for c in p.chars)
        assert smallest >= brief.MIN_PRINT_PT - 0.05, smallest
        images = [im for p in pdf.pages for im in p.images]
    assert len(images) >= 2
    for im in images:
        png, dpi, font = pngs[tuple(im["srcsize"])]
        printed_in = (im["x1"] - im["x0"]) / 72
        scale = printed_in / (im["srcsize"][0] / dpi)
        assert font * scale >= brief.MIN_PRINT_PT - 0.05, (png.name, font * scale)
        assert abs(printed_in - brief.printed_figure(png).width_in) < 0.02, png.name
