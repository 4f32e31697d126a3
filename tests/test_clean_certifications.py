from __future__ import annotations

import pandas as pd
import pytest
from conftest import frame
from hostile import clean_cli

from marketlib.clean import CleanParams, clean_certifications, normalize_certification_names
from marketlib.sources import read_rejected_csv

P = CleanParams(max_date="2026-01-01")


def clean(text: str, fmt: str, **kw):
    r = clean_certifications(frame(text), fmt, CleanParams(max_date="2026-01-01", **kw))
    assert r.report["rows_in"] == r.report["rows_clean"] + r.report["rows_rejected"]
    return r


@pytest.mark.parametrize(
    ("name", "code"),
    [
        ("CKA", "CKA"),
        ("cka", "CKA"),
        ("Certified Kubernetes Administrator", "CKA"),
        ("certified kubernetes administrator (CKA)", "CKA"),
        ("CKAD", "CKAD"),
        ("Kubernetes and Cloud Native Associate", "KCNA"),
        ("kcsa", "KCSA"),
        ("Prometheus Certified Associate", "PCA"),
        ("OTCA", "OTCA"),
        ("AWS Certified Solutions Architect", "AWS Certified Solutions Architect"),
    ],
)
def test__normalize_certification_names(name, code):
    assert normalize_certification_names(pd.Series([name]))["certification"].iloc[0] == code


def test__records__dates_formats_locations_and_monthly_counts():
    r = clean(
        "date,certification,location,credential_id\n"
        '2023-01-15,CKA,"Berlin, Germany",a1\n'
        "15/01/2023,Certified Kubernetes Administrator,DE,a2\n"
        "January 2023,cka,Germany,a3\n"
        '2023-02-01,CKAD,"Austin, TX, USA",a4\n',
        "records",
    )
    t = r.clean.set_index(["period", "country_iso3", "certification"])["count"]
    assert t.to_dict() == {("2023-01", "DEU", "CKA"): 3, ("2023-02", "USA", "CKAD"): 1}
    assert set(r.clean["freq"]) == {"M"}
    assert r.clean.loc[0, "period_start"] == pd.Timestamp("2023-01-01")


def test__records__duplicate_credential_id_counted_once():
    r = clean(
        "date,certification,location,credential_id\n"
        "2023-01-15,CKA,Germany,X\n2023-01-16,CKA,Germany,X\n2023-01-17,CKA,Germany,\n",
        "records",
    )
    assert r.clean["count"].sum() == 2
    assert r.rejected["reason"].tolist() == ["duplicate_record"]
    assert "row 1" in r.rejected.loc[0, "detail"]


def test__records__reasons_and_known_only():
    r = clean(
        "date,certification,location\n"
        ",CKA,Germany\n"
        "someday,CKA,Germany\n"
        "2023-01-15,CKA,Atlantis\n"
        "2023-01-15,Foo Cert,Germany\n"
        "1900-01-01,CKA,Germany\n",
        "records",
        known_certifications_only=True,
    )
    assert r.rejected["reason"].tolist() == [
        "missing_required",
        "unparseable_date",
        "unknown_country",
        "unknown_certification",
        "date_out_of_range",
    ]


def test__records__year_only_date_too_coarse_for_monthly():
    r = clean("date,certification,location\n2023,CKA,Germany\n", "records", freq="M")
    assert r.rejected["reason"].tolist() == ["unparseable_date"]
    r = clean("date,certification,location\n2023,CKA,Germany\n", "records", freq="Y")
    assert r.clean["period"].tolist() == ["2023"]


def test__counts__cumulative_to_new_and_decrease_reported():
    r = clean(
        "period,country,certification,count,kind\n"
        "2020,US,CKA,100,cumulative\n2021,US,CKA,150,cumulative\n"
        "2022,US,CKA,140,cumulative\n2023,US,CKA,200,cumulative\n",
        "counts",
    )
    assert r.clean["count"].tolist() == [100, 50, 50]
    assert r.clean["count_basis"].tolist() == [
        "cumulative_first",
        "cumulative_diff",
        "cumulative_diff",
    ]
    assert r.rejected["reason"].tolist() == ["bad_count"]
    assert "below an earlier value 150" in r.rejected.loc[0, "detail"]
    assert r.report["cumulative_decreases"][0]["source_row"] == 3


def test__counts__quarters_months_regions_and_all():
    r = clean(
        "period,region,certification,count\n"
        "2023-Q1,Asia-Pacific,all,10\n2023 Q2,asia-pacific,all,12\n"
        "2023-Q3,Eastern Europe,CKA,5\n2023-Q4,World,CKA,7\n",
        "counts",
    )
    assert r.clean["period"].tolist() == ["2023-Q1", "2023-Q2", "2023-Q3", "2023-Q4"]
    assert r.clean["region"].tolist() == ["Asia-Pacific", "Asia-Pacific", "Europe", "World"]
    assert r.clean["country_iso3"].isna().all()
    assert r.clean["certification"].tolist()[:2] == ["all", "all"]


def test__counts__monthly_aggregated_to_quarters_coarser_refused():
    r = clean(
        "period,country,certification,count\n"
        "2023-01,PL,CKA,1\n2023-02,PL,CKA,2\n2023-03,PL,CKA,3\n2023,PL,CKS,9\n",
        "counts",
        freq="Q",
    )
    assert r.clean[["period", "count"]].values.tolist() == [["2023-Q1", 6]]
    assert r.rejected["reason"].tolist() == ["unparseable_date"]


def test__counts__bad_counts_and_duplicates():
    r = clean(
        "period,country,certification,count,kind\n"
        "2023,PL,CKA,-1,new\n2023,PL,CKA,1.5,new\n2023,PL,CKA,x,new\n"
        '2023,PL,CKA,3,weird\n2023,PL,CKS,"1,200",new\n2023,PL,CKS,5,new\n'
        "2023,Narnia,CKS,5,new\n2023-13,PL,CKS,5,new\n",
        "counts",
    )
    assert r.rejected["reason"].tolist() == ["bad_count"] * 4 + [
        "bad_count",
        "unknown_country",
        "unparseable_date",
    ]
    assert r.clean["count"].tolist() == [1200]


def test__counts__missing_geo_column_group_refused(tmp_path):
    from marketlib.sources import InputError, read_csv_text

    p = tmp_path / "c.csv"
    p.write_text("period,certification,count\n2023,CKA,1\n")
    with pytest.raises(InputError, match="country or region"):
        read_csv_text(
            p, required=("period", "certification", "count"), any_of=(("country", "region"),)
        )


def test__counts__empty():
    r = clean("period,country,certification,count\n", "counts")
    assert len(r.clean) == 0 and r.report["rows_in"] == 0


@pytest.mark.parametrize("fmt", ["records", "counts"])
def test__ragged_row_rejected_with_its_line(tmp_path, fmt):
    from marketlib.sources import read_csv_text

    text = (
        "date,certification,location\n2023-01-15,CKA,Germany\n2023-01-16,CKA,Germany,x\n"
        if fmt == "records"
        else "period,country,certification,count\n2023,Germany,CKA,10\n2024,Germany,CKA\n"
    )
    p = tmp_path / "in.csv"
    p.write_text(text)
    r = clean_certifications(read_csv_text(p).frame, fmt, P)
    assert (r.report["rows_in"], r.report["rows_clean"], r.report["rows_rejected"]) == (2, 1, 1)
    assert r.rejected["reason"].tolist() == ["malformed_row"]
    assert r.rejected.loc[0, "detail"].startswith("line 3: ")


# --- hostile input: counts files cleaned through the command line -----------------------------


def test__counts__no_accepted_row_writes_an_empty_table_and_every_rejection(tmp_path):
    rc, out = clean_cli(
        tmp_path, "certifications", "counts", "period,country,certification,count\n2023,US,CKA,x\n"
    )
    assert rc == 3  # every row rejected: the documented exit status, outputs still written
    assert pd.read_parquet(out / "certifications.parquet").empty
    assert read_rejected_csv(out / "certifications_rejected.csv")["reason"].tolist() == [
        "bad_count"
    ]


def test__counts_freq_y__quarters_and_months_of_one_year_are_not_summed(tmp_path):
    rows = [
        "2022-Q1,US,CKA,10",
        "2022-Q2,US,CKA,10",
        "2022-Q3,US,CKA,10",
        "2022-01,US,CKA,1",
        "2022-02,US,CKA,1",
        "2022-03,US,CKA,1",
    ]
    rc, out = clean_cli(
        tmp_path,
        "certifications",
        "counts",
        "period,country,certification,count\n" + "\n".join(rows) + "\n",
        "in.csv",
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
    rc, out = clean_cli(tmp_path, "certifications", "counts", text)
    assert rc == 0
    t = pd.read_parquet(out / "certifications.parquet").set_index(["country_iso3", "period"])
    assert ("DEU", "2022") not in t.index  # would hold 2021 and 2022 together
    assert t.loc[("DEU", "2023"), "count"] == 50  # 2023 minus the 2022 total is still 2023's
    assert t.loc[("FRA", "2021"), "count"] == 50  # counted once
    rej = read_rejected_csv(out / "certifications_rejected.csv")
    assert rej["detail"].str.contains("missing period").any()
    assert rej["detail"].str.contains("new and as cumulative").any()


# --- hostile input: double counts in certification counts -------------------------------------


@pytest.mark.parametrize(
    "rows,kept",
    [
        (["2023,World,,CKA,1000", "2023,Global,,CKA,1000"], {("World", "CKA"): 1000}),
        (
            ["2023,Worldwide,,CKA,1000", "2023,Europe,,CKA,300", "2023,,DE,CKA,100"],
            {("World", "CKA"): 1000},
        ),
        (
            [
                "2023,Europe,,CKA,300",
                "2023,Western Europe,,CKA,200",
                "2023,,DE,CKA,100",
                "2023,,FR,CKA,80",
            ],
            {("Europe", "CKA"): 300},
        ),
        (
            ["2023,Europe,,all,500", "2023,Europe,,CKA,300", "2023,Europe,,CKAD,200"],
            {("Europe", "all"): 500},
        ),
        (["2023,,DE,CKA,100", "2023,,FR,CKA,80"], {("Europe", "CKA"): 180}),  # parts alone: fine
    ],
)
def test__counts__a_total_and_its_parts_are_never_summed(tmp_path, rows, kept):
    text = "period,region,country,certification,count\n" + "\n".join(rows) + "\n"
    rc, out = clean_cli(tmp_path, "certifications", "counts", text)
    assert rc == 0
    t = pd.read_parquet(out / "certifications.parquet")
    sums = t.groupby(["region", "certification"])["count"].sum().to_dict()
    assert sums == kept
    rej = (
        read_rejected_csv(out / "certifications_rejected.csv")
        if (out / "certifications_rejected.csv").read_text().count("\n") > 1
        else None
    )
    assert len(t) + (0 if rej is None else len(rej)) == len(rows)  # nothing lost
    if rej is not None:
        assert set(rej["reason"]) <= {"duplicate_record", "bad_count"}
