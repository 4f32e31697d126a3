"""The PDF brief: at most four pages a manager reads, built from results.json and the figures.

Key findings, the three main figures, one compact table per section and the sources block;
the full tables stay in the HTML pages. Print CSS fits A4 and US Letter alike (the narrower
width and the shorter height of the two), keeps a number and its interval on one line and a
table row on one page. Every text from the data is escaped; images are inlined from the run's
own figures folder only; the page carries the same no-script policy as every report page.
"""

from __future__ import annotations

import html
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from marketlib import prose, publish, sections
from marketlib.sanitize import plain_text
from marketlib.sources import atomic_write_bytes

#: The printable box: A4's width and Letter's height (the narrower and the shorter of the two)
#: less the margins of ``@page``; a figure taller than ``FIGURE_HEIGHT_IN`` gets a page.
PAGE_IN = (8.27, 11.0)
MARGIN_IN = (0.5, 0.45)
BOX_WIDTH_IN = PAGE_IN[0] - 2 * MARGIN_IN[0]
FULL_PAGE_FIGURE_IN = PAGE_IN[1] - 2 * MARGIN_IN[1] - 0.5  # less the caption
FIGURE_HEIGHT_IN = 3.1
#: A figure enlarged past this height for its text prints on its own page.
INLINE_MAX_IN = 4.5
#: The smallest text printed in the brief, figures included (points).
MIN_PRINT_PT = 7.0
CSS_PX_PER_IN = 96

#: The figures of the brief, in order (file stem in figures/, caption).
PRINT_CSS = """
@page { size: 8.27in 11in; margin: 0.45in 0.5in; }
body { font: 10.5px/1.35 system-ui, -apple-system, "Segoe UI", Roboto, Arial, sans-serif;
  color: #1d2330; margin: 0; }
.note { border-left: 3px solid #b8860b; padding: 2px 6px; }
h1 { font-size: 17px; margin: 0 0 4px; } h2 { font-size: 12.5px; margin: 10px 0 4px;
  break-after: avoid; }
p, li { margin: 2px 0; } ul { padding-left: 16px; margin: 3px 0; }
table { border-collapse: collapse; width: 100%; table-layout: auto; margin: 3px 0 6px;
  font-size: 9.5px; }
th, td { border-bottom: 1px solid #dde1e8; padding: 2px 4px; text-align: left;
  vertical-align: top; }
td.num, th.num { text-align: right; white-space: nowrap; font-variant-numeric: tabular-nums; }
tr { break-inside: avoid; }
figure { margin: 4px 0; break-inside: avoid; text-align: center; }
figure img { max-width: 100%; height: auto; }
figure.page { break-before: page; }
figcaption { font-size: 9.5px; color: #4a5363; }
.small { font-size: 9.5px; color: #4a5363; overflow-wrap: anywhere; }
"""


@dataclass(frozen=True)
class PrintedFigure:
    """Where a figure prints in the brief, and how large its smallest text is on paper."""

    stem: str
    width_in: float
    height_in: float
    min_font_pt: float  # the figure's smallest text as printed
    own_page: bool
    legible: bool


def printed_figure(png: str | Path) -> PrintedFigure:
    """Size a saved figure for the brief so its smallest text prints at ``MIN_PRINT_PT``.

    A figure keeps its natural size (the PNG's pixels at its dpi) where that fits the column
    and ``FIGURE_HEIGHT_IN``; shrunk to fit, it may not shrink its smallest text (recorded by
    ``figures.save``) below ``MIN_PRINT_PT``: it grows instead, on its own page past
    ``INLINE_MAX_IN``; one too large even for a page is not printed (``legible`` False: the
    brief says so and points to the HTML report).
    """
    from PIL import Image

    from marketlib.figures import MIN_FONT_KEY  # matplotlib: only when a brief is printed

    with Image.open(png) as im:
        px_w, px_h = im.size
        dpi = float((im.info.get("dpi") or (100.0, 100.0))[0]) or 100.0
        font = float(im.info.get(MIN_FONT_KEY) or 0.0)
    w, h = px_w / dpi, px_h / dpi
    floor = MIN_PRINT_PT / font if font > 0 else 0.0  # the smallest scale allowed
    scale = min(1.0, BOX_WIDTH_IN / w, FIGURE_HEIGHT_IN / h)
    if scale < floor:
        scale = min(floor, BOX_WIDTH_IN / w, FULL_PAGE_FIGURE_IN / h)
    printed = font * scale
    return PrintedFigure(
        Path(png).stem,
        round(w * scale, 3),
        round(h * scale, 3),
        round(printed, 2),
        h * scale > INLINE_MAX_IN,
        printed >= MIN_PRINT_PT - 1e-6,
    )


def _esc(x: Any) -> str:
    return html.escape(plain_text(x))


def _table(frame: pd.DataFrame, max_rows: int = 9) -> str:
    """Return a compact HTML table; cells that hold numbers are right-aligned, never split."""
    if frame is None or frame.empty:
        return "<p class=small>No rows in this run.</p>"
    d = frame.head(max_rows)
    import re

    num = re.compile(r"^[-+−]?[$€£]?[\d.,]+%?(\s*\(.*\))?(,\s*\d+ countries)?$")

    def cell(v: Any) -> str:
        text = _esc(v)
        return f'<td class="num">{text}</td>' if num.match(str(v).strip()) else f"<td>{text}</td>"

    head = "".join(f"<th>{_esc(c)}</th>" for c in d.columns)
    body = "".join(
        "<tr>" + "".join(cell(v) for v in row) + "</tr>"
        for row in d.astype(str).itertuples(index=False)
    )
    more = (
        f"<p class=small>{len(frame) - max_rows} more rows in the HTML page.</p>"
        if len(frame) > max_rows
        else ""
    )
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>{more}"


def brief_html(results: Mapping[str, Any], run_folder: str | Path) -> str:
    """Return the brief as one self-contained HTML page (figures inlined from the run)."""
    run = Path(run_folder)
    parts = [
        f"<h1>{_esc(sections.report_title(results))}</h1>",
        f"<p class=small>As of {_esc((results.get('run') or {}).get('as_of', ''))}; "
        "every figure with its interval and sample size; the full tables are in the HTML "
        "report.</p>",
        *(
            f"<p class=note><b>Note for this run:</b> {_esc(n)}</p>"
            for n in (results.get("run") or {}).get("notes") or []
            if isinstance(n, str)
        ),
        "<h2>Key findings</h2><ul>"
        + "".join(f"<li>{_esc(s)}</li>" for s in sections.key_findings(results))
        + "</ul>",
    ]
    own_page: list[str] = []  # figures on a page of their own print after the tables
    for stem, caption in (fig for spec in sections.SECTIONS for fig in spec.brief_figures):
        png = run / "figures" / f"{stem}.png"
        if not (png.is_file() and png.resolve().is_relative_to(run.resolve())):
            continue
        fig = printed_figure(png)
        if not fig.legible:
            parts.append(
                f"<p class=small>{_esc(caption)}: too large to print legibly "
                f"({fig.min_font_pt:.1f} pt text on a page); it is in the HTML "
                "report.</p>"
            )
            continue
        width, height = (round(v * CSS_PX_PER_IN) for v in (fig.width_in, fig.height_in))
        block = (
            f'<figure{" class=page" if fig.own_page else ""}><img alt="{_esc(caption)}" '
            f'width="{width}" height="{height}" src="{publish.image_data_uri(png)}">'
            f"<figcaption>{_esc(caption)}</figcaption></figure>"
        )
        (own_page if fig.own_page else parts).append(block)
    blocks = [block for spec in sections.SECTIONS for block in spec.brief_tables]
    for title, table in blocks:
        frame = table(results)
        if frame is not None and not frame.empty:
            parts.append(f"<h2>{_esc(title)}</h2>{_table(frame)}")
    cites = prose.citations(results)
    if cites:
        parts.append(
            "<h2>Sources</h2><ul class=small>"
            + "".join(f"<li>{_esc(c)}</li>" for c in cites)
            + "</ul>"
        )
    parts += own_page
    return (
        '<!DOCTYPE html><html lang="en"><head><meta charset="utf-8">'
        f"{publish.CSP_META}<title>{_esc(sections.report_title(results))} (brief)</title>"
        f"<style>{PRINT_CSS}</style></head><body>{''.join(parts)}</body></html>\n"
    )


def write_brief(results: Mapping[str, Any], run_folder: str | Path) -> Path:
    """Write ``brief.html`` into the run folder; return it (the PDF prints this page)."""
    path = Path(run_folder) / "html" / "brief.html"
    atomic_write_bytes(path, brief_html(results, run_folder).encode("utf-8"))
    return path
