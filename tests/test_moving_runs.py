"""Monthly runs that move: windows follow as_of, the deployed job, history, kernel retries."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

import pandas as pd
import pytest

from marketlib import params as mp
from marketlib import report, sections
from marketlib.clean.pipeline import clean_files
from marketlib.params import CleanParams, default_report_params

ROOT = Path(__file__).resolve().parents[1]
TODAY = datetime.now(UTC).date().isoformat()


# --- windows ------------------------------------------------------------------------------------


def test__params__latest_bounds_validated_and_year_strings_are_years():
    p = mp.RegionalParams.build({"start": "2022", "end": "latest"})
    assert p.start == 2022 and p.end == "latest"
    for bad in (
        {"start": "latest-x"},
        {"start": 1999},
        {"start": "latest", "end": "latest-1"},
        {"start": True},
    ):
        with pytest.raises(mp.ParamsError):
            mp.RegionalParams.build(bad)
    g = mp.GrowthParams.build({"start": "latest-2", "end": "latest"})
    assert (g.start, g.end) == ("latest-2", "latest")
    with pytest.raises(mp.ParamsError):
        mp.GrowthParams.build({"start": "latest", "end": "latest-2"})
    assert default_report_params().as_of is None  # the monthly job takes its run date


def test__resolve_years__latest_relative_clamped_and_refused():
    from marketlib.periods import resolve_years

    assert resolve_years("latest-2", "latest", [2020, 2021, 2022, 2023]) == (2021, 2023, [])
    s, e, notes = resolve_years(2022, 2024, [2020, 2021, 2022, 2023])
    assert (s, e) == (2022, 2023) and "clamped to 2023" in notes[0]
    with pytest.raises(ValueError, match="fewer than two complete years"):
        resolve_years(2023, 2025, [2020, 2021, 2022, 2023])


def _activity(shared_data: Path, as_of: str, tmp_path: Path) -> Path:
    files = [shared_data / "innovationgraph" / f for f in ("topics.csv", "developers.csv")]
    result, _, _ = clean_files(files, "innovationgraph", "activity", CleanParams(max_date=as_of))
    out = tmp_path / f"activity-{as_of}.parquet"
    result.clean.to_parquet(out)
    return out


@pytest.mark.realdata
@pytest.mark.parametrize("as_of", ["2024-06-30", "2024-07-31", "2025-04-21", TODAY])
def test__default_windows__end_inside_the_data_at_every_as_of(as_of, tmp_path, shared_data):
    defaults = default_report_params()
    table = _activity(shared_data, as_of, tmp_path)
    reg = sections.run_regional(
        defaults.regional.model_copy(update={"counts_path": str(table)}), as_of=as_of
    )
    last_complete = max(pd.Timestamp(as_of).year - 1, 2020)
    if pd.Timestamp(as_of) >= pd.Timestamp(f"{pd.Timestamp(as_of).year}-12-31"):
        last_complete += 1
    data_years = sorted({int(p[:4]) for p in pd.read_parquet(table)["period"]})
    assert reg.params.end <= min(last_complete, data_years[-1])
    assert reg.params.end - reg.params.start == 2
    quarters = reg.growth.growth["to"].astype(str)
    assert all(q[:4] <= as_of[:4] for q in quarters)
    certs = ROOT / "data" / "processed" / "certifications.parquet"
    grw = sections.run_growth(
        defaults.growth.model_copy(update={"counts_path": str(certs)}), as_of=as_of
    )
    assert int(grw.params.end) < int(as_of[:4])  # a complete year before as_of
    assert len(grw.fit.period)


# --- kernel retries -----------------------------------------------------------------------------


class _FakePapermill:
    def __init__(self, first: BaseException | None, second: BaseException | None = None):
        self.errors = [first, second]
        self.calls = 0

    def __call__(self, src, dst, **kwargs):
        self.calls += 1
        err = self.errors[self.calls - 1] if self.calls <= 2 else None
        if err is not None:
            raise err
        Path(dst).write_text(
            json.dumps({"cells": [], "metadata": {}, "nbformat": 4, "nbformat_minor": 4})
        )


def test__kernel_start_failure__one_retry_with_a_fresh_kernel(tmp_path, monkeypatch):
    import papermill as pm
    import zmq

    fake = _FakePapermill(zmq.error.ZMQError(98, "Address already in use"))
    monkeypatch.setattr(pm, "execute_notebook", fake)
    monkeypatch.setattr("marketlib.report.notebooks.notebook_to_html", lambda *a, **k: None)
    step = report.execute_notebook("claims_audit", {}, tmp_path, 60)
    assert step.status == "ok" and fake.calls == 2


def test__kernel_start_failure_twice__reported_not_retried_again(tmp_path, monkeypatch):
    import papermill as pm

    err = RuntimeError("Kernel died before replying to kernel_info")
    fake = _FakePapermill(err, RuntimeError("Kernel died before replying to kernel_info"))
    monkeypatch.setattr(pm, "execute_notebook", fake)
    step = report.execute_notebook("claims_audit", {}, tmp_path, 60)
    assert step.status == "failed" and fake.calls == 2 and "kernel_info" in step.message


def test__kernel_dead_at_start__retried_though_papermill_marked_cells_completed(
    tmp_path, monkeypatch
):
    """The CI failure of stop 25: the kernel died on a port clash, papermill then marked
    every pending cell "completed" (no execution count) and the run was not retried."""
    import papermill as pm
    from nbclient.exceptions import DeadKernelError

    marked = {
        "cell_type": "code",
        "execution_count": None,
        "outputs": [],
        "source": "x",
        "metadata": {"papermill": {"status": "completed", "duration": None}},
    }

    class Dies(_FakePapermill):
        def __call__(self, src, dst, **kwargs):
            if self.calls == 0:
                Path(dst).write_text(
                    json.dumps(
                        {"cells": [marked] * 3, "metadata": {}, "nbformat": 4, "nbformat_minor": 4}
                    )
                )
            return super().__call__(src, dst, **kwargs)

    fake = Dies(DeadKernelError("Kernel died"))
    monkeypatch.setattr(pm, "execute_notebook", fake)
    monkeypatch.setattr("marketlib.report.notebooks.notebook_to_html", lambda *a, **k: None)
    assert report.execute_notebook("claims_audit", {}, tmp_path, 60).status == "ok"
    assert fake.calls == 2


def test__kernels_talk_over_ipc_sockets_in_a_private_folder_and_are_stopped(tmp_path):
    import nbformat
    import papermill as pm

    from marketlib.report.notebooks import ipc_kernel_manager

    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("import os\nos.getpid()")])
    nb.metadata["kernelspec"] = {
        "name": "python3",
        "language": "python",
        "display_name": "Python 3",
    }
    nbformat.write(nb, tmp_path / "in.ipynb")
    with ipc_kernel_manager() as km:
        folder = Path(km.ip).parent
        assert km.transport == "ipc" and folder.is_dir()
        pm.execute_notebook(
            str(tmp_path / "in.ipynb"),
            str(tmp_path / "out.ipynb"),
            km=km,
            kernel_name="python3",
            progress_bar=False,
        )
        assert list(folder.iterdir())  # the kernel's sockets live in our folder
    assert not folder.exists()
    out = nbformat.read(tmp_path / "out.ipynb", as_version=4)
    pid = int(out.cells[0].outputs[0]["data"]["text/plain"])
    try:
        os.kill(pid, 0)
        alive = open(f"/proc/{pid}/stat").read().split()[2] != "Z"
    except (ProcessLookupError, FileNotFoundError):
        alive = False
    assert not alive, "the notebook's kernel was left running"


def test__notebook_own_error__never_retried(tmp_path, monkeypatch):
    import papermill as pm

    err = pm.PapermillExecutionError(3, 3, "ValueError: bad input", "ValueError", "bad input", [])
    fake = _FakePapermill(err)
    monkeypatch.setattr(pm, "execute_notebook", fake)
    step = report.execute_notebook("claims_audit", {}, tmp_path, 60)
    assert step.status == "failed" and fake.calls == 1
    other = _FakePapermill(RuntimeError("something else broke"))
    monkeypatch.setattr(pm, "execute_notebook", other)
    assert report.execute_notebook("claims_audit", {}, tmp_path, 60).status == "failed"
    assert other.calls == 1


# --- deploy examples ----------------------------------------------------------------------------


def test__deploy_examples__syntax_and_command_lines():
    script = ROOT / "deploy" / "monthly-run.sh"
    assert subprocess.run(["bash", "-n", str(script)]).returncode == 0
    assert os.access(script, os.X_OK)
    cron = [
        line
        for line in (ROOT / "deploy" / "crontab.example").read_text().splitlines()
        if line and not line.startswith(("#", "MAILTO"))
    ]
    assert len(cron) == 1 and re.match(r"^0 6 2 \* \* ", cron[0])
    assert "flock -n" in cron[0] and "timeout 30m" in cron[0]
    assert "deploy/monthly-run.sh params/default.yaml reports" in cron[0]
    service = (ROOT / "deploy" / "marketlib-report.service").read_text()
    assert "monthly-run.sh /opt/marketlib/params/default.yaml /opt/marketlib/reports" in service
    if shutil.which("systemd-analyze"):
        tmp = Path(os.environ.get("TMPDIR", "/tmp")) / f"ml-units-{os.getpid()}"
        tmp.mkdir(exist_ok=True)
        unit = tmp / "marketlib-report.service"
        unit.write_text(service.replace("/opt/marketlib", str(ROOT)))
        shutil.copy(ROOT / "deploy" / "marketlib-report.timer", tmp)
        proc = subprocess.run(
            ["systemd-analyze", "verify", str(unit), str(tmp / "marketlib-report.timer")],
            capture_output=True,
            text=True,
        )
        assert proc.returncode == 0, proc.stderr


@pytest.fixture
def failing_upstream(monkeypatch):
    """A stand-in GitHub on 127.0.0.1 that answers every request with 503."""
    import threading
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802
            self.send_error(503)

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    base = f"http://127.0.0.1:{server.server_address[1]}"
    yield base
    server.shutdown()
    server.server_close()


@pytest.mark.realdata
def test__monthly_job_then_an_earlier_snapshot__history_across_both(
    tmp_path, shared_data, failing_upstream
):
    """The deployed job against a failing upstream (fallback to pinned, said on the page),
    then a run on the earlier snapshots at as_of 2024-06-30, then `marketlib history`."""
    env = {
        **os.environ,
        "MARKETLIB_GITHUB_API": failing_upstream,
        "MARKETLIB_GITHUB_RAW": f"{failing_upstream}/raw",
        "no_proxy": "127.0.0.1",
        "MARKETLIB": f"{sys.executable} -m marketlib.cli",
    }
    for v in ("http_proxy", "https_proxy", "HTTP_PROXY", "HTTPS_PROXY"):
        env.pop(v, None)
    wrapper = tmp_path / "marketlib"
    wrapper.write_text(f'#!/bin/sh\nexec {sys.executable} -m marketlib.cli "$@"\n')
    wrapper.chmod(0o755)
    env["MARKETLIB"] = str(wrapper)
    reports = tmp_path / "reports"
    # the default parameters but the independent sources (the default report's own test,
    # test_browser, runs them) and fewer bootstrap draws: the job, its fallback and the
    # history are what is tested here
    light = tmp_path / "monthly.yaml"
    light.write_text(
        f"extends: {ROOT / 'params' / 'default.yaml'}\n"
        "inputs: {pay_bands: null, adoption: null, demand: null}\n"
        "arbitrage: {n_boot: 200}\n"
    )
    job = subprocess.run(
        ["deploy/monthly-run.sh", str(light), str(reports)],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=900,
    )
    assert job.returncode == 0, job.stdout[-2000:] + job.stderr[-2000:]
    assert "using the pinned snapshot" in job.stderr
    today = reports / TODAY
    summary = (today / "html" / "market_report.html").read_text(encoding="utf-8")
    assert "Fresh data could not be fetched" in summary
    early_params = tmp_path / "snapshot.yaml"  # the snapshot's parameters, 200 draws
    early_params.write_text(
        f"extends: {ROOT / 'params' / 'snapshot-2024q4.yaml'}\narbitrage: {{n_boot: 200}}\n"
    )
    for cmd in (
        ["fetch", "aijobs", "--ref", "2024-10-27"],
        ["fetch", "innovationgraph", "--ref", "2024q4"],
    ):
        assert subprocess.run([str(wrapper), *cmd], cwd=ROOT, env=env).returncode == 0
    early = subprocess.run(
        [
            str(wrapper),
            "report",
            "--params",
            str(early_params),
            "--as-of",
            "2024-06-30",
            "--out",
            str(reports / "2024-06-30"),
            "--only",
            "geographic_arbitrage",
            "regional_growth",
        ],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=900,
    )
    assert early.returncode == 0, early.stdout[-2000:] + early.stderr[-2000:]
    (reports / "2025-01-01.failed").mkdir()  # a failed run: listed, never charted
    assert (
        subprocess.run([str(wrapper), "history", str(reports)], cwd=ROOT, env=env).returncode == 0
    )
    hist = pd.read_csv(reports / "history.csv")
    assert set(hist["as_of"]) == {"2024-06-30", TODAY}
    for as_of in ("2024-06-30", TODAY):
        res = json.loads((reports / as_of / "results.json").read_text())
        mine = hist[hist["as_of"] == as_of]
        from marketlib.results_view import comparable_ratio

        for r in res["arbitrage"]["adjusted"]:  # the headline every page shows (issue 32)
            if r["group"] != res["arbitrage"]["base"]:
                row = mine[(mine["key"] == r["group"]) & (mine["quantity"] == "headline_ratio")]
                value, lo, hi, k = comparable_ratio(r)
                assert row["value"].iloc[0] == pytest.approx(value)
                if lo is None:  # under three countries: no interval, none kept
                    assert pd.isna(row["ci_low"].iloc[0])
                else:
                    assert row["ci_low"].iloc[0] == pytest.approx(lo)
        assert not (mine["quantity"] == "ratio_to_base").any()  # one headline, not two
        regional = mine[mine["section"] == "regional"]
        assert len(regional) == len(res["regional"])
    early_res = json.loads((reports / "2024-06-30" / "results.json").read_text())
    assert max(r["to"] for r in early_res["regional"]) <= "2024Q2"  # inside its data
    index = (reports / "index.html").read_text(encoding="utf-8")
    assert f'href="{TODAY}/' in index and 'href="2024-06-30/' in index
    assert "2025-01-01.failed" in index and "failed" in index
    assert index.count("<img") >= 3


def test__pinned_params__are_the_defaults_with_as_of_pinned(tmp_path):
    from marketlib.params import load_report_params
    from marketlib.sources import InputError

    default = load_report_params(ROOT / "params" / "default.yaml").to_dict()
    pinned = load_report_params(ROOT / "params" / "pinned.yaml").to_dict()
    assert default["as_of"] is None and pinned.pop("as_of") == "2026-11-26"
    default.pop("as_of")
    assert pinned == default
    snap = load_report_params(ROOT / "params" / "snapshot-2024q4.yaml")
    assert snap.inputs.rates.path.endswith("2024-10-27/salaries.csv")
    assert snap.arbitrage == load_report_params(ROOT / "params" / "default.yaml").arbitrage
    # a chain that loops, or a missing base, is refused in one line
    (tmp_path / "a.yaml").write_text("extends: b.yaml\n")
    (tmp_path / "b.yaml").write_text("extends: a.yaml\n")
    with pytest.raises(InputError, match="at most 3 deep"):
        load_report_params(tmp_path / "a.yaml")
    (tmp_path / "c.yaml").write_text("extends: nowhere.yaml\n")
    with pytest.raises(InputError, match="not found"):
        load_report_params(tmp_path / "c.yaml")


def test__extends__yaml_files_only_and_errors_name_the_chain(tmp_path):
    from marketlib.params import load_report_params
    from marketlib.sources import InputError

    (tmp_path / "p.yaml").write_text("extends: /etc/passwd\n")
    with pytest.raises(InputError, match="is not a .yaml/.yml parameters file"):
        load_report_params(tmp_path / "p.yaml")
    mine = tmp_path / "mine"
    mine.mkdir()
    (tmp_path / "base.yaml").write_text("seed: 3\narbitrage:\n  bogus: 1\n")
    (mine / "run.yaml").write_text("extends: ../base.yaml\nseed: 5\n")
    with pytest.raises(InputError) as exc:
        load_report_params(mine / "run.yaml")
    text = str(exc.value)
    assert "bogus" in text and "the file(s) it extends" in text and "base.yaml" in text
    (tmp_path / "base.yaml").write_text("seed: 3\n")
    assert load_report_params(mine / "run.yaml").seed == 5  # a relative path works


def test__history_chart__honest_axes_no_repeated_ticks_intervals_inside():
    """Issue 32: a one-point move is not a cliff, no two tick labels alike, every interval
    inside the y-range."""
    import matplotlib.pyplot as plt

    from marketlib.history import history_figure, y_limits

    pts = pd.DataFrame(
        {
            "as_of": ["2026-10-01", "2026-11-01", "2026-12-01"],
            "value": [0.880, 0.875, 0.872],
            "ci_low": [0.80, 0.79, float("nan")],
            "ci_high": [0.95, 0.96, float("nan")],
            "changed": [False] * 3,
        }
    )
    fig = history_figure(pts, "t")
    ax = fig.axes[0]
    labels = [t.get_text() for t in ax.get_yticklabels() if t.get_text()]
    lo, hi = ax.get_ylim()
    plt.close(fig)
    assert len(labels) == len(set(labels)) >= 2, labels
    assert lo <= 0.79 and hi >= 0.96
    lo2, hi2 = y_limits([0.880, 0.875, 0.872], [float("nan")] * 3, [float("nan")] * 3)
    assert hi2 - lo2 >= 0.05 * 0.875  # no interval: still at least 5% of the level
