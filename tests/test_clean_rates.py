from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from conftest import frame
from hostile import clean_cli

from marketlib.clean import (
    CleanParams,
    assign_role_families,
    clean_rates,
    flag_outliers,
    flag_range_pairs,
)
from marketlib.frames import parse_numbers as parse_amounts
from marketlib.periods import parse_dates
from marketlib.sources import read_rejected_csv

P = CleanParams(max_date="2026-01-01")
GEN = "country,amount,currency,unit,date,role,experience,employment_type\n"


def clean(text: str, fmt: str = "generic", params: CleanParams = P):
    r = clean_rates(frame(text), fmt, params, source_file="t.csv")
    assert r.report["rows_in"] == r.report["rows_clean"] + r.report["rows_rejected"]
    return r


def test__clean_rates__generic_units_and_hours():
    r = clean(
        GEN + "US,100,USD,hourly,2023-05-02,,,contractor\n"
        "US,800,USD,daily,2023,,,contractor\n"
        "US,4000,USD,week,2023,,,contractor\n"
        'US,"17,333.33",USD,monthly,2023-05,,,employee\n'
        "US,208000,USD,per annum,2023,,,FT\n"
    )
    assert r.clean["hourly_usd"].round(2).tolist() == [100, 100, 100, 100, 100]
    assert r.clean["annual_usd"].round(0).tolist() == [208000] * 5
    assert r.clean["hours_per_year"].unique().tolist() == [2080]
    assert r.clean["rate_kind"].tolist() == ["bill_rate"] * 3 + ["salary"] * 2


def test__clean_rates__hours_per_year_parameter():
    r = clean(GEN + "US,180000,USD,year,2023,,,FT\n", params=CleanParams(hours_per_year=1800))
    assert r.clean.loc[0, "hourly_usd"] == pytest.approx(100.0)


def test__clean_rates__each_reason_code():
    r = clean(
        GEN
        + (
            ",100,USD,hour,2023,,,\n"  # missing country
            "US,abc,USD,hour,2023,,,\n"  # unparseable_amount
            "US,-5,USD,hour,2023,,,\n"  # non_positive_amount
            "US,0,USD,hour,2023,,,\n"  # non_positive_amount
            "US,0.01,USD,year,2023,,,\n"  # implausible_amount
            "US,100,XYZ,hour,2023,,,\n"  # unknown_currency
            "NG,100,NGN,hour,2023,,,\n"  # fx_rate_unavailable
            "Atlantis,100,USD,hour,2023,,,\n"  # unknown_country
            "US,100,USD,fortnight,2023,,,\n"  # unknown_unit
            "US,100,USD,hour,yesterday,,,\n"  # unparseable_date
            "US,100,USD,hour,1970,,,\n"  # date_out_of_range
            "US,100,USD,hour,2031-01-01,,,\n"  # date_out_of_range
        )
    )
    assert r.rejected["reason"].tolist() == [
        "missing_required",
        "unparseable_amount",
        "non_positive_amount",
        "non_positive_amount",
        "implausible_amount",
        "unknown_currency",
        "fx_rate_unavailable",
        "unknown_country",
        "unknown_unit",
        "unparseable_date",
        "date_out_of_range",
        "date_out_of_range",
    ]
    assert r.rejected["source_row"].tolist() == list(range(1, 13))
    assert r.rejected["detail"].str.len().gt(10).all()
    assert "'Atlantis'" in r.rejected.loc[7, "detail"]
    assert r.rejected.loc[1, "amount"] == "abc"  # verbatim


def test__clean_rates__empty_frame():
    r = clean(GEN)
    assert len(r.clean) == 0 and len(r.rejected) == 0
    assert r.report["rows_in"] == 0


def test__clean_rates__all_na_optional_columns():
    r = clean(GEN + "US,100,USD,hour,2023,,,\nDE,90,EUR,hour,2023,,,\n")
    assert r.clean["role"].isna().all() and r.clean["experience"].isna().all()
    assert (r.clean["rate_kind"] == "unknown").all()


def test__clean_rates__eur_converted_with_period_average():
    r = clean(GEN + "DE,100,EUR,hour,2024,,,FT\n")
    assert r.clean.loc[0, "hourly_usd"] == pytest.approx(108.24, abs=0.05)
    assert r.clean.loc[0, "fx_source"] == "ecb"


def test__clean_rates__extra_columns_kept():
    r = clean("country,amount,currency,unit,date,notes\nUS,100,USD,hour,2023,hello\n")
    assert r.clean.loc[0, "notes"] == "hello"


def test__clean_rates__experience_and_employment_normalized():
    r = clean(
        GEN + "US,100,USD,hour,2023,x,EN,FL\nUS,101,USD,hour,2023,x,Senior,PT\n"
        "US,102,USD,hour,2023,x,lead,contract\n"
    )
    assert r.clean["experience"].tolist() == ["junior", "senior", "lead"]
    assert r.clean["employment_type"].tolist() == ["freelance", "part_time", "contractor"]


AIJOBS_HEAD = (
    "work_year,experience_level,employment_type,job_title,salary,salary_currency,"
    "salary_in_usd,employee_residence,remote_ratio,company_location,company_size\n"
)


def test__clean_rates__aijobs_duplicates_pairs_fx_mismatch_and_fallback():
    r = clean(
        AIJOBS_HEAD
        + (
            "2024,SE,FT,Data Engineer,154000,USD,154000,US,100,US,M\n"
            "2024,SE,FT,Data Engineer,126000,USD,126000,US,100,US,M\n"  # range pair with row 1
            "2024,SE,FT,Data Engineer,154000,USD,154000,US,100,US,M\n"  # duplicate of row 1
            "2024,MI,FT,Data Scientist,50000,EUR,54000,DE,0,DE,L\n"
            "2024,MI,FT,Data Scientist,50000,EUR,80000,DE,0,US,L\n"  # fx mismatch, cross-border
            "2024,MI,CT,Analyst,30000000,CLP,32000,CL,0,CL,S\n"  # CLP: no ECB rate
        ),
        fmt="aijobs",
    )
    c = r.clean
    assert c["is_duplicate"].tolist() == [False, False, True, False, False, False]
    assert c["is_range_pair"].tolist() == [True, True, False, False, False, False]
    assert c["range_pair_id"].iloc[0] == c["range_pair_id"].iloc[1]
    assert c["is_fx_mismatch"].tolist() == [False, False, False, False, True, False]
    assert c["is_cross_border"].tolist() == [False] * 4 + [True, False]
    assert c.loc[5, "fx_source"] == "source_usd" and c.loc[5, "annual_usd"] == 32000
    assert c.loc[5, "rate_kind"] == "bill_rate"
    assert r.report["flags"]["is_duplicate"] == 1


def test__clean_rates__aijobs_usd_rows_unchanged():
    r = clean(AIJOBS_HEAD + "2023,EN,FT,Data Analyst,61234,USD,61234,US,0,US,S\n", fmt="aijobs")
    assert r.clean.loc[0, "annual_usd"] == 61234
    assert r.clean.loc[0, "hourly_usd"] == pytest.approx(61234 / 2080)


def test__clean_rates__aijobs_bad_year():
    r = clean(AIJOBS_HEAD + "2023-05,EN,FT,Data Analyst,61234,USD,61234,US,0,US,S\n", fmt="aijobs")
    assert r.rejected["reason"].tolist() == ["unparseable_date"]


def test__clean_rates__does_not_mutate_input():
    raw = frame(GEN + 'US,"1,000",USD,day,2023,,,\n')
    before = raw.copy()
    clean_rates(raw, "generic", P)
    pd.testing.assert_frame_equal(raw, before)


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("1,234.5", 1234.5),
        ("120 000", 120000),
        ("1_000", 1000),
        (" 42 ", 42),
        ("1e3", 1000),
        ("abc", None),
        ("", None),
        ("inf", None),
        ("12,34,567", 1234567),
    ],
)
def test__parse_amounts(text, value):
    got = parse_amounts(pd.Series([text])).iloc[0]
    assert (pd.isna(got) and value is None) or got == value


@pytest.mark.parametrize(
    ("text", "start", "precision"),
    [
        ("2023-05-02", "2023-05-02", "D"),
        ("22/05/2023", "2023-05-22", "D"),
        ("05/22/2023", "2023-05-22", "D"),
        ("05/05/2023", "2023-05-05", "D"),
        ("02/05/2023", None, None),  # alone in its column: day or month first? rejected
        ("May 2023", "2023-05-01", "M"),
        ("Sep 2023", "2023-09-01", "M"),
        ("2023-05", "2023-05-01", "M"),
        ("2023", "2023-01-01", "Y"),
        ("13/13/2023", None, None),
    ],
)
def test__parse_dates(text, start, precision):
    got = parse_dates(pd.Series([text])).iloc[0]
    if start is None:
        assert pd.isna(got["date"])
    else:
        assert got["date"] == pd.Timestamp(start) and got["precision"] == precision


@pytest.mark.parametrize(
    ("column", "order", "read_as"),
    [
        (["12/31/2023", "03/04/2024"], "auto", "2024-03-04"),  # 12/31 proves month first
        (["31/12/2023", "03/04/2024"], "auto", "2024-04-03"),  # 31/12 proves day first
        (["03/04/2024"], "dayfirst", "2024-04-03"),
        (["03/04/2024"], "monthfirst", "2024-03-04"),
        (["03/04/2024", "31/12/2023", "12/31/2023"], "auto", None),  # proves both: ambiguous
    ],
)
def test__parse_dates__one_order_per_column(column, order, read_as):
    got = parse_dates(pd.Series(column), order).iloc[column.index("03/04/2024")]
    if read_as is None:
        assert pd.isna(got["date"]) and got["ambiguous"]
    else:
        assert got["date"] == pd.Timestamp(read_as) and not got["ambiguous"]


def test__records__ambiguous_dates_rejected_with_reason_never_guessed(tmp_path):
    from marketlib.cli import main
    from marketlib.sources import read_rejected_csv

    src = tmp_path / "r.csv"
    src.write_text("date,certification,location\n03/04/2024,CKA,Germany\n05/05/2024,CKA,Germany\n")
    assert (
        main(
            [
                "clean",
                "certifications",
                str(src),
                "--format",
                "records",
                "--out",
                str(tmp_path / "o"),
            ]
        )
        == 0
    )
    rej = read_rejected_csv(tmp_path / "o" / "certifications_rejected.csv")
    assert rej["reason"].tolist() == ["unparseable_date"]
    assert "ambiguous" in rej["detail"].iloc[0] and "--dayfirst" in rej["detail"].iloc[0]
    assert (
        main(
            [
                "clean",
                "certifications",
                str(src),
                "--format",
                "records",
                "--monthfirst",
                "--out",
                str(tmp_path / "o2"),
            ]
        )
        == 0
    )
    assert not (tmp_path / "o2" / "certifications_rejected.csv").read_text().count("\n") > 1


@pytest.mark.parametrize(
    ("title", "family"),
    [
        ("Machine Learning Engineer", "ML/AI Engineer"),
        ("MLOps Engineer", "ML/AI Engineer"),
        ("Data Scientist", "Data Scientist"),
        ("Data Engineer", "Data Engineer"),
        ("Business Intelligence Analyst", "Analyst"),
        ("Research Scientist", "Research Scientist"),
        ("Engineering Manager", "Manager/Lead"),
        ("Head of Data", "Manager/Lead"),
        ("Site Reliability Engineer", "Software/Platform Engineer"),
        ("Platform Engineer", "Software/Platform Engineer"),
        ("Consultant", "Other"),
        ("analytics engineer", "Data Engineer"),
    ],
)
def test__assign_role_families(title, family):
    assert assign_role_families(pd.Series([title])).iloc[0] == family


def test__flag_range_pairs__chain_and_ratio_limits():
    df = pd.DataFrame(
        {
            "k": ["a"] * 5 + ["b", "b", "c", "c"],
            "amt": [100, 120, 140, 160, 500, 100, 100, 100, 300],
        }
    )
    is_pair, pid = flag_range_pairs(df, ["k"], "amt")
    assert is_pair.tolist() == [True, True, True, True, False, False, False, False, False]
    assert pid.iloc[0] == pid.iloc[1] != pid.iloc[2] == pid.iloc[3]


def test__flag_range_pairs__high_first_order_and_the_wider_ratio():
    """A source that writes ranges maximum-first (aijobs): a low-then-high pair is two
    people; a 2.3x range is a range (the measured width), 3x is not."""
    df = pd.DataFrame(
        {
            "k": ["a", "a", "b", "b", "c", "c", "d", "d"],
            "amt": [172_000, 75_600, 100, 150, 300, 100, 150, 100],
        }
    )
    is_pair, _ = flag_range_pairs(df, ["k"], "amt", order="high_first")
    assert is_pair.tolist() == [True, True, False, False, False, False, True, True]
    assert flag_range_pairs(df, ["k"], "amt")[0].tolist()[2:4] == [True, True]  # "any"


def test__flag_range_pairs__detector_recall_and_false_positive_rate():
    """METHODS §3.4: recall >= 95%, false-positive rate <= 1% on injected pairs."""
    rng = np.random.default_rng(7)
    n = 4000
    keys = pd.DataFrame(
        {
            "title": rng.integers(0, 40, n),
            "exp": rng.integers(0, 4, n),
            "cc": rng.integers(0, 30, n),
        }
    )
    amt = np.exp(rng.normal(np.log(100_000), 0.4, n))
    rows, truth = [], []
    for i in range(n):
        if rng.random() < 0.1:
            k = rng.uniform(1.1, 1.6)
            rows += [(*keys.iloc[i], amt[i] / np.sqrt(k)), (*keys.iloc[i], amt[i] * np.sqrt(k))]
            truth += [True, True]
        else:
            rows.append((*keys.iloc[i], amt[i]))
            truth.append(False)
    df = pd.DataFrame(rows, columns=["title", "exp", "cc", "amt"])
    is_pair, _ = flag_range_pairs(df, ["title", "exp", "cc"], "amt")
    truth = np.array(truth)
    recall = is_pair[truth].mean()
    fpr = is_pair[~truth].mean()
    assert recall >= 0.95, recall
    assert fpr <= 0.01, fpr


def test__flag_outliers__modified_z_in_cells():
    rng = np.random.default_rng(1)
    x = pd.Series(np.r_[rng.normal(4, 0.1, 50), 7.0])
    cell = pd.Series(["a"] * 51)
    flags = flag_outliers(x, [cell], [cell])
    assert flags.iloc[-1] and flags.iloc[:-1].sum() == 0


def test__flag_outliers__small_fine_cell_falls_back_to_coarse():
    x = pd.Series([1.0, 1.1, 5.0] + [1.0 + 0.01 * i for i in range(30)])
    fine = pd.Series(["tiny"] * 3 + ["big"] * 30)
    coarse = pd.Series(["all"] * 33)
    flags = flag_outliers(x, [fine], [coarse], min_cell=20)
    assert flags.iloc[2]  # judged within the coarse cell: far from the rest


class TestPointInTimeCurrency:
    """Issue 29, item 5: a row is converted at the mean rate over its own pay period up to
    the data's collection date, never at later rates."""

    def test__a_year_collected_in_january_uses_january_rates(self):
        from marketlib import money

        collected = CleanParams(max_date="2026-01-01", collected_on="2025-01-19")
        r = clean(GEN + "DE,100,EUR,hour,2025,,,FT\nDE,100,EUR,hour,2024,,,FT\n", params=collected)
        ecb = money.ecb_usd_per_unit()["EUR"]
        january = float(ecb.loc["2025-01-01":"2025-01-19"].mean())
        year_2024 = float(ecb.loc["2024-01-01":"2024-12-31"].mean())
        assert r.clean.loc[0, "usd_per_unit"] == pytest.approx(january, rel=1e-9)
        assert r.clean.loc[1, "usd_per_unit"] == pytest.approx(year_2024, rel=1e-9)
        whole_year = clean(GEN + "DE,100,EUR,hour,2025,,,FT\n").clean.loc[0, "usd_per_unit"]
        assert whole_year != pytest.approx(january, rel=1e-3)  # the look-ahead it replaces
        assert r.report["collected_on"] == "2025-01-19"

    def test__the_run_date_also_bounds_the_rates(self):
        from marketlib import money

        r = clean(GEN + "DE,100,EUR,hour,2024,,,FT\n", params=CleanParams(max_date="2024-03-31"))
        ecb = money.ecb_usd_per_unit()["EUR"]
        assert r.clean.loc[0, "usd_per_unit"] == pytest.approx(
            float(ecb.loc["2024-01-01":"2024-03-31"].mean()), rel=1e-9
        )

    def test__a_known_snapshot_names_its_own_collection_date(self):
        from marketlib.clean.pipeline import with_collection_date
        from marketlib.sources.datasets import AIJOBS_SHA256, collection_date

        assert collection_date(AIJOBS_SHA256) == "2025-01-19"
        assert collection_date("0" * 64) is None
        assert with_collection_date(P, {"a.csv": AIJOBS_SHA256}).collected_on == "2025-01-19"
        own = CleanParams(collected_on="2024-06-30")
        assert with_collection_date(own, {"a.csv": AIJOBS_SHA256}).collected_on == "2024-06-30"

    def test__the_report_compares_with_the_source_usd_per_currency_and_year(self):
        text = (
            "work_year,experience_level,employment_type,job_title,salary,salary_currency,"
            "salary_in_usd,employee_residence,remote_ratio,company_location,company_size\n"
            "2024,SE,FT,Data Scientist,100000,EUR,108000,DE,0,DE,M\n"
            "2024,SE,FT,Data Scientist,90000,EUR,97200,DE,0,DE,M\n"
        )
        r = clean(text, fmt="aijobs")
        (row,) = r.report["fx_vs_source"]
        assert row["currency"] == "EUR" and row["year"] == 2024 and row["n"] == 2
        assert row["median_difference"] == pytest.approx(108.24 / 108 - 1, abs=0.001)

    def test__the_command_line_takes_the_collection_date(self, tmp_path, capsys):
        from marketlib.cli import main

        src = tmp_path / "pay.csv"
        src.write_text(GEN + "DE,100,EUR,hour,2025,,,FT\n", encoding="utf-8")
        out = tmp_path / "out"
        assert (
            main(
                [
                    "clean",
                    "rates",
                    str(src),
                    "--format",
                    "generic",
                    "--out",
                    str(out),
                    "--max-date",
                    "2026-01-01",
                    "--collected-on",
                    "2025-01-19",
                ]
            )
            == 0
        )
        report = __import__("json").loads((out / "rates_clean_report.json").read_text())
        assert report["collected_on"] == "2025-01-19"
        assert (
            main(
                [
                    "clean",
                    "rates",
                    str(src),
                    "--format",
                    "generic",
                    "--out",
                    str(out),
                    "--collected-on",
                    "19/01/2025",
                ]
            )
            == 2
        )
        assert "--collected-on" in capsys.readouterr().err


# --- hostile input: files cleaned through the command line ------------------------------------


@pytest.mark.parametrize("ratio", ["", "50%", "0.5", "abc", "1e2"])
def test__aijobs__a_bad_remote_ratio_cell_never_sinks_the_file(tmp_path, ratio):
    row = "2023,SE,FT,ML Engineer,100000,USD,100000,US,{},US,M\n"
    rc, out = clean_cli(
        tmp_path, "rates", "aijobs", AIJOBS_HEAD + row.format(0) + row.format(ratio)
    )
    assert rc == 0
    table = pd.read_parquet(out / "rates.parquet")
    assert len(table) == 2 and table["remote_ratio"].iloc[0] == 0


@pytest.mark.parametrize(
    "column",
    ["source_row", "source_file", "reason", "detail", "_malformed_row", "region", "is_outlier"],
)
def test__extra_input_columns_never_collide_with_marketlib_columns(tmp_path, column):
    text = (
        f"country,amount,currency,unit,date,{column}\n"
        "US,100000,USD,year,2023,mine-1\nUS,x,USD,year,2023,mine-2\n"
    )
    rc, out = clean_cli(tmp_path, "rates", "generic", text)
    assert rc == 0
    rejected = read_rejected_csv(out / "rates_rejected.csv")
    kept = f"input_{column}"
    ours = {"source_row", "source_file", "reason", "detail", "_malformed_row"}
    verbatim = kept if column in ours else column  # renamed only where the file has ours
    assert rejected[verbatim].tolist() == ["mine-2"]  # the user's value, never overwritten
    assert rejected["reason"].tolist() == ["unparseable_amount"]
    table = pd.read_parquet(out / "rates.parquet")
    assert table[kept].tolist() == ["mine-1"] and len(table) == 1


# --- hostile input: crashes from values -------------------------------------------------------


@pytest.mark.parametrize(
    "usd,remote", [("-100000", "50"), ("100000", "-50"), ("0", "150"), ("1e400", "1e400")]
)
def test__aijobs__negative_or_huge_source_values_never_crash_the_writer(tmp_path, usd, remote):
    row = f"2023,SE,FT,ML Engineer,100000,USD,{usd},US,{remote},US,M\n"
    rc, out = clean_cli(tmp_path, "rates", "aijobs", AIJOBS_HEAD + row)
    assert rc == 0
    t = pd.read_parquet(out / "rates.parquet")
    assert len(t) == 1 and t["annual_usd"].iloc[0] == 100000
    assert pd.isna(t["source_annual_usd"].iloc[0]) or t["source_annual_usd"].iloc[0] > 0
    assert pd.isna(t["remote_ratio"].iloc[0]) or 0 <= t["remote_ratio"].iloc[0] <= 100


def test__usd_rows_after_the_ecb_table_ends_need_no_rate(tmp_path):
    from marketlib.money import ecb_coverage

    last = ecb_coverage()[1]
    day = (last + pd.Timedelta(days=5)).date().isoformat()
    rc, out = clean_cli(
        tmp_path,
        "rates",
        "generic",
        f"country,amount,currency,unit,date\nUS,100000,USD,year,{day}\n",
        "in.csv",
        "--max-date",
        day,
    )
    assert rc == 0 and len(pd.read_parquet(out / "rates.parquet")) == 1


@pytest.mark.parametrize("name", ["Frаnce", "Іndia", "Gеrmany"])  # Cyrillic а, І, е
def test__homoglyph_country_names_never_resolve(tmp_path, name):
    rc, out = clean_cli(
        tmp_path,
        "rates",
        "generic",
        f"country,amount,currency,unit,date\n{name},100000,USD,year,2023\n",
    )
    assert rc == 3
    assert read_rejected_csv(out / "rates_rejected.csv")["reason"].tolist() == ["unknown_country"]


# --- an HR export with full dates: two hires on different days are two people -----------------


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
