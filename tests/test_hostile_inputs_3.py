"""Hostile input, round 3: one test class per defect class (hypothesis where it is wide)."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from marketlib import publish
from marketlib.changes import find_previous_run, load_previous, show_changes
from marketlib.cli import main
from marketlib.fields import fields
from marketlib.sources import InputError, read_csv_text, read_rejected_csv
from marketlib.sources.yamlfile import read_yaml

MARKUP = [
    "<script>alert(1)</script>",
    '<img src="../../../etc/passwd">',
    "<b onmouseover=x>",
    "&lt;already&gt;",
    "<iframe src=//evil>",
]


def _clean(tmp_path: Path, what: str, fmt: str, text: str, name: str = "in.csv", *extra):
    src = tmp_path / name
    src.write_text(text)
    out = tmp_path / "out"
    if what == "rates" and "--max-rejected-share" not in extra:  # the share's own tests:
        extra = (*extra, "--max-rejected-share", "1")  # test_specialists.py
    rc = main(["clean", what, str(src), "--format", fmt, "--out", str(out), *extra])
    return rc, out


# --- 1. markup and local files in pages ----------------------------------------------------------


@settings(max_examples=40, deadline=None)
@given(text=st.one_of(st.sampled_from(MARKUP), st.text(min_size=1, max_size=40)))
def test__to_html__headers_cells_and_captions_escaped(text):
    html = publish.to_html(pd.DataFrame({text: [text], "n": [1]}), caption=text)
    assert "<script" not in html.lower().replace("&lt;script", "")
    assert "<img" not in html and "<iframe" not in html
    if "<" in text:
        assert "&lt;" in html


def test__show_changes__previous_as_of_and_sentences_escaped():
    changes = {
        "previous": {"as_of": MARKUP[0] + MARKUP[1]},
        "estimates": [],
        "inputs": [],
        "claims_flipped": [],
        "groups_crossing_floor": [],
    }
    body = show_changes(changes).data
    assert "<script>" not in body and "<img" not in body and "&lt;script&gt;" in body


def _page(tmp_path: Path, markdown: str, image: str) -> Path:
    import nbformat

    run = tmp_path / "run"
    (run / "figures").mkdir(parents=True)
    (run / "figures" / "ok.png").write_bytes(b"\x89PNG\r\n\x1a\n" + b"0" * 20)
    outside = tmp_path / "secret.png"
    outside.write_bytes(b"\x89PNG\r\n\x1a\nSECRET")
    nb = nbformat.v4.new_notebook()
    cell = nbformat.v4.new_code_cell("x")
    cell.outputs = [
        nbformat.v4.new_output("display_data", data={"text/markdown": markdown, "text/plain": "x"})
    ]
    md = nbformat.v4.new_markdown_cell(f'![a](../figures/ok.png) <img src="{image}">')
    nb.cells = [md, cell]
    path = run / "notebooks" / "n.ipynb"
    path.parent.mkdir()
    nbformat.write(nb, path)
    return publish.notebook_to_html(path, run / "html" / "n.html")


@pytest.mark.parametrize(
    "image", ["../../secret.png", "/etc/passwd", "../figures/../../secret.png"]
)
def test__pages__markdown_outputs_escaped_only_run_images_inlined_no_script(tmp_path, image):
    page = _page(tmp_path, f"Group {MARKUP[0]} and {MARKUP[1]}", image).read_text()
    assert "<script>alert" not in page and "&lt;script&gt;alert" in page
    assert "U0VDUkVU" not in page  # base64 of SECRET: the outside file is never inlined
    import re

    # no live element loads anything but an inlined image (the markup above is text now)
    assert not re.search(r"<img\b[^>]*\bsrc\s*=\s*[\"'](?!data:)[^\"']+", page)
    assert "secret.png" not in page
    assert (
        "Content-Security-Policy" in page
        and "script-src" not in page.split("Content-Security-Policy")[1][:120]
        and "default-src 'none'" in page
    )


# --- 2. extra input columns ----------------------------------------------------------------------

ACTIVITY_OWN = sorted(fields("activity")["name"])


@pytest.mark.parametrize(
    "column", [*ACTIVITY_OWN, "value", "measure_column", "reason", "detail", "input_region"]
)
def test__activity__extra_columns_with_every_computed_name_kept_aside(tmp_path, column):
    text = (
        f"num_pushers,iso2_code,year,quarter,topic,{column}\n"
        f"500,DE,2023,1,kubernetes,mine-1\nx,FR,2023,1,kubernetes,mine-2\n"
    )
    rc, out = _clean(tmp_path, "activity", "innovationgraph", text, "topics.csv")
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


FORMATS_CASES = {
    "rates": (
        "generic",
        "country,amount,currency,unit,date",
        "US,100000,USD,year,2023",
        "US,x,USD,year,2023",
    ),
    "certifications": (
        "counts",
        "period,country,certification,count",
        "2023,US,CKA,10",
        "2023,US,CKA,x",
    ),
    "activity": (
        "innovationgraph",
        "developers,iso2_code,year,quarter",
        "1000,DE,2023,1",
        "x,DE,2023,1",
    ),
}
PAIRS = [
    ("reason", "input_reason"),
    ("detail", "input_detail"),
    ("region", "input_region"),
    ("source_row", "input_source_row"),
]


@pytest.mark.parametrize(
    "what,pair",
    [
        (w, p)
        for w in FORMATS_CASES
        for p in PAIRS
        if not (w == "certifications" and p[0] == "region")
    ],
)  # a counts file's own column
def test__every_cleaner__x_beside_input_x_both_kept(tmp_path, what, pair):
    fmt, header, good, bad = FORMATS_CASES[what]
    name = "developers.csv" if what == "activity" else "in.csv"
    text = f"{header},{pair[0]},{pair[1]}\n{good},a1,b1\n{bad},a2,b2\n"
    rc, out = _clean(tmp_path, what, fmt, text, name)
    assert rc == 0
    rej = read_rejected_csv(out / f"{what}_rejected.csv")
    assert len(rej) == 1 and rej["reason"].iloc[0] in ("unparseable_amount", "bad_count")
    values = set(rej.iloc[0].astype(str))
    assert {"a2", "b2"} <= values  # the user's two values, neither lost
    table = pd.read_parquet(out / f"{what}.parquet")
    assert {"a1", "b1"} <= set(table.iloc[0].astype(str))


def test__cleaning_its_own_rejected_file_or_outputs_in_out__never_read_back(tmp_path):
    rc, out = _clean(
        tmp_path,
        "rates",
        "generic",
        "country,amount,currency,unit,date\nUS,x,USD,year,2023\nUS,1e5,USD,year,2023\n",
    )
    assert rc == 0
    rej = out / "rates_rejected.csv"
    assert main(["clean", "rates", str(rej), "--format", "generic", "--out", str(out)]) == 2
    again = main(["clean", "rates", str(rej), "--format", "generic", "--out", str(tmp_path / "o2")])
    assert again in (0, 3)  # re-cleaning a rejected file elsewhere: its reason/detail kept aside
    assert {"input_reason", "input_detail"} <= set(
        read_rejected_csv(tmp_path / "o2" / "rates_rejected.csv").columns
    )


# --- 3. quotes -----------------------------------------------------------------------------------


@settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(row=st.integers(0, 49), field=st.integers(0, 4), rows=st.integers(50, 120))
def test__an_unbalanced_quote_never_swallows_rows(tmp_path, row, field, rows):
    lines = ["country,amount,currency,unit,date"]
    for i in range(rows):
        cells = ["US", str(100000 + i), "USD", "year", "2023"]
        if i == row:
            cells[field] = '"' + cells[field]
        lines.append(",".join(cells))
    src = tmp_path / f"q{row}-{field}-{rows}.csv"
    src.write_text("\n".join(lines) + "\n")
    frame = read_csv_text(src).frame
    assert len(frame) == rows  # rows_in never falls below the file's rows


def test__legit_multiline_quoted_field_still_one_row(tmp_path):
    src = tmp_path / "m.csv"
    src.write_text(
        "country,amount,currency,unit,date,role\n"
        'US,1e5,USD,year,2023,"two\nlines, one note"\nUS,2e5,USD,year,2023,x\n'
    )
    frame = read_csv_text(src).frame
    assert len(frame) == 2 and "_malformed_row" not in frame.columns


# --- 6. crashes from values ----------------------------------------------------------------------

AIJOBS = (
    "work_year,experience_level,employment_type,job_title,salary,salary_currency,"
    "salary_in_usd,employee_residence,remote_ratio,company_location,company_size\n"
)


@pytest.mark.parametrize(
    "usd,remote", [("-100000", "50"), ("100000", "-50"), ("0", "150"), ("1e400", "1e400")]
)
def test__aijobs__negative_or_huge_source_values_never_crash_the_writer(tmp_path, usd, remote):
    row = f"2023,SE,FT,ML Engineer,100000,USD,{usd},US,{remote},US,M\n"
    rc, out = _clean(tmp_path, "rates", "aijobs", AIJOBS + row)
    assert rc == 0
    t = pd.read_parquet(out / "rates.parquet")
    assert len(t) == 1 and t["annual_usd"].iloc[0] == 100000
    assert pd.isna(t["source_annual_usd"].iloc[0]) or t["source_annual_usd"].iloc[0] > 0
    assert pd.isna(t["remote_ratio"].iloc[0]) or 0 <= t["remote_ratio"].iloc[0] <= 100


# --- 7. parameter files --------------------------------------------------------------------------


def test__yaml__alias_bomb_deep_nesting_and_size_refused_before_building(tmp_path):
    bomb = tmp_path / "bomb.yaml"
    bomb.write_text(
        "a: &a ["
        + ",".join(["lol"] * 9)
        + "]\n"
        + "".join(
            f"{k}: &{k} [" + ",".join([f"*{p}"] * 9) + "]\n"
            for p, k in zip("abcdefgh", "bcdefghi", strict=True)
        )
    )
    deep = tmp_path / "deep.yaml"
    deep.write_text("a: " + "[" * 5000 + "]" * 5000)
    for f, words in ((bomb, "aliases are expanded"), (deep, "levels deep")):
        with pytest.raises(InputError, match=words):
            read_yaml(f)
        assert main(["report", "--params", str(f)]) == 2


# --- 8. a previous run ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "content",
    [
        "[" * 100000 + "]" * 100000,
        json.dumps(
            {
                "run": {
                    "as_of": "2020-01-01",
                    "params": {},
                    "inputs": {},
                    "started": "x",
                    "marketlib_version": "0",
                },
                "growth": None,
                "arbitrage": {"base": 5},
                "claims": None,
            }
        ),
        json.dumps({"run": {"as_of": "2020-01-01"}}) + "garbage",
        "\xff\xfe",
    ],
)
def test__a_bad_previous_run__named_and_skipped_never_fatal(tmp_path, content):
    bad = tmp_path / "reports" / "2020-01-01"
    bad.mkdir(parents=True)
    (bad / "results.json").write_text(content, encoding="utf-8", errors="surrogateescape")
    with pytest.raises(InputError) as exc:
        load_previous(bad)
    assert str(bad / "results.json") in str(exc.value)
    skipped: list[str] = []
    assert find_previous_run(tmp_path / "reports", "2026-01-01", skipped) is None
    assert len(skipped) == 1 and "2020-01-01" in skipped[0]


# --- 9. provenance keys ---------------------------------------------------------------------------


def test__run_inputs__files_sharing_a_name_get_distinct_keys(tmp_path):
    from marketlib.report import input_key

    paths = []
    for d in ("a", "b", "c"):
        (tmp_path / d).mkdir()
        p = tmp_path / d / "input.csv"
        p.write_text(d)
        paths.append(p)
    keys = {input_key(p, "rates input") for p in paths}
    assert len(keys) == 3


# --- 10. Dask with no clean row -------------------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        "country,amount,currency,unit,date\n",
        "country,amount,currency,unit,date\nUS,x,USD,year,2023\n",
    ],
)
def test__dask__no_clean_row_writes_empty_outputs_as_pandas(tmp_path, text):
    pytest.importorskip("distributed")
    src = tmp_path / "in.csv"
    src.write_text(text)
    rcs = []
    for engine in ("pandas", "dask"):
        rcs.append(
            main(
                [
                    "clean",
                    "rates",
                    str(src),
                    "--format",
                    "generic",
                    "--engine",
                    engine,
                    "--out",
                    str(tmp_path / engine),
                ]
            )
        )
    assert rcs[0] == rcs[1]
    a = json.loads((tmp_path / "pandas" / "rates_clean_report.json").read_text())
    b = json.loads((tmp_path / "dask" / "rates_clean_report.json").read_text())
    for k in ("rows_in", "rows_clean", "rows_rejected", "reasons"):
        assert a[k] == b[k]


# --- 4. double counts in certification counts ----------------------------------------------------


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
    rc, out = _clean(tmp_path, "certifications", "counts", text)
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


# --- low ------------------------------------------------------------------------------------------


def test__usd_rows_after_the_ecb_table_ends_need_no_rate(tmp_path):
    from marketlib.money import ecb_coverage

    last = ecb_coverage()[1]
    day = (last + pd.Timedelta(days=5)).date().isoformat()
    rc, out = _clean(
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
    rc, out = _clean(
        tmp_path,
        "rates",
        "generic",
        f"country,amount,currency,unit,date\n{name},100000,USD,year,2023\n",
    )
    assert rc == 3
    assert read_rejected_csv(out / "rates_rejected.csv")["reason"].tolist() == ["unknown_country"]


def test__topic_case_variants_are_one_topic_homoglyphs_none(tmp_path):
    text = (
        "num_pushers,iso2_code,year,quarter,topic\n500,DE,2023,1,Kubernetes\n"
        "400,FR,2023,1,kubernetes\n300,IT,2023,1,kubеrnetes\n"
    )  # Cyrillic е last
    rc, out = _clean(tmp_path, "activity", "innovationgraph", text, "topics.csv")
    assert rc == 0
    t = pd.read_parquet(out / "activity.parquet")
    assert set(t["subject"]) == {"kubernetes"} and len(t) == 2
    assert len(read_rejected_csv(out / "activity_rejected.csv")) == 1


def test__error_messages_never_echo_an_unrelated_file(tmp_path, capsys):
    secret = tmp_path / "passwd"
    secret.write_text("root:x:0:0:root:/root:/bin/bash\n")
    link = tmp_path / "rates.csv"
    link.symlink_to(secret)
    assert (
        main(["clean", "rates", str(link), "--format", "generic", "--out", str(tmp_path / "o")])
        == 2
    )
    err = capsys.readouterr().err
    assert "root:x" not in err and "required column(s) missing" in err


@pytest.mark.parametrize("value", ["abc", "-1", "0", "inf", "nan", "1e9"])
def test__dask_connect_timeout_validated(monkeypatch, value):
    from marketlib.engines.cluster import dask_client

    monkeypatch.setenv("MARKETLIB_DASK_CONNECT_TIMEOUT", value)
    with pytest.raises(InputError, match="MARKETLIB_DASK_CONNECT_TIMEOUT"):
        with dask_client("tcp://127.0.0.1:1"):
            pass


def test__empty_out_refused(tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    src = tmp_path / "in.csv"
    src.write_text("country,amount,currency,unit,date\nUS,1e5,USD,year,2023\n")
    assert main(["clean", "rates", str(src), "--format", "generic", "--out", ""]) == 2
    assert sorted(p.name for p in tmp_path.iterdir()) == ["in.csv"]
