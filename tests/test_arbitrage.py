from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from marketlib import arbitrage as ab
from marketlib.simulate import pay_sample
from marketlib.sources import read_price_level_ratios

LEVELS = {"North America": 72.0, "Eastern Europe": 28.8}  # true ratio 0.40 at reference exp
EXP_EFFECT = {"junior": -0.4, "mid": 0.0, "senior": 0.35}
MIX = {
    "North America": {"junior": 0.1, "mid": 0.3, "senior": 0.6},
    "Eastern Europe": {"junior": 0.5, "mid": 0.3, "senior": 0.2},
}
SIGMA = {"North America": 0.3, "Eastern Europe": 0.6}


def frame_from_sample(s: pd.DataFrame) -> pd.DataFrame:
    """Turn a simulated sample into the columns select_rates/raw_ratios expect."""
    return s.assign(
        hourly=s["hourly_usd"], role_family="ML/AI Engineer", year=2024, employment_type="full_time"
    )


def test__bootstrap_medians__matches_direct_resampling():
    rng = np.random.default_rng(0)
    x = rng.lognormal(3, 0.5, 101)
    fast = ab.bootstrap_medians(x, 20000, np.random.default_rng(1))
    slow = np.median(rng.choice(x, size=(20000, len(x))), axis=1)
    assert np.quantile(fast, [0.025, 0.5, 0.975]) == pytest.approx(
        np.quantile(slow, [0.025, 0.5, 0.975]), rel=0.02
    )


def test__median_ci_order_statistic__known_ranks():
    # n = 30: binomial(30, 1/2) ranks 10 and 21 give >= 95% (Conover, Table A3)
    x = np.arange(1, 31)
    assert ab.median_ci_order_statistic(x) == (10.0, 21.0)


def test__raw_ratios__floor_and_shares():
    d = pd.DataFrame(
        {
            "group": ["NA"] * 50 + ["EE"] * 12 + ["LA"] * 40,
            "hourly_usd": np.r_[np.full(50, 70.0), np.full(12, 25.0), np.full(40, 30.0)],
            "country_iso3": ["USA"] * 45 + ["CAN"] * 5 + ["POL"] * 12 + ["BRA"] * 30 + ["MEX"] * 10,
        }
    )
    r = ab.raw_ratios(d, "NA", min_n=30, n_boot=500).set_index("group")
    assert not r.loc["EE", "reported"] and np.isnan(r.loc["EE", "ratio_to_base"])
    assert r.loc["EE", "n"] == 12
    assert r.loc["LA", "ratio_to_base"] == pytest.approx(30 / 70)
    assert r.loc["LA", "top_country_share"] == pytest.approx(0.75)
    assert r.loc["NA", "n_countries"] == 2


def test__handle_range_pairs__collapse_low_high():
    d = pd.DataFrame(
        {
            "hourly_usd": [100.0, 144.0, 50.0],
            "is_range_pair": [True, True, False],
            "range_pair_id": pd.array([1, 1, pd.NA], dtype="Int64"),
        }
    )
    assert ab.handle_range_pairs(d, "collapse")["hourly_usd"].tolist() == pytest.approx([120.0, 50])
    assert sorted(ab.handle_range_pairs(d, "low")["hourly_usd"]) == [50.0, 100.0]
    assert sorted(ab.handle_range_pairs(d, "high")["hourly_usd"]) == [50.0, 144.0]
    assert len(ab.handle_range_pairs(d, "keep")) == 3


def test__select_rates__never_mixes_salary_and_bill_rates():
    d = pd.DataFrame(
        {
            "rate_kind": ["salary", "bill_rate"],
            "employment_type": ["full_time", "contractor"],
            "annual_usd": [100000.0, 300000.0],
            "year": [2024, 2024],
            "subregion": ["North America"] * 2,
            "is_duplicate": [False] * 2,
            "is_range_pair": [False] * 2,
            "range_pair_id": pd.array([pd.NA] * 2, dtype="Int64"),
            "is_fx_mismatch": [False] * 2,
            "is_outlier": [False] * 2,
        }
    )
    sel, log = ab.select_rates(d, ab.Scope(employment_types=None))
    assert sel["rate_kind"].unique().tolist() == ["salary"]
    assert log[1]["rows"] == 1


def test__adjusted_ratio_recovers_truth_while_raw_reflects_mix():
    rng = np.random.default_rng(5)
    s = pay_sample(
        LEVELS, {"North America": 3000, "Eastern Europe": 3000}, MIX, EXP_EFFECT, SIGMA, rng
    )
    d = frame_from_sample(s)
    raw = ab.raw_ratios(d, "North America", n_boot=500).set_index("group")
    adj = ab.adjusted_ratios(
        d,
        "North America",
        ["North America", "Eastern Europe"],
        controls=("experience",),
        quantile_check=False,
    )
    ratio = adj.ratios.set_index("group").loc["Eastern Europe", "ratio_to_base"]
    assert ratio == pytest.approx(0.40, rel=0.05)
    assert raw.loc["Eastern Europe", "ratio_to_base"] < 0.33  # junior-heavy mix drags it down


def _coverage(reps: int, seed: int) -> dict[str, float]:
    ss = np.random.SeedSequence(seed)
    hit_adj = hit_raw = 0
    # raw estimand: ratio of population medians under each group's own mix
    big = pay_sample(
        LEVELS,
        {"North America": 400_000, "Eastern Europe": 400_000},
        MIX,
        EXP_EFFECT,
        SIGMA,
        np.random.default_rng(99),
    )
    med = big.groupby("group")["hourly_usd"].median()
    true_raw = med["Eastern Europe"] / med["North America"]
    est = []
    for child in ss.spawn(reps):
        rng = np.random.default_rng(child)
        s = frame_from_sample(
            pay_sample(
                LEVELS, {"North America": 400, "Eastern Europe": 60}, MIX, EXP_EFFECT, SIGMA, rng
            )
        )
        adj = ab.adjusted_ratios(
            s,
            "North America",
            ["North America", "Eastern Europe"],
            controls=("experience",),
            quantile_check=False,
        ).ratios.iloc[0]
        hit_adj += adj.ci_low <= 0.40 <= adj.ci_high
        est.append(np.log(adj.ratio_to_base / 0.40))
        raw = ab.raw_ratios(
            s, "North America", n_boot=1000, seed=int(rng.integers(1 << 31))
        ).set_index("group")
        r = raw.loc["Eastern Europe"]
        hit_raw += r.ratio_ci_low <= true_raw <= r.ratio_ci_high
    return {
        "adjusted": hit_adj / reps,
        "raw": hit_raw / reps,
        "rel_bias": float(np.expm1(np.mean(est))),
    }


@pytest.mark.simulation
def test__validation_smoke__coverage():
    """R = 200, tolerance [90%, 99%] (METHODS §8.5)."""
    res = _coverage(200, seed=3)
    assert 0.90 <= res["adjusted"] <= 0.99, res
    assert 0.90 <= res["raw"] <= 0.99, res


@pytest.mark.slow
def test__validation_full__coverage():
    """R = 1,000: 95% intervals cover in [93%, 97%]; |relative bias| <= 2% (METHODS §8.4)."""
    res = _coverage(1000, seed=11)
    print(res)
    assert 0.93 <= res["adjusted"] <= 0.97, res
    assert 0.93 <= res["raw"] <= 0.97, res
    assert abs(res["rel_bias"]) <= 0.02, res


@pytest.mark.realdata
def test__read_price_level_ratios_and_ppp(shared_data):
    plr = read_price_level_ratios(
        shared_data / "ppp" / "API_PA.NUS.PPPC.RF_DS2_en_csv_v2_1665754.csv"
    )
    got = plr.set_index(["country_iso3", "year"])["price_level_ratio"]
    # SOURCE.md examples for 2023: POL 0.447, IND 0.244
    assert got[("POL", 2023)] == pytest.approx(0.447, abs=0.001)
    assert got[("IND", 2023)] == pytest.approx(0.244, abs=0.001)
    assert got[("USA", 2023)] == pytest.approx(1.0)
    d = pd.DataFrame(
        {
            "group": ["NA", "EE"],
            "hourly_usd": [70.0, 28.0],
            "country_iso3": ["USA", "POL"],
            "year": [2024, 2024],
        }
    )
    p = ab.ppp_ratios(d, plr, "NA", ["NA", "EE"]).set_index("group")
    assert p.loc["EE", "ppp_ratio"] == pytest.approx(0.4 / 0.447, rel=0.01)
    # 2024 PLR not published: 2023 used
    assert bool(p.loc["EE", "price_level_carried_share"] == 1.0)


def test__raw_ratios__lowered_floor_gives_indicative_order_statistic_bounds():
    rng = np.random.default_rng(2)
    d = pd.DataFrame(
        {
            "group": ["NA"] * 200 + ["EE"] * 15,
            "hourly_usd": np.r_[
                rng.lognormal(np.log(70), 0.3, 200), rng.lognormal(np.log(28), 0.5, 15)
            ],
            "country_iso3": ["USA"] * 200 + ["POL"] * 15,
        }
    )
    r = ab.raw_ratios(d, "NA", min_n=10, n_boot=500).set_index("group")
    assert r.loc["EE", "reported"] and r.loc["EE", "flag"] == "E"
    assert "indicative" in r.loc["EE", "note"]
    assert r.loc["EE", "ratio_ci_low"] < r.loc["EE", "ratio_to_base"] < r.loc["EE", "ratio_ci_high"]


def _pay(ratio_growth: float = 0.0, seed: int = 0) -> pd.DataFrame:
    """NA at $100/h, EE at $40/h growing by ``ratio_growth`` a year; small lognormal noise."""
    rng = np.random.default_rng(seed)
    rows = []
    for year in (2021, 2022, 2023, 2024):
        for group, level in (("NA", 100.0), ("EE", 40.0 * (1 + ratio_growth) ** (year - 2021))):
            for exp in ("mid", "senior"):
                bump = 1.3 if exp == "senior" else 1.0
                pay = level * bump * np.exp(rng.normal(0, 0.05, 60))
                rows += [
                    {
                        "group": group,
                        "year": year,
                        "experience": exp,
                        "role_family": "ML/AI Engineer",
                        "employment_type": "full_time",
                        "hourly_usd": p,
                    }
                    for p in pay
                ]
    return pd.DataFrame(rows)


def test__gap_trend__recovers_a_known_yearly_ratio_change():
    # hand-made truth: EE/NA ratio grows 10% a year; the HC3 CI covers it tightly
    got = ab.gap_trend(_pay(0.10), "NA", ["NA", "EE"]).set_index("group").loc["EE"]
    assert got["yearly_ratio_change"] == pytest.approx(0.10, abs=0.01)
    assert got["ci_low"] < 0.10 < got["ci_high"] and got["years"] == "2021-2024"
    flat = ab.gap_trend(_pay(0.0), "NA", ["NA", "EE"]).set_index("group").loc["EE"]
    assert flat["ci_low"] < 0 < flat["ci_high"]
    one_year = _pay(0.0)
    assert ab.gap_trend(one_year[one_year["year"] == 2024], "NA", ["NA", "EE"]).empty


def _team_pay(ee_senior_bump: float, seed: int = 0) -> pd.DataFrame:
    """NA (one country) at $100/h mid, $130/h senior; EE: 4 countries around $40/h mid, its
    seniors ``ee_senior_bump`` times its mids (a level premium of its own)."""
    rng = np.random.default_rng(seed)
    rows = []
    countries = {"NA": {"USA": 0.0}, "EE": {"POL": 0.1, "CZE": -0.1, "ROU": 0.05, "HUN": -0.05}}
    for group, level in (("NA", 100.0), ("EE", 40.0)):
        for c, eff in countries[group].items():
            for exp in ("mid", "senior"):
                bump = (1.3 if group == "NA" else ee_senior_bump) if exp == "senior" else 1.0
                pay = level * np.exp(eff) * bump * np.exp(rng.normal(0, 0.05, 60))
                rows += [
                    {
                        "group": group,
                        "country_iso3": c,
                        "year": 2024,
                        "experience": exp,
                        "role_family": "ML/AI Engineer",
                        "hourly_usd": x,
                    }
                    for x in pay
                ]
    return pd.DataFrame(rows)


SENIORS = [
    {"role_family": "ML/AI Engineer", "experience": "senior", "headcount": 3},
    {"role_family": "ML/AI Engineer", "experience": "mid", "headcount": 2},
]
JUNIOR = [{"role_family": "ML/AI Engineer", "experience": "mid", "headcount": 1}]


def test__team_cost__savings_match_the_known_ratio_and_depend_on_the_team():
    d = _team_pay(ee_senior_bump=1.3)
    out = ab.team_cost(d, SENIORS, "NA", ["NA", "EE"], 2080, n_draws=2000, seed=1)
    ee = out.set_index("group").loc["EE"]
    # EE pay is 40% of NA for every member (typical country: mean effect 0), savings 60%
    assert ee["savings_p50"] == pytest.approx(0.60, abs=0.02)
    assert ee["savings_p05"] < ee["savings_p50"] < ee["savings_p95"]
    # loading and coordination overhead are costs: the assumption-aware figure is lower
    assert ee["with_assumptions_p50"] < ee["savings_p50"]
    # base cost: (3 x 130 + 2 x 100) $/h x 2080 h, to sampling noise
    assert ee["team_annual_cost_base_p50"] == pytest.approx((3 * 130 + 2 * 100) * 2080, rel=0.02)
    assert "EU range" in out.attrs["note"]
    # EE's own senior premium (1.6x, NA's 1.3x): a senior-heavy team saves less than one mid
    steep = _team_pay(ee_senior_bump=1.6)
    seniors = ab.team_cost(steep, SENIORS, "NA", ["NA", "EE"], 2080, seed=1)
    mid = ab.team_cost(steep, JUNIOR, "NA", ["NA", "EE"], 2080, seed=1)
    s_team = seniors.set_index("group").at["EE", "savings_p50"]
    s_mid = mid.set_index("group").at["EE", "savings_p50"]
    assert s_mid == pytest.approx(0.60, abs=0.02)
    truth = 1 - (3 * 40 * 1.6 + 2 * 40) / (3 * 130 + 2 * 100)
    assert s_team == pytest.approx(truth, abs=0.02) and s_team < s_mid - 0.05


def test__team_cost__no_band_from_two_countries_and_unpriced_levels_are_named():
    d = _team_pay(1.3)
    two = d[d["country_iso3"].isin(["USA", "POL", "CZE"])]
    ee = ab.team_cost(two, SENIORS, "NA", ["NA", "EE"], 2080, seed=1).set_index("group").loc["EE"]
    assert pd.notna(ee["savings_p50"]) and pd.isna(ee["savings_p05"])
    no_seniors = d[~((d["group"] == "EE") & (d["experience"] == "senior"))]
    out = ab.team_cost(no_seniors, SENIORS, "NA", ["NA", "EE"], 2080, seed=1)
    assert out.empty or "EE" not in set(out["group"])
    assert "EE: not priced (no experience 'senior' rows)" in out.attrs["note"]


def test__pricing_year_skips_a_partial_latest_year():
    from marketlib.arbitrage.team import pricing_year

    d = pd.DataFrame({"year": [2023] * 300 + [2024] * 600 + [2025] * 20})
    assert pricing_year(d) == 2024
    assert pricing_year(d[d["year"] == 2025]) == 2025


# --- a base too small, a base against itself (hostile round) -----------------------------------


def _rates(n_base: int, n_other: int) -> pd.DataFrame:
    n = n_base + n_other
    rng = np.random.default_rng(3)
    return pd.DataFrame(
        {
            "rate_kind": "salary",
            "employment_type": "full_time",
            "year": 2024,
            "annual_usd": rng.lognormal(11.5, 0.3, n),
            "experience": "mid",
            "role_family": "ML/AI Engineer",
            "subregion": ["North America"] * n_base + ["Eastern Europe"] * n_other,
            "country_iso3": ["USA"] * n_base
            + ["POL", "CZE", "ROU"] * (n_other // 3)
            + ["POL"] * (n_other % 3),
            "is_duplicate": False,
            "is_range_pair": False,
            "range_pair_id": pd.array([pd.NA] * n, dtype="Int64"),
            "is_fx_mismatch": False,
            "is_outlier": False,
        }
    )


def test__base_below_min_n__refused_in_one_line_naming_the_floor():
    with pytest.raises(
        ab.SelectionError,
        match=r"'North America' has 20 rows .* below "
        r"min_n 30: no ratio can be estimated.*Eastern Europe \(60\)",
    ):
        ab.run_arbitrage(_rates(20, 60), ab.Scope(), min_n=30, n_boot=200)


def test__only_the_base_reported__no_crash_no_interval_for_the_base():
    res = ab.run_arbitrage(_rates(60, 12), ab.Scope(), min_n=30, n_boot=200)
    raw = res.raw.set_index("group")
    assert raw.loc["North America", "reported"] and not raw.loc["Eastern Europe", "reported"]
    assert raw.loc["North America", "ratio_to_base"] == 1.0
    assert raw.loc["North America", ["ratio_ci_low", "ratio_ci_high"]].isna().all()
    assert np.isnan(raw.loc["Eastern Europe", "ratio_to_base"])


def test__base_ratio_has_no_interval_when_others_are_reported():
    res = ab.run_arbitrage(_rates(60, 60), ab.Scope(), min_n=30, n_boot=200)
    raw = res.raw.set_index("group")
    assert (
        raw.loc["North America", ["ratio_ci_low", "ratio_ci_high", "ratio_named_countries_ci_low"]]
        .isna()
        .all()
    )
    assert raw.loc["Eastern Europe", ["ratio_ci_low", "ratio_ci_high"]].notna().all()
