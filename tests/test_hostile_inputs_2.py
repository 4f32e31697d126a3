"""Hostile inputs found by a probe: each class fixed at its root, one test per class."""

from __future__ import annotations

import pandas as pd
import pytest
import yaml

from marketlib.cli import main
from marketlib.params import ParamsError, ReportParams, load_report_params
from marketlib.sources import InputError, read_csv_text, read_rejected_csv

AIJOBS = (
    "work_year,experience_level,employment_type,job_title,salary,salary_currency,"
    "salary_in_usd,employee_residence,remote_ratio,company_location,company_size\n"
)


def _clean(tmp_path, what, fmt, text, *extra):
    src = tmp_path / "in.csv"
    src.write_text(text)
    out = tmp_path / "out"
    if what == "rates" and "--max-rejected-share" not in extra:  # the share's own tests:
        extra = (*extra, "--max-rejected-share", "1")  # test_specialists.py
    rc = main(["clean", what, str(src), "--format", fmt, "--out", str(out), *extra])
    return rc, out


@pytest.mark.parametrize("ratio", ["", "50%", "0.5", "abc", "1e2"])
def test__aijobs__a_bad_remote_ratio_cell_never_sinks_the_file(tmp_path, ratio):
    row = "2023,SE,FT,ML Engineer,100000,USD,100000,US,{},US,M\n"
    rc, out = _clean(tmp_path, "rates", "aijobs", AIJOBS + row.format(0) + row.format(ratio))
    assert rc == 0
    table = pd.read_parquet(out / "rates.parquet")
    assert len(table) == 2 and table["remote_ratio"].iloc[0] == 0


def test__counts__no_accepted_row_writes_an_empty_table_and_every_rejection(tmp_path):
    rc, out = _clean(
        tmp_path, "certifications", "counts", "period,country,certification,count\n2023,US,CKA,x\n"
    )
    assert rc == 3  # every row rejected: the documented exit status, outputs still written
    assert pd.read_parquet(out / "certifications.parquet").empty
    assert read_rejected_csv(out / "certifications_rejected.csv")["reason"].tolist() == [
        "bad_count"
    ]


@pytest.mark.parametrize(
    "column",
    ["source_row", "source_file", "reason", "detail", "_malformed_row", "region", "is_outlier"],
)
def test__extra_input_columns_never_collide_with_marketlib_columns(tmp_path, column):
    text = (
        f"country,amount,currency,unit,date,{column}\n"
        "US,100000,USD,year,2023,mine-1\nUS,x,USD,year,2023,mine-2\n"
    )
    rc, out = _clean(tmp_path, "rates", "generic", text)
    assert rc == 0
    rejected = read_rejected_csv(out / "rates_rejected.csv")
    kept = f"input_{column}"
    ours = {"source_row", "source_file", "reason", "detail", "_malformed_row"}
    verbatim = kept if column in ours else column  # renamed only where the file has ours
    assert rejected[verbatim].tolist() == ["mine-2"]  # the user's value, never overwritten
    assert rejected["reason"].tolist() == ["unparseable_amount"]
    table = pd.read_parquet(out / "rates.parquet")
    assert table[kept].tolist() == ["mine-1"] and len(table) == 1


def test__counts_freq_y__quarters_and_months_of_one_year_are_not_summed(tmp_path):
    rows = [
        "2022-Q1,US,CKA,10",
        "2022-Q2,US,CKA,10",
        "2022-Q3,US,CKA,10",
        "2022-01,US,CKA,1",
        "2022-02,US,CKA,1",
        "2022-03,US,CKA,1",
    ]
    rc, out = _clean(
        tmp_path,
        "certifications",
        "counts",
        "period,country,certification,count\n" + "\n".join(rows) + "\n",
        "--freq",
        "Y",
    )
    assert rc == 3  # every row rejected
    assert pd.read_parquet(out / "certifications.parquet").empty  # no partial 2022 "year"
    rej = read_rejected_csv(out / "certifications_rejected.csv")
    assert (rej["reason"] == "bad_count").all() and len(rej) == 6


def test__counts__cumulative_gap_and_new_plus_cumulative_are_rejected(tmp_path):
    text = (
        "period,country,certification,count,kind\n2020,DE,CKA,100,cumulative\n"
        "2022,DE,CKA,300,cumulative\n2023,DE,CKA,350,cumulative\n"
        "2021,FR,CKA,50,new\n2021,FR,CKA,60,cumulative\n"
    )
    rc, out = _clean(tmp_path, "certifications", "counts", text)
    assert rc == 0
    t = pd.read_parquet(out / "certifications.parquet").set_index(["country_iso3", "period"])
    assert ("DEU", "2022") not in t.index  # would hold 2021 and 2022 together
    assert t.loc[("DEU", "2023"), "count"] == 50  # 2023 minus the 2022 total is still 2023's
    assert t.loc[("FRA", "2021"), "count"] == 50  # counted once
    rej = read_rejected_csv(out / "certifications_rejected.csv")
    assert rej["detail"].str.contains("missing period").any()
    assert rej["detail"].str.contains("new and as cumulative").any()


def test__reader__every_column_is_text_whatever_the_header_holds(tmp_path):
    long_name = "x" * 70_000
    p = tmp_path / "big.csv"
    p.write_text(f"amount,country,currency,unit,date,{long_name}\n12.50,NA,USD,hour,2023,v\n")
    frame = read_csv_text(p).frame
    assert frame["amount"].tolist() == ["12.50"] and frame["country"].tolist() == ["NA"]
    double_bom = tmp_path / "bom.csv"
    double_bom.write_bytes(b"\xef\xbb\xbf\xef\xbb\xbfcountry,amount\nNA,12.50\n")
    with pytest.raises(InputError, match="required column"):
        read_csv_text(double_bom, required=["country"])


@pytest.mark.parametrize(
    ("section", "problem"),
    [
        ({"as_of": 0}, "as_of must be a date"),
        ({"seed": True}, "seed: Input should be a valid integer"),
        ({"seed": "123"}, "seed: Input should be a valid integer"),
        ({"arbitrage": {"ppp": "yes"}}, "arbitrage.ppp"),
        ({"arbitrage": {"n_boot": "2000"}}, "arbitrage.n_boot"),
        ({"arbitrage": {"hours_per_year": "2080"}}, "arbitrage.hours_per_year"),
        ({"growth": {"start": "2024", "end": "2020"}}, r"end \(2020\) is before start \(2024\)"),
        ({"clean": {"scheme": "nosuch"}}, "clean.scheme"),
    ],
)
def test__params__no_silent_coercion(section, problem):
    with pytest.raises(ParamsError, match=problem):
        ReportParams.build(section)


def test__params__a_key_given_twice_is_refused(tmp_path):
    p = tmp_path / "p.yaml"
    p.write_text("seed: 1\nseed: 2\n")
    with pytest.raises(InputError, match="given twice"):
        load_report_params(p)
    p.write_text(yaml.safe_dump({"seed": 1}))
    assert load_report_params(p).seed == 1


@pytest.mark.parametrize(
    "args",
    [
        ["clean", "certifications", "x.csv", "--format", "counts", "--freq", "X"],
        ["clean", "rates", "x.csv", "--format", "generic", "--decimal", ";"],
        ["clean", "rates", "x.csv", "--format", "generic", "--hours-per-year", "1"],
        ["clean", "rates", "x.csv", "--format", "generic", "--max-date", "1900-01-01"],
    ],
)
def test__cli__bad_options_exit_2_with_one_line(args, capsys):
    with pytest.raises(SystemExit) as ex:
        rc = main(args)
        raise SystemExit(rc)
    assert ex.value.code == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("marketlib: error:")
