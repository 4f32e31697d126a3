"""``marketlib.params``: report parameters refused in one line, never silently coerced."""

from __future__ import annotations

import pytest
import yaml

from marketlib.params import ParamsError, ReportParams, load_report_params
from marketlib.sources import InputError


@pytest.mark.parametrize(
    ("section", "problem"),
    [
        ({"as_of": 0}, "as_of must be a date"),
        ({"seed": True}, "seed: Input should be a valid integer"),
        ({"seed": "123"}, "seed: Input should be a valid integer"),
        ({"arbitrage": {"ppp": "yes"}}, "arbitrage.ppp"),
        ({"arbitrage": {"n_boot": "2000"}}, "arbitrage.n_boot"),
        ({"arbitrage": {"hours_per_year": "2080"}}, "arbitrage.hours_per_year"),
        ({"growth": {"start": "2024", "end": "2020"}}, r"end \(2020\) is before start \(2024\)"),
        ({"clean": {"scheme": "nosuch"}}, "clean.scheme"),
    ],
)
def test__params__no_silent_coercion(section, problem):
    with pytest.raises(ParamsError, match=problem):
        ReportParams.build(section)


def test__params__a_key_given_twice_is_refused(tmp_path):
    p = tmp_path / "p.yaml"
    p.write_text("seed: 1\nseed: 2\n")
    with pytest.raises(InputError, match="given twice"):
        load_report_params(p)
    p.write_text(yaml.safe_dump({"seed": 1}))
    assert load_report_params(p).seed == 1


# --- parameters that could never select a row, or would be ignored ----------------------------


@pytest.mark.parametrize(
    "section, values, words",
    [
        (
            "arbitrage",
            {"rate_kind": "bill_rate"},
            "select no row (bill_rate is the pay of contractor, freelance)",
        ),
        ("arbitrage", {"years": []}, "arbitrage.years: an empty list is ambiguous"),
        ("arbitrage", {"employment_types": []}, "an empty list is ambiguous"),
        (
            "arbitrage",
            {"scheduler": "tcp://127.0.0.1:1"},
            "scheduler is used only with engine: dask",
        ),
        ("growth", {"subjects": []}, "growth.subjects: an empty list is ambiguous"),
        ("regional", {"subjects": []}, "regional.subjects: an empty list is ambiguous"),
    ],
)
def test__parameters_that_select_nothing_or_do_nothing__refused_in_one_line(section, values, words):
    from marketlib.params import ParamsError, ReportParams

    with pytest.raises(ParamsError) as exc:
        ReportParams.build({section: values})
    assert words in str(exc.value) and "got a mapping" not in str(exc.value)
    assert "\n" not in str(exc.value)


def test__bill_rates_with_their_own_employment_types__accepted():
    from marketlib.params import ReportParams

    p = ReportParams.build(
        {"arbitrage": {"rate_kind": "bill_rate", "employment_types": ["contractor", "freelance"]}}
    )
    assert p.arbitrage.rate_kind == "bill_rate"
    for salaried in (["full_time"], ["part_time"], ["full_time", "part_time"], ["employee"]):
        assert ReportParams.build({"arbitrage": {"employment_types": salaried}})
    assert ReportParams.build({"arbitrage": {"rate_kind": "bill_rate", "employment_types": None}})
