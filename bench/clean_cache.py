"""Benchmark: a report's clean step with and without a current cached clean set.

Run: MARKETLIB_MIRROR=../shared/data .venv/bin/python bench/clean_cache.py
Cleans the pay, certification and activity inputs of the default report twice into
temporary folders (the cache under a temporary MARKETLIB_DATA): the first run cleans, the
second reuses. Prints the wall time of each.
"""

from __future__ import annotations

import os
import tempfile
import time
from pathlib import Path


def main() -> None:
    from marketlib.clean.formats import input_format
    from marketlib.clean.pipeline import Maps
    from marketlib.report import load_params
    from marketlib.report.inputs import activity_inputs, clean_tables, fetched_or_given

    params = load_params(None)
    rates = fetched_or_given(params.inputs.rates.path, "aijobs")
    acts = activity_inputs(params)
    with tempfile.TemporaryDirectory() as tmp:
        os.environ["MARKETLIB_DATA"] = str(Path(tmp) / "data")
        p = params.clean_params()
        plans = {
            "rates": (input_format("aijobs", "rates"), [rates], p),
            "activity": (input_format("innovationgraph", "activity"), acts, p),
        }
        for label in ("clean (no cache)", "reuse (cached)"):
            t0 = time.perf_counter()
            *_, reused = clean_tables(plans, Maps(), Path(tempfile.mkdtemp(dir=tmp)))
            print(f"{label}: {time.perf_counter() - t0:.2f} s, reused {sorted(reused)}")


if __name__ == "__main__":
    main()
