from __future__ import annotations

import csv
import hashlib
import os
import re
import signal
import stat
import subprocess
import sys
import threading
import time
import urllib.request
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from marketlib import sources
from marketlib.cli import main
from marketlib.frames import parse_numbers
from marketlib.paths import project_root
from marketlib.sources import (
    MALFORMED,
    InputError,
    atomic_output_dir,
    atomic_write_bytes,
    atomic_write_csv,
    atomic_write_jsonl,
    neutralise_formulas,
    read_csv_text,
    read_jsonl,
    read_rejected_csv,
    restore_formulas,
    write_rejected,
)
from marketlib.sources.yamlfile import read_yaml

DEFAULT = project_root() / "params" / "default.yaml"


def write(tmp_path: Path, name: str, data: bytes) -> Path:
    p = tmp_path / name
    p.write_bytes(data)
    return p


@pytest.mark.parametrize(
    ("data", "problem"),
    [
        (b"", "empty"),
        (b"   \n\n", "empty"),
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00IHDR", "binary"),
        ("country,amount\nFrance,1\n".encode("utf-16-le"), "UTF-16 (LE) encoded; re-save as UTF-8"),
        (
            "country,amount,currency,unit,date\nT\xfcrkiye,1,TRY,year,2023\n".encode("latin-1"),
            "UTF-8",
        ),
        (b"country,amount\nUS,1\n", "required column(s) missing: currency, unit, date"),
    ],
)
def test__read_csv_text__refuses_unusable_files(tmp_path, data, problem):
    p = write(tmp_path, "in.csv", data)
    with pytest.raises(InputError) as err:
        read_csv_text(p, required=("country", "amount", "currency", "unit", "date"))
    assert str(p) in str(err.value)
    assert problem in str(err.value)


def test__read_csv_text__missing_file_and_directory(tmp_path):
    with pytest.raises(InputError, match="file not found"):
        read_csv_text(tmp_path / "nope.csv")
    with pytest.raises(InputError, match="directory"):
        read_csv_text(tmp_path)


def test__read_csv_text__headers_case_insensitive_any_order_bom(tmp_path):
    p = write(tmp_path, "in.csv", '\ufeffDate, AMOUNT,Country\n2023,"1,000",UK\n'.encode())
    t = read_csv_text(p, required=("country", "amount", "date"))
    assert list(t.frame.columns) == ["date", "amount", "country"]
    assert t.frame.loc[0, "amount"] == "1,000"
    assert t.sha256 == hashlib.sha256(p.read_bytes()).hexdigest()


def test__read_csv_text__duplicate_columns_after_case_folding(tmp_path):
    p = write(tmp_path, "in.csv", b"Country,country\nUS,US\n")
    with pytest.raises(InputError, match="duplicate column"):
        read_csv_text(p)


def test__atomic_write__no_partial_file_on_failure(tmp_path, monkeypatch):
    target = tmp_path / "t.parquet"
    sources.atomic_write_bytes(target, b"old")

    def boom(*_a, **_k):
        raise OSError("disk full")

    monkeypatch.setattr(sources.os, "fsync", boom)
    with pytest.raises(OSError):
        sources.atomic_write_bytes(target, b"new content")
    assert target.read_bytes() == b"old"
    assert [p.name for p in tmp_path.iterdir()] == ["t.parquet"]


def test__fetch_aijobs__offline_without_mirror_is_a_clear_error(tmp_path, monkeypatch, capsys):
    monkeypatch.delenv("MARKETLIB_MIRROR", raising=False)

    def offline(*_a, **_k):
        raise urllib.error.URLError("Name or service not known")

    monkeypatch.setattr(urllib.request, "urlopen", offline)
    assert main(["fetch", "aijobs", "--dest", str(tmp_path)]) == 2
    err = capsys.readouterr().err
    assert "download failed" in err and "MARKETLIB_MIRROR" in err
    assert "Traceback" not in err
    assert not any(tmp_path.rglob("*.csv"))


def test__fetch_aijobs__mirror_checksum_mismatch_refused(tmp_path, monkeypatch):
    mirror = tmp_path / "mirror"
    (mirror / "aijobs").mkdir(parents=True)
    (mirror / "aijobs" / "salaries.csv").write_text("work_year\n2024\n")
    monkeypatch.setenv("MARKETLIB_MIRROR", str(mirror))
    with pytest.raises(InputError, match="sha256 mismatch"):
        sources.fetch_aijobs(tmp_path / "dest")
    assert not (tmp_path / "dest" / "aijobs" / "salaries.csv").exists()


@pytest.mark.realdata
def test__fetch_aijobs__from_real_mirror(tmp_path, monkeypatch, shared_data):
    monkeypatch.setenv("MARKETLIB_MIRROR", str(shared_data))
    path = sources.fetch_aijobs(tmp_path)
    assert sources.sha256_file(path) == sources.AIJOBS_SHA256
    assert sources.AIJOBS_COMMIT in sources.AIJOBS_URL


@pytest.mark.parametrize("content", [b"", b"\x00\x01\x02", b"country\nUS\n"])
def test__cli_clean__bad_file_exit_2_nothing_written(tmp_path, capsys, content):
    bad = write(tmp_path, "bad.csv", content)
    good = write(tmp_path, "good.csv", b"country,amount,currency,unit,date\nUS,50,USD,hour,2023\n")
    out = tmp_path / "out"
    rc = main(["clean", "rates", str(good), str(bad), "--format", "generic", "--out", str(out)])
    assert rc == 2
    err = capsys.readouterr().err
    assert str(bad) in err and err.startswith("marketlib: error:")
    assert not out.exists()


def test__cli_clean__writes_three_outputs_and_invariant(tmp_path):
    src = write(
        tmp_path,
        "r.csv",
        (
            b"Country,Amount,Currency,Unit,Date,Role\n"
            b'USA,"150,000",USD,annual,2023,ML Engineer\n'
            b"Mars,10,USD,hour,2023,x\n"
        ),
    )
    out = tmp_path / "out"
    # 1 of 2 rows rejected: over the default 5% share, exit 4, the outputs written all the same
    assert main(["clean", "rates", str(src), "--format", "generic", "--out", str(out)]) == 4
    table = pd.read_parquet(out / "rates.parquet")
    rejected = pd.read_csv(out / "rates_rejected.csv")
    import json

    report = json.loads((out / "rates_clean_report.json").read_text())
    assert report["rows_in"] == 2 == report["rows_clean"] + report["rows_rejected"]
    assert report["inputs"][str(src)] == hashlib.sha256(src.read_bytes()).hexdigest()
    assert table["annual_usd"].tolist() == [150000.0]
    assert rejected[["source_row", "reason"]].values.tolist() == [[2, "unknown_country"]]
    assert rejected.loc[0, "country"] == "Mars"


def test__locate__fetched_copy_then_mirror_never_downloads(tmp_path, monkeypatch):
    # the copies must carry the pinned sha256 now (a mismatch is refused:
    # test__locate__refuses_a_mismatching_copy_and_caches_the_hash, below)
    ds = sources.DATASETS["ppp"]
    monkeypatch.setitem(
        sources.DATASETS,
        "ppp",
        sources.Dataset(ds.name, ds.relpath, ds.url, hashlib.sha256(b"x").hexdigest()),
    )
    monkeypatch.delenv("MARKETLIB_MIRROR", raising=False)
    assert sources.locate("ppp", tmp_path) is None
    mirror = tmp_path / "mirror"
    (mirror / "ppp").mkdir(parents=True)
    (mirror / "ppp" / sources.PPP_PLR_FILE).write_text("x")
    monkeypatch.setenv("MARKETLIB_MIRROR", str(mirror))
    assert sources.locate("ppp", tmp_path / "raw") == (mirror / "ppp" / sources.PPP_PLR_FILE)
    (tmp_path / "raw" / "ppp").mkdir(parents=True)
    (tmp_path / "raw" / "ppp" / sources.PPP_PLR_FILE).write_text("x")
    assert sources.locate("ppp", tmp_path / "raw") == (
        tmp_path / "raw" / "ppp" / sources.PPP_PLR_FILE
    )


def test__read_csv_text__ragged_rows_kept_and_marked(tmp_path):
    p = write(
        tmp_path,
        "in.csv",
        b'date,amount,country\n2023,1,US\n2023,2,US,extra\n\n2023,"3,5",DE\n2023,4\n',
    )
    frame = read_csv_text(p, required=("date", "amount", "country")).frame
    assert frame["amount"].tolist() == ["1", "2", "3,5", "4"]
    problems = frame[sources.MALFORMED].tolist()
    assert pd.isna(problems[0]) and pd.isna(problems[2])
    assert problems[1] == "line 3: 4 field(s) where the header has 3: 2023,2,US,extra"
    assert problems[3] == "line 6: 2 field(s) where the header has 3: 2023,4"
    well_formed = read_csv_text(write(tmp_path, "ok.csv", b"date,amount\n2023,1\n")).frame
    assert sources.MALFORMED not in well_formed.columns


def test__cli_clean__ragged_row_rejected_not_whole_file(tmp_path):
    ok = write(tmp_path, "ok.csv", b"country,amount,currency,unit,date\nUS,50,USD,hour,2023\n")
    ragged = write(
        tmp_path,
        "ragged.csv",
        b"country,amount,currency,unit,date\nUS,60,USD,hour,2023,oops\nDE,40,EUR,hour,2023\n",
    )
    out = tmp_path / "out"
    rc = main(
        [
            "clean",
            "rates",
            str(ok),
            str(ragged),
            "--format",
            "generic",
            "--out",
            str(out),
            "--max-rejected-share",
            "0.5",
        ]
    )
    assert rc == 0
    import json

    report = json.loads((out / "rates_clean_report.json").read_text())
    assert (report["rows_in"], report["rows_clean"], report["rows_rejected"]) == (3, 2, 1)
    rejected = pd.read_csv(out / "rates_rejected.csv")
    assert rejected[["source_file", "source_row", "reason"]].values.tolist() == [
        [str(ragged), 1, "malformed_row"]
    ]
    assert "line 2: 6 field(s)" in rejected.loc[0, "detail"] and "oops" in rejected.loc[0, "detail"]
    assert sources.MALFORMED not in pd.read_parquet(out / "rates.parquet").columns


class TestParameterYamlTakesWhatPeopleWrite:
    """Hostile round 4, items 6, 12 and 17: timestamps, merge keys, 5:00, and errors that never
    echo a file's lines."""

    def _load(self, tmp_path, text):
        from marketlib.params import load_report_params

        p = tmp_path / "p.yaml"
        p.write_text(f"extends: {DEFAULT}\n{text}")
        return load_report_params(p)

    def test__a_timestamp_as_of_is_refused_by_its_key_in_one_line(self, tmp_path):
        with pytest.raises(
            InputError, match="as_of must be a date YYYY-MM-DD, got '2026-11-26 10:00:00'"
        ):
            self._load(tmp_path, "as_of: 2026-11-26 10:00:00\n")

    def test__sexagesimal_is_text_and_refused_never_300(self, tmp_path):
        with pytest.raises(InputError, match="timeout_seconds"):
            self._load(tmp_path, "timeout_seconds: 5:00\n")

    def test__merge_keys_merge(self, tmp_path):
        from marketlib.sources.yamlfile import read_yaml

        f = tmp_path / "m.yaml"
        f.write_text(
            "base: &b {min_n: 40, base: Western Europe}\narbitrage:\n  <<: *b\n  min_n: 50\n"
        )
        assert read_yaml(f)["arbitrage"] == {"min_n": 50, "base": "Western Europe"}

    def test__extends_to_a_system_file_never_echoes_its_lines(self, tmp_path):
        from marketlib.params import load_report_params

        secret = tmp_path / "secret.txt"
        secret.write_text("root:SECRET-LINE:0:0\n  bad: indent: here\n")
        link = tmp_path / "base.yaml"
        link.symlink_to(secret)
        p = tmp_path / "p.yaml"
        p.write_text("extends: base.yaml\n")
        with pytest.raises(InputError) as err:
            load_report_params(p)
        assert "SECRET" not in str(err.value) and "not a .yaml" in str(err.value)
        bad = tmp_path / "bad.yaml"
        bad.write_text("a: SECRET-VALUE\n  b: c: d\n")
        with pytest.raises(InputError) as err:
            load_report_params(bad)
        assert "SECRET" not in str(err.value) and "line 2" in str(err.value)

    def test__paths_in_a_parameters_file_are_relative_to_it(self, tmp_path):
        (tmp_path / "maps").mkdir()
        p = self._load(
            tmp_path,
            "clean: {scheme: my_scheme.csv}\n"
            "inputs: {rates: {path: hr.csv, format: generic, "
            "columns: maps/c.yaml}}\n",
        )
        assert p.clean.scheme == str(tmp_path.resolve() / "my_scheme.csv")
        assert p.inputs.rates.path == str(tmp_path.resolve() / "hr.csv")
        assert p.inputs.rates.columns == str(tmp_path.resolve() / "maps" / "c.yaml")
        assert p.inputs.activity == "data/raw/innovationgraph"  # data/... is the data folder


class TestDownloadsHaveADeadlineAndAreCheckedBeforeTheyAreKept:
    """Hostile round 4, items 5 and 10: a slow drip, a cut body, an HTML page answered 200."""

    @pytest.fixture
    def server(self):
        import threading
        import time
        from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

        class H(BaseHTTPRequestHandler):
            def do_GET(self):  # noqa: N802
                self.send_response(200)
                if self.path == "/drip":
                    self.send_header("Content-Length", "1000")
                    self.end_headers()
                    for _ in range(40):
                        self.wfile.write(b"x")
                        self.wfile.flush()
                        time.sleep(0.2)
                elif self.path == "/cut":
                    self.send_header("Content-Length", "1000")
                    self.end_headers()
                    self.wfile.write(b"work_year,salary\n")
                    self.wfile.flush()
                    self.close_connection = True
                else:
                    self.end_headers()

            def log_message(self, *a):
                pass

        srv = ThreadingHTTPServer(("127.0.0.1", 0), H)
        threading.Thread(target=srv.serve_forever, daemon=True).start()
        yield f"http://127.0.0.1:{srv.server_address[1]}"
        srv.shutdown()
        srv.server_close()

    def test__a_slow_drip_stops_at_the_total_deadline(self, server):
        import time

        from marketlib.sources.download import download as _download

        t0 = time.monotonic()
        with pytest.raises(InputError, match="download failed"):
            _download(f"{server}/drip", 1.5, "hint")
        assert time.monotonic() - t0 < 5

    def test__a_cut_body_is_a_clear_error(self, server):
        from marketlib.sources.download import download as _download

        with pytest.raises(InputError, match="incomplete|download failed"):
            _download(f"{server}/cut", 5, "hint")

    @pytest.mark.parametrize(
        ("body", "why"),
        [
            (b"<!DOCTYPE html><html><title>rate limit</title></html>", "HTML page"),
            (b'{"message": "API rate limit exceeded"}', "JSON answer"),
            (b"a,b\n1,2\n", "not this dataset's layout"),
            (b"", "empty"),
        ],
    )
    def test__an_answer_that_is_not_the_dataset_is_named(self, body, why):
        from marketlib.sources.datasets import DATASETS
        from marketlib.sources.download import check_shape

        assert why in check_shape(body, DATASETS["aijobs"].expect)


# --- hostile input: reading CSV files ---------------------------------------------------------


SETTINGS = settings(
    max_examples=80, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)


HEADER = b"country,amount,currency,unit,date\n"
ROW = b"US,50,USD,hour,2023\n"


def test__read_csv_text__nul_byte_anywhere_is_binary(tmp_path):
    p = write(tmp_path, "late_nul.csv", HEADER + ROW * 10_000 + b"US,5\x000,USD,hour,2023\n")
    assert p.stat().st_size > 65536
    with pytest.raises(InputError, match="binary content") as err:
        read_csv_text(p)
    assert str(p) in str(err.value)


@pytest.mark.parametrize(
    ("codec", "name"),
    [
        ("utf-16", "UTF-16 (LE)"),
        ("utf-16-le", "UTF-16 (LE)"),
        ("utf-16-be", "UTF-16 (BE)"),
        ("utf-32", "UTF-32 (LE)"),
        ("utf-32-le", "UTF-32 (LE)"),
        ("utf-32-be", "UTF-32 (BE)"),
    ],
)
def test__read_csv_text__wide_encodings_named(tmp_path, codec, name):
    text = "country,amount,currency,unit,date\nFrance,1,EUR,hour,2023\n"
    data = text.encode(codec)
    if codec == "utf-16-be":
        data = b"\xfe\xff" + data  # with a BOM too, below without
    p = write(tmp_path, "wide.csv", data)
    with pytest.raises(InputError) as err:
        read_csv_text(p)
    assert f"{name} encoded; re-save as UTF-8" in str(err.value)
    assert str(p) in str(err.value) and "binary" not in str(err.value)
    assert sources.wide_encoding(data) == name
    assert sources.wide_encoding(text.encode("utf-8")) is None


def _alarm(seconds: int) -> None:
    def fail(*_a: object) -> None:
        raise TimeoutError("blocked: the input was opened before being checked")

    signal.signal(signal.SIGALRM, fail)
    signal.alarm(seconds)


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="no FIFOs here")
def test__read_csv_text__fifo_refused_before_reading(tmp_path):
    fifo = tmp_path / "pipe.csv"
    os.mkfifo(fifo)
    link = tmp_path / "link.csv"
    link.symlink_to(fifo)
    _alarm(10)
    try:
        for p in (fifo, link):
            with pytest.raises(InputError, match="FIFO") as err:
                read_csv_text(p)
            assert str(p) in str(err.value)
    finally:
        signal.alarm(0)


@pytest.mark.skipif(not Path("/dev/zero").exists(), reason="no /dev/zero")
def test__read_csv_text__device_refused_directly_and_through_symlink(tmp_path):
    link = tmp_path / "zero.csv"
    link.symlink_to("/dev/zero")
    _alarm(10)
    try:
        for p in (Path("/dev/zero"), link):
            with pytest.raises(InputError, match="character device, not a regular file"):
                read_csv_text(p)
    finally:
        signal.alarm(0)
    broken = tmp_path / "broken.csv"
    broken.symlink_to(tmp_path / "nowhere.csv")
    with pytest.raises(InputError, match="file not found"):
        read_csv_text(broken)


def test__read_csv_text__size_limit_before_reading(tmp_path, monkeypatch):
    assert sources.MAX_INPUT_BYTES == 2 * 1024**3
    p = write(tmp_path, "big.csv", HEADER + ROW * 100)
    monkeypatch.setenv("MARKETLIB_MAX_INPUT_BYTES", "1000")

    def no_open(*_a, **_k):
        raise AssertionError("opened a file over the limit")

    monkeypatch.setattr(sources.os, "open", no_open)
    with pytest.raises(InputError) as err:
        read_csv_text(p)
    assert str(p) in str(err.value) and "input limit of 1000 bytes" in str(err.value)
    assert "MARKETLIB_MAX_INPUT_BYTES" in str(err.value)
    monkeypatch.undo()
    monkeypatch.setenv("MARKETLIB_MAX_INPUT_BYTES", str(p.stat().st_size))
    assert len(read_csv_text(p).frame) == 100
    monkeypatch.setenv("MARKETLIB_MAX_INPUT_BYTES", "lots")
    with pytest.raises(InputError, match="MARKETLIB_MAX_INPUT_BYTES: not a positive integer"):
        read_csv_text(p)


def test__read_csv_text__bare_cr_in_unquoted_field_is_a_malformed_row(tmp_path):
    p = write(
        tmp_path,
        "cr.csv",
        HEADER + b'US,5\r0,USD,hour,2023\nDE,40,EUR,hour,2023\nFR,"6\r0",EUR,hour,2023\r\n',
    )
    frame = read_csv_text(p, required=("country", "amount")).frame
    assert frame["country"].tolist() == ["US", "DE", "FR"]
    problems = frame[MALFORMED].tolist()
    assert problems[0] == (
        "line 2: carriage return (CR) inside an unquoted field: US,5\\r0,USD,hour,2023"
    )
    assert frame.loc[0, "amount"] == "5\r0"
    assert pd.isna(problems[1]) and pd.isna(problems[2])
    assert frame.loc[2, "amount"] == "6\r0"  # quoted: read as it is


def test__read_csv_text__bare_cr_never_splits_a_row_silently(tmp_path):
    # "1,x\ry,2" splits into two rows of the right width: Arrow alone would return 3 rows
    p = write(tmp_path, "split.csv", b"a,b\n1,x\ry,2\n3,4\n")
    frame = read_csv_text(p).frame
    assert len(frame) == 2
    assert frame["a"].tolist() == ["1", "3"]
    assert frame[MALFORMED].notna().tolist() == [True, False]


@pytest.mark.parametrize("eol", [b"\n", b"\r\n", b"\r"])
def test__read_csv_text__line_ends_read_correctly(tmp_path, eol):
    p = write(tmp_path, "eol.csv", eol.join([b"a,b", b"1,2", b"3,4", b""]))
    frame = read_csv_text(p).frame
    assert frame.values.tolist() == [["1", "2"], ["3", "4"]] and MALFORMED not in frame.columns
    ragged = write(tmp_path, "ragged.csv", eol.join([b"a,b", b"1,2,3", b"3,4", b""]))
    frame = read_csv_text(ragged).frame
    assert frame[["a", "b"]].values.tolist() == [["1", "2"], ["3", "4"]]
    assert frame[MALFORMED].notna().tolist() == [True, False]


field = st.text(alphabet="ab1 .\r\u00e9\u2028\x0b", max_size=6)


@SETTINGS
@given(st.lists(st.lists(field, min_size=3, max_size=3), min_size=1, max_size=12))
def test__read_csv_text__any_bare_crs_every_line_accounted(tmp_path, rows):
    lines = [",".join(r) for r in rows]
    p = write(tmp_path, "h.csv", ("x,y,z\n" + "\n".join(lines) + "\n").encode())
    frame = read_csv_text(p).frame  # never a crash, never a refusal
    assert len(frame) == len(rows)  # never a silent split
    bad = ["\r" in line.rstrip("\r") for line in lines]  # a CR that is not the line's end
    flagged = (
        frame[MALFORMED].notna().tolist() if MALFORMED in frame.columns else [False] * len(rows)
    )
    assert flagged == bad
    for r, is_bad, got in zip(rows, bad, frame[["x", "y", "z"]].values.tolist(), strict=True):
        if not is_bad:
            assert got == [r[0], r[1], r[2].rstrip("\r")]


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


# --- hostile input: quotes --------------------------------------------------------------------


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


# --- hostile input: formula injection ---------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "written"),
    [
        ("=1+2", "'=1+2"),
        ("+cmd", "'+cmd"),
        ("-x", "'-x"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("\tx", "'\tx"),
        ("\rx", "'\rx"),
        ("'=x", "''=x"),
        ("''-y", "'''-y"),
        ("-3", "-3"),
        ("+1.5e3", "+1.5e3"),
        ("-.5", "-.5"),
        ("-3 ", "'-3 "),
        ("-1+2", "'-1+2"),
        ("'quoted", "'quoted"),
        ("plain", "plain"),
        ("a=b", "a=b"),
        ("", ""),
    ],
)
def test__neutralise_formulas__rule(value, written):
    out = neutralise_formulas(pd.Series([value, None], dtype="object"))
    assert out.iloc[0] == written and pd.isna(out.iloc[1])
    assert restore_formulas(out).iloc[0] == value


def test__atomic_write_csv__neutralised_quoted_and_readable(tmp_path):
    rejected = pd.DataFrame(
        {
            "source_row": [1, 2, 3],
            "=HYPERLINK(x)": ["=1+2", "-3", 'a,"b"\r\nc'],
            "amount": ["@cmd", "\t-1", "12,5"],
            "reason": ["unparseable_amount"] * 3,
        }
    )
    path = tmp_path / "rates_rejected.csv"
    atomic_write_csv(rejected, path)
    with open(path, encoding="utf-8", newline="") as fh:
        cells = list(csv.reader(fh))
    assert cells[0][1] == "'=HYPERLINK(x)"
    assert [r[1] for r in cells[1:]] == ["'=1+2", "-3", 'a,"b"\r\nc']
    assert [r[2] for r in cells[1:]] == ["'@cmd", "'\t-1", "12,5"]
    for row in cells:  # no cell a spreadsheet would run
        for cell in row:
            assert not cell or cell[0] not in "=+-@\t\r" or re.fullmatch(r"-?\d+", cell)
    assert len(pd.read_csv(path, dtype=str, keep_default_na=False)) == 3  # CR/LF quoted
    back = read_rejected_csv(path)
    assert list(back.columns) == list(rejected.columns)
    assert (
        back.drop(columns="source_row").values.tolist()
        == rejected.drop(columns="source_row").values.tolist()
    )
    assert back["source_row"].tolist() == ["1", "2", "3"]
    atomic_write_csv(rejected, path, neutralise=False)
    assert list(csv.reader(open(path, encoding="utf-8", newline="")))[1][1] == "=1+2"


cell = st.text(st.characters(blacklist_categories=("Cs",)), max_size=12) | st.sampled_from(
    [
        "=1+2",
        "-3",
        "'=x",
        "''",
        "'",
        "+",
        "@",
        "\r",
        "\n",
        "\r\n",
        ",",
        '"',
        '""',
        " -1",
        "\t=A1",
        "\u2028",
        "1e306",
        "",
    ]
)


@SETTINGS
@given(st.lists(st.tuples(cell, cell, cell), min_size=0, max_size=8))
def test__rejected_csv_round_trip_is_exact(tmp_path, rows):
    frame = pd.DataFrame(rows, columns=["country", "=amount", "detail"], dtype="object")
    frame.insert(0, "source_row", np.arange(1, len(rows) + 1, dtype="int64"))
    csv_path, jsonl_path = write_rejected(frame, tmp_path / "x_rejected.csv")
    assert jsonl_path == tmp_path / "x_rejected.jsonl"
    back = read_rejected_csv(csv_path)
    assert list(back.columns) == list(frame.columns)
    assert back[["country", "=amount", "detail"]].values.tolist() == [list(r) for r in rows]
    assert back["source_row"].tolist() == [str(i) for i in range(1, len(rows) + 1)]
    exact = read_jsonl(jsonl_path)
    if rows:
        assert exact.to_dict("records") == frame.to_dict("records")


def test__jsonl__nulls_and_types_exact(tmp_path):
    frame = pd.DataFrame({"source_row": [1, 2], "a": ["=x\r\n/", None], "f": [0.1, np.nan]})
    atomic_write_jsonl(frame, tmp_path / "r.jsonl")
    back = read_jsonl(tmp_path / "r.jsonl")
    assert back["source_row"].tolist() == [1, 2] and back["a"].iloc[0] == "=x\r\n/"
    assert pd.isna(back["a"].iloc[1]) and '"a":null' in (tmp_path / "r.jsonl").read_text()
    assert back["f"].iloc[0] == 0.1 and pd.isna(back["f"].iloc[1])
    atomic_write_jsonl(frame.iloc[:0], tmp_path / "e.jsonl")
    assert (tmp_path / "e.jsonl").read_bytes() == b"" and read_jsonl(tmp_path / "e.jsonl").empty


# --- hostile input: output integrity ----------------------------------------------------------


@pytest.mark.parametrize("mask", [0o022, 0o027, 0o002])
def test__atomic_write_bytes__honours_umask_and_keeps_existing_mode(tmp_path, mask):
    old = os.umask(mask)
    try:
        p = tmp_path / "out.json"
        atomic_write_bytes(p, b"{}")
        assert stat.S_IMODE(p.stat().st_mode) == 0o666 & ~mask
        p.chmod(0o600)
        atomic_write_bytes(p, b"{}\n")
        assert stat.S_IMODE(p.stat().st_mode) == 0o600 and p.read_bytes() == b"{}\n"
    finally:
        os.umask(old)


def _listing(folder: Path) -> dict[str, bytes]:
    return {str(f.relative_to(folder)): f.read_bytes() for f in folder.rglob("*") if f.is_file()}


def test__atomic_output_dir__swaps_in_on_success_only(tmp_path):
    out = tmp_path / "processed"
    out.mkdir()
    (out / "rates.parquet").write_bytes(b"old table")
    (out / "rates_rejected.csv").write_bytes(b"old rejected")
    (out / "certifications.parquet").write_bytes(b"someone else's")
    with pytest.raises(RuntimeError), atomic_output_dir(out) as tmp:
        (tmp / "rates.parquet").write_bytes(b"new table")
        raise RuntimeError("cleaning failed half way")
    assert _listing(out) == {
        "rates.parquet": b"old table",
        "rates_rejected.csv": b"old rejected",
        "certifications.parquet": b"someone else's",
    }
    assert sorted(p.name for p in tmp_path.iterdir()) == ["processed"]  # no staging left
    with atomic_output_dir(out) as tmp:
        assert tmp.parent == tmp_path and tmp.name.startswith(".processed.staging-")
        atomic_write_bytes(tmp / "rates.parquet", b"new table")
        (tmp / "rates_rejected.csv").write_bytes(b"new rejected")
        (tmp / "figures").mkdir()
        (tmp / "figures" / "a.png").write_bytes(b"png")
        assert _listing(out)["rates.parquet"] == b"old table"  # nothing visible yet
    assert _listing(out) == {
        "rates.parquet": b"new table",
        "rates_rejected.csv": b"new rejected",
        "certifications.parquet": b"someone else's",
        "figures/a.png": b"png",
    }
    assert sorted(p.name for p in tmp_path.iterdir()) == ["processed"]
    assert not [f for f in out.rglob("*") if f.name.endswith(".tmp")]


def test__atomic_output_dir__concurrent_writers_never_mix(tmp_path, monkeypatch):
    out = tmp_path / "out"
    real_replace = os.replace

    def slow_replace(src, dst):  # widen the window between the renames of one set
        time.sleep(0.01)
        real_replace(src, dst)

    monkeypatch.setattr(sources.os, "replace", slow_replace)
    names = [f"f{i}.txt" for i in range(8)]

    def writer(tag: bytes) -> None:
        with atomic_output_dir(out) as tmp:
            for n in names:
                (tmp / n).write_bytes(tag)

    threads = [threading.Thread(target=writer, args=(tag,)) for tag in (b"A", b"B", b"C")]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    contents = set(_listing(out).values())
    assert len(contents) == 1 and len(_listing(out)) == len(names)


def test__atomic_output_dir__killed_writer_leaves_old_files(tmp_path):
    out = tmp_path / "out"
    out.mkdir()
    (out / "a.txt").write_bytes(b"good")
    code = (
        "import os, sys\n"
        "from marketlib.sources import atomic_output_dir\n"
        "with atomic_output_dir(sys.argv[1]) as tmp:\n"
        "    (tmp / 'a.txt').write_bytes(b'half')\n"
        "    os._exit(9)\n"
    )
    proc = subprocess.run([sys.executable, "-c", code, str(out)], check=False)
    assert proc.returncode == 9
    assert _listing(out) == {"a.txt": b"good"}
    assert len(list(tmp_path.glob(".out.staging-*"))) == 1  # hidden, outside the outputs
    with atomic_output_dir(out) as tmp:
        (tmp / "a.txt").write_bytes(b"new")
    assert _listing(out) == {"a.txt": b"new"}
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out"]  # stale staging removed


# --- hostile input: locate verifies the copy --------------------------------------------------


def test__locate__refuses_a_mismatching_copy_and_caches_the_hash(tmp_path, monkeypatch):
    good = b"pinned content\n"
    ds = sources.DATASETS["ppp"]
    monkeypatch.setitem(
        sources.DATASETS,
        "ppp",
        sources.Dataset(ds.name, ds.relpath, ds.url, hashlib.sha256(good).hexdigest()),
    )
    monkeypatch.delenv("MARKETLIB_MIRROR", raising=False)
    copy = tmp_path / "raw" / ds.relpath
    copy.parent.mkdir(parents=True)
    copy.write_bytes(good)
    calls = []
    real = sources.sha256_file
    monkeypatch.setattr(sources.datasets, "sha256_file", lambda p: calls.append(p) or real(p))
    assert sources.locate("ppp", tmp_path / "raw") == copy
    assert sources.locate("ppp", tmp_path / "raw") == copy
    assert len(calls) == 1  # cached by (path, size, mtime)
    copy.write_bytes(b"pinned content, edited\n")
    with pytest.raises(InputError, match="sha256 mismatch") as err:
        sources.locate("ppp", tmp_path / "raw")
    assert str(copy) in str(err.value) and len(calls) == 2


@pytest.mark.realdata
def test__locate__real_mirror_copy_verifies(monkeypatch, shared_data):
    monkeypatch.setenv("MARKETLIB_MIRROR", str(shared_data))
    found = sources.locate("ppp", shared_data / "nowhere")
    assert found is not None and sources.sha256_file(found) == sources.DATASETS["ppp"].sha256


@pytest.mark.realdata
def test__read_csv_text__real_file_unchanged(shared_data):
    t = read_csv_text(shared_data / "aijobs" / "salaries.csv", required=sources.AIJOBS_COLUMNS)
    assert len(t.frame) > 1000 and MALFORMED not in t.frame.columns
    assert t.sha256 == sources.AIJOBS_SHA256
    assert parse_numbers(t.frame["salary"]).notna().all()


# --- hostile input: parameter files -----------------------------------------------------------


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
