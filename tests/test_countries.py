"""Pay by country and regional ratios with named estimands, on data with known truth.

Data: ``marketlib.simulate.country_pay`` (country log effects theta_c, lognormal or
skew-normal rows on the log scale, a base of 2,000 rows). Estimands
(docs/methods.md#s6-3): each country's ratio exp(theta_c); a typical country of the region
exp(mu) (its countries a sample of the region's); the named countries exp(mean theta_c of
the averaged countries). Full study (R = 500 per scenario): ``make validate``;
docs/validation.md.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from marketlib.arbitrage.adjusted_countries import adjusted_country_clusters
from marketlib.arbitrage.countries import (
    MIN_COUNTRY_N,
    apply_country_clusters,
    country_clusters,
)
from marketlib.arbitrage.medians import raw_ratios
from marketlib.simulate import country_pay, standardized_skewed

MU, TAU = np.log(0.4), 0.25
SIZES = {f"C{i:02d}": n for i, n in enumerate([300, 80, 60, 50, 40, 30, 25, 20, 15, 12, 10, 8])}

#: The scenarios of the estimand study (issue 29): country sizes like the real regions'.
SCENARIOS = {
    "3 countries (150/15/10)": [150, 15, 10],
    "4 countries (120/40/20/10)": [120, 40, 20, 10],
    "5 countries (Eastern Europe's sizes)": [67, 38, 32, 17, 10],
    "13 countries (Western Europe's sizes)": [
        869,
        142,
        103,
        80,
        77,
        51,
        37,
        30,
        29,
        20,
        16,
        15,
        11,
    ],
}


def estimand_coverage(
    sizes: list[int],
    replicates: int,
    n_boot: int = 400,
    seed: int = 1,
    tau: float = 0.35,
    skew: float = 6.0,
    effect_skew: float = 0.0,
) -> dict[str, float]:
    """Coverage of each interval of its own estimand, with skewed rows (and effects).

    Country effects: ``log 0.4 + tau * z``, ``z`` a standardized skew-normal of shape
    ``effect_skew`` (0: normal); rows: skew-normal errors (shape ``skew``) of SD 0.5 on the
    log scale. ``typical``: the equal-country
    interval against exp(mu) = 0.40; ``named``: the named-country interval against
    exp(mean theta_c); the same two for the adjusted ratio (country effects); ``country``:
    each country's own interval against exp(theta_c). Also the mean widths (log scale).
    """
    names = {f"C{i:02d}": n for i, n in enumerate(sizes)}
    hits: dict[str, list[bool]] = {
        k: [] for k in ("typical", "named", "adjusted_typical", "adjusted_named", "country")
    }
    widths: dict[str, list[float]] = {"typical": [], "named": []}
    for r, ss in enumerate(np.random.SeedSequence(seed).spawn(replicates)):
        rng = np.random.default_rng(ss)
        theta = MU + tau * standardized_skewed(effect_skew, len(names), rng)
        d = country_pay(dict(zip(names, theta, strict=True)), names, rng, skew=skew)
        cc = country_clusters(d, "Base", n_boot=n_boot, seed=r)
        g = cc.groups.set_index("group").loc["R"]
        named = float(np.exp(np.mean(theta[np.array(sizes) >= MIN_COUNTRY_N])))
        hits["typical"].append(g.ratio_equal_country_ci_low <= 0.4 <= g.ratio_equal_country_ci_high)
        hits["named"].append(
            g.ratio_named_countries_ci_low <= named <= g.ratio_named_countries_ci_high
        )
        widths["typical"].append(
            np.log(g.ratio_equal_country_ci_high / g.ratio_equal_country_ci_low)
        )
        widths["named"].append(
            np.log(g.ratio_named_countries_ci_high / g.ratio_named_countries_ci_low)
        )
        c = cc.countries[cc.countries["reported"].astype(bool) & (cc.countries["group"] == "R")]
        truth = np.exp(theta[[list(names).index(x) for x in c["country_iso3"]]])
        hits["country"] += list((c["ci_low"] <= truth) & (truth <= c["ci_high"]))
        a = (
            adjusted_country_clusters(
                d.assign(experience="MI"), "Base", ["Base", "R"], controls=("experience",)
            )
            .set_index("group")
            .loc["R"]
        )
        hits["adjusted_typical"].append(
            a.ratio_equal_country_ci_low <= 0.4 <= a.ratio_equal_country_ci_high
        )
        hits["adjusted_named"].append(
            a.ratio_named_countries_ci_low <= named <= a.ratio_named_countries_ci_high
        )
    out = {k: float(np.mean(v)) for k, v in hits.items()}
    out.update({f"width_{k}": float(np.mean(v)) for k, v in widths.items()})
    return out


def adjusted_coverage(replicates: int, seed: int = 5) -> dict[str, float]:
    """Coverage of the equal-country adjusted ratio when countries differ in job mix too.

    Each country's share of senior rows is drawn from U(0.1, 0.9) (the base's is 0.5) and a
    senior earns exp(0.4) more: the raw equal-country ratio is then biased by the mix, the
    adjusted one (country effects with the experience control) is not.
    """
    hits: dict[str, list[bool]] = {"adjusted_equal": []}
    errors = []
    for ss in np.random.SeedSequence(seed).spawn(replicates):
        rng = np.random.default_rng(ss)
        theta = rng.normal(MU, TAU, len(SIZES))
        shares = dict(zip(SIZES, rng.uniform(0.1, 0.9, len(SIZES)), strict=True))
        d = country_pay(
            dict(zip(SIZES, theta, strict=True)), SIZES, rng, senior_share=shares, senior_effect=0.4
        )
        a = (
            adjusted_country_clusters(d, "Base", ["Base", "R"], controls=("experience",))
            .set_index("group")
            .loc["R"]
        )
        hits["adjusted_equal"].append(
            a.ratio_equal_country_ci_low <= 0.4 <= a.ratio_equal_country_ci_high
        )
        errors.append(np.log(a.ratio_equal_country / 0.4))
    out = {k: float(np.mean(v)) for k, v in hits.items()}
    out["adjusted_log_bias"] = float(np.mean(errors))
    return out


def test__adjusted_equal_country__recovers_comparable_ratio_despite_job_mix():
    rng = np.random.default_rng(8)
    effects = {c: np.log(r) for c, r in zip(SIZES, np.linspace(0.25, 0.7, len(SIZES)), strict=True)}
    # the largest country is atypical in mix too: mostly senior
    shares = {c: (0.9 if c == "C00" else 0.2) for c in SIZES}
    d = country_pay(effects, {c: 400 for c in SIZES}, rng, senior_share=shares, senior_effect=0.5)
    a = (
        adjusted_country_clusters(d, "Base", ["Base", "R"], controls=("experience",))
        .set_index("group")
        .loc["R"]
    )
    truth = float(np.exp(np.mean(list(effects.values()))))
    assert a.ratio_equal_country == pytest.approx(truth, rel=0.05)
    assert a.ratio_equal_country_ci_low < truth < a.ratio_equal_country_ci_high
    assert a.n_countries_averaged == len(SIZES)
    raw = country_clusters(d, "Base", n_boot=300, seed=1).groups.set_index("group").loc["R"]
    assert raw.ratio_equal_country < truth * 0.97  # the mix (20% senior vs 50%) biases it


def test__adjusted_intervals_cover_the_comparable_ratio():
    cov = adjusted_coverage(replicates=40)
    assert cov["adjusted_equal"] >= 0.85
    assert abs(cov["adjusted_log_bias"]) < 0.05


@pytest.mark.parametrize("k", [1, 2])
def test__one_or_two_countries_give_no_regional_interval(k):
    """A t reference with k - 1 < 2 degrees of freedom carries no information: not printed."""
    rng = np.random.default_rng(2)
    effects = {f"C{i}": np.log(0.5) + 0.2 * i for i in range(k)}
    d = country_pay(effects, dict.fromkeys(effects, 200), rng)
    g = country_clusters(d, "Base", n_boot=200, seed=1).groups.set_index("group").loc["R"]
    assert g.ratio_equal_country == pytest.approx(np.exp(np.mean(list(effects.values()))), rel=0.15)
    assert pd.isna(g.get("ratio_equal_country_ci_low", np.nan))
    a = adjusted_country_clusters(
        d.assign(experience="MI"), "Base", ["Base", "R"], controls=("experience",)
    )
    row = a.set_index("group").loc["R"]
    assert pd.notna(row.ratio_equal_country)
    assert pd.isna(row.get("ratio_equal_country_ci_low", np.nan))


def test__country_ratios__recover_known_effects_and_floor():
    rng = np.random.default_rng(3)
    effects = {c: np.log(r) for c, r in zip(SIZES, np.linspace(0.2, 0.9, len(SIZES)), strict=True)}
    d = country_pay(effects, {c: 4000 for c in SIZES} | {"C11": 8}, rng)
    cc = country_clusters(d, "Base", n_boot=300, seed=1)
    c = cc.countries.set_index("country_iso3")
    for country, theta in effects.items():
        if country == "C11":
            assert not c.at[country, "reported"] and pd.isna(c.at[country, "ratio_to_base"])
            continue
        assert c.at[country, "ratio_to_base"] == pytest.approx(np.exp(theta), rel=0.05)
        assert c.at[country, "ci_low"] < np.exp(theta) < c.at[country, "ci_high"]
    # shrinkage: with large n the shrunk ratio is the country's own
    big = c[c["reported"].astype(bool)]
    assert np.allclose(big["ratio_shrunk"], big["ratio_to_base"], rtol=0.02)
    assert (c.loc[list(SIZES), "n"] >= MIN_COUNTRY_N).sum() == len(SIZES) - 1  # C11: n = 8


def test__pooled_and_equal_country_differ_when_the_largest_country_is_atypical():
    rng = np.random.default_rng(5)
    sizes = {"BIG": 2000, **{f"S{i}": 40 for i in range(6)}}
    effects = {"BIG": np.log(0.8), **{f"S{i}": np.log(0.3) for i in range(6)}}
    d = country_pay(effects, sizes, rng)
    raw = raw_ratios(d, "Base", 30, 300, 1)
    cc = country_clusters(d, "Base", n_boot=300, seed=1)
    table = apply_country_clusters(raw, cc, "Base").set_index("group")
    pooled, equal = table.at["R", "ratio_to_base"], table.at["R", "ratio_equal_country"]
    assert pooled == pytest.approx(0.8, rel=0.1)  # the largest country's figure
    truth = float(np.exp(np.mean(list(effects.values()))))
    assert equal == pytest.approx(truth, rel=0.1)  # every country alike
    assert table.at["R", "n_countries_averaged"] == 7
    # the pooled ratio is descriptive (rows resampled); the typical country's interval is
    # wider: it carries the spread between countries
    width = (
        table.at["R", "ratio_equal_country_ci_high"] - table.at["R", "ratio_equal_country_ci_low"]
    )
    rows = table.at["R", "ratio_ci_high"] - table.at["R", "ratio_ci_low"]
    assert width > 2 * rows


def test__each_interval_covers_its_own_estimand():
    """Quick run of the estimand study (R = 60); the slow test asserts 93-97% at R = 500."""
    cov = estimand_coverage(
        SCENARIOS["5 countries (Eastern Europe's sizes)"], replicates=60, n_boot=200
    )
    for key in ("typical", "named", "adjusted_typical", "adjusted_named", "country"):
        assert cov[key] >= 0.85, (key, cov)
    assert cov["width_named"] < cov["width_typical"]  # these countries: no between-country term


@pytest.mark.slow
@pytest.mark.parametrize("scenario", list(SCENARIOS))
def test__validation__every_interval_covers_its_estimand_at_r_500(scenario):
    # each scenario its own random stream (a shared one makes their errors one draw)
    cov = estimand_coverage(
        SCENARIOS[scenario], replicates=500, seed=101 + list(SCENARIOS).index(scenario)
    )
    print(scenario, {k: round(v, 3) for k, v in cov.items()})
    for key in ("typical", "named", "adjusted_typical", "adjusted_named", "country"):
        assert 0.93 <= cov[key] <= 0.97 or (key == "country" and 0.93 <= cov[key] <= 0.99), (
            key,
            cov,
        )


@pytest.mark.slow
def test__validation__skewed_country_effects_stress_at_r_500():
    """Stress design: the countries' own effects skewed too (skew-normal, shape 6). The t
    reference assumes roughly symmetric effects; the shortfall is measured and documented
    (docs/validation.md), not hidden: at least 90% for every interval."""
    cov = estimand_coverage(
        SCENARIOS["5 countries (Eastern Europe's sizes)"], replicates=500, seed=17, effect_skew=6.0
    )
    print("skewed effects, 5 countries", {k: round(v, 3) for k, v in cov.items()})
    for key in ("typical", "named", "adjusted_typical", "adjusted_named", "country"):
        assert cov[key] >= 0.90, (key, cov)


@pytest.mark.slow
def test__validation__adjusted_ratio_despite_job_mix_at_r_500():
    adj = adjusted_coverage(replicates=500, seed=13)
    assert 0.93 <= adj["adjusted_equal"] <= 0.97
    assert abs(adj["adjusted_log_bias"]) < 0.02


class TestNoIntervalWithoutTheInformationForOne:
    """Hostile round 4, items 8 and 17: one country gives no regional interval (as two do);
    identical pay gives no zero-width interval flagged reliable."""

    def test__one_country_region_has_no_region_interval_but_the_country_keeps_its_own(self):
        rng = np.random.default_rng(3)
        d = country_pay({"C00": np.log(0.5)}, {"C00": 200}, rng)
        cc = country_clusters(d, "Base", n_boot=200, seed=1)
        g = cc.groups.set_index("group").loc["R"]
        assert np.isnan(g.ratio_equal_country_ci_low) and np.isnan(g.ratio_equal_country_ci_high)
        c = cc.countries.set_index("country_iso3").loc["C00"]
        assert c.ci_low < c.ratio_to_base < c.ci_high
        two = country_clusters(
            country_pay({"C00": -0.7, "C01": -0.6}, {"C00": 200, "C01": 50}, rng),
            "Base",
            n_boot=200,
            seed=1,
        )
        assert np.isnan(two.groups.set_index("group").loc["R"].ratio_equal_country_ci_low)

    def test__identical_pay_has_no_zero_width_interval_and_is_not_flagged_reliable(self):
        d = pd.DataFrame(
            {
                "group": ["Base"] * 40 + ["R"] * 40,
                "country_iso3": ["BAS"] * 40 + ["C00"] * 40,
                "hourly_usd": np.r_[
                    np.random.default_rng(1).lognormal(4, 0.3, 40), np.full(40, 50.0)
                ],
            }
        )
        raw = raw_ratios(d, "Base", 30, 200, 1).set_index("group").loc["R"]
        assert np.isnan(raw.ci_low) and np.isnan(raw.ratio_ci_low) and raw.flag != "A"
        assert "same pay" in raw.note
        c = (
            country_clusters(d, "Base", n_boot=200, seed=1)
            .countries.set_index("country_iso3")
            .loc["C00"]
        )
        assert np.isnan(c.ci_low) and c.flag == "E"


def test__headline_ranks__certain_when_apart_even_when_alike():
    """Rank uncertainty of the headline (issue 29): regions far apart rank with certainty;
    three regions with the same interval are each the cheapest about a third of the time,
    and one without an interval (two countries) is not ranked."""
    from marketlib.arbitrage.ranks import headline_ranks

    apart = pd.DataFrame(
        {
            "group": ["A", "B"],
            "ratio_equal_country": [0.3, 0.7],
            "ratio_equal_country_ci_low": [0.27, 0.63],
            "ratio_equal_country_ci_high": [0.33, 0.78],
            "n_countries_averaged": [5, 5],
        }
    )
    r = headline_ranks(apart, seed=1).set_index("group")
    assert r.at["A", "p_cheapest"] > 0.999 and (r.at["B", "rank_low"], r.at["B", "rank_high"]) == (
        2,
        2,
    )
    alike = pd.DataFrame(
        {
            "group": ["A", "B", "C", "D"],
            "ratio_equal_country": [0.5] * 4,
            "ratio_equal_country_ci_low": [0.4] * 3 + [np.nan],
            "ratio_equal_country_ci_high": [0.625] * 3 + [np.nan],
            "n_countries_averaged": [6, 6, 6, 2],
        }
    )
    r = headline_ranks(alike, seed=2).set_index("group")
    assert "D" not in r.index and set(r["n_ranked"]) == {3}
    assert np.allclose(r["p_cheapest"], 1 / 3, atol=0.02)
    assert (r["rank_low"] == 1).all() and (r["rank_high"] == 3).all()


def test__sensitivity_grid_varies_the_headline_too():
    rng = np.random.default_rng(12)
    theta = rng.normal(MU, TAU, len(SIZES))
    d = country_pay(dict(zip(SIZES, theta, strict=True)), SIZES, rng).assign(
        experience="mid",
        role_family="ML/AI Engineer",
        year=2024,
        employment_type="full_time",
        rate_kind="salary",
        is_duplicate=False,
        is_range_pair=False,
        is_outlier=False,
        is_fx_mismatch=False,
        range_pair_id=pd.NA,
    )
    d = d.assign(annual_usd=d["hourly_usd"] * 2080, subregion=d["group"])
    from marketlib.arbitrage import Scope, sensitivity

    grid = sensitivity(d, Scope(geography="subregion", base="Base"), n_boot=200)
    r = grid[(grid["group"] == "R") & (grid["variant"] == "primary")].iloc[0]
    assert (
        0.25 < r["headline_ratio"] < 0.65
        and np.isnan(grid.loc[grid["group"] == "Base", "headline_ratio"]).all()
    )
    assert grid["variant"].nunique() == 8


def test__country_effects__equal_statsmodels_ols_and_its_hc3_residuals():
    """The country-effects model is solved on its normal equations (no patsy): the effects
    and the HC3-scaled residuals equal statsmodels' OLS on the same formula."""
    import statsmodels.formula.api as smf

    from marketlib.arbitrage.adjusted import winsorize_log
    from marketlib.arbitrage.adjusted_countries import country_effects

    rng = np.random.default_rng(21)
    theta = rng.normal(MU, TAU, len(SIZES))
    d = country_pay(
        dict(zip(SIZES, theta, strict=True)),
        SIZES,
        rng,
        senior_share=dict.fromkeys(SIZES, 0.4),
        senior_effect=0.3,
    )
    d = d.assign(year=rng.choice([2023, 2024], len(d)))
    groups = ["Base", "R"]
    table, resid = country_effects(d, groups, controls=("experience", "year"))
    w = d.copy()
    w["log_rate"] = winsorize_log(w)
    fit = smf.ols("log_rate ~ 0 + C(country_iso3) + C(experience) + C(year)", w).fit()
    want = [fit.params[f"C(country_iso3)[{c}]"] for c in table["country_iso3"]]
    assert table["effect"].to_numpy() == pytest.approx(want, abs=1e-9)
    h = fit.get_influence().hat_matrix_diag
    e = fit.resid.to_numpy() / (1 - h)
    codes = w["country_iso3"].to_numpy()
    for c in table["country_iso3"]:
        assert resid[c] == pytest.approx(e[codes == c], abs=1e-9)


# --- held-out pay data with known country effects (review round) ------------------------------


def _countries_sample() -> pd.DataFrame:
    rng = np.random.default_rng(11)
    spec = {
        ("North America", "USA"): (700, 60.0),
        ("North America", "CAN"): (300, 45.0),
        ("Eastern Europe", "POL"): (400, 36.0),
        ("Eastern Europe", "SRB"): (15, 20.0),
        ("Eastern Europe", "ROU"): (80, 22.0),
        ("South Asia", "IND"): (60, 15.0),
    }
    rows = []
    for (sub, iso), (n, med) in spec.items():
        pay = np.exp(np.log(med * 2080) + rng.normal(0, 0.5, n))
        rows.append(pd.DataFrame({"subregion": sub, "country_iso3": iso, "annual_usd": pay}))
    d = pd.concat(rows, ignore_index=True)
    n = len(d)
    return d.assign(
        rate_kind="salary",
        employment_type="full_time",
        year=2024,
        experience="mid",
        role_family="ML/AI Engineer",
        is_duplicate=False,
        is_range_pair=False,
        range_pair_id=pd.array([pd.NA] * n, dtype="Int64"),
        is_fx_mismatch=False,
        is_outlier=False,
    )


def test__country_figures__flagged_like_regions_and_one_country_borrows_nothing():
    from marketlib import arbitrage as ab
    from marketlib.sections import countries_table

    res = ab.run_arbitrage(_countries_sample(), ab.Scope(), min_n=30, n_boot=300)
    doc = res.to_results()
    by = {r["country_iso3"]: r for r in doc["countries"]}
    assert by["SRB"]["flag"] == "E" and by["POL"]["flag"] == "A"  # 15 rows: use with caution
    assert by["IND"]["ratio_shrunk"] == pytest.approx(by["IND"]["ratio_to_base"])
    assert "South Asia" not in doc["between_country_variance"]  # one country: undefined
    t = countries_table({"arbitrage": doc}).set_index("Country")
    assert t.loc["SRB", "Reliability"] == "use with caution"
    assert t.loc["POL", "Reliability"] == "reliable"
