"""One arbitrage run: every estimator on one scope, and its ``results.json`` section."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

import numpy as np
import pandas as pd

from marketlib.arbitrage.adjusted import AdjustedFit, adjusted_ratios, gap_trend
from marketlib.arbitrage.adjusted_countries import adjusted_country_clusters, respect_countries
from marketlib.arbitrage.countries import (
    EQUAL_COUNTRY_COLUMNS,
    MIN_COUNTRY_N,
    apply_country_clusters,
    country_clusters,
)
from marketlib.arbitrage.estimands import ESTIMANDS
from marketlib.arbitrage.medians import raw_ratios
from marketlib.arbitrage.percentiles import pay_percentiles
from marketlib.arbitrage.ppp import ppp_ratios
from marketlib.arbitrage.ranks import headline_ranks
from marketlib.arbitrage.select import Scope, require_base, select_rates
from marketlib.arbitrage.skills import has_skills, skills_breakdown
from marketlib.arbitrage.team import team_cost

#: The adjusted ratios' equal-country columns (the ratio and its two intervals).
_ADJUSTED_EXTRA = (*EQUAL_COUNTRY_COLUMNS, "n_countries_averaged", "n_rows_averaged", "n_countries")


#: Internal column -> its results.json name, where the name must say what a bound bounds.
RESULTS_NAMES = {"ci_low": "median_ci_low", "ci_high": "median_ci_high"}


@dataclass
class ArbitrageResult:
    """One arbitrage run: scope, step log, raw/adjusted/PPP ratios, trend, team."""

    scope: Scope
    log: list[dict[str, Any]]
    raw: pd.DataFrame
    adjusted: AdjustedFit | None
    ppp: pd.DataFrame | None
    trend: pd.DataFrame
    team: pd.DataFrame | None
    min_n: int
    countries: pd.DataFrame | None = None
    tau2: dict[str, float] | None = None
    #: P25/P50/P75/P90 per group, country, level and family (:mod:`.percentiles`)
    percentiles: pd.DataFrame | None = None
    #: pay by skill (pay data with skills only; :mod:`.skills`)
    skills: pd.DataFrame | None = None
    #: which region is cheapest, with the uncertainty of the headline's ranks (:mod:`.ranks`)
    ranks: pd.DataFrame | None = None

    def to_results(self) -> dict[str, Any]:
        """Return the ``arbitrage`` section of results.json (fractions, not percents)."""

        def clean(v: Any) -> Any:
            if isinstance(v, (np.floating, float)):
                return None if np.isnan(v) else float(v)
            if isinstance(v, (np.integer,)):
                return int(v)
            if isinstance(v, (np.bool_,)):
                return bool(v)
            return None if v is pd.NA else v

        regions = []
        for _, r in self.raw.iterrows():
            item = {
                "group": r.group,
                "n": int(r.n),
                "n_countries": int(r.n_countries),
                "top_country": r.top_country,
                "top_country_share": float(r.top_country_share),
                "reported": bool(r.reported),
            }
            if r.reported:
                item.update(
                    {
                        RESULTS_NAMES.get(k, k): clean(r[k])
                        for k in (
                            "median_hourly_usd",
                            "ci_low",
                            "ci_high",
                            "ratio_to_base",
                            "ratio_ci_low",
                            "ratio_ci_high",
                            "rse",
                            "flag",
                        )
                        if k in r
                    }
                )
                item.update({k: clean(r[k]) for k in EQUAL_COUNTRY_COLUMNS if k in r})
                for k in ("n_countries_averaged", "n_rows_averaged"):
                    if k in r and pd.notna(r[k]):
                        item[k] = int(r[k])
            regions.append(item)
        adjusted = (
            []
            if self.adjusted is None
            else [
                {
                    "group": r.group,
                    "ratio_to_base": r.ratio_to_base,
                    "ratio_ci_low": r.ci_low,
                    "ratio_ci_high": r.ci_high,
                    "controls": self.adjusted.controls,
                    "n": int(r.n),
                    "kennedy_pct_difference": r.kennedy_pct_difference,
                    "median_regression_ratio": clean(r.get("qr_ratio", np.nan)),
                    **{
                        k: (int(r[k]) if k.startswith("n_") and pd.notna(r[k]) else clean(r[k]))
                        for k in _ADJUSTED_EXTRA
                        if k in r
                    },
                }
                for _, r in self.adjusted.ratios.iterrows()
            ]
        )
        return {
            "base": self.scope.base,
            "geography": self.scope.geography,
            "hours_per_year": self.scope.hours_per_year,
            "rate_kind": self.scope.rate_kind,
            "min_n": self.min_n,
            "scope": self.scope.to_dict(),
            "selection_log": self.log,
            "regions": regions,
            "adjusted": adjusted,
            "ppp": []
            if self.ppp is None
            else [{k: clean(v) for k, v in r.items()} for r in self.ppp.to_dict("records")],
            "gap_trend": [
                {k: clean(v) for k, v in r.items()} for r in self.trend.to_dict("records")
            ],
            "team": None
            if self.team is None
            else [{k: clean(v) for k, v in r.items()} for r in self.team.to_dict("records")],
            "countries": []
            if self.countries is None
            else [
                {
                    ("ratio_" + k if k in ("ci_low", "ci_high") else k): clean(v)
                    for k, v in r.items()
                }
                for r in self.countries.to_dict("records")
            ],
            "between_country_variance": self.tau2 or {},
            "percentiles": []
            if self.percentiles is None
            else [{k: clean(v) for k, v in r.items()} for r in self.percentiles.to_dict("records")],
            "skills": []
            if self.skills is None
            else [{k: clean(v) for k, v in r.items()} for r in self.skills.to_dict("records")],
            "population": population(self.scope, self.skills is not None),
            "ranks": []
            if self.ranks is None
            else [{k: clean(v) for k, v in r.items()} for r in self.ranks.to_dict("records")],
            "estimands": dict(ESTIMANDS),
            "interval_method": (
                "equal-country ratios (raw and adjusted): a typical country, "
                "t with k - 1 df on the spread between countries (equal-weight "
                "HKSJ random effects), and the named countries, from their own "
                "sampling variances; pooled ratios: rows resampled (raw), HC3 "
                "(adjusted); countries: bootstrap (n >= 30) or order-statistic "
                "bounds (n < 30)"
            ),
        }


def run_arbitrage(
    rates: pd.DataFrame,
    scope: Scope,
    min_n: int = 30,
    n_boot: int = 2000,
    seed: int = 0,
    ci_level: float = 0.95,
    plr: pd.DataFrame | None = None,
    team: list[dict[str, Any]] | None = None,
) -> ArbitrageResult:
    """Run raw, adjusted, PPP, gap-trend and team-cost estimators on one scope."""
    d, log = select_rates(rates, scope)
    require_base(d, scope, min_n)
    raw = raw_ratios(d, scope.base, min_n, n_boot, seed, ci_level)
    clusters = country_clusters(d, scope.base, n_boot, seed, ci_level)
    raw = apply_country_clusters(raw, clusters, scope.base)
    groups = raw.loc[raw["reported"].astype(bool), "group"].tolist()
    adjusted = (
        adjusted_ratios(d, scope.base, groups, ci_level=ci_level) if len(groups) > 1 else None
    )
    adjusted = respect_countries(adjusted, d, scope.base, groups, ci_level)
    ppp = ppp_ratios(d, plr, scope.base, groups) if plr is not None and groups else None
    trend = (
        gap_trend(d, scope.base, groups, ci_level=ci_level) if len(groups) > 1 else pd.DataFrame()
    )
    team_df = (
        team_cost(d, team, scope.base, groups, scope.hours_per_year, seed=seed)
        if team and adjusted is not None
        else None
    )
    return ArbitrageResult(
        scope=scope,
        log=log,
        raw=raw,
        adjusted=adjusted,
        ppp=ppp,
        trend=trend,
        team=team_df,
        min_n=min_n,
        countries=clusters.countries,
        tau2=clusters.tau2,
        percentiles=pay_percentiles(d, min_n, MIN_COUNTRY_N, ci_level),
        skills=(
            skills_breakdown(d, scope.base, min_n, n_boot, seed, ci_level)
            if has_skills(d)
            else None
        ),
        ranks=ranks_of(adjusted, scope.base, ci_level, seed),
    )


def ranks_of(
    adjusted: AdjustedFit | None, base: str, ci_level: float, seed: int
) -> pd.DataFrame | None:
    """Return the headline's rank uncertainty over the groups other than the base."""
    if adjusted is None or adjusted.ratios.empty:
        return None
    return headline_ranks(adjusted.ratios[adjusted.ratios["group"] != base], ci_level, seed=seed)


def population(scope: Scope, holds_skills: bool) -> str:
    """Return who the pay rows are, in words that follow the data and the selection.

    Pay data with skills name the skills selected ("Kubernetes and PyTorch specialists");
    without, the population is defined by job titles and no skill is named.
    """
    who = {"salary": "employees", "bill_rate": "contractors"}.get(scope.rate_kind, "workers")
    if scope.employment_types:
        who = (
            ", ".join(t.replace("_", "-") for t in scope.employment_types) + f" {who}"
            if scope.rate_kind == "salary"
            and set(scope.employment_types) != {"full_time", "employee"}
            else who
        )
    fams = f" in {', '.join(scope.role_families)}" if scope.role_families else ""
    if scope.skills_all or scope.skills_any:
        names = [skill_name(s) for s in (scope.skills_all or ())]
        text = " and ".join(names)
        if scope.skills_any:
            anyt = " or ".join(skill_name(s) for s in scope.skills_any)
            text = f"{text} and {anyt}" if text else anyt
        return f"{text} specialists ({who}{fams}, selected by the skills they list)"
    if holds_skills:
        return f"{who}{fams} (all listed skills)"
    return f"{who}{fams}, defined by job titles (the pay data hold no skills)"


def skill_name(word: str) -> str:
    """Return a skill word as readers write it (kubernetes -> Kubernetes, mlops -> MLOps)."""
    special = {
        "mlops": "MLOps",
        "pytorch": "PyTorch",
        "tensorflow": "TensorFlow",
        "llm": "LLM",
        "aws": "AWS",
        "gcp": "GCP",
        "huggingface": "Hugging Face",
        "scikit_learn": "scikit-learn",
        "mlflow": "MLflow",
        "kserve": "KServe",
        "xgboost": "XGBoost",
        "lightgbm": "LightGBM",
        "sql": "SQL",
        "machine_learning": "machine learning",
        "deep_learning": "deep learning",
    }
    return special.get(
        word, word.replace("_", " ").capitalize() if word.isalpha() or "_" in word else word
    )


def sensitivity(
    rates: pd.DataFrame, scope: Scope, min_n: int = 30, n_boot: int = 500, seed: int = 0
) -> pd.DataFrame:
    """Raw ratios under the variants of docs/methods.md#s3-4 and #s3-7 (rows kept or not)."""
    variants: dict[str, dict[str, Any]] = {
        "primary": {},
        "keep duplicates": {"duplicates": "keep"},
        "range pairs: keep both": {"range_pairs": "keep"},
        "range pairs: low only": {"range_pairs": "low"},
        "range pairs: high only": {"range_pairs": "high"},
        "drop outliers (|M| > 3.5)": {"exclude_outliers": True},
        "drop fx mismatches": {"exclude_fx_mismatch": True},
        "hours 2,087 (OPM)": {"hours_per_year": 2087},
    }
    rows = []
    for name, change in variants.items():
        s = Scope(**{**asdict(scope), **dict(change)})
        d, _ = select_rates(rates, s)
        r = raw_ratios(d, s.base, min_n, n_boot, seed)
        groups = r.loc[r["reported"].astype(bool), "group"].tolist()
        head = (
            adjusted_country_clusters(d, s.base, groups).set_index("group")
            if len(groups) > 1
            else pd.DataFrame()
        )
        for _, x in r[r["reported"].astype(bool)].iterrows():
            h = head.loc[x.group] if x.group in head.index else None
            rows.append(
                {
                    "variant": name,
                    "group": x.group,
                    "n": int(x.n),
                    "median_hourly_usd": x.median_hourly_usd,
                    "ratio_to_base": x.ratio_to_base,
                    # the headline: a typical country's adjusted ratio, as published
                    "headline_ratio": (
                        np.nan
                        if h is None or x.group == s.base
                        else h.get("ratio_equal_country", np.nan)
                    ),
                }
            )
    return pd.DataFrame(rows)
