"""Public datasets: pinned upstream versions, named snapshots, ``latest``, the mirror, provenance.

``fetch`` gets a dataset at its pinned commit (sha256-checked) or from ``MARKETLIB_MIRROR``;
``fetch_snapshot`` at another upstream version, recording its provenance beside the file.
"""

from __future__ import annotations

import csv
import json
import os
import re
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from marketlib.paths import mirror_dir
from marketlib.sources.download import check_shape, download, head_bytes
from marketlib.sources.errors import InputError, sha256_bytes, sha256_file
from marketlib.sources.provenance import Provenance, read_provenance, write_provenance


def atomic_write_bytes(path: Path, data: bytes) -> None:
    """Write ``data`` atomically (:func:`marketlib.sources.outputs.atomic_write_bytes`)."""
    from marketlib.sources.outputs import atomic_write_bytes as write

    write(path, data)


AIJOBS_COMMIT = "9c225876510af8fbdabdb7ca39d1a6d44be0072b"
AIJOBS_URL = (
    f"https://raw.githubusercontent.com/foorilla/ai-jobs-net-salaries/{AIJOBS_COMMIT}/salaries.csv"
)
AIJOBS_SHA256 = "fce1318d2fa6f574cd36ce192bf3c38debcb61892d15255eb8f772a05e4a5aef"
AIJOBS_COLUMNS = (
    "work_year",
    "experience_level",
    "employment_type",
    "job_title",
    "salary",
    "salary_currency",
    "salary_in_usd",
    "employee_residence",
    "remote_ratio",
    "company_location",
    "company_size",
)


@dataclass(frozen=True)
class Dataset:
    """A public file the project fetches: where it lives upstream and in a mirror, its hash.

    ``repo`` (``owner/name`` on GitHub), ``upstream_path`` (the file inside it) and ``commit``
    (the pinned commit) let :func:`fetch` take the same file at another upstream version;
    ``track`` is the path whose newest commit is the dataset's ``latest`` version (the file, or
    the folder of a release published as several files).
    """

    name: str
    relpath: str  # under the mirror and under the destination folder
    url: str
    sha256: str
    repo: str | None = None
    upstream_path: str | None = None
    commit: str | None = None
    track: str | None = None
    #: header fields any version of the file holds in its first lines (checked before a new
    #: version is kept: a 200 answer holding an HTML error page is never a data version)
    expect: tuple[str, ...] = ()
    #: the date the pinned version was published upstream (its rows were collected by then)
    published: str | None = None

    def raw_url(self, commit: str) -> str:
        """Return the raw-file address of this file at ``commit`` (``MARKETLIB_GITHUB_RAW``)."""
        if self.repo is None or self.upstream_path is None:
            raise InputError(self.name, "no upstream repository known: only the pinned file")
        return f"{github_raw_base()}/{self.repo}/{commit}/{self.upstream_path}"


PPP_PLR_FILE = "API_PA.NUS.PPPC.RF_DS2_en_csv_v2_1665754.csv"
PPP_COMMIT = "1473f4e537c117922502981b703d3346d4f00a20"
PPP_UPSTREAM = f"data/source/worldbank/API_PA.NUS.PPPC.RF_DS2_en_csv_v2_1665754/{PPP_PLR_FILE}"
DATASETS = {
    "aijobs": Dataset(
        "aijobs",
        "aijobs/salaries.csv",
        AIJOBS_URL,
        AIJOBS_SHA256,
        "foorilla/ai-jobs-net-salaries",
        "salaries.csv",
        AIJOBS_COMMIT,
        "salaries.csv",
        ("work_year", "salary", "salary_currency", "employee_residence"),
        "2025-01-19",
    ),
    "ppp": Dataset(
        "ppp",
        f"ppp/{PPP_PLR_FILE}",
        f"https://raw.githubusercontent.com/relatoscondatos/data_global/{PPP_COMMIT}/"
        f"{PPP_UPSTREAM}",
        "1696cb983d0c8d090bab816a8ed7019fe9f772ea5f31bffc76575f1efa032818",
        "relatoscondatos/data_global",
        PPP_UPSTREAM,
        PPP_COMMIT,
        PPP_UPSTREAM,
        ("Country Name", "Country Code", "Indicator Code"),
    ),
}

#: The GitHub Innovation Graph release "release q3 2025 data", pinned (see
#: ../shared/data/innovationgraph/SOURCE.md); one dataset per file, fetched together as
#: ``innovationgraph``.
INNOVATIONGRAPH_COMMIT = "882cd69904170d39bb25205543fb34c813bed9f5"
INNOVATIONGRAPH_SHA256 = {
    "topics": "f92d3a687ca28d64c818389c88e951fda16f08aa62f2bf356b9c62600643adea",
    "developers": "6e5f2d867da68e9141ba4ed90c6d88ccf020c2196ac9f1b5497c99d464425d1d",
    "git_pushes": "4a0f800a6254b7b28e718fb8b2208684187070bf2cdc1466499d490619747db0",
    "repositories": "4c0cffba5d3aaeeb45fe36f6edc48cf4ec92f701c8bf826e4acb0cdaad192478",
    "organizations": "b19b16a33d828201302dd057a38f4cb1d803fdf1ae71ab6e2cc06503ae93ae0d",
}
DATASETS.update(
    {
        f"innovationgraph/{f}": Dataset(
            f"innovationgraph/{f}",
            f"innovationgraph/{f}.csv",
            "https://raw.githubusercontent.com/github/innovationgraph/"
            f"{INNOVATIONGRAPH_COMMIT}/data/{f}.csv",
            digest,
            "github/innovationgraph",
            f"data/{f}.csv",
            INNOVATIONGRAPH_COMMIT,
            "data",
            ("iso2_code", "year", "quarter"),
        )
        for f, digest in INNOVATIONGRAPH_SHA256.items()
    }
)


def _pinned_files(
    group: str,
    repo: str,
    commit: str,
    files: dict[str, tuple[str, str]],
    published: str | None = None,
) -> dict[str, Dataset]:
    """Return one dataset per file of a pinned upstream commit (``name: (path, sha256)``).

    ``path`` is the file inside ``repo``; the mirror holds it at ``<group>/<name>``.
    """
    out = {}
    for name, (path, digest) in files.items():
        url = f"https://raw.githubusercontent.com/{repo}/{commit}/{urllib.parse.quote(path)}"
        out[f"{group}/{name}"] = Dataset(
            f"{group}/{name}",
            f"{group}/{name}",
            url,
            digest,
            repo,
            path,
            commit,
            path,
            published=published,
        )
    return out


#: Kaggle ML & DS Survey 2021 and 2022 (CC BY 2.0), unchanged zips from two public
#: repositories (../shared/data/kaggle-survey/SOURCE.md): each pinned at its own commit.
KAGGLE_FILES = {
    "kaggle-survey-2022.zip": (
        "brunokiyoshi/state-of-ml",
        "214b3a6872f9db8eac8215071954e14bab16a2e3",
        "a9f2b8e860ac30f15c4f367296dbdc037c6b97f509fe3042c54d6588fdedcc07",
    ),
    "kaggle-survey-2021.zip": (
        "DS-Popeye/Kaggle-Machine-Learning-Data-Science-Survey",
        "9fd70aa995ac5cbef76d43f44476265f1518f27f",
        "8f5deda7c3239d929ea7726064629f4dd471b1c76a007c42ebc3059638ffb042",
    ),
}
for _name, (_repo, _commit, _digest) in KAGGLE_FILES.items():
    DATASETS.update(_pinned_files("kaggle-survey", _repo, _commit, {_name: (_name, _digest)}))

#: CNCF Cloud Native Survey raw answers 2018-2022 (github.com/cncf/surveys, cloudnative/).
CNCF_SURVEYS_COMMIT = "e2dd7c5405be150184d8f6921340927fccac7db2"
CNCF_SURVEY_FILES = {
    "Cloud_Native_Survey_2018.csv": (
        "07b33e81732109d7fb1a59d2b488e78b4dfc691a596c9d21b37e192d6330d914"
    ),
    "Cloud_Native_Survey_2019.csv": (
        "6a5e9d88b0002f66995ec140726cdfcf754b704bb509a8deb89b698f8d8fe01b"
    ),
    "Cloud_Native_Survey_1H_2020.csv": (
        "4a9b8d7632ab1ddf57ba890375a390a473c46304fd845eeb8d8acb3570ea58b3"
    ),
    "Cloud_Native_Survey_2021-Part_1.xlsx": (
        "f5ad60df5b3e95200aebda05cf9af9a8393f72d62d83f56f5046cfab0737b45c"
    ),
    "Cloud_Native_Survey_2021-Part_2.xlsx": (
        "abf274b41b8c73ecec2bd079fc25f68f6f53874c622f547125f744e57683e76e"
    ),
    "2022 CNCF Survey - Raw Data.csv": (
        "ee79b32a026eb0f6b065c1e3851c86ef4c5521e7113543ac6aff3c0f98a5daf3"
    ),
}
DATASETS.update(
    _pinned_files(
        "cncf-surveys",
        "cncf/surveys",
        CNCF_SURVEYS_COMMIT,
        {n: (f"cloudnative/{n}", d) for n, d in CNCF_SURVEY_FILES.items()},
    )
)

#: Indeed Hiring Lab (CC BY 4.0): three repositories, each pinned (../shared/data/indeed).
INDEED_FILES: dict[str, tuple[str, str, str, str]] = {
    # name under indeed/: (repository, commit, path in it, sha256)
    "ai-tracker/AI_posting.csv": (
        "hiring-lab/ai-tracker",
        "41392c3f5a65acc3d47d35d4e8ef81265a020017",
        "AI_posting.csv",
        "436027e9a1bdfa1055ffb5116e15b77d3592b018ad32c8360bd1688011b100cb",
    ),
    "wage-tracker/posted-wage-growth-by-country.csv": (
        "hiring-lab/indeed-wage-tracker",
        "ef36856b27fc041658f91417a504f669c12c217a",
        "posted-wage-growth-by-country.csv",
        "3a65694419069e63b1c889eb3bd8de4a8ed6eff26165551cfcdabc185f01dbd4",
    ),
}
_POSTINGS = {
    "AU": "1a80bd64479034b2350f2d13ece1318c7ef6152ac72a30a44c46155bafa4fd3b",
    "CA": "0f65bc8ca7340726e619b042a55945d6e0bce379e36c61a725b5b4a9b9a1bf66",
    "DE": "d95e043782a5c51e829763ccfdc1f6b8f7c688be85664ac97238ffd645a2a801",
    "EA": "ff6eeda454127db6c3e5fb40d7b809fe660e4dae0042b01ddba0411234e52859",
    "ES": "7ec08f04ccf0a01245a26d4da32ff97b78eb33b646304dca3e1f2b1a979e3419",
    "FR": "03b1b50dc1d90e58b8db844140959923806a5fdada819b80a5c886cfeaf55c73",
    "GB": "0eab0471b059bd3fe2cc4df8aefbbea9a942c0088a7651946403fb73aa444246",
    "IE": "32784fa4473283cddbefb2cc79ecbafc4c79dd56fbe928bf7c41351078009351",
    "IT": "06040b604ab1b8ee6b779e2d50dc8163e74613078b9f8037392177de293b6f5c",
    "NL": "5ce4ca0238f852da84f050311ae1e72521f08622a77f8cb9da65127c1257b981",
    "US": "13d8eb76f96b465d63c847e70e192aeac2fb723a98e8c5e7f68881d273c5975a",
}
INDEED_POSTINGS_COMMIT = "8049a926080d19b7332edfd1eafd9d0dd4e5179b"
for _cc, _digest in _POSTINGS.items():
    INDEED_FILES[f"job-postings/aggregate_job_postings_{_cc}.csv"] = (
        "hiring-lab/job_postings_tracker",
        INDEED_POSTINGS_COMMIT,
        f"aggregate_job_postings_{_cc}.csv",
        _digest,
    )
#: Sector snapshots: the last versions under 4 MiB, each at its own commit; the US, Canada and
#: Britain snapshots predate the November 2024 revision of the seasonal adjustment.
_SECTORS = {
    "US": (
        "6594f59ac3ccca4fd767bd151e65e609189c0fae",
        "f2ea2e64a9b904254adb147ee01720e6bff9bb1d98619265a7ea6ae176d88400",
    ),
    "CA": (
        "fe69899c2a995c28e68b680ba11962eb4a49f48d",
        "84c3c127fc7c4aec9af2121d84f239fbe43bd570026e182dd4cf12df350fc8de",
    ),
    "DE": (
        "7ce4f8b852235e2c812713ac9d8b12f095a267f7",
        "bb79a3703e3d0c17e35d1c1c8b8edbba87d694615cfc2d7903d595f08ca1fc17",
    ),
    "FR": (
        "7ce4f8b852235e2c812713ac9d8b12f095a267f7",
        "57694903c73762ebb64c33d49b6b3a31ef21c6f8491a28f4fd0774d90994300a",
    ),
    "GB": (
        "1a5e5eed81b0e1694753a6b0c5a5bd3e6ad80f27",
        "e1436f8e148c7eab3b919a6bb9cdf847798b78217175bdf9354026c6ed356f8f",
    ),
    "AU": (
        "8015bdff1b24aef8901256493732ab3a59f19eb5",
        "194663e0f9fbb97d5dd14d1b3932dcd2bbb42ab9c8c401eee34221cd86fd5c9d",
    ),
}
for _cc, (_commit, _digest) in _SECTORS.items():
    _path = f"sector-snapshots/job_postings_by_sector_{_cc}.csv"
    INDEED_FILES[f"job-postings/{_path}"] = (
        "hiring-lab/job_postings_tracker",
        _commit,
        _path,
        _digest,
    )
for _name, (_repo, _commit, _path, _digest) in INDEED_FILES.items():
    DATASETS.update(_pinned_files("indeed", _repo, _commit, {_name: (_path, _digest)}))

#: Names that fetch several datasets at once.
DATASET_GROUPS: dict[str, tuple[str, ...]] = {
    "innovationgraph": tuple(f"innovationgraph/{f}" for f in INNOVATIONGRAPH_SHA256),
    "kaggle-survey": tuple(f"kaggle-survey/{n}" for n in KAGGLE_FILES),
    "cncf-surveys": tuple(f"cncf-surveys/{n}" for n in CNCF_SURVEY_FILES),
    "indeed": tuple(f"indeed/{n}" for n in INDEED_FILES),
}


def dataset_names(name: str, ref: str | None = None) -> list[str]:
    """Return the datasets a fetch name stands for: ``all``, a group, or one dataset.

    With ``ref`` naming a known snapshot (``marketlib.data/snapshots.csv``, e.g. ``2024q4``),
    a group stands for the members that snapshot holds (the Q4 2024 Innovation Graph release
    is known for ``topics`` and ``developers`` only).

    Raises
    ------
    KeyError
        Not a dataset, a group or ``all``.
    """
    if name == "all":
        names = list(DATASETS)
    elif name in DATASET_GROUPS:
        names = list(DATASET_GROUPS[name])
    elif name in DATASETS:
        return [name]
    else:
        raise KeyError(
            f"unknown dataset {name!r}; expected all, {', '.join([*DATASET_GROUPS, *DATASETS])}"
        )
    if ref is not None and ref not in ("pinned", "latest") and not _is_commit(ref):
        known = [n for n in names if (n, ref) in snapshots()]
        if known:
            return known
    return names


# --- snapshots: other upstream versions, with provenance ---------------------------------------

#: Upstream addresses; ``MARKETLIB_GITHUB_API`` / ``MARKETLIB_GITHUB_RAW`` override them (tests
#: point them at a stand-in server on 127.0.0.1).
GITHUB_API = "https://api.github.com"
GITHUB_RAW = "https://raw.githubusercontent.com"

_COMMIT = re.compile(r"[0-9a-f]{40}")


def github_api_base() -> str:
    """Return the GitHub API base address (``MARKETLIB_GITHUB_API`` overrides it)."""
    return (os.environ.get("MARKETLIB_GITHUB_API") or GITHUB_API).rstrip("/")


def github_raw_base() -> str:
    """Return the raw-file base address (``MARKETLIB_GITHUB_RAW`` overrides it)."""
    return (os.environ.get("MARKETLIB_GITHUB_RAW") or GITHUB_RAW).rstrip("/")


def _is_commit(ref: str) -> bool:
    return bool(_COMMIT.fullmatch(ref))


@dataclass(frozen=True)
class Snapshot:
    """An earlier upstream version of a dataset with a known sha256 (and maybe a mirror copy)."""

    dataset: str
    ref: str  # the label used on the command line (``2024-10-27``, ``2024q4``)
    commit: str
    published: str | None
    mirror_path: str  # relative to MARKETLIB_MIRROR
    sha256: str
    note: str = ""


_SNAPSHOTS: dict[tuple[str, str], Snapshot] = {}


def snapshots() -> dict[tuple[str, str], Snapshot]:
    """Return the known earlier snapshots, keyed by ``(dataset, ref label)``.

    Read once from the package file ``data/snapshots.csv`` (commits and sha256 from the
    mirror's SOURCE.md files).
    """
    if not _SNAPSHOTS:
        from marketlib.paths import PACKAGE_DATA

        with open(PACKAGE_DATA / "snapshots.csv", encoding="utf-8", newline="") as fh:
            for row in csv.DictReader(fh):
                snap = Snapshot(
                    row["dataset"],
                    row["ref"],
                    row["commit"],
                    row["published"] or None,
                    row["mirror_path"],
                    row["sha256"],
                    row.get("note") or "",
                )
                _SNAPSHOTS[(snap.dataset, snap.ref)] = snap
    return _SNAPSHOTS


def collection_date(sha256: str) -> str | None:
    """Return the publication date of a known version of a dataset (pinned or snapshot).

    A file whose rows were collected by that date: its pay periods are converted at the
    exchange rates up to it, never later (:attr:`CleanParams.collected_on`). None for an
    unknown file (the analyst's own data: ``--collected-on`` says it).
    """
    for ds in DATASETS.values():
        if ds.sha256 == sha256 and ds.published:
            return ds.published
    return next((s.published for s in snapshots().values() if s.sha256 == sha256), None)


def snapshot_refs(name: str) -> list[str]:
    """Return the labels of the known snapshots of dataset ``name`` (e.g. ``["2024q4"]``)."""
    return [ref for (ds, ref) in snapshots() if ds == name]


@dataclass(frozen=True)
class ResolvedRef:
    """An upstream version of one dataset: what was asked, the commit, where it lands."""

    ref: str  # pinned | a snapshot label | latest | a commit
    commit: str | None
    label: str | None  # folder under <dataset folder>/snapshots/ (None: the pinned place)
    sha256: str | None  # known hash (verified), or None (computed and recorded only)
    published: str | None = None
    snapshot: Snapshot | None = None

    @property
    def pinned(self) -> bool:
        """Whether this is the dataset's pinned version (it lands at its usual path)."""
        return self.label is None


#: "latest" resolutions of this process: (api base, repo, path) -> (time, commit, date).
_LATEST: dict[tuple[str, str, str], tuple[float, str, str | None]] = {}
_LATEST_TTL = 600.0


def latest_commit(repo: str, path: str, timeout: float = 60.0) -> tuple[str, str | None]:
    """Return the newest commit touching ``path`` in GitHub repository ``repo``, and its date.

    Asks ``<api>/repos/<repo>/commits?path=<path>&per_page=1`` (``MARKETLIB_GITHUB_API``
    overrides the API base). The answer is reused for ten minutes within the process, so the
    files of one release resolve to one commit.

    Raises
    ------
    InputError
        Network unreachable, or an answer that is not a list of commits.
    """
    import time

    api = github_api_base()
    key = (api, repo, path)
    hit = _LATEST.get(key)
    if hit is not None and time.monotonic() - hit[0] < _LATEST_TTL:
        return hit[1], hit[2]
    url = f"{api}/repos/{repo}/commits?{urllib.parse.urlencode({'path': path, 'per_page': 1})}"
    req = urllib.request.Request(
        url,
        headers={  # noqa: S310
            "Accept": "application/vnd.github+json",
            "User-Agent": "marketlib",
        },
    )
    try:
        with urllib.request.urlopen(req, timeout=timeout) as resp:  # noqa: S310
            body = json.loads(resp.read().decode("utf-8"))
    except (urllib.error.URLError, TimeoutError, OSError) as exc:
        reason = getattr(exc, "reason", exc)
        raise InputError(
            url,
            f"cannot resolve the latest version ({reason}); it needs the "
            "network: use --ref with a commit or a mirrored snapshot",
        ) from exc
    except (ValueError, UnicodeDecodeError) as exc:
        raise InputError(url, f"not a JSON answer ({exc})") from exc
    try:
        sha = str(body[0]["sha"])
        commit_info = body[0].get("commit") or {}
        who = commit_info.get("committer") or commit_info.get("author") or {}
        date_text = str(who["date"])[:10] if who.get("date") else None
    except (IndexError, KeyError, TypeError, AttributeError) as exc:
        raise InputError(url, "no commit in the answer (wrong repository or path?)") from exc
    if not _is_commit(sha):
        raise InputError(url, f"answer's commit {sha[:60]!r} is not a full commit hash")
    if date_text is not None and not re.fullmatch(r"\d{4}-\d{2}-\d{2}", date_text):
        date_text = None
    _LATEST[key] = (time.monotonic(), sha, date_text)
    return sha, date_text


def resolve_ref(name: str, ref: str | None, timeout: float = 60.0) -> ResolvedRef:
    """Say which upstream version of dataset ``name`` a ref means.

    Parameters
    ----------
    name
        A dataset of :data:`DATASETS`.
    ref
        ``None`` or ``"pinned"``: the pinned version; a snapshot label of
        :func:`snapshot_refs` (``2024-10-27``, ``2024q4``); ``"latest"``: the newest commit
        published upstream (asks the GitHub API: needs the network); or a full 40-hex commit.
    timeout
        Seconds to wait for the API.

    Raises
    ------
    InputError
        An unknown ref, a dataset without an upstream repository, or ``latest`` unresolvable.
    """
    ds = DATASETS[name]
    if ref is None or ref == "pinned" or ref == ds.commit:
        return ResolvedRef("pinned", ds.commit, None, ds.sha256)
    snap = snapshots().get((name, ref))
    if snap is None and _is_commit(ref):
        snap = next(
            (s for s in snapshots().values() if s.dataset == name and s.commit == ref), None
        )
    if snap is not None:
        return ResolvedRef(snap.ref, snap.commit, snap.ref, snap.sha256, snap.published, snap)
    sibling = next(
        (
            s
            for s in snapshots().values()
            if s.ref == ref and _group_of(s.dataset) == _group_of(name)
        ),
        None,
    )
    if sibling is not None:  # a release known by other files: same commit, hash not known
        return ResolvedRef(ref, sibling.commit, ref, None, sibling.published)
    if ds.repo is None:
        raise InputError("--ref", f"{name} has no upstream repository: only the pinned file")
    if ref == "latest":
        commit, when = latest_commit(ds.repo, ds.track or ds.upstream_path or "", timeout)
        if commit == ds.commit:
            return ResolvedRef("latest", commit, None, ds.sha256)
        known = next(
            (s for s in snapshots().values() if s.dataset == name and s.commit == commit), None
        )
        return ResolvedRef(
            "latest", commit, when or commit[:12], known.sha256 if known else None, when, known
        )
    if _is_commit(ref):
        return ResolvedRef(ref, ref, ref, None)
    labels = snapshot_refs(name)
    raise InputError(
        "--ref",
        f"unknown ref {ref!r} for {name}: expected pinned, latest, a full "
        f"40-character commit hash"
        + (f" or a known snapshot ({', '.join(labels)})" if labels else ""),
    )


def _group_of(name: str) -> str:
    return next((g for g, members in DATASET_GROUPS.items() if name in members), name)


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


def fetch_snapshot(
    name: str, dest: str | os.PathLike[str], ref: str | None = None, timeout: float = 60.0
) -> tuple[Path, Provenance]:
    """Get dataset ``name`` at an upstream version into ``dest``; return it and its provenance.

    The pinned version (``ref`` ``None``) lands at ``dest/<relpath>`` as :func:`fetch` always
    did; any other version lands under ``dest/<dataset folder>/snapshots/<label>/`` (the
    snapshot label, the commit date for ``latest``, or the commit), so the pinned file is never
    overwritten. A known version's sha256 is verified; a new one's is computed and recorded.
    With ``MARKETLIB_MIRROR`` set, the pinned file and the mirrored snapshots are copied from
    the mirror; ``latest`` and other commits are always downloaded from
    ``MARKETLIB_GITHUB_RAW`` (default raw.githubusercontent.com). Each file gets a
    ``<file>.provenance.json`` sidecar (:func:`write_provenance`).

    Raises
    ------
    InputError
        Unknown ref, mirror file missing, network unreachable, or checksum mismatch.
    """
    ds = DATASETS[name]
    res = resolve_ref(name, ref, timeout)
    root = Path(dest)
    if res.pinned:
        rel = ds.relpath
    else:
        folder, _, fname = ds.relpath.partition("/")
        rel = f"{folder}/snapshots/{res.label}/{fname}"
    target = root / rel
    url = ds.url if res.pinned else ds.raw_url(res.commit or "")
    if target.is_file():  # already there: keep it when its hash is the known (or recorded) one
        have = sha256_file(target)
        prov = read_provenance(target)
        if res.sha256 is not None and have == res.sha256:
            if prov is None or prov.commit != res.commit:
                when = datetime.fromtimestamp(target.stat().st_mtime, UTC).isoformat(
                    timespec="seconds"
                )
                prov = Provenance(
                    name,
                    ds.repo,
                    res.ref,
                    res.commit,
                    url,
                    None,
                    have,
                    True,
                    when,
                    res.published,
                    rel,
                )
                write_provenance(target, prov)
            return target, prov
        if (
            res.sha256 is None
            and prov is not None
            and prov.commit == res.commit
            and check_shape(head_bytes(target), ds.expect) is None
        ):
            return target, prov  # a kept file that is not the dataset is fetched again
    mirror = mirror_dir()
    mirror_rel = None
    if mirror is not None and (res.pinned or res.snapshot is not None):
        mirror_rel = ds.relpath if res.pinned or res.snapshot is None else res.snapshot.mirror_path
        src = mirror / mirror_rel
        if not src.is_file():
            raise InputError(
                src, f"MARKETLIB_MIRROR is set but the mirror has no {name} file for ref {res.ref}"
            )
        data = src.read_bytes()
        origin = str(src)
    else:
        hint = (
            f"offline? set MARKETLIB_MIRROR=DIR to copy DIR/{ds.relpath} instead"
            if res.pinned
            else "other upstream versions need the network (or a mirrored snapshot)"
        )
        data = download(url, timeout, hint)
        origin = url
    got = sha256_bytes(data)
    if res.sha256 is not None and got != res.sha256:
        raise InputError(origin, f"sha256 mismatch: expected {res.sha256}, got {got}")
    if res.sha256 is None:
        wrong = check_shape(data, ds.expect)
        if wrong is not None:
            raise InputError(origin, f"the answer is {wrong}; not kept as a version of {name}")
    atomic_write_bytes(target, data)
    prov = Provenance(
        name,
        ds.repo,
        res.ref,
        res.commit,
        url,
        mirror_rel,
        got,
        res.sha256 is not None,
        _now(),
        res.published,
        rel,
    )
    write_provenance(target, prov)
    return target, prov


def fetch(
    name: str, dest: str | os.PathLike[str], timeout: float = 60.0, ref: str | None = None
) -> Path:
    """Get a public file into ``dest`` at its pinned version (or at ``ref``); return its path.

    With ``MARKETLIB_MIRROR`` set, the pinned file is copied from ``$MARKETLIB_MIRROR/<relpath>``;
    otherwise it is downloaded from its pinned commit and its sha256 verified. The file lands
    atomically; a file already in place with the right hash is kept. ``ref`` takes another
    upstream version (see :func:`fetch_snapshot`, which also returns the provenance record
    written beside the file).

    Raises
    ------
    InputError
        Mirror file missing, network unreachable, or checksum mismatch.
    """
    return fetch_snapshot(name, dest, ref, timeout)[0]


_HASH_CACHE: dict[tuple[str, int, int, int, int], str] = {}


def sha256_cached(path: str | os.PathLike[str]) -> str:
    """Return a file's sha256, computed once per (path, device, inode, size, mtime)."""
    p = Path(path).resolve()
    st = os.stat(p)
    key = (str(p), st.st_dev, st.st_ino, st.st_size, st.st_mtime_ns)
    if key not in _HASH_CACHE:
        _HASH_CACHE[key] = sha256_file(p)
    return _HASH_CACHE[key]


def locate(name: str, raw: str | os.PathLike[str] | None = None) -> Path | None:
    """Return a sha256-verified copy of a dataset: ``raw/<relpath>`` first, then the mirror.

    Nothing is downloaded; ``None`` when neither exists (run ``marketlib fetch``). The hash is
    cached by (path, inode, size, mtime), so repeated calls do not re-read the file.

    Raises
    ------
    InputError
        The first copy found does not have the pinned sha256 (edited, truncated or stale).
    """
    from marketlib.paths import raw_dir

    ds = DATASETS[name]
    candidates = [Path(raw) if raw is not None else raw_dir()]
    mirror = mirror_dir()
    if mirror is not None:
        candidates.append(mirror)
    found = next((c / ds.relpath for c in candidates if (c / ds.relpath).is_file()), None)
    if found is None:
        return None
    got = sha256_cached(found)
    if got != ds.sha256:
        raise InputError(
            found,
            f"sha256 mismatch: expected {ds.sha256}, got {got} (a changed "
            f"or partial copy; re-run marketlib fetch {name})",
        )
    return found


def fetch_aijobs(dest: str | os.PathLike[str], timeout: float = 60.0) -> Path:
    """Get the pinned aijobs salaries file (see :func:`fetch`)."""
    return fetch("aijobs", dest, timeout)
