from __future__ import annotations

import pandas as pd
import pytest

from marketlib import money


def test__usd_per_unit__annual_average_matches_ecb_published_value():
    # ECB: euro reference rate, 2024 annual average USD 1.0824 (ECB statistical bulletin).
    s = pd.Series(["EUR"])
    got = money.usd_per_unit(
        s, pd.Series(pd.to_datetime(["2024-01-01"])), pd.Series(pd.to_datetime(["2024-12-31"]))
    )
    assert got.iloc[0] == pytest.approx(1.0824, abs=5e-4)


def test__usd_per_unit__usd_is_one_unknown_is_nan_and_day_uses_that_day():
    cur = pd.Series(["USD", "CLP", "GBP", "GBP"])
    start = pd.Series(pd.to_datetime(["2023-01-01", "2023-01-01", "2023-03-15", "2023-03-18"]))
    end = pd.Series(pd.to_datetime(["2023-12-31", "2023-12-31", "2023-03-15", "2023-03-18"]))
    got = money.usd_per_unit(cur, start, end)
    assert got.iloc[0] == 1.0
    assert pd.isna(got.iloc[1])
    rates = money.ecb_usd_per_unit()
    assert got.iloc[2] == pytest.approx(rates.loc["2023-03-15", "GBP"])
    # a Saturday has no fixing: Friday's rate is used
    assert got.iloc[3] == pytest.approx(rates.loc["2023-03-17", "GBP"])


def test__usd_per_unit__period_after_coverage_is_nan():
    last = money.ecb_coverage()[1]
    s = pd.Series(["EUR"])
    got = money.usd_per_unit(
        s, pd.Series([last + pd.Timedelta(days=30)]), pd.Series([last + pd.Timedelta(days=60)])
    )
    assert pd.isna(got.iloc[0])


@pytest.mark.parametrize(
    ("text", "unit"),
    [
        ("hourly", "hour"),
        ("HR", "hour"),
        ("daily", "day"),
        ("Weekly", "week"),
        ("monthly", "month"),
        ("annual", "year"),
        ("per annum", "year"),
        ("Yearly", "year"),
        (" year ", "year"),
        ("fortnight", None),
        ("", None),
    ],
)
def test__normalize_units(text, unit):
    got = money.normalize_units(pd.Series([text])).iloc[0]
    assert (pd.isna(got) and unit is None) or got == unit


def test__unit_hours__spec_constants():
    units = pd.Series(["hour", "day", "week", "month", "year"])
    assert money.unit_hours(units).tolist() == [1, 8, 40, 2080 / 12, 2080]
    assert money.unit_hours(units, 1800).tolist()[-2:] == [150, 1800]


class TestWithdrawnCurrenciesTheEcbTableCovers:
    """Hostile round 4, item 13: BGN, HRK, LTL are currencies of their years, not unknown."""

    @pytest.mark.parametrize(
        ("code", "day"), [("BGN", "2024-06-03"), ("HRK", "2022-06-01"), ("LTL", "2014-06-02")]
    )
    def test__accepted_and_converted_over_their_own_dates(self, code, day):
        assert code in money.iso4217_codes()
        d = pd.Series(pd.to_datetime([day]))
        fx = money.usd_per_unit(pd.Series([code]), d, d)
        assert fx.notna().all() and 0.1 < float(fx.iloc[0]) < 2

    def test__a_made_up_code_is_still_unknown(self):
        assert "XQZ" not in money.iso4217_codes()
