"""Team cost (A4): savings against the base for a stated team, with two uncertainty intervals."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from marketlib.arbitrage.adjusted import AdjustedFit


@dataclass(frozen=True)
class TeamAssumptions:
    """Cost assumptions, each a range: employer loading and coordination overhead."""

    loading_base: tuple[float, float] = (1.43, 1.46)  # BLS ECEC, US wages ~68-70% of cost
    loading_other: tuple[float, float] = (1.05, 1.47)  # Eurostat LCS LT ~0.04 .. SE ~0.32
    overhead: tuple[float, float, float] = (0.05, 0.15, 0.30)  # triangular(min, mode, max)


def team_cost(fit: AdjustedFit, team: list[dict[str, Any]], base: str, groups: list[str],
              hours_per_year: float, n_draws: int = 5000, seed: int = 0,
              assumptions: TeamAssumptions | None = None) -> pd.DataFrame:
    """Price a team per group: savings ``1 - cost/cost_base`` with two uncertainty intervals.

    ``team``: items ``{"role_family", "experience", "headcount"}``. Cost uses the adjusted
    model's median pay ``exp(x'b)`` for each member, year fixed at the latest year in the fit.
    ``statistical``: b ~ MVN(b_hat, HC3 cov). ``with assumptions``: also loading and overhead
    drawn from their ranges (uniform; triangular overhead). Percentiles 5/50/95.
    """
    a = assumptions or TeamAssumptions()
    rng = np.random.default_rng(seed)
    res = fit.model
    beta = rng.multivariate_normal(res.params.to_numpy(), res.cov_params().to_numpy(),
                                   size=n_draws)
    data = res.model.data.frame
    team, notes = usable_team(team, data, fit.controls)
    if not team:
        out = pd.DataFrame()
        out.attrs["note"] = " ".join(notes)
        return out
    year = data["year"].max() if "year" in data else None
    design_rows = []
    for g in groups:
        for m in team:
            row = {"group": g, "experience": m["experience"], "role_family": m["role_family"]}
            if year is not None:
                row["year"] = year
            for c in fit.controls:
                if c not in row:
                    row[c] = data[c].mode().iloc[0]
            row["headcount"] = float(m["headcount"])
            design_rows.append(row)
    new = pd.DataFrame(design_rows)
    X = _design(res, new)
    log_pay = X @ beta.T  # rows x draws
    pay = np.exp(log_pay) * hours_per_year * new["headcount"].to_numpy()[:, None]
    cost = pd.DataFrame(pay).groupby(new["group"].to_numpy()).sum()  # groups x draws
    base_cost = cost.loc[base].to_numpy()
    out = []
    for g in groups:
        if g == base:
            continue
        c = cost.loc[g].to_numpy()
        s_stat = 1 - c / base_cost
        load_b = rng.uniform(*a.loading_base, n_draws)
        load_g = rng.uniform(*a.loading_other, n_draws)
        o = rng.triangular(a.overhead[0], a.overhead[1], a.overhead[2], n_draws)
        s_all = 1 - (c * load_g * (1 + o)) / (base_cost * load_b)
        out.append({"group": g,
                    "savings_p05": float(np.quantile(s_stat, 0.05)),
                    "savings_p50": float(np.quantile(s_stat, 0.5)),
                    "savings_p95": float(np.quantile(s_stat, 0.95)),
                    "with_assumptions_p05": float(np.quantile(s_all, 0.05)),
                    "with_assumptions_p50": float(np.quantile(s_all, 0.5)),
                    "with_assumptions_p95": float(np.quantile(s_all, 0.95)),
                    "team_annual_cost_base_p50": float(np.median(base_cost)),
                    "team_annual_cost_p50": float(np.median(c))})
    frame = pd.DataFrame(out)
    frame.attrs["note"] = " ".join(notes)
    return frame


def usable_team(team: list[dict[str, Any]], data: pd.DataFrame, controls: Any
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
                    problems.append(f"{col.replace('_', ' ')} {m[col]!r} has no rows in the "
                                    f"model's data (it has: {', '.join(levels)[:200]})")
        if problems:
            notes.append(f"{m['headcount']:g} x {m['role_family']} ({m['experience']}) left "
                         f"out of the team cost: {'; '.join(problems)}.")
        else:
            keep.append(m)
    return keep, notes


def _design(res: Any, new: pd.DataFrame) -> np.ndarray:
    """Build the model's design matrix for new rows (patsy/formulaic via the model spec)."""
    from patsy import build_design_matrices

    di = res.model.data.model_spec
    return np.asarray(build_design_matrices([di], new)[0])
