"""The Dask engine (issue 11): same outputs as the pandas engine, arbitrage on Dask, deploy."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from marketlib import arbitrage as ab
from marketlib import clean
from marketlib.arbitrage.medians import median_ci_order_statistic
from marketlib.clean.pipeline import clean_files, write_clean
from marketlib.cli import main
from marketlib.sources import InputError

dd = pytest.importorskip("dask.dataframe")
distributed = pytest.importorskip("distributed")

from marketlib.engines import exact  # noqa: E402
from marketlib.engines.dask_arbitrage import (  # noqa: E402
    dask_adjusted_ratios,
    dask_group_medians,
    dask_raw_ratios,
)
from marketlib.engines.dask_clean import clean_rates_dask, expand_inputs  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
P = clean.CleanParams(max_date="2025-06-30")
BIN = Path(sys.executable).parent


@pytest.fixture(scope="module")
def client():
    with (
        distributed.LocalCluster(
            n_workers=2, threads_per_worker=1, processes=False, dashboard_address=None
        ) as cluster,
        distributed.Client(cluster) as c,
    ):
        yield c


def pandas_engine(files: list[str], out: Path, p: clean.CleanParams = P) -> None:
    result, inputs, _ = clean_files(files, "generic", "rates", p)
    write_clean(result, out, inputs)


def assert_same_outputs(a: Path, b: Path) -> None:
    ta = pd.read_parquet(a / "rates.parquet")
    tb = pd.read_parquet(b / "rates.parquet")
    pd.testing.assert_frame_equal(ta, tb, check_exact=True)
    tdd = dd.read_parquet(b / "rates.parquet").compute().reset_index(drop=True)
    assert len(tdd) == len(tb)
    for name in ("rates_rejected.csv", "rates_rejected.jsonl"):
        assert (a / name).read_bytes() == (b / name).read_bytes(), name
    ra = json.loads((a / "rates_clean_report.json").read_text())
    rb = json.loads((b / "rates_clean_report.json").read_text())
    assert ra == rb
    assert rb["rows_in"] == rb["rows_clean"] + rb["rows_rejected"]


COUNTRIES = [
    "USA",
    "U.S.",
    "United Kingdom",
    "UK",
    "DE",
    "Poland",
    "Viet Nam",
    "Türkiye",
    "India",
    "Brazil",
    "Mars",
    "",
]
CURRENCY = {
    "USA": "USD",
    "U.S.": "USD",
    "United Kingdom": "GBP",
    "UK": "GBP",
    "DE": "EUR",
    "Poland": "PLN",
    "Viet Nam": "USD",
    "Türkiye": "TRY",
    "India": "INR",
    "Brazil": "BRL",
    "Mars": "USD",
    "": "USD",
}
UNITS = ["hour", "hr", "day", "month", "year", "annual", "fortnight"]
PER_HOUR = {
    "hour": 1,
    "hr": 1,
    "day": 8,
    "month": 173.3,
    "year": 2080,
    "annual": 2080,
    "fortnight": 80,
}

row = st.fixed_dictionaries(
    {
        "country": st.sampled_from(COUNTRIES),
        "unit": st.sampled_from(UNITS),
        "hourly": st.sampled_from([8.0, 25.0, 40.0, 55.0, 60.0, 61.0, 75.0, 90.0, 400.0, 0.2]),
        "bad_amount": st.sampled_from(["", "", "", "", "", "", "n/a", "-5", "=1+1"]),
        "date": st.sampled_from(["2021", "2022-03", "2023-11-02", "2024", "1850", "tomorrow"]),
        "experience": st.sampled_from(["junior", "mid", "senior", "SE", "", "wizard"]),
        "employment_type": st.sampled_from(["employee", "contractor", "FT", ""]),
        "then": st.sampled_from(["none"] * 6 + ["duplicate", "range"]),
    }
)


def rows_to_frame(rows: list[dict]) -> pd.DataFrame:
    out = []
    for r in rows:
        amount = r["bad_amount"] or f"{r['hourly'] * PER_HOUR[r['unit']]:,.2f}"
        rec = {
            "country": r["country"],
            "amount": amount,
            "currency": CURRENCY[r["country"]],
            "unit": r["unit"],
            "date": r["date"],
            "role": "ML Engineer",
            "experience": r["experience"],
            "employment_type": r["employment_type"],
        }
        out.append(rec)
        if r["then"] == "duplicate":
            out.append(dict(rec))
        elif r["then"] == "range" and not r["bad_amount"]:
            out.append({**rec, "amount": f"{r['hourly'] * PER_HOUR[r['unit']] * 1.4:.2f}"})
    return pd.DataFrame(out)


@settings(max_examples=4, deadline=None, suppress_health_check=list(HealthCheck))
@given(
    rows=st.lists(row, min_size=40, max_size=160),
    cuts=st.lists(st.floats(0, 1), min_size=1, max_size=3),
    extra_in_first=st.booleans(),
)
def test__dask_engine__equals_pandas_engine_on_messy_files(
    client, tmp_path_factory, rows, cuts, extra_in_first
):
    tmp = tmp_path_factory.mktemp("prop")
    frame = rows_to_frame(rows)
    bounds = sorted({0, len(frame), *[int(c * len(frame)) for c in cuts]})
    files = []
    for i, (a, b) in enumerate(zip(bounds[:-1], bounds[1:], strict=False)):
        part = frame.iloc[a:b]
        if i == 0 and extra_in_first:
            part = part.assign(note="=cmd|x")  # an extra column only one file has
        path = tmp / "in" / f"part{i}.csv"
        path.parent.mkdir(exist_ok=True)
        part.to_csv(path, index=False)
        files.append(str(path))
    pandas_engine(files, tmp / "pd")
    clean_rates_dask(files, "generic", P, tmp / "dk")
    assert_same_outputs(tmp / "pd", tmp / "dk")


@pytest.mark.parametrize("sketch", [None, (4, 25)])
def test__dask_engine__flags_outliers_pairs_and_duplicates_like_pandas(
    client, tmp_path, monkeypatch, sketch
):
    if sketch:  # tiny sketches and budget: every selection takes several rounds
        monkeypatch.setattr(exact, "SKETCH_SIZE", sketch[0])
        monkeypatch.setattr(exact, "INSIDE_BUDGET", sketch[1])
    rng = np.random.default_rng(5)
    rows = []
    for i in range(900):
        hourly = float(np.exp(rng.normal(np.log(50), 0.4)))
        if i % 97 == 0:
            hourly *= 20  # outliers
        rows.append(
            {
                "country": ["USA", "DE", "India"][i % 3],
                "amount": f"{hourly:.2f}",
                "currency": "USD",
                "unit": "hour",
                "date": "2024",
                "role": "ML Engineer",
                "experience": ["mid", "senior"][i % 2],
                "employment_type": "employee",
            }
        )
        if i % 50 == 0:
            rows.append(dict(rows[-1]))  # duplicate
        if i % 40 == 0:
            rows.append({**rows[-1], "amount": f"{hourly * 1.5:.2f}"})  # range pair
    frame = pd.DataFrame(rows)
    files = []
    for i, part in enumerate(np.array_split(np.arange(len(frame)), 3)):
        path = tmp_path / f"f{i}.csv"
        frame.iloc[part].to_csv(path, index=False)
        files.append(str(path))
    pandas_engine(files, tmp_path / "pd")
    clean_rates_dask(files, "generic", P, tmp_path / "dk")
    assert_same_outputs(tmp_path / "pd", tmp_path / "dk")
    r = json.loads((tmp_path / "dk" / "rates_clean_report.json").read_text())
    assert r["flags"]["is_outlier"] > 0 and r["flags"]["is_range_pair"] > 0
    assert r["flags"]["is_duplicate"] > 0
    t = pd.read_parquet(tmp_path / "dk" / "rates.parquet")
    assert t["range_pair_id"].dropna().is_unique is False  # ids shared by the two rows
    assert t.loc[t["is_range_pair"], "range_pair_id"].nunique() * 2 == t["is_range_pair"].sum()


group_values = st.lists(
    st.tuples(
        st.integers(0, 4),
        st.sampled_from(
            [-2.5, -0.0, 0.0, 1.0, 1.0, 3.25, 7.0, 1e308, -1e308, 5e-324, np.inf, -np.inf, np.nan]
        )
        | st.floats(-1e6, 1e6, allow_nan=False),
    ),
    max_size=300,
)


@settings(max_examples=150, deadline=None)
@given(
    parts=st.lists(group_values, min_size=1, max_size=5),
    size=st.integers(2, 8),
    budget=st.sampled_from([0, 7, 10**6]),
    seed=st.integers(0, 2**16),
)
def test__order_statistics__equal_numpy_on_the_whole_column(parts, size, budget, seed):
    """Exact selection: any ranks, ties, infinities, empty partitions, several rounds."""
    import dask

    arrays = [
        (np.array([g for g, _ in p], dtype=np.int64), np.array([v for _, v in p])) for p in parts
    ]
    codes = np.concatenate([c for c, _ in arrays])
    values = np.concatenate([v for _, v in arrays])
    ok = ~np.isnan(values)
    n = np.bincount(codes[ok], minlength=5)
    rng = np.random.default_rng(seed)
    ranks = np.where(n[:, None] > 0, rng.integers(0, np.maximum(n, 1)[:, None], (5, 3)), -1)
    old = exact.INSIDE_BUDGET
    exact.INSIDE_BUDGET = budget
    try:
        with dask.config.set(scheduler="synchronous"):
            prepared = exact.prepare([[a] for a in arrays], exact.identity_extract, 5)
            summary = exact.summarize(prepared, 5, size)
            got = exact.order_statistics(prepared, ranks, summary, size)
            med = exact.medians_from(
                exact.order_statistics(prepared, exact.median_ranks(n), summary, size), n
            )
    finally:
        exact.INSIDE_BUDGET = old
    assert (summary.counts == n).all()
    for g in range(5):
        column = np.sort(values[ok & (codes == g)])
        for r in range(3):
            want = column[ranks[g, r]] if ranks[g, r] >= 0 else np.nan
            np.testing.assert_array_equal(got[g, r], want)  # -0.0 == 0.0: sorts tie them
        if n[g]:
            with np.errstate(over="ignore"):
                np.testing.assert_equal(med[g], np.median(column))  # sign of 0, overflow too


def test__order_statistics__refuses_a_sketch_of_two_points():
    import dask

    with dask.config.set(scheduler="synchronous"):
        prepared = exact.prepare(
            [[(np.zeros(3, np.int64), np.arange(3.0))]], exact.identity_extract, 1
        )
        with pytest.raises(ValueError, match="at least 2"):
            exact.summarize(prepared, 1, 1)


def test__expand_inputs__folder_glob_and_missing(tmp_path):
    for n in ("b.csv", "a.csv", "c.txt"):
        (tmp_path / n).write_text("x\n")
    assert expand_inputs([str(tmp_path)]) == [str(tmp_path / "a.csv"), str(tmp_path / "b.csv")]
    assert expand_inputs([str(tmp_path / "*.csv"), str(tmp_path / "a.csv")]) == [
        str(tmp_path / "a.csv"),
        str(tmp_path / "b.csv"),
    ]
    with pytest.raises(InputError, match="no file matches"):
        expand_inputs([str(tmp_path / "*.parquet")])


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="no FIFOs here")
def test__dask_engine__fifo_in_a_folder_refused_naming_it(client, tmp_path):
    folder = tmp_path / "in"
    folder.mkdir()
    pd.DataFrame(
        [
            {
                "country": "USA",
                "amount": "50",
                "currency": "USD",
                "unit": "hour",
                "date": "2024",
                "role": "ML Engineer",
            }
        ]
    ).to_csv(folder / "a.csv", index=False)
    os.mkfifo(folder / "b.csv")
    files = expand_inputs([str(folder)])
    assert files == [str(folder / "a.csv"), str(folder / "b.csv")]
    with pytest.raises(InputError, match="FIFO") as err:
        clean_rates_dask(files, "generic", P, tmp_path / "out")
    assert Path(err.value.path).name == "b.csv"
    assert not (tmp_path / "out" / "rates.parquet").exists()


def test__dask_engine__unreadable_file_refused_and_nothing_written(client, tmp_path):
    good = tmp_path / "good.csv"
    rows_to_frame(
        [
            {
                "country": "USA",
                "unit": "hour",
                "hourly": 50.0,
                "bad_amount": "",
                "date": "2024",
                "experience": "mid",
                "employment_type": "employee",
                "then": "none",
            }
        ]
    ).to_csv(good, index=False)
    bad = tmp_path / "bad.csv"
    bad.write_text("country,amount\nUSA,5\n")
    with pytest.raises(InputError, match="required column"):
        clean_rates_dask([str(good), str(bad)], "generic", P, tmp_path / "out")
    assert not list((tmp_path / "out").glob("rates*"))


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test__cli__unreachable_scheduler_exits_2_naming_it(tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("MARKETLIB_DASK_CONNECT_TIMEOUT", "1")
    f = tmp_path / "a.csv"
    f.write_text("country,amount,currency,unit,date\nUSA,50,USD,hour,2024\n")
    address = f"tcp://127.0.0.1:{free_port()}"
    code = main(
        [
            "clean",
            "rates",
            str(f),
            "--format",
            "generic",
            "--engine",
            "dask",
            "--scheduler",
            address,
            "--out",
            str(tmp_path / "out"),
        ]
    )
    err = capsys.readouterr().err
    assert code == 2
    assert address in err and len(err.strip().splitlines()) == 1
    assert not (tmp_path / "out" / "rates_clean_report.json").exists()


def test__cli__real_dask_scheduler_and_worker_subprocesses(tmp_path):
    port = free_port()
    address = f"tcp://127.0.0.1:{port}"
    env = {**os.environ, "DASK_DISTRIBUTED__WORKER__DAEMON": "False"}
    procs = [
        subprocess.Popen(
            [
                str(BIN / "dask"),
                "scheduler",
                "--host",
                "127.0.0.1",
                "--port",
                str(port),
                "--no-dashboard",
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            env=env,
        )
    ]
    try:
        procs.append(
            subprocess.Popen(
                [
                    str(BIN / "dask"),
                    "worker",
                    address,
                    "--nthreads",
                    "1",
                    "--nworkers",
                    "1",
                    "--no-dashboard",
                    "--memory-limit",
                    "1GiB",
                ],
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
                env=env,
            )
        )
        client = None
        deadline = time.time() + 30
        while time.time() < deadline:
            try:
                client = distributed.Client(address, timeout="2s")
                client.wait_for_workers(1, timeout=20)
                break
            except (OSError, TimeoutError):
                time.sleep(0.3)
        assert client is not None, "scheduler did not start"
        client.close()
        rows = [
            {
                "country": c,
                "unit": "hour",
                "hourly": h,
                "bad_amount": b,
                "date": "2024",
                "experience": "mid",
                "employment_type": "employee",
                "then": t,
            }
            for c, h, b, t in [
                ("USA", 50.0, "", "none"),
                ("DE", 40.0, "n/a", "none"),
                ("Mars", 30.0, "", "none"),
                ("India", 20.0, "", "range"),
                ("UK", 45.0, "", "duplicate"),
            ]
        ] * 8
        (tmp_path / "in").mkdir()
        frame = rows_to_frame(rows)
        frame.iloc[:20].to_csv(tmp_path / "in" / "a.csv", index=False)
        frame.iloc[20:].to_csv(tmp_path / "in" / "b.csv", index=False)
        out = subprocess.run(
            [
                str(BIN / "marketlib"),
                "clean",
                "rates",
                str(tmp_path / "in"),
                "--format",
                "generic",
                "--engine",
                "dask",
                "--scheduler",
                address,
                "--out",
                str(tmp_path / "dk"),
                "--max-date",
                "2025-06-30",
                "--max-rejected-share",
                "1",
            ],
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert out.returncode == 0, out.stderr
        files = expand_inputs([str(tmp_path / "in")])
        pandas_engine(files, tmp_path / "pd")
        assert_same_outputs(tmp_path / "pd", tmp_path / "dk")
    finally:
        for p in reversed(procs):
            p.terminate()
        for p in procs:
            try:
                p.wait(timeout=10)
            except subprocess.TimeoutExpired:
                p.kill()


def arbitrage_rows(n: int = 6000, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    groups = ["North America", "Europe", "Asia-Pacific", "Latin America", "Oceania"]
    return pd.DataFrame(
        {
            "group": rng.choice(groups, n, p=[0.4, 0.3, 0.2, 0.097, 0.003]),
            "hourly_usd": np.round(np.exp(rng.normal(4, 0.5, n)), 1),  # ties on purpose
            "country_iso3": rng.choice(["USA", "CAN", "DEU", "POL", "IND", "BRA"], n),
            "experience": rng.choice(
                ["junior", "mid", "senior", None], n, p=[0.3, 0.3, 0.35, 0.05]
            ),
            "role_family": rng.choice(["ml", "data", "platform"], n),
            "employment_type": rng.choice(["full_time", "employee"], n),
            "year": rng.integers(2021, 2025, n),
        }
    )


def test__dask_arbitrage__equals_pandas(client):
    d = arbitrage_rows()
    ddf = dd.from_pandas(d, npartitions=5)
    m = dask_group_medians(ddf, "group", "hourly_usd", 0.95)
    for _, r in m.iterrows():
        x = d.loc[d["group"] == r["group"], "hourly_usd"].to_numpy()
        lo, hi = median_ci_order_statistic(x, 0.95)
        assert (r["n"], r["median"], r["ci_low"], r["ci_high"]) == (len(x), np.median(x), lo, hi)
    rr = dask_raw_ratios(ddf, "North America", min_n=10, n_boot=400, seed=3)
    pd.testing.assert_frame_equal(
        rr, ab.raw_ratios(d, "North America", min_n=10, n_boot=400, seed=3), check_exact=True
    )
    groups = ["North America", "Europe", "Asia-Pacific", "Latin America"]
    fit = dask_adjusted_ratios(ddf, "North America", groups)
    ref = ab.adjusted_ratios(d, "North America", groups, quantile_check=False)
    assert fit.controls == ref.controls and fit.n == ref.n
    pd.testing.assert_frame_equal(fit.ratios, ref.ratios, rtol=1e-8, atol=0)
    names = list(ref.model.params.index)
    np.testing.assert_allclose(fit.params[names], ref.model.params, rtol=0, atol=1e-10)
    np.testing.assert_allclose(
        fit.cov_params.loc[names, names], ref.model.cov_params(), rtol=1e-8, atol=1e-14
    )


def test__local_cluster__workers_get_the_malloc_settings():
    import dask

    from marketlib.engines.cluster import MALLOC_ENVIRON, dask_client

    with dask_client(None, n_workers=1) as c:
        seen = c.run(lambda: {k: os.environ.get(k) for k in MALLOC_ENVIRON})
        profile = c.run(lambda: dask.config.get("distributed.worker.profile.enabled"))
    assert list(seen.values()) == [{k: str(v) for k, v in MALLOC_ENVIRON.items()}]
    assert list(profile.values()) == [False]


def test__k8s_manifests__parse_with_required_keys():
    files = sorted((ROOT / "deploy" / "k8s").glob("*.yaml"))
    assert files
    kinds = []
    for f in files:
        for doc in yaml.safe_load_all(f.read_text()):
            if doc is None:
                continue
            assert {"apiVersion", "kind", "metadata"} <= set(doc), f
            assert doc["metadata"].get("name"), f
            kinds.append(doc["kind"])
            if doc["kind"] == "DaskCluster":
                assert doc["apiVersion"] == "kubernetes.dask.org/v1"
                spec = doc["spec"]
                worker, sched = spec["worker"], spec["scheduler"]
                assert worker["replicas"] >= 1
                w = worker["spec"]["containers"][0]
                assert w["image"] and "dask-worker" in " ".join(w["args"])
                assert w["resources"]["limits"]["memory"]
                env = {e["name"]: e["value"] for e in w.get("env", [])}
                from marketlib.engines.cluster import MALLOC_ENVIRON

                assert (
                    yaml.safe_load(
                        env["DASK_DISTRIBUTED__NANNY__PRE_SPAWN_ENVIRON"].replace("'", '"')
                    )
                    == MALLOC_ENVIRON
                )
                assert env["DASK_DISTRIBUTED__WORKER__PROFILE__ENABLED"] == "False"
                s = sched["spec"]["containers"][0]
                assert "dask-scheduler" in " ".join(s["args"])
                ports = {p["name"]: p["port"] for p in sched["service"]["ports"]}
                assert ports["tcp-comm"] == 8786
    assert "DaskCluster" in kinds


def test__run_arbitrage__dask_engine_equals_pandas_engine(client, tmp_path):
    from marketlib import sections
    from marketlib.params import ArbitrageParams

    rng = np.random.default_rng(7)
    n = 3000
    countries = rng.choice(["US", "CA", "DE", "PL", "IN", "BR", "GB"], n)
    table = pd.DataFrame(
        {
            "country": countries,
            "currency": "USD",
            "unit": "hour",
            "amount": np.round(np.exp(rng.normal(4, 0.5, n)), 1).astype(str),  # ties on purpose
            "date": rng.choice(["2022", "2023", "2024-03"], n),
            "role": rng.choice(["ML Engineer", "Data Scientist", "Platform Engineer"], n),
            "experience": rng.choice(["junior", "mid", "senior"], n),
            "employment_type": rng.choice(["employee", "FT"], n),
        }
    )
    src = tmp_path / "rates.csv"
    table.to_csv(src, index=False)
    from marketlib.sources import read_csv_text

    raw = read_csv_text(src)
    result = clean.clean_rates(raw.frame, "generic", P, source_file="rates.csv")
    paths = clean.write_outputs(result, tmp_path / "out", {"rates.csv": raw.sha256})
    common = dict(
        rates_path=str(paths["table"]), geography="region", n_boot=300, ppp=False, min_n=30, seed=5
    )
    pa_ = sections.run_arbitrage(ArbitrageParams.build(common), sensitivity_boot=0)
    da_ = sections.run_arbitrage(
        ArbitrageParams.build({**common, "engine": "dask", "scheduler": client.scheduler.address}),
        sensitivity_boot=0,
    )
    a, b = pa_.result, da_.result
    assert len(a.raw) >= 3 and a.log == b.log
    pd.testing.assert_frame_equal(a.raw, b.raw, check_exact=True)  # medians, CIs, bootstrap
    pd.testing.assert_frame_equal(a.countries, b.countries, check_exact=True)  # per country
    assert a.tau2 == b.tau2
    assert a.adjusted.controls == b.adjusted.controls and a.adjusted.n == b.adjusted.n
    pd.testing.assert_frame_equal(a.adjusted.ratios, b.adjusted.ratios, rtol=1e-8, atol=0)
    assert {"ratio_equal_country_ci_low", "ratio_named_countries_ci_low"} <= set(
        a.adjusted.ratios.columns
    )
    pd.testing.assert_frame_equal(a.trend, b.trend, check_exact=True)  # pandas in both


# --- hostile input: Dask with no clean row, and a bad connect timeout -------------------------


@pytest.mark.parametrize(
    "text",
    [
        "country,amount,currency,unit,date\n",
        "country,amount,currency,unit,date\nUS,x,USD,year,2023\n",
    ],
)
def test__dask__no_clean_row_writes_empty_outputs_as_pandas(tmp_path, text):
    pytest.importorskip("distributed")
    src = tmp_path / "in.csv"
    src.write_text(text)
    rcs = []
    for engine in ("pandas", "dask"):
        rcs.append(
            main(
                [
                    "clean",
                    "rates",
                    str(src),
                    "--format",
                    "generic",
                    "--engine",
                    engine,
                    "--out",
                    str(tmp_path / engine),
                ]
            )
        )
    assert rcs[0] == rcs[1]
    a = json.loads((tmp_path / "pandas" / "rates_clean_report.json").read_text())
    b = json.loads((tmp_path / "dask" / "rates_clean_report.json").read_text())
    for k in ("rows_in", "rows_clean", "rows_rejected", "reasons"):
        assert a[k] == b[k]


@pytest.mark.parametrize("value", ["abc", "-1", "0", "inf", "nan", "1e9"])
def test__dask_connect_timeout_validated(monkeypatch, value):
    from marketlib.engines.cluster import dask_client

    monkeypatch.setenv("MARKETLIB_DASK_CONNECT_TIMEOUT", value)
    with pytest.raises(InputError, match="MARKETLIB_DASK_CONNECT_TIMEOUT"):
        with dask_client("tcp://127.0.0.1:1"):
            pass
