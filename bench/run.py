"""Benchmarks (run on demand: ``make bench``). Each case runs in its own process so that its
peak memory (max RSS) is its own; times exclude interpreter start-up and imports.

Targets (issue 2): aijobs end to end < 1.5 s; 1,000,000 generic rows < 10 s and < 2 GB;
issue 11: 1,000,000 generic rows < 5 s and < 1 GB, aijobs < 1 s. Generated input files are
written by a separate process (:func:`write_generic_csv`).
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
RESULTS = ROOT / "bench" / "results"


def _aijobs_path() -> Path:
    mirror = os.environ.get("MARKETLIB_MIRROR", str(ROOT.parent / "shared" / "data"))
    return Path(mirror) / "aijobs" / "salaries.csv"


def case_clean_aijobs() -> dict:
    """Read, normalize, convert, flag and write the real aijobs file."""
    from marketlib.clean import CleanParams, clean_rates, write_outputs
    from marketlib.sources import read_csv_text

    src = _aijobs_path()
    with tempfile.TemporaryDirectory() as out:
        t0 = time.perf_counter()
        raw = read_csv_text(src)
        result = clean_rates(raw.frame, "aijobs", CleanParams(), source_file=src.name)
        write_outputs(result, out, {str(src): raw.sha256})
        seconds = time.perf_counter() - t0
    return {"rows": len(raw.frame), "seconds": round(seconds, 3)}


def make_generic(n: int, seed: int = 0):
    """Return ``n`` generic rate rows with realistic spellings, units and some bad rows."""
    import numpy as np
    import pandas as pd

    rng = np.random.default_rng(seed)
    countries = [
        "USA",
        "U.S.",
        "United States",
        "US",
        "UK",
        "United Kingdom",
        "Germany",
        "DE",
        "Poland",
        "PL",
        "Viet Nam",
        "Vietnam",
        "Türkiye",
        "India",
        "IN",
        "Brazil",
        "Kyiv, Ukraine",
        "Austin, TX, USA",
        "Medellín, Colombia",
        "Philippines",
        "Mars",
    ]
    cur_for = {
        "USA": "USD",
        "U.S.": "USD",
        "United States": "USD",
        "US": "USD",
        "UK": "GBP",
        "United Kingdom": "GBP",
        "Germany": "EUR",
        "DE": "EUR",
        "Poland": "PLN",
        "PL": "PLN",
        "Viet Nam": "USD",
        "Vietnam": "USD",
        "Türkiye": "TRY",
        "India": "INR",
        "IN": "INR",
        "Brazil": "BRL",
        "Kyiv, Ukraine": "USD",
        "Austin, TX, USA": "USD",
        "Medellín, Colombia": "USD",
        "Philippines": "PHP",
        "Mars": "USD",
    }
    units = np.array(
        [
            "hour",
            "hourly",
            "hr",
            "day",
            "daily",
            "month",
            "monthly",
            "year",
            "annual",
            "per annum",
            "yearly",
        ]
    )
    per_hour = {
        "hour": 1,
        "hourly": 1,
        "hr": 1,
        "day": 8,
        "daily": 8,
        "month": 173.3,
        "monthly": 173.3,
        "year": 2080,
        "annual": 2080,
        "per annum": 2080,
        "yearly": 2080,
    }
    c = rng.choice(countries, n)
    u = rng.choice(units, n)
    hourly = np.exp(rng.normal(np.log(60), 0.5, n))
    amount = hourly * pd.Series(u).map(per_hour).to_numpy()
    amount_text = np.char.mod("%.2f", amount)
    big = amount > 10_000
    amount_text[big] = [f"{a:,.0f}" for a in amount[big]]  # thousands separators
    bad = rng.random(n) < 0.01
    amount_text[bad] = "n/a"
    years = rng.integers(2019, 2025, n).astype(str)
    months = np.char.zfill(rng.integers(1, 13, n).astype(str), 2)
    date = np.where(rng.random(n) < 0.5, years, np.char.add(np.char.add(years, "-"), months))
    return pd.DataFrame(
        {
            "country": c,
            "amount": amount_text,
            "currency": pd.Series(c).map(cur_for).to_numpy(),
            "unit": u,
            "date": date,
            "role": rng.choice(
                [
                    "ML Engineer",
                    "Data Scientist",
                    "MLOps Engineer",
                    "Platform Engineer",
                    "Data Engineer",
                ],
                n,
            ),
            "experience": rng.choice(["junior", "mid", "senior", "SE", "EN", "lead"], n),
            "employment_type": rng.choice(["employee", "contractor", "freelance", "FT"], n),
        }
    ).astype("str")


def write_generic_csv(path: str | Path, n: int, seed: int = 0) -> None:
    """Write :func:`make_generic` rows to ``path`` in a separate process.

    The generator's own memory then never counts in the measured process's peak RSS (the
    benchmark measures reading, cleaning and writing in a fresh process).
    """
    subprocess.run(
        [
            sys.executable,
            str(Path(__file__).resolve()),
            "--make-generic",
            str(n),
            str(seed),
            str(path),
        ],
        check=True,
    )


def case_clean_generic_1m() -> dict:
    """Clean 1,000,000 generated generic rows (read from CSV, cleaned, written)."""
    from marketlib.clean import CleanParams, clean_rates, write_outputs
    from marketlib.sources import read_csv_text

    with tempfile.TemporaryDirectory() as tmp:
        src = Path(tmp) / "generic.csv"
        write_generic_csv(src, 1_000_000)
        t0 = time.perf_counter()
        raw = read_csv_text(src)
        result = clean_rates(raw.frame, "generic", CleanParams(), source_file=src.name)
        write_outputs(result, Path(tmp) / "out", {str(src): raw.sha256})
        seconds = time.perf_counter() - t0
    return {
        "rows": 1_000_000,
        "seconds": round(seconds, 3),
        "rows_clean": result.report["rows_clean"],
        "reasons": result.report["reasons"],
    }


def case_growth_16x48() -> dict:
    """Fit every group of a 4-region x 4-certification x 48-month table and forecast 12."""
    import numpy as np
    import pandas as pd

    from marketlib import growth as gr
    from marketlib.simulate import nb_counts

    rng = np.random.default_rng(0)
    starts = pd.date_range("2021-01-01", periods=48, freq="MS")
    rows = []
    for region in ("North America", "Europe", "Asia-Pacific", "Latin America"):
        for cert in ("CKA", "CKAD", "CKS", "KCNA"):
            mu = (
                rng.uniform(30, 400)
                * np.exp(0.02 * np.arange(48))
                * (1 + 0.1 * np.sin(2 * np.pi * np.arange(48) / 12))
            )
            y = nb_counts(mu, 0.02, rng)
            rows += [
                {
                    "period": s.strftime("%Y-%m"),
                    "period_start": s,
                    "freq": "M",
                    "region": region,
                    "certification": cert,
                    "count": int(v),
                    "count_basis": "new",
                }
                for s, v in zip(starts, y, strict=True)
            ]
    table = pd.DataFrame(rows)
    t0 = time.perf_counter()
    panel = gr.prepare_panel(table, ["region", "certification"], "M")
    fit = gr.fit_growth(panel, forecast_periods=12, n_boot=5000)
    seconds = time.perf_counter() - t0
    return {
        "groups": panel.data["group"].nunique(),
        "periods": len(panel.periods),
        "seconds": round(seconds, 3),
        "trend_models": fit.trend["model"].value_counts().to_dict(),
    }


def case_arbitrage_bootstrap() -> dict:
    """All groups' raw-ratio bootstrap intervals (2,000 resamples) on the aijobs data."""
    from marketlib import arbitrage as ab
    from marketlib.clean import CleanParams, clean_rates
    from marketlib.sources import read_csv_text

    raw = read_csv_text(_aijobs_path())
    rates = clean_rates(raw.frame, "aijobs", CleanParams()).clean
    d, _ = ab.select_rates(rates, ab.Scope())
    t0 = time.perf_counter()
    r = ab.raw_ratios(d, "North America", n_boot=2000, seed=1)
    boot = time.perf_counter() - t0
    t1 = time.perf_counter()
    ab.run_arbitrage(rates, ab.Scope(), n_boot=2000, seed=1)
    return {
        "groups": len(r),
        "bootstrap_seconds": round(boot, 3),
        "seconds": round(time.perf_counter() - t1, 3),
    }


CASES = {
    "clean_aijobs": case_clean_aijobs,
    "clean_generic_1m": case_clean_generic_1m,
    "growth_16x48": case_growth_16x48,
    "arbitrage_bootstrap": case_arbitrage_bootstrap,
}


def _run_child(name: str) -> dict:
    out = subprocess.run(
        [sys.executable, __file__, "--child", name], capture_output=True, text=True, check=True
    )
    return json.loads(out.stdout.strip().splitlines()[-1])


def main(argv: list[str]) -> None:
    if len(argv) == 4 and argv[0] == "--make-generic":
        make_generic(int(argv[1]), seed=int(argv[2])).to_csv(argv[3], index=False)
        return
    if len(argv) >= 2 and argv[0] == "--child":
        fn = CASES[argv[1]]
        res = fn()
        if argv[1] == "clean_aijobs":  # first call pays one-off loads (ECB table, regexes)
            res = {**fn(), "first_run_seconds": res["seconds"]}
        res["peak_rss_mb"] = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)
        print(json.dumps(res))
        return
    names = argv or list(CASES)
    results = {}
    for name in names:
        results[name] = _run_child(name)
        print(f"{name}: {results[name]}")
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "latest.json").write_text(json.dumps(results, indent=2) + "\n")


if __name__ == "__main__":
    main(sys.argv[1:])
