"""Activity cleaning (GitHub Innovation Graph): every cleaning trap of SOURCE.md, the row
invariant, the rejection rules, the CLI, fetching, and the reference figures on the mirror."""

from __future__ import annotations

import json

import pandas as pd
import pytest
from conftest import frame
from hostile import clean_cli

from marketlib import regions, sources
from marketlib.clean import CLEANERS, CleanParams, clean_activity, clean_file
from marketlib.clean.activity import COLUMNS, FLAGS, stack_activity
from marketlib.cli import main
from marketlib.fields import fields
from marketlib.sources import MALFORMED, InputError, read_csv_text, read_rejected_csv

FILES = ("topics", "developers", "git_pushes", "repositories", "organizations")
P = CleanParams(max_date="2025-11-30")


def topics(text: str) -> pd.DataFrame:
    return frame("num_pushers,topic,iso2_code,year,quarter\n" + text)


def devs(text: str) -> pd.DataFrame:
    return frame("developers,iso2_code,year,quarter\n" + text)


def reasons(result) -> dict[int, str]:
    return dict(zip(result.rejected["source_row"], result.rejected["reason"], strict=True))


# --- SOURCE.md traps ---------------------------------------------------------------------------


def test__eu_aggregate_rejected_never_in_a_region():
    raw = topics(
        "500,kubernetes,US,2023,1\n900,kubernetes,EU,2023,1\n300,kubernetes,DE,2023,1\n"
        "200,kubernetes,eu,2023,2\n"
    )
    r = clean_activity(raw, params=P, source_file="topics.csv")
    r.check_invariant()
    assert reasons(r) == {2: "aggregate_economy", 4: "aggregate_economy"}
    detail = r.rejected["detail"].iloc[0]
    assert "aggregate" in detail and "double count" in detail and "EU-27" in detail
    assert r.rejected["iso2_code"].tolist() == ["EU", "eu"]  # kept verbatim
    assert r.report["aggregate_economies_rejected"] == {"EU": 2}
    assert set(r.clean["country_iso3"]) == {"USA", "DEU"}
    europe = r.clean.loc[r.clean["region"] == "Europe", "count"].sum()
    assert europe == 300  # DE only: the EU aggregate is never added to a region
    assert r.clean["region"].notna().all()


def test__other_aggregate_codes_from_the_data_file_are_rejected():
    r = clean_activity(devs("1000,EZ,2023,1\n1000,UN,2023,1\n1000,FR,2023,1\n"), params=P)
    assert reasons(r) == {1: "aggregate_economy", 2: "aggregate_economy"}


def test__junk_topics_flagged_not_dropped():
    raw = topics(
        "150,config,NG,2023,1\n140,github-config,NG,2023,1\n120,Config,KE,2023,1\n"
        "500,kubernetes,NG,2023,1\n"
    )
    r = clean_activity(raw, params=P)
    assert r.report["rows_clean"] == 4
    assert r.clean["is_junk_topic"].tolist() == [True, True, True, False]
    assert r.report["flags"]["is_junk_topic"] == 3
    d = clean_activity(devs("1000,NG,2023,1\n"), params=P).clean
    assert not d["is_junk_topic"].any() and d["subject"].isna().all()


def test__china_and_hong_kong_flagged_as_location_artefact():
    r = clean_activity(
        devs("1000,CN,2023,1\n2000,HK,2023,1\n3000,TW,2023,1\n4000,JP,2023,1\n"), params=P
    )
    flags = dict(zip(r.clean["country_iso3"], r.clean["is_location_artefact"], strict=True))
    assert flags == {"CHN": True, "HKG": True, "TWN": False, "JPN": False}
    assert r.report["flags"]["is_location_artefact"] == 2


def test__missing_quarter_is_not_zero_no_rows_invented():
    raw = topics("500,kubernetes,US,2023,1\n520,kubernetes,US,2023,3\n510,kubernetes,US,2023,4\n")
    c = clean_activity(raw, params=P).clean
    assert c["period"].tolist() == ["2023Q1", "2023Q3", "2023Q4"]  # no 2023Q2 row
    assert (c["count"] > 0).all() and len(c) == 3


def test__partial_year_kept_as_quarters_and_flagged():
    text = "".join(f"{1000 + q},US,2024,{q}\n" for q in (1, 2, 3, 4))
    text += "".join(f"{2000 + q},US,2025,{q}\n" for q in (1, 2, 3))
    c = clean_activity(devs(text), params=P).clean
    assert c["period"].tolist() == [
        "2024Q1",
        "2024Q2",
        "2024Q3",
        "2024Q4",
        "2025Q1",
        "2025Q2",
        "2025Q3",
    ]
    assert c["is_partial_year"].tolist() == [False] * 4 + [True] * 3
    assert c["count"].tolist()[-3:] == [2001, 2002, 2003]


def test__count_below_publication_floor_flagged():
    r = clean_activity(topics("100,kubernetes,US,2023,1\n101,kubernetes,US,2023,2\n"), params=P)
    assert r.clean["is_below_floor"].tolist() == [True, False]


# --- table shape, measures, several files in one call ------------------------------------------


def test__columns_period_label_and_types():
    c = clean_activity(topics("1234,llm,US,2024,3\n"), params=P, source_file="topics.csv").clean
    assert list(c.columns) == list(COLUMNS)
    row = c.iloc[0]
    assert row["period"] == "2024Q3"  # SPEC's activity label (certifications use 2024-Q3)
    assert row["period_start"] == pd.Timestamp("2024-07-01") and row["freq"] == "Q"
    assert (row["country_iso3"], row["region"], row["subregion"]) == (
        "USA",
        "North America",
        "North America",
    )
    assert (row["measure"], row["subject"], row["count"]) == ("topic_pushers", "llm", 1234)
    assert (row["source_file"], row["source_row"]) == ("topics.csv", 1)
    assert c["count"].dtype == "int64"
    assert all(c[f].dtype == bool for f in FLAGS)


def test__several_files_in_one_call_measure_from_first_column():
    pairs = [
        (topics("500,kubernetes,US,2023,1\n600,docker,US,2023,1\n"), "topics.csv"),
        (devs("9000,US,2023,1\n"), "developers.csv"),
        (
            frame("git_pushes,iso2_code,year,quarter\n7000,EU,2023,1\n8000,DE,2023,1\n"),
            "git_pushes.csv",
        ),
    ]
    r = clean_activity(pairs, params=P)
    r.check_invariant()
    c = r.clean
    assert c["measure"].tolist() == ["topic_pushers", "topic_pushers", "developers", "git_pushes"]
    assert c["subject"].tolist()[:2] == ["kubernetes", "docker"]
    assert c["subject"].iloc[2:].isna().all()
    assert c["source_row"].tolist() == [1, 2, 1, 2]  # row numbers within each file
    assert c["source_file"].tolist() == ["topics.csv"] * 2 + ["developers.csv", "git_pushes.csv"]
    assert r.rejected[["source_file", "source_row", "measure_column", "value"]].values.tolist() == [
        ["git_pushes.csv", 1, "git_pushes", "7000"]
    ]
    assert r.report["measures"] == {"developers": 1, "git_pushes": 1, "topic_pushers": 2}
    assert r.report["economies"] == {"developers": 1, "git_pushes": 1, "topic_pushers": 1}
    # the stacked frame gives the same result
    stacked, names = stack_activity(pairs)
    again = clean_activity(stacked, params=P, source_file=names)
    pd.testing.assert_frame_equal(again.clean, c)


def test__unknown_first_column_or_missing_topic_is_an_input_error():
    with pytest.raises(InputError, match="stars.csv: first column 'stars'"):
        stack_activity([(frame("stars,iso2_code,year,quarter\n1,US,2023,1\n"), "stars.csv")])
    with pytest.raises(InputError, match="needs a topic column"):
        clean_activity(
            frame("num_pushers,iso2_code,year,quarter\n1,US,2023,1\n"), source_file="t.csv"
        )
    with pytest.raises(ValueError, match="unknown activity format"):
        clean_activity(devs("1,US,2023,1\n"), "counts")


# --- rejection rules ---------------------------------------------------------------------------


def test__missing_values_unknown_country_dates_and_counts():
    raw = topics(
        ",kubernetes,US,2023,1\n"  # 1 missing count
        "500,,US,2023,1\n"  # 2 missing topic
        "500,kubernetes,,2023,1\n"  # 3 missing code
        "500,kubernetes,US,2023,\n"  # 4 missing quarter
        "500,kubernetes,ZZ,2023,1\n"  # 5 unknown code
        "500,kubernetes,USA,2023,1\n"  # 6 not an alpha-2 code
        "500,kubernetes,US,2023,5\n"  # 7 quarter 5
        "500,kubernetes,US,20x3,1\n"  # 8 year not parseable
        "500,kubernetes,US,1985,1\n"  # 9 before min_date
        "500,kubernetes,US,2026,1\n"  # 10 starts after max_date
        "-5,kubernetes,US,2023,2\n"  # 11 negative
        "1.5,kubernetes,US,2023,3\n"  # 12 not an integer
        "many,kubernetes,US,2023,4\n"  # 13 text
        '"1,234",kubernetes,US,2024,1\n'  # 14 thousands separator: fine
        "500,kubernetes,US,2025,4\n"  # 15 2025Q4 starts before max_date 2025-11-30: kept
    )
    r = clean_activity(raw, params=P, source_file="t.csv")
    r.check_invariant()
    assert reasons(r) == {
        1: "missing_required",
        2: "missing_required",
        3: "missing_required",
        4: "missing_required",
        5: "unknown_country",
        6: "unknown_country",
        7: "unparseable_date",
        8: "unparseable_date",
        9: "date_out_of_range",
        10: "date_out_of_range",
        11: "bad_count",
        12: "bad_count",
        13: "bad_count",
    }
    detail = dict(zip(r.rejected["source_row"], r.rejected["detail"], strict=True))
    assert detail[1] == "required value missing: num_pushers (the count)"
    assert detail[2] == "required value missing: topic"
    assert "'ZZ'" in detail[5] and "'5'" in detail[7]
    assert "1985Q1 outside 1990-01-01..2025-11-30" in detail[9]
    assert detail[13] == "num_pushers 'many' is not a non-negative integer count"
    assert r.clean["count"].tolist() == [1234, 500]
    assert r.report["rows_in"] == 15 and r.report["rows_clean"] == 2


def test__duplicate_cell_rejected_naming_the_first_row():
    pairs = [
        (
            topics(
                "500,kubernetes,US,2023,1\n500,docker,US,2023,1\n"
                "510,kubernetes,US,2023,1\n500,kubernetes,us,2023,1\n"
            ),
            "a.csv",
        ),
        (devs("9000,US,2023,1\n"), "b.csv"),
        (devs("9100,US,2023,1\n"), "c.csv"),
    ]
    r = clean_activity(pairs, params=P)
    r.check_invariant()
    rej = r.rejected.set_index(["source_file", "source_row"])
    assert rej["reason"].to_dict() == {
        ("a.csv", 3): "bad_count",
        ("a.csv", 4): "bad_count",
        ("c.csv", 1): "bad_count",
    }
    assert "as a.csv row 1" in rej.loc[("a.csv", 3), "detail"]
    assert "as b.csv row 1" in rej.loc[("c.csv", 1), "detail"]
    one = clean_activity(topics("500,kubernetes,US,2023,1\n510,kubernetes,US,2023,1\n"), params=P)
    assert "as row 1 " in one.rejected["detail"].iloc[0]


def test__malformed_rows_rejected():
    raw = devs("1000,US,2023,1\n2000,US,2023,2\n")
    raw[MALFORMED] = ["", "line 3: 5 field(s) where the header has 4: 2000,US,2023,2,x"]
    r = clean_activity(raw, params=P)
    assert reasons(r) == {2: "malformed_row"}
    assert MALFORMED not in r.clean.columns and MALFORMED not in r.rejected.columns


def test__each_distinct_code_looked_up_once(monkeypatch):
    calls: list[str] = []
    real = regions._resolve_one
    monkeypatch.setattr(regions, "_resolve_one", lambda t: calls.append(t) or real(t))
    text = "".join(
        f"{100 + i},{c},2023,{q}\n"
        for i, c in enumerate(["US", "DE", "JP"] * 3)
        for q in (1, 2, 3, 4)
    )
    clean_activity(devs(text), params=P)
    assert sorted(calls) == ["DE", "JP", "US"]


def test__clean_file_and_cleaners_registry(tmp_path):
    p = tmp_path / "developers.csv"
    p.write_text("developers,iso2_code,year,quarter\n1000,US,2023,1\n1000,EU,2023,1\n")
    assert CLEANERS["activity"] is clean_activity
    result, prov = clean_file(p, "innovationgraph", P)
    assert result.report["rows_clean"] == 1 and prov["path"] == "developers.csv"


# --- command line ------------------------------------------------------------------------------


def test__cli_clean_activity_writes_three_files_and_refuses_unknown_measure(tmp_path, capsys):
    t = tmp_path / "topics.csv"
    t.write_text(
        "num_pushers,topic,iso2_code,year,quarter\n500,kubernetes,US,2023,1\n"
        "900,kubernetes,EU,2023,1\n"
    )
    d = tmp_path / "developers.csv"
    d.write_text("developers,iso2_code,year,quarter\n9000,US,2023,1\n")
    out = tmp_path / "out"
    assert (
        main(
            [
                "clean",
                "activity",
                str(t),
                str(d),
                "--format",
                "innovationgraph",
                "--out",
                str(out),
                "--max-date",
                "2025-11-30",
            ]
        )
        == 0
    )
    for name in ("activity.parquet", "activity_rejected.csv", "activity_clean_report.json"):
        assert (out / name).is_file()
    table = pd.read_parquet(out / "activity.parquet")
    assert table["measure"].tolist() == ["topic_pushers", "developers"]
    report = json.loads((out / "activity_clean_report.json").read_text())
    assert report["reasons"] == {"aggregate_economy": 1}
    assert set(report["inputs"]) == {str(t), str(d)}

    bad = tmp_path / "stars.csv"
    bad.write_text("stars,iso2_code,year,quarter\n5,US,2023,1\n")
    out2 = tmp_path / "out2"
    capsys.readouterr()
    assert (
        main(
            [
                "clean",
                "activity",
                str(t),
                str(bad),
                "--format",
                "innovationgraph",
                "--out",
                str(out2),
            ]
        )
        == 2
    )
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and str(bad) in err and "first column" in err
    assert not out2.exists() or not any(out2.iterdir())


# --- real data ---------------------------------------------------------------------------------


@pytest.mark.realdata
def test__fetch_innovationgraph_from_mirror_and_locate(tmp_path, monkeypatch, shared_data):
    monkeypatch.setenv("MARKETLIB_MIRROR", str(shared_data))
    assert main(["fetch", "innovationgraph", "--dest", str(tmp_path)]) == 0
    for f in FILES:
        got = tmp_path / "innovationgraph" / f"{f}.csv"
        assert sources.sha256_file(got) == sources.DATASETS[f"innovationgraph/{f}"].sha256
        assert sources.locate(f"innovationgraph/{f}", tmp_path) == got
    assert set(sources.dataset_names("innovationgraph")) <= set(sources.dataset_names("all"))


@pytest.fixture(scope="module")
def real_activity(shared_data):
    tables = [read_csv_text(shared_data / "innovationgraph" / f"{f}.csv") for f in FILES]
    result = clean_activity([(t.frame, t.path.name) for t in tables], params=P)
    return tables, result


@pytest.mark.realdata
def test__real_files_eu_rejected_and_rows_add_up(real_activity):
    tables, r = real_activity
    r.check_invariant()
    rows_in = sum(len(t.frame) for t in tables)
    eu_rows = sum(int((t.frame["iso2_code"] == "EU").sum()) for t in tables)
    assert r.report["rows_in"] == rows_in == r.report["rows_clean"] + r.report["rows_rejected"]
    assert eu_rows > 0
    assert r.report["reasons"] == {"aggregate_economy": eu_rows}
    assert (r.rejected["iso2_code"] == "EU").all()
    assert r.clean["country_iso3"].notna().all()
    # Antarctica (AQ) is published for repositories and has no region: kept, region null
    assert set(r.clean.loc[r.clean["region"].isna(), "country_iso3"]) == {"ATA"}
    assert r.report["without_region"] == {"ATA": 10}
    assert r.report["periods"]["first"] == "2020Q1" and r.report["periods"]["last"] == "2025Q3"
    assert r.report["subjects"] == 1576
    assert r.report["flags"]["is_junk_topic"] > 0 and r.report["flags"]["is_below_floor"] == 0


@pytest.mark.realdata
def test__real_files_reproduce_source_reference_figures(real_activity):
    _, r = real_activity
    c = r.clean
    k = c[(c["measure"] == "topic_pushers") & (c["subject"] == "kubernetes")]
    by = k.groupby(["region", k["period"].str[:4]])["count"].sum()
    assert by[("North America", "2023")] == 10_813  # US + CA, four quarters
    assert by[("Europe", "2022")] == 9_846
    assert by[("Asia-Pacific", "2024")] == 5_462
    na23 = k[(k["region"] == "North America") & k["period"].str.startswith("2023")]
    assert set(na23["country_iso3"]) == {"USA", "CAN"} and len(na23) == 8
    dev = c[(c["measure"] == "developers") & (c["period"] == "2024Q4")]
    assert dev.groupby("region")["count"].sum()["North America"] / 1e6 == pytest.approx(
        27.83, abs=0.005
    )


def test__header_only_all_rejected_and_extra_columns():
    empty = clean_activity(devs(""), params=P)
    empty.check_invariant()
    assert list(empty.clean.columns) == list(COLUMNS) and empty.report["rows_in"] == 0
    assert empty.report["periods"]["first"] is None
    only_eu = clean_activity(devs("5000,EU,2023,1\n"), params=P)
    assert only_eu.report["rows_clean"] == 0 and only_eu.clean["count"].dtype == "int64"
    extra = clean_activity(
        frame("developers,iso2_code,year,quarter,note\n500,US,2023,1,hi\n"), params=P
    ).clean
    assert extra["note"].tolist() == ["hi"]  # extra columns kept, not used


# --- hostile input: extra input columns -------------------------------------------------------


ACTIVITY_OWN = sorted(fields("activity")["name"])


@pytest.mark.parametrize(
    "column", [*ACTIVITY_OWN, "value", "measure_column", "reason", "detail", "input_region"]
)
def test__activity__extra_columns_with_every_computed_name_kept_aside(tmp_path, column):
    text = (
        f"num_pushers,iso2_code,year,quarter,topic,{column}\n"
        f"500,DE,2023,1,kubernetes,mine-1\nx,FR,2023,1,kubernetes,mine-2\n"
    )
    rc, out = clean_cli(tmp_path, "activity", "innovationgraph", text, "topics.csv")
    assert rc == 0
    table = pd.read_parquet(out / "activity.parquet")
    assert table["country_iso3"].tolist() == ["DEU"] and table["region"].tolist() == ["Europe"]
    assert table["count"].tolist() == [500]
    kept = [
        c
        for c in table.columns
        if c.endswith(column)
        and c not in ACTIVITY_OWN
        or c == column
        and column not in ACTIVITY_OWN
    ]
    assert any(table[c].tolist() == ["mine-1"] for c in kept), table.columns.tolist()
    rej = read_rejected_csv(out / "activity_rejected.csv")
    assert rej["reason"].tolist() == ["bad_count"]


def test__topic_case_variants_are_one_topic_homoglyphs_none(tmp_path):
    text = (
        "num_pushers,iso2_code,year,quarter,topic\n500,DE,2023,1,Kubernetes\n"
        "400,FR,2023,1,kubernetes\n300,IT,2023,1,kubеrnetes\n"
    )  # Cyrillic е last
    rc, out = clean_cli(tmp_path, "activity", "innovationgraph", text, "topics.csv")
    assert rc == 0
    t = pd.read_parquet(out / "activity.parquet")
    assert set(t["subject"]) == {"kubernetes"} and len(t) == 2
    assert len(read_rejected_csv(out / "activity_rejected.csv")) == 1
