"""The independent sources (issue 31): Kaggle bands, CNCF survey waves, Indeed series.

Real files (counts per wave and region, Kaggle respondents with pay, as SOURCE.md counts
them) and generated data with known truth (survey shares, yearly means, agreement rules).
"""

from __future__ import annotations

import glob

import numpy as np
import pandas as pd
import pytest

from marketlib.clean.pipeline import clean_files
from marketlib.cleanparams import CleanParams
from marketlib.evidence.adoption import adoption_shares
from marketlib.evidence.agreement import combined_verdict, consistency, ratio_of_ratios
from marketlib.evidence.demand import demand_changes


@pytest.fixture(scope="module")
def kaggle(shared_data):
    files = sorted(glob.glob(str(shared_data / "kaggle-survey" / "*.zip")))
    return clean_files(files, "kaggle", "pay_bands", CleanParams())[0]


@pytest.fixture(scope="module")
def cncf(shared_data):
    d = shared_data / "cncf-surveys"
    files = sorted(glob.glob(str(d / "*.csv"))) + sorted(glob.glob(str(d / "*.xlsx")))
    return clean_files(files, "cncf_survey", "adoption", CleanParams())[0]


@pytest.mark.realdata
def test__kaggle__every_pay_answer_is_clean_or_rejected_as_source_md_counts(kaggle):
    r = kaggle.report
    assert r["rows_in"] == 23_997 + 25_973  # respondents, the question line read as header
    answered = {2022: 8_136, 2021: 15_391}  # SOURCE.md: Q29 / Q25 answered
    rej = kaggle.rejected
    for year, n in answered.items():
        clean = int((kaggle.clean["year"] == year).sum())
        placed = rej[
            rej["year"].astype(int).eq(year)
            & rej["reason"].isin(["pooled_country", "unknown_country"])
        ]
        assert clean + len(placed) == n, year
    # India and the US dominate, as SOURCE.md says; "Other" is never a country
    top = kaggle.clean["country_iso3"].value_counts().index[:2].tolist()
    assert set(top) == {"IND", "USA"}
    assert (rej.loc[rej["reason"] == "pooled_country", "country"] == "Other").all()
    # "> $1,000,000" (23 in 2022, 58 in 2021): an open band, kept as [1e6, inf)
    top = int(np.isinf(kaggle.clean["pay_high_usd"]).sum())
    assert top + int(rej["pay_band"].eq(">$1,000,000").sum()) == 23 + 58
    assert (kaggle.clean.loc[np.isinf(kaggle.clean["pay_high_usd"]), "pay_low_usd"] == 1e6).all()
    assert kaggle.clean["skills"].str.contains("kserve").sum() > 0


@pytest.mark.realdata
def test__cncf_surveys__respondents_per_wave_match_the_files(cncf):
    read = cncf.report["respondents_read_by_wave"]
    assert read["2018"] == 2_401 and read["2019"] == 1_337 and read["2022"] == 2_286
    assert read["2020"] == 1_324
    kept = cncf.report["respondents_kept_by_wave"]
    assert kept["2021"] == 2_165  # the Kubernetes sheet's "Answered" (137 skipped)
    # 2021 Part 1, the published cross-tab: Europe, in production
    t = cncf.clean
    cell = t[(t["wave"] == 2021) & (t["region"] == "Europe") & (t["answer"] == "production")]
    assert int(cell["respondents"].sum()) == 418
    # 2022: coded answers; US/Canada in production, counted directly from the raw codes
    raw = pd.read_csv(
        next(iter(glob.glob(str(cncf_dir(t)) + "/2022*.csv"))),
        dtype=str,
        keep_default_na=False,
        encoding="cp1252",
    ).iloc[2:]
    direct = int(((raw["Q1"] == "8") & (raw["Q16"] == "1") & ~raw["Q5"].isin(["9", "10"])).sum())
    got = t[(t["wave"] == 2022) & (t["region"] == "North America") & (t["answer"] == "production")][
        "respondents"
    ].sum()
    assert got == direct
    assert cncf.report["rows_in"] == cncf.report["rows_clean"] + cncf.report["rows_rejected"]


def cncf_dir(_t: pd.DataFrame):
    from tests.conftest import shared_data_dir

    return shared_data_dir() / "cncf-surveys"


@pytest.mark.realdata
def test__indeed__series_clean_as_published(shared_data):
    d = shared_data / "indeed"
    files = [
        str(d / "ai-tracker" / "AI_posting.csv"),
        str(d / "wage-tracker" / "posted-wage-growth-by-country.csv"),
        *sorted(glob.glob(str(d / "job-postings" / "aggregate_job_postings_*.csv"))),
    ]
    r = clean_files(files, "indeed", "demand", CleanParams())[0]
    ai = r.clean[r.clean["series"] == "ai_share"]
    assert len(ai) == 24_642 and ai["country_iso3"].nunique() == 9
    assert ai["value"].max() < 0.2  # a fraction, not Indeed's percent
    assert set(r.rejected["reason"]) <= {"aggregate_economy", "missing_required"}
    assert (r.rejected.loc[r.rejected["reason"] == "aggregate_economy", "jobcountry"] == "EA").all()


def test__adoption_shares__wilson_intervals_cover_known_shares():
    """Known in-production shares: 93-97% coverage (Wilson), Newcombe for the change.

    Coverage is measured on R = 2,000 binomial draws with the same interval functions
    ``adoption_shares`` calls; one generated table checks that it reports exactly them.
    """
    from statsmodels.stats.proportion import confint_proportions_2indep

    from marketlib.evidence.adoption import wilson

    rng = np.random.default_rng(3)
    reps = 2_000
    k = rng.binomial(250, 0.7, reps)
    lo, hi = wilson(k, np.full(reps, 250), 0.95)
    cover = float(np.mean((lo <= 0.7) & (0.7 <= hi)))
    k1, k2 = rng.binomial(40, 0.35, reps), rng.binomial(40, 0.40, reps)
    dlo, dhi = confint_proportions_2indep(k2, 40, k1, 40, method="newcomb", compare="diff")
    dcover = float(np.mean((np.asarray(dlo) <= 0.05) & (0.05 <= np.asarray(dhi))))
    assert 0.93 <= cover <= 0.97 and 0.93 <= dcover <= 0.985, (cover, dcover)
    t = pd.DataFrame(
        [
            (2021, "Europe", "production", 170),
            (2021, "Europe", "no", 80),
            (2022, "Europe", "production", 190),
            (2022, "Europe", "no", 60),
        ],
        columns=["wave", "region", "answer", "respondents"],
    )
    a = adoption_shares(t)
    s = a.shares.set_index("wave").loc[2021]
    assert (s["ci_low"], s["ci_high"]) == pytest.approx(
        tuple(float(x[0]) for x in wilson(np.array([170]), np.array([250]), 0.95))
    )
    c = a.changes.iloc[0]
    assert (c["ci_low"], c["ci_high"]) == pytest.approx(
        confint_proportions_2indep(190, 250, 170, 250, method="newcomb", compare="diff")
    )


def test__adoption_shares__small_groups_are_listed_not_estimated():
    t = pd.DataFrame(
        [
            (2022, "Africa", "production", 12),
            (2022, "Africa", "no", 8),
            (2022, "Europe", "production", 40),
            (2022, "Europe", "unsure", 10),
        ],
        columns=["wave", "region", "answer", "respondents"],
    )
    s = adoption_shares(t).shares.set_index("region")
    assert not s.at["Africa", "reported"] and np.isnan(s.at["Africa", "share"])
    assert s.at["Europe", "share"] == pytest.approx(0.8)  # "not sure" is in the denominator


def test__demand_changes__yearly_means_and_complete_years_only():
    days = pd.date_range("2022-01-01", "2024-06-30", freq="D")
    ai = pd.DataFrame(
        {
            "date": days,
            "country_iso3": "USA",
            "series": "ai_share",
            "subject": "",
            "value": np.where(days.year == 2022, 0.02, 0.03),
        }
    )
    ai["vintage"] = days.max()
    out = demand_changes(ai, [(2022, 2023), (2023, 2024)])
    assert len(out) == 1  # 2024 is incomplete: no figure for 2023 -> 2024
    row = out.iloc[0]
    assert row["ai_share_change"] == pytest.approx(0.01)
    assert row["ai_share_ratio"] == pytest.approx(1.5)


def test__agreement__ratio_of_ratios_and_the_combined_rule():
    rr, lo, hi = ratio_of_ratios(0.5, 0.4, 0.625, 0.5, 0.4, 0.625)
    assert rr == pytest.approx(1.0) and lo < 1 < hi and consistency(lo, hi) == "consistent"
    rr, lo, hi = ratio_of_ratios(0.5, 0.45, 0.55, 0.1, 0.08, 0.125)
    assert consistency(lo, hi) == "disagree"
    assert consistency(*ratio_of_ratios(0.5, np.nan, np.nan, 0.1, 0.08, 0.125)[1:]) == "no test"
    assert combined_verdict(["consistent_uninformative", "untestable"]) == "no source can tell"
    assert (
        combined_verdict(["consistent_uninformative", "contradicted_by_data"])
        == "one source only (against the claim)"
    )
    assert (
        combined_verdict(["supported_by_data", "consistent_with_proxy"])
        == "sources agree (for the claim)"
    )
    assert combined_verdict(["consistent_with_proxy", "direction_disagrees"]) == "sources disagree"
