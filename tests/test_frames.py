"""``marketlib.frames``: numbers parsed in one unambiguous convention, and why a value is none."""

from __future__ import annotations

import math
import re

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from marketlib.frames import THOUSANDS_SEPARATORS, number_pattern, number_problems, parse_numbers

SETTINGS = settings(
    max_examples=80, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)


# --- hostile input: numbers -------------------------------------------------------------------


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
