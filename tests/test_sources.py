from __future__ import annotations

import hashlib
import urllib.request
from pathlib import Path

import pandas as pd
import pytest

from marketlib import sources
from marketlib.cli import main
from marketlib.paths import project_root
from marketlib.sources import InputError, read_csv_text

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
    # the copies must carry the pinned sha256 now (a mismatch is refused: test_hostile_inputs)
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
