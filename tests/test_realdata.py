"""The real aijobs file, read through MARKETLIB_MIRROR (CI fails loudly if it is missing)."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from marketlib.cli import main
from marketlib.sources import AIJOBS_SHA256, sha256_file

pytestmark = pytest.mark.realdata


@pytest.fixture(scope="module")
def cleaned(shared_data, tmp_path_factory, monkeypatch_module):
    out = tmp_path_factory.mktemp("clean")
    raw = tmp_path_factory.mktemp("raw")
    monkeypatch_module.setenv("MARKETLIB_MIRROR", str(shared_data))
    assert main(["fetch", "aijobs", "--dest", str(raw)]) == 0
    src = raw / "aijobs" / "salaries.csv"
    assert sha256_file(src) == AIJOBS_SHA256
    assert main(["clean", "rates", str(src), "--format", "aijobs", "--out", str(out),
                 "--max-date", "2026-11-26"]) == 0
    return {
        "path": out / "rates.parquet",
        "raw": pd.read_csv(src),
        "clean": pd.read_parquet(out / "rates.parquet"),
        "rejected": pd.read_csv(out / "rates_rejected.csv"),
        "report": json.loads((out / "rates_clean_report.json").read_text()),
    }


@pytest.fixture(scope="module")
def monkeypatch_module():
    mp = pytest.MonkeyPatch()
    yield mp
    mp.undo()


def test__aijobs__no_row_lost(cleaned):
    r = cleaned["report"]
    assert r["rows_in"] == 74_301
    assert r["rows_clean"] + r["rows_rejected"] == 74_301
    assert len(cleaned["clean"]) == r["rows_clean"]
    assert len(cleaned["rejected"]) == r["rows_rejected"]
    rows = set(cleaned["clean"]["source_row"]) | set(cleaned["rejected"]["source_row"])
    assert rows == set(range(1, 74_302))
    assert r["inputs"] and list(r["inputs"].values()) == [AIJOBS_SHA256]


def test__aijobs__every_year_present(cleaned):
    assert sorted(cleaned["clean"]["year"].unique()) == [2020, 2021, 2022, 2023, 2024, 2025]
    by_year = cleaned["clean"]["year"].value_counts().to_dict()
    assert by_year[2024] == 62_229  # SOURCE.md


def test__aijobs__known_traits_reproduced(cleaned):
    c = cleaned["clean"]
    assert c["is_duplicate"].sum() == 39_304  # SOURCE.md: exact duplicates of another row
    assert c["country_iso3"].nunique() == 93
    share_us = (c["country_iso3"] == "USA").mean()
    assert 0.85 < share_us < 0.95  # "about 90% United States"
    assert set(c["region"]) <= {"North America", "Latin America", "Europe", "Asia-Pacific",
                                "Middle East & Africa"}


def test__aijobs__usd_rows_unchanged(cleaned):
    c = cleaned["clean"]
    usd = c[c["currency"] == "USD"]
    raw = cleaned["raw"].iloc[usd["source_row"].to_numpy() - 1]
    np.testing.assert_array_equal(usd["annual_usd"].to_numpy(), raw["salary_in_usd"].to_numpy())
    assert not usd["is_fx_mismatch"].any()


def test__aijobs__own_conversion_vs_source_usd(cleaned):
    """Non-USD rows: ECB annual average vs aijobs' own figure.

    Complete years 2020-2023 agree closely (median |diff| < 0.5%); 2024-2025 differ more because
    aijobs converts at a year-to-date rate. Every row beyond 5% is flagged, and only those.
    """
    c = cleaned["clean"]
    nu = c[(c["currency"] != "USD") & (c["fx_source"] == "ecb")]
    rel = (nu["annual_usd"] / nu["source_annual_usd"] - 1).abs()
    assert len(nu) > 3_700
    assert rel[nu["year"] <= 2023].median() < 0.005
    assert (rel <= 0.05).mean() > 0.90
    pd.testing.assert_series_equal(nu["is_fx_mismatch"], rel > 0.05, check_names=False)
    assert cleaned["report"]["flags"]["is_fx_mismatch"] == int((rel > 0.05).sum())


def test__aijobs__currency_outside_ecb_falls_back_to_source(cleaned):
    c = cleaned["clean"]
    clp = c[c["currency"] == "CLP"]
    assert len(clp) == 1 and (clp["fx_source"] == "source_usd").all()
    assert (clp["annual_usd"] == clp["source_annual_usd"]).all()


@pytest.mark.realdata
def test__real_regional_intervals_respect_countries(cleaned):
    """Each regional interval has its estimand: a typical country (from 3+ countries only)
    is wider than the named countries' interval; the pooled ratio is descriptive."""
    from marketlib.arbitrage.countries import MIN_CLUSTERS_FOR_CI
    from marketlib.params import default_report_params
    from marketlib.sections import run_arbitrage

    d = default_report_params()
    sec = run_arbitrage(d.arbitrage.model_copy(update={
        "rates_path": str(cleaned["path"]), "ppp": False, "n_boot": 600}), sensitivity_boot=0)
    for table, pooled in ((sec.result.raw, ("ratio_ci_low", "ratio_ci_high")),
                          (sec.result.adjusted.ratios, ("ci_low", "ci_high"))):
        rep = table[table["group"].ne("North America") & table["ratio_equal_country"].notna()]
        assert len(rep) >= 5
        for _, r in rep.iterrows():
            has_ci = pd.notna(r.ratio_equal_country_ci_low)
            assert has_ci == (r.n_countries_averaged >= MIN_CLUSTERS_FOR_CI), r.group
            assert r.ratio_named_countries_ci_low < r.ratio_equal_country \
                < r.ratio_named_countries_ci_high, r.group
            assert pd.notna(r[pooled[0]]) and r[pooled[0]] < r[pooled[1]], r.group
            if has_ci:  # the typical country carries the spread between countries
                typical = r.ratio_equal_country_ci_high / r.ratio_equal_country_ci_low
                assert typical > r.ratio_named_countries_ci_high \
                    / r.ratio_named_countries_ci_low, r.group
                assert typical < 11, r.group
    adj = sec.result.adjusted.ratios.set_index("group")
    ee = adj.loc["Eastern Europe"]
    assert ee.n_countries_averaged == 5 and ee.n_rows_averaged < ee.n
    assert 0.3 < ee.ratio_equal_country < 0.5
