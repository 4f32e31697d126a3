"""``marketlib.cli``: bad options, files and output folders refused in one line (exit 2), and
what ``marketlib clean`` says about the rows it rejected."""

from __future__ import annotations

import pytest
import yaml
from hostile import clean_cli

from marketlib.cli import main
from marketlib.sources import read_rejected_csv


@pytest.mark.parametrize(
    "args",
    [
        ["clean", "certifications", "x.csv", "--format", "counts", "--freq", "X"],
        ["clean", "rates", "x.csv", "--format", "generic", "--decimal", ";"],
        ["clean", "rates", "x.csv", "--format", "generic", "--hours-per-year", "1"],
        ["clean", "rates", "x.csv", "--format", "generic", "--max-date", "1900-01-01"],
    ],
)
def test__cli__bad_options_exit_2_with_one_line(args, capsys):
    with pytest.raises(SystemExit) as ex:
        rc = main(args)
        raise SystemExit(rc)
    assert ex.value.code == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("marketlib: error:")


def test__cleaning_its_own_rejected_file_or_outputs_in_out__never_read_back(tmp_path):
    rc, out = clean_cli(
        tmp_path,
        "rates",
        "generic",
        "country,amount,currency,unit,date\nUS,x,USD,year,2023\nUS,1e5,USD,year,2023\n",
    )
    assert rc == 0
    rej = out / "rates_rejected.csv"
    assert main(["clean", "rates", str(rej), "--format", "generic", "--out", str(out)]) == 2
    again = main(["clean", "rates", str(rej), "--format", "generic", "--out", str(tmp_path / "o2")])
    assert again in (0, 3)  # re-cleaning a rejected file elsewhere: its reason/detail kept aside
    assert {"input_reason", "input_detail"} <= set(
        read_rejected_csv(tmp_path / "o2" / "rates_rejected.csv").columns
    )


def test__error_messages_never_echo_an_unrelated_file(tmp_path, capsys):
    secret = tmp_path / "passwd"
    secret.write_text("root:x:0:0:root:/root:/bin/bash\n")
    link = tmp_path / "rates.csv"
    link.symlink_to(secret)
    assert (
        main(["clean", "rates", str(link), "--format", "generic", "--out", str(tmp_path / "o")])
        == 2
    )
    err = capsys.readouterr().err
    assert "root:x" not in err and "required column(s) missing" in err


def test__empty_out_refused(tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    src = tmp_path / "in.csv"
    src.write_text("country,amount,currency,unit,date\nUS,1e5,USD,year,2023\n")
    assert main(["clean", "rates", str(src), "--format", "generic", "--out", ""]) == 2
    assert sorted(p.name for p in tmp_path.iterdir()) == ["in.csv"]


# --- column-map constants are checked before the file is read ---------------------------------


@pytest.mark.parametrize(
    "key, constant, ok",
    [
        ("unit", "fortnight", False),
        ("unit", "yearly", True),
        ("country", "Narnia", False),
        ("country", "Germany", True),
        ("currency", "XYZ", False),
        ("currency", "eur", True),
        ("amount", "abc", False),
        ("experience", "wizard", False),
        ("experience", "senior", True),
        ("currency", "EUR European Euro", True),  # a layout's currency cell: code, then name
    ],
)
def test__column_map_constant__refused_up_front_when_no_row_could_use_it(
    tmp_path, capsys, key, constant, ok
):
    from marketlib.cli import main

    cols = {
        "amount": "amount",
        "currency": "currency",
        "country": "country",
        "date": "date",
        "unit": "unit",
        key: {"value": constant},
    }
    (tmp_path / "cols.yaml").write_text(yaml.safe_dump(cols))
    src = tmp_path / "in.csv"
    src.write_text("amount,currency,unit,country,date\n100000,USD,year,US,2024-01-01\n")
    rc = main(
        [
            "clean",
            "rates",
            str(src),
            "--format",
            "generic",
            "--columns",
            str(tmp_path / "cols.yaml"),
            "--out",
            str(tmp_path / "out"),
        ]
    )
    err = capsys.readouterr().err
    if ok:  # not refused up front (a generic file then rejects a named currency's rows)
        assert rc in (0, 3), err
        assert rc == 0 or constant == "EUR European Euro"
    else:
        assert rc == 2 and f"{key}: the constant {constant!r}" in err
        assert "cols.yaml" in err and len(err.strip().splitlines()) == 1
        assert not (tmp_path / "out").exists()  # nothing read, nothing written


def test__unknown_words_notice_says_which_rows_were_rejected(tmp_path, capsys):
    from marketlib.cli import main

    src = tmp_path / "in.csv"
    src.write_text(
        "amount,currency,unit,country,date,experience\n"
        "100000,USD,year,US,2024-01-01,mid\n100000,USD,year,Narnia,2024-01-01,mid\n"
        "100000,USD,year,US,2024-01-01,wizard\n"
    )
    assert (
        main(
            [
                "clean",
                "rates",
                str(src),
                "--format",
                "generic",
                "--out",
                str(tmp_path / "out"),
                "--max-rejected-share",
                "0.5",
            ]
        )
        == 0
    )
    out = capsys.readouterr().out
    assert "'Narnia' 1 (rows rejected: a rate needs its country)" in out
    assert "'wizard' 1 (rows kept, experience missing)" in out


# --- options and files that could never clean a row -------------------------------------------


def test__scheduler_without_the_dask_engine__refused(tmp_path, capsys):
    from marketlib.cli import main

    src = tmp_path / "in.csv"
    src.write_text("amount,currency,unit,country,date\n100000,USD,year,US,2024-01-01\n")
    rc = main(
        [
            "clean",
            "rates",
            str(src),
            "--format",
            "generic",
            "--scheduler",
            "tcp://127.0.0.1:1",
            "--out",
            str(tmp_path / "out"),
        ]
    )
    assert rc == 2 and "--scheduler: is used only with --engine dask" in capsys.readouterr().err


@pytest.mark.parametrize("sep, name", [(";", "semicolons"), ("\t", "tabs")])
def test__a_file_split_by_another_delimiter__named(tmp_path, capsys, sep, name):
    from marketlib.cli import main

    src = tmp_path / "in.csv"
    src.write_text(
        sep.join(["amount", "currency", "unit", "country", "date"])
        + "\n"
        + sep.join(["100000", "USD", "year", "US", "2024-01-01"])
        + "\n"
    )
    rc = main(["clean", "rates", str(src), "--format", "generic", "--out", str(tmp_path / "out")])
    assert rc == 2 and f"its header is split by {name}, not commas" in capsys.readouterr().err


@pytest.mark.parametrize(
    "scheme, words",
    [
        ("iso3,region,subregion\n", "the scheme lists no country (a header only)"),
        ("iso3,region,subregion\nUSA,,\n", "row 1: empty region"),
        ("iso3,region,subregion\nUSA,Americas,\n", "row 1: empty subregion"),
    ],
)
def test__a_region_scheme_without_countries_or_regions__refused(tmp_path, capsys, scheme, words):
    from marketlib.cli import main

    (tmp_path / "scheme.csv").write_text(scheme)
    src = tmp_path / "in.csv"
    src.write_text("amount,currency,unit,country,date\n100000,USD,year,US,2024-01-01\n")
    rc = main(
        [
            "clean",
            "rates",
            str(src),
            "--format",
            "generic",
            "--scheme",
            str(tmp_path / "scheme.csv"),
            "--out",
            str(tmp_path / "out"),
        ]
    )
    assert rc == 2 and words in capsys.readouterr().err


def test__max_date_in_the_future__refused(tmp_path, capsys):
    from marketlib.cli import main

    src = tmp_path / "in.csv"
    src.write_text("amount,currency,unit,country,date\n100000,USD,year,US,2099-01-01\n")
    rc = main(
        [
            "clean",
            "rates",
            str(src),
            "--format",
            "generic",
            "--max-date",
            "2999-01-01",
            "--out",
            str(tmp_path / "out"),
        ]
    )
    assert rc == 2 and "--max-date: 2999-01-01 is in the future" in capsys.readouterr().err
