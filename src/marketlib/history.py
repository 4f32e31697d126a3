"""A history of report runs: ``history.csv`` and an index page across every run of a folder.

``marketlib history [REPORTS_DIR]`` reads every run folder under ``REPORTS_DIR`` (a folder
holding ``results.json``; ``<as_of>.failed/`` folders are listed as failed, never charted)
and writes ``history.csv`` (one row per run and headline estimate) and ``index.html`` (every
run with its status and a link to its summary page, and a small chart per headline estimate
across runs, a change beyond uncertainty marked). Text from results files is escaped; the
charts are inline images the command draws itself.
"""

from __future__ import annotations

import base64
import html
import io
import json
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from marketlib.changes import z_score
from marketlib.publish import CSP_META
from marketlib.results_view import rows as _rows
from marketlib.sanitize import plain_text
from marketlib.sections.registry import SECTIONS
from marketlib.sources import atomic_write_bytes
from marketlib.sources.outputs import write_published_csv

#: Columns of history.csv (fractions, never percents).
HISTORY_COLUMNS = (
    "as_of",
    "run",
    "section",
    "key",
    "quantity",
    "value",
    "ci_low",
    "ci_high",
    "n",
    "data_snapshot",
)
#: Largest results.json read (bytes): a run folder is never trusted to be small.
MAX_RESULTS_BYTES = 64 << 20
MAX_CHARTS = 24
Z_CRITICAL = 1.96


@dataclass
class Run:
    """One run folder: its date, status and (when readable) results."""

    folder: Path
    as_of: str
    status: str  # ok | failed | unreadable
    results: dict[str, Any] | None = None
    problem: str = ""

    @property
    def summary_page(self) -> Path | None:
        """Return the run's summary page, when it has one."""
        for rel in ("index.html", "html/market_report.html"):
            if (self.folder / rel).is_file():
                return self.folder / rel
        return None


def _num(v: Any) -> float | None:
    if isinstance(v, bool) or not isinstance(v, int | float):
        return None
    f = float(v)
    return f if f == f and abs(f) != float("inf") else None


def read_runs(root: str | Path) -> list[Run]:
    """Return every run under ``root`` (sorted by as_of, then folder name)."""
    runs = []
    for folder in sorted(Path(root).iterdir()) if Path(root).is_dir() else []:
        if not folder.is_dir() or folder.name.startswith("."):
            continue
        if folder.name.endswith(".failed"):
            runs.append(Run(folder, folder.name.removesuffix(".failed"), "failed"))
            continue
        res = folder / "results.json"
        if not res.is_file():
            continue
        try:
            if res.stat().st_size > MAX_RESULTS_BYTES:
                raise ValueError("larger than 64 MiB")
            data = json.loads(res.read_text(encoding="utf-8"))
            if not isinstance(data, dict) or not isinstance(data.get("run"), Mapping):
                raise ValueError("no run section")
            as_of = str(data["run"].get("as_of") or folder.name)
        except (OSError, ValueError, RecursionError) as exc:
            runs.append(Run(folder, folder.name, "unreadable", problem=str(exc)[:200]))
            continue
        runs.append(Run(folder, as_of, "ok", data))
    return sorted(runs, key=lambda r: (r.as_of, r.folder.name))


def data_snapshot(results: Mapping[str, Any]) -> str:
    """Return the data versions a run used: each fetched dataset's commit, else its sha256."""
    run = results.get("run") or {}
    parts = []
    for p in _rows(run.get("provenance")):
        ref = p.get("commit") or p.get("ref") or p.get("sha256") or ""
        parts.append(f"{Path(str(p.get('path', ''))).name}@{str(ref)[:12]}")
    if not parts and isinstance(run.get("inputs"), Mapping):
        parts = [f"{Path(str(k)).name}@{str(v)[:12]}" for k, v in run["inputs"].items()]
    return "; ".join(parts)


def headline_estimates(results: Mapping[str, Any]) -> list[dict[str, Any]]:
    """Return a run's headline estimates: section, key, quantity, value, CI bounds, n."""
    out: list[dict[str, Any]] = []

    def add(section: str, key: str, quantity: str, value: Any, lo: Any, hi: Any, n: Any) -> None:
        out.append(
            {
                "section": section,
                "key": key,
                "quantity": quantity,
                "value": _num(value),
                "ci_low": _num(lo),
                "ci_high": _num(hi),
                "n": int(n) if _num(n) is not None else None,
            }
        )

    for spec in SECTIONS:
        for e in spec.history(results) if spec.history is not None else []:
            add(spec.key, e["key"], e["quantity"], e["value"], e["ci_low"], e["ci_high"], e["n"])
    return out


def history_frame(runs: list[Run]) -> Any:
    """Return history.csv's rows for the readable runs (a DataFrame)."""
    import pandas as pd

    rows = []
    for run in runs:
        if run.status != "ok" or run.results is None:
            continue
        snap = data_snapshot(run.results)
        for e in headline_estimates(run.results):
            rows.append({"as_of": run.as_of, "run": run.folder.name, **e, "data_snapshot": snap})
    return pd.DataFrame(rows, columns=list(HISTORY_COLUMNS))


def _z(a: Mapping[str, Any], b: Mapping[str, Any], quantity: str) -> float | None:
    scale = "log" if "ratio" in quantity else "log1p"
    return z_score(
        a["value"], (a["ci_low"], a["ci_high"]), b["value"], (b["ci_low"], b["ci_high"]), scale
    )


def y_limits(values: Any, lows: Any, highs: Any, floor: float = 0.05) -> tuple[float, float]:
    """Return a y-range that holds every point and interval, never tighter than ``floor``.

    ``floor``: the least span, as a fraction of the mean level, so that a one-point move is
    drawn as one point and not stretched into a cliff.
    """
    import numpy as np

    vals = np.asarray(values, dtype=float)
    pts = np.concatenate([vals, np.asarray(lows, dtype=float), np.asarray(highs, dtype=float)])
    pts = pts[np.isfinite(pts)]
    if not len(pts):
        return 0.0, 1.0
    lo, hi = float(pts.min()), float(pts.max())
    level = float(np.nanmean(np.abs(vals))) if np.isfinite(vals).any() else abs(hi)
    span = max(hi - lo, floor * max(level, 1e-9))
    mid = (lo + hi) / 2
    return mid - 0.55 * span, mid + 0.55 * span


def _chart(points: Any, title: str) -> str:
    """Return a small PNG (data URI) of one estimate across runs, changes beyond CI marked."""
    import matplotlib.pyplot as plt

    fig = history_figure(points, title)
    buf = io.BytesIO()
    fig.savefig(buf, format="png")
    plt.close(fig)
    return "data:image/png;base64," + base64.b64encode(buf.getvalue()).decode("ascii")


def history_figure(points: Any, title: str) -> Any:
    """Draw one estimate across runs: its intervals, honest axes, changes beyond CI marked.

    The y-range holds every interval and is never tighter than 5% of the level
    (:func:`y_limits`); tick labels take as many digits as the range needs (never two equal
    labels).
    """
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(4.2, 2.4), dpi=90)
    x = list(range(len(points)))
    vals = points["value"].to_numpy(dtype=float)
    lo = points["ci_low"].to_numpy(dtype=float)
    hi = points["ci_high"].to_numpy(dtype=float)
    err = [
        [v - low if low == low else 0 for v, low in zip(vals, lo, strict=True)],
        [high - v if high == high else 0 for v, high in zip(vals, hi, strict=True)],
    ]
    ax.errorbar(x, vals, yerr=err, fmt="o-", capsize=3, color="#1f77b4", lw=1)
    changed = points["changed"].to_numpy(dtype=bool)
    if changed.any():
        ax.scatter(
            [i for i, c in zip(x, changed, strict=True) if c],
            vals[changed],
            s=90,
            facecolors="none",
            edgecolors="#d62728",
            lw=1.5,
            zorder=3,
            label="change beyond uncertainty",
        )
        ax.legend(fontsize=7, frameon=False)
    ax.set_xticks(x, points["as_of"].tolist(), rotation=30, fontsize=7)
    ax.tick_params(axis="y", labelsize=7)
    from matplotlib.ticker import MaxNLocator, PercentFormatter

    ax.set_ylim(*y_limits(vals, lo, hi))
    ax.yaxis.set_major_locator(MaxNLocator(nbins=5))
    ax.yaxis.set_major_formatter(PercentFormatter(1.0, decimals=None))  # digits from range
    ax.set_xlim(-0.5, len(points) - 0.5)
    ax.set_title(title, fontsize=8)
    fig.tight_layout()
    return fig


#: What each tracked quantity is, in words (chart titles), from the sections that track it.
QUANTITY_WORDS = {q: words for spec in SECTIONS for q, words in spec.quantity_words.items()}


def charts(hist: Any) -> list[tuple[str, str]]:
    """Return (title, PNG data URI) per headline estimate seen in at least one run."""
    out = []
    order = {spec.key: i for i, spec in enumerate(SECTIONS)}
    groups = sorted(
        hist.groupby(["section", "key", "quantity"], sort=False),
        key=lambda kv: (order.get(kv[0][0], 9), kv[0][1], kv[0][2]),
    )
    for (_section, key, quantity), pts in groups[:MAX_CHARTS]:
        pts = pts.sort_values("as_of").reset_index(drop=True)
        recs = pts.to_dict("records")
        changed = [False] + [
            bool((z := _z(a, b, quantity)) is not None and abs(z) > Z_CRITICAL)
            for a, b in zip(recs, recs[1:], strict=False)
        ]
        pts = pts.assign(changed=changed)
        title = f"{key}: {QUANTITY_WORDS.get(quantity, quantity.replace('_', ' '))}"
        out.append((title, _chart(pts, title)))
    return out


def index_html(root: Path, runs: list[Run], hist: Any) -> str:
    """Return the history index page (self-contained; every text escaped)."""

    def esc(text: str, quote: bool = False) -> str:
        return html.escape(plain_text(text), quote=quote)

    rows = []
    for r in reversed(runs):
        page = r.summary_page
        link = (
            f'<a href="{esc(page.relative_to(root).as_posix(), quote=True)}">summary</a>'
            if page is not None and r.status == "ok"
            else ""
        )
        note = f" ({esc(r.problem)})" if r.problem else ""
        rows.append(
            f"<tr><td>{esc(r.as_of)}</td><td>{esc(r.folder.name)}</td>"
            f"<td>{esc(r.status)}{note}</td><td>{link}</td></tr>"
        )
    figs = (
        "".join(
            f'<figure><img alt="{esc(t, quote=True)}" src="{uri}"><figcaption>'
            f"{esc(t)}</figcaption></figure>"
            for t, uri in charts(hist)
        )
        if len(hist)
        else "<p>No readable run yet.</p>"
    )
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">{CSP_META}<title>marketlib report history</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<style>body{{font-family:system-ui,sans-serif;max-width:1100px;margin:1.5em auto;padding:0 1em}}
table{{border-collapse:collapse}}td,th{{padding:.25em .8em;border-bottom:1px solid #ddd;
text-align:left}}figure{{display:inline-block;margin:.4em;max-width:100%}}
img{{max-width:100%}}figcaption{{font-size:.8em;color:#444}}</style></head>
<body><h1>Report history</h1>
<p>{len(runs)} run(s) in this folder; estimates of each run with their intervals. A ringed
point changed beyond uncertainty since the run before it (z test on the two intervals,
|z| &gt; 1.96). Failed runs are listed, not charted. Data: <code>history.csv</code>.</p>
<table><thead><tr><th>as of</th><th>folder</th><th>status</th><th>page</th></tr></thead>
<tbody>{"".join(rows)}</tbody></table>
<h2>Headline estimates across runs</h2>{figs}</body></html>
"""


def write_history(root: str | Path) -> tuple[Path, Path, int]:
    """Write ``history.csv`` and ``index.html`` into ``root``; return them and the run count."""
    root = Path(root)
    runs = read_runs(root)
    hist = history_frame(runs)
    csv_path, html_path = root / "history.csv", root / "index.html"
    write_published_csv(hist, csv_path)
    atomic_write_bytes(html_path, index_html(root, runs, hist).encode("utf-8"))
    return csv_path, html_path, len(runs)
