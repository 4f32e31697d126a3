"""Benchmark (run on demand): regional growth on the real Innovation Graph activity table.

Usage: ``MARKETLIB_MIRROR=../shared/data .venv/bin/python bench/regional.py [REPEATS]``.
Target (issue 13): 5 regions x 23 quarters x 6 topics, with CIs, share growth and the
seasonal trend, < 2 s in process. Times exclude start-up, imports and the one clean of the
files (measured by bench/activity.py).
"""

from __future__ import annotations

import json
import sys
import time

from marketlib.clean import clean_activity
from marketlib.growth import regional_growth
from marketlib.params import CleanParams
from marketlib.paths import mirror_dir
from marketlib.sources import read_csv_text

TOPICS = ["kubernetes", "docker", "terraform", "machine-learning", "llm", "python"]


def main(repeats: int = 5) -> dict[str, float]:
    """Clean topics and developers once, then time ``regional_growth`` ``repeats`` times."""
    folder = mirror_dir() / "innovationgraph"
    tables = [
        (read_csv_text(folder / f"{n}.csv").frame, f"{n}.csv") for n in ("topics", "developers")
    ]
    table = clean_activity(tables, "innovationgraph", CleanParams(max_date="2026-11-26")).clean
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        res = regional_growth(
            table, "topic_pushers", TOPICS, ["region"], years=[2022, 2023, 2024], latest_quarters=4
        )
        times.append(time.perf_counter() - t0)
    out = {
        "rows": len(res.growth),
        "first_s": round(times[0], 3),
        "best_s": round(min(times), 3),
        "target_s": 2.0,
    }
    print(json.dumps(out))
    return out


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 5)
