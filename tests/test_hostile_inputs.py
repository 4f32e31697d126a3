"""Hostile and malformed inputs, fixed at the root: numbers, CSV files, CSV output, outputs.

Every fixture is inline (no copies of the shared data).
"""

from __future__ import annotations

import csv
import hashlib
import math
import os
import re
import signal
import stat
import subprocess
import sys
import threading
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from marketlib import sources
from marketlib.frames import THOUSANDS_SEPARATORS, number_pattern, number_problems, parse_numbers
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

SETTINGS = settings(
    max_examples=80, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)


def write(tmp_path: Path, name: str, data: bytes) -> Path:
    p = tmp_path / name
    p.write_bytes(data)
    return p


# --- 1. numbers ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "dot", "comma"),
    [
        ("1,234.5", 1234.5, None),
        ("120 000", 120000, 120000),
        ("1_000", 1000, 1000),
        ("150000", 150000, 150000),
        ("-3", -3, -3),
        (".5", 0.5, None),
        ("1e3", 1000, 1000),
        (" 42 ", 42, 42),
        ("12,34,567", 1234567, None),
        ("1'234.5", 1234.5, None),
        ("1\u202f234", 1234, 1234),
        ("1\u00a0234,5", None, 1234.5),
        ("+3", 3, 3),
        ("12,5", None, 12.5),
        ("1.234,56", None, 1234.56),
        ("1,23", None, 1.23),
        ("1,2345", None, 1.2345),
        ("1,234", 1234, 1.234),
        ("1.234", 1.234, 1234),
        ("1,234 567", None, None),
        ("1,2,3", None, None),
        ("1..2", None, None),
        ("1e306", 1e306, 1e306),
        ("-1e306", -1e306, -1e306),
        ("1e400", None, None),
        ("inf", None, None),
        ("-Infinity", None, None),
        ("nan", None, None),
        ("", None, None),
        ("abc", None, None),
        ("0x10", None, None),
        ("1,234.5e2", 123450, None),
        ("\u0661\u0662", None, None),  # Arabic-Indic digits are not taken for ASCII ones
    ],
)
def test__parse_numbers__one_unambiguous_convention(text, dot, comma):
    for decimal, want in ((".", dot), (",", comma)):
        got = parse_numbers(pd.Series([text]), decimal=decimal).iloc[0]
        assert (math.isnan(got) and want is None) or got == want, (text, decimal, got)
        problem = number_problems(pd.Series([text]), decimal=decimal).iloc[0]
        assert pd.isna(problem) == (want is not None), (text, decimal, problem)


def test__number_problems__says_why():
    values = pd.Series(["12,5", "1.234,56", "1,2,3", "1e400", "inf", "abc", "", None, "7"])
    got = number_problems(values).tolist()
    assert got[0] == (
        "'12,5': decimal comma? separators do not match decimal '.' "
        "(pass --decimal , for that convention)"
    )
    assert got[1].startswith("'1.234,56': decimal comma?")
    assert "groups of exactly 3 digits" in got[2]
    assert "beyond the range" in got[3]
    assert got[4] == "'inf': not a finite number"
    assert got[5] == "'abc': not a number"
    assert got[6] == "'': empty"
    assert got[7] == "missing value"
    assert pd.isna(got[8])
    flipped = number_problems(pd.Series(["1,234.5"]), decimal=",").iloc[0]
    assert "decimal point?" in flipped and "--decimal ." in flipped
    assert number_problems(pd.Series(["x" * 500])).iloc[0] == "'" + "x" * 60 + "': not a number"


def test__parse_numbers__index_kept_and_bad_decimal_refused():
    values = pd.Series(["1", "x", None], index=[10, 20, 30], dtype="object")
    got = parse_numbers(values)
    assert list(got.index) == [10, 20, 30] and got.iloc[0] == 1 and got.iloc[1:].isna().all()
    assert parse_numbers(pd.Series([], dtype="str")).empty
    with pytest.raises(ValueError, match="decimal"):
        parse_numbers(values, decimal=";")


def _reference(text: str, decimal: str) -> float:
    """The rule of :func:`parse_numbers`, one value at a time in plain Python."""
    t = text.strip()
    if not re.fullmatch(number_pattern(decimal), t):
        return math.nan
    keep = "".join(c for c in t if c in "0123456789eE+-" + decimal).replace(",", ".")
    value = float(keep)
    return value if math.isfinite(value) else math.nan


number_text = st.text(alphabet="0123456789.,' _eE+-\u00a0x", max_size=14)


@SETTINGS
@given(st.lists(number_text, max_size=20), st.sampled_from([".", ","]))
def test__parse_numbers__matches_reference_and_problems_agree(texts, decimal):
    values = pd.Series(texts, dtype="object")
    got = parse_numbers(values, decimal=decimal)
    want = [_reference(t, decimal) for t in texts]
    np.testing.assert_array_equal(got.to_numpy(), np.array(want, dtype=float))
    problems = number_problems(values, decimal=decimal)
    assert (problems.isna() == got.notna()).all()


@SETTINGS
@given(
    st.integers(min_value=0, max_value=10**15),
    st.integers(min_value=0, max_value=99),
    st.sampled_from([".", ","]),
    st.data(),
)
def test__parse_numbers__grouped_numbers_round_trip(whole, cents, decimal, data):
    sep = data.draw(st.sampled_from(THOUSANDS_SEPARATORS[decimal]))
    grouped = f"{whole:,}".replace(",", sep)
    text = f"{grouped}{decimal}{cents:02d}"
    want = float(f"{whole}.{cents:02d}")
    assert parse_numbers(pd.Series([text]), decimal=decimal).iloc[0] == want
    if decimal == "." and whole >= 1000 and sep == ",":  # the same text under the other rule
        assert math.isnan(parse_numbers(pd.Series([text]), decimal=",").iloc[0])


@SETTINGS
@given(st.floats(allow_nan=False, allow_infinity=False))
def test__parse_numbers__any_finite_float_repr(x):
    assert parse_numbers(pd.Series([repr(x)])).iloc[0] == x


# --- 2. reading CSV files --------------------------------------------------------------------

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


# --- 3. formula injection --------------------------------------------------------------------


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


# --- 4. output integrity ---------------------------------------------------------------------


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


# --- 5. locate verifies the copy -------------------------------------------------------------


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
