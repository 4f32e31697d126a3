"""Real-browser tests: Playwright (PyPI) driving the system's Chromium.

Playwright's own browser download cannot work here, so the tests launch the Chromium from the
system packages (``apt-get install chromium``; ``.ci/run`` installs it) through
``executable_path``. Under CI (``CI`` set) a missing Chromium or Playwright is a failure,
never a skip. Screenshots go to ``tests/artifacts/`` (git-ignored); their paths are printed and
reported as a warning so they appear in the test log.
"""

from __future__ import annotations

import json
import os
import secrets
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
import warnings
from pathlib import Path
from typing import Any

import nbformat
import pytest
from pages import developer_words, pdf_is_legible

from marketlib import publish, sections

pytestmark = pytest.mark.browser

ROOT = Path(__file__).resolve().parents[1]
ARTIFACTS = ROOT / "tests" / "artifacts"
WIDTH = 1280


def _need(msg: str) -> None:
    if os.environ.get("CI"):
        pytest.fail(f"{msg} (CI: browser tests must run; .ci/run installs it)")
    pytest.skip(msg)


@pytest.fixture(scope="module")
def browser():
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        _need("playwright is not installed (it is in requirements.lock)")
    exe = publish.find_chromium()
    if exe is None:
        _need(publish.NO_CHROMIUM.replace("PDF skipped: ", ""))
    with sync_playwright() as pw:
        b = pw.chromium.launch(
            executable_path=exe,
            args=[
                a
                for a in publish.CHROMIUM_FLAGS
                if a not in ("--headless", "--no-pdf-header-footer")
            ],
        )
        yield b
        b.close()


def _artifact(name: str) -> Path:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    ignore = ARTIFACTS / ".gitignore"
    if not ignore.exists():
        ignore.write_text("*\n")
    return ARTIFACTS / name


def _report_screenshot(path: Path) -> None:
    print(f"screenshot: {path}")
    warnings.warn(f"screenshot written: {path}", UserWarning, stacklevel=2)


def _results() -> dict:
    env = os.environ.get("MARKETLIB_RESULTS")
    if env and Path(env).is_file():
        return json.loads(Path(env).read_text())
    sys.path.insert(0, str(Path(__file__).parent))
    from test_publish import small_results

    return small_results()


def _figure(tmp_path: Path) -> Path:
    committed = ROOT / "docs" / "arbitrage_ratios.png"
    if committed.is_file():
        return committed
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(10, 4), dpi=100)
    ax.barh(["Eastern Europe", "Latin America"], [0.40, 0.48])
    ax.set_title("A comparable specialist earns 40-48% of North American pay")
    out = tmp_path / "figure.png"
    fig.savefig(out)
    plt.close(fig)
    return out


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _serve_lab(tmp_path: Path, root: Path):
    """Start a token-protected JupyterLab on 127.0.0.1 serving ``root``; terminals off.

    User settings and workspaces live in ``tmp_path``; the venv's own settings (make install:
    ``.py`` notebooks open as notebooks) and kernels apply as in ``make lab``.
    """
    port, token = _free_port(), secrets.token_hex(16)
    env = {
        **os.environ,
        "PYTHONHASHSEED": "0",
        "JUPYTER_CONFIG_DIR": str(tmp_path / "config"),
        "JUPYTERLAB_SETTINGS_DIR": str(tmp_path / "settings"),
        "JUPYTERLAB_WORKSPACES_DIR": str(tmp_path / "workspaces"),
        "JUPYTER_RUNTIME_DIR": str(tmp_path / "runtime"),
    }
    cmd = [
        sys.executable,
        "-m",
        "jupyter",
        "lab",
        "--no-browser",
        "--ip=127.0.0.1",
        f"--port={port}",
        f"--IdentityProvider.token={token}",
        f"--ServerApp.root_dir={root}",
        "--ServerApp.terminals_enabled=False",
        "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate",
        "--LabApp.news_url=None",
    ]
    if os.geteuid() == 0:
        cmd.append("--allow-root")  # only inside this test: CI runs as root
    log = (tmp_path / "lab.log").open("w")
    proc = subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT, env=env)
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(240):
            try:
                urllib.request.urlopen(f"{base}/api/status?token={token}", timeout=1)
                break
            except OSError:
                if proc.poll() is not None:
                    break
                time.sleep(0.25)
        else:
            pytest.fail("jupyter lab did not start")
        if proc.poll() is not None:
            pytest.fail("jupyter lab exited: " + (tmp_path / "lab.log").read_text()[-2000:])
        yield base, token, root
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
        log.close()
        shutil.rmtree(root / ".ipynb_checkpoints", ignore_errors=True)


@pytest.fixture
def lab(tmp_path):
    """JupyterLab serving a tiny notebook."""
    root = tmp_path / "lab"
    root.mkdir()
    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {
        "name": "python3",
        "display_name": "Python 3",
        "language": "python",
    }
    nb.cells = [
        nbformat.v4.new_code_cell(
            "import marketlib\nfrom marketlib import publish\nprint('pct', publish.pct(0.4))"
        ),
        nbformat.v4.new_code_cell("publish.ratio_ci(0.3977, 0.37, 0.4275)"),
        nbformat.v4.new_code_cell("sum(range(10)) * 2"),
    ]
    nbformat.write(nb, root / "tiny.ipynb")
    yield from _serve_lab(tmp_path, root)


@pytest.fixture
def project_lab(tmp_path):
    """JupyterLab on a copy of the project's notebooks (their data beside them, as in the
    repository), so running and autosaving never touch the committed notebooks."""
    (tmp_path / "project").mkdir()
    shutil.copytree(ROOT / "notebooks", tmp_path / "project" / "notebooks")
    (tmp_path / "project" / "data").symlink_to(ROOT / "data")
    yield from _serve_lab(tmp_path, tmp_path / "project" / "notebooks")


def test__jupyterlab_runs_all_cells_through_the_ui(browser, lab):
    base, token, _ = lab
    with pytest.raises(urllib.error.HTTPError) as err:  # the token is required
        urllib.request.urlopen(f"{base}/api/contents", timeout=5)
    assert err.value.code == 403
    req = urllib.request.Request(
        f"{base}/api/terminals", headers={"Authorization": f"token {token}"}
    )
    with pytest.raises(urllib.error.HTTPError):  # terminals disabled: no such endpoint
        urllib.request.urlopen(req, timeout=5)

    page = browser.new_page(viewport={"width": WIDTH, "height": 900})
    page.set_default_timeout(45_000)
    page.goto(f"{base}/lab/tree/tiny.ipynb?token={token}")
    page.locator(".jp-Notebook .jp-Cell").first.wait_for()
    # the kernel is up when the status shows Idle
    page.locator(".jp-Notebook").first.click()
    page.wait_for_function(
        "() => document.querySelectorAll('.jp-Notebook .jp-CodeCell').length === 3"
    )
    _run_all_and_wait(page, 3)  # once the kernel is idle (a loaded machine starts it slowly)
    page.get_by_text("90", exact=True).wait_for()
    outputs = page.locator(".jp-Notebook .jp-OutputArea-output").all_inner_texts()
    text = "\n".join(outputs)
    assert "pct 40%" in text
    assert "0.40 (0.37-0.43)" in text
    assert "90" in outputs[-1]
    assert (
        page.locator(".jp-Notebook [data-mime-type='application/vnd.jupyter.stderr']").count() == 0
    )
    assert "Traceback" not in text and "Error" not in text
    shot = _artifact("jupyterlab_run_all.png")
    page.screenshot(path=str(shot))
    _report_screenshot(shot)
    page.close()


def _run_all_and_wait(page: Any, cells: int, attempts: int = 3) -> None:
    """Run every cell from the Run menu once the kernel is idle (the notebook's execution
    indicator); wait until each code cell has an execution count.

    A click that lands while JupyterLab is still settling can be lost (seen once in CI: the
    cells never ran); the menu is clicked again, at most ``attempts`` times, before failing.
    """
    from playwright.sync_api import TimeoutError as PlaywrightTimeout

    page.wait_for_selector(".jp-Notebook-ExecutionIndicator[data-status='idle']", timeout=180_000)
    for attempt in range(1, attempts + 1):
        page.locator(".lm-MenuBar-item", has_text="Run").first.click()
        page.locator(
            ".lm-Menu-item:not(.lm-mod-disabled)",
            has=page.locator(".lm-Menu-itemLabel", has_text="Run All Cells"),
        ).first.click()
        try:
            page.wait_for_function(
                "n => { const p = Array.from(document.querySelectorAll('.jp-Notebook "
                ".jp-CodeCell .jp-InputArea-prompt')); return p.length === n && "
                "p.every(x => /\\[\\d+\\]/.test(x.textContent)); }",
                arg=cells,
                timeout=120_000,
            )
            return
        except PlaywrightTimeout:
            if attempt == attempts:
                raise
            page.keyboard.press("Escape")  # close a menu left open, then click again


@pytest.mark.realdata
def test__jupyterlab_opens_a_py_notebook_with_the_project_kernel_and_runs_it(browser, project_lab):
    """Issue 32, item 9: the paired ``.py`` opens as a notebook (jupytext, the default viewer
    ``make install`` sets), its kernel is "marketlib (project)", and every cell runs."""
    import jupytext

    base, token, root = project_lab
    src = root / "certification_growth.py"
    code_cells = sum(c.cell_type == "code" for c in jupytext.read(src).cells)
    page = browser.new_page(viewport={"width": WIDTH, "height": 900})
    page.set_default_timeout(60_000)
    page.goto(f"{base}/lab/tree/certification_growth.py?token={token}")
    page.locator(".jp-Notebook .jp-Cell").first.wait_for()  # a notebook, not a text editor
    assert page.locator(".jp-FileEditor").count() == 0
    page.get_by_text("marketlib (project)").first.wait_for()  # the toolbar's kernel name
    page.locator(".jp-Notebook").first.click()
    _run_all_and_wait(page, code_cells)
    errors = page.locator(
        ".jp-Notebook [data-mime-type='application/vnd.jupyter.stderr'], "
        ".jp-Notebook .jp-RenderedText[data-mime-type="
        "'application/vnd.jupyter.error']"
    )
    text = "\n".join(page.locator(".jp-Notebook .jp-OutputArea-output").all_inner_texts())
    assert "Traceback" not in text and "Error" not in text, text[-2000:]
    assert errors.count() == 0
    assert "growth results for 1 group(s)" in text  # the last cell's line, computed now
    shot = _artifact("jupyterlab_py_notebook.png")
    page.screenshot(path=str(shot))
    _report_screenshot(shot)
    page.close()


@pytest.mark.realdata
def test__default_report_end_to_end_reads_as_a_brief(browser, tmp_path, shared_data, monkeypatch):
    """The default report on the real data: every page clean, the summary page in Chromium."""
    import re

    from marketlib.cli import main

    monkeypatch.setenv("MARKETLIB_MIRROR", str(shared_data))
    out = tmp_path / "report"
    # a hostile earlier run beside it: markup and a local file in a value the page shows
    hostile = tmp_path / "2020-01-01"
    hostile.mkdir()
    evil = '2020-01-01<script>window.__pwned=1</script><img src="../../../../etc/passwd">'
    (hostile / "results.json").write_text(
        json.dumps(
            {
                "run": {
                    "as_of": evil,
                    "started": "x",
                    "params": {},
                    "inputs": {},
                    "marketlib_version": "0",
                },
                "growth": None,
                "arbitrage": None,
                "claims": None,
            }
        )
    )
    assert main(["report", "--out", str(out)]) == 0
    results = json.loads((out / "results.json").read_text())
    assert results["regional"] and all("EU" not in r["economies"] for r in results["regional"])
    assert {c["verdict"] for c in results["claims"]} >= {"not_supported_by_proxy"}
    assert results["run"]["provenance"]
    assert results["changes"]["previous"]["as_of"] == evil  # compared, shown as text only
    assert (out / "market_report.pdf").stat().st_size > 10_000
    bad = re.compile(r"\bNaN\b|\bNone\b|dtype:|Name: |/tmp/|/root/|/work/|/home/")
    for page in sorted((out / "html").glob("*.html")):
        text = re.sub(r"<(style|script)\b.*?</\1>", "", page.read_text(), flags=re.S)
        text = re.sub(r"data:[^\"')]+", "", text)  # embedded images
        found = bad.search(re.sub(r"<[^>]+>", " ", text))
        assert found is None, f"{page.name}: {found.group(0)!r}"
        assert publish.remote_fetches(page) == [], page.name

    page = browser.new_page(viewport={"width": WIDTH, "height": 900})
    errors: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.goto((out / "html" / "market_report.html").as_uri(), wait_until="load")
    scroll_width = page.evaluate("document.documentElement.scrollWidth")
    assert scroll_width <= WIDTH, f"horizontal overflow: {scroll_width} px > {WIDTH} px"
    images = page.evaluate("Array.from(document.images).map(i => [i.complete, i.naturalWidth])")
    assert len(images) >= 2 and all(done and w > 0 for done, w in images), images
    body = page.inner_text("body")
    for sentence in sections.key_findings(results)[:3]:
        assert sentence in body
    assert not errors, errors
    shot = _artifact("default_report_1280.png")
    page.screenshot(path=str(shot), full_page=True)
    _report_screenshot(shot)
    page.close()
    _pages_open_cite_and_print(browser, out)


def _pages_open_cite_and_print(browser: Any, out: Path) -> None:
    """Every page of the run: linked from its index, titled, no overflow at 1280 and 800 px,
    no script run and nothing loaded from outside the page; the PDF brief at most 4 pages with
    nothing outside its page box; a citation address for every source."""

    pages = sorted((out / "html").glob("*.html"))
    index = browser.new_page(viewport={"width": WIDTH, "height": 900})
    index.goto((out / "index.html").as_uri(), wait_until="load")
    links = index.evaluate("Array.from(document.links).map(a => a.getAttribute('href'))")
    assert {f"html/{p.name}" for p in pages} <= set(links), links
    index.close()
    for width in (WIDTH, 800):
        for path in pages:
            page = browser.new_page(viewport={"width": width, "height": 900})
            requests: list[str] = []
            dialogs: list[str] = []
            page.on("request", lambda r, rq=requests: rq.append(r.url))
            page.on("dialog", lambda d, dl=dialogs: (dl.append(d.message), d.dismiss()))
            page.goto(path.as_uri(), wait_until="load")
            assert page.title() and page.title() != path.stem, path.name
            assert page.evaluate("window.__pwned === undefined"), path.name  # no script ran
            assert not dialogs
            outside = [u for u in requests if not u.startswith("data:") and u != path.as_uri()]
            assert outside == [], (path.name, outside)
            sw = page.evaluate("document.documentElement.scrollWidth")
            assert sw <= width, f"{path.name}: {sw} px > {width} px"
            page.close()
    pdf_is_legible(out)
    assert (
        developer_words(
            out,
            [
                str(c.get("text", ""))
                for c in json.loads((out / "results.json").read_text())["claims"]
            ],
        )
        == []
    )
    brief = browser.new_page(viewport={"width": 698, "height": 1000})  # 8.27 in - margins
    brief.emulate_media(media="print")
    brief.goto((out / "html" / "brief.html").as_uri(), wait_until="load")
    assert brief.evaluate("document.documentElement.scrollWidth") <= 698
    wide = brief.evaluate(
        "Array.from(document.querySelectorAll('table, img, figure')).filter("
        "e => e.getBoundingClientRect().right > 698).length"
    )
    assert wide == 0
    sources = brief.inner_text("body").split("Sources", 1)[-1]
    assert sources.count("https://") >= 3  # every dataset cited with its address
    brief.close()
