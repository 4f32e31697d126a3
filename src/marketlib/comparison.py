"""The change test and its items: z from two runs' intervals, one estimate record."""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from statistics import NormalDist
from typing import Any

from marketlib.frames import finite_or_none as _num
from marketlib.results_view import mapping as _map

#: |z| above which a difference is called ``changed`` (two-sided 5%).
Z_CRITICAL = 1.96


VERDICT_CHANGED = "changed"


VERDICT_WITHIN = "within_uncertainty"


VERDICT_UNTESTABLE = "not_testable"


_TEST_TAIL = (
    "each run's standard error taken from its interval's width on that scale (normal "
    "approximation), the two runs treated as independent; changed when |z| > 1.96. "
    "Successive snapshots share most of their rows, so the test is conservative: a real but "
    "small move can read as within uncertainty."
)


TESTS = {
    "log": "z = difference of log values (log ratio to the base); " + _TEST_TAIL,
    "log1p": "z = difference of log(1 + growth); " + _TEST_TAIL,
    "log1m": (
        "z = difference of -log(1 - savings), i.e. of the log team-cost ratio with its "
        "sign turned, from the 5th-95th percentile band; " + _TEST_TAIL
    ),
    "none": "not testable: an interval is missing in one of the runs",
}


def run_as_of(results: Mapping[str, Any]) -> str | None:
    """Return a results document's ``as_of`` (``run.as_of``, else ``run.params.as_of``)."""
    run = _map(results.get("run"))
    value = run.get("as_of") or _map(run.get("params")).get("as_of")
    return str(value) if value else None


def section_params(results: Mapping[str, Any], section: str) -> dict[str, Any]:
    """Return a run's parameters of one section (empty when absent)."""
    return _map(_map(_map(results.get("run")).get("params")).get(section))


def region_scheme(results: Mapping[str, Any]) -> Any:
    """Return the region scheme a run cleaned with."""
    return section_params(results, "clean").get("scheme")


def _norm(v: Any) -> Any:
    if isinstance(v, float) and v.is_integer():
        return int(v)
    if isinstance(v, list):
        return [_norm(x) for x in v]
    return v


def _differences(old: Mapping[str, Any], new: Mapping[str, Any]) -> list[dict[str, Any]]:
    out = []
    for key in dict.fromkeys([*old, *new]):
        a, b = _norm(old.get(key)), _norm(new.get(key))
        if key in old and key in new and a != b:
            out.append({"parameter": key, "old": a, "new": b})
    return out


def section_status(
    name: str,
    previous: Mapping[str, Any],
    current: Mapping[str, Any],
    present: Callable[[Mapping[str, Any]], bool],
    definitions: Callable[[Mapping[str, Any]], dict[str, Any]],
) -> dict[str, Any]:
    """Return whether a section's results of two runs can be compared, and why not."""
    if not present(previous) or not present(current):
        which = "previous" if not present(previous) else "current"
        return {
            "comparable": False,
            "differences": [],
            "reason": f"no {name} results in the {which} run",
        }
    diffs = _differences(definitions(previous), definitions(current))
    if diffs:
        listed = "; ".join(
            f"{d['parameter']} {_plain(d['old'])} -> {_plain(d['new'])}" for d in diffs
        )
        return {
            "comparable": False,
            "differences": diffs,
            "reason": f"other definitions in the previous run ({listed})",
        }
    return {"comparable": True, "differences": [], "reason": ""}


def _plain(v: Any) -> str:
    if isinstance(v, list):
        return "[" + ", ".join(_plain(x) for x in v) + "]"
    if isinstance(v, Mapping):
        return "{" + ", ".join(f"{k}: {_plain(x)}" for k, x in v.items()) + "}"
    if isinstance(v, float):
        return f"{v:g}"
    return "none" if v is None else str(v)


_TRANSFORMS: dict[str, Callable[[float], float | None]] = {
    "log": lambda x: math.log(x) if x > 0 else None,
    "log1p": lambda x: math.log1p(x) if x > -1 else None,
    "log1m": lambda x: -math.log1p(-x) if x < 1 else None,  # increasing, like the savings
}


def _quantile(level: float) -> float:
    return NormalDist().inv_cdf((1 + level) / 2)


def z_score(
    old: float | None,
    old_ci: tuple[Any, Any],
    new: float | None,
    new_ci: tuple[Any, Any],
    scale: str,
    old_level: float = 0.95,
    new_level: float = 0.95,
) -> float | None:
    """Return the z statistic of the difference of two estimates from their intervals.

    Parameters
    ----------
    old, new
        The two estimates.
    old_ci, new_ci
        Their intervals ``(low, high)``.
    scale
        ``log`` (ratios), ``log1p`` (growth fractions) or ``log1m`` (savings fractions,
        ``-log(1 - s)``): the scale on which the intervals are taken as symmetric normal
        intervals; z has the sign of ``new - old``.
    old_level, new_level
        The intervals' coverage (0.95; 0.90 for a 5th-95th percentile band).

    Returns
    -------
    float or None
        ``(t(new) - t(old)) / sqrt(se_old**2 + se_new**2)`` with
        ``se = (t(high) - t(low)) / (2 z_level)``; ``None`` when a value or bound is missing
        or outside the scale's domain, or both standard errors are zero.
    """
    f = _TRANSFORMS[scale]
    vals = [_num(v) for v in (old, *old_ci, new, *new_ci)]
    t = [f(v) if v is not None else None for v in vals]
    points = [v for v in t if v is not None]
    if len(points) != len(t):  # a value missing, or outside the scale's domain
        return None
    o, olo, ohi, n, nlo, nhi = points
    se_o = abs(ohi - olo) / (2 * _quantile(old_level))
    se_n = abs(nhi - nlo) / (2 * _quantile(new_level))
    se = math.hypot(se_o, se_n)
    if se == 0:
        return None
    return (n - o) / se


def estimate_item(
    section: str,
    key: str,
    quantity: str,
    label: str,
    old: Mapping[str, Any],
    new: Mapping[str, Any],
    fields: tuple[str, str, str],
    scale: str,
    old_level: float,
    new_level: float,
    kind: str,
    key_fields: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """Return one headline estimate of two runs with its z test and verdict."""
    v, lo, hi = fields
    o, n = _num(old.get(v)), _num(new.get(v))
    o_ci = [_num(old.get(lo)), _num(old.get(hi))]
    n_ci = [_num(new.get(lo)), _num(new.get(hi))]
    z = z_score(o, (o_ci[0], o_ci[1]), n, (n_ci[0], n_ci[1]), scale, old_level, new_level)
    if z is None:
        verdict, test = VERDICT_UNTESTABLE, TESTS["none"]
    else:
        verdict = VERDICT_CHANGED if abs(z) > Z_CRITICAL else VERDICT_WITHIN
        test = TESTS[scale]
    return {
        "section": section,
        "key": key,
        "quantity": quantity,
        "label": label,
        "kind": kind,
        "key_fields": key_fields or {"group": key},
        "old": o,
        "old_ci": o_ci,
        "new": n,
        "new_ci": n_ci,
        "difference": None if o is None or n is None else n - o,
        "interval_level": [old_level, new_level],
        "z": None if z is None else round(z, 3),
        "verdict": verdict,
        "test": test,
    }


def ci_level_of(section: Mapping[str, Any], params: Mapping[str, Any]) -> float:
    """Return a section's interval level (its own, its parameters', else 0.95)."""
    return _num(section.get("ci_level")) or _num(params.get("ci_level")) or 0.95


def group_text(group: Any) -> str:
    """Return a group key as text ("Europe | kubernetes"), "all" when none."""
    if isinstance(group, Mapping):
        vals = [str(v) for v in group.values() if v is not None]
        return " | ".join(vals) if vals else "all"
    return "all" if group is None else str(group)
