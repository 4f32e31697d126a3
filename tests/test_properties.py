"""Property tests: for any mix of good and bad rows, every row is accounted for."""

from __future__ import annotations

import pandas as pd
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from marketlib.clean import REASON_CODES, CleanParams, clean_certifications, clean_rates

P = CleanParams(max_date="2026-01-01")
SETTINGS = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])

junk = st.text(max_size=8)
countries = (
    st.sampled_from(
        [
            "US",
            "USA",
            "U.S.",
            "UK",
            "Viet Nam",
            "Türkiye",
            "Berlin, Germany",
            "Mars",
            "",
            "CA",
            "Springfield, IL",
        ]
    )
    | junk
)
amounts = st.sampled_from(["100", "1,000", "-3", "0", "abc", "", "1e9", "55.5", "inf"]) | junk
currencies = st.sampled_from(["USD", "EUR", "GBP", "NGN", "XYZ", "", "usd", "CLP"]) | junk
units = st.sampled_from(["hour", "hourly", "day", "month", "per annum", "fortnight", ""]) | junk
dates = (
    st.sampled_from(["2023", "2023-05", "2023-05-02", "1900", "2030-01-01", "x", "", "02/05/2023"])
    | junk
)
years = st.sampled_from(["2020", "2024", "1800", "20x4", ""]) | junk


def _check(result, n: int) -> None:
    r = result.report
    assert r["rows_in"] == n == r["rows_clean"] + r["rows_rejected"]
    assert set(result.rejected["reason"]) <= set(REASON_CODES)
    assert result.rejected["detail"].notna().all()
    assert result.rejected["source_row"].is_unique


@SETTINGS
@given(st.lists(st.tuples(countries, amounts, currencies, units, dates), max_size=25))
def test__generic_rates__every_row_accounted(rows):
    raw = pd.DataFrame(rows, columns=["country", "amount", "currency", "unit", "date"], dtype="str")
    result = clean_rates(raw, "generic", P)
    _check(result, len(rows))
    got = set(result.clean["source_row"]) | set(result.rejected["source_row"])
    assert got == set(range(1, len(rows) + 1))
    assert not set(result.clean["source_row"]) & set(result.rejected["source_row"])


@SETTINGS
@given(
    st.lists(
        st.tuples(
            years,
            amounts,
            currencies,
            amounts,
            countries,
            st.sampled_from(["FT", "CT", "PT", "FL", "", "zz"]),
        ),
        max_size=25,
    )
)
def test__aijobs_rates__every_row_accounted(rows):
    raw = pd.DataFrame(
        rows,
        columns=[
            "work_year",
            "salary",
            "salary_currency",
            "salary_in_usd",
            "employee_residence",
            "employment_type",
        ],
        dtype="str",
    )
    raw = raw.assign(
        experience_level="SE",
        job_title="Data Scientist",
        remote_ratio="0",
        company_location="US",
        company_size="M",
    )
    result = clean_rates(raw, "aijobs", P)
    _check(result, len(rows))
    assert (result.clean["annual_usd"].between(1000, 2_000_000)).all()


@SETTINGS
@given(
    st.lists(
        st.tuples(
            dates,
            st.sampled_from(["CKA", "cka", "Foo", "", "KCNA"]) | junk,
            countries,
            st.sampled_from(["a", "b", "c", ""]),
        ),
        max_size=25,
    ),
    st.booleans(),
)
def test__records__every_row_accounted(rows, known_only):
    raw = pd.DataFrame(
        rows, columns=["date", "certification", "location", "credential_id"], dtype="str"
    )
    p = CleanParams(max_date="2026-01-01", freq="Y", known_certifications_only=known_only)
    result = clean_certifications(raw, "records", p)
    _check(result, len(rows))
    assert result.clean["count"].sum() == result.report["rows_clean"]


@SETTINGS
@given(
    st.lists(
        st.tuples(
            st.sampled_from(["2021", "2022", "2023-Q1", "2023-02", "20x", ""]),
            countries | st.sampled_from(["Europe", "World"]),
            st.sampled_from(["CKA", "all", ""]),
            st.sampled_from(["1", "5", "-1", "2.5", "", "1,000"]) | junk,
            st.sampled_from(["new", "cumulative", "", "weird"]),
        ),
        max_size=25,
    )
)
def test__counts__every_row_accounted(rows):
    raw = pd.DataFrame(
        rows, columns=["period", "region", "certification", "count", "kind"], dtype="str"
    )
    result = clean_certifications(raw, "counts", P)
    _check(result, len(rows))
    assert (result.clean["count"] >= 0).all()
