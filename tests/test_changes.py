"""``changes``: two hand-made runs with known differences, and finding the previous run."""

from __future__ import annotations

import copy
import json
import math
from pathlib import Path
from typing import Any

import pytest
from hostile import MARKUP

from marketlib import changes as ch
from marketlib.changes import find_previous_run, load_previous, show_changes
from marketlib.changes.words import MAX_LISTED
from marketlib.sources import InputError

SHA_A = "a" * 64
SHA_B = "b" * 64
SHA_T = "c" * 64
SHA_C = "d" * 64


def region(
    name: str,
    n: int,
    ratio: float | None = None,
    lo: float | None = None,
    hi: float | None = None,
    n_countries: int = 5,
) -> dict[str, Any]:
    item: dict[str, Any] = {
        "region": name,
        "n": n,
        "n_countries": n_countries,
        "reported": ratio is not None,
    }
    if ratio is not None:
        item.update({"ratio_to_base": ratio, "ratio_ci_low": lo, "ratio_ci_high": hi})
    return item


def previous_run() -> dict[str, Any]:
    return {
        "run": {
            "as_of": "2024-10-27",
            "started": "2024-10-27T06:00:00+00:00",
            "params": {
                "as_of": "2024-10-27",
                "clean": {"scheme": "article"},
                "arbitrage": {
                    "hours_per_year": 2080,
                    "base": "North America",
                    "geography": "subregion",
                    "rate_kind": "salary",
                    "ci_level": 0.95,
                    "team": [
                        {"role_family": "ML/AI Engineer", "experience": "senior", "headcount": 3}
                    ],
                },
                "growth": {"freq": "Y", "start": "2021", "end": "2023", "group_by": ["region"]},
                "regional": {
                    "measure": "topic_pushers",
                    "subjects": ["kubernetes"],
                    "group_by": ["region"],
                    "start": 2022,
                    "end": 2024,
                    "composition": "constant",
                    "latest_quarters": 4,
                },
            },
            "inputs": {
                "data/raw/aijobs/snapshots/2024-10-27/salaries.csv": SHA_A,
                "data/raw/innovationgraph/snapshots/2024q4/topics.csv": SHA_T,
                "data/raw/claims/article_claims.csv": SHA_C,
            },
            "provenance": [
                {
                    "path": "data/raw/aijobs/snapshots/2024-10-27/salaries.csv",
                    "dataset": "aijobs",
                    "ref": "2024-10-27",
                    "commit": "e96d0f6060784647b29aa4e21d179d6dbf9193bf",
                    "sha256": SHA_A,
                }
            ],
        },
        "arbitrage": {
            "base": "North America",
            "geography": "subregion",
            "hours_per_year": 2080,
            "rate_kind": "salary",
            "min_n": 30,
            "regions": [
                region("North America", 5000, 1.0, 1.0, 1.0, 2),
                region("Eastern Europe", 120, 0.36, 0.33, 0.39, 7),
                region("Western Europe", 400, 0.60, 0.55, 0.65),
                region("South Asia", 25),
            ],
            "adjusted": [
                {
                    "region": "Eastern Europe",
                    "ratio_to_base": 0.36,
                    "ci_low": 0.33,
                    "ci_high": 0.39,
                    "controls": ["experience", "role_family", "year"],
                },
                {
                    "region": "Western Europe",
                    "ratio_to_base": 0.62,
                    "ci_low": 0.57,
                    "ci_high": 0.67,
                    "controls": ["experience", "role_family", "year"],
                },
            ],
            "team": [
                {
                    "group": "Eastern Europe",
                    "savings_p05": 0.40,
                    "savings_p50": 0.50,
                    "savings_p95": 0.60,
                }
            ],
        },
        "growth": {
            "freq": "Y",
            "group_by": ["region"],
            "periods": ["2021", "2022", "2023"],
            "period_growth": [
                {
                    "group": {"region": "World"},
                    "from": "2022",
                    "to": "2023",
                    "growth": 0.30,
                    "ci_low": 0.20,
                    "ci_high": 0.41,
                    "status": "ok",
                }
            ],
        },
        "regional": [
            {
                "measure": "topic_pushers",
                "subject": "kubernetes",
                "region": "Europe",
                "from": "2022",
                "to": "2023",
                "growth": 0.105,
                "ci_low": 0.05,
                "ci_high": 0.16,
                "composition": "constant",
                "economies": ["DEU", "FRA", "GBR"],
            },
            {
                "measure": "topic_pushers",
                "subject": "kubernetes",
                "region": "Europe",
                "from": "2023Q1-2023Q4",
                "to": "2024Q1-2024Q4",
                "growth": -0.012,
                "ci_low": -0.06,
                "ci_high": 0.04,
                "composition": "constant",
                "economies": ["DEU", "FRA", "GBR"],
            },
        ],
        "claims": [
            {
                "id": "C1",
                "text": "Eastern Europe costs 40% of North America",
                "verdict": "supported_by_data",
                "detail": "inside the CI",
            },
            {
                "id": "C2",
                "text": "APAC grew 67%",
                "verdict": "untestable",
                "detail": "no regional data",
            },
        ],
        "cleaning": {
            "rates": {"rows_in": 57194, "rows_clean": 50000, "rows_rejected": 7194, "reasons": {}},
            "activity": {
                "rows_in": 60000,
                "rows_clean": 59000,
                "rows_rejected": 1000,
                "reasons": {},
            },
        },
    }


def current_run() -> dict[str, Any]:
    cur = copy.deepcopy(previous_run())
    cur["run"].update({"as_of": "2025-01-19", "started": "2025-01-19T06:00:00+00:00"})
    cur["run"]["params"]["as_of"] = "2025-01-19"
    cur["run"]["inputs"] = {
        "data/raw/aijobs/salaries.csv": SHA_B,
        "data/raw/innovationgraph/topics.csv": SHA_B.replace("b", "e"),
        "data/raw/claims/article_claims.csv": SHA_C,
    }
    cur["run"]["provenance"] = [
        {
            "path": "data/raw/aijobs/salaries.csv",
            "dataset": "aijobs",
            "ref": "pinned",
            "commit": "9c225876510af8fbdabdb7ca39d1a6d44be0072b",
            "sha256": SHA_B,
        }
    ]
    arb = cur["arbitrage"]
    arb["regions"][1] = region("Eastern Europe", 150, 0.37, 0.34, 0.40, 8)  # within
    arb["regions"][3] = region("South Asia", 34, 0.20, 0.15, 0.25)  # crosses the floor
    arb["adjusted"][0].update({"ratio_to_base": 0.42, "ci_low": 0.39, "ci_high": 0.45})  # moved
    cur["claims"][0].update({"verdict": "contradicted_by_data", "detail": "outside the CI"})
    cur["regional"][1].update(
        {"from": "2023Q4-2024Q3", "to": "2024Q4-2025Q3", "economies": ["DEU", "FRA", "GBR", "POL"]}
    )
    cur["cleaning"]["rates"]["rows_in"] = 74301
    cur["cleaning"]["activity"]["rows_in"] = 72885
    return cur


def by(changes: dict[str, Any], quantity: str, key: str) -> dict[str, Any]:
    return next(e for e in changes["estimates"] if e["quantity"] == quantity and e["key"] == key)


def test__compare_results__moved_beyond_and_within_uncertainty():
    c = ch.compare_results(previous_run(), current_run(), "reports/2024-10-27/results.json")
    assert c["previous"] == {"as_of": "2024-10-27", "results": "reports/2024-10-27/results.json"}
    adj = by(c, "adjusted_ratio_to_base", "Eastern Europe")
    assert adj["verdict"] == "changed"
    se_old = (math.log(0.39) - math.log(0.33)) / (2 * 1.959964)
    se_new = (math.log(0.45) - math.log(0.39)) / (2 * 1.959964)
    z = (math.log(0.42) - math.log(0.36)) / math.hypot(se_old, se_new)
    assert adj["z"] == pytest.approx(z, abs=1e-3) and z > 1.96
    assert adj["old"] == 0.36 and adj["old_ci"] == [0.33, 0.39] and adj["new_ci"] == [0.39, 0.45]
    assert "log" in adj["test"] and "independent" in adj["test"] and "1.96" in adj["test"]
    raw = by(c, "ratio_to_base", "Eastern Europe")
    assert raw["verdict"] == "within_uncertainty" and abs(raw["z"]) < 1.96
    # unchanged estimates are compared too (z = 0); the base is never compared with itself
    assert by(c, "ratio_to_base", "Western Europe")["z"] == 0
    assert not [e for e in c["estimates"] if e["key"] == "North America"]
    # regional rows keyed by measure/subject/region/from/to: the moved window is not matched
    reg = [e for e in c["estimates"] if e["section"] == "regional"]
    assert [e["key_fields"]["from"] for e in reg] == ["2022"]
    assert by(c, "period_growth", "World 2022 to 2023")["verdict"] == "within_uncertainty"
    assert by(c, "team_savings", "Eastern Europe")["interval_level"] == [0.9, 0.9]
    assert c["counts"]["changed"] == 1 and c["counts"]["identical"] == 5
    json.dumps(c, allow_nan=False)  # JSON-ready, no NaN


def test__compare_results__floor_claims_inputs():
    c = ch.compare_results(previous_run(), current_run())
    assert c["groups_crossing_floor"] == [
        {
            "section": "arbitrage",
            "group": "South Asia",
            "old_reported": False,
            "new_reported": True,
            "old_n": 25,
            "new_n": 34,
            "old_min_n": 30,
            "new_min_n": 30,
            "direction": "now reported",
        }
    ]
    assert [(f["id"], f["old"], f["new"]) for f in c["claims_flipped"]] == [
        ("C1", "supported_by_data", "contradicted_by_data")
    ]
    inputs = {i["dataset"]: i for i in c["inputs"]}
    assert set(inputs) == {"aijobs", "innovationgraph/topics"}  # claims file unchanged
    aij = inputs["aijobs"]
    assert aij["status"] == "snapshot changed" and aij["rows_added"] == 74301 - 57194
    assert aij["old"]["ref"] == "2024-10-27" and aij["new"]["ref"] == "pinned"
    assert {"region": "Eastern Europe", "old": 7, "new": 8} in aij["countries_by_region"]
    topics = inputs["innovationgraph/topics"]
    assert topics["new_economies"] == ["POL"] and topics["data_through"] == ["2024Q4", "2025Q3"]


def test__compare_results__other_definitions_are_not_compared():
    cur = current_run()
    cur["arbitrage"]["hours_per_year"] = 2087
    cur["run"]["params"]["arbitrage"]["hours_per_year"] = 2087
    cur["run"]["params"]["regional"]["composition"] = "published"
    c = ch.compare_results(previous_run(), cur)
    for section in ("arbitrage", "adjusted", "team", "regional"):
        assert c["comparable"][section]["comparable"] is False
    assert c["comparable"]["arbitrage"]["differences"] == [
        {"parameter": "hours_per_year", "old": 2080, "new": 2087}
    ]
    assert "composition" in c["comparable"]["regional"]["reason"]
    assert c["comparable"]["growth"]["comparable"] is True
    assert {e["section"] for e in c["estimates"]} == {"growth"}
    assert c["groups_crossing_floor"] == []  # the floor is an arbitrage fact: not compared
    text = " ".join(ch.changes_markdown(c))
    assert "Not compared: raw pay ratios" in text and "hours_per_year 2080 -> 2087" in text


def test__changes_markdown_and_table():
    c = ch.compare_results(previous_run(), current_run())
    lines = ch.changes_markdown(c)
    assert lines[0].startswith("Compared with the report as of 2024-10-27: 1 of ")
    assert (
        "Eastern Europe's adjusted pay ratio moved from 0.36 (0.33-0.39) to 0.42 "
        "(0.39-0.45): beyond its combined uncertainty (z = 2.7)."
    ) in lines
    assert any(s.startswith("South Asia now has enough observations") for s in lines)
    # a claim is named by its words, never by its id (issue 32: no codes on pages)
    assert any(
        'Claim "Eastern Europe costs 40% of North America' in s
        and "now contradicted by data" in s
        and "C1" not in s
        for s in lines
    )
    assert any(
        "aijobs salary survey is a new snapshot (2024-10-27 -> pinned commit 9c22587)" in s
        and "+17,107" in s
        for s in lines
    )
    table = ch.changes_table(c)
    assert list(table.columns) == ch.TABLE_COLUMNS and len(table.columns) <= 7
    assert table["Estimate"].tolist() == [
        "Eastern Europe's adjusted pay ratio",
        "South Asia sample size",
        'Claim "Eastern Europe costs 40% of North America"',
    ]
    assert table.iloc[0]["Change"] == "+0.06" and table.iloc[0]["Against uncertainty"] == "z = 2.7"
    assert all(isinstance(v, str) for v in table.to_numpy().ravel())
    assert ch.changes_markdown(None) == [] and ch.changes_table(None).empty


def test__compare_results__regions_equal_country_ratio_the_pages_lead_with():
    prev, cur = previous_run(), current_run()
    prev["arbitrage"]["regions"][1].update(
        {
            "ratio_equal_country": 0.40,
            "ratio_equal_country_ci_low": 0.30,
            "ratio_equal_country_ci_high": 0.50,
        }
    )
    cur["arbitrage"]["regions"][1].update(
        {
            "ratio_equal_country": 0.60,
            "ratio_equal_country_ci_low": 0.55,
            "ratio_equal_country_ci_high": 0.65,
        }
    )
    c = ch.compare_results(prev, cur)
    e = by(c, "equal_country_ratio", "Eastern Europe")
    assert e["old"] == 0.40 and e["new"] == 0.60 and e["verdict"] == "changed"
    assert "equal-country pay ratio to North America" in e["label"]
    # a group whose equal-country figure has no interval is not compared on it
    assert not [
        x
        for x in c["estimates"]
        if x["quantity"] == "equal_country_ratio" and x["key"] != "Eastern Europe"
    ]


def test__z_score__missing_or_out_of_domain_is_not_testable():
    assert ch.z_score(0.3, (None, 0.4), 0.3, (0.2, 0.4), "log") is None
    assert ch.z_score(-1.5, (-2, -1), 0.1, (0, 0.2), "log1p") is None
    assert ch.z_score(0.5, (0.4, 0.6), 0.55, (0.45, 0.65), "log1m") > 0  # sign of new - old
    prev, cur = previous_run(), current_run()
    del cur["arbitrage"]["adjusted"][1]["ci_low"]
    e = by(ch.compare_results(prev, cur), "adjusted_ratio_to_base", "Western Europe")
    assert e["verdict"] == "not_testable" and e["z"] is None


def write_run(root: Path, folder: str, as_of: str, started: str = "") -> Path:
    d = root / folder
    d.mkdir(parents=True)
    (d / "results.json").write_text(json.dumps({"run": {"as_of": as_of, "started": started}}))
    return d


def test__find_previous_run__newest_earlier_run(tmp_path):
    root = tmp_path / "reports"
    assert ch.find_previous_run(root, "2024-11-26") is None  # no reports yet
    write_run(root, "2024-09-01", "2024-09-01")
    write_run(root, "2024-10-27", "2024-10-27")
    write_run(root, "2024-11-26", "2024-11-26")  # this run's own folder: not earlier
    write_run(root, "2024-12-01", "2024-12-01")  # later
    write_run(root, "2024-11-01.failed", "2024-11-01")
    write_run(root, ".2024-11-02.run-123", "2024-11-02")
    (root / "2024-11-03").mkdir()
    (root / "2024-11-03" / "results.json").write_text("{not json")
    (root / "2024-11-04").mkdir()  # no results.json
    assert ch.find_previous_run(root, "2024-11-26") == root / "2024-10-27"
    assert ch.find_previous_run(root, "2024-10-27") == root / "2024-09-01"
    assert ch.find_previous_run(root, "2024-09-01") is None
    # a custom --out folder name: as_of comes from results.json, ties broken by start time
    write_run(root, "custom", "2024-10-27", "2024-10-27T09:00:00+00:00")
    assert ch.find_previous_run(root, "2024-11-26") == root / "custom"


def test__load_previous__folder_or_file(tmp_path):
    d = write_run(tmp_path, "2024-10-27", "2024-10-27")
    assert ch.load_previous(d)["run"]["as_of"] == "2024-10-27"
    assert ch.load_previous(d / "results.json")["run"]["as_of"] == "2024-10-27"
    with pytest.raises(InputError, match="previous results not found"):
        ch.load_previous(tmp_path / "nope")
    (tmp_path / "x.json").write_text("[1, 2]")
    with pytest.raises(InputError, match="no run section"):
        ch.load_previous(tmp_path / "x.json")


def test__changes_since__default_previous_and_first_run(tmp_path):
    root = tmp_path / "reports"
    cur = current_run()
    assert ch.changes_since(cur, reports_root=root) is None  # first run
    d = root / "2024-10-27"
    d.mkdir(parents=True)
    (d / "results.json").write_text(json.dumps(previous_run()))
    c = ch.changes_since(cur, reports_root=root)
    assert c is not None and c["previous"] == {
        "as_of": "2024-10-27",
        "results": "reports/2024-10-27/results.json",
    }
    explicit = ch.changes_since(cur, compare_to=d / "results.json", reports_root=root)
    assert explicit is not None and explicit["counts"] == c["counts"]
    assert str(tmp_path) not in json.dumps(c)


def test__compare_to_a_run_written_before_the_renames(tmp_path):
    """results.json version 2 names arbitrage groups ``group`` and says what each bound
    bounds; a previous run written with version-1 names (``region``, ``ci_low``) is read
    through the upgrade, so --compare-to and the history still work across the change."""
    from marketlib.results_view import SCHEMA_VERSION, upgrade

    old_names = previous_run()  # version 1: no schema_version, "region" and "ci_low"
    now = upgrade(current_run())
    now["run"]["schema_version"] = SCHEMA_VERSION
    assert "group" in now["arbitrage"]["regions"][0]
    assert "region" not in now["arbitrage"]["regions"][0]
    adjusted = now["arbitrage"].get("adjusted") or []
    assert all("ci_low" not in a for a in adjusted)
    d = tmp_path / "2024-10-27"
    d.mkdir()
    (d / "results.json").write_text(json.dumps(old_names))
    loaded = ch.load_previous(d)
    assert loaded["arbitrage"]["regions"][0]["group"] == "North America"
    across = ch.changes_since(now, compare_to=d)
    same = ch.compare_results(previous_run(), current_run())
    assert across["counts"] == same["counts"] and across["counts"]["estimates"] > 0
    assert [e["key"] for e in across["estimates"]] == [e["key"] for e in same["estimates"]]
    assert upgrade(now) is now  # version 2 is read as it is


class TestAHugePreviousRunNeverFloodsThePage:
    """Hostile round 4, item 15: the What-changed block is capped and says how much more."""

    def test__listed_changes_are_capped_and_counted(self):
        c = ch.compare_results(previous_run(), current_run())
        floor = c["groups_crossing_floor"][0]
        c["groups_crossing_floor"] = [{**floor, "group": f"G{i}"} for i in range(5000)]
        lines = ch.changes_markdown(c)
        floors = [s for s in lines if "now has enough observations" in s]
        assert len(floors) == MAX_LISTED
        assert any(s.startswith(f"{5000 - MAX_LISTED:,} more groups crossed") for s in lines)
        assert len(" ".join(lines)) < 20_000


# --- hostile input: markup in a previous run, and a bad previous run --------------------------


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
