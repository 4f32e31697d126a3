"""What a run leaves: results.json (merged, validated), the index, the PDF, the README."""

from __future__ import annotations

import json
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

from marketlib import __version__
from marketlib.brief import write_brief
from marketlib.changes import changes_since
from marketlib.params import ReportParams
from marketlib.paths import PACKAGE_DATA, project_root
from marketlib.publish import CSP_META, write_pdf
from marketlib.results_view import SCHEMA_VERSION
from marketlib.sanitize import inert_markdown_text, one_line
from marketlib.sections.base import save_json
from marketlib.sections.regional_hooks import hong_kong_sentence
from marketlib.sections.registry import SECTIONS
from marketlib.sections.summary import key_findings
from marketlib.sources import atomic_write_bytes


def merge_results(
    params: ReportParams,
    data: dict[str, Any],
    out: Path,
    started: str,
    previous: Path | None = None,
) -> dict[str, Any]:
    """Merge the notebooks' results into one results.json and validate it against the schema."""
    res = out / "results"

    def read(name: str) -> Any:
        p = res / f"{name}.json"
        return json.loads(p.read_text()) if p.exists() else None

    merged: dict[str, Any] = {
        "run": {
            "schema_version": SCHEMA_VERSION,
            "started": started,
            "as_of": params.run_date().isoformat(),
            "params": params.to_dict(),
            "inputs": data["inputs"],
            "skipped": data.get("skipped", {}),
            "rates_source": data.get("rates_source"),
            "notes": data.get("notes", []),
            "coverage": data.get("coverage", {}),
            "article": data.get("article", {}),
            "provenance": data.get("provenance", []),
            "marketlib_version": __version__,
            "python": sys.version.split()[0],
        }
    }
    for spec in SECTIONS:
        doc = read(spec.name)
        merged.update(spec.merge(doc) if spec.merge else {spec.key: doc})
    merged.update(
        {
            "cleaning": {
                k: {f: v[f] for f in ("rows_in", "rows_clean", "rows_rejected", "reasons")}
                for k, v in data["clean_reports"].items()
            }
        }
    )
    merged["changes"] = None  # the first run has nothing to compare with
    if previous is not None:
        try:
            merged["changes"] = changes_since(merged, compare_to=previous)
        except Exception as exc:  # a previous run's odd values never break the new run
            note = (
                f"the previous run {previous} could not be compared "
                f"({type(exc).__name__}: {str(exc)[:160]})"
            )
            merged["run"]["notes"] = [*merged["run"].get("notes", []), note]
            print(f"marketlib: warning: {note}", file=sys.stderr)
    validate_results(merged)
    save_json(merged, out / "results.json")
    return merged


def validate_results(results: dict[str, Any]) -> None:
    """Validate a results.json document against the committed JSON Schema."""
    import jsonschema

    schema = json.loads((PACKAGE_DATA / "results.schema.json").read_text())
    jsonschema.validate(results, schema)


def page_title(path: Path) -> str:
    """Return a page's own title (its ``<title>``), else its file name."""
    import re

    m = re.search(r"<title>(.*?)</title>", path.read_text(encoding="utf-8", errors="replace"), re.S)
    return m.group(1).strip() if m else path.stem


def write_run_index(out: Path, results: dict[str, Any]) -> Path:
    """Write ``index.html`` of one run: every page with its title, the tables and the data."""
    import html

    esc = html.escape
    pages = sorted((out / "html").glob("*.html"), key=lambda p: p.name != "market_report.html")
    items = "".join(
        f'<li><a href="html/{esc(p.name, quote=True)}">{esc(page_title(p))}</a></li>' for p in pages
    )
    tables = sorted((out / "tables").glob("*")) if (out / "tables").is_dir() else []
    tlinks = "".join(
        f'<li><a href="tables/{esc(t.name, quote=True)}">{esc(t.name)}</a></li>' for t in tables
    )
    as_of = esc(str(results.get("run", {}).get("as_of", "")))

    body = (
        f'<!DOCTYPE html><html lang="en"><head><meta charset="utf-8">{CSP_META}'
        f'<title>marketlib report {as_of}</title></head><body style="font-family:'
        f'system-ui,sans-serif;max-width:900px;margin:2em auto"><h1>marketlib report, '
        f"as of {as_of}</h1><h2>Pages</h2><ul>{items}</ul><h2>Tables (CSV, Excel)</h2>"
        f'<ul>{tlinks}</ul><h2>Data</h2><ul><li><a href="results.json">results.json'
        '</a></li><li><a href="market_report.pdf">market_report.pdf</a> (when printed)'
        "</li></ul></body></html>\n"
    )
    atomic_write_bytes(out / "index.html", body.encode("utf-8"))
    return out / "index.html"


def finish_summary(out: Path, results: dict[str, Any], say: Callable[[str], None]) -> str:
    """Write the brief (html/brief.html) and print it to PDF, or say why not."""
    if not (out / "html" / "market_report.html").exists():
        return ""
    brief = write_brief(results, out)
    result = write_pdf(brief, out / "market_report.pdf")
    return result.message


README_START, README_END = "<!-- report:start -->", "<!-- report:end -->"


def headline_markdown(results: dict[str, Any], figure: str) -> str:
    """Return the README's generated section: a figure and the headline numbers."""
    lines = [
        README_START,
        "",
        f"*Generated by `make headline` (params/pinned.yaml) for as_of "
        f"{results['run']['as_of']}; do not edit by hand.*",
        "",
        f"![ratios]({figure})",
        "",
    ]
    if results.get("regional"):
        lines[-1:-1] = ["", "![regional growth](docs/regional_growth.png)"]

    lines += [f"- {inert_markdown_text(one_line(s))}" for s in key_findings(results)]
    hk = hong_kong_sentence(results)
    if hk:
        lines.append(f"- Composition: {inert_markdown_text(one_line(hk))}")
    lines += ["", README_END]
    return "\n".join(lines)


def update_readme_section(results: dict[str, Any], out_dir: Path) -> None:
    """Replace the README's generated section and copy its figure to ``docs/``."""
    root = project_root()
    docs = root / "docs"
    docs.mkdir(exist_ok=True)
    for name in ("arbitrage_ratios.png", "regional_growth.png"):
        fig = out_dir / "figures" / name
        if fig.exists():
            (docs / name).write_bytes(fig.read_bytes())
    readme = root / "README.md"
    text = readme.read_text(encoding="utf-8")
    if README_START not in text or README_END not in text:
        return
    head, rest = text.split(README_START, 1)
    _, tail = rest.split(README_END, 1)
    readme.write_text(
        head + headline_markdown(results, "docs/arbitrage_ratios.png") + tail, encoding="utf-8"
    )
