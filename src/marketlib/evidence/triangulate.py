"""Every claim against the sources that can speak to it (issue 31's triangulated audit).

Inputs are a report's ``results.json`` (the run's pay ratios and claims, the activity proxy's
windows) and the clean tables of the independent sources; the output is the pay of two
surveys side by side, adoption by region and wave, demand by country, and one row per claim
with a verdict per source and the combined line (:mod:`marketlib.evidence.agreement`).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

from marketlib.arbitrage.bands import METHOD as BANDS_METHOD
from marketlib.arbitrage.bands import banded_ratios
from marketlib.claims.rates import ratio_verdict
from marketlib.evidence.adoption import adoption_shares
from marketlib.evidence.agreement import (
    combined_verdict,
    consistency,
    direction_verdict,
    ratio_of_ratios,
)
from marketlib.evidence.demand import demand_changes

#: The pay comparison of a run whose pay are bill rates (Kaggle's are yearly pay).
NOT_COMPARABLE = "not comparable (bill rates against yearly pay)"
KAGGLE_POPULATION = (
    "Kaggle ML & DS Survey 2021-2022 respondents in work ({titles}; "
    "students and the not employed left out), yearly pay in USD bands"
)


def kaggle_population(titles: Sequence[str] | None) -> str:
    """Return who the Kaggle rows are, in words: every title, or the titles kept."""
    return KAGGLE_POPULATION.format(
        titles="any job title" if not titles else "job titles " + "; ".join(titles)
    )


def select_titles(pay_bands: pd.DataFrame, titles: Sequence[str] | None) -> pd.DataFrame:
    """Return the banded-pay rows of these job titles (all rows when None).

    Raises
    ------
    ValueError
        A title no row has (the titles the data hold are named).
    """
    if not titles:
        return pay_bands
    known = set(pay_bands["title"].dropna().astype(str))
    unknown = [t for t in titles if t not in known]
    if unknown:
        raise ValueError(
            f"kaggle_titles {unknown} are not job titles of the Kaggle data; it has: "
            + "; ".join(sorted(known))
        )
    return pay_bands[pay_bands["title"].isin(list(titles))]


def _clean(v: Any) -> Any:
    if isinstance(v, float | np.floating):
        return None if not np.isfinite(v) else float(v)
    if isinstance(v, np.integer | np.bool_):
        return v.item()
    return v


def records(t: pd.DataFrame) -> list[dict[str, Any]]:
    """Return JSON-ready rows (NaN -> None)."""
    return [{k: _clean(v) for k, v in r.items()} for r in t.to_dict("records")]


def pay_side_by_side(
    results: Mapping[str, Any], pay_bands: pd.DataFrame, ci_level: float = 0.95
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Return each group's typical-country ratio in the run's pay data and in Kaggle's bands.

    With the two ratios' consistency (the ratio of ratios and its interval).
    """
    a = results["arbitrage"]
    geography, base = a["geography"], a["base"]
    comparable = str(a.get("rate_kind") or "salary") == "salary"  # Kaggle: yearly pay
    kaggle = pay_bands[pay_bands["employed"]]
    banded = banded_ratios(kaggle, geography, base, a.get("min_n", 30), ci_level=ci_level)
    ours = pd.DataFrame(a["regions"]).set_index("group")
    rows = []
    for _, k in banded.groups.iterrows():
        g = k["group"]
        if g == base:
            continue
        row: dict[str, Any] = {
            "group": g,
            "kaggle_n": int(k["n"]),
            "kaggle_countries": int(k.get("n_countries_averaged") or 0),
            "kaggle_ratio": k.get("ratio_equal_country"),
            "kaggle_ci_low": k.get("ratio_equal_country_ci_low"),
            "kaggle_ci_high": k.get("ratio_equal_country_ci_high"),
        }
        if not comparable:
            row["consistency"] = NOT_COMPARABLE
        elif g in ours.index:
            o = ours.loc[g]
            row.update(
                pay_n=int(o["n"]),
                pay_ratio=o.get("ratio_equal_country"),
                pay_ci_low=o.get("ratio_equal_country_ci_low"),
                pay_ci_high=o.get("ratio_equal_country_ci_high"),
            )
            sides = [
                float(row[c]) if row.get(c) is not None else np.nan
                for c in (
                    "pay_ratio",
                    "pay_ci_low",
                    "pay_ci_high",
                    "kaggle_ratio",
                    "kaggle_ci_low",
                    "kaggle_ci_high",
                )
            ]
            p, plo, phi, k, klo, khi = sides
            rr, lo, hi = ratio_of_ratios(p, plo, phi, k, klo, khi, ci_level=ci_level)
            row.update(
                ratio_of_ratios=rr, ror_ci_low=lo, ror_ci_high=hi, consistency=consistency(lo, hi)
            )
        else:
            row["consistency"] = "no test"
        rows.append(row)
    return pd.DataFrame(rows), banded.countries


#: The columns of the country-by-country comparison (``pay_countries_compared``).
COUNTRY_COLUMNS = (
    "country_iso3",
    "group",
    "pay_n",
    "pay_ratio",
    "pay_ci_low",
    "pay_ci_high",
    "kaggle_n",
    "kaggle_ratio",
    "kaggle_ci_low",
    "kaggle_ci_high",
    "ratio_of_ratios",
    "ror_ci_low",
    "ror_ci_high",
    "consistency",
)


def countries_side_by_side(
    results: Mapping[str, Any], kaggle_countries: pd.DataFrame, ci_level: float = 0.95
) -> pd.DataFrame:
    """Return each country both surveys report with an interval: both ratios, their test.

    The run's country ratios (``arbitrage.countries``: bootstrap or order-statistic bounds)
    and Kaggle's (the banded median's delta-method variance, country and base independent);
    none when the run's pay are bill rates (Kaggle's are yearly pay).
    """
    a = results["arbitrage"]
    ours = pd.DataFrame(a.get("countries") or [])
    cols = list(COUNTRY_COLUMNS)
    if (
        str(a.get("rate_kind") or "salary") != "salary"
        or ours.empty
        or kaggle_countries.empty
        or "ratio_ci_low" not in kaggle_countries
        or "ratio_ci_low" not in ours
    ):
        return pd.DataFrame(columns=cols)
    k = kaggle_countries[kaggle_countries["reported"].astype(bool)]
    both = ours.dropna(subset=["ratio_ci_low", "ratio_ci_high"]).merge(
        k.dropna(subset=["ratio_ci_low"]), on="country_iso3", suffixes=("_pay", "_kaggle")
    )
    rows = []
    for _, r in both.iterrows():  # a few dozen countries at most
        rr, lo, hi = ratio_of_ratios(
            float(r["ratio_to_base_pay"]),
            float(r["ratio_ci_low_pay"]),
            float(r["ratio_ci_high_pay"]),
            float(r["ratio_to_base_kaggle"]),
            float(r["ratio_ci_low_kaggle"]),
            float(r["ratio_ci_high_kaggle"]),
            ci_level=ci_level,
        )
        rows.append(
            dict(
                zip(
                    cols,
                    [
                        r["country_iso3"],
                        r["group_pay"],
                        int(r["n_pay"]),
                        r["ratio_to_base_pay"],
                        r["ratio_ci_low_pay"],
                        r["ratio_ci_high_pay"],
                        int(r["n_kaggle"]),
                        r["ratio_to_base_kaggle"],
                        r["ratio_ci_low_kaggle"],
                        r["ratio_ci_high_kaggle"],
                        rr,
                        lo,
                        hi,
                        consistency(lo, hi),
                    ],
                    strict=True,
                )
            )
        )
    return pd.DataFrame(rows, columns=cols)


def claims_by_source(
    results: Mapping[str, Any],
    pay: pd.DataFrame,
    adoption: Any,
    demand: pd.DataFrame,
    countries_of: Mapping[str, list[str]],
) -> pd.DataFrame:
    """Return one row per pay or regional-growth claim: each source's verdict, combined."""
    claimed = {c["claim_id"]: c for c in results["arbitrage"].get("claimed_vs_data", [])}
    kaggle = pay.set_index("group") if len(pay) else pay
    rows = []
    for c in results.get("claims", []):
        if c.get("check") not in ("data_rate", "data_growth"):
            continue
        verdicts: dict[str, str] = {}
        notes: dict[str, str] = {}
        first = "pay_data" if c["check"] == "data_rate" else "innovation_graph"
        verdicts[first] = c["verdict"]
        if c["check"] == "data_rate":
            cl = claimed.get(c["id"], {})
            g, ratio = cl.get("region"), cl.get("claimed_ratio")
            if str(results["arbitrage"].get("rate_kind") or "salary") != "salary":
                notes["kaggle"] = (
                    "the run's pay are bill rates and Kaggle's yearly pay of "
                    "people in work: it cannot speak to them"
                )
            elif g is None or ratio is None or g == results["arbitrage"]["base"]:
                notes["kaggle"] = (
                    "a level in $/hr (a bill rate): Kaggle reports yearly "
                    "pay in bands, not rates; it cannot speak to it"
                )
            elif g in kaggle.index:
                k = kaggle.loc[g]
                v = ratio_verdict(float(ratio), k.get("kaggle_ci_low"), k.get("kaggle_ci_high"))
                verdicts["kaggle"] = v or "untestable"
                notes["kaggle"] = (
                    f"typical-country ratio {k['kaggle_ratio']:.2f}"
                    if k.get("kaggle_ratio") is not None
                    else "no typical-country ratio"
                )
        else:
            region, a, b = c.get("region"), int(c["period_from"]), int(c["period_to"])
            notes["cncf_surveys"] = (
                f"the survey waves end in 2022: they cannot speak to {a}-{b}" if b > 2022 else ""
            )
            codes = countries_of.get(region, [])
            d = (
                demand[
                    (demand["from"] == a) & (demand["to"] == b) & demand["country_iso3"].isin(codes)
                ]
                if len(demand)
                else demand
            )
            changes = [x for x in d.get("ai_share_change", pd.Series(dtype=float)) if x is not None]
            if changes:
                mean = float(np.mean(changes))
                verdicts["indeed"] = direction_verdict(float(c["value"]), mean)
                where = "country" if len(changes) == 1 else "countries"
                notes["indeed"] = (
                    f"AI share of postings {mean * 100:+.2f} points on average "
                    f"over {len(changes)} {where} (direction only: postings, "
                    "not certificates)"
                )
            else:
                notes["indeed"] = "Indeed publishes no AI share for this region's countries"
        rows.append(
            {
                "id": c["id"],
                "text": c.get("text", ""),
                "verdicts": verdicts,
                "notes": {k: v for k, v in notes.items() if v},
                "combined": combined_verdict(list(verdicts.values())),
            }
        )
    return pd.DataFrame(rows)


def triangulate(
    results: Mapping[str, Any],
    pay_bands: pd.DataFrame,
    adoption: pd.DataFrame,
    demand: pd.DataFrame,
    ci_level: float = 0.95,
    kaggle_titles: Sequence[str] | None = None,
) -> dict[str, Any]:
    """Return the side-by-side pay, adoption, demand and claims tables (JSON-ready).

    ``kaggle_titles``: the Kaggle job titles compared (None: every title).
    """
    pay, countries = pay_side_by_side(results, select_titles(pay_bands, kaggle_titles), ci_level)
    adopt = adoption_shares(adoption, ci_level)
    pairs = sorted(
        {
            (int(r["from"]), int(r["to"]))
            for r in results.get("regional", [])
            if str(r.get("from", "")).isdigit()
        }
    )
    dem = demand_changes(demand, pairs)
    countries_of: dict[str, list[str]] = {}
    if len(demand):
        for region, t in demand.groupby("region"):
            countries_of[str(region)] = sorted(t["country_iso3"].unique())
    claims = claims_by_source(results, pay, adopt, dem, countries_of)
    return {
        "base": results["arbitrage"]["base"],
        "ci_level": ci_level,
        "geography": results["arbitrage"]["geography"],
        "pay": records(pay),
        "pay_countries": records(countries),
        "pay_countries_compared": records(countries_side_by_side(results, countries, ci_level)),
        "pay_method": BANDS_METHOD,
        "kaggle_population": kaggle_population(kaggle_titles),
        "pay_population": results["arbitrage"].get("population"),
        "adoption": adopt.to_dict(),
        "demand": records(dem) if len(dem) else [],
        "claims": records(claims),
    }


def summary_lines(out: Mapping[str, Any]) -> list[str]:
    """Return the terminal summary of :func:`triangulate`: pay side by side, claims' verdicts."""
    lines = [f"pay, two surveys ({out['kaggle_population']}):"]
    for r in out["pay"]:
        if r.get("consistency") in ("consistent", "disagree"):
            lines.append(
                f"  {r['group']}: pay data {r['pay_ratio']:.2f} "
                f"[{r['pay_ci_low']:.2f}-{r['pay_ci_high']:.2f}], Kaggle "
                f"{r['kaggle_ratio']:.2f} [{r['kaggle_ci_low']:.2f}-"
                f"{r['kaggle_ci_high']:.2f}]: {r['consistency']}"
            )
    lines.append("claims, by source:")
    for c in out["claims"]:
        said = ", ".join(f"{k} {v}" for k, v in c["verdicts"].items())
        lines.append(f"  {c['id']}: {said} -> {c['combined']}")
    return lines
