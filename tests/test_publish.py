"""Publication formatting: findings, tables for people, self-contained HTML, PDF fallback."""

from __future__ import annotations

import json
import os
import re
from pathlib import Path

import pandas as pd
import pytest
from hostile import MARKUP
from hypothesis import given, settings
from hypothesis import strategies as st

from marketlib import publish, sections

ROOT = Path(__file__).resolve().parents[1]

BAD = re.compile(r"\bNaN\b|\bnan\b|\bNone\b|\bnull\b|dtype|Name:|<NA>|\bNaT\b")
ABS = re.compile(r"(?<![\w.:/])/(?:root|home|tmp|work|usr|var|Users)/")


def small_results() -> dict:
    """A hand-made results.json with every section, a group under the floor, odd values."""
    return {
        "run": {
            "started": "2026-11-27T09:28:19+00:00",
            "as_of": "2026-11-26",
            "params": {
                "as_of": "2026-11-26",
                "seed": 7,
                "inputs": {"aijobs": "/root/secret/data/raw/aijobs/salaries.csv"},
                "arbitrage": {
                    "base": "North America",
                    "min_n": 30,
                    "years": None,
                    "team": [{"role_family": "ML", "headcount": 3}],
                },
                "out": "/home/alice/project/reports/2026-11-26",
            },
            "inputs": {
                "/home/alice/project/data/raw/aijobs/salaries.csv": "ab" * 32,
                "/tmp/x/innovationgraph/topics.csv": {
                    "sha256": "cd" * 32,
                    "commit": "0123456789abcdef" * 2 + "01234567",
                },
            },
            "marketlib_version": "0.1.0",
        },
        "growth": {
            "freq": "Y",
            "periods": ["2021", "2022", "2023"],
            "period_growth": [
                {
                    "group": {"region": "World"},
                    "from": "2022",
                    "to": "2023",
                    "growth": 1.0816,
                    "ci_low": -0.99,
                    "ci_high": 430.13,
                    "count_from": 49000.0,
                    "count_to": 102000.0,
                    "status": "ok",
                },
                {
                    "group": {"region": "Europe"},
                    "from": "2022",
                    "to": "2023",
                    "growth": None,
                    "ci_low": None,
                    "ci_high": None,
                    "status": "too few periods",
                },
            ],
            "trend": [
                {
                    "group": {"region": "World"},
                    "annual_growth": 0.447,
                    "ci_low": float("nan"),
                    "ci_high": None,
                    "model": "wls_log",
                    "n_periods": 3,
                }
            ],
            "forecast": [
                {
                    "group": {"region": "World"},
                    "period": "2024",
                    "mean": 130771.4,
                    "pi_low": 133.7,
                    "pi_high": 127863326.2,
                }
            ],
            "inputs": {"certifications.parquet": "ef" * 32},
        },
        "arbitrage": {
            "base": "North America",
            "hours_per_year": 2080,
            "min_n": 30,
            "regions": [
                {
                    "region": "North America",
                    "n": 19659,
                    "n_countries": 3,
                    "reported": True,
                    "median_hourly_usd": 71.1,
                    "ci_low": 70.6,
                    "ci_high": 71.6,
                    "ratio_to_base": 1.0,
                    "ratio_ci_low": 1.0,
                    "ratio_ci_high": 1.0,
                    "flag": "A",
                },
                {"region": "East Asia", "n": 23, "n_countries": 3, "reported": False},
                {
                    "region": "Eastern Europe",
                    "n": 200,
                    "n_countries": 16,
                    "reported": True,
                    "median_hourly_usd": 24.7,
                    "ci_low": 21.9,
                    "ci_high": 26.5,
                    "ratio_to_base": 0.3476,
                    "ratio_ci_low": 0.3089,
                    "ratio_ci_high": 0.3687,
                    "flag": "A",
                },
                {
                    "region": "Southeast Asia",
                    "n": 41,
                    "n_countries": 6,
                    "reported": True,
                    "median_hourly_usd": 28.8,
                    "ci_low": 14.9,
                    "ci_high": 39.2,
                    "ratio_to_base": 0.4057,
                    "ratio_ci_low": 0.2115,
                    "ratio_ci_high": 0.5061,
                    "flag": "E",
                },
            ],
            "adjusted": [
                {
                    "region": "Eastern Europe",
                    "ratio_to_base": 0.39774,
                    "ci_low": 0.37004,
                    "ci_high": 0.42752,
                    "n": 200,
                    "controls": ["experience", "role_family", "year"],
                },
                {
                    "region": "Southeast Asia",
                    "ratio_to_base": 0.42066,
                    "ci_low": 0.33756,
                    "ci_high": 0.52421,
                    "n": 41,
                    "controls": ["experience", "role_family", "year"],
                },
            ],
            "claimed_vs_data": [{"region": "Eastern Europe"}, {"region": "Southeast Asia"}],
        },
        "regional": [
            {
                "measure": "topic_pushers",
                "subject": "kubernetes",
                "region": "Europe",
                "from": "2023",
                "to": "2024",
                "growth": -0.012,
                "ci_low": -0.05,
                "ci_high": 0.03,
                "economies": ["DEU", "FRA"],
                "composition": "constant",
                "share_growth": 0.02,
                "share_ci_low": -0.01,
                "share_ci_high": 0.05,
            },
            {
                "measure": "topic_pushers",
                "subject": "kubernetes",
                "region": "Asia-Pacific",
                "from": "2023",
                "to": "2024",
                "growth": 0.12,
                "ci_low": 0.05,
                "ci_high": 0.2,
                "economies": ["IND"],
                "composition": "constant",
                "share_growth": None,
            },
        ],
        "changes": {
            "previous": {"as_of": "2026-10-26", "results": "/root/reports/2026-10-26/results.json"},
            "estimates": [{"verdict": "changed"}, {"verdict": "within_uncertainty"}],
        },
        "claims": [
            {"id": "a", "text": "Untestable thing", "verdict": "untestable", "detail": None},
            {
                "id": "b",
                "text": "Latin America averages $65/hr",
                "verdict": "contradicted_by_data",
                "detail": "outside both CIs",
                "check": "data_rate",
            },
            {"id": "c", "text": "61% reduction", "verdict": "consistent", "detail": "ok"},
        ],
    }


def real_results() -> dict | None:
    """A real results.json: $MARKETLIB_RESULTS, or the newest reports/*/results.json."""
    env = os.environ.get("MARKETLIB_RESULTS")
    paths = (
        [Path(env)]
        if env
        else sorted(ROOT.glob("reports/*/results.json"), key=lambda p: p.stat().st_mtime)
    )
    for p in reversed(paths):
        if p.is_file():
            return json.loads(p.read_text())
    return None


def all_text(frame: pd.DataFrame) -> str:
    return (
        " | ".join(map(str, frame.columns))
        + "\n"
        + "\n".join(" | ".join(map(str, row)) for row in frame.itertuples(index=False))
    )


TABLES = [
    sections.arbitrage_table,
    sections.growth_table,
    sections.regional_table,
    sections.claims_table,
    publish.provenance_table,
]


def check_clean_table(frame: pd.DataFrame) -> None:
    assert isinstance(frame, pd.DataFrame)
    assert frame.shape[1] <= 8
    assert list(frame.index) == list(range(len(frame)))
    text = all_text(frame)
    assert not BAD.search(text), BAD.search(text)
    assert not ABS.search(text), ABS.search(text)
    assert frame.notna().all().all()
    assert all(isinstance(v, str) and v.strip() for v in frame.to_numpy().ravel())
    html = publish.to_html(frame)
    assert not BAD.search(re.sub(r"<style>.*?</style>", "", html, flags=re.S))
    assert "<th" in html and "mlib-table" in html
    assert 'class="row_heading' not in html and "blank level0" not in html  # no index column


# --- number text -------------------------------------------------------------------------------


def test__percent_and_interval_text():
    assert publish.pct(0.4) == "40%"
    assert publish.pct(-0.012, signed=True) == "-1.2%"
    assert publish.pct(1.0816, signed=True) == "+108%"
    assert publish.pct(None) == publish.DASH
    assert publish.pct(float("nan")) == publish.DASH
    assert publish.pct_range(0.37, 0.43) == "37-43%"
    assert publish.pct_range(-0.99, 430.13, signed=True) == "-99% to +43,013%"
    assert publish.ratio_ci(0.3977, 0.37004, 0.42752) == "0.40 (0.37-0.43)"
    assert publish.ratio_ci(0.3977, None, 0.4) == "0.40"
    assert publish.ratio_ci(None, 0.1, 0.2) == publish.DASH
    assert publish.pct_ci(0.52, 0.1, 0.9) == "+52% (+10% to +90%)"
    assert publish.not_estimated(23, 30) == "not estimated (n = 23 < 30)"
    assert publish.not_estimated(None, 30) == "not estimated"


def test__paths_are_made_project_relative_or_file_names():
    assert (
        publish.display_path("/root/x/data/raw/aijobs/salaries.csv")
        == "data/raw/aijobs/salaries.csv"
    )
    assert publish.display_path("/home/a/project/reports/2026-11-26") == "reports/2026-11-26"
    assert publish.display_path("/opt/somewhere/file.csv") == "file.csv"
    assert publish.display_path("data/raw/x.csv") == "data/raw/x.csv"
    assert (
        publish.scrub_paths("kept at /tmp/pubrep/notebooks/a.ipynb now")
        == "kept at notebooks/a.ipynb now"
    )
    assert publish.scrub_paths("USD/h and 2022/2023 stay") == "USD/h and 2022/2023 stay"


# --- key findings ------------------------------------------------------------------------------


def test__key_findings_are_generated_with_ci_and_n():
    found = sections.key_findings(small_results())
    assert 4 <= len(found) <= 8
    text = "\n".join(found)
    # no equal-country figure in these results: the pooled ratio, with no headline interval
    assert (
        "Eastern Europe (respondents pooled): a comparable specialist earns 40% of North "
        "American pay (no interval: no country has 10 rows, and the pooled figure only "
        "describes them; 200 rows in 16 countries)."
    ) in found
    assert "Southeast Asia (respondents pooled): a comparable specialist earns 42%" in text
    assert "Raw medians" in text and "raw" not in found[0].lower()
    assert "East Asia not estimated (n = 23 < 30)" in text
    assert "developers pushing to kubernetes-tagged repositories" in text and "proxy" in text
    assert "certifications grew" not in text
    assert "+108%" in text and "49,000 to 102,000" in text
    assert "3 published claims" in text and "1 contradicted by data" in text
    assert not BAD.search(text) and not ABS.search(text)


def test__key_findings_show_the_equal_country_adjusted_ratio_where_it_exists():
    res = small_results()
    adj = res["arbitrage"]["adjusted"][0]
    adj.update(
        ratio_equal_country=0.45,
        ratio_equal_country_ci_low=0.33,
        ratio_equal_country_ci_high=0.6,
        n_countries_averaged=5,
        n_rows_averaged=164,
        ratio_named_countries_ci_low=0.41,
        ratio_named_countries_ci_high=0.5,
    )
    found = sections.key_findings(res)
    g = adj["region"]
    # the headline names its estimand and the rows it averages, not the group's n
    assert (
        f"{g} (typical country): a comparable specialist earns 45% of North American pay "
        "(95% CI 33-60%; 5 countries averaged, 164 of 200 rows in 16 countries)."
    ) in found
    table = sections.arbitrage_table(res).set_index("Region")
    assert "0.45 (0.33-0.60), 5 countries" in table.loc[g].to_string()
    assert table.loc[g, "The same, these countries only (95% CI)"] == "0.45 (0.41-0.50)"
    assert table.loc[g, "Reliability"] == "reliable"  # graded on the headline's own interval


def test__key_findings_survive_missing_sections():
    assert sections.key_findings({}) == []
    assert sections.key_findings(None) == []
    only_claims = {"claims": [{"verdict": "consistent"}, {"verdict": "weird_new"}]}
    (sentence,) = sections.key_findings(only_claims)
    assert "1 consistent" in sentence and "1 weird new" in sentence
    partial = small_results()
    del partial["arbitrage"]["adjusted"]
    del partial["regional"]
    text = " ".join(sections.key_findings(partial))
    assert "comparable specialist" not in text and "Raw medians" in text


def test__key_findings_respect_the_maximum():
    assert len(sections.key_findings(small_results(), max_sentences=5)) == 5


# --- tables ------------------------------------------------------------------------------------


@pytest.mark.parametrize("make", TABLES, ids=lambda f: f.__name__)
def test__tables_are_for_people(make):
    check_clean_table(make(small_results()))


@pytest.mark.parametrize("make", TABLES, ids=lambda f: f.__name__)
def test__tables_of_an_empty_report_are_empty_not_broken(make):
    frame = make({})
    assert len(frame) == 0 and frame.shape[1] <= 8
    publish.to_html(frame)


def test__arbitrage_table_order_floor_and_ci_text():
    t = sections.arbitrage_table(small_results())
    assert list(t["Region"]) == ["North America", "Southeast Asia", "Eastern Europe", "East Asia"]
    ee = t.set_index("Region").loc["Eastern Europe"]
    assert ee["Pooled ratio to North America, descriptive (95% CI)"] == "0.35 (0.31-0.37)"
    adj = next(c for c in t.columns if c.startswith("Comparable specialist"))
    assert ee[adj] == "0.40, pooled"  # no equal-country figure: pooled, and no headline CI
    assert "role" in adj and "role_family" not in adj
    ea = t.set_index("Region").loc["East Asia"]
    assert ea[adj] == "not estimated (n = 23 < 30)"
    # no headline interval: no reliability can be claimed (never "reliable")
    assert t.set_index("Region").loc["Southeast Asia", "Reliability"] == (
        "no interval: not assessable"
    )


def test__claims_table_puts_problems_first():
    t = sections.claims_table(small_results())
    assert list(t["Verdict"]) == ["contradicted by data", "consistent", "untestable"]
    assert t.loc[2, "Why"] == publish.DASH


def test__provenance_has_short_hashes_and_no_machine_paths():
    t = publish.provenance_table(small_results())
    text = all_text(t)
    assert "sha256 abababababab" in text and "ab" * 20 not in text
    assert "commit 0123456789ab" in text
    assert "data/raw/aijobs/salaries.csv" in text and "topics.csv" in text
    assert "reports/2026-11-26" in text
    assert "/root" not in text and "/home" not in text and "/tmp" not in text
    assert "Data as of" in set(t["Name"])


def test__growth_table_never_shows_missing_values():
    t = sections.growth_table(small_results())
    europe = t[t["Group"] == "Europe"].iloc[0]
    assert europe["Value (95% interval)"] == "not estimated (too few periods)"
    trend = t[t["Estimate"] == "Annual trend"].iloc[0]
    assert trend["Value (95% interval)"] == "+45%"


def test__to_html_escapes_and_hides_the_index():
    frame = pd.DataFrame({"a": ["<b>x</b>", None], "b": [float("nan"), 1.5]}, index=[5, 9])
    html = publish.to_html(frame, caption="A /root/secret/data/x.csv table")
    assert "&lt;b&gt;x&lt;/b&gt;" in html and "<b>x</b>" not in html
    assert ">5<" not in html and ">9<" not in html
    assert "nan" not in html.lower().replace("nan-", "") and "None" not in html
    assert "/root" not in html


# --- self-contained HTML and PDF ---------------------------------------------------------------


def test__self_contain_inlines_images_and_drops_remote_fetches(tmp_path):
    png = tmp_path / "fig.png"
    png.write_bytes(
        bytes.fromhex(
            "89504e470d0a1a0a0000000d4948445200000001000000010806000000"
            "1f15c4890000000d49444154789c6360f8cfc0f01f0005000201e2d7b39c0000000049454e44ae426082"
        )
    )
    page = tmp_path / "p.html"
    page.write_text(
        '<html><head><script src="https://cdn.example/require.js"></script>'
        '<link rel="stylesheet" href="https://cdn.example/x.css">'
        '<style>/* see https://example.org */ @import url("https://f.example/a.css");</style>'
        '<script type="module">const m = await import("https://cdn.example/m.mjs");</script>'
        "<script>var ok = 1; // https://example.org in a comment</script>"
        '</head><body class="jp-Notebook"><img src="fig.png"><a href="https://example.org">'
        "link</a></body></html>"
    )
    before = publish.remote_fetches(page)
    assert len(before) == 4
    publish.self_contain(page)
    text = page.read_text()
    assert publish.remote_fetches(text) == []
    assert 'src="data:image/png;base64,' in text
    assert "var ok = 1" in text and 'href="https://example.org"' in text  # links stay


def test__write_pdf_without_chromium_says_how_to_get_it(tmp_path, monkeypatch):
    monkeypatch.setenv("MARKETLIB_CHROMIUM", str(tmp_path / "no-such-browser"))
    page = tmp_path / "p.html"
    page.write_text("<p>hi</p>")
    result = publish.write_pdf(page, tmp_path / "p.pdf")
    assert result.path is None and not result
    assert "apt-get install chromium" in result.message and "MARKETLIB_CHROMIUM" in result.message
    assert not (tmp_path / "p.pdf").exists()


def test__write_pdf_with_a_failing_browser_does_not_raise(tmp_path, monkeypatch):
    fake = tmp_path / "fake-chromium"
    fake.write_text("#!/bin/sh\necho broken >&2\nexit 3\n")
    fake.chmod(0o755)
    monkeypatch.setenv("MARKETLIB_CHROMIUM", str(fake))
    page = tmp_path / "p.html"
    page.write_text("<p>hi</p>")
    result = publish.write_pdf(page, tmp_path / "p.pdf", timeout=10)
    assert result.path is None and "exited 3" in result.message and "broken" in result.message


@pytest.mark.browser
def test__write_pdf_prints_the_summary_page(tmp_path):
    if publish.find_chromium() is None:
        if os.environ.get("CI"):
            pytest.fail("no Chromium under CI: .ci/run installs it (`make chromium`)")
        pytest.skip("no Chromium on this machine (`make chromium`)")
    page = tmp_path / "summary.html"
    page.write_text(
        "<!DOCTYPE html><html><head><meta charset='utf-8'></head><body>"
        + publish.to_html(sections.arbitrage_table(small_results()))
        + "</body></html>"
    )
    result = publish.write_pdf(page, tmp_path / "summary.pdf")
    assert result.path is not None, result.message
    assert result.path.read_bytes()[:5] == b"%PDF-"


def test__notebook_to_html_is_self_contained_and_hides_paths(tmp_path):
    import nbformat

    nb = nbformat.v4.new_notebook()
    nb.cells = [
        nbformat.v4.new_markdown_cell("# Title\n\nSome $x$ math."),
        nbformat.v4.new_code_cell(
            "1 + 1",
            execution_count=1,
            outputs=[
                nbformat.v4.new_output("execute_result", {"text/plain": "2"}, execution_count=1)
            ],
        ),
    ]
    src = tmp_path / "n.ipynb"
    nbformat.write(nb, src)
    out = publish.notebook_to_html(
        src,
        tmp_path / "html" / "n.html",
        {"aijobs": "/root/w/data/raw/aijobs/salaries.csv", "seed": 1},
    )
    text = out.read_text()
    assert publish.remote_fetches(text) == []
    assert "1 + 1" not in text  # code hidden
    assert "data/raw/aijobs/salaries.csv" in text and "/root/w" not in text
    assert "Parameters of this run" in text


# --- the real report, when one is at hand --------------------------------------------------------


@pytest.fixture(scope="module")
def real():
    """A real results document: a report's, else the sections computed on the clean tables."""
    found = real_results()
    if found is not None:
        return found
    from marketlib import sections

    processed = ROOT / "data" / "processed"
    if not (processed / "rates.parquet").is_file():
        pytest.fail("no clean tables: run `make processed` (the test command does)")
    doc = sections.summary_results(
        None, "2026-11-26", processed=processed, raw=ROOT / "data" / "raw", seed=1
    )
    return json.loads(json.dumps(doc, default=str))


@pytest.mark.realdata
def test__real_report_findings(real):
    found = sections.key_findings(real)
    assert 4 <= len(found) <= 8
    text = " ".join(found)
    assert "95% CI" in text and "n = " in text and "%" in text
    assert not BAD.search(text) and not ABS.search(text)


@pytest.mark.realdata
@pytest.mark.parametrize("make", TABLES, ids=lambda f: f.__name__)
def test__real_report_tables(real, make):
    check_clean_table(make(real))


def test__tidy__numbers_for_people_never_scientific():
    t = publish.tidy(pd.DataFrame({"x": [131_000.5, 0.0818, 1234.4, 2_500_000.0, 12.345]}))
    assert t["X"].tolist() == ["131,000", "0.0818", "1,234", "2,500,000", "12.3"]
    assert not t["X"].str.contains("e+").any()


class TestInputTextIsInertOnPagesTerminalsAndMail:
    """Hostile round 4, item 9: Markdown, HTML and escape bytes from inputs never go live."""

    def test__links_images_forged_headings_and_escapes_are_neutralised(self):
        from marketlib.sanitize import inert_markdown

        md = (
            "- [click](javascript:alert(1)) and ![x](http://evil/x.png) <b>bold</b>\n"
            "- # Forged heading\n## Our heading \x1b]8;;http://x\x07osc\x1b]8;;\x07 "
            "\x1b[31mred\x1b[0m"
        )
        out = inert_markdown(md)
        assert "](javascript" not in out.replace("\\[", "") or "\\[click]" in out
        assert "\\[click](javascript" in out and "!\\[x]" in out
        assert "<b>" not in out and "&lt;b&gt;" in out
        assert "- \\# Forged" in out and out.count("\n## Our heading") == 1
        assert "\x1b" not in out and "\x07" not in out

    def test__a_rendered_page_has_no_live_link_from_a_markdown_output(self, tmp_path):
        import nbformat

        nb = nbformat.v4.new_notebook()
        cell = nbformat.v4.new_code_cell("x")
        cell.outputs = [
            nbformat.v4.new_output(
                "display_data",
                data={
                    "text/markdown": "- West [Europe](javascript:alert(1))\n"
                    "- ![t](https://evil.example/t.png)"
                },
            )
        ]
        nb.cells = [nbformat.v4.new_markdown_cell("# Title"), cell]
        src = tmp_path / "n.ipynb"
        nbformat.write(nb, src)
        page = publish.notebook_to_html(src, tmp_path / "n.html").read_text()
        assert (
            'href="javascript' not in page
            and "evil.example" not in page.split("Content-Security-Policy")[0]
        )
        assert '<img src="https://evil' not in page

    def test__terminal_lines_and_notes_carry_no_escape_bytes(self, capsys):
        from marketlib.report.run import say, warn
        from marketlib.sanitize import one_line

        say("path \x1b[2J\x1b]0;title\x07 done")
        warn("bad \x1b[31mred\x1b[0m\nsecond line")
        cap = capsys.readouterr()
        assert "\x1b" not in cap.out + cap.err and "\x07" not in cap.out
        assert cap.err.count("\n") == 1
        assert one_line("a\n# b\r\n\tc") == "a # b c"

    def test__the_brief_carries_the_runs_notes(self, tmp_path):
        from marketlib.brief import brief_html

        results = small_results()
        results["run"]["notes"] = [
            "Fresh data could not be fetched; this run uses the pinned snapshot."
        ]
        (tmp_path / "figures").mkdir()
        page = brief_html(results, tmp_path)
        assert "Note for this run:" in page and "pinned snapshot" in page


def test__a_base_of_one_country_is_said():
    """Hostile round 4, item 17: ratios to a one-country base say so."""

    results = {
        "arbitrage": {
            "base": "North America",
            "hours_per_year": 2080,
            "raw": [{"group": "North America", "n_countries": 1, "top_country": "USA"}],
        },
        "run": {"rates_source": "a pay file"},
    }
    assert "The base is one country (USA)" in sections.arbitrage_intro(results)
    results["arbitrage"]["raw"][0]["n_countries"] = 2
    assert "one country" not in sections.arbitrage_intro(results)


def test__regional_finding_quotes_the_audited_claims_or_none():
    """Issue 32, item 4: the sentence on the claims' years quotes the claims the run audited
    (their values, from results.json), and names no article figure when there are none."""
    from marketlib.results_view import upgrade
    from marketlib.sections.regional import regional_findings

    r = upgrade(small_results())
    extra = [dict(x, **{"from": "2022", "to": "2023"}) for x in r["regional"]]
    r["regional"] = extra + r["regional"]
    r["claims"] = [
        {
            "id": "g1",
            "check": "data_growth",
            "text": "A grew 20%",
            "verdict": "x",
            "detail": "",
            "value": 0.2,
            "period_from": "2022",
            "period_to": "2023",
        },
        {
            "id": "g2",
            "check": "data_growth",
            "text": "B grew 55%",
            "verdict": "x",
            "detail": "",
            "value": 0.55,
            "period_from": "2022",
            "period_to": "2023",
        },
    ]
    text = " ".join(regional_findings(r)[1])
    assert "audited regional growth claims (+20% to +55% certifications" in text
    assert "38%" not in text and "67%" not in text
    r["claims"] = None
    text = " ".join(regional_findings(r)[1])
    assert "In 2022 to 2023, this activity grew" in text and "claims" not in text


def test__point_in_time__data_from_after_as_of_are_said():
    """Issue 32, item 8: as_of earlier than the data's collection is said, with the rows
    left out; data collected before as_of say nothing."""
    from marketlib.sections import reading_notes

    r = {
        "run": {
            "as_of": "2025-06-30",
            "provenance": [
                {
                    "dataset": "aijobs",
                    "sha256": "0" * 64,
                    "retrieved_at": "2026-12-06T21:05:29+00:00",
                }
            ],
        },
        "cleaning": {"rates": {"reasons": {"date_out_of_range": 1234}}},
    }
    text = " ".join(reading_notes(r))
    assert "aijobs was retrieved on 2026-12-06, after this run's date 2025-06-30" in text
    assert "(1,234 pay rows)" in text and "--data-ref" in text
    r["run"]["as_of"] = "2026-12-07"
    assert "Point in time" not in " ".join(reading_notes(r))


def test__every_requested_topic_is_on_the_summary_table():
    """Issue 32, item 3: with two topics both appear, in the order asked for."""
    from marketlib.results_view import upgrade
    from marketlib.sections.regional import topics_table

    r = upgrade(small_results())
    second = [dict(x, subject="pytorch", growth=0.3) for x in r["regional"]]
    r["regional"] = r["regional"] + second
    r["run"]["params"]["regional"] = {"subjects": ["pytorch", "kubernetes"]}
    t = topics_table(r)
    assert [c.split(",")[0] for c in t.columns[1:]] == ["PyTorch", "Kubernetes"]
    assert len(t) == len({x["region"] for x in r["regional"]})
    assert t.iloc[0, 1].startswith("+30%")


def test__row_funnel__every_count_adds_up_to_the_rows_used():
    """Issue 32, item 7: rows in -> rejected -> each filter -> used, from the same lists the
    estimates use; each "left out" is the difference of its neighbours; the last row is the
    groups' n summed."""
    from marketlib.sections.arbitrage_tables import funnel_table

    r = {
        "cleaning": {
            "rates": {
                "rows_in": 1000,
                "rows_clean": 990,
                "rows_rejected": 10,
                "reasons": {"unknown_country": 7, "unparseable_amount": 3},
            }
        },
        "arbitrage": {
            "rate_kind": "salary",
            "selection_log": [
                {"step": "clean rows", "rows": 990},
                {"step": "rate_kind == salary", "rows": 950},
                {"step": "not is_duplicate", "rows": 700},
                {"step": "range pairs: collapse", "rows": 640},
            ],
            "regions": [{"group": "A", "n": 400}, {"group": "B", "n": 230}],
        },
    }
    t = funnel_table(r)
    rows = [int(x.replace(",", "")) for x in t["Rows"]]
    left = [int(x.replace(",", "")) if x else None for x in t["Left out"]]
    assert rows == [1000, 990, 950, 700, 640, 630, 630]
    assert all(left[i] == rows[i - 1] - rows[i] for i in range(1, len(rows) - 1))
    assert "unknown country 7" in t["Step"].iloc[1]
    assert t["Step"].iloc[-2] == "rows without a group of the region scheme"
    assert not any("_" in s for s in t["Step"])  # words for readers


def test__changes_sentence_counts_the_same_list_and_keeps_every_lead():
    """Issue 32, item 2: the change sentence's counts are the change block's; adding it never
    drops a lead bullet."""
    from marketlib.results_view import upgrade
    from marketlib.sections.summary import key_findings

    r = upgrade(small_results())
    before = key_findings(r)
    r["changes"] = {
        "previous": {"as_of": "2026-10-26"},
        "estimates": (
            [{"verdict": "changed"}] * 2
            + [{"verdict": "within_uncertainty"}] * 62
            + [{"verdict": "not_testable"}] * 5
        ),
    }
    after = key_findings(r)
    since = [s for s in after if s.startswith("Since the previous report")]
    assert since == [
        "Since the previous report (as of 2026-10-26), of 69 estimates compared: "
        "2 changed beyond their uncertainty, 62 moved within it and 5 could not "
        "be tested (no interval in one of the runs)."
    ]
    leads = [s for s in before if "(typical country)" in s or "(respondents pooled)" in s]
    assert leads and all(s in after for s in leads)


# --- hostile input: markup and local files in pages -------------------------------------------


@settings(max_examples=40, deadline=None)
@given(text=st.one_of(st.sampled_from(MARKUP), st.text(min_size=1, max_size=40)))
def test__to_html__headers_cells_and_captions_escaped(text):
    html = publish.to_html(pd.DataFrame({text: [text], "n": [1]}), caption=text)
    assert "<script" not in html.lower().replace("&lt;script", "")
    assert "<img" not in html and "<iframe" not in html
    if "<" in text:
        assert "&lt;" in html


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


# --- a run with sections skipped: the summary page says only what ran -------------------------


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
    from marketlib import publish, sections

    r = _pay_only_results()
    intro = sections.summary_intro(r)
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


def test__team_savings_with_assumptions__percents_like_the_savings():
    from marketlib.publish.html import percent_columns

    cols = percent_columns(["group", "savings_p05", "with_assumptions_p05", "team_annual_cost_p50"])
    assert set(cols) == {"savings_p05", "with_assumptions_p05"}


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
