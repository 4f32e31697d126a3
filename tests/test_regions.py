from __future__ import annotations

import pandas as pd
import pytest

from marketlib import regions
from marketlib.regions import assign_regions, load_scheme, resolve_countries

SPEC_SPELLINGS = {
    "US": "USA",
    "USA": "USA",
    "U.S.": "USA",
    "U.S.A.": "USA",
    "United States": "USA",
    "united states of america": "USA",
    "United Kingdom": "GBR",
    "UK": "GBR",
    "GB": "GBR",
    "GBR": "GBR",
    "Viet Nam": "VNM",
    "Vietnam": "VNM",
    "Türkiye": "TUR",
    "Turkey": "TUR",
    "Turkiye": "TUR",
    "Côte d'Ivoire": "CIV",
    "Cote d'Ivoire": "CIV",
    "Ivory Coast": "CIV",
    "South Korea": "KOR",
    "Korea, Republic of": "KOR",
    "Russia": "RUS",
    "Czechia": "CZE",
    "Czech Republic": "CZE",
    "Kosovo": "XKX",
    "XK": "XKX",
    "de": "DEU",
    "deu": "DEU",
    "  germany ": "DEU",
    "Kyiv, Ukraine": "UKR",
    "Medellín, Colombia": "COL",
    "Ho Chi Minh City, Viet Nam": "VNM",
    "Austin, TX, USA": "USA",
    "Bangalore, India": "IND",
    "Tel Aviv, Israel": "ISR",
    "Iran, Islamic Republic of": "IRN",
    "UAE": "ARE",
}


def test__resolve_countries__every_spec_spelling():
    s = pd.Series(list(SPEC_SPELLINGS))
    got = dict(zip(s, resolve_countries(s), strict=True))
    assert got == SPEC_SPELLINGS


@pytest.mark.parametrize(
    "text", ["Mars", "", "Springfield, IL", "San Francisco, CA", "Europe", "Narnia, Nowhere", "ZZ"]
)
def test__resolve_countries__unknown_is_never_guessed(text):
    assert resolve_countries(pd.Series([text])).isna().all()


def test__resolve_countries__each_distinct_value_looked_up_once(monkeypatch):
    calls = []
    real = regions._resolve_one
    monkeypatch.setattr(regions, "_resolve_one", lambda v: calls.append(v) or real(v))
    out = resolve_countries(pd.Series(["US", "UK", "US", "UK", "US"] * 1000))
    assert sorted(calls) == ["UK", "US"]
    assert out.value_counts().to_dict() == {"USA": 3000, "GBR": 2000}


def test__country_table__every_country_has_both_schemes_and_no_duplicates():
    t = regions.country_table()
    assert t["iso3"].is_unique and t["iso2"].is_unique
    assigned = t[t["region"] != ""]
    unassigned = set(t.loc[t["region"] == "", "iso3"])
    assert unassigned <= {"ATA", "BVT", "HMD", "ATF", "IOT", "SGS", "UMI"}, unassigned
    assert set(assigned["region"]) == set(regions.ARTICLE_REGIONS)
    assert set(assigned["subregion"]) == set(regions.ARTICLE_SUBREGIONS)
    assert (assigned["un_region"] != "").all() and (assigned["un_subregion"] != "").all()


@pytest.mark.parametrize(
    ("iso3", "article", "un"),
    [
        ("USA", ("North America", "North America"), ("Northern America", "Northern America")),
        ("CAN", ("North America", "North America"), ("Northern America", "Northern America")),
        (
            "MEX",
            ("Latin America", "Latin America"),
            ("Latin America and the Caribbean", "Central America"),
        ),
        ("EST", ("Europe", "Eastern Europe"), ("Europe", "Northern Europe")),
        ("HRV", ("Europe", "Eastern Europe"), ("Europe", "Southern Europe")),
        ("SRB", ("Europe", "Eastern Europe"), ("Europe", "Southern Europe")),
        ("POL", ("Europe", "Eastern Europe"), ("Europe", "Eastern Europe")),
        ("UKR", ("Europe", "Eastern Europe"), ("Europe", "Eastern Europe")),
        ("DEU", ("Europe", "Western Europe"), ("Europe", "Western Europe")),
        ("GBR", ("Europe", "Western Europe"), ("Europe", "Northern Europe")),
        ("TUR", ("Middle East & Africa", "Middle East"), ("Asia", "Western Asia")),
        ("ISR", ("Middle East & Africa", "Middle East"), ("Asia", "Western Asia")),
        ("IRN", ("Middle East & Africa", "Middle East"), ("Asia", "Southern Asia")),
        ("IND", ("Asia-Pacific", "South Asia"), ("Asia", "Southern Asia")),
        ("VNM", ("Asia-Pacific", "Southeast Asia"), ("Asia", "South-eastern Asia")),
        ("SGP", ("Asia-Pacific", "Southeast Asia"), ("Asia", "South-eastern Asia")),
        ("CHN", ("Asia-Pacific", "East Asia"), ("Asia", "Eastern Asia")),
        ("TWN", ("Asia-Pacific", "East Asia"), ("Asia", "Eastern Asia")),
        ("UZB", ("Asia-Pacific", "Central Asia"), ("Asia", "Central Asia")),
        ("AUS", ("Asia-Pacific", "Oceania"), ("Oceania", "Australia and New Zealand")),
        ("NGA", ("Middle East & Africa", "Africa"), ("Africa", "Sub-Saharan Africa")),
        ("EGY", ("Middle East & Africa", "Africa"), ("Africa", "Northern Africa")),
        ("CIV", ("Middle East & Africa", "Africa"), ("Africa", "Sub-Saharan Africa")),
        ("XKX", ("Europe", "Eastern Europe"), ("Europe", "Southern Europe")),
    ],
)
def test__assign_regions__edge_cases_under_both_schemes(iso3, article, un):
    s = pd.Series([iso3])
    assert tuple(assign_regions(s, "article").iloc[0]) == article
    assert tuple(assign_regions(s, "un").iloc[0]) == un


def test__load_scheme__user_csv_overrides(tmp_path):
    p = tmp_path / "mine.csv"
    p.write_text("ISO3,Region,Subregion\nMEX,North America,Nearshore\nUS,North America,US\n")
    m = load_scheme(p).set_index("iso3")
    assert m.loc["MEX", "subregion"] == "Nearshore"
    assert m.loc["USA", "subregion"] == "US"
    assert m.loc["POL", "subregion"] == "Eastern Europe"  # others keep the article scheme


def test__load_scheme__user_csv_with_unknown_code_is_refused(tmp_path):
    from marketlib.sources import InputError

    p = tmp_path / "mine.csv"
    p.write_text("iso3,region,subregion\nQQQ,A,B\n")
    with pytest.raises(InputError, match="row 1"):
        load_scheme(p)


@pytest.mark.realdata
def test__every_aijobs_country_resolves(shared_data):
    raw = pd.read_csv(shared_data / "aijobs" / "salaries.csv", dtype=str)
    codes = pd.Series(sorted(set(raw["employee_residence"]) | set(raw["company_location"])))
    iso3 = resolve_countries(codes)
    assert iso3.notna().all(), codes[iso3.isna()].tolist()
    assert assign_regions(iso3)["region"].notna().all()


class TestPlacesAreNeverGuessed:
    """Hostile round 4, items 7 and 14: subdivision codes and shared names are said, not read
    as countries."""

    @pytest.mark.parametrize(
        "place",
        [
            "Munich, BY",
            "Porto Alegre, RS",
            "Adelaide, SA",
            "Regina, SK",
            "Springfield, IL",
            "Atlanta, Georgia",
            "Kinshasa, Congo",
            "Congo",
            "Korea",
        ],
    )
    def test__ambiguous_places_resolve_to_nothing_and_say_why(self, place):
        assert resolve_countries(pd.Series([place])).isna().all()
        assert regions.ambiguity(place)

    @pytest.mark.parametrize(
        ("place", "iso3"),
        [
            ("Munich, BY, Germany", "DEU"),
            ("Austin, TX, USA", "USA"),
            ("Berlin, Germany", "DEU"),
            ("DE", "DEU"),
            ("South Korea", "KOR"),
            ("Korea, Republic of", "KOR"),
            ("Georgia", "GEO"),
            ("Democratic Republic of Congo", "COD"),
        ],
    )
    def test__unambiguous_places_still_resolve(self, place, iso3):
        assert resolve_countries(pd.Series([place])).iloc[0] == iso3
        assert regions.ambiguity(place) is None

    def test__the_cleaner_rejects_them_as_ambiguous_naming_the_choices(self, tmp_path):
        from marketlib.clean import CleanParams, clean_file

        f = tmp_path / "p.csv"
        f.write_text(
            "country,amount,currency,unit,date,role,experience,employment_type\n"
            '"Munich, BY",90000,EUR,year,2024-05-02,ML engineer,mid,employee\n'
            '"Munich, BY, Germany",90000,EUR,year,2024-05-02,ML engineer,mid,employee\n'
        )
        res, _ = clean_file(f, "generic", CleanParams(max_date="2026-01-01"))
        assert len(res.clean) == 1
        rej = res.rejected
        assert rej["reason"].tolist() == ["ambiguous_country"]
        assert "BLR" in rej["detail"].iloc[0] and "DE" in rej["detail"].iloc[0]

    def test__a_scheme_name_with_a_line_break_or_control_is_refused_naming_the_row(self, tmp_path):
        f = tmp_path / "s.csv"
        f.write_text('iso3,region,subregion\nDEU,Europe,West\nFRA,"Evil\n# Heading",West\n')
        with pytest.raises(regions.InputError, match="row 2: region holds a line break"):
            load_scheme(f)
        f.write_text("iso3,region,subregion\nDEU,Europe,\x1b[31mWest\n")
        with pytest.raises(regions.InputError, match="row 1: subregion"):
            load_scheme(f)
