"""Benchmark (run on demand): clean all five GitHub Innovation Graph files in process.

Usage: ``MARKETLIB_MIRROR=../shared/data .venv/bin/python bench/activity.py [REPEATS]``.
Target (issue 13): reading and cleaning the five files < 1 s in process. Times exclude
interpreter start-up and imports; the first run (which pays one-off loads: country table,
regexes) is reported apart from the best of the repeats.
"""

from __future__ import annotations

import json
import os
import resource
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
FILES = ("topics", "developers", "git_pushes", "repositories", "organizations")


def _folder() -> Path:
    mirror = os.environ.get("MARKETLIB_MIRROR", str(ROOT.parent / "shared" / "data"))
    return Path(mirror) / "innovationgraph"


def run_once() -> dict[str, float | int]:
    """Read, clean and write the five files once; return the phase times in seconds."""
    from marketlib.clean import clean_activity, write_outputs
    from marketlib.sources import read_csv_text

    folder = _folder()
    t0 = time.perf_counter()
    tables = [read_csv_text(folder / f"{f}.csv") for f in FILES]
    t1 = time.perf_counter()
    result = clean_activity([(t.frame, t.path.name) for t in tables])
    t2 = time.perf_counter()
    with tempfile.TemporaryDirectory() as out:
        write_outputs(result, out, {t.path.name: t.sha256 for t in tables})
    t3 = time.perf_counter()
    return {
        "rows": result.report["rows_in"],
        "rows_clean": result.report["rows_clean"],
        "read_seconds": round(t1 - t0, 3),
        "clean_seconds": round(t2 - t1, 3),
        "read_clean_seconds": round(t2 - t0, 3),
        "write_seconds": round(t3 - t2, 3),
    }


def main(argv: list[str]) -> None:
    """Run the benchmark ``REPEATS`` times (default 5) and print the results as JSON."""
    repeats = int(argv[0]) if argv else 5
    first = run_once()
    runs = [run_once() for _ in range(repeats)]
    best = min(runs, key=lambda r: r["read_clean_seconds"])
    res = {
        "first_run": first,
        "best_of": repeats,
        **best,
        "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024),
    }
    print(json.dumps(res, indent=2))
    target = "OK" if best["read_clean_seconds"] < 1.0 else "OVER TARGET"
    print(
        f"clean_activity, five Innovation Graph files: read+clean "
        f"{best['read_clean_seconds']:.3f} s (clean {best['clean_seconds']:.3f} s; "
        f"first run {first['read_clean_seconds']:.3f} s) [{target}: < 1 s]"
    )


if __name__ == "__main__":
    main(sys.argv[1:])
