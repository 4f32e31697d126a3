"""Tables and pages as HTML: one table's markup, notebook pages made self-contained.

Why pandas Styler for tables: it is already a dependency (pandas + jinja2), renders the same
way in JupyterLab, nbconvert's HTML and Chromium's PDF, and is deterministic (fixed ``uuid``),
so nbval baselines stay stable. great_tables was considered: prettier, but a dependency tree
for tables whose cells are pre-formatted text, and a fixed-width layout that fights 1280 px.
"""

from __future__ import annotations

import base64
import html as html_lib
import mimetypes
import os
import re
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import pandas as pd

from marketlib.frames import finite_or_none as _num
from marketlib.publish.provenance import _flatten
from marketlib.publish.text import (
    DASH,
    _cell,
    display_text,
    human_name,
    pct,
    rows_frame,
    scrub_paths,
)
from marketlib.sanitize import inert_markdown

TABLE_CSS = """
.mlib-table { border-collapse: collapse; width: 100%; max-width: 100%; table-layout: auto;
  font: 14px/1.4 system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial,
  sans-serif; margin: 0.6em 0 1.2em; color: #1d2330; }
.mlib-table caption { caption-side: top; text-align: left; font-weight: 600;
  padding: 0 0 0.4em; }
.mlib-table th, .mlib-table td { padding: 0.35em 0.6em; border-bottom: 1px solid #dde1e8;
  text-align: left !important; vertical-align: top; overflow-wrap: anywhere;
  word-break: normal; }
.mlib-table td.num { text-align: right !important; font-variant-numeric: tabular-nums;
  white-space: nowrap; }
.mlib-table thead th { border-bottom: 2px solid #8a94a6; background: #f4f6f9; }
.mlib-table tbody tr:nth-child(even) td { background: #fafbfc; }
""".strip()


PAGE_CSS = """
html, body { margin: 0; padding: 0; }
body { font: 15px/1.5 system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial,
  sans-serif; color: #1d2330; background: #fff; }
main { box-sizing: border-box; max-width: 1100px; margin: 0 auto; padding: 24px 32px; }
h1 { font-size: 1.7em; margin: 0 0 0.2em; } h2 { font-size: 1.25em; margin: 1.4em 0 0.4em; }
img { max-width: 100%; height: auto; }
figure { margin: 1em 0; } figcaption { font-size: 0.9em; color: #4a5363; }
.mlib-findings li { margin: 0.3em 0; }
.mlib-muted { color: #4a5363; font-size: 0.9em; }
@media print { main { max-width: none; padding: 0; } h2 { break-after: avoid; }
  .mlib-table tr, figure { break-inside: avoid; } }
""".strip()


#: Injected into nbconvert pages: wide outputs scroll inside their cell, never the page.
NOTEBOOK_CSS = """
.jp-OutputArea-output, .jp-RenderedHTMLCommon { max-width: 100%; overflow-x: auto; }
.jp-RenderedHTMLCommon table { display: block; max-width: 100%; overflow-x: auto; }
.jp-RenderedImage img, .jp-OutputArea-output img { max-width: 100%; height: auto; }
.jp-RenderedHTMLCommon td, .jp-RenderedHTMLCommon th { text-align: left !important;
  vertical-align: top; }
.jp-RenderedHTMLCommon td.num { text-align: right !important; white-space: nowrap;
  font-variant-numeric: tabular-nums; }
""".strip()


#: A cell that reads as a number (right-aligned): "19,659", "0.40 (0.37-0.43)", "+21% (...)".
_NUMERIC_CELL = re.compile(r"^[+\-−]?[\d.,]+%?( ?pts)?( \(.*\))?$")


def to_html(frame: pd.DataFrame, caption: str | None = None, css: bool = True) -> str:
    """Render a formatted table as clean HTML: no index, escaped text, small embedded CSS.

    Parameters
    ----------
    frame : pandas.DataFrame
        A table from this module (or any frame; missing cells are shown as an em dash).
    caption : str, optional
        A caption above the table.
    css : bool
        Include the ``<style>`` block (once per page is enough).

    Returns
    -------
    str
        An HTML fragment that fits a 1280 px page (cells wrap; width 100%).
    """
    df = frame.reset_index(drop=True).astype(object)
    df = df.where(df.notna(), DASH)
    df.columns = [display_text(c) for c in df.columns]
    df = df.map(display_text)
    styler = df.style.hide(axis="index").format(escape="html")
    styler = styler.format_index(escape="html", axis=1)  # headers may come from input data
    styler = styler.set_td_classes(df.map(lambda v: "num" if _NUMERIC_CELL.match(v) else ""))
    styler = styler.set_table_attributes('class="mlib-table"')
    styler.set_uuid("mlib")
    styler.cell_ids = False
    if caption:
        styler = styler.set_caption(html_lib.escape(scrub_paths(caption)))
    body = styler.to_html(doctype_html=False, exclude_styles=True)
    return (f"<style>{TABLE_CSS}</style>\n" if css else "") + body


#: Words of a column name that make it a fraction shown as a percent on a page.
#: (``with_assumptions_p05``: the team savings with the uncertain assumptions drawn too.)
_FRACTION_WORDS = frozenset({"growth", "share", "savings", "pct", "difference", "assumptions"})
#: Fractions whose sign matters (changes): shown signed (+12%).
_SIGNED_WORDS = frozenset({"growth", "difference"})


def percent_columns(columns: Sequence[str]) -> dict[str, bool]:
    """Return the columns shown as percents, each with whether it is signed.

    A column is a fraction when a word of its name says so (growth, share, savings, pct,
    difference); a bare ``ci_low``/``ci_high`` bounds the table's fraction when the table has
    one and no ratio or median beside it. Data files keep fractions; pages show percents.
    """
    cols = [str(c) for c in columns]
    out = {
        c: bool(_SIGNED_WORDS & set(c.split("_")))
        for c in cols
        if _FRACTION_WORDS & set(c.split("_"))
    }
    signed = any(out.values())
    # interval bounds (ci_low, share_ci_high, poisson_ci_low ...) bound the table's fraction:
    # shown like it, signed when it is a change
    bounds = [c for c in cols if "ci" in c.split("_")]
    if bounds and out and not any(w in c for c in cols for w in ("ratio", "median")):
        out.update({c: signed for c in bounds})
    return out


def tidy(
    frame: pd.DataFrame,
    columns: Sequence[str] | None = None,
    names: Mapping[str, str] | None = None,
) -> pd.DataFrame:
    """Return a DataFrame for people: chosen columns, human names, text cells, no index.

    Fractions of growth, shares and savings are percents (:func:`percent_columns`); other
    numbers get 3 significant digits, counts thousands separators, missing values an em dash,
    booleans yes/no, lists a comma list; absolute paths are cut to file names.
    """
    d = frame if columns is None else frame[[c for c in columns if c in frame.columns]]
    percent = percent_columns(list(d.columns))

    def cells(c: str) -> list[str]:
        if c not in percent:
            return [_cell(v) for v in d[c].tolist()]
        return [
            pct(v, signed=percent[c]) if _num(v) is not None else _cell(v) for v in d[c].tolist()
        ]

    out = pd.DataFrame({(names or {}).get(c, human_name(c)): cells(c) for c in d.columns})
    return out.reset_index(drop=True)


class Table:
    """A table shown for people in HTML (no index, human names) and as plain text.

    The text form (what nbval compares) is the same formatted table, so the stored baselines
    still catch a changed number at the precision shown.
    """

    def __init__(
        self,
        frame: pd.DataFrame,
        columns: Sequence[str] | None = None,
        names: Mapping[str, str] | None = None,
        caption: str | None = None,
    ) -> None:
        self.frame = tidy(frame, columns, names)
        self.caption = caption

    def _repr_html_(self) -> str:
        return to_html(self.frame, caption=self.caption)

    def __repr__(self) -> str:
        if self.frame.empty:
            return "(no rows)"
        return self.frame.to_string(index=False)


def table(
    frame: pd.DataFrame | None,
    columns: Sequence[str] | None = None,
    names: Mapping[str, str] | None = None,
    caption: str | None = None,
    empty: str = "(no rows)",
) -> Any:
    """Return a :class:`Table` to display as a notebook cell's last value.

    A missing or empty table shows ``empty`` instead (a sentence saying why), never a crash.
    """
    if frame is None or frame.empty:
        from IPython.display import Markdown

        return Markdown(f"*{empty}*")
    return Table(frame, columns, names, caption)


def show(frame: pd.DataFrame, caption: str | None = None) -> Any:
    """Display a formatted table in a notebook (an ``IPython.display.HTML`` object)."""
    from IPython.display import HTML

    return HTML(to_html(frame, caption=caption))


def image_data_uri(path: str | os.PathLike[str]) -> str:
    """Return an image file as a ``data:`` URI (PNG, JPEG, SVG, GIF...)."""
    p = Path(path)
    mime = mimetypes.guess_type(p.name)[0] or "application/octet-stream"
    return f"data:{mime};base64,{base64.b64encode(p.read_bytes()).decode('ascii')}"


_REMOTE = r"(?:https?:)?//"


_REMOTE_SCRIPT = re.compile(
    rf"<script\b[^>]*\bsrc\s*=\s*[\"']?{_REMOTE}[^>]*>.*?</script\s*>", re.I | re.S
)


_REMOTE_LINK = re.compile(rf"<link\b[^>]*\bhref\s*=\s*[\"']?{_REMOTE}[^>]*>", re.I)


_SCRIPT_BLOCK = re.compile(r"<script\b[^>]*>(.*?)</script\s*>", re.I | re.S)


_STYLE_BLOCK = re.compile(r"<style\b[^>]*>(.*?)</style\s*>", re.I | re.S)


_IMPORT_REMOTE = re.compile(rf"\bimport\s*\(?\s*[\"'`]{_REMOTE}", re.I)


_CSS_REMOTE = re.compile(rf"(?:@import\s+(?:url\()?|url\()\s*[\"']?{_REMOTE}[^\"')\s;]*", re.I)


_SRC_ATTR = re.compile(
    rf"<(img|script|iframe|source|video|audio|embed|input|track)\b[^>]*?\b(?:src|poster)"
    rf"\s*=\s*[\"']?({_REMOTE}[^\"'\s>]*)",
    re.I,
)


_LINK_ATTR = re.compile(rf"<link\b[^>]*?\bhref\s*=\s*[\"']?({_REMOTE}[^\"'\s>]*)", re.I)


_LOCAL_IMG = re.compile(r"(<img\b[^>]*?\bsrc\s*=\s*)([\"'])(?!data:|https?:|//)([^\"']+)\2", re.I)


_CSS_COMMENT = re.compile(r"/\*.*?\*/", re.S)


_JS_LINE_COMMENT = re.compile(r"(?m)^\s*//.*$")


def remote_fetches(html: str | os.PathLike[str]) -> list[str]:
    """Return what an HTML document would fetch from the network when opened.

    Looks at ``src``/``poster`` of script, img, iframe and media tags, ``<link href>``, CSS
    ``url(...)``/``@import`` in style blocks and ``import("http...")`` in scripts. Plain
    links (``<a href>``) and URLs inside comments or string constants are not fetches.

    Parameters
    ----------
    html : str or PathLike
        The HTML text, or the path of an HTML file.

    Returns
    -------
    list of str
        The remote references found (empty: the document is self-contained).
    """
    text = (
        Path(html).read_text(encoding="utf-8")
        if isinstance(html, os.PathLike)
        or (isinstance(html, str) and "<" not in html and Path(html).exists())
        else str(html)
    )
    found = [m.group(2) for m in _SRC_ATTR.finditer(text)]
    found += [m.group(1) for m in _LINK_ATTR.finditer(text)]
    for m in _STYLE_BLOCK.finditer(text):
        found += [x.group(0) for x in _CSS_REMOTE.finditer(_CSS_COMMENT.sub("", m.group(1)))]
    for m in _SCRIPT_BLOCK.finditer(text):
        code = _JS_LINE_COMMENT.sub("", _CSS_COMMENT.sub("", m.group(1)))
        found += [x.group(0) for x in _IMPORT_REMOTE.finditer(code)]
    return found


def _strip_remote(text: str) -> str:
    text = _REMOTE_SCRIPT.sub("", text)
    text = _REMOTE_LINK.sub("", text)

    def script(m: re.Match[str]) -> str:
        return "" if _IMPORT_REMOTE.search(m.group(1)) else m.group(0)

    text = _SCRIPT_BLOCK.sub(script, text)

    def style(m: re.Match[str]) -> str:
        return _CSS_REMOTE.sub("url(data:,", m.group(0))

    return _STYLE_BLOCK.sub(style, text)


#: Every published page forbids scripts and any image that is not inlined in the page itself.
CSP_META = (
    '<meta http-equiv="Content-Security-Policy" content="default-src \'none\'; '
    "img-src data:; style-src 'unsafe-inline'; font-src data:\">"
)


_IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".gif", ".svg", ".webp")


def self_contain(
    html_path: str | os.PathLike[str],
    out: str | os.PathLike[str] | None = None,
    root: str | os.PathLike[str] | None = None,
) -> Path:
    """Make an HTML file self-contained: local images inlined, no fetch from the internet.

    Local ``<img src="...">`` files under ``root`` (default: the folder above the page's, the
    run folder) become data URIs, and any other local image reference is emptied; remote
    ``<script src>`` (nbconvert's require.js and MathJax), remote ``<link href>``, scripts that
    ``import()`` remote modules (nbconvert's mermaid loader) and remote CSS ``url()``/``@import``
    are removed; a small CSS keeps wide notebook outputs inside the page width. Absolute paths
    of this machine are not touched here (see :func:`scrub_paths`).

    Parameters
    ----------
    html_path : str or PathLike
        The HTML file.
    out : str or PathLike, optional
        Where to write the result (default: in place).

    Returns
    -------
    pathlib.Path
        The written file. LaTeX in markdown is left as text (MathJax is not bundled).
    """
    src = Path(html_path)
    text = src.read_text(encoding="utf-8")

    home = Path(root).resolve() if root is not None else src.parent.parent.resolve()

    def inline(m: re.Match[str]) -> str:
        p = (src.parent / html_lib.unescape(m.group(3))).resolve()
        # only an image the run itself wrote under its own folder; anything else is dropped
        if not (p.is_file() and p.is_relative_to(home) and p.suffix.lower() in _IMAGE_SUFFIXES):
            return f"{m.group(1)}{m.group(2)}{m.group(2)}"
        return f"{m.group(1)}{m.group(2)}{image_data_uri(p)}{m.group(2)}"

    text = _LOCAL_IMG.sub(inline, text)
    text = _strip_remote(text)
    if CSP_META not in text:  # no script runs and no image loads from outside the page
        text = (
            re.sub(r"<head(\s[^>]*)?>", lambda m: m.group(0) + CSP_META, text, count=1, flags=re.I)
            if re.search(r"<head(\s[^>]*)?>", text, re.I)
            else CSP_META + text
        )
    if "mlib-notebook-css" not in text and "jp-" in text:
        tag = f'<style id="mlib-notebook-css">{NOTEBOOK_CSS}</style>'
        text = (
            re.sub(r"</head\s*>", lambda _: tag + "</head>", text, count=1, flags=re.I)
            if re.search(r"</head\s*>", text, re.I)
            else tag + text
        )
    dst = Path(out) if out is not None else src
    dst.parent.mkdir(parents=True, exist_ok=True)
    dst.write_text(text, encoding="utf-8")
    return dst


def escape_markdown_outputs(nb: Any) -> None:
    """Make every Markdown output of ``nb`` inert (in place): no HTML, link, image, control.

    Markdown outputs are generated sentences that may quote input data (group names, file
    names, notes, a previous run's values); Markdown lets raw HTML, links and images through,
    so they are neutralised here, once, at the page boundary
    (:func:`marketlib.sanitize.inert_markdown`). marketlib's own Markdown uses none of them.
    """
    for cell in nb.cells:
        for out in cell.get("outputs", []):
            data = out.get("data", {})
            if "text/markdown" in data:
                text = data["text/markdown"]
                text = "".join(text) if isinstance(text, list) else str(text)
                data["text/markdown"] = inert_markdown(text)


_TD = re.compile(r"<td>(.*?)</td>", re.S)
_TAG = re.compile(r"<[^>]+>")


def align_cells(page: str) -> str:
    """Mark table cells that read as numbers (``class="num"``: right-aligned); text stays left.

    The exported page drops the tables' own classes, and JupyterLab's stylesheet aligns every
    cell right: long words then read ragged-left.
    """

    def cell(m: re.Match[str]) -> str:
        text = html_lib.unescape(_TAG.sub("", m.group(1))).strip()
        return f'<td class="num">{m.group(1)}</td>' if _NUMERIC_CELL.match(text) else m.group(0)

    return _TD.sub(cell, page)


def _first_heading(nb: Any) -> str | None:
    """Return the page's first level-1 heading.

    A markdown cell's, or a Markdown output's (a title computed from the run).
    """
    for c in nb.cells:
        texts = (
            [c.source]
            if c.cell_type == "markdown"
            else [o.get("data", {}).get("text/markdown", "") for o in c.get("outputs", [])]
        )
        for text in texts:
            text = "".join(text) if isinstance(text, list) else str(text)
            for ln in text.splitlines():
                if ln.startswith("# "):
                    return ln[2:].strip()
    return None


def notebook_to_html(
    notebook: str | os.PathLike[str],
    html_path: str | os.PathLike[str],
    parameters: Mapping[str, Any] | None = None,
) -> Path:
    """Render an executed notebook as one self-contained HTML file, code hidden.

    Uses nbconvert's ``HTMLExporter`` with ``embed_images=True`` (markdown images inlined) and
    no input cells or prompts, shows the run's parameters first as a compact table (paths
    made project-relative), then applies :func:`self_contain` (no require.js/MathJax/mermaid
    from a CDN).

    Parameters
    ----------
    notebook : str or PathLike
        The executed ``.ipynb``.
    html_path : str or PathLike
        The HTML file to write.
    parameters : dict, optional
        The parameters the notebook ran with.

    Returns
    -------
    pathlib.Path
        The HTML file.
    """
    import nbformat
    from nbconvert import HTMLExporter

    nb_path = Path(notebook)
    nb = nbformat.read(nb_path, as_version=4)
    escape_markdown_outputs(nb)
    if parameters:  # at the end of the page, never before its title; no run-folder paths
        shown = {
            k: v for k, v in dict(parameters).items() if k not in ("results_path", "figures_dir")
        }
        rows = [{"Parameter": k, "Value": v} for k, v in _flatten("", shown)]
        table = to_html(rows_frame(rows, ["Parameter", "Value"]), caption="Parameters of this run")
        nb.cells.append(nbformat.v4.new_markdown_cell(table))
    exporter = HTMLExporter(
        exclude_input=True, exclude_input_prompt=True, exclude_output_prompt=True, embed_images=True
    )
    body, _ = exporter.from_notebook_node(
        nb, resources={"metadata": {"path": str(nb_path.parent), "name": nb_path.stem}}
    )
    title = _first_heading(nb) or nb_path.stem
    body = align_cells(body)
    body = re.sub(
        r"<title>.*?</title>",
        lambda _: f"<title>{html_lib.escape(title)}</title>",
        body,
        count=1,
        flags=re.S,
    )
    out = Path(html_path)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(body, encoding="utf-8")
    return self_contain(out)
