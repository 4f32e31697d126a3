"""Hostile input, round 4: parameters the data cannot serve are named before any notebook."""

from __future__ import annotations

import pandas as pd
import pytest

from marketlib.growth import GrowthInputError, check_measure, prepare_panel
from marketlib.report import load_params
from marketlib.report.inputs import check_activity, check_counts
from marketlib.sources import InputError


def _activity() -> pd.DataFrame:
    rows = []
    for q in range(8):
        start = pd.Timestamp(2022, 1, 1) + pd.DateOffset(months=3 * q)
        for iso, region in (("DEU", "Europe"), ("IND", "Asia")):
            rows.append({"period_start": start, "country_iso3": iso, "region": region,
                         "measure": "topic_pushers", "subject": "kubernetes", "count": 500})
            rows.append({"period_start": start, "country_iso3": iso, "region": region,
                         "measure": "developers", "subject": None, "count": 9000})
    return pd.DataFrame(rows)


@pytest.mark.parametrize("measure, subjects, words", [
    ("bogus", ["kubernetes"], "measure 'bogus' is not in the activity table (it holds: "
                              "developers, topic_pushers)"),
    ("topic_pushers", ["no-such-topic"], "['no-such-topic'] not published for topic_pushers "
                                         "(the most frequent: kubernetes)"),
    ("topic_pushers", [], "no subjects given for topic_pushers"),
])
def test__unknown_measure_or_topic__named_with_what_the_table_holds(measure, subjects, words):
    with pytest.raises(GrowthInputError) as exc:
        check_measure(_activity(), measure, subjects)
    assert words in str(exc.value)
    check_measure(_activity(), "developers", None)  # the stock has no subjects: fine


def test__report_refuses_an_unknown_topic_before_any_notebook(tmp_path):
    table = tmp_path / "activity.parquet"
    _activity().to_parquet(table)
    params = load_params(None)

    def topics(names: list[str]):
        return params.model_copy(update={"regional": params.regional.model_copy(
            update={"subjects": names})})

    check_activity(topics(["kubernetes"]), table)
    bad = topics(["kubernetes", "llm"])
    with pytest.raises(InputError, match=r"regional: subject\(s\) \['llm'\] not published"):
        check_activity(bad, table)


def _world_counts() -> pd.DataFrame:
    return pd.DataFrame({
        "period": ["2021", "2022", "2023"] * 2,
        "period_start": pd.to_datetime(["2021-01-01", "2022-01-01", "2023-01-01"] * 2),
        "freq": "Y", "region": "World", "country_iso3": None,
        "certification": ["CKA"] * 3 + ["CKAD"] * 3, "count": [100, 150, 210, 50, 70, 90]})


def test__group_by_a_column_no_row_fills__refused_naming_what_can_be_used(tmp_path):
    with pytest.raises(GrowthInputError, match="group_by country_iso3: no row of the counts "
                                               "has it.*group by region or certification"):
        prepare_panel(_world_counts(), ["country_iso3"])
    table = tmp_path / "certifications.parquet"
    _world_counts().to_parquet(table)
    params = load_params(None)
    bad = params.model_copy(update={"growth": params.growth.model_copy(
        update={"group_by": ["country_iso3"]})})
    with pytest.raises(InputError, match="^growth: group_by country_iso3"):
        check_counts(bad, table)
    check_counts(params, table)


def test__group_value_missing_on_some_rows__its_own_not_stated_group():
    d = _world_counts()
    d.loc[d["certification"] == "CKAD", "region"] = None
    panel = prepare_panel(d, ["region"])
    assert sorted(panel.data["group"].unique()) == ["World", "not stated"]
    assert int(panel.data["y"].sum()) == int(d["count"].sum())
