"""Snapshots with provenance: ``fetch(..., ref=...)`` against a stand-in GitHub on 127.0.0.1
and against the mirrored earlier snapshots (aijobs 2024-10-27, Innovation Graph 2024q4)."""

from __future__ import annotations

import hashlib
import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlparse

import pytest

from marketlib import sources
from marketlib.sources import InputError

NEW_SHA = "1234567890abcdef1234567890abcdef12345678"
IG_SHA = "fedcba0987654321fedcba0987654321fedcba09"
AIJOBS_NEW = (
    b"work_year,experience_level,employment_type,job_title,salary,salary_currency,"
    b"salary_in_usd,employee_residence,remote_ratio,company_location,company_size\n"
    b"2025,SE,FT,ML Engineer,100000,USD,100000,US,0,US,M\n"
    b"2025,SE,FT,ML Engineer,120000,USD,120000,US,0,US,M\n"
)


class StandIn:
    """A stand-in for api.github.com and raw.githubusercontent.com on 127.0.0.1."""

    def __init__(self) -> None:
        self.commits: dict[tuple[str, str], tuple[str, str]] = {
            ("foorilla/ai-jobs-net-salaries", "salaries.csv"): (NEW_SHA, "2025-08-03"),
            ("github/innovationgraph", "data"): (IG_SHA, "2026-01-20"),
        }
        self.files: dict[str, bytes] = {
            f"/raw/foorilla/ai-jobs-net-salaries/{NEW_SHA}/salaries.csv": AIJOBS_NEW
        }
        for f in sources.INNOVATIONGRAPH_SHA256:
            self.files[f"/raw/github/innovationgraph/{IG_SHA}/data/{f}.csv"] = (
                f"{f},iso2_code,year,quarter\n101,DE,2025,4\n".encode()
            )
        self.requests: list[str] = []
        self.api_status = 200


@pytest.fixture
def standin(monkeypatch) -> Iterator[tuple[StandIn, str]]:
    state = StandIn()

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802
            state.requests.append(self.path)
            url = urlparse(self.path)
            parts = url.path.strip("/").split("/")
            if parts[0] == "repos" and parts[-1] == "commits":
                if state.api_status != 200:
                    self.send_error(state.api_status)
                    return
                repo = "/".join(parts[1:3])
                path = parse_qs(url.query)["path"][0]
                assert parse_qs(url.query)["per_page"] == ["1"]
                if (repo, path) not in state.commits:
                    body = b"[]"
                else:
                    sha, date = state.commits[(repo, path)]
                    body = json.dumps(
                        [{"sha": sha, "commit": {"committer": {"date": f"{date}T10:00:00Z"}}}]
                    ).encode()
            elif url.path in state.files:
                body = state.files[url.path]
            else:
                self.send_error(404)
                return
            self.send_response(200)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    base = f"http://127.0.0.1:{server.server_address[1]}"
    for var in ("http_proxy", "HTTP_PROXY", "https_proxy", "HTTPS_PROXY", "all_proxy", "ALL_PROXY"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("no_proxy", "127.0.0.1,localhost")
    monkeypatch.setenv("MARKETLIB_GITHUB_API", base)
    monkeypatch.setenv("MARKETLIB_GITHUB_RAW", f"{base}/raw")
    monkeypatch.setattr(sources.datasets, "_LATEST", {})
    try:
        yield state, base
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


def test__fetch_latest__resolves_commit_downloads_and_records_provenance(
    tmp_path, monkeypatch, standin
):
    state, base = standin
    monkeypatch.setenv("MARKETLIB_MIRROR", str(tmp_path / "empty-mirror"))  # latest: network
    pinned = tmp_path / "aijobs" / "salaries.csv"
    pinned.parent.mkdir(parents=True)
    pinned.write_bytes(b"the pinned file")
    path, prov = sources.fetch_snapshot("aijobs", tmp_path, ref="latest")
    assert path == tmp_path / "aijobs" / "snapshots" / "2025-08-03" / "salaries.csv"
    assert path.read_bytes() == AIJOBS_NEW
    assert pinned.read_bytes() == b"the pinned file"  # never overwritten
    digest = hashlib.sha256(AIJOBS_NEW).hexdigest()
    assert (prov.dataset, prov.repo, prov.ref, prov.commit, prov.sha256) == (
        "aijobs",
        "foorilla/ai-jobs-net-salaries",
        "latest",
        NEW_SHA,
        digest,
    )
    assert prov.sha256_verified is False and prov.published == "2025-08-03"
    assert prov.url == f"{base}/raw/foorilla/ai-jobs-net-salaries/{NEW_SHA}/salaries.csv"
    assert prov.mirror_path is None and prov.retrieved_at.endswith("+00:00")
    assert prov.file == "aijobs/snapshots/2025-08-03/salaries.csv"
    assert state.requests[0] == (
        "/repos/foorilla/ai-jobs-net-salaries/commits?path=salaries.csv&per_page=1"
    )
    side = sources.provenance_path(path)
    assert side.name == "salaries.csv.provenance.json"
    assert sources.read_provenance(path) == prov
    assert str(tmp_path) not in side.read_text()
    # fetched again: the recorded copy is kept (the API is asked, the file is not re-read)
    monkeypatch.setattr(sources.datasets, "_LATEST", {})
    n_raw = sum(r.startswith("/raw/") for r in state.requests)
    assert sources.fetch("aijobs", tmp_path, ref="latest") == path
    assert sum(r.startswith("/raw/") for r in state.requests) == n_raw


def test__fetch_latest__release_group_resolves_once(tmp_path, standin):
    state, _ = standin
    names = sources.dataset_names("innovationgraph", ref="latest")
    assert len(names) == 5
    paths = [sources.fetch(n, tmp_path, ref="latest") for n in names]
    assert {p.parent for p in paths} == {tmp_path / "innovationgraph" / "snapshots" / "2026-01-20"}
    assert [r for r in state.requests if r.startswith("/repos/")] == [
        "/repos/github/innovationgraph/commits?path=data&per_page=1"
    ]
    prov = sources.read_provenance(paths[0])
    assert prov is not None and prov.commit == IG_SHA and prov.dataset == names[0]


def test__fetch_ref__explicit_commit_and_known_snapshot_commit_verified(
    tmp_path, monkeypatch, standin
):
    state, _ = standin
    monkeypatch.delenv("MARKETLIB_MIRROR", raising=False)  # a mirrored snapshot would be copied
    path = sources.fetch("aijobs", tmp_path, ref=NEW_SHA)
    assert path == tmp_path / "aijobs" / "snapshots" / NEW_SHA / "salaries.csv"
    assert sources.read_provenance(path).sha256_verified is False
    # "latest" resolving to a known snapshot's commit: its pinned sha256 is checked
    old = "e96d0f6060784647b29aa4e21d179d6dbf9193bf"
    state.commits[("foorilla/ai-jobs-net-salaries", "salaries.csv")] = (old, "2024-10-27")
    state.files[f"/raw/foorilla/ai-jobs-net-salaries/{old}/salaries.csv"] = b"tampered"
    with pytest.raises(InputError, match="sha256 mismatch"):
        sources.fetch("aijobs", tmp_path / "b", ref="latest")
    assert not (tmp_path / "b" / "aijobs").exists()


def test__fetch_ref__api_failure_and_unknown_refs_are_clear_errors(tmp_path, standin):
    state, _ = standin
    state.api_status = 500
    with pytest.raises(InputError, match="cannot resolve the latest version"):
        sources.fetch("aijobs", tmp_path, ref="latest")
    state.api_status = 200
    state.commits.clear()
    with pytest.raises(InputError, match="no commit in the answer"):
        sources.fetch("aijobs", tmp_path, ref="latest")
    for bad in ("main", "../../etc", "e96d0f6"):
        with pytest.raises(InputError, match="unknown ref"):
            sources.fetch("aijobs", tmp_path, ref=bad)
    assert not any(tmp_path.rglob("*.csv"))


def test__provenance__sidecar_round_trip_and_stale_sidecar_ignored(tmp_path):
    f = tmp_path / "x.csv"
    f.write_bytes(b"a\n1\n")
    prov = sources.Provenance(
        "aijobs",
        "o/r",
        "latest",
        "0" * 40,
        "http://h/x.csv",
        None,
        hashlib.sha256(b"a\n1\n").hexdigest(),
        False,
        "2025-01-01T00:00:00+00:00",
    )
    sources.write_provenance(f, prov)
    assert sources.read_provenance(f) == prov
    assert json.loads(sources.provenance_path(f).read_text())["commit"] == "0" * 40
    f.write_bytes(b"a\n2\n")  # replaced since: the sidecar no longer describes it
    assert sources.read_provenance(f) is None
    assert sources.provenance_of(f) is None  # a user file: no known version


def test__dataset_names__snapshot_ref_limits_a_group():
    assert sources.dataset_names("innovationgraph", "2024q4") == [
        "innovationgraph/topics",
        "innovationgraph/developers",
    ]
    assert sources.dataset_names("innovationgraph") == list(
        sources.DATASET_GROUPS["innovationgraph"]
    )
    assert sources.snapshot_refs("aijobs") == ["2024-10-27"]


@pytest.mark.realdata
def test__fetch_ref__mirrored_aijobs_snapshot(tmp_path, monkeypatch, shared_data):
    monkeypatch.setenv("MARKETLIB_MIRROR", str(shared_data))
    path, prov = sources.fetch_snapshot("aijobs", tmp_path, ref="2024-10-27")
    assert path == tmp_path / "aijobs" / "snapshots" / "2024-10-27" / "salaries.csv"
    sha = "0dff5a328d7167376086f1f94c7a2244623e0ad167b5ac7721dfe94eba222e8f"
    assert sources.sha256_file(path) == sha == prov.sha256
    assert prov.sha256_verified and prov.commit == "e96d0f6060784647b29aa4e21d179d6dbf9193bf"
    assert prov.mirror_path == "aijobs/snapshots/salaries-2024-10-27.csv"
    assert "e96d0f6060784647b29aa4e21d179d6dbf9193bf/salaries.csv" in prov.url
    assert str(shared_data) not in sources.provenance_path(path).read_text()
    assert not (tmp_path / "aijobs" / "salaries.csv").exists()
    # the same snapshot named by its commit lands in the same place
    assert sources.fetch("aijobs", tmp_path, ref=prov.commit) == path
    # the pinned file: copied from the mirror, provenance "pinned"
    pinned, p2 = sources.fetch_snapshot("aijobs", tmp_path)
    assert pinned == tmp_path / "aijobs" / "salaries.csv"
    assert (p2.ref, p2.commit, p2.sha256) == (
        "pinned",
        sources.AIJOBS_COMMIT,
        sources.AIJOBS_SHA256,
    )
    assert p2.mirror_path == "aijobs/salaries.csv"
    # a mirror copy without sidecar is recognised by its sha256
    found = sources.provenance_of(shared_data / "aijobs" / "snapshots" / "salaries-2024-10-27.csv")
    assert found is not None and (found.ref, found.commit) == ("2024-10-27", prov.commit)


@pytest.mark.realdata
def test__fetch_ref__mirrored_innovationgraph_release(tmp_path, monkeypatch, shared_data):
    monkeypatch.setenv("MARKETLIB_MIRROR", str(shared_data))
    expected = {
        "innovationgraph/topics": (
            "e66369ae19e7d543acb4995e4898359cad424572477ce35c098792c595ba8b1a"
        ),
        "innovationgraph/developers": (
            "23ce037227d8c37479d3e756daff14ce7e3b03e391c4696a512899889733406c"
        ),
    }
    for name in sources.dataset_names("innovationgraph", "2024q4"):
        path, prov = sources.fetch_snapshot(name, tmp_path, ref="2024q4")
        assert path.parent == tmp_path / "innovationgraph" / "snapshots" / "2024q4"
        assert sources.sha256_file(path) == expected[name] == prov.sha256
        assert prov.commit == "3c4fee675980239ea5b17e1329f9945eab4202e4"
        assert prov.mirror_path == f"innovationgraph/releases/2024q4/{path.name}"
        assert prov.published == "2025-04-21" and prov.sha256_verified
    # the release's other files: same commit, downloaded (not mirrored), hash recorded only
    other = sources.resolve_ref("innovationgraph/git_pushes", "2024q4")
    assert (other.commit, other.label, other.sha256) == (prov.commit, "2024q4", None)


class TestALyingUpstreamNeverStopsTheMonthlyRun:
    """Hostile round 4, item 5: an HTML page answered 200 is never a data version, a kept one is
    fetched again, and the report falls back to what was fetched (said in a note)."""

    def test__an_html_answer_is_refused_and_a_kept_one_is_fetched_again(
        self, tmp_path, monkeypatch, standin
    ):
        state, _ = standin
        monkeypatch.setenv("MARKETLIB_MIRROR", str(tmp_path / "empty-mirror"))
        url = f"/raw/foorilla/ai-jobs-net-salaries/{NEW_SHA}/salaries.csv"
        state.files[url] = b"<!DOCTYPE html><html><body>API rate limit exceeded</body></html>"
        with pytest.raises(InputError, match="HTML page"):
            sources.fetch_snapshot("aijobs", tmp_path, ref="latest")
        assert not list((tmp_path / "aijobs").rglob("salaries.csv"))  # nothing kept
        state.files[url] = AIJOBS_NEW  # upstream recovers
        path, _ = sources.fetch_snapshot("aijobs", tmp_path, ref="latest")
        path.write_bytes(b"<html>a page kept by an older marketlib</html>")
        again, _ = sources.fetch_snapshot("aijobs", tmp_path, ref="latest")
        assert again.read_bytes() == AIJOBS_NEW  # the kept HTML file is not reused

    def test__the_reports_own_requery_falls_back_to_the_fetched_version(
        self, tmp_path, monkeypatch, standin
    ):
        from marketlib.sources.fallback import FALLBACK_NOTES, fetch_or_fall_back

        state, _ = standin
        monkeypatch.setenv("MARKETLIB_MIRROR", str(tmp_path / "empty-mirror"))
        fetched, _ = sources.fetch_snapshot("aijobs", tmp_path, ref="latest")  # the job's fetch
        monkeypatch.setattr(sources.datasets, "_LATEST", {})
        state.api_status = 503  # then the API fails the report's own question
        FALLBACK_NOTES.clear()
        path, prov = fetch_or_fall_back("aijobs", tmp_path, ref="latest")
        assert path == fetched and prov.commit == NEW_SHA
        assert len(FALLBACK_NOTES) == 1 and "latest version fetched earlier" in FALLBACK_NOTES[0]
