"""Which pay rows enter an arbitrage run: scope, flags handled, salary-equivalent hourly pay.

One ``rate_kind`` at a time (salaries and bill rates are never compared), salaried employees by
default (``full_time`` and ``employee``: every format's vocabulary), exact duplicates dropped,
range pairs collapsed to their geometric midpoint, FX-mismatch rows kept (marketlib's own
conversion; a sensitivity run drops them). A filter that empties the selection is an error
naming the filter and the values that were available.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

import numpy as np
import pandas as pd

from marketlib.clean.skills import with_skills
from marketlib.cleanparams import HOURS_PER_YEAR

GEOGRAPHIES = ("region", "subregion", "country_iso3")
#: Salaried employees in the contract's fixed vocabulary: aijobs ``FT`` and generic ``employee``
# alike.
SALARIED = ("full_time", "employee")


class SelectionError(ValueError):
    """A filter of the scope left no rows (or no base group); names the filter and the values."""


@dataclass(frozen=True)
class Scope:
    """Which rows enter an arbitrage run, and how flagged rows are handled."""

    geography: str = "subregion"
    base: str = "North America"
    years: tuple[int, ...] | None = None
    rate_kind: str = "salary"
    employment_types: tuple[str, ...] | None = SALARIED
    experience: tuple[str, ...] | None = None
    role_families: tuple[str, ...] | None = None
    #: rows holding every one of these skills / at least one of these (data with skills only)
    skills_all: tuple[str, ...] | None = None
    skills_any: tuple[str, ...] | None = None
    hours_per_year: float = HOURS_PER_YEAR
    duplicates: str = "drop"  # drop | keep
    range_pairs: str = "collapse"  # collapse | keep | low | high
    #: rows whose source USD differs from marketlib's own ECB conversion are kept: the clean
    #: table converts them itself (the flag stays, and a sensitivity run drops them)
    exclude_fx_mismatch: bool = False
    exclude_outliers: bool = False

    def to_dict(self) -> dict[str, Any]:
        """Return the scope as plain values."""
        d = asdict(self)
        return {k: (list(v) if isinstance(v, tuple) else v) for k, v in d.items()}


def select_rates(rates: pd.DataFrame, scope: Scope) -> tuple[pd.DataFrame, list[dict[str, Any]]]:
    """Apply the scope; return the analysis rows (``group``, ``hourly_usd``) and a step log.

    Raises
    ------
    SelectionError
        A filter emptied the selection, or the base group has no rows.
    """
    if scope.geography not in GEOGRAPHIES:
        raise ValueError(f"geography must be one of {GEOGRAPHIES}, got {scope.geography!r}")
    d = rates
    log: list[dict[str, Any]] = [{"step": "clean rows", "rows": len(d)}]

    def step(name: str, mask: pd.Series, column: str | None = None) -> None:
        nonlocal d
        before = d
        d = d[mask]
        log.append({"step": name, "rows": len(d)})
        if d.empty and len(before):
            avail = ""
            if column is not None:
                counts = before[column].astype("str").value_counts()
                avail = "; available values: " + ", ".join(
                    f"{k} ({v})" for k, v in counts.head(12).items()
                )
            raise SelectionError(f"the filter '{name}' left no rows (of {len(before)}){avail}")

    step(f"rate_kind == {scope.rate_kind}", d["rate_kind"] == scope.rate_kind, "rate_kind")
    if scope.employment_types:
        step(
            "employment_type in " + ", ".join(scope.employment_types),
            d["employment_type"].isin(scope.employment_types),
            "employment_type",
        )
    if scope.years:
        step("year in " + ", ".join(map(str, scope.years)), d["year"].isin(scope.years), "year")
    if scope.experience:
        step(
            "experience in " + ", ".join(scope.experience),
            d["experience"].isin(scope.experience),
            "experience",
        )
    if scope.role_families:
        step(
            "role_family in " + ", ".join(scope.role_families),
            d["role_family"].isin(scope.role_families),
            "role_family",
        )
    if scope.skills_all or scope.skills_any:
        if "skills" not in d or not d["skills"].notna().any():
            raise SelectionError(
                "skills_all / skills_any: the pay data hold no skills (no "
                "skills column, or every cell blank): their population is "
                "defined by job titles; map a skills column or drop the "
                "skills selection"
            )
        words = [
            f"all of {', '.join(scope.skills_all)}" if scope.skills_all else "",
            f"any of {', '.join(scope.skills_any)}" if scope.skills_any else "",
        ]
        step(
            "skills include " + " and ".join(w for w in words if w),
            with_skills(d["skills"], scope.skills_all or (), scope.skills_any or ()),
            "skills",
        )
    if scope.exclude_fx_mismatch and "is_fx_mismatch" in d:
        step("not is_fx_mismatch", ~d["is_fx_mismatch"].astype(bool))
    if scope.exclude_outliers:
        step("not is_outlier", ~d["is_outlier"].astype(bool))
    if scope.duplicates == "drop":
        step("not is_duplicate", ~d["is_duplicate"].astype(bool))
    d = d.assign(hourly_usd=d["annual_usd"] / scope.hours_per_year)
    d = handle_range_pairs(d, scope.range_pairs)
    log.append({"step": f"range pairs: {scope.range_pairs}", "rows": len(d)})
    d = d.assign(group=d[scope.geography].astype("str"))
    d = d[d["group"].notna() & (d["group"] != "nan")]
    if not (d["group"] == scope.base).any():
        groups = d["group"].value_counts()
        steps = "; ".join(f"{x['step']}: {x['rows']}" for x in log)
        avail = ", ".join(f"{k} ({v})" for k, v in groups.head(12).items())
        raise SelectionError(
            f"base group {scope.base!r} has no rows after the filters "
            f"({steps}); groups available at {scope.geography}: {avail}"
        )
    return d.reset_index(drop=True), log


def handle_range_pairs(d: pd.DataFrame, how: str = "collapse") -> pd.DataFrame:
    """Collapse each flagged range pair to one row at its geometric midpoint (or keep low/high).

    ``how``: ``collapse`` (default, docs/methods.md#s3-4), ``keep`` (both rows), ``low`` or
    ``high``.
    Pairs whose partner was filtered out are left as single rows.
    """
    if how == "keep" or "range_pair_id" not in d or not d["is_range_pair"].any():
        return d
    pid = d["range_pair_id"]
    paired = d["is_range_pair"].astype(bool) & pid.notna()
    size = d.loc[paired].groupby(pid[paired])["hourly_usd"].transform("size")
    full = pd.Series(False, index=d.index)
    full[size.index] = size == 2
    pairs = d[full]
    if how == "collapse":
        gm = np.exp(np.log(pairs["hourly_usd"]).groupby(pairs["range_pair_id"]).transform("mean"))
        keep = pairs.assign(hourly_usd=gm, is_range_mid=True).drop_duplicates("range_pair_id")
    elif how in ("low", "high"):
        order = pairs.sort_values("hourly_usd", ascending=(how == "low"))
        keep = order.drop_duplicates("range_pair_id")
    else:
        raise ValueError(f"range_pairs must be collapse, keep, low or high, got {how!r}")
    return pd.concat([d[~full], keep]).sort_index()


def require_base(rows: pd.DataFrame, scope: Scope, min_n: int) -> None:
    """Refuse a base group below the publication floor: no ratio can be estimated against it.

    Raises
    ------
    SelectionError
        Naming the base's rows, the floor and the groups that reach it.
    """
    counts = rows["group"].value_counts()
    n_base = int(counts.get(scope.base, 0))
    if n_base >= min_n:
        return
    above = ", ".join(f"{k} ({v})" for k, v in counts[counts >= min_n].head(12).items())
    raise SelectionError(
        f"base group {scope.base!r} has {n_base} rows after the filters, below min_n {min_n}: "
        f"no ratio can be estimated against it (groups at or above min_n at "
        f"{scope.geography}: {above or 'none'})"
    )
