"""The article's specialists on the analyst's own files (issue 30): skills, bill rates,
spreadsheets, honest own-data defaults, pay bands and a workbook an analyst opens.

Data with known truth: ``tests/specialists.py`` (a contractor marketplace CSV with skills
and bill rates; an HR workbook with a title row above its header).
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml

sys.path.insert(0, str(Path(__file__).parent))
from pages import developer_words  # noqa: E402
from specialists import (  # noqa: E402
    BASE_RATE,
    SPECIALIST_PREMIUM,
    TRUE_EE_RATIO,
    make_marketplace,
    write_hr_workbook,
)

from marketlib import arbitrage as ab  # noqa: E402
from marketlib.cli import main  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
MARKET_COLUMNS = {
    "country": "country",
    "amount": "hourly_rate_usd",
    "currency": {"value": "USD"},
    "unit": {"value": "hour"},
    "date": "billed_on",
    "experience": "years_experience",
    "employment_type": "contract",
    "skills": "skills",
}
HR_COLUMNS = {
    "country": "work country",
    "amount": "base salary",
    "currency": "currency",
    "unit": {"value": "year"},
    "date": "pay date",
    "role": "job title",
    "experience": "years experience",
    "employment_type": "worker type",
}


def _clean_marketplace(tmp_path: Path, capsys) -> tuple[pd.DataFrame, pd.DataFrame, Path]:
    src = tmp_path / "marketplace.csv"
    raw = make_marketplace()
    raw.to_csv(src, index=False)
    assert main(["inspect", str(src)]) == 0
    said = capsys.readouterr().out
    assert "skills <- skills" in said and "experience <- years_experience" in said
    cols = tmp_path / "columns.yaml"
    cols.write_text(yaml.safe_dump(MARKET_COLUMNS))
    out = tmp_path / "clean"
    assert (
        main(
            [
                "clean",
                "rates",
                str(src),
                "--format",
                "generic",
                "--columns",
                str(cols),
                "--out",
                str(out),
            ]
        )
        == 0
    )
    capsys.readouterr()
    return raw, pd.read_parquet(out / "rates.parquet"), out


def test__marketplace__skills_selection_recovers_the_true_bill_rates(tmp_path, capsys):
    raw, rates, out = _clean_marketplace(tmp_path, capsys)
    report = json.loads((out / "rates_clean_report.json").read_text())
    assert report["rows_in"] == len(raw) == report["rows_clean"] + report["rows_rejected"]
    assert report["rows_rejected"] == 0 and set(rates["rate_kind"]) == {"bill_rate"}
    # every spelling folded to one skill; numeric experience binned, never "unknown words"
    assert "skills" not in report["unknown_words"]
    assert "experience" not in report["unknown_words"]
    k8s = raw["skills"].str.contains(r"(?i)kubernetes|k8s")
    assert (rates["skills"].fillna("").str.contains("kubernetes") == k8s.to_numpy()).all()
    years = raw["years_experience"].to_numpy()
    want = np.select([years < 2, years < 5, years < 10], ["junior", "mid", "senior"], "lead")
    assert (rates["experience"].to_numpy() == want).all()

    scope = ab.Scope(
        rate_kind="bill_rate",
        employment_types=("contractor",),
        geography="subregion",
        skills_all=("kubernetes", "pytorch"),
    )
    res = ab.run_arbitrage(rates, scope, n_boot=400, seed=3)
    g = res.raw.set_index("group")
    truth_na = BASE_RATE["United States"] * SPECIALIST_PREMIUM
    assert g.at["North America", "ci_low"] <= truth_na <= g.at["North America", "ci_high"]
    ee = g.loc["Eastern Europe"]
    assert ee.ratio_ci_low <= TRUE_EE_RATIO <= ee.ratio_ci_high
    assert ee.ratio_equal_country_ci_low <= TRUE_EE_RATIO <= ee.ratio_equal_country_ci_high
    assert res.log[-3]["step"].startswith("skills include all of kubernetes, pytorch")
    specialists = int(
        (
            raw["skills"].str.contains(r"(?i)kubernetes|k8s")
            & raw["skills"].str.contains(r"(?i)torch")
        ).sum()
    )
    assert int(g["n"].sum()) == specialists
    results = res.to_results()
    assert results["population"].startswith("Kubernetes and PyTorch specialists (contractors")
    by_skill = pd.DataFrame(results["skills"])
    assert {"kubernetes", "pytorch", "python"} <= set(by_skill["skill"])
    # a selection the data cannot hold is refused, naming why
    with pytest.raises(ab.SelectionError, match="hold no skills"):
        ab.run_arbitrage(rates.drop(columns="skills"), scope, n_boot=200)


def test__percentiles__order_statistics_and_the_floor(tmp_path, capsys):
    _, rates, _ = _clean_marketplace(tmp_path, capsys)
    scope = ab.Scope(rate_kind="bill_rate", employment_types=("contractor",))
    d, _ = ab.select_rates(rates, scope)
    p = ab.pay_percentiles(d, min_n=30)
    us = d.loc[d["country_iso3"] == "USA", "hourly_usd"].to_numpy()
    row = p[(p.dimension == "country") & (p.key == "USA")].set_index("percentile")
    assert row["hourly_usd"].to_numpy() == pytest.approx(np.quantile(us, [0.25, 0.5, 0.75, 0.9]))
    assert (row["ci_low"] <= row["hourly_usd"]).all() and (
        row["hourly_usd"] <= row["ci_high"]
    ).all()
    # true log-normal quantiles of a non-specialist mix are not closed form; the median CI of
    # the groups' bands equals the median table's distribution-free interval
    raw = ab.raw_ratios(d, "North America", 30, 200, 0).set_index("group")
    med = p[(p.dimension == "group") & (p.percentile == 0.5)].set_index("group")
    for grp in med.index:
        assert med.at[grp, "ci_low"] == pytest.approx(raw.at[grp, "ci_low"])
        assert med.at[grp, "hourly_usd"] == pytest.approx(raw.at[grp, "median_hourly_usd"])
    assert set(p["dimension"]) == {"group", "country", "experience"}  # no titles: no families
    small = p[~p["reported"].astype(bool)]
    assert (small.loc[small.dimension == "country", "n"] < 10).all()


def test__percentiles__the_dask_engine_gives_the_same_numbers(tmp_path, capsys):
    import distributed

    from marketlib.engines.dask_arbitrage import dask_percentiles

    _, rates, _ = _clean_marketplace(tmp_path, capsys)
    d, _ = ab.select_rates(rates, ab.Scope(rate_kind="bill_rate", employment_types=("contractor",)))
    with (
        distributed.LocalCluster(
            n_workers=2, threads_per_worker=1, processes=False, dashboard_address=None
        ) as cluster,
        distributed.Client(cluster),
    ):
        got = dask_percentiles(d, 30, 10, 0.95, partition_rows=300)
    pd.testing.assert_frame_equal(got, ab.pay_percentiles(d, 30, 10, 0.95))


def test__hr_workbook__title_rows_skipped_sheet_rows_kept_every_row_accounted(tmp_path, capsys):
    book = tmp_path / "hr.xlsx"
    written = write_hr_workbook(book)
    cols = tmp_path / "columns.yaml"
    cols.write_text(yaml.safe_dump(HR_COLUMNS))
    out = tmp_path / "clean"
    assert (
        main(
            [
                "clean",
                "rates",
                str(book),
                "--format",
                "generic",
                "--columns",
                str(cols),
                "--out",
                str(out),
            ]
        )
        == 0
    )
    err = capsys.readouterr().err
    assert "header in row 3; row(s) 1-2 above it skipped (ACME Corp." in err
    assert "first of 2 (Pay export, Notes)" in err
    report = json.loads((out / "rates_clean_report.json").read_text())
    assert report["rows_in"] == len(written) == report["rows_clean"] + report["rows_rejected"]
    assert report["reading"] and report["rows_rejected"] == 0
    t = pd.read_parquet(out / "rates.parquet")
    assert t["source_row"].tolist() == list(range(4, 4 + len(written)))  # the sheet's rows
    assert set(t["date"].dt.year) == {2024}  # the pay date, not the hire date
    yrs = written["Years Experience"].to_numpy()
    assert (
        t["experience"].to_numpy()
        == np.select([yrs < 2, yrs < 5, yrs < 10], ["junior", "mid", "senior"], "lead")
    ).all()
    # a header row given by the analyst; another sheet by name
    assert (
        main(
            [
                "clean",
                "rates",
                str(book),
                "--format",
                "generic",
                "--columns",
                str(cols),
                "--header-row",
                "3",
                "--sheet",
                "Pay export",
                "--out",
                str(tmp_path / "c2"),
            ]
        )
        == 0
    )
    capsys.readouterr()
    assert pd.read_parquet(tmp_path / "c2" / "rates.parquet")["source_row"].iloc[0] == 4


def test__inspect__warns_when_the_only_date_is_a_hire_date(tmp_path, capsys):
    book = tmp_path / "hr.xlsx"
    write_hr_workbook(book)
    frame = pd.read_excel(book, header=2).drop(columns=["Pay Date"])
    frame.to_csv(tmp_path / "hires.csv", index=False)
    assert main(["inspect", str(tmp_path / "hires.csv")]) == 0
    said = capsys.readouterr().out
    assert "date <- hire date" in said
    assert re.search(r"warning: date column 'hire date' looks like a hire or start date", said)
    assert "distinct years (2015-" in said
    assert main(["inspect", str(book)]) == 0  # with a pay date beside it: no warning
    assert "warning" not in capsys.readouterr().out


def _eur_file(tmp_path: Path, day: str) -> Path:
    src = tmp_path / "late.csv"
    src.write_text(
        "country,amount,currency,unit,date\nDE,80000,EUR,year,2024-05-01\n"
        f"DE,81000,EUR,year,{day}\n"
    )
    return src


def test__fx_after_the_last_rate__rejected_or_carried_and_flagged(tmp_path, capsys):
    from marketlib.money import ecb_coverage

    last = ecb_coverage()[1]
    day = (last + pd.Timedelta(days=20)).date().isoformat()  # beyond the 7-day carry of a holiday
    src = _eur_file(tmp_path, day)
    rc = main(
        [
            "clean",
            "rates",
            str(src),
            "--format",
            "generic",
            "--out",
            str(tmp_path / "a"),
            "--max-rejected-share",
            "1",
        ]
    )
    assert rc == 0
    rej = pd.read_csv(tmp_path / "a" / "rates_rejected.csv")
    assert rej["reason"].tolist() == ["fx_rate_unavailable"]
    assert "--fx-table" in rej["detail"].iloc[0] and "last_available" in rej["detail"].iloc[0]
    assert (
        main(
            [
                "clean",
                "rates",
                str(src),
                "--format",
                "generic",
                "--out",
                str(tmp_path / "b"),
                "--fx-after-last",
                "last_available",
            ]
        )
        == 0
    )
    t = pd.read_parquet(tmp_path / "b" / "rates.parquet")
    assert t["is_fx_last_available"].tolist() == [False, True]
    assert t["fx_source"].tolist() == ["ecb", "ecb_carried"]
    from marketlib.money import ecb_usd_per_unit

    assert t["usd_per_unit"].iloc[1] == pytest.approx(ecb_usd_per_unit()["EUR"].dropna().iloc[-1])
    capsys.readouterr()


def test__own_fx_table__used_first_and_refused_in_one_line_when_bad(tmp_path, capsys):
    src = _eur_file(tmp_path, "2026-11-20")
    fx = tmp_path / "fx.csv"
    fx.write_text("date,currency,usd_per_unit\n2026-11,EUR,1.25\n2024-05,EUR,1.0\n")
    assert (
        main(
            [
                "clean",
                "rates",
                str(src),
                "--format",
                "generic",
                "--out",
                str(tmp_path / "o"),
                "--fx-table",
                str(fx),
            ]
        )
        == 0
    )
    t = pd.read_parquet(tmp_path / "o" / "rates.parquet")
    assert t["usd_per_unit"].tolist() == pytest.approx([1.0, 1.25])
    assert t["fx_source"].tolist() == ["own", "own"]
    report = json.loads((tmp_path / "o" / "rates_clean_report.json").read_text())
    assert report["params"]["fx_table"].startswith(str(fx))
    fx.write_text("date,currency,usd_per_unit\n2026-11,EUR,-1\n")
    assert (
        main(
            [
                "clean",
                "rates",
                str(src),
                "--format",
                "generic",
                "--out",
                str(tmp_path / "p"),
                "--fx-table",
                str(fx),
            ]
        )
        == 2
    )
    err = capsys.readouterr().err
    assert "line 2: usd_per_unit '-1' is not a positive number" in err
    assert len(err.strip().splitlines()) == 1 and not (tmp_path / "p").exists()


def test__experience_bands__configurable_and_refused_when_not_ascending(tmp_path, capsys):
    src = tmp_path / "x.csv"
    src.write_text(
        "country,amount,currency,unit,date,experience\n"
        + "".join(
            f"US,100000,USD,year,2024,{y}\n"
            for y in ("0.5", "2", "4 yrs", "5", "9.9", "10+", "Senior", "71")
        )
    )
    assert (
        main(["clean", "rates", str(src), "--format", "generic", "--out", str(tmp_path / "a")]) == 0
    )
    t = pd.read_parquet(tmp_path / "a" / "rates.parquet")
    assert t["experience"].tolist()[:7] == [
        "junior",
        "mid",
        "mid",
        "senior",
        "senior",
        "lead",
        "senior",
    ]
    assert pd.isna(t["experience"].iloc[7])  # 71 years: no career; an unknown word
    report = json.loads((tmp_path / "a" / "rates_clean_report.json").read_text())
    assert report["unknown_words"]["experience"]["values"] == {"71": 1}
    assert (
        main(
            [
                "clean",
                "rates",
                str(src),
                "--format",
                "generic",
                "--out",
                str(tmp_path / "b"),
                "--experience-bands",
                "1,3,8",
            ]
        )
        == 0
    )
    assert pd.read_parquet(tmp_path / "b" / "rates.parquet")["experience"].iloc[2] == "senior"
    assert (
        main(
            [
                "clean",
                "rates",
                str(src),
                "--format",
                "generic",
                "--out",
                str(tmp_path / "c"),
                "--experience-bands",
                "5,2,10",
            ]
        )
        == 2
    )
    assert "three ascending years" in capsys.readouterr().err


def test__paths_in_a_parameters_file_resolve_against_its_folder(tmp_path):
    from marketlib.params import load_report_params

    proj = tmp_path / "project" / "params"
    (proj / "maps").mkdir(parents=True)
    (proj / "maps" / "columns.yaml").write_text("country: country\n")
    (proj / "fx.csv").write_text("date,currency,usd_per_unit\n2024,EUR,1.1\n")
    (proj / "run.yaml").write_text(
        yaml.safe_dump(
            {
                "inputs": {
                    "rates": {
                        "path": "pay.xlsx",
                        "format": "generic",
                        "columns": "maps/columns.yaml",
                        "sheet": "Pay",
                        "header_row": 3,
                    }
                },
                "clean": {"fx_table": "fx.csv", "fx_after_last": "last_available"},
                "arbitrage": {"rates_path": "out/rates.parquet", "skills_any": ["K8s", "MLOps"]},
            }
        )
    )
    p = load_report_params(proj / "run.yaml")
    assert p.inputs.rates.columns == str((proj / "maps" / "columns.yaml").resolve())
    assert p.inputs.rates.path == str((proj / "pay.xlsx").resolve())
    assert p.clean.fx_table == str((proj / "fx.csv").resolve())
    assert p.arbitrage.rates_path == str((proj / "out" / "rates.parquet").resolve())
    assert p.arbitrage.skills_any == ["kubernetes", "mlops"]  # folded as the cleaner does
    assert p.clean_params().own_fx["usd_per_unit"].tolist() == [1.1]


@pytest.mark.parametrize(
    "content, problem",
    [
        (b"this is not a workbook at all", "not a readable .xlsx workbook"),
        (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 512, "password-protected"),
        (b"PK\x03\x04" + b"\x00" * 64, "not a readable workbook"),
    ],
)
def test__corrupt_or_protected_workbook__one_line_exit_2(tmp_path, capsys, content, problem):
    bad = tmp_path / "hr.xlsx"
    bad.write_bytes(content)
    for args in (
        ["inspect", str(bad)],
        ["clean", "rates", str(bad), "--format", "generic", "--out", str(tmp_path / "o")],
    ):
        assert main(args) == 2
        err = capsys.readouterr().err
        assert problem in err and str(bad) in err and len(err.strip().splitlines()) == 1
    assert not (tmp_path / "o").exists()


def test__workbook_options_refused_in_one_line(tmp_path, capsys, monkeypatch):
    book = tmp_path / "hr.xlsx"
    write_hr_workbook(book)
    for extra, problem in (
        (["--sheet", "Payroll"], "no sheet 'Payroll' (sheets: Pay export, Notes"),
        (["--header-row", "999"], "header row 999 is outside sheet"),
    ):
        assert main(["inspect", str(book), *extra]) == 2
        assert problem in capsys.readouterr().err
    csv = tmp_path / "x.csv"
    csv.write_text("country,amount,currency,unit,date\nUS,1,USD,year,2024\n")
    assert main(["inspect", str(csv), "--sheet", "1"]) == 2
    assert "apply to workbooks" in capsys.readouterr().err
    monkeypatch.setenv("MARKETLIB_MAX_INPUT_BYTES", "1000")
    assert main(["inspect", str(book)]) == 2
    assert "over the input limit" in capsys.readouterr().err


def test__rejected_share__loud_summary_and_exit_4_over_the_limit(tmp_path, capsys):
    src = tmp_path / "x.csv"
    src.write_text(
        "country,amount,currency,unit,date\n"
        + "US,100000,USD,year,2024\n" * 18
        + "Narnia,100000,USD,year,2024\nUS,abc,USD,year,2024\n"
    )
    out = tmp_path / "o"
    assert main(["clean", "rates", str(src), "--format", "generic", "--out", str(out)]) == 4
    err = capsys.readouterr().err
    assert "10.0% of 20 rows rejected, over the limit of 5%" in err
    assert "unknown_country 1" in err and "unparseable_amount 1" in err
    assert (out / "rates.parquet").exists() and (out / "rates_rejected.csv").exists()
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
                "--max-rejected-share",
                "0.1",
            ]
        )
        == 0
    )
    capsys.readouterr()


def _pages_text(out: Path, quoted: list[str] = ()) -> dict[str, str]:
    """Each page's visible text; ``quoted``: the article's claim texts, taken out (a quoted
    claim says "companies with <500 employees": the article's words, not the page's)."""
    import html

    pages = {}
    for page in sorted((out / "html").glob("*.html")):
        text = re.sub(r"data:image/[^\"')]+", "", page.read_text(encoding="utf-8"))
        text = re.sub(r"<script.*?</script>|<style.*?</style>", "", text, flags=re.S)
        text = html.unescape(re.sub(r"<[^>]+>", " ", text))
        text = re.sub(r"\s+", " ", text)
        for q in quoted:
            text = text.replace(re.sub(r"\s+", " ", q), " ")
        pages[page.name] = text
    return pages


def _report(tmp_path: Path, params: dict) -> tuple[Path, dict]:
    pfile = tmp_path / "params.yaml"
    pfile.write_text(yaml.safe_dump(params))
    out = tmp_path / "report"
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
    return out, json.loads((out / "results.json").read_text())


def test__bill_rate_report__every_word_follows_the_rate_kind(tmp_path):
    src = tmp_path / "marketplace.csv"
    make_marketplace().to_csv(src, index=False)
    cols = tmp_path / "columns.yaml"
    cols.write_text(yaml.safe_dump(MARKET_COLUMNS))
    out, results = _report(
        tmp_path,
        {
            "as_of": "2025-06-30",
            "inputs": {
                "rates": {"path": str(src), "format": "generic", "columns": str(cols)},
                "certifications": None,
                "claims_growth": None,
                "activity": None,
                # the triangulation's words on bill rates: test_triangulation (a full report
                # with the sources costs a minute more)
                "pay_bands": None,
                "adoption": None,
                "demand": None,
            },
            "arbitrage": {
                "rate_kind": "bill_rate",
                "employment_types": ["contractor"],
                "skills_all": ["kubernetes", "pytorch"],
                "ppp": False,
                "n_boot": 200,
                "team": [],
            },
        },
    )
    arb = results["arbitrage"]
    assert arb["rate_kind"] == "bill_rate" and arb["population"].startswith("Kubernetes and")
    claim = next(c for c in results["claims"] if c["id"] == "rate_north_america")
    assert "judged as a level against North America's bill rates" in claim["detail"]
    assert claim["verdict"] in (
        "contradicted_by_data",
        "supported_by_data",
        "consistent_uninformative",
    )
    pages = _pages_text(out, [str(c.get("text", "")) for c in results["claims"]])
    assert pages
    for name, text in pages.items():
        for word in ("salary", "salaries", "employee", "earns"):
            assert not re.search(rf"\b{word}", text, re.I), (
                name,
                word,
                re.search(rf".{{80}}\b{word}.{{80}}", text, re.I | re.S),
            )
    assert developer_words(out, [str(c.get("text", "")) for c in results["claims"]]) == []
    arb_page = pages["geographic_arbitrage.html"]
    assert "Contractors (n)" in arb_page or "bill rates of Kubernetes and PyTorch" in arb_page
    assert "P90" in arb_page and "Pay by skill" in arb_page


def test__salary_workbook_report__never_calls_its_data_bill_rates(tmp_path):
    book = tmp_path / "hr.xlsx"
    write_hr_workbook(book, rows=400)
    cols = tmp_path / "columns.yaml"
    cols.write_text(yaml.safe_dump(HR_COLUMNS))
    out, results = _report(
        tmp_path,
        {
            "as_of": "2025-06-30",
            "inputs": {
                "rates": {
                    "path": str(book),
                    "format": "generic",
                    "columns": str(cols),
                    "header_row": 3,
                },
                "certifications": None,
                "claims": None,
                "claims_definitions": None,
                "claims_growth": None,
                "activity": None,
                "pay_bands": None,
                "adoption": None,
                "demand": None,
            },
            "arbitrage": {
                "base": "Western Europe",
                "ppp": False,
                "n_boot": 200,
                "min_n": 30,
                "team": [],
            },
        },
    )
    assert results["cleaning"]["rates"]["rows_in"] == 400
    assert "defined by job titles" in results["arbitrage"]["population"]
    for name, text in _pages_text(out).items():
        assert not re.search(r"bill[- ]rate", text, re.I), (
            name,
            re.search(r".{80}bill[- ]rate.{80}", text, re.I | re.S),
        )
        assert not re.search(r"\b(kubernetes|pytorch|mlops) (specialist|skill)", text, re.I)
    import openpyxl

    wb = openpyxl.load_workbook(out / "tables" / "marketlib_tables.xlsx")
    assert "pay_percentiles" in wb.sheetnames and wb["pay_percentiles"].freeze_panes == "A2"


def test__inspect__the_written_maps_clean_as_written(tmp_path, capsys):
    """The README's own-spreadsheet commands: inspect -> clean with no edit, every row in."""
    book = tmp_path / "hr.xlsx"
    written = write_hr_workbook(book)
    src = tmp_path / "marketplace.csv"
    make_marketplace().to_csv(src, index=False)
    for path, unit in ((book, "year"), (src, "hour")):
        maps = tmp_path / f"maps-{path.stem}"
        assert main(["inspect", str(path), "--write-maps", str(maps)]) == 0
        said = capsys.readouterr().out
        assert f"unit: {{value: {unit}}}  (implied by the amount's header" in said
        cols = yaml.safe_load((maps / "columns.yaml").read_text())
        assert cols["unit"] == {"value": unit}
        out = tmp_path / f"clean-{path.stem}"
        assert (
            main(
                [
                    "clean",
                    "rates",
                    str(path),
                    "--format",
                    "generic",
                    "--columns",
                    str(maps / "columns.yaml"),
                    "--values",
                    str(maps / "values.yaml"),
                    "--out",
                    str(out),
                ]
            )
            == 0
        )
        report = json.loads((out / "rates_clean_report.json").read_text())
        assert report["rows_rejected"] == 0
    assert report["rows_in"] == 1560 and cols["currency"] == {"value": "USD"}
    assert len(written) == 240
    capsys.readouterr()


def test__percentile_intervals_cover_the_true_quantiles():
    """Known truth: log-normal rows; each percentile's distribution-free interval covers the
    true quantile at least at its level (order statistics are conservative, never below)."""
    from scipy import stats

    from marketlib.arbitrage.percentiles import PERCENTILES, cell_percentiles

    rng = np.random.default_rng(30)
    for n in (30, 120):
        hits = {q: 0 for q in PERCENTILES}
        reps = 600
        for _ in range(reps):
            xs = np.sort(np.exp(rng.normal(3.0, 0.5, n)))
            for p in cell_percentiles(xs, 0.95):
                truth = np.exp(3.0 + 0.5 * stats.norm.ppf(p["percentile"]))
                lo = -np.inf if np.isnan(p["ci_low"]) else p["ci_low"]  # no bound: that side
                hi = np.inf if np.isnan(p["ci_high"]) else p["ci_high"]  # is open (a dash)
                hits[p["percentile"]] += bool(lo <= truth <= hi)
        for q, h in hits.items():
            assert 0.93 <= h / reps <= 0.995, (n, q, h / reps)


@pytest.mark.parametrize(
    "rows, problem",
    [
        ("2024-06-14,EUR,2.0\n2024,EUR,3.0\n", "overlaps the period of line 3"),
        ("2024-06-14,EUR,2.0\n14/06/2024,EUR,2.5\n", "overlaps the period of line 2"),
        ("2024-06,USD,0.5\n", "a US dollar is always 1 US dollar"),
        ("2024-06,EUR,1.1,extra\n", "line 2: 4 field(s) where the header has 3"),
    ],
)
def test__own_fx_table__overlaps_usd_and_ragged_rows_refused(tmp_path, capsys, rows, problem):
    """Hostile probe: which of two overlapping rates holds must never depend on the order."""
    src = _eur_file(tmp_path, "2024-06-14")
    fx = tmp_path / "fx.csv"
    fx.write_text("date,currency,usd_per_unit\n" + rows)
    assert (
        main(
            [
                "clean",
                "rates",
                str(src),
                "--format",
                "generic",
                "--out",
                str(tmp_path / "o"),
                "--fx-table",
                str(fx),
            ]
        )
        == 2
    )
    err = capsys.readouterr().err
    assert problem in err and len(err.strip().splitlines()) == 1, err


def test__workbook__stray_far_cell_refused_dates_kept_folders_read(tmp_path, capsys):
    """Hostile probe: one stray cell at XFD1048576 is refused in one line (the reader would
    build a 17-billion-cell range); a date-time cell gives its day; a folder reads workbooks."""
    import datetime as dt

    import openpyxl

    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(["country", "amount", "currency", "unit", "date"])
    ws.append(["US", 100000.0, "USD", "year", dt.datetime(2024, 6, 30, 13, 5)])
    wb.save(tmp_path / "ok.xlsx")
    ws["XFD1048576"] = " "
    (tmp_path / "far").mkdir()
    wb.save(tmp_path / "far" / "far.xlsx")
    assert main(["inspect", str(tmp_path / "far" / "far.xlsx")]) == 2
    err = capsys.readouterr().err
    assert "spans 1,048,576 rows x 16,384 columns (to XFD1048576)" in err
    folder = tmp_path / "in"
    folder.mkdir()
    (tmp_path / "ok.xlsx").rename(folder / "ok.xlsx")
    (folder / "b.csv").write_text("country,amount,currency,unit,date\nDE,70000,EUR,year,2024\n")
    assert (
        main(["clean", "rates", str(folder), "--format", "generic", "--out", str(tmp_path / "o")])
        == 0
    )
    t = pd.read_parquet(tmp_path / "o" / "rates.parquet")
    sheet = t[t["source_file"].str.endswith("ok.xlsx")]
    assert len(t) == 2 and sheet["date"].dt.date.astype(str).tolist() == ["2024-06-30"]
    assert sheet["source_row"].tolist() == [2]
    capsys.readouterr()
