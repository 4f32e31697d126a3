from __future__ import annotations

import pandas as pd
import pytest

from marketlib import claims as cl
from marketlib.paths import project_root

RAW = project_root() / "data" / "raw"


def test__check_change__known_answers():
    # 6-8 weeks (1008-1344 h) to 48 h is a 95.2-96.4% cut, not 87%
    verdict, detail, gap = cl.check_change(-0.87, (1008, 1344), (48, 48))
    assert verdict == "inconsistent" and "-0.964 to -0.952" in detail
    assert gap == pytest.approx(0.082, abs=1e-3)
    # $12,400 -> $4,800 is -61.3%: "61% reduction" holds within printing rounding
    assert cl.check_change(-0.61, (12400, 12400), (4800, 4800))[0] == "consistent"
    assert cl.check_change(3.00, (3, 3), (12, 12))[0] == "consistent"
    # CNCF: 104,000 -> 176,000 printed as +33% (+69% implied)
    assert cl.check_change(0.33, (104000,) * 2, (176000,) * 2, 0.005)[0] == "inconsistent"
    assert cl.check_change(0.49, (70000,) * 2, (104000,) * 2, 0.005)[0] == "consistent"


def test__audit__article_claims_every_claim_one_valid_verdict():
    claims = pd.read_csv(RAW / "claims" / "article_claims.csv")
    printed = pd.read_csv(RAW / "certifications" / "cncf_published_counts.csv")
    defs = pd.read_csv(RAW / "claims" / "cncf_definitions.csv")
    a = cl.audit(claims, printed, defs)
    assert set(a["verdict"]) <= set(cl.VERDICTS)
    v = a.set_index("id")["verdict"]
    assert v["walmart_deploy_time"] == "inconsistent"
    assert v["cert_growth_since_2020"] == v["cert_growth_since_2021"] == "inconsistent"
    assert v["training_cost"] == v["inference_latency"] == v["ds_productivity"] == "consistent"
    assert v["kcsp_security_share"] == "contradicted_by_data"
    assert v["cncf_cka_2023"] == v["cncf_ckad_2023"] == v["cncf_cks_2023"] == "inconsistent"
    assert v["cncf_cka_2021"] == v["cncf_cka_2022"] == "consistent"
    assert v["mlops_share"] == "untestable"
    assert a["detail"].str.len().gt(10).all()


def test__audit_rates__one_estimator_by_wording_the_other_only_context():
    claims = pd.DataFrame(
        {
            "id": ["na", "ee", "la", "sa", "eq"],
            "text": ["a", "with comparable skills", "c", "averages", "bare"],
        }
    )
    comparison = pd.DataFrame(
        {
            "claim_id": ["na", "ee", "la", "sa", "eq"],
            "region": ["North America", "Eastern Europe", "Latin", "SEA", "EQ"],
            "claimed_hourly_usd": [180.0, 72.0, 65.0, 58.0, 58.0],
            "claimed_annual_equivalent_usd": [374400.0, 149760.0, 135200.0, 1.0, 1.0],
            "claimed_ratio": [1.0, 0.40, 0.36, 0.32, 0.32],
            "n": [900, 200, 120, 41, 50],
            "n_countries_averaged": [None, 5, 4, 2, 6],
            "data_ratio_ci_low": [1.0, 0.31, 0.37, 0.20, 0.40],
            "data_ratio_ci_high": [1.0, 0.37, 0.47, 0.30, 0.50],
            "adjusted_ci_low": [None, 0.39, 0.45, 0.30, 0.40],
            "adjusted_ci_high": [None, 0.45, 0.55, 0.40, 0.50],
            "adjusted_ratio": [None, 0.42, 0.50, 0.35, 0.45],
            "adjusted_equal_country_ratio": [None, 0.41, None, None, None],
            "adjusted_equal_country_ci_low": [None, 0.37, None, None, None],
            "adjusted_equal_country_ci_high": [None, 0.44, None, None, None],
            "equal_country_ratio": [None, None, 0.45, 0.25, 0.33],
            "equal_country_ci_low": [None, None, 0.40, None, 0.25],
            "equal_country_ci_high": [None, None, 0.52, None, 0.45],
            "base_share_at_or_above": [0.05, 0.5, 0.6, 0.6, 0.6],
            "base_median_hourly_usd": [50.0] * 5,
        }
    )
    out = {r["id"]: r for r in cl.audit_rates(claims, comparison, 2080, "North America")}
    # a bill rate against salaries: another quantity, never "contradicted"
    assert out["na"]["verdict"] == "not_comparable" and "5.0%" in out["na"]["detail"]
    # "comparable skills": the typical country's adjusted ratio decides (the pooled CI of
    # the respondents would have said no)
    assert out["ee"]["verdict"] == "supported_by_data" and "adjusted" in out["ee"]["detail"]
    # a bare average outside the typical country's interval is contradicted
    assert out["la"]["verdict"] == "contradicted_by_data"
    # two countries: no regional interval; the descriptive pooled interval never judges
    assert out["sa"]["verdict"] == "untestable"
    assert "fewer than 3 countries" in out["sa"]["detail"] and "2 countries" in out["sa"]["detail"]
    assert "pooled adjusted ratio (descriptive) 0.35" in out["sa"]["detail"]
    # with countries reported, a bare average is judged on the equal-country ratio
    # (0.32 in 0.25-0.45, but the interval reaches beyond 0.32 / 1.25: it cannot tell)
    assert out["eq"]["verdict"] == "consistent_uninformative"
    assert "equal-country" in out["eq"]["detail"]


class TestVerdictRulesMeanWhatTheySay:
    """Issue 29 item 3: supported only when the interval excludes the alternatives; a bill rate
    against salaries is not comparable, never contradicted."""

    def test__the_ratio_rule(self):
        from marketlib.claims.rates import ratio_verdict

        assert ratio_verdict(0.40, 0.13, 1.26) == "consistent_uninformative"  # parity inside
        assert ratio_verdict(0.40, 0.35, 0.46) == "supported_by_data"
        assert ratio_verdict(0.40, 0.45, 0.60) == "contradicted_by_data"
        assert ratio_verdict(0.40, float("nan"), float("nan")) is None

    def _comparison(self, base="North America"):
        import pandas as pd

        return pd.DataFrame(
            [
                {
                    "claim_id": "R1",
                    "region": base,
                    "claimed_hourly_usd": 180.0,
                    "claimed_annual_equivalent_usd": 374400.0,
                    "base_share_at_or_above": 0.018,
                    "base_median_hourly_usd": 90.0,
                    "claimed_ratio": 1.0,
                    "claimed_base": base,
                    "data_median_hourly_usd": 90.0,
                    "data_median_ci_low": 85.0,
                    "data_median_ci_high": 95.0,
                }
            ]
        )

    def test__a_bill_rate_level_against_salaries_is_not_comparable(self):
        import pandas as pd

        from marketlib.claims.rates import audit_rates

        claims = pd.DataFrame({"id": ["R1"], "text": ["$180/hr in North America"]})
        row = audit_rates(claims, self._comparison(), 2080, "North America")[0]
        assert row["verdict"] == "not_comparable" and "salaries" in row["detail"]
        # on bill-rate data the level is judged as a level: on the median's interval
        bill = audit_rates(claims, self._comparison(), 2080, "North America", "bill_rate")[0]
        assert bill["verdict"] == "contradicted_by_data" and "bill rates" in bill["detail"]
        assert "judged as a level" in bill["detail"] and "$85.00-$95.00" in bill["detail"]
        near = self._comparison().assign(
            data_median_hourly_usd=178.0, data_median_ci_low=170.0, data_median_ci_high=190.0
        )
        bill = audit_rates(claims, near, 2080, "North America", "bill_rate")[0]
        assert bill["verdict"] == "supported_by_data"  # inside, and within 25% of the claim
        wide = near.assign(data_median_ci_low=100.0, data_median_ci_high=260.0)
        bill = audit_rates(claims, wide, 2080, "North America", "bill_rate")[0]
        assert bill["verdict"] == "consistent_uninformative"
        none = near.drop(columns=["data_median_ci_low", "data_median_ci_high"])
        assert (
            audit_rates(claims, none, 2080, "North America", "bill_rate")[0]["verdict"]
            == "untestable"
        )
