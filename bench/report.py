"""The default report end to end (issue 31: under 90 s on the 2-core machine), on demand.

Runs ``marketlib report --params params/pinned.yaml`` twice into a temporary folder, first
with an empty clean cache (every table cleaned: a new month's run), then again (every clean
table reused), and the same pair with the independent sources left out, so the
triangulation's own cost is measured. Writes each run's ``timings.json`` (data preparation,
each notebook, the PDF, the total) to ``bench/results/report.json``.

    MARKETLIB_MIRROR=../shared/data .venv/bin/python bench/report.py
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "bench" / "results"
WITHOUT_SOURCES = "inputs: {pay_bands: null, adoption: null, demand: null}\n"


def _run(params: Path, out: Path, env: dict[str, str]) -> dict[str, float]:
    t0 = time.perf_counter()
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "marketlib.cli",
            "report",
            "--params",
            str(params),
            "--out",
            str(out),
        ],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=1800,
    )
    if proc.returncode != 0:
        raise SystemExit(proc.stdout[-2000:] + proc.stderr[-2000:])
    timings = json.loads((out / "timings.json").read_text())
    return {**timings, "process_seconds": round(time.perf_counter() - t0, 1)}


def main() -> int:
    """Run the four reports and write their timings."""
    out: dict[str, dict[str, float]] = {}
    with tempfile.TemporaryDirectory() as tmp:
        light = Path(tmp) / "without_sources.yaml"
        light.write_text(f"extends: {ROOT / 'params' / 'pinned.yaml'}\n{WITHOUT_SOURCES}")
        for label, params in (
            ("without_sources", light),
            ("default", ROOT / "params" / "pinned.yaml"),
        ):
            data = Path(tmp) / f"data-{label}"  # its own data folder: an empty clean cache
            data.mkdir()
            (data / "raw").symlink_to(ROOT / "data" / "raw")
            env = {**os.environ, "MARKETLIB_DATA": str(data)}
            for state in ("cold", "warm"):
                key = f"{label}_{state}"
                out[key] = _run(params, Path(tmp) / key, env)
                print(f"{key}: {out[key]['total']:.1f} s", flush=True)
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "report.json").write_text(json.dumps(out, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
