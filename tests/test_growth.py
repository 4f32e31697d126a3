from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from growth_tables import activity_table, world_counts
from scipy import stats

from marketlib import growth as g
from marketlib.clean import CleanParams, clean_certifications
from marketlib.growth import GrowthInputError, check_measure, prepare_panel
from marketlib.report import load_params
from marketlib.report.run import check_sections
from marketlib.simulate import certification_counts, certification_records
from marketlib.sources import InputError

CLAIM_GROWTH = {"North America": 0.38, "Europe": 0.52, "Asia-Pacific": 0.67, "Latin America": 0.45}
LARGE = {"North America": 800, "Europe": 600, "Asia-Pacific": 400, "Latin America": 120}
SMALL = {"North America": 40, "Europe": 30, "Asia-Pacific": 12, "Latin America": 6}


def table(rows: list[tuple], freq: str = "Y") -> pd.DataFrame:
    d = pd.DataFrame(rows, columns=["period", "region", "certification", "count"])
    d["period_start"] = pd.to_datetime(
        d["period"].str.replace(
            r"-Q(\d)", lambda m: f"-{(int(m.group(1)) - 1) * 3 + 1:02d}", regex=True
        )
    )
    d["freq"] = freq
    d["count_basis"] = "new"
    return d


def test__growth_ci__known_answers():
    # METHODS §5.1: 1000 -> 1670 is +0.67; Poisson score CI [0.5442, 0.8061]
    gr, lo, hi = g.growth_ci(1000, 1670, alpha=0.0, df=None)
    assert gr == pytest.approx(0.67)
    plo, phi = g.poisson_growth_ci(1000, 1670)
    assert (plo, phi) == pytest.approx((0.5442, 0.8061), abs=2e-4)
    # alpha = 0.005 widens to about [+35%, +106%], alpha = 0.02 to about [+12%, +149%]
    assert g.growth_ci(1000, 1670, 0.005, None)[1:] == pytest.approx((0.35, 1.06), abs=0.01)
    assert g.growth_ci(1000, 1670, 0.02, None)[1:] == pytest.approx((0.12, 1.49), abs=0.01)


def test__trend__cagr_is_exp_beta_minus_one():
    # beta = 0.1512 is +16.3% a year, not 15.1% (METHODS §5.2)
    years = [str(2017 + i) for i in range(6)]
    rows = [
        (y, "Europe", "all", int(round(1000 * np.exp(0.1512 * i)))) for i, y in enumerate(years)
    ]
    tr = g.trend_growth(g.prepare_panel(table(rows)))
    assert tr.loc[0, "annual_growth"] == pytest.approx(0.163, abs=0.002)
    assert tr.loc[0, "model"] == "wls_log"


def test__prepare_panel__guards():
    with pytest.raises(g.GrowthInputError, match="mixed frequencies"):
        t = table([("2022", "Europe", "all", 5), ("2023", "Europe", "all", 6)])
        t.loc[1, "freq"] = "Q"
        g.prepare_panel(t)
    with pytest.raises(g.GrowthInputError, match="non-negative integers"):
        g.prepare_panel(table([("2022", "Europe", "all", -5)]))
    with pytest.raises(g.GrowthInputError, match="non-negative integers"):
        g.prepare_panel(table([("2022", "Europe", "all", 2.5)]))
    with pytest.raises(g.GrowthInputError, match="no counts left"):
        g.prepare_panel(table([("2022", "Europe", "all", 5)]), start="2030")
    with pytest.raises(g.GrowthInputError, match="single period"):
        g.fit_growth(g.prepare_panel(table([("2022", "Europe", "all", 5)])))


def test__prepare_panel__stock_values_and_partial_series_excluded():
    t = table(
        [
            ("2021", "World", "CKA", 100),
            ("2022", "World", "CKA", 120),
            ("2023", "World", "CKA", 150),
            ("2022", "World", "KCNA", 40),
            ("2023", "World", "KCNA", 60),
        ]
    )
    t.loc[0, "count_basis"] = "cumulative_first"
    p = g.prepare_panel(t, ["region"])
    assert p.periods == ["2022", "2023"]
    assert p.data["y"].tolist() == [160, 210]  # window 2022-2023: CKA + KCNA both cover it
    assert p.excluded[0]["reason"].startswith("first value of a cumulative series")
    t2 = t.copy()
    t2.loc[0, "count_basis"] = "new"
    p2 = g.prepare_panel(t2, ["region"])
    assert p2.data["y"].tolist() == [100, 120, 150]  # KCNA dropped: does not cover 2021
    assert any("composition" in e["reason"] for e in p2.excluded)


def test__period_growth__missing_zero_and_too_few_periods():
    t = table(
        [
            ("2022", "Europe", "all", 0),
            ("2023", "Europe", "all", 10),
            ("2022", "Asia-Pacific", "all", 100),
            ("2023", "Asia-Pacific", "all", 167),
        ]
    )
    p = g.prepare_panel(t, balanced=False)
    res = g.period_growth(p, "2022", "2023").set_index("group")
    assert res.loc["Europe", "status"].startswith("zero count")
    assert res.loc["Asia-Pacific", "growth"] == pytest.approx(0.67)
    assert np.isnan(res.loc["Asia-Pacific", "ci_low"])  # two periods: noise unknown
    assert "fewer than 3 periods" in res.loc["Asia-Pacific", "status"]
    t3 = table(
        [
            ("2022", "Europe", "all", 5),
            ("2023", "Asia-Pacific", "all", 6),
            ("2022", "Asia-Pacific", "all", 6),
        ]
    )
    r3 = g.period_growth(g.prepare_panel(t3, balanced=False), "2022", "2023")
    assert r3.set_index("group").loc["Europe", "status"] == "missing period"


def test__dispersion__compared_change_held_out_of_alpha():
    """An extreme change between the compared periods must not inflate its own yardstick."""
    rng = np.random.default_rng(3)
    counts = certification_counts(LARGE, CLAIM_GROWTH, 7, 0.005, rng)
    jump = counts.copy()
    sel = jump["region"] == "Europe"
    jump.loc[sel & (jump["period"] == "2023"), "count"] *= 3
    jump.loc[sel & (jump["period"] == "2022"), "count"] //= 3
    base, moved = g.prepare_panel(counts), g.prepare_panel(jump)
    held = ("2022", "2023")
    a0 = g.estimate_dispersion(base, held_out=held).alpha
    a1 = g.estimate_dispersion(moved, held_out=held).alpha
    assert a1 == pytest.approx(a0, rel=0.05)
    # left in the residuals, the same jump multiplies alpha several times over
    assert g.estimate_dispersion(moved).alpha > 5 * g.estimate_dispersion(base).alpha
    d = g.estimate_dispersion(moved, held_out=held)
    assert d.df == 4 * 7 - 4 * 3 and "held out" in d.method and d.alpha_var > 0


def test__dispersion__satterthwaite_df_and_short_panel_fallback():
    d = g.Dispersion(alpha=0.01, df=16, method="m", alpha_var=2 * 0.01**2 / 16)
    assert d.effective_df(0.0, 2) == pytest.approx(16)  # all variance from alpha: model df
    assert d.effective_df(0.02, 2) == pytest.approx(64)  # half known: 4x the df
    assert g.Dispersion(alpha=0.01, df=16, method="m").effective_df(0.02, 2) == 16
    short = table(
        [
            (str(y), r, "all", c)
            for r, cs in {"Europe": (100, 150, 210), "Asia-Pacific": (80, 140, 190)}.items()
            for y, c in zip((2021, 2022, 2023), cs, strict=True)
        ]
    )
    d3 = g.estimate_dispersion(g.prepare_panel(short), held_out=("2022", "2023"))
    assert d3.df == 2 and d3.alpha_var is None and "conservative" in d3.method


def test__dispersion__small_counts_cox_reid_with_zeros():
    rng = np.random.default_rng(5)
    counts = certification_counts(SMALL, CLAIM_GROWTH, 7, 0.02, rng)
    counts.loc[(counts["region"] == "Latin America") & (counts["period"] == "2017"), "count"] = 0
    p = g.prepare_panel(counts)
    d = g.estimate_dispersion(p, held_out=("2022", "2023"))
    assert "Cox-Reid" in d.method and "held out" in d.method and d.df == 16
    assert 0 < d.alpha < 0.2 and d.alpha_var > 0
    res = g.period_growth(p, "2022", "2023", dispersion=d)
    assert (res["df"] >= 1).all()  # Satterthwaite df per group
    assert np.allclose(res["critical"], stats.t.ppf(0.975, res["df"].astype(float)))
    assert (res["ci_low"] < res["growth"]).all() and (res["growth"] < res["ci_high"]).all()
    # a long panel recovers a known alpha, and Poisson data give alpha = 0 or close to it
    big = g.prepare_panel(
        certification_counts(
            {"A": 20, "B": 30}, {"A": 0.1, "B": 0.05}, 40, 0.05, np.random.default_rng(9)
        )
    )
    assert g.estimate_dispersion(big).alpha == pytest.approx(0.05, abs=0.015)
    pois = g.prepare_panel(
        certification_counts(
            {"A": 20, "B": 30}, {"A": 0.1, "B": 0.05}, 40, 0.0, np.random.default_rng(9)
        )
    )
    assert g.estimate_dispersion(pois).alpha < 0.005


def test__trend__all_zero_and_short_groups_not_fitted():
    rows = [(str(y), "Europe", "all", 0) for y in range(2018, 2023)]
    rows += [(str(y), "Asia-Pacific", "all", 5 + y - 2018) for y in range(2018, 2023)]
    tr = g.trend_growth(g.prepare_panel(table(rows))).set_index("group")
    assert tr.loc["Europe", "status"] == "not fitted: all counts zero"
    assert tr.loc["Asia-Pacific", "model"] == "quasi_poisson"


def test__quarterly_seasonal_trend_and_forecast_labels():
    rng = np.random.default_rng(3)
    rows = []
    for i in range(16):
        y, q = 2020 + i // 4, i % 4 + 1
        mu = 500 * 1.3 ** (i / 4) * (1.2 if q == 4 else 1.0)
        rows.append((f"{y}-Q{q}", "Europe", "all", int(rng.poisson(mu))))
    p = g.prepare_panel(table(rows, "Q"))
    tr = g.trend_growth(p)
    assert tr.loc[0, "ci_low"] < 0.3 < tr.loc[0, "ci_high"]
    fc = g.forecast(p, 3)
    assert fc["period"].tolist() == ["2024-Q1", "2024-Q2", "2024-Q3"]
    assert (fc["pi95_low"] < fc["pi80_low"]).all() and (fc["pi80_high"] < fc["pi95_high"]).all()


def test__records_generator_round_trips_through_cleaning():
    rng = np.random.default_rng(11)
    counts = certification_counts(SMALL, CLAIM_GROWTH, 4, 0.02, rng)
    records = certification_records(counts, rng)
    res = clean_certifications(records, "records", CleanParams(freq="Y", max_date="2026-01-01"))
    assert res.report["rows_rejected"] == 0
    got = res.clean.groupby(["period", "region"])["count"].sum()
    want = counts[counts["count"] > 0].set_index(["period", "region"])["count"]
    pd.testing.assert_series_equal(got.sort_index(), want.sort_index(), check_names=False)


def _coverage_study(reps: int, bases: dict, alpha: float, seed: int) -> dict[str, dict]:
    """Coverage of the shipped estimators on NB2 panels with known growth (7 annual points).

    G1 (period growth 2022 -> 2023) and G3 (its ratio to North America's) count the replicates
    where they have an interval (counts positive); ``g1_n`` says how many that was.
    """
    ss = np.random.SeedSequence(seed)
    base = "North America"
    hits = {k: {r: 0 for r in bases} for k in ("g1", "g3", "trend")}
    n_g1 = {r: 0 for r in bases}
    log_err = {r: [] for r in bases}
    for child in ss.spawn(reps):
        rng = np.random.default_rng(child)
        p = g.prepare_panel(certification_counts(bases, CLAIM_GROWTH, 7, alpha, rng))
        disp = g.estimate_dispersion(p, held_out=("2022", "2023"))
        fit_p = g.period_growth(p, "2022", "2023", dispersion=disp).set_index("group")
        fit_d = g.growth_differentials(p, "2022", "2023", base, dispersion=disp).set_index("group")
        fit_t = g.trend_growth(p).set_index("group")
        for r, true in CLAIM_GROWTH.items():
            lo, hi = fit_p.loc[r, "ci_low"], fit_p.loc[r, "ci_high"]
            if np.isfinite(lo) and np.isfinite(hi):
                n_g1[r] += 1
                hits["g1"][r] += bool(lo <= true <= hi)
            if r != base:
                rr = (1 + true) / (1 + CLAIM_GROWTH[base])
                hits["g3"][r] += bool(fit_d.loc[r, "ci_low"] <= rr <= fit_d.loc[r, "ci_high"])
            hits["trend"][r] += bool(fit_t.loc[r, "ci_low"] <= true <= fit_t.loc[r, "ci_high"])
            log_err[r].append(np.log1p(fit_t.loc[r, "annual_growth"]) - np.log1p(true))
    return {
        r: {
            "g1": hits["g1"][r] / max(n_g1[r], 1),
            "g1_n": n_g1[r],
            "g3": None if r == base else hits["g3"][r] / reps,
            "trend": hits["trend"][r] / reps,
            "rel_bias": float(np.expm1(np.mean(log_err[r]))),
            "std_bias": float(np.mean(log_err[r]) / np.std(log_err[r])),
        }
        for r in bases
    }


@pytest.mark.simulation
@pytest.mark.parametrize(("scenario", "alpha"), [("LARGE", 0.005), ("SMALL", 0.02)])
def test__validation_smoke__coverage(scenario, alpha):
    """R = 200 per scenario, tolerance widened to [90%, 99%] (METHODS §8.5)."""
    res = _coverage_study(200, {"LARGE": LARGE, "SMALL": SMALL}[scenario], alpha, seed=2024)
    for r, m in res.items():
        assert 0.90 <= m["trend"] <= 0.99, (r, m)
        assert m["g1_n"] >= 190 and 0.90 <= m["g1"] <= 0.99, (r, m)
        assert m["g3"] is None or 0.90 <= m["g3"] <= 0.99, (r, m)


@pytest.mark.slow
@pytest.mark.parametrize(
    ("scenario", "alpha"), [("LARGE", 0.005), ("LARGE", 0.02), ("SMALL", 0.02)]
)
def test__validation_full__coverage_and_bias(scenario, alpha):
    """R = 1,000 per scenario: coverage in [93%, 97%], |relative bias| <= 2% (METHODS §8.4)."""
    res = _coverage_study(1000, {"LARGE": LARGE, "SMALL": SMALL}[scenario], alpha, seed=7)
    print(scenario, alpha, res)
    for r, m in res.items():
        assert 0.93 <= m["trend"] <= 0.97, (r, m)
        assert abs(m["rel_bias"]) <= 0.02, (r, m)
        assert abs(m["std_bias"]) <= 0.10, (r, m)
        assert m["g1_n"] >= 990 and 0.93 <= m["g1"] <= 0.97, (r, m)
        assert m["g3"] is None or 0.93 <= m["g3"] <= 0.97, (r, m)


def test__prepare_panel__mixed_new_and_cumulative_definitions_refused():
    t = table(
        [
            ("2019", "World", "CKA", 12950),
            ("2021", "World", "CKA", 33000),
            ("2022", "World", "CKA", 34000),
        ]
    )
    t["count_basis"] = ["new", "cumulative_diff", "cumulative_diff"]
    with pytest.raises(g.GrowthInputError, match="definitions differ"):
        g.prepare_panel(t, ["region"])
    assert g.prepare_panel(t, ["region"], start="2021").periods == ["2021", "2022"]


def test__fastest_probability__clear_winner_and_tie():
    rows = [
        ("2022", "A", "all", 1000),
        ("2023", "A", "all", 2000),
        ("2022", "B", "all", 1000),
        ("2023", "B", "all", 1050),
    ]
    p = g.fastest_probability(
        g.prepare_panel(table(rows)), "2022", "2023", alpha=0.0, n_boot=2000, seed=1
    )
    assert p["A"] > 0.99 and p.sum() == pytest.approx(1.0)
    tie = [
        ("2022", "A", "all", 1000),
        ("2023", "A", "all", 1100),
        ("2022", "B", "all", 1000),
        ("2023", "B", "all", 1100),
    ]
    p = g.fastest_probability(
        g.prepare_panel(table(tie)), "2022", "2023", alpha=0.01, n_boot=4000, seed=1
    )
    assert p["A"] == pytest.approx(0.5, abs=0.05)  # no ranking may be asserted (P < 0.9)


def test__equal_growth_test__same_and_different_slopes():
    years = [str(y) for y in range(2017, 2024)]
    same = [
        (y, r, "all", int(1000 * 1.1**i * (1 + 0.01 * (-1) ** i)))
        for r in ("A", "B")
        for i, y in enumerate(years)
    ]
    diff = [
        (y, r, "all", int(1000 * (1.1 if r == "A" else 1.5) ** i * (1 + 0.01 * (-1) ** i)))
        for r in ("A", "B")
        for i, y in enumerate(years)
    ]
    assert g.equal_growth_test(g.prepare_panel(table(same)))["p_value"] > 0.5
    res = g.equal_growth_test(g.prepare_panel(table(diff)))
    assert res["p_value"] < 1e-6 and res["df_num"] == 1
    one = [(y, "A", "all", 100 + i) for i, y in enumerate(years)]
    assert g.equal_growth_test(g.prepare_panel(table(one))) is None


def test__prepare_panel__year_bound_covers_the_whole_year_of_monthly_data():
    rows = [(f"{y}-{m:02d}", "Europe", "all", 100 + m) for y in (2023, 2024) for m in range(1, 13)]
    p = g.prepare_panel(table(rows, "M"), freq="M", start="2023", end="2024")
    assert p.periods[-1] == "2024-12" and len(p.periods) == 24  # not cut at "2024" < "2024-01"
    assert p.window["dropped"] == [] and p.window["end"] == "2024"


# --- parameters the data cannot serve are named before any notebook ---------------------------


@pytest.mark.parametrize(
    "measure, subjects, words",
    [
        (
            "bogus",
            ["kubernetes"],
            "measure 'bogus' is not in the activity table (it holds: developers, topic_pushers)",
        ),
        (
            "topic_pushers",
            ["no-such-topic"],
            "['no-such-topic'] not published for topic_pushers (the most frequent: kubernetes)",
        ),
        ("topic_pushers", [], "no subjects given for topic_pushers"),
    ],
)
def test__unknown_measure_or_topic__named_with_what_the_table_holds(measure, subjects, words):
    with pytest.raises(GrowthInputError) as exc:
        check_measure(activity_table(), measure, subjects)
    assert words in str(exc.value)
    check_measure(activity_table(), "developers", None)  # the stock has no subjects: fine


def test__group_by_a_column_no_row_fills__refused_naming_what_can_be_used(tmp_path):
    with pytest.raises(
        GrowthInputError,
        match="group_by country_iso3: no row of the counts "
        "has it.*group by region or certification",
    ):
        prepare_panel(world_counts(), ["country_iso3"])
    table = tmp_path / "certifications.parquet"
    world_counts().to_parquet(table)
    params = load_params(None)
    bad = params.model_copy(
        update={"growth": params.growth.model_copy(update={"group_by": ["country_iso3"]})}
    )
    with pytest.raises(InputError, match="^growth: group_by country_iso3"):
        check_sections(bad, {"certifications": table}, ["certification_growth"])
    check_sections(params, {"certifications": table}, ["certification_growth"])


def test__group_value_missing_on_some_rows__its_own_not_stated_group():
    d = world_counts()
    d.loc[d["certification"] == "CKAD", "region"] = None
    panel = prepare_panel(d, ["region"])
    assert sorted(panel.data["group"].unique()) == ["World", "not stated"]
    assert int(panel.data["y"].sum()) == int(d["count"].sum())
