"""Team cost (A4): what a stated team costs in each group, priced member by member.

Each group has its own country-effects model (docs/methods.md#s6-4):

    log rate_i = alpha_country(i) + role_family_i + experience_i + year_i + e_i   (OLS, HC1)

fitted on that group's rows, so a level or role premium may differ between groups and the
team's composition changes its cost. A member's pay in a group is the model's prediction for
their role and level in a **typical country** of the group (the mean country effect of the
countries with at least 10 rows, as the headline ratio) at the **pricing year**; the base is
priced in its own countries, weighed by rows (the reference, as published).

Uncertainty (the 90% band, percentiles 5/50/95): the group's typical-country level is drawn
from its headline interval (Student's t with k - 1 df on the spread between its countries),
the control coefficients from their HC1 sampling distribution; a group averaged over fewer
than three countries gets a point estimate and no band. ``with assumptions`` adds employer
on-costs and a coordination overhead: the base's range is BLS ECEC's (US), every other
group's is Eurostat's EU range (LCS 2020, Lithuania 1.05 to Sweden 1.47), applied outside
the EU as an assumption, said in the results' note.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats
from statsmodels.regression.linear_model import OLS
from statsmodels.tools.sm_exceptions import SingularMatrixWarning

from marketlib.arbitrage.adjusted import _controls, winsorize_log
from marketlib.arbitrage.countries import MIN_CLUSTERS_FOR_CI, MIN_COUNTRY_N

#: The controls every group's team model holds (those that vary in the group's rows).
TEAM_CONTROLS = ("role_family", "experience", "year")
#: A year is priced only if it holds at least this share of the model's rows: a year with
#: few rows is a partial year (aijobs' latest year is its January).
MIN_PRICING_YEAR_SHARE = 0.10


@dataclass(frozen=True)
class TeamAssumptions:
    """Cost assumptions, each a range: employer loading and coordination overhead."""

    loading_base: tuple[float, float] = (1.43, 1.46)  # BLS ECEC, US wages ~68-70% of cost
    loading_other: tuple[float, float] = (1.05, 1.47)  # Eurostat LCS LT ~0.04 .. SE ~0.32
    overhead: tuple[float, float, float] = (0.05, 0.15, 0.30)  # triangular(min, mode, max)


#: Said with every team cost: where the on-cost ranges come from.
ON_COST_NOTE = (
    "Employer on-costs: the base's range is the US one (BLS ECEC); every other "
    "group uses the EU range (Eurostat LCS, 1.05-1.47), an assumption outside the "
    "EU."
)


def pricing_year(d: pd.DataFrame) -> int | None:
    """Return the latest year holding at least 10% of the rows (a complete year), or None."""
    if "year" not in d or d["year"].dropna().empty:
        return None
    share = d["year"].value_counts(normalize=True)
    full = share[share >= MIN_PRICING_YEAR_SHARE]
    return int(full.index.max()) if len(full) else int(share.idxmax())


def team_cost(
    d: pd.DataFrame,
    team: list[dict[str, Any]],
    base: str,
    groups: list[str],
    hours_per_year: float,
    n_draws: int = 5000,
    seed: int = 0,
    assumptions: TeamAssumptions | None = None,
    min_country_n: int = MIN_COUNTRY_N,
) -> pd.DataFrame:
    """Price ``team`` in each group: savings ``1 - cost/cost_base`` with their 90% bands.

    ``d``: the selected rows (``group``, ``country_iso3``, ``hourly_usd`` and the controls);
    ``team``: items ``{"role_family", "experience", "headcount"}``. A member whose role or
    level has no rows in a group cannot be priced there: the group is left unpriced and
    named in the note (never extrapolated).
    """
    a = assumptions or TeamAssumptions()
    rng = np.random.default_rng(seed)
    year = pricing_year(d[d["group"].isin(groups)])
    team, notes = usable_team(team, d[d["group"].isin(groups)], TEAM_CONTROLS)
    if not team:
        out = pd.DataFrame()
        out.attrs["note"] = " ".join(notes)
        return out
    draws: dict[str, np.ndarray] = {}
    points: dict[str, float] = {}
    for g in groups:
        priced = _price_group(
            d[d["group"] == g], team, year, g == base, n_draws, rng, min_country_n
        )
        if isinstance(priced, str):
            notes.append(f"{g}: not priced ({priced}).")
            continue
        points[g], draws[g] = priced
    if base not in points:
        out = pd.DataFrame()
        out.attrs["note"] = " ".join(notes)
        return out
    out = []
    for g in groups:
        if g == base or g not in points:
            continue
        s_stat = 1 - draws[g] / draws[base]
        load_b = rng.uniform(*a.loading_base, n_draws)
        load_g = rng.uniform(*a.loading_other, n_draws)
        o = rng.triangular(a.overhead[0], a.overhead[1], a.overhead[2], n_draws)
        s_all = 1 - (draws[g] * load_g * (1 + o)) / (draws[base] * load_b)
        banded = bool(np.isfinite(draws[g]).all())

        def q(x: np.ndarray, p: float, banded: bool = banded) -> float:
            return float(np.quantile(x, p)) if banded else float("nan")

        out.append(
            {
                "group": g,
                "savings_p05": q(s_stat, 0.05),
                "savings_p50": 1 - points[g] / points[base],
                "savings_p95": q(s_stat, 0.95),
                "with_assumptions_p05": q(s_all, 0.05),
                "with_assumptions_p50": q(s_all, 0.5),
                "with_assumptions_p95": q(s_all, 0.95),
                "team_annual_cost_base_p50": points[base] * hours_per_year,
                "team_annual_cost_p50": points[g] * hours_per_year,
                "pricing_year": year,
            }
        )
    frame = pd.DataFrame(out)
    frame.attrs["note"] = " ".join(
        [*notes, ON_COST_NOTE]
        + (
            [
                f"Priced at {year} pay (the latest year with at least "
                f"{MIN_PRICING_YEAR_SHARE:.0%} of the rows)."
            ]
            if year is not None
            else []
        )
    )
    return frame


def _price_group(
    w: pd.DataFrame,
    team: list[dict[str, Any]],
    year: int | None,
    is_base: bool,
    n_draws: int,
    rng: np.random.Generator,
    min_country_n: int,
) -> tuple[float, np.ndarray] | str:
    """Return a group's team cost per hour worked (point, draws), or why it cannot be priced."""
    w = w.dropna(subset=["country_iso3", "hourly_usd"]).copy()
    for m in team:
        for column in ("role_family", "experience"):
            if column in w and str(m[column]) not in set(w[column].dropna().astype(str)):
                return f"no {column.replace('_', ' ')} {m[column]!r} rows"
    if year is not None and "year" in w and year not in set(w["year"]):
        return f"no {year} rows"
    ctrl = _controls(w, list(TEAM_CONTROLS))
    w["log_rate"] = winsorize_log(w)
    with warnings.catch_warnings():  # collinear levels: checked below, member by member
        warnings.simplefilter("ignore", SingularMatrixWarning)
        formula = "log_rate ~ 0 + C(country_iso3)" + "".join(f" + C({c})" for c in ctrl)
        res = OLS.from_formula(formula, w).fit(cov_type="HC1")  # HC3: undefined for
        # one-row countries (h = 1)
    sizes = w["country_iso3"].value_counts()
    countries = sorted(sizes.index)
    names = list(res.params.index)
    col = np.array([names.index(f"C(country_iso3)[{c}]") for c in countries])
    n = sizes.loc[countries].to_numpy(dtype=float)
    beta = rng.multivariate_normal(res.params.to_numpy(), res.cov_params().to_numpy(), size=n_draws)
    if is_base:  # the reference: its countries' effects weighed by rows, drawn with beta
        weights = n / n.sum()
        spread = np.zeros(n_draws)
    else:
        big = n >= min_country_n
        if not big.any():
            return f"no country with {min_country_n} rows"
        k = int(big.sum())
        weights = big / k
        # a typical country: the countries' sampling noise comes with beta; the spread
        # between countries (tau^2, net of that noise) is drawn from t with k - 1 df
        effects = res.params.to_numpy()[col[big]]
        noise = np.diag(res.cov_params().to_numpy())[col[big]]
        tau2 = max(0.0, float(np.var(effects, ddof=1)) - float(np.mean(noise))) if k > 1 else 0
        spread = (
            np.sqrt(tau2 / k) * stats.t.rvs(k - 1, size=n_draws, random_state=rng)
            if k >= MIN_CLUSTERS_FOR_CI
            else np.full(n_draws, np.nan)
        )
    level_hat = float(res.params.to_numpy()[col] @ weights)
    level_draws = beta[:, col] @ weights + spread
    # the members' control terms: the design of their role, level and year, country part off
    new = pd.DataFrame(
        [
            {
                "country_iso3": countries[0],
                "role_family": m["role_family"],
                "experience": m["experience"],
                "year": year,
            }
            for m in team
        ]
    )
    X = _design(res, new)
    X[:, col] = 0.0
    heads = np.array([float(m["headcount"]) for m in team])
    exog = res.model.exog
    combos = X.copy()
    combos[:, col] += weights  # each member's prediction: a combination of the coefficients
    if not np.allclose(combos @ np.linalg.pinv(exog) @ exog, combos, atol=1e-8):
        return "its rows cannot tell a member's level from its countries' (collinear design)"
    point = float(heads @ np.exp(X @ res.params.to_numpy() + level_hat))
    cost = np.exp(X @ beta.T + level_draws[None, :]).T @ heads
    return point, cost


def usable_team(
    team: list[dict[str, Any]], data: pd.DataFrame, controls: Any
) -> tuple[list[dict[str, Any]], list[str]]:
    """Return the members the model can price, and one sentence per member it cannot.

    A member whose experience or role family has no row in the model's data (a level the
    selection does not hold, or a word the pay file never used) cannot be priced: it is left
    out and named, never passed to the model.
    """
    keep, notes = [], []
    for m in team:
        problems = []
        for col in ("experience", "role_family"):
            if col in controls and col in data.columns:
                levels = sorted(str(v) for v in data[col].dropna().unique())
                if str(m[col]) not in levels:
                    problems.append(
                        f"{col.replace('_', ' ')} {m[col]!r} has no rows in the "
                        f"model's data (it has: {', '.join(levels)[:200]})"
                    )
        if problems:
            notes.append(
                f"{m['headcount']:g} x {m['role_family']} ({m['experience']}) left "
                f"out of the team cost: {'; '.join(problems)}."
            )
        else:
            keep.append(m)
    return keep, notes


def _design(res: Any, new: pd.DataFrame) -> np.ndarray:
    """Build the model's design matrix for new rows (patsy, via the model's spec)."""
    from patsy import build_design_matrices

    di = res.model.data.model_spec
    return np.array(build_design_matrices([di], new)[0], dtype=float)
