"""Hostile input, round 4: parameters the data cannot serve are named before any notebook."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import yaml

from marketlib.growth import GrowthInputError, check_measure, prepare_panel
from marketlib.report import load_params
from marketlib.report.run import check_sections
from marketlib.sources import InputError


def _activity() -> pd.DataFrame:
    rows = []
    for q in range(8):
        start = pd.Timestamp(2022, 1, 1) + pd.DateOffset(months=3 * q)
        for iso, region in (("DEU", "Europe"), ("IND", "Asia")):
            rows.append(
                {
                    "period_start": start,
                    "country_iso3": iso,
                    "region": region,
                    "measure": "topic_pushers",
                    "subject": "kubernetes",
                    "count": 500,
                }
            )
            rows.append(
                {
                    "period_start": start,
                    "country_iso3": iso,
                    "region": region,
                    "measure": "developers",
                    "subject": None,
                    "count": 9000,
                }
            )
    return pd.DataFrame(rows)


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
        check_measure(_activity(), measure, subjects)
    assert words in str(exc.value)
    check_measure(_activity(), "developers", None)  # the stock has no subjects: fine


def test__report_refuses_an_unknown_topic_before_any_notebook(tmp_path):
    table = tmp_path / "activity.parquet"
    _activity().to_parquet(table)
    params = load_params(None)

    def topics(names: list[str]):
        return params.model_copy(
            update={"regional": params.regional.model_copy(update={"subjects": names})}
        )

    check_sections(topics(["kubernetes"]), {"activity": table}, ["regional_growth"])
    bad = topics(["kubernetes", "llm"])
    with pytest.raises(InputError, match=r"regional: subject\(s\) \['llm'\] not published"):
        check_sections(bad, {"activity": table}, ["regional_growth"])


def _world_counts() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "period": ["2021", "2022", "2023"] * 2,
            "period_start": pd.to_datetime(["2021-01-01", "2022-01-01", "2023-01-01"] * 2),
            "freq": "Y",
            "region": "World",
            "country_iso3": None,
            "certification": ["CKA"] * 3 + ["CKAD"] * 3,
            "count": [100, 150, 210, 50, 70, 90],
        }
    )


def test__group_by_a_column_no_row_fills__refused_naming_what_can_be_used(tmp_path):
    with pytest.raises(
        GrowthInputError,
        match="group_by country_iso3: no row of the counts "
        "has it.*group by region or certification",
    ):
        prepare_panel(_world_counts(), ["country_iso3"])
    table = tmp_path / "certifications.parquet"
    _world_counts().to_parquet(table)
    params = load_params(None)
    bad = params.model_copy(
        update={"growth": params.growth.model_copy(update={"group_by": ["country_iso3"]})}
    )
    with pytest.raises(InputError, match="^growth: group_by country_iso3"):
        check_sections(bad, {"certifications": table}, ["certification_growth"])
    check_sections(params, {"certifications": table}, ["certification_growth"])


def test__group_value_missing_on_some_rows__its_own_not_stated_group():
    d = _world_counts()
    d.loc[d["certification"] == "CKAD", "region"] = None
    panel = prepare_panel(d, ["region"])
    assert sorted(panel.data["group"].unique()) == ["World", "not stated"]
    assert int(panel.data["y"].sum()) == int(d["count"].sum())


# --- column-map constants are checked before the file is read --------------------------------


@pytest.mark.parametrize(
    "key, constant, ok",
    [
        ("unit", "fortnight", False),
        ("unit", "yearly", True),
        ("country", "Narnia", False),
        ("country", "Germany", True),
        ("currency", "XYZ", False),
        ("currency", "eur", True),
        ("amount", "abc", False),
        ("experience", "wizard", False),
        ("experience", "senior", True),
        ("currency", "EUR European Euro", True),  # a layout's currency cell: code, then name
    ],
)
def test__column_map_constant__refused_up_front_when_no_row_could_use_it(
    tmp_path, capsys, key, constant, ok
):
    from marketlib.cli import main

    cols = {
        "amount": "amount",
        "currency": "currency",
        "country": "country",
        "date": "date",
        "unit": "unit",
        key: {"value": constant},
    }
    (tmp_path / "cols.yaml").write_text(yaml.safe_dump(cols))
    src = tmp_path / "in.csv"
    src.write_text("amount,currency,unit,country,date\n100000,USD,year,US,2024-01-01\n")
    rc = main(
        [
            "clean",
            "rates",
            str(src),
            "--format",
            "generic",
            "--columns",
            str(tmp_path / "cols.yaml"),
            "--out",
            str(tmp_path / "out"),
        ]
    )
    err = capsys.readouterr().err
    if ok:  # not refused up front (a generic file then rejects a named currency's rows)
        assert rc in (0, 3), err
        assert rc == 0 or constant == "EUR European Euro"
    else:
        assert rc == 2 and f"{key}: the constant {constant!r}" in err
        assert "cols.yaml" in err and len(err.strip().splitlines()) == 1
        assert not (tmp_path / "out").exists()  # nothing read, nothing written


def test__unknown_words_notice_says_which_rows_were_rejected(tmp_path, capsys):
    from marketlib.cli import main

    src = tmp_path / "in.csv"
    src.write_text(
        "amount,currency,unit,country,date,experience\n"
        "100000,USD,year,US,2024-01-01,mid\n100000,USD,year,Narnia,2024-01-01,mid\n"
        "100000,USD,year,US,2024-01-01,wizard\n"
    )
    assert (
        main(
            [
                "clean",
                "rates",
                str(src),
                "--format",
                "generic",
                "--out",
                str(tmp_path / "out"),
                "--max-rejected-share",
                "0.5",
            ]
        )
        == 0
    )
    out = capsys.readouterr().out
    assert "'Narnia' 1 (rows rejected: a rate needs its country)" in out
    assert "'wizard' 1 (rows kept, experience missing)" in out


# --- a run with sections skipped: the summary page says only what ran ---------------------------


def _pay_only_results() -> dict:
    return {
        "run": {
            "params": {
                "seed": 1,
                "regional": {"subjects": ["kubernetes"]},
                "arbitrage": {"base": "North America"},
            },
            "skipped": {
                "regional_growth": "no developer-activity files",
                "claims_audit": "no claims file",
            },
        },
        "arbitrage": {
            "base": "North America",
            "geography": "subregion",
            "hours_per_year": 2080,
            "regions": [],
            "adjusted": [],
        },
        "growth": {
            "period_growth": [
                {"group": {"region": "World"}, "from": "2022", "to": "2023", "growth": 0.1}
            ]
        },
    }


def test__summary_of_a_partial_run__intro_blocks_and_parameters_follow_what_ran():
    from marketlib import prose, publish, sections

    r = _pay_only_results()
    intro = prose.summary_intro(r)
    assert intro.startswith(
        "What a comparable specialist costs by sub-region and how "
        "published certification counts changed."
    )
    assert "claims" not in intro and "activity" not in intro
    blocks = [
        b.data
        for b in sections.summary_blocks(r)
        if isinstance(getattr(b, "data", None), str) and "Not part of this run" in b.data
    ]
    assert blocks == [
        "## Regional growth\n\n*Not part of this run: no developer-activity files.*",
        "## Claims audit\n\n*Not part of this run: no claims file.*",
    ]
    t = publish.provenance_table(r, not_run=sections.params_not_run(r)).set_index("Name")
    assert t.loc["regional", "Value"] == "not used: the section is not part of this run"
    assert "North America" in t.loc["arbitrage", "Value"]


def test__one_country_is_singular():
    from marketlib.publish.text import count_of

    assert [count_of(k, "country", "countries") for k in (1, 2, 1200, None)] == [
        "1 country",
        "2 countries",
        "1,200 countries",
        "—",
    ]


# --- parameters that could never select a row, or would be ignored ------------------------------


@pytest.mark.parametrize(
    "section, values, words",
    [
        (
            "arbitrage",
            {"rate_kind": "bill_rate"},
            "select no row (bill_rate is the pay of contractor, freelance)",
        ),
        ("arbitrage", {"years": []}, "arbitrage.years: an empty list is ambiguous"),
        ("arbitrage", {"employment_types": []}, "an empty list is ambiguous"),
        (
            "arbitrage",
            {"scheduler": "tcp://127.0.0.1:1"},
            "scheduler is used only with engine: dask",
        ),
        ("growth", {"subjects": []}, "growth.subjects: an empty list is ambiguous"),
        ("regional", {"subjects": []}, "regional.subjects: an empty list is ambiguous"),
    ],
)
def test__parameters_that_select_nothing_or_do_nothing__refused_in_one_line(section, values, words):
    from marketlib.params import ParamsError, ReportParams

    with pytest.raises(ParamsError) as exc:
        ReportParams.build({section: values})
    assert words in str(exc.value) and "got a mapping" not in str(exc.value)
    assert "\n" not in str(exc.value)


def test__bill_rates_with_their_own_employment_types__accepted():
    from marketlib.params import ReportParams

    p = ReportParams.build(
        {"arbitrage": {"rate_kind": "bill_rate", "employment_types": ["contractor", "freelance"]}}
    )
    assert p.arbitrage.rate_kind == "bill_rate"
    for salaried in (["full_time"], ["part_time"], ["full_time", "part_time"], ["employee"]):
        assert ReportParams.build({"arbitrage": {"employment_types": salaried}})
    assert ReportParams.build({"arbitrage": {"rate_kind": "bill_rate", "employment_types": None}})


def test__scheduler_without_the_dask_engine__refused(tmp_path, capsys):
    from marketlib.cli import main

    src = tmp_path / "in.csv"
    src.write_text("amount,currency,unit,country,date\n100000,USD,year,US,2024-01-01\n")
    rc = main(
        [
            "clean",
            "rates",
            str(src),
            "--format",
            "generic",
            "--scheduler",
            "tcp://127.0.0.1:1",
            "--out",
            str(tmp_path / "out"),
        ]
    )
    assert rc == 2 and "--scheduler: is used only with --engine dask" in capsys.readouterr().err


@pytest.mark.parametrize("sep, name", [(";", "semicolons"), ("\t", "tabs")])
def test__a_file_split_by_another_delimiter__named(tmp_path, capsys, sep, name):
    from marketlib.cli import main

    src = tmp_path / "in.csv"
    src.write_text(
        sep.join(["amount", "currency", "unit", "country", "date"])
        + "\n"
        + sep.join(["100000", "USD", "year", "US", "2024-01-01"])
        + "\n"
    )
    rc = main(["clean", "rates", str(src), "--format", "generic", "--out", str(tmp_path / "out")])
    assert rc == 2 and f"its header is split by {name}, not commas" in capsys.readouterr().err


@pytest.mark.parametrize(
    "scheme, words",
    [
        ("iso3,region,subregion\n", "the scheme lists no country (a header only)"),
        ("iso3,region,subregion\nUSA,,\n", "row 1: empty region"),
        ("iso3,region,subregion\nUSA,Americas,\n", "row 1: empty subregion"),
    ],
)
def test__a_region_scheme_without_countries_or_regions__refused(tmp_path, capsys, scheme, words):
    from marketlib.cli import main

    (tmp_path / "scheme.csv").write_text(scheme)
    src = tmp_path / "in.csv"
    src.write_text("amount,currency,unit,country,date\n100000,USD,year,US,2024-01-01\n")
    rc = main(
        [
            "clean",
            "rates",
            str(src),
            "--format",
            "generic",
            "--scheme",
            str(tmp_path / "scheme.csv"),
            "--out",
            str(tmp_path / "out"),
        ]
    )
    assert rc == 2 and words in capsys.readouterr().err


def test__max_date_in_the_future__refused(tmp_path, capsys):
    from marketlib.cli import main

    src = tmp_path / "in.csv"
    src.write_text("amount,currency,unit,country,date\n100000,USD,year,US,2099-01-01\n")
    rc = main(
        [
            "clean",
            "rates",
            str(src),
            "--format",
            "generic",
            "--max-date",
            "2999-01-01",
            "--out",
            str(tmp_path / "out"),
        ]
    )
    assert rc == 2 and "--max-date: 2999-01-01 is in the future" in capsys.readouterr().err


# --- an HR export with full dates: two hires on different days are two people --------------------


def test__generic_rows_differing_only_in_their_date__neither_duplicates_nor_range_pairs(tmp_path):
    from marketlib.cli import main

    src = tmp_path / "hr.csv"
    src.write_text(
        "amount,currency,unit,country,date,experience\n"
        "114000,USD,year,US,2024-09-22,senior\n"
        "114000,USD,year,US,2024-05-10,senior\n"
        "114000,USD,year,US,2024-05-10,senior\n"  # same day, same all: a duplicate
        "60000,USD,year,AR,2024-01-01,mid\n"
        "90000,USD,year,AR,2024-01-04,mid\n"
    )  # adjacent, 1.5x, other day: no pair
    assert (
        main(["clean", "rates", str(src), "--format", "generic", "--out", str(tmp_path / "out")])
        == 0
    )
    t = pd.read_parquet(tmp_path / "out" / "rates.parquet")
    assert t["is_duplicate"].tolist() == [False, False, True, False, False]
    assert not t["is_range_pair"].any()
    # one day written two ways is one day: the parsed date decides, not the text
    src.write_text(
        "amount,currency,unit,country,date\n114000,USD,year,US,2024-01-05\n"
        "114000,USD,year,US,2024/01/05\n"
    )
    assert (
        main(["clean", "rates", str(src), "--format", "generic", "--out", str(tmp_path / "out2")])
        == 0
    )
    t = pd.read_parquet(tmp_path / "out2" / "rates.parquet")
    assert t["is_duplicate"].tolist() == [False, True]


# --- held-out pay data with known country effects (review round) ---------------------------------


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


def test__team_savings_with_assumptions__percents_like_the_savings():
    from marketlib.publish.html import percent_columns

    cols = percent_columns(["group", "savings_p05", "with_assumptions_p05", "team_annual_cost_p50"])
    assert set(cols) == {"savings_p05", "with_assumptions_p05"}


def test__only_the_sections_run_are_checked(tmp_path):
    from tests.test_arbitrage import _rates

    table = tmp_path / "certifications.parquet"
    _world_counts().to_parquet(table)
    params = load_params(None)
    bad = params.model_copy(
        update={"growth": params.growth.model_copy(update={"group_by": ["country_iso3"]})}
    )
    check_sections(bad, {"certifications": table}, ["geographic_arbitrage"])  # growth not run
    with pytest.raises(InputError, match="growth: group_by country_iso3"):
        check_sections(bad, {"certifications": table}, ["certification_growth"])
    rates = tmp_path / "rates.parquet"
    _rates(30, 60).to_parquet(rates)  # the base exactly at the floor: estimable
    check_sections(params, {"rates": rates}, ["geographic_arbitrage"])
    _rates(29, 60).to_parquet(rates)
    with pytest.raises(InputError, match="has 29 rows after the filters, below min_n 30"):
        check_sections(params, {"rates": rates}, ["geographic_arbitrage"])


def test__citations_name_the_analysts_own_pay_file():
    from marketlib import prose

    r = {
        "run": {"rates_source": "hr.csv (generic layout)", "provenance": []},
        "arbitrage": {"base": "North America"},
    }
    assert any(
        c.startswith("Pay data: hr.csv (generic layout), supplied by the analyst")
        for c in prose.citations(r)
    )
    r["run"]["provenance"] = [{"dataset": "aijobs", "commit": "9c22"}]
    assert not any(c.startswith("Pay data:") for c in prose.citations(r))
