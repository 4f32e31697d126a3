"""Publication formatting: numbers for people, tables as HTML, self-contained pages, the PDF.

No section knowledge lives here (each section's tables and sentences are in its own module of
``marketlib.sections``): these functions format what they are given.

- ``text``: percents, intervals, counts and paths for people; defensive results readers.
- ``html``: :func:`to_html`, :func:`table` (notebook cells), :func:`notebook_to_html`,
  :func:`self_contain`, :func:`remote_fetches`, the content security policy.
- ``pdf``: :func:`find_chromium`, :func:`write_pdf`.
- ``provenance``: :func:`provenance_table`.
"""

from __future__ import annotations

from marketlib.publish.html import (
    CSP_META,
    NOTEBOOK_CSS,
    PAGE_CSS,
    TABLE_CSS,
    Table,
    escape_markdown_outputs,
    image_data_uri,
    notebook_to_html,
    remote_fetches,
    self_contain,
    show,
    table,
    tidy,
    to_html,
)
from marketlib.publish.pdf import (
    CHROMIUM_FLAGS,
    CHROMIUM_NAMES,
    NO_CHROMIUM,
    PdfResult,
    find_chromium,
    write_pdf,
)
from marketlib.publish.provenance import provenance_table
from marketlib.publish.text import (
    DASH,
    LEVEL_TEXT,
    MEASURES,
    RELIABILITY,
    VERDICTS,
    count,
    display_path,
    human_name,
    money,
    not_estimated,
    pct,
    pct_ci,
    pct_range,
    ratio_ci,
    reader_words,
    scrub_paths,
)

__all__ = [
    "CHROMIUM_FLAGS",
    "CHROMIUM_NAMES",
    "CSP_META",
    "DASH",
    "LEVEL_TEXT",
    "MEASURES",
    "NOTEBOOK_CSS",
    "NO_CHROMIUM",
    "PAGE_CSS",
    "RELIABILITY",
    "TABLE_CSS",
    "VERDICTS",
    "PdfResult",
    "Table",
    "count",
    "display_path",
    "escape_markdown_outputs",
    "find_chromium",
    "human_name",
    "image_data_uri",
    "money",
    "not_estimated",
    "notebook_to_html",
    "pct",
    "pct_ci",
    "pct_range",
    "provenance_table",
    "ratio_ci",
    "reader_words",
    "remote_fetches",
    "scrub_paths",
    "self_contain",
    "show",
    "table",
    "tidy",
    "to_html",
    "write_pdf",
]
