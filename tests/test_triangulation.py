"""The triangulation section: registered once, skipped in words, tables named by the run's data."""

from __future__ import annotations

import json
import re

import pytest

from marketlib.params import ReportParams, default_report_params
from marketlib.report.inputs import DATASET_INPUTS, skipped_sections
from marketlib.report.notebooks import notebook_parameters
from marketlib.sections import registry, triangulation

DOC = {
    "triangulation": {
        "base": "North America",
        "ci_level": 0.9,
        "pay_source": "hr_export.xlsx (a generic pay file)",
        "pay_population": "employees",
        "kaggle_population": "Kaggle respondents in work",
        "pay": [
            {
                "group": "Eastern Europe",
                "pay_n": 210,
                "pay_ratio": 0.34,
                "pay_ci_low": 0.19,
                "pay_ci_high": 0.59,
                "kaggle_n": 1149,
                "kaggle_countries": 6,
                "kaggle_ratio": 0.15,
                "kaggle_ci_low": 0.07,
                "kaggle_ci_high": 0.31,
                "ratio_of_ratios": 2.23,
                "ror_ci_low": 0.91,
                "ror_ci_high": 5.48,
                "consistency": "consistent",
            },
            {
                "group": "Latin America",
                "pay_n": 130,
                "pay_ratio": 0.41,
                "pay_ci_low": 0.31,
                "pay_ci_high": 0.54,
                "kaggle_n": 1919,
                "kaggle_countries": 7,
                "kaggle_ratio": 0.08,
                "kaggle_ci_low": 0.04,
                "kaggle_ci_high": 0.16,
                "ratio_of_ratios": 5.23,
                "ror_ci_low": 2.43,
                "ror_ci_high": 11.2,
                "consistency": "disagree",
            },
            {
                "group": "Oceania",
                "pay_n": 134,
                "pay_ratio": 0.82,
                "kaggle_n": 253,
                "kaggle_countries": 1,
                "kaggle_ratio": 0.92,
                "consistency": "no test",
            },
        ],
        "adoption": {
            "shares": [
                {
                    "wave": 2022,
                    "region": "Europe",
                    "n": 564,
                    "in_production": 351,
                    "reported": True,
                    "share": 0.622,
                    "ci_low": 0.582,
                    "ci_high": 0.661,
                },
                {"wave": 2022, "region": "Africa", "n": 20, "in_production": 9, "reported": False},
            ],
            "not_measured": ["2020: not asked"],
            "notes": {"2022 Europe": "includes Russia"},
        },
        "demand": [
            {
                "country_iso3": "DEU",
                "from": 2023,
                "to": 2024,
                "ai_share_from": 0.0214,
                "ai_share_to": 0.0227,
                "ai_share_change": 0.0013,
                "software_postings_change": -0.33,
                "software_vintage": "2024-06-07",
                "software_before_revision": True,
                "wage_growth_yoy": 0.052,
            }
        ],
        "claims": [
            {
                "id": "rate_ee",
                "text": "Eastern Europe averages $72/hr",
                "verdicts": {
                    "pay_data": "consistent_uninformative",
                    "kaggle": "contradicted_by_data",
                },
                "notes": {},
                "combined": "one source only (against the claim)",
            },
            {
                "id": "growth_na",
                "text": "North America grew 38%",
                "verdicts": {
                    "innovation_graph": "consistent_with_proxy",
                    "indeed": "direction_disagrees",
                },
                "notes": {"kaggle": "cannot"},
                "combined": "sources disagree",
            },
        ],
    }
}


def test__registered_once_after_the_sections_it_reads():
    names = [s.name for s in registry.SECTIONS]
    assert names.count("triangulation") == 1
    assert all(names.index(n) < names.index("triangulation") for n in triangulation.NEEDS)
    order = list(registry.notebooks())
    assert order.index("triangulation") > max(order.index(n) for n in triangulation.NEEDS)


@pytest.mark.parametrize("left_out", ["pay_bands", "adoption", "demand"])
def test__any_source_left_out_skips_the_section_in_words(left_out):
    params = ReportParams.build({"inputs": {left_out: None}})
    skipped = skipped_sections(params)
    assert "triangulation" in skipped and "inputs.pay_bands" in skipped["triangulation"]
    assert "triangulation" not in skipped_sections(ReportParams.build({}))


def test__every_source_input_has_a_format_of_its_table():
    from marketlib.clean.formats import FORMATS

    for table, spec in DATASET_INPUTS.items():
        assert FORMATS[spec.format].table == table


def test__tables_name_the_runs_pay_data_and_its_level_never_aijobs():
    pay = triangulation.pay_sources_table(DOC)
    claims = triangulation.sources_claims_table(DOC)
    text = " ".join(
        [*pay.columns, *claims.columns, *pay.astype(str).stack(), *claims.astype(str).stack()]
    )
    assert "hr_export.xlsx ratio to North America (90% CI)" in pay.columns
    assert not re.search("aijobs|95%", text)
    row = pay.set_index("Region").loc["Latin America"]
    assert (
        row["Verdict"] == "disagree"
        and row["hr_export.xlsx ÷ Kaggle (90% CI)"] == "5.23 (2.43-11.20)"
    )
    assert pay.set_index("Region").loc["Oceania", "hr_export.xlsx ÷ Kaggle (90% CI)"] == "—"
    c = claims.set_index("Claim")
    assert c.loc["North America grew 38%", "Kaggle survey"] == "cannot speak to it"
    assert c.loc["North America grew 38%", "Indeed postings"] == "opposite direction"
    assert (
        c.loc["Eastern Europe averages $72/hr", "hr_export.xlsx"]
        == "consistent, but the interval cannot tell"
    )


def test__adoption_and_demand_tables_say_n_too_few_and_vintage():
    adoption = triangulation.adoption_table(DOC).set_index("Region")
    assert adoption.loc["Africa", "2022"] == "n = 20, too few"
    assert adoption.loc["Europe", "2022"] == "62.2% (58.2-66.1%), n = 564"
    demand = triangulation.demand_table(DOC).iloc[0]
    assert demand["Change (points)"] == "+0.13"
    assert "before Indeed's 2024-11 revision" in demand["Software Development postings"]
    two = {
        "triangulation": {
            "demand": [
                {**DOC["triangulation"]["demand"][0], "from": 2022, "to": 2023},
                DOC["triangulation"]["demand"][0],
            ]
        }
    }
    assert list(triangulation.demand_table(two, latest=True)["Years"]) == ["2023-2024"]
    assert len(triangulation.demand_table(two)) == 2
    notes = triangulation.adoption_notes(DOC)
    assert notes == ["2020: not asked", "includes Russia (waves 2022)"]


def test__finding_gives_both_numbers_where_the_surveys_disagree():
    _, others = triangulation.triangulation_findings(DOC)
    (sentence,) = others
    assert "agree for Eastern Europe" in sentence
    assert (
        "disagree for Latin America (hr_export.xlsx 0.41, 90% CI 0.31-0.54, n = 130; "
        "Kaggle 0.08, 0.04-0.16, n = 1,919)" in sentence
    )
    assert triangulation.triangulation_findings({"triangulation": {"pay": []}}) == ([], [])


def test__report_passes_the_clean_tables_and_the_runs_pay_source(tmp_path):
    params = default_report_params()
    data = {
        "tables": {t: tmp_path / f"{t}.parquet" for _, t in triangulation.TABLES},
        "skipped": {"regional_growth": "no activity"},
        "rates_source": "the aijobs.net salary survey",
    }
    got = notebook_parameters("triangulation", params, data, tmp_path)
    assert got["regional_results_path"] is None and not got["compute_missing"]
    assert got["pay_bands_path"] == str(tmp_path / "pay_bands.parquet")
    assert got["ci_level"] == params.triangulation.ci_level
    summary = notebook_parameters(
        "market_report", params, {**data, "files": {"claims_growth": None}}, tmp_path
    )
    assert set(summary["results_paths"]) == {s.key for s in registry.SECTIONS}


def test__missing_clean_table_is_refused_naming_it(tmp_path):
    from marketlib.params import TriangulationParams
    from marketlib.sources import InputError

    params = TriangulationParams(pay_bands_path=str(tmp_path / "nope.parquet"))
    with pytest.raises(InputError, match="no clean pay_bands table"):
        triangulation.run_triangulation(params)


def test__at_home_every_pinned_file_of_the_three_sources_is_read():
    from marketlib.report.inputs import home_datasets
    from marketlib.sources.datasets import DATASET_GROUPS

    for table in ("pay_bands", "adoption", "demand"):
        spec = DATASET_INPUTS[table]
        assert home_datasets(spec) == list(DATASET_GROUPS[spec.group]), table
        assert not spec.versioned  # pinned files only: data_ref is for aijobs and activity
    assert home_datasets(DATASET_INPUTS["activity"]) == [
        "innovationgraph/topics",
        "innovationgraph/developers",
    ]


def test__countries_side_by_side__tests_each_country_both_report():
    import pandas as pd

    from marketlib.evidence.triangulate import countries_side_by_side

    ours = [
        {
            "country_iso3": "POL",
            "group": "Eastern Europe",
            "n": 38,
            "ratio_to_base": 0.47,
            "ratio_ci_low": 0.38,
            "ratio_ci_high": 0.57,
        },
        {
            "country_iso3": "DEU",
            "group": "Western Europe",
            "n": 129,
            "ratio_to_base": 0.61,
            "ratio_ci_low": 0.54,
            "ratio_ci_high": 0.66,
        },
        {
            "country_iso3": "ROU",
            "group": "Eastern Europe",
            "n": 12,
            "ratio_to_base": 0.4,
            "ratio_ci_low": None,
            "ratio_ci_high": None,
        },  # no interval: no test
    ]
    kaggle = pd.DataFrame(
        [
            {
                "country_iso3": "POL",
                "group": "Eastern Europe",
                "n": 234,
                "reported": True,
                "ratio_to_base": 0.27,
                "ratio_ci_low": 0.22,
                "ratio_ci_high": 0.32,
            },
            {
                "country_iso3": "DEU",
                "group": "Western Europe",
                "n": 378,
                "reported": True,
                "ratio_to_base": 0.65,
                "ratio_ci_low": 0.60,
                "ratio_ci_high": 0.70,
            },
            {
                "country_iso3": "ROU",
                "group": "Eastern Europe",
                "n": 40,
                "reported": True,
                "ratio_to_base": 0.2,
                "ratio_ci_low": 0.1,
                "ratio_ci_high": 0.3,
            },
        ]
    )
    results = {"arbitrage": {"countries": ours, "rate_kind": "salary"}}
    got = countries_side_by_side(results, kaggle).set_index("country_iso3")
    assert sorted(got.index) == ["DEU", "POL"]
    assert got.loc["POL", "consistency"] == "disagree"  # 0.47 vs 0.27: ratio 1.74
    assert got.loc["DEU", "consistency"] == "consistent"
    assert got.loc["POL", "ratio_of_ratios"] == pytest.approx(0.47 / 0.27)
    assert got.loc["POL", "ror_ci_low"] > 1 > got.loc["DEU", "ror_ci_low"]
    bill = {"arbitrage": {"countries": ours, "rate_kind": "bill_rate"}}
    assert countries_side_by_side(bill, kaggle).empty


@pytest.mark.realdata
def test__bill_rates__never_set_beside_kaggles_yearly_pay_nor_called_salaries():
    """A run on contractors' bill rates: Kaggle cannot speak to them, and no word says salary."""
    import pandas as pd

    from marketlib.evidence.triangulate import NOT_COMPARABLE, triangulate
    from marketlib.paths import processed_dir

    tables = {t: pd.read_parquet(processed_dir() / f"{t}.parquet") for _, t in triangulation.TABLES}
    results = {
        "arbitrage": {
            "geography": "subregion",
            "base": "North America",
            "rate_kind": "bill_rate",
            "min_n": 30,
            "population": "Kubernetes and PyTorch specialists (contractors)",
            "regions": [
                {
                    "group": "Eastern Europe",
                    "n": 80,
                    "ratio_equal_country": 0.4,
                    "ratio_equal_country_ci_low": 0.3,
                    "ratio_equal_country_ci_high": 0.5,
                }
            ],
            "countries": [
                {
                    "country_iso3": "POL",
                    "group": "Eastern Europe",
                    "n": 40,
                    "ratio_to_base": 0.4,
                    "ratio_ci_low": 0.3,
                    "ratio_ci_high": 0.5,
                }
            ],
            "claimed_vs_data": [
                {"claim_id": "rate_ee", "region": "Eastern Europe", "claimed_ratio": 0.4}
            ],
        },
        "claims": [
            {
                "id": "rate_ee",
                "text": "Eastern Europe averages $72/hr",
                "check": "data_rate",
                "verdict": "supported_by_data",
            }
        ],
    }
    doc = {
        "triangulation": {
            **triangulate(results, *tables.values()),
            "pay_source": "marketplace.csv (a generic pay file)",
        }
    }
    part = doc["triangulation"]
    assert {r["consistency"] for r in part["pay"]} == {NOT_COMPARABLE}
    assert part["pay_countries_compared"] == []
    (claim,) = part["claims"]
    assert "kaggle" not in claim["verdicts"] and "bill rates" in claim["notes"]["kaggle"]
    assert claim["combined"] == "one source only (for the claim)"
    shown = [
        triangulation.pay_sources_table(doc),
        triangulation.sources_claims_table(doc),
        triangulation.countries_compared_table(doc),
        triangulation.adoption_table(doc),
        triangulation.demand_table(doc),
    ]
    text = " ".join(
        [
            *(c for t in shown for c in t.columns),
            *(str(v) for t in shown for v in t.to_numpy().ravel()),
            *triangulation.triangulation_findings(doc)[1],
            *(str(v) for k, v in part.items() if isinstance(v, str)),
            *claim["notes"].values(),
        ]
    )
    for word in ("salary", "salaries", "employee", "earns"):
        assert not re.search(rf"\b{word}", text, re.I), word


@pytest.mark.realdata
def test__kaggle_titles__narrow_the_population_said_in_words_or_are_refused(tmp_path):
    import pandas as pd

    from marketlib.evidence.triangulate import kaggle_population, select_titles
    from marketlib.params import TriangulationParams
    from marketlib.paths import processed_dir
    from marketlib.sources import InputError

    bands = pd.read_parquet(processed_dir() / "pay_bands.parquet")
    kept = select_titles(bands, ["Data Scientist", "Data Engineer"])
    assert set(kept["title"]) == {"Data Scientist", "Data Engineer"}
    assert len(kept) == int(bands["title"].isin(["Data Scientist", "Data Engineer"]).sum())
    assert "job titles Data Scientist; Data Engineer" in kaggle_population(
        ["Data Scientist", "Data Engineer"]
    )
    assert "any job title" in kaggle_population(None)
    arbitrage = tmp_path / "geographic_arbitrage.json"
    arbitrage.write_text(
        json.dumps(
            {
                "geography": "subregion",
                "base": "North America",
                "rate_kind": "salary",
                "min_n": 30,
                "regions": [{"group": "Eastern Europe", "n": 80}],
                "countries": [],
            }
        )
    )
    paths = {p: str(processed_dir() / f"{t}.parquet") for p, t in triangulation.TABLES}
    params = TriangulationParams(**paths, arbitrage_results_path=str(arbitrage))
    narrow = triangulation.run_triangulation(
        params.model_copy(update={"kaggle_titles": ["Data Scientist"]}), compute_missing=False
    ).doc
    every = triangulation.run_triangulation(params, compute_missing=False).doc
    n_of = {r["group"]: r["kaggle_n"] for r in every["pay"]}
    assert all(r["kaggle_n"] < n_of[r["group"]] for r in narrow["pay"])
    assert "job titles Data Scientist" in narrow["kaggle_population"]
    with pytest.raises(InputError, match="Data Wizard"):
        triangulation.run_triangulation(
            params.model_copy(update={"kaggle_titles": ["Data Wizard"]}), compute_missing=False
        )
    with pytest.raises(ValueError, match="Data Wizard.*it has: .*Data Scientist"):
        select_titles(bands, ["Data Wizard"])
    with pytest.raises(Exception, match="ambiguous"):
        TriangulationParams(kaggle_titles=[])
