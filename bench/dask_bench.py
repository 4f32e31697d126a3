"""Dask engine benchmarks (on demand: ``python bench/dask_bench.py [ROWS] [FILES] [REPEAT]``).

Cases, each in its own process so peak memory is its own:

* ``pandas``: the pandas engine on 1,000,000 generic rows (read, clean, write): seconds, CPU
  seconds and peak RSS;
* ``dask``: the Dask engine on ROWS generic rows in FILES files (default 10,000,000 in 20) on
  a local cluster of 2 worker processes x 1 thread (``MARKETLIB_BENCH_INPUTS=DIR`` keeps the
  generated files for the next run): seconds, CPU seconds of the workers and of
  the client, peak RSS per worker; then exact medians (with CIs) and HC3 adjusted ratios by
  region on the clean table.

The machine is shared, so its load drifts: the Dask clean runs REPEAT times (default 3), each
followed by the pandas case, and the ratio reported is the median of the paired ratios.

Issue 11 targets: pandas 1M < 5 s and < 1 GB; Dask peak per worker < 1.5 GB, CPU s per
million rows within 1.5x of pandas; medians + HC3 on the 10M table < 30 s.

Imports are excluded in both engines (the workers import marketlib before the clock starts,
a one-time cost of about 1.8 CPU s per worker); everything else a task does is counted.
"""

from __future__ import annotations

import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "bench"))
RESULTS = ROOT / "bench" / "results"


def _cpu() -> float:
    r = resource.getrusage(resource.RUSAGE_SELF)
    return r.ru_utime + r.ru_stime


def _worker_stats() -> dict:
    import resource as res

    r = res.getrusage(res.RUSAGE_SELF)
    return {"cpu": r.ru_utime + r.ru_stime, "peak_mb": r.ru_maxrss / 1024}


def _warm() -> None:
    """Import what the tasks use (a worker's one-time cost, excluded as for the pandas case)."""
    import dask.dataframe  # noqa: F401
    import pyarrow.parquet  # noqa: F401

    import marketlib.engines.dask_arbitrage  # noqa: F401
    import marketlib.engines.dask_clean  # noqa: F401


def case_pandas(rows: int = 1_000_000) -> dict:
    from run import write_generic_csv

    from marketlib.clean import CleanParams, clean_rates, write_outputs
    from marketlib.sources import read_csv_text

    with tempfile.TemporaryDirectory() as tmp:
        src = Path(tmp) / "generic.csv"
        write_generic_csv(src, rows)
        c0, t0 = _cpu(), time.perf_counter()
        raw = read_csv_text(src)
        result = clean_rates(raw.frame, "generic", CleanParams(), source_file=src.name)
        write_outputs(result, Path(tmp) / "out", {str(src): raw.sha256})
        seconds, cpu = time.perf_counter() - t0, _cpu() - c0
    return {
        "rows": rows,
        "seconds": round(seconds, 2),
        "cpu_seconds": round(cpu, 2),
        "cpu_s_per_million": round(cpu / rows * 1e6, 2),
        "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024),
    }


def _child(name: str, *args: str) -> dict:
    proc = subprocess.run(
        [sys.executable, __file__, "--child", name, *args],
        capture_output=True,
        text=True,
        check=True,
    )
    return json.loads(proc.stdout.strip().splitlines()[-1])


def case_dask(rows: int, files: int, repeat: int = 3) -> dict:
    import dask.dataframe as dd
    import numpy as np
    from run import make_generic

    from marketlib.clean import CleanParams
    from marketlib.engines.cluster import dask_client
    from marketlib.engines.dask_arbitrage import dask_adjusted_ratios, dask_group_medians
    from marketlib.engines.dask_clean import clean_rates_dask

    out: dict = {"rows": rows, "files": files}
    with tempfile.TemporaryDirectory() as tmp:
        t = time.perf_counter()
        paths = []
        # MARKETLIB_BENCH_INPUTS: a folder to keep the generated files in (reused next time)
        folder = Path(os.environ.get("MARKETLIB_BENCH_INPUTS") or Path(tmp) / "in")
        folder = folder / f"{rows}-{files}"
        folder.mkdir(parents=True, exist_ok=True)
        for i in range(files):
            p = folder / f"part{i:03d}.csv"
            if not p.exists():
                make_generic(rows // files, seed=i).to_csv(p.with_suffix(".tmp"), index=False)
                p.with_suffix(".tmp").rename(p)
            paths.append(str(p))
        out["generate_seconds"] = round(time.perf_counter() - t, 1)
        with dask_client(
            None, n_workers=2, threads_per_worker=1, memory_limit="3GiB"
        ) as client:  # the CLI's local cluster
            client.run(_warm)
            # the clean REPEAT times, each followed by the pandas case in a fresh process (the
            # cluster idle): pairs measured under the same load on this shared machine
            runs, pandas_runs = [], []
            for rep in range(repeat):
                before = client.run(_worker_stats)
                c0, t0 = _cpu(), time.perf_counter()
                report, _ = clean_rates_dask(
                    paths, "generic", CleanParams(), Path(tmp) / f"out{rep}"
                )
                seconds = time.perf_counter() - t0
                after = client.run(_worker_stats)
                wcpu = sum(after[w]["cpu"] - before[w]["cpu"] for w in after)
                ccpu = _cpu() - c0
                runs.append(
                    {
                        "seconds": round(seconds, 2),
                        "client_cpu_seconds": round(ccpu, 2),
                        "worker_cpu_seconds": round(wcpu, 2),
                        "cpu_s_per_million": round((wcpu + ccpu) / rows * 1e6, 2),
                    }
                )
                pandas_runs.append(_child("pandas"))
                print(
                    f"  run {rep + 1}: dask {runs[-1]}, pandas {pandas_runs[-1]}",
                    file=sys.stderr,
                    flush=True,
                )
            out["runs"], out["pandas_runs"] = runs, pandas_runs
            out["worker_peak_rss_mb"] = [round(v["peak_mb"]) for v in after.values()]
            out["rows_clean"] = report["rows_clean"]
            table = dd.read_parquet(
                Path(tmp) / "out0" / "rates.parquet",
                columns=[
                    "region",
                    "hourly_usd",
                    "experience",
                    "role_family",
                    "year",
                    "employment_type",
                ],
            )
            d = table.dropna(subset=["region"]).rename(columns={"region": "group"})
            t1 = time.perf_counter()
            med = dask_group_medians(d, "group", "hourly_usd")
            out["medians_seconds"] = round(time.perf_counter() - t1, 2)
            t2 = time.perf_counter()
            groups = med["group"].tolist()
            fit = dask_adjusted_ratios(d, "North America", groups)
            out["hc3_seconds"] = round(time.perf_counter() - t2, 2)
            out["hc3_cells"] = fit.n_cells
            out["median_north_america"] = float(
                np.asarray(med.loc[med["group"] == "North America", "median"])[0]
            )
            out["worker_peak_rss_mb_after_arbitrage"] = [
                round(v["peak_mb"]) for v in client.run(_worker_stats).values()
            ]
    return out


def main(argv: list[str]) -> None:
    if argv and argv[0] == "--child":
        res = case_pandas() if argv[1] == "pandas" else case_dask(*map(int, argv[2:5]))
        print(json.dumps(res))
        return
    rows = int(argv[0]) if argv else 10_000_000
    files = int(argv[1]) if len(argv) > 1 else 20
    repeat = int(argv[2]) if len(argv) > 2 else 3
    d = _child("dask", str(rows), str(files), str(repeat))
    dask_cpu = sorted(r["cpu_s_per_million"] for r in d["runs"])
    pandas_cpu = sorted(r["cpu_s_per_million"] for r in d["pandas_runs"])
    paired = sorted(
        a["cpu_s_per_million"] / b["cpu_s_per_million"]
        for a, b in zip(d["runs"], d["pandas_runs"], strict=True)
    )
    results = {
        "dask": d,
        "dask_cpu_s_per_million_median": dask_cpu[len(dask_cpu) // 2],
        "pandas_cpu_s_per_million_median": pandas_cpu[len(pandas_cpu) // 2],
        "dask_cpu_per_million_vs_pandas": round(paired[len(paired) // 2], 2),
        "dask_cpu_per_million_vs_pandas_runs": [round(r, 2) for r in paired],
    }
    print(json.dumps(results, indent=1))
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "dask.json").write_text(json.dumps(results, indent=2) + "\n")


if __name__ == "__main__":
    main(sys.argv[1:])
