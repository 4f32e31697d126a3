"""Kubernetes adoption by region and wave from the CNCF Cloud Native Survey (a proxy).

The share of respondents whose organization uses Kubernetes **in production**, with its n and
a Wilson score interval (binomial sampling of respondents: Wilson 1927; Brown, Cai and
DasGupta 2001 recommend it over the Wald interval for small n), and the change between two
waves as a difference of shares with Newcombe's hybrid score interval (Newcombe 1998, method
10; statsmodels ``confint_proportions_2indep(method="newcomb")``). The survey is a
self-selected sample of CNCF's audience, different people every wave: the interval is the
sampling noise of a sample *of that audience*, not of all organizations, and a change between
waves can come from who answered as much as from adoption.

Which waves can say "in production": 2018 and 2019 (the Kubernetes column of the CNCF
projects grid; respondents who answered the grid without ticking Kubernetes count as not in
production), 2021 and 2022 (a direct question). 1H 2020 asks only "Are you using
Kubernetes?" (yes / no / not sure), so it has no in-production share and is listed apart
(``uses_any``). The question's form changes between 2019 and 2021: a change across it is
marked.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from marketlib.clean.adoption import region_notes

#: Answers that count in the in-production share's denominator (every answer to the question)
DENOMINATOR = ("production", "evaluating", "not_ticked", "no", "unsure")
#: How each wave asked (a change across two forms is marked)
QUESTION_FORM = {
    2018: "projects grid",
    2019: "projects grid",
    2020: "yes/no question",
    2021: "direct question",
    2022: "direct question",
}
MIN_RESPONDENTS = 30


@dataclass(frozen=True)
class Adoption:
    """Adoption shares per wave and region, their changes, and what could not be measured."""

    shares: pd.DataFrame
    changes: pd.DataFrame
    not_measured: list[str] = field(default_factory=list)
    notes: dict[str, str] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        """Return JSON-ready records."""

        def records(t: pd.DataFrame) -> list[dict[str, Any]]:
            return [
                {
                    k: (None if isinstance(v, float) and not np.isfinite(v) else v)
                    for k, v in r.items()
                }
                for r in t.to_dict("records")
            ]

        return {
            "shares": records(self.shares),
            "changes": records(self.changes),
            "not_measured": self.not_measured,
            "notes": self.notes,
        }


def wilson(k: np.ndarray, n: np.ndarray, ci_level: float) -> tuple[np.ndarray, np.ndarray]:
    """Return the Wilson score interval of ``k`` successes in ``n`` (vectorized)."""
    from statsmodels.stats.proportion import proportion_confint

    lo, hi = proportion_confint(k, n, alpha=1 - ci_level, method="wilson")
    return np.asarray(lo, dtype=float), np.asarray(hi, dtype=float)


def adoption_shares(
    table: pd.DataFrame, ci_level: float = 0.95, min_n: int = MIN_RESPONDENTS
) -> Adoption:
    """Return the in-production share per wave and region, and its change between waves.

    ``table``: the clean ``adoption`` table. Groups under ``min_n`` respondents are listed
    with their n and no share ("too small"). Changes: each pair of consecutive waves with a
    share, and the first against the last, for regions reported in both.
    """
    from statsmodels.stats.proportion import confint_proportions_2indep

    t = table.copy()
    counts = t.pivot_table(
        index=["wave", "region"],
        columns="answer",
        values="respondents",
        aggfunc="sum",
        fill_value=0,
    )
    for a in (*DENOMINATOR, "uses_unspecified"):
        if a not in counts.columns:
            counts[a] = 0
    measurable = counts.groupby(level="wave")["production"].sum() > 0
    rows = counts[counts.index.get_level_values("wave").isin(measurable[measurable].index)]
    n = rows[list(DENOMINATOR)].sum(axis=1).to_numpy()
    k = rows["production"].to_numpy()
    lo, hi = wilson(k, np.maximum(n, 1), ci_level)
    shares = pd.DataFrame(
        {
            "wave": rows.index.get_level_values("wave").astype(int),
            "region": rows.index.get_level_values("region"),
            "n": n.astype(int),
            "in_production": k.astype(int),
        }
    )
    ok = n >= min_n
    shares["reported"] = ok
    shares["share"] = np.where(ok, k / np.maximum(n, 1), np.nan)
    shares["ci_low"] = np.where(ok, lo, np.nan)
    shares["ci_high"] = np.where(ok, hi, np.nan)
    shares["question"] = shares["wave"].map(QUESTION_FORM)
    other = counts[~counts.index.get_level_values("wave").isin(measurable[measurable].index)]
    not_measured = [
        f"{int(w)}: the wave asks only whether the organization uses Kubernetes (yes/no/not "
        f"sure), not whether in production; {int(other.loc[w].to_numpy().sum()):,} "
        "respondents not in the in-production shares"
        for w in sorted(set(other.index.get_level_values("wave")))
    ]
    waves = sorted(shares["wave"].unique())
    pairs = [(a, b) for a, b in zip(waves, waves[1:], strict=False)]
    if len(waves) > 2:
        pairs.append((waves[0], waves[-1]))
    changes = []
    rep = shares[shares["reported"]].set_index(["wave", "region"])
    for a, b in pairs:
        for region in sorted(shares["region"].unique()):
            if (a, region) not in rep.index or (b, region) not in rep.index:
                continue
            x, y = rep.loc[(a, region)], rep.loc[(b, region)]
            clo, chi = confint_proportions_2indep(
                int(y["in_production"]),
                int(y["n"]),
                int(x["in_production"]),
                int(x["n"]),
                method="newcomb",
                compare="diff",
                alpha=1 - ci_level,
            )
            changes.append(
                {
                    "from": int(a),
                    "to": int(b),
                    "region": region,
                    "share_from": float(x["share"]),
                    "share_to": float(y["share"]),
                    "change": float(y["share"] - x["share"]),
                    "ci_low": float(clo),
                    "ci_high": float(chi),
                    "n_from": int(x["n"]),
                    "n_to": int(y["n"]),
                    "question_changed": QUESTION_FORM.get(a) != QUESTION_FORM.get(b),
                }
            )
    return Adoption(
        shares.reset_index(drop=True), pd.DataFrame(changes), not_measured, region_notes()
    )
