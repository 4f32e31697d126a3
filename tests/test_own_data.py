"""Your data, your question: an HR export through inspect -> maps -> clean -> report.

The export (tests/hr_export.py) has its own headers and words; the report runs with another
base, other topics, PPP off and no article file. Nothing the default report assumes (the
aijobs survey, Kubernetes, North America as base) may reach a page.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest
import yaml

sys.path.insert(0, str(Path(__file__).parent))
from hr_export import make_hr_export  # noqa: E402
from pages import developer_words, pdf_is_legible  # noqa: E402

from marketlib import publish  # noqa: E402
from marketlib.cli import main  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]


def _write_maps(tmp_path: Path, export: Path, capsys) -> tuple[Path, Path]:
    assert main(["inspect", str(export), "--write-maps", str(tmp_path / "maps")]) == 0
    out = capsys.readouterr().out
    assert "unknown employment_type words" in out and "'Regular Employee'" in out
    cols = yaml.safe_load((tmp_path / "maps" / "columns.yaml").read_text())
    assert cols == {
        "country": "work country",
        "amount": "base salary",
        "currency": "pay currency",
        "unit": "pay frequency",
        "date": "effective date",
        "role": "job title",
        "experience": "seniority",
        "employment_type": "worker type",
    }
    values_file = tmp_path / "maps" / "values.yaml"
    values = yaml.safe_load(values_file.read_text())
    assert set(values["employment_type"]) == {"Regular Employee", "Fixed-term Contract"}
    # the analyst's edit: one word mapped, the other left unknown on purpose
    values["employment_type"]["Regular Employee"] = "employee"
    values_file.write_text(yaml.safe_dump(values))
    return tmp_path / "maps" / "columns.yaml", values_file


def test__inspect_then_clean__every_row_accounted_and_unknown_words_named(tmp_path, capsys):
    export = tmp_path / "export.csv"
    frame = make_hr_export()
    frame.to_csv(export, index=False)
    columns, values = _write_maps(tmp_path, export, capsys)
    rc = main(
        [
            "clean",
            "rates",
            str(export),
            "--format",
            "generic",
            "--columns",
            str(columns),
            "--values",
            str(values),
            "--out",
            str(tmp_path / "out"),
        ]
    )
    out = capsys.readouterr().out
    assert rc == 0
    assert "employment_type" in out and "'Fixed-term Contract'" in out  # said aloud
    report = json.loads((tmp_path / "out" / "rates_clean_report.json").read_text())
    assert report["rows_in"] == len(frame) == report["rows_clean"] + report["rows_rejected"]
    assert report["unknown_words"]["employment_type"]["values"] == {
        "Fixed-term Contract": int((frame["Worker Type"] == "Fixed-term Contract").sum())
    }
    clean = pd.read_parquet(tmp_path / "out" / "rates.parquet")
    # Mid-level and Staff are known words (separators folded; staff engineers are leads)
    assert set(clean["experience"].dropna()) == {"junior", "mid", "senior", "lead"}
    assert (
        clean["employment_type"].isna().sum()
        == (frame["Worker Type"] == "Fixed-term Contract").sum()
    )
    assert set(clean["employee id"]) <= set(frame["Employee ID"])  # extra columns kept
    assert report["params"]["columns"]["country"] == "work country"  # the map is recorded


def test__bad_maps__exit_2_naming_the_map_the_key_and_the_choices(tmp_path, capsys):
    export = tmp_path / "export.csv"
    make_hr_export(0.1).to_csv(export, index=False)
    cases = {
        "countri: Work Country\n": ("countri", "choices: country, amount"),
        "country: Nation\n": ("Nation", "work country"),
        "country: {value: [1, 2]}\n": ("country", "{value: TEXT}"),
    }
    for text, words in cases.items():
        m = tmp_path / "cols.yaml"
        m.write_text(text)
        assert (
            main(
                [
                    "clean",
                    "rates",
                    str(export),
                    "--format",
                    "generic",
                    "--columns",
                    str(m),
                    "--out",
                    str(tmp_path / "o"),
                ]
            )
            == 2
        )
        err = capsys.readouterr().err.strip()
        assert len(err.splitlines()) == 1 and str(m) in err
        assert all(w in err for w in words), err
    v = tmp_path / "values.yaml"
    v.write_text("experience:\n  Mid-level: middle\n")
    cols = tmp_path / "ok.yaml"
    cols.write_text(
        "country: Work Country\namount: Base Salary\ncurrency: Pay Currency\n"
        "unit: Pay Frequency\ndate: Effective Date\n"
    )
    assert (
        main(
            [
                "clean",
                "rates",
                str(export),
                "--format",
                "generic",
                "--columns",
                str(cols),
                "--values",
                str(v),
                "--out",
                str(tmp_path / "o"),
            ]
        )
        == 2
    )
    err = capsys.readouterr().err
    assert "experience" in err and "'middle'" in err and "junior, mid, senior" in err
    assert not (tmp_path / "o").exists()  # refused before anything was written


def test__every_row_rejected__exit_3_with_the_rejected_file(tmp_path, capsys):
    export = tmp_path / "fy.csv"
    f = make_hr_export(0.1)
    f["Effective Date"] = "FY2024"
    f.to_csv(export, index=False)
    cols = tmp_path / "cols.yaml"
    cols.write_text(
        "country: Work Country\namount: Base Salary\ncurrency: Pay Currency\n"
        "unit: Pay Frequency\ndate: Effective Date\n"
    )
    rc = main(
        [
            "clean",
            "rates",
            str(export),
            "--format",
            "generic",
            "--columns",
            str(cols),
            "--out",
            str(tmp_path / "o"),
        ]
    )
    assert rc == 3
    assert "every row was rejected" in capsys.readouterr().out
    rej = pd.read_csv(tmp_path / "o" / "rates_rejected.csv")
    assert len(rej) == len(f) and set(rej["reason"]) == {"unparseable_date"}


@pytest.mark.realdata
def test__own_export_to_report__other_base_topics_no_ppp_no_article(tmp_path, capsys, shared_data):
    export = tmp_path / "export.csv"
    make_hr_export().to_csv(export, index=False)
    columns, values = _write_maps(tmp_path, export, capsys)
    params = {
        "as_of": "2025-06-30",
        "inputs": {
            "rates": {
                "path": str(export),
                "format": "generic",
                "columns": str(columns),
                "values": str(values),
            },
            "certifications": None,
            "claims": None,
            "claims_definitions": None,
            "claims_growth": None,
            "activity": "data/raw/innovationgraph",
            "pay_bands": None,
            "adoption": None,
            "demand": None,
        },
        "clean": {"scheme": "un"},
        "arbitrage": {
            "base": "Western Europe",
            "ppp": False,
            "geography": "subregion",
            "n_boot": 200,
            "team": [
                {"role_family": "ML/AI Engineer", "experience": "senior", "headcount": 2},
                {"role_family": "ML/AI Engineer", "experience": "executive", "headcount": 1},
            ],
        },
        "regional": {"subjects": ["machine-learning", "llm"]},
    }
    pfile = tmp_path / "params.yaml"
    pfile.write_text(yaml.safe_dump(params))
    out = tmp_path / "reports" / "mine"
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "marketlib.cli",
            "report",
            "--params",
            str(pfile),
            "--out",
            str(out),
        ],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=900,
        preexec_fn=lambda: os.umask(0o022),
    )
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    assert "certification_growth: skipped" in proc.stdout
    results = json.loads((out / "results.json").read_text())
    assert results["arbitrage"]["base"] == "Western Europe"
    assert results["growth"] is None and results["claims"] is None
    assert {r["subject"] for r in results["regional"]} == {"machine-learning", "llm"}
    rows_in = results["cleaning"]["rates"]["rows_in"]
    assert (
        rows_in
        == 570
        == (
            results["cleaning"]["rates"]["rows_clean"]
            + results["cleaning"]["rates"]["rows_rejected"]
        )
    )
    pages = sorted((out / "html").glob("*.html"))
    assert len(pages) == 4  # arbitrage, regional, summary, brief (growth, claims, the
    assert "triangulation: skipped" in proc.stdout  # independent sources skipped)
    for page in pages:
        text = re.sub(r"data:image/[^\"')]+", "", page.read_text(encoding="utf-8"))
        for word in ("aijobs", "kubernetes", "North America"):
            assert word.lower() not in text.lower(), (page.name, word)
    summary = (out / "html" / "market_report.html").read_text(encoding="utf-8")
    assert "pay in Western Europe" in summary or "Western European pay" in summary
    assert "machine learning" in summary.lower() and "LLM" in summary
    assert "not part of this run" in summary  # the skipped sections are said, not hidden
    # words for readers on every page, and a brief that prints legibly (issue 32, 5 and 6)
    assert developer_words(out) == []
    if publish.find_chromium() or os.environ.get("CI"):
        pdf_is_legible(out)
    else:
        assert "PDF skipped" in proc.stdout
    arb = (out / "html" / "geographic_arbitrage.html").read_text(encoding="utf-8")
    assert "left out of the team cost" in arb and "executive" in arb  # said in words
    assert "PPP adjustment is off" in arb
    # a report a colleague can open and reuse: index, titles, tables, workbook, modes
    assert f"summary page: {out / 'html' / 'market_report.html'}" in proc.stdout
    index = (out / "index.html").read_text(encoding="utf-8")
    for page in pages:
        assert f'href="html/{page.name}"' in index
        title = re.search(r"<title>(.*?)</title>", page.read_text(encoding="utf-8")).group(1)
        assert title not in (page.stem, "") and title in index
    import openpyxl

    book = openpyxl.load_workbook(out / "tables" / "marketlib_tables.xlsx", read_only=True)
    assert "README" in book.sheetnames and "pay_ratios" in book.sheetnames
    sheet = list(book["pay_ratios"].values)
    header, rows = pd.read_csv(out / "tables" / "pay_ratios.csv").columns.tolist(), sheet[1:]
    from marketlib.tables import human_header

    assert list(sheet[0]) == [human_header(c) for c in header]
    by_group = {r["group"]: r for r in results["arbitrage"]["regions"]}
    for row in rows:
        rec = dict(zip(header, row, strict=True))
        want = by_group[rec["group"]]
        assert rec["n_rows"] == want["n"]
        if want["reported"]:
            assert rec["ratio_to_base"] == pytest.approx(want["ratio_to_base"])
            assert rec["ratio_ci_low"] == pytest.approx(want["ratio_ci_low"])
    csv = pd.read_csv(out / "tables" / "countries.csv")
    assert len(csv) == len(results["arbitrage"]["countries"])
    for p in [out, *out.rglob("*")]:
        mode = p.stat().st_mode & 0o777
        assert mode == (0o755 if p.is_dir() else 0o644), (p, oct(mode))


def _cols(tmp_path: Path) -> Path:
    cols = tmp_path / "cols.yaml"
    cols.write_text(
        "country: Work Country\namount: Base Salary\ncurrency: Pay Currency\n"
        "unit: Pay Frequency\ndate: Effective Date\nexperience: Seniority\n"
    )
    return cols


@pytest.mark.parametrize(
    "text,words",
    [
        ("experience:\n  Mid-level: mid\n  mid level: senior\n", "one word once case"),
        ("country:\n  NO: NOR\n", "quote it"),
        ("experience:\n  'yes': lead\n  on: lead\n", "not text"),
    ],
)
def test__value_map__collisions_and_yaml_booleans_refused(tmp_path, capsys, text, words):
    export = tmp_path / "export.csv"
    make_hr_export(0.1).to_csv(export, index=False)
    v = tmp_path / "v.yaml"
    v.write_text(text)
    assert (
        main(
            [
                "clean",
                "rates",
                str(export),
                "--format",
                "generic",
                "--columns",
                str(_cols(tmp_path)),
                "--values",
                str(v),
                "--out",
                str(tmp_path / "o"),
            ]
        )
        == 2
    )
    err = capsys.readouterr().err
    assert words in err and str(v) in err


def test__column_map__case_twins_and_empty_constants_refused(tmp_path, capsys):
    export = tmp_path / "export.csv"
    make_hr_export(0.1).to_csv(export, index=False)
    for text, words in (
        ("country: Work Country\nCountry: Work Country\n", "given twice"),
        ("amount: {value: ''}\n", "empty constant"),
    ):
        m = tmp_path / "m.yaml"
        m.write_text(text)
        assert (
            main(
                [
                    "clean",
                    "rates",
                    str(export),
                    "--format",
                    "generic",
                    "--columns",
                    str(m),
                    "--out",
                    str(tmp_path / "o"),
                ]
            )
            == 2
        )
        assert words in capsys.readouterr().err


def test__inspect__keeps_given_constants_and_never_overwrites_edited_maps(tmp_path, capsys):
    export = tmp_path / "export.csv"
    make_hr_export(0.1).drop(columns=["Pay Frequency"]).to_csv(export, index=False)
    given = tmp_path / "given.yaml"
    given.write_text("unit: {value: year}\n")
    maps = tmp_path / "maps"
    assert main(["inspect", str(export), "--columns", str(given), "--write-maps", str(maps)]) == 0
    assert yaml.safe_load((maps / "columns.yaml").read_text())["unit"] == {"value": "year"}
    capsys.readouterr()
    assert main(["inspect", str(export), "--write-maps", str(maps)]) == 2  # edited: kept
    assert "--force" in capsys.readouterr().err
    assert main(["inspect", str(export), "--write-maps", str(maps), "--force"]) == 0
    # --force rewrote the map without the given constant: the unit is now the one the
    # amount's header states ("Base Salary": a year), proposed and marked to be checked
    text = (maps / "columns.yaml").read_text()
    assert "unit: {value: year}    # required, a constant implied by the amount's header" in text
    export.write_text(export.read_text().replace("Base Salary", "Base Pay"))
    assert main(["inspect", str(export), "--write-maps", str(maps), "--force"]) == 0
    rc = main(
        [
            "clean",
            "rates",
            str(export),
            "--format",
            "generic",
            "--columns",
            str(given.parent / "maps" / "columns.yaml"),
            "--out",
            str(tmp_path / "o"),
        ]
    )
    assert rc == 2  # a header that states no unit: the unit is missing, said
    assert "unit" in capsys.readouterr().err
