"""Pay by skill: each skill's rows, median hourly pay and ratio to the base group.

Only for pay data that hold skills (a ``skills`` column, :mod:`marketlib.clean.skills`).
A row with several skills counts once for each. Each skill's medians and ratios are
:func:`~marketlib.arbitrage.medians.raw_ratios` on the rows holding it (order-statistic
median intervals, bootstrap ratio intervals: the respondents as they answered, rows
resampled), the same floor as the regional table; a skill whose base group is under the floor
is listed with its n only.
"""

from __future__ import annotations

import pandas as pd

from marketlib.arbitrage.medians import raw_ratios
from marketlib.clean.skills import skill_counts, with_skills

COLUMNS = [
    "skill",
    "group",
    "n",
    "reported",
    "median_hourly_usd",
    "ci_low",
    "ci_high",
    "ratio_to_base",
    "ratio_ci_low",
    "ratio_ci_high",
    "note",
]


def has_skills(d: pd.DataFrame) -> bool:
    """Return whether the rows carry any skill (the column exists and is not all blank)."""
    return "skills" in d and bool(d["skills"].notna().any())


def skills_breakdown(
    d: pd.DataFrame,
    base: str,
    min_n: int = 30,
    n_boot: int = 2000,
    seed: int = 0,
    ci_level: float = 0.95,
    top: int = 12,
) -> pd.DataFrame:
    """Return, per skill (the ``top`` commonest) and group, n, median and ratio to ``base``."""
    if not has_skills(d):
        return pd.DataFrame(columns=COLUMNS)
    rows = []
    for i, skill in enumerate(skill_counts(d["skills"]).head(top).index):
        s = d[with_skills(d["skills"], [skill])]
        n_base = int((s["group"] == base).sum())
        if n_base < min_n:
            for g, n in s["group"].value_counts().sort_index().items():
                rows.append(
                    {
                        "skill": skill,
                        "group": g,
                        "n": int(n),
                        "reported": False,
                        "note": f"{base} has {n_base} rows with this skill, under the "
                        f"floor of {min_n}: no ratio",
                    }
                )
            continue
        r = raw_ratios(s, base, min_n, n_boot, seed + i, ci_level)
        for x in r.itertuples():
            rows.append(
                {
                    "skill": skill,
                    "group": x.group,
                    "n": int(x.n),
                    "reported": bool(x.reported),
                    **({k: getattr(x, k) for k in COLUMNS[4:10]} if x.reported else {}),
                    "note": "" if x.reported else f"n < {min_n}",
                }
            )
    return pd.DataFrame(rows, columns=COLUMNS)
