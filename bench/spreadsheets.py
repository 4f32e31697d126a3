"""Benchmark (run on demand): a 200,000-row workbook against the same rows as CSV, and what a
skills selection adds to the arbitrage section (issue 30).

Usage: ``.venv/bin/python bench/spreadsheets.py [ROWS]``. Targets: cleaning the .xlsx stays
under 3x the CSV's time (here in process; the whole-process ratio, as a user runs the CLI:
``farm-bench --vs``, in the issue's closing note); the skills selection adds under 10% to the
arbitrage section's time. The data are the
marketplace generator of ``tests/specialists.py`` repeated to ROWS rows. Best of 3.
"""

from __future__ import annotations

import sys
import tempfile
import time
from pathlib import Path

import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))
from specialists import make_marketplace  # noqa: E402

COLUMNS = {
    "country": "country",
    "amount": "hourly_rate_usd",
    "currency": {"value": "USD"},
    "unit": {"value": "hour"},
    "date": "billed_on",
    "experience": "years_experience",
    "employment_type": "contract",
    "skills": "skills",
}


def best(fn, repeats: int = 3) -> float:
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return min(times)


def main(rows: int = 200_000) -> None:
    import yaml

    from marketlib import arbitrage as ab
    from marketlib.clean.formats import input_format
    from marketlib.clean.pipeline import Maps, clean_files
    from marketlib.cleanparams import CleanParams

    base = make_marketplace()
    frame = pd.concat([base] * (rows // len(base) + 1), ignore_index=True).head(rows)
    with tempfile.TemporaryDirectory() as tmp:
        t = Path(tmp)
        csv, xlsx, cols = t / "m.csv", t / "m.xlsx", t / "columns.yaml"
        frame.to_csv(csv, index=False)
        t0 = time.perf_counter()
        frame.to_excel(xlsx, index=False)
        write_s = time.perf_counter() - t0
        cols.write_text(yaml.safe_dump(COLUMNS))
        maps = Maps.load(input_format("generic"), cols)
        p = CleanParams(max_date="2025-06-30")
        out = {}
        for name, path in (("csv", csv), ("xlsx", xlsx)):
            out[name] = best(
                lambda path=path: clean_files([path], "generic", "rates", maps.params(p), maps)
            )
        result, _, _ = clean_files([csv], "generic", "rates", maps.params(p), maps)
        rates = result.clean
        plain = ab.Scope(rate_kind="bill_rate", employment_types=("contractor",))
        skilled = ab.Scope(
            rate_kind="bill_rate",
            employment_types=("contractor",),
            skills_all=("kubernetes", "pytorch"),
        )
        # the same rows reach the estimators: the selection's own cost is what is timed
        sel = best(lambda: ab.select_rates(rates, skilled))
        run_plain = best(lambda: ab.run_arbitrage(rates, plain, n_boot=500, seed=1), 2)
        d, _ = ab.select_rates(rates, skilled)
        ids = set(d["source_row"])
        same = rates[rates["source_row"].isin(ids)]
        run_same = best(lambda: ab.run_arbitrage(same, plain, n_boot=500, seed=1), 2)
        run_skilled = best(lambda: ab.run_arbitrage(rates, skilled, n_boot=500, seed=1), 2)
    print(f"rows: {rows:,} (xlsx written by pandas/openpyxl in {write_s:.1f} s)")
    print(f"clean csv : {out['csv']:.2f} s")
    print(
        f"clean xlsx: {out['xlsx']:.2f} s  ({out['xlsx'] / out['csv']:.2f}x the CSV; target < 3x)"
    )
    print(f"arbitrage, all rows: {run_plain:.2f} s; skills selection alone: {sel:.3f} s")
    print(
        f"the section with skills_all {run_skilled:.2f} s against without it "
        f"{run_plain:.2f} s ({run_skilled / run_plain - 1:+.1%}: fewer rows to estimate); "
        f"the skills step itself {sel / run_plain:.1%} of the section (target < 10%)"
    )
    print(
        f"(the specialists' rows given pre-filtered: {run_same:.2f} s; the difference is "
        "every filter on the larger table, not the skills step)"
    )


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 200_000)
