"""Clean tables on disk: the three outputs written together, read back with provenance."""

from __future__ import annotations

import json

import pandas as pd
import pytest
from conftest import frame

from marketlib.clean import CleanParams, clean_rates
from marketlib.fields import FieldError, validate
from marketlib.sources import InputError, read_rejected_csv, sha256_file
from marketlib.storage import read_clean_table, write_outputs

GEN = (
    "country,amount,currency,unit,date\nUS,100,USD,hour,2023\nDE,=1+2,EUR,hour,2023\n"
    "FR,12,EUR,hour,2023\n"
)


def _result():
    return clean_rates(
        frame(GEN), "generic", CleanParams(max_date="2026-01-01"), source_file="g.csv"
    )


def test__read_clean_table__round_trip_with_provenance(tmp_path):
    r = _result()
    paths = write_outputs(r, tmp_path, {"g.csv": "0" * 64})
    table, prov = read_clean_table(paths["table"])
    pd.testing.assert_frame_equal(table, r.clean)
    assert prov["path"] == "rates.parquet"  # never an absolute path
    assert prov["sha256"] == sha256_file(paths["table"])
    assert prov["report"]["rows_in"] == 3 and prov["report"]["inputs"] == {"g.csv": "0" * 64}
    back = read_rejected_csv(paths["rejected"])  # formula neutralised on disk, restored here
    assert back["amount"].tolist() == ["=1+2"]
    assert "'=1+2" in paths["rejected"].read_text()


def test__read_clean_table__refuses_missing_and_non_parquet(tmp_path):
    with pytest.raises(InputError, match="file not found"):
        read_clean_table(tmp_path / "nope.parquet")
    csv = tmp_path / "t.csv"
    csv.write_text("a\n1\n")
    with pytest.raises(InputError, match="not a clean table"):
        read_clean_table(csv)
    bad = tmp_path / "rates.parquet"
    bad.write_bytes(b"not parquet")
    with pytest.raises(InputError, match="not a readable Parquet"):
        read_clean_table(bad)


def test__write_outputs__refuses_a_table_that_breaks_the_field_dictionary(tmp_path):
    r = _result()
    r.clean.loc[0, "hourly_usd"] = -5.0
    with pytest.raises(FieldError, match="hourly_usd"):
        write_outputs(r, tmp_path, {})
    assert not (tmp_path / "rates.parquet").exists()  # nothing written


def test__field_dictionary__every_clean_column_is_described():
    r = _result()
    validate(r.clean, "rates")
    from marketlib.fields import undocumented

    assert undocumented(r.clean, "rates") == []
    report = json.dumps(r.report)
    assert "rows_in" in report


def test__read_clean_table__reads_a_partitioned_dataset_folder(tmp_path):
    import hashlib

    r = _result()
    folder = tmp_path / "rates.parquet"  # as `clean rates --engine dask` writes it
    folder.mkdir()
    r.clean.iloc[:1].to_parquet(folder / "part.00000.parquet", index=False)
    r.clean.iloc[1:].to_parquet(folder / "part.00001.parquet", index=False)
    (tmp_path / "rates_clean_report.json").write_text(json.dumps({"rows_in": 3}))
    table, prov = read_clean_table(folder)
    pd.testing.assert_frame_equal(table, r.clean)
    parts = sorted(folder.glob("*.parquet"))
    assert prov["sha256"] == hashlib.sha256(b"".join(p.read_bytes() for p in parts)).hexdigest()
    assert prov["path"] == "rates.parquet" and prov["report"] == {"rows_in": 3}
    empty = tmp_path / "empty.parquet"
    empty.mkdir()
    with pytest.raises(InputError, match="not a clean table"):
        read_clean_table(empty)


def test__write_outputs__replaces_a_leftover_dataset_folder_and_the_reverse(tmp_path):
    from marketlib.sources import atomic_output_dir

    r = _result()
    old = tmp_path / "rates.parquet"
    old.mkdir()
    r.clean.iloc[:1].to_parquet(old / "part.00000.parquet", index=False)
    paths = write_outputs(r, tmp_path, {})
    assert paths["table"].is_file()
    pd.testing.assert_frame_equal(read_clean_table(paths["table"])[0], r.clean)
    with atomic_output_dir(tmp_path, replace=("rates.parquet",)) as tmp:  # the Dask writer
        (tmp / "rates.parquet").mkdir()
        r.clean.to_parquet(tmp / "rates.parquet" / "part.00000.parquet", index=False)
    assert [p.name for p in old.iterdir()] == ["part.00000.parquet"]
    pd.testing.assert_frame_equal(read_clean_table(old)[0], r.clean)
    assert not [p for p in tmp_path.parent.iterdir() if p.name.startswith(f".{tmp_path.name}.")]
