"""What changed since the previous report: results.json ``changes`` and its summary-page block.

:func:`compare_results` sets two ``results.json`` documents side by side and returns SPEC's
``changes`` section: every headline estimate found in both runs (arbitrage ratios raw and
adjusted, regional growth, certification growth, team cost) with its old and new value, their
intervals and a verdict from a stated test; the arbitrage groups that crossed the minimum-n
floor; the claims whose verdict flipped; the inputs whose snapshot changed. Sections computed
under other definitions in the two runs (hours per year, base, geography, window,
composition...) are listed in ``comparable`` and not compared.

:func:`changes_markdown` and :func:`changes_table` turn the section into sentences and one
small table for the summary page; :func:`find_previous_run` and :func:`load_previous` find
and read the run to compare with.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Callable, Mapping
from pathlib import Path, PurePosixPath
from statistics import NormalDist
from typing import Any

import pandas as pd

from marketlib.frames import finite_or_none as _num
from marketlib.sources import DATASETS, InputError

#: |z| above which a difference is called ``changed`` (two-sided 5%).
Z_CRITICAL = 1.96

VERDICT_CHANGED = "changed"
VERDICT_WITHIN = "within_uncertainty"
VERDICT_UNTESTABLE = "not_testable"

_TEST_TAIL = (
    "each run's standard error taken from its interval's width on that scale (normal "
    "approximation), the two runs treated as independent; changed when |z| > 1.96. "
    "Successive snapshots share most of their rows, so the test is conservative: a real but "
    "small move can read as within uncertainty.")
TESTS = {
    "log": "z = difference of log values (log ratio to the base); " + _TEST_TAIL,
    "log1p": "z = difference of log(1 + growth); " + _TEST_TAIL,
    "log1m": ("z = difference of -log(1 - savings), i.e. of the log team-cost ratio with its "
              "sign turned, from the 5th-95th percentile band; " + _TEST_TAIL),
    "none": "not testable: an interval is missing in one of the runs",
}

#: Definitions that must agree for a section's estimates to be compared.
ARBITRAGE_DEFINITIONS = ("base", "geography", "hours_per_year", "rate_kind", "years",
                         "employment_types", "experience", "role_families", "duplicates",
                         "range_pairs", "exclude_outliers", "exclude_fx_mismatch")
GROWTH_DEFINITIONS = ("freq", "group_by", "start", "end", "subjects", "measure", "composition")
REGIONAL_DEFINITIONS = ("measure", "subjects", "group_by", "freq", "start", "end",
                        "latest_quarters", "composition", "china_hong_kong")


# --- reading results defensively -----------------------------------------------------------------


def _map(value: Any) -> dict[str, Any]:
    return dict(value) if isinstance(value, Mapping) else {}


def _rows(value: Any) -> list[dict[str, Any]]:
    return [dict(r) for r in value if isinstance(r, Mapping)] if isinstance(value, list) else []




def run_as_of(results: Mapping[str, Any]) -> str | None:
    """Return a results document's ``as_of`` (``run.as_of``, else ``run.params.as_of``)."""
    run = _map(results.get("run"))
    value = run.get("as_of") or _map(run.get("params")).get("as_of")
    return str(value) if value else None


def _params(results: Mapping[str, Any], section: str) -> dict[str, Any]:
    return _map(_map(_map(results.get("run")).get("params")).get(section))


def _scheme(results: Mapping[str, Any]) -> Any:
    return _params(results, "clean").get("scheme")


# --- definitions and comparability -------------------------------------------------------------


def _arbitrage_definitions(results: Mapping[str, Any]) -> dict[str, Any]:
    arb = _map(results.get("arbitrage"))
    scope = _map(arb.get("scope"))
    par = _params(results, "arbitrage")
    out: dict[str, Any] = {"scheme": _scheme(results)}
    for key in ARBITRAGE_DEFINITIONS:
        for source in (arb, scope, par):
            if key in source:
                out[key] = source[key]
                break
    return out


def _growth_definitions(results: Mapping[str, Any]) -> dict[str, Any]:
    growth = _map(results.get("growth"))
    par = _params(results, "growth")
    out: dict[str, Any] = {"scheme": _scheme(results)}
    for key in GROWTH_DEFINITIONS:
        if key in growth and key in ("freq", "group_by"):
            out[key] = growth[key]
        elif key in par:
            out[key] = par[key]
    return out


def _regional_definitions(results: Mapping[str, Any]) -> dict[str, Any]:
    par = _params(results, "regional")
    out: dict[str, Any] = {"scheme": _scheme(results)}
    out.update({k: par[k] for k in REGIONAL_DEFINITIONS if k in par})
    comps = sorted({str(r.get("composition")) for r in _rows(results.get("regional"))
                    if r.get("composition") is not None})
    if comps and "composition" not in out:
        out["composition"] = comps[0] if len(comps) == 1 else comps
    return out


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


def _section_status(name: str, previous: Mapping[str, Any], current: Mapping[str, Any],
                    present: Callable[[Mapping[str, Any]], bool],
                    definitions: Callable[[Mapping[str, Any]], dict[str, Any]]
                    ) -> dict[str, Any]:
    if not present(previous) or not present(current):
        which = "previous" if not present(previous) else "current"
        return {"comparable": False, "differences": [],
                "reason": f"no {name} results in the {which} run"}
    diffs = _differences(definitions(previous), definitions(current))
    if diffs:
        listed = "; ".join(f"{d['parameter']} {_plain(d['old'])} -> {_plain(d['new'])}"
                           for d in diffs)
        return {"comparable": False, "differences": diffs,
                "reason": f"other definitions in the previous run ({listed})"}
    return {"comparable": True, "differences": [], "reason": ""}


def _plain(v: Any) -> str:
    if isinstance(v, list):
        return "[" + ", ".join(_plain(x) for x in v) + "]"
    if isinstance(v, Mapping):
        return "{" + ", ".join(f"{k}: {_plain(x)}" for k, x in v.items()) + "}"
    if isinstance(v, float):
        return f"{v:g}"
    return "none" if v is None else str(v)


def comparability(previous: Mapping[str, Any], current: Mapping[str, Any]) -> dict[str, Any]:
    """Say, per section, whether two runs used the same definitions.

    Parameters
    ----------
    previous, current
        Two ``results.json`` documents.

    Returns
    -------
    dict
        ``{section: {"comparable": bool, "differences": [{"parameter", "old", "new"}],
        "reason": str}}`` for ``arbitrage`` (raw ratios), ``adjusted`` (adds the model's
        controls), ``team`` (adds the priced team), ``growth`` and ``regional``. Intervals'
        confidence levels, seeds and bootstrap sizes are not definitions (the test uses each
        run's own level).
    """
    def has_arb(r: Mapping[str, Any]) -> bool:
        return bool(_rows(_map(r.get("arbitrage")).get("regions")))

    def has_adj(r: Mapping[str, Any]) -> bool:
        return bool(_rows(_map(r.get("arbitrage")).get("adjusted")))

    def has_team(r: Mapping[str, Any]) -> bool:
        return bool(_rows(_map(r.get("arbitrage")).get("team")))

    def adj_defs(r: Mapping[str, Any]) -> dict[str, Any]:
        adj = _rows(_map(r.get("arbitrage")).get("adjusted"))
        controls = next((a.get("controls") for a in adj if a.get("controls")), None)
        return {**_arbitrage_definitions(r), "controls": controls}

    def team_defs(r: Mapping[str, Any]) -> dict[str, Any]:
        return {**adj_defs(r), "team": _params(r, "arbitrage").get("team")}

    return {
        "arbitrage": _section_status("arbitrage", previous, current, has_arb,
                                     _arbitrage_definitions),
        "adjusted": _section_status("adjusted arbitrage", previous, current, has_adj, adj_defs),
        "team": _section_status("team cost", previous, current, has_team, team_defs),
        "growth": _section_status(
            "certification growth", previous, current,
            lambda r: bool(_rows(_map(r.get("growth")).get("period_growth"))),
            _growth_definitions),
        "regional": _section_status("regional growth", previous, current,
                                    lambda r: bool(_rows(r.get("regional"))),
                                    _regional_definitions),
    }


# --- the test ----------------------------------------------------------------------------------

_TRANSFORMS: dict[str, Callable[[float], float | None]] = {
    "log": lambda x: math.log(x) if x > 0 else None,
    "log1p": lambda x: math.log1p(x) if x > -1 else None,
    "log1m": lambda x: -math.log1p(-x) if x < 1 else None,  # increasing, like the savings
}


def _quantile(level: float) -> float:
    return NormalDist().inv_cdf((1 + level) / 2)


def z_score(old: float | None, old_ci: tuple[Any, Any], new: float | None,
            new_ci: tuple[Any, Any], scale: str, old_level: float = 0.95,
            new_level: float = 0.95) -> float | None:
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
    if any(v is None for v in vals):
        return None
    t = [f(v) for v in vals]  # type: ignore[arg-type]
    if any(v is None for v in t):
        return None
    o, olo, ohi, n, nlo, nhi = t  # type: ignore[misc]
    se_o = abs(ohi - olo) / (2 * _quantile(old_level))
    se_n = abs(nhi - nlo) / (2 * _quantile(new_level))
    se = math.hypot(se_o, se_n)
    if se == 0:
        return None
    return (n - o) / se


def _estimate(section: str, key: str, quantity: str, label: str, old: Mapping[str, Any],
              new: Mapping[str, Any], fields: tuple[str, str, str], scale: str,
              old_level: float, new_level: float, kind: str,
              key_fields: dict[str, Any] | None = None) -> dict[str, Any]:
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
    return {"section": section, "key": key, "quantity": quantity, "label": label,
            "kind": kind, "key_fields": key_fields or {"group": key},
            "old": o, "old_ci": o_ci, "new": n, "new_ci": n_ci,
            "difference": None if o is None or n is None else n - o,
            "interval_level": [old_level, new_level],
            "z": None if z is None else round(z, 3), "verdict": verdict, "test": test}


def _level(section: Mapping[str, Any], params: Mapping[str, Any]) -> float:
    return _num(section.get("ci_level")) or _num(params.get("ci_level")) or 0.95


# --- the estimates -----------------------------------------------------------------------------


def _arbitrage_estimates(previous: Mapping[str, Any], current: Mapping[str, Any],
                         status: Mapping[str, Any]) -> list[dict[str, Any]]:
    pa, ca = _map(previous.get("arbitrage")), _map(current.get("arbitrage"))
    base = str(ca.get("base") or "the base")
    lo_, ln_ = _level(pa, _params(previous, "arbitrage")), _level(ca, _params(current,
                                                                              "arbitrage"))
    out = []
    if status["arbitrage"]["comparable"]:
        old = {str(r.get("region")): r for r in _rows(pa.get("regions"))}
        for r in _rows(ca.get("regions")):
            g = str(r.get("region"))
            o = old.get(g)
            if g == base or o is None or not r.get("reported") or not o.get("reported"):
                continue
            out.append(_estimate("arbitrage", g, "ratio_to_base",
                                 f"{g}'s raw pay ratio to {base}", o, r,
                                 ("ratio_to_base", "ratio_ci_low", "ratio_ci_high"), "log",
                                 lo_, ln_, "ratio"))
    if status["adjusted"]["comparable"]:
        old = {str(r.get("region")): r for r in _rows(pa.get("adjusted"))}
        for r in _rows(ca.get("adjusted")):
            g = str(r.get("region"))
            if g == base or g not in old:
                continue
            out.append(_estimate("arbitrage", g, "adjusted_ratio_to_base",
                                 f"{g}'s adjusted pay ratio", old[g], r,
                                 ("ratio_to_base", "ci_low", "ci_high"), "log", lo_, ln_,
                                 "ratio"))
    if status["team"]["comparable"]:
        old = {str(r.get("group")): r for r in _rows(pa.get("team"))}
        for r in _rows(ca.get("team")):
            g = str(r.get("group"))
            if g not in old:
                continue
            out.append(_estimate("arbitrage", g, "team_savings",
                                 f"{g}'s team-cost savings against {base} (90% band)", old[g], r,
                                 ("savings_p50", "savings_p05", "savings_p95"), "log1m",
                                 0.90, 0.90, "savings"))
    return out


def _group_text(group: Any) -> str:
    if isinstance(group, Mapping):
        vals = [str(v) for v in group.values() if v is not None]
        return " | ".join(vals) if vals else "all"
    return "all" if group is None else str(group)


def _growth_estimates(previous: Mapping[str, Any], current: Mapping[str, Any]
                      ) -> list[dict[str, Any]]:
    pg, cg = _map(previous.get("growth")), _map(current.get("growth"))
    lo_, ln_ = _level(pg, _params(previous, "growth")), _level(cg, _params(current, "growth"))

    def key(r: Mapping[str, Any]) -> str:
        return f"{_group_text(r.get('group'))} {r.get('from')} to {r.get('to')}"

    old = {key(r): r for r in _rows(pg.get("period_growth"))}
    out = []
    for r in _rows(cg.get("period_growth")):
        k = key(r)
        if k not in old:
            continue
        g = _group_text(r.get("group"))
        where = "worldwide" if g.lower() in ("all", "world") else f"in {g}"
        out.append(_estimate("growth", k, "period_growth",
                             f"Certification growth {where}, {r.get('from')} to {r.get('to')},",
                             old[k], r, ("growth", "ci_low", "ci_high"), "log1p", lo_, ln_,
                             "growth", {"group": r.get("group"), "from": r.get("from"),
                                        "to": r.get("to")}))
    return out


_GEO = ("region", "subregion", "country_iso3")


def _measure_text(measure: Any, subject: Any) -> str:
    if measure == "topic_pushers":
        return f"{subject or 'topic'} pushers"
    return str(measure or "activity").replace("_", " ")


def _regional_key(r: Mapping[str, Any]) -> tuple[str, dict[str, Any]]:
    fields: dict[str, Any] = {"measure": r.get("measure"), "subject": r.get("subject")}
    fields.update({g: r.get(g) for g in _GEO if g in r})
    fields.update({"from": r.get("from"), "to": r.get("to")})
    where = " | ".join(str(r.get(g)) for g in _GEO if g in r) or "all"
    text = (f"{where}: {_measure_text(r.get('measure'), r.get('subject'))} "
            f"{r.get('from')} to {r.get('to')}")
    return text, fields


def _regional_estimates(previous: Mapping[str, Any], current: Mapping[str, Any]
                        ) -> list[dict[str, Any]]:
    lo_ = _level({}, _params(previous, "regional"))
    ln_ = _level({}, _params(current, "regional"))
    old = {_regional_key(r)[0]: r for r in _rows(previous.get("regional"))}
    out = []
    for r in _rows(current.get("regional")):
        k, fields = _regional_key(r)
        if k not in old:
            continue
        where = " | ".join(str(r.get(g)) for g in _GEO if g in r) or "All regions"
        label = (f"{where}'s growth in {_measure_text(r.get('measure'), r.get('subject'))}, "
                 f"{r.get('from')} to {r.get('to')},")
        out.append(_estimate("regional", k, "growth", label, old[k], r,
                             ("growth", "ci_low", "ci_high"), "log1p", lo_, ln_, "growth",
                             fields))
    return out


# --- floor, claims, inputs ---------------------------------------------------------------------


def _floor_crossings(previous: Mapping[str, Any], current: Mapping[str, Any]
                     ) -> list[dict[str, Any]]:
    pa, ca = _map(previous.get("arbitrage")), _map(current.get("arbitrage"))
    old = {str(r.get("region")): r for r in _rows(pa.get("regions"))}
    out = []
    for r in _rows(ca.get("regions")):
        g = str(r.get("region"))
        o = old.get(g)
        was = bool(o.get("reported")) if o is not None else False
        now = bool(r.get("reported"))
        if was == now:
            continue
        out.append({"section": "arbitrage", "group": g, "old_reported": was,
                    "new_reported": now, "old_n": None if o is None else o.get("n"),
                    "new_n": r.get("n"), "old_min_n": pa.get("min_n"),
                    "new_min_n": ca.get("min_n"),
                    "direction": "now reported" if now else "no longer reported"})
    new_groups = {str(r.get("region")) for r in _rows(ca.get("regions"))}
    for g, o in old.items():
        if g not in new_groups and o.get("reported"):
            out.append({"section": "arbitrage", "group": g, "old_reported": True,
                        "new_reported": False, "old_n": o.get("n"), "new_n": None,
                        "old_min_n": pa.get("min_n"), "new_min_n": ca.get("min_n"),
                        "direction": "no longer reported"})
    return out


def _claims_flipped(previous: Mapping[str, Any], current: Mapping[str, Any]
                    ) -> list[dict[str, Any]]:
    old = {str(c.get("id")): c for c in _rows(previous.get("claims"))}
    out = []
    for c in _rows(current.get("claims")):
        o = old.get(str(c.get("id")))
        if o is None or o.get("verdict") == c.get("verdict"):
            continue
        out.append({"id": str(c.get("id")), "text": c.get("text"), "old": o.get("verdict"),
                    "new": c.get("verdict"), "old_detail": o.get("detail"),
                    "new_detail": c.get("detail")})
    return out


def _dataset_of(path: str, provenance: Mapping[str, dict[str, Any]]) -> str:
    prov = provenance.get(path)
    if prov and prov.get("dataset"):
        return str(prov["dataset"])
    parts = PurePosixPath(path.replace("\\", "/")).parts
    for ds in DATASETS.values():
        rel = PurePosixPath(ds.relpath)
        if parts and parts[-1] == rel.name and rel.parts[0] in parts:
            return ds.name
    return path


def _provenance_by_path(results: Mapping[str, Any]) -> dict[str, dict[str, Any]]:
    prov = _map(results.get("run")).get("provenance")
    if isinstance(prov, Mapping):
        return {str(k): dict(v) for k, v in prov.items() if isinstance(v, Mapping)}
    return {str(p.get("path")): p for p in _rows(prov) if p.get("path")}


def _table_of(dataset: str) -> str | None:
    if dataset == "aijobs":
        return "rates"
    if dataset.startswith("innovationgraph"):
        return "activity"
    if "certification" in dataset:
        return "certifications"
    return None


_QUARTER = re.compile(r"(\d{4})\s*-?Q([1-4])")


def _data_through(results: Mapping[str, Any]) -> str | None:
    found = [(int(y), int(q)) for r in _rows(results.get("regional"))
             for lab in (r.get("from"), r.get("to")) for y, q in _QUARTER.findall(str(lab))]
    if not found:
        return None
    y, q = max(found)
    return f"{y}Q{q}"


def _economies(results: Mapping[str, Any]) -> set[str]:
    return {str(e) for r in _rows(results.get("regional")) for e in (r.get("economies") or [])}


def _countries_by_region(results: Mapping[str, Any]) -> dict[str, int]:
    return {str(r.get("region")): int(r["n_countries"])
            for r in _rows(_map(results.get("arbitrage")).get("regions"))
            if _num(r.get("n_countries")) is not None}


def _table_details(table: str, previous: Mapping[str, Any], current: Mapping[str, Any]
                   ) -> dict[str, Any]:
    out: dict[str, Any] = {}
    po = _map(_map(previous.get("cleaning")).get(table))
    co = _map(_map(current.get("cleaning")).get(table))
    if _num(po.get("rows_in")) is not None and _num(co.get("rows_in")) is not None:
        out["rows_in"] = [int(po["rows_in"]), int(co["rows_in"])]
        out["rows_added"] = int(co["rows_in"]) - int(po["rows_in"])
    if table == "rates":
        old, new = _countries_by_region(previous), _countries_by_region(current)
        moved = [{"region": g, "old": old.get(g), "new": n} for g, n in new.items()
                 if old.get(g) != n]
        if moved:
            out["countries_by_region"] = moved
    if table == "activity":
        old_e, new_e = _economies(previous), _economies(current)
        if old_e and new_e:
            out["new_economies"] = sorted(new_e - old_e)
            out["economies_gone"] = sorted(old_e - new_e)
        through = [_data_through(previous), _data_through(current)]
        if all(through) and through[0] != through[1]:
            out["data_through"] = through
    if table == "certifications":
        pp = _map(previous.get("growth")).get("periods")
        cp = _map(current.get("growth")).get("periods")
        if isinstance(pp, list) and isinstance(cp, list):
            new_p = [p for p in cp if p not in pp]
            if new_p:
                out["new_periods"] = new_p
    return out


def _known_version(digest: Any) -> dict[str, Any]:
    """Return what a sha256 tells of a dataset's version: pinned or a known snapshot."""
    from marketlib.sources import snapshots

    for ds in DATASETS.values():
        if ds.sha256 == digest:
            return {"ref": "pinned", "commit": ds.commit}
    for snap in snapshots().values():
        if snap.sha256 == digest:
            return {"ref": snap.ref, "commit": snap.commit, "published": snap.published}
    return {}


def _version(path: str | None, digest: Any, prov: Mapping[str, Any] | None) -> dict[str, Any]:
    out: dict[str, Any] = {"path": path, "sha256": digest}
    if not prov:
        out.update(_known_version(digest))
    if prov:
        out.update({k: prov.get(k) for k in ("ref", "commit", "published", "retrieved_at")
                    if prov.get(k) is not None})
    return out


def _input_changes(previous: Mapping[str, Any], current: Mapping[str, Any]
                   ) -> list[dict[str, Any]]:
    p_in = _map(_map(previous.get("run")).get("inputs"))
    c_in = _map(_map(current.get("run")).get("inputs"))
    p_prov, c_prov = _provenance_by_path(previous), _provenance_by_path(current)
    old = {_dataset_of(str(p), p_prov): str(p) for p in p_in}
    new = {_dataset_of(str(p), c_prov): str(p) for p in c_in}
    out = []
    tables_done: set[str] = set()
    for ds in dict.fromkeys([*new, *old]):
        op, np_ = old.get(ds), new.get(ds)
        od = p_in.get(op) if op is not None else None
        nd = c_in.get(np_) if np_ is not None else None
        if od == nd:
            continue
        item: dict[str, Any] = {
            "dataset": ds,
            "status": ("added" if op is None else "removed" if np_ is None
                       else "snapshot changed"),
            "old": _version(op, od, p_prov.get(op or "")) if op is not None else None,
            "new": _version(np_, nd, c_prov.get(np_ or "")) if np_ is not None else None,
        }
        table = _table_of(ds)
        if table is not None:
            item["table"] = table
            if table not in tables_done:  # table-level facts once, on its first changed file
                item.update(_table_details(table, previous, current))
                tables_done.add(table)
        out.append(item)
    return out


# --- the section -------------------------------------------------------------------------------


def compare_results(previous: Mapping[str, Any], current: Mapping[str, Any],
                    previous_results: str | None = None) -> dict[str, Any]:
    """Return SPEC's ``changes`` section: what moved between two runs, and is it real.

    Parameters
    ----------
    previous, current
        Two ``results.json`` documents (the previous run's and this run's).
    previous_results
        How to name the previous run's results file in the section (a project- or
        reports-relative path; never an absolute path of this machine).

    Returns
    -------
    dict
        ``previous`` (``as_of``, ``results``); ``estimates`` (one item per headline estimate
        present in both runs of a comparable section: ``section``, ``key``, ``quantity``,
        ``label``, ``old``/``old_ci``, ``new``/``new_ci``, ``difference``, ``z``, ``verdict``
        ``changed`` | ``within_uncertainty`` | ``not_testable`` and the ``test`` used);
        ``groups_crossing_floor``; ``claims_flipped``; ``inputs`` (datasets whose sha256
        changed, with rows added, new economies, data-through quarters where the results
        tell); ``comparable`` (per section, see :func:`comparability`); ``counts``.

    Notes
    -----
    Ratios are compared on the log scale, growth on log(1 + g), team savings on
    log(1 - s); each run's standard error comes from its own interval (its own confidence
    level), and the runs are treated as independent. A difference is ``changed`` only when
    |z| > 1.96. Sections whose definitions differ between the runs are not compared (their
    reason is in ``comparable``), nor are estimates present in one run only (counted in
    ``counts``).
    """
    status = comparability(previous, current)
    estimates = _arbitrage_estimates(previous, current, status)
    if status["regional"]["comparable"]:
        estimates += _regional_estimates(previous, current)
    if status["growth"]["comparable"]:
        estimates += _growth_estimates(previous, current)
    floor = _floor_crossings(previous, current) if status["arbitrage"]["comparable"] else []
    verdicts = [e["verdict"] for e in estimates]
    return {
        "previous": {"as_of": run_as_of(previous), "results": previous_results},
        "current": {"as_of": run_as_of(current)},
        "estimates": estimates,
        "groups_crossing_floor": floor,
        "claims_flipped": _claims_flipped(previous, current),
        "inputs": _input_changes(previous, current),
        "comparable": status,
        "counts": {"estimates": len(estimates),
                   VERDICT_CHANGED: verdicts.count(VERDICT_CHANGED),
                   VERDICT_WITHIN: verdicts.count(VERDICT_WITHIN),
                   VERDICT_UNTESTABLE: verdicts.count(VERDICT_UNTESTABLE),
                   "identical": sum(1 for e in estimates if e["difference"] == 0
                                    and e["old_ci"] == e["new_ci"])},
        "test": ("per estimate in `test`: z from the two runs' intervals on a log scale, runs "
                 "treated as independent, changed when |z| > 1.96"),
    }


# --- words and table for the summary page ------------------------------------------------------


def _value_text(kind: str, v: Any, ci: Any) -> str:
    from marketlib.publish import pct_ci, ratio_ci

    lo, hi = (ci + [None, None])[:2] if isinstance(ci, list) else (None, None)
    if kind == "ratio":
        return ratio_ci(v, lo, hi)
    return pct_ci(v, lo, hi, signed=kind == "growth")


def _change_text(e: Mapping[str, Any]) -> str:
    d = _num(e.get("difference"))
    if d is None:
        return "-"
    if e.get("kind") == "ratio":
        return f"{d:+.2f}"
    pts = d * 100
    return f"{pts:+.1f} pts" if abs(pts) < 9.95 else f"{pts:+.0f} pts"


def _z_text(e: Mapping[str, Any]) -> str:
    z = _num(e.get("z"))
    return "not testable" if z is None else f"z = {z:.1f}"


def _verdict_words(e: Mapping[str, Any]) -> str:
    v = e.get("verdict")
    if v == VERDICT_CHANGED:
        return f"beyond its combined uncertainty ({_z_text(e)})"
    if v == VERDICT_WITHIN:
        return f"within its combined uncertainty ({_z_text(e)})"
    return "not testable (an interval is missing)"


def _estimate_sentence(e: Mapping[str, Any]) -> str:
    kind = str(e.get("kind"))
    return (f"{e.get('label')} moved from {_value_text(kind, e.get('old'), e.get('old_ci'))} "
            f"to {_value_text(kind, e.get('new'), e.get('new_ci'))}: {_verdict_words(e)}.")


def _verdict_label(v: Any) -> str:
    return str(v or "-").replace("_", " ")


def _n(x: Any) -> str:
    v = _num(x)
    return "-" if v is None else f"{v:,.0f}"


def _floor_sentence(f: Mapping[str, Any]) -> str:
    floor = f.get("new_min_n") or f.get("old_min_n")
    fl = f", floor {_n(floor)}" if floor is not None else ""
    if f.get("new_reported"):
        return (f"{f.get('group')} now has enough observations to be reported "
                f"(n {_n(f.get('old_n'))} -> {_n(f.get('new_n'))}{fl}).")
    return (f"{f.get('group')} is no longer reported: too few observations "
            f"(n {_n(f.get('old_n'))} -> {_n(f.get('new_n'))}{fl}).")


def _claim_sentence(c: Mapping[str, Any]) -> str:
    text = str(c.get("text") or "")
    short = (text[:77] + "...") if len(text) > 80 else text
    what = f' ("{short}")' if short else ""
    return (f"Claim {c.get('id')}{what} is now {_verdict_label(c.get('new'))} "
            f"(was {_verdict_label(c.get('old'))}).")


_DATASET_WORDS = {"aijobs": "The aijobs salary survey", "ppp": "The price-level table"}


def _version_text(v: Mapping[str, Any] | None) -> str:
    if not v:
        return "none"
    ref = v.get("ref")
    if ref and ref not in ("pinned", "latest"):
        return str(ref)
    commit = f"commit {str(v['commit'])[:7]}" if v.get("commit") else ""
    if ref in ("pinned", "latest") and commit:
        when = f" of {v['published']}" if v.get("published") else ""
        return f"{ref} {commit}{when}"
    if v.get("published"):
        return str(v["published"])
    return commit or f"sha256 {str(v.get('sha256'))[:7]}"


def _input_sentence(i: Mapping[str, Any]) -> str:
    ds = str(i.get("dataset"))
    name = _DATASET_WORDS.get(ds, f"Input {ds}")
    if ds.startswith("innovationgraph/"):
        name = f"The Innovation Graph {ds.split('/', 1)[1]} file"
    if i.get("status") != "snapshot changed":
        return f"{name} was {i.get('status')}."
    parts = [f"{name} is a new snapshot ({_version_text(i.get('old'))} -> "
             f"{_version_text(i.get('new'))})"]
    rows = i.get("rows_in")
    if isinstance(rows, list) and len(rows) == 2:
        parts.append(f"{i.get('table')} rows {_n(rows[0])} -> {_n(rows[1])} "
                     f"({int(rows[1]) - int(rows[0]):+,})")
    through = i.get("data_through")
    if isinstance(through, list):
        parts.append(f"data through {through[1]} (was {through[0]})")
    if i.get("new_economies"):
        parts.append(f"new economies {', '.join(i['new_economies'])}")
    if i.get("new_periods"):
        parts.append(f"new periods {', '.join(map(str, i['new_periods']))}")
    moved = i.get("countries_by_region")
    if moved:
        parts.append("countries " + ", ".join(
            f"{m['region']} {_n(m['old'])} -> {_n(m['new'])}" for m in moved[:4]))
    return "; ".join(parts) + "."


_SECTION_WORDS = {"arbitrage": "raw pay ratios", "adjusted": "adjusted pay ratios",
                  "team": "team cost", "growth": "certification growth",
                  "regional": "regional growth"}


def changes_markdown(changes: Mapping[str, Any] | None, max_estimates: int = 6) -> list[str]:
    """Return the "What changed since <previous as_of>" block as sentences.

    Parameters
    ----------
    changes
        A ``changes`` section (:func:`compare_results`); ``None`` gives no sentences.
    max_estimates
        At most this many sentences on single estimates (those that changed, largest |z|
        first; when none changed, the largest moves within uncertainty).

    Returns
    -------
    list of str
        An overview, the sections not compared (and why), the estimates, the groups that
        crossed the floor, the claims whose verdict flipped and the inputs that changed.
    """
    if not isinstance(changes, Mapping):
        return []
    est = _rows(changes.get("estimates"))
    prev = _map(changes.get("previous")).get("as_of") or "the previous report"
    changed = sorted((e for e in est if e.get("verdict") == VERDICT_CHANGED),
                     key=lambda e: -abs(_num(e.get("z")) or 0))
    within = [e for e in est if e.get("verdict") == VERDICT_WITHIN]
    untestable = len(est) - len(changed) - len(within)
    out = []
    if est:
        extra = f"; {untestable} could not be tested" if untestable else ""
        same = _num(_map(changes.get("counts")).get("identical")) or 0
        same_text = f", {same:,.0f} of them identical" if same else ""
        out.append(f"Compared with the report as of {prev}: {len(changed)} of {len(est)} "
                   f"estimates moved beyond their combined uncertainty, {len(within)} within "
                   f"it{same_text}{extra} (z from the two runs' intervals, |z| > 1.96).")
    else:
        out.append(f"Compared with the report as of {prev}: no estimate could be compared.")
    for name, st in _map(changes.get("comparable")).items():
        st = _map(st)
        if not st.get("comparable") and st.get("differences"):
            out.append(f"Not compared: {_SECTION_WORDS.get(name, name)}, "
                       f"{st.get('reason')}.")
    shown = changed[:max_estimates] if changed else sorted(
        within, key=lambda e: -abs(_num(e.get("z")) or 0))[:min(2, max_estimates)]
    out += [_estimate_sentence(e) for e in shown]
    if len(changed) > max_estimates:
        out.append(f"{len(changed) - max_estimates} more estimates changed beyond their "
                   f"uncertainty (see the table).")
    out += [_floor_sentence(f) for f in _rows(changes.get("groups_crossing_floor"))]
    out += [_claim_sentence(c) for c in _rows(changes.get("claims_flipped"))]
    out += [_input_sentence(i) for i in _rows(changes.get("inputs"))]
    return out


TABLE_COLUMNS = ["Estimate", "Previous (95% CI)", "Current (95% CI)", "Change",
                 "Against uncertainty", "Verdict"]


def changes_table(changes: Mapping[str, Any] | None, max_rows: int = 15) -> pd.DataFrame:
    """Return one small table of what moved: estimates beyond uncertainty, floors, claims.

    Parameters
    ----------
    changes
        A ``changes`` section (:func:`compare_results`).
    max_rows
        Row limit (changed estimates first, by |z|).

    Returns
    -------
    pandas.DataFrame
        Text cells; columns Estimate, Previous (95% CI), Current (95% CI), Change, Against
        uncertainty, Verdict. When nothing changed, the two largest moves within uncertainty
        are shown so the table says so. Team savings carry their 5th-95th percentile band.
    """
    rows: list[dict[str, str]] = []
    est = _rows(_map(changes).get("estimates")) if isinstance(changes, Mapping) else []
    changed = sorted((e for e in est if e.get("verdict") == VERDICT_CHANGED),
                     key=lambda e: -abs(_num(e.get("z")) or 0))
    if not changed:
        changed = sorted((e for e in est if e.get("verdict") == VERDICT_WITHIN),
                         key=lambda e: -abs(_num(e.get("z")) or 0))[:2]
    for e in changed:
        kind = str(e.get("kind"))
        rows.append({"Estimate": str(e.get("label", "")).rstrip(","),
                     "Previous (95% CI)": _value_text(kind, e.get("old"), e.get("old_ci")),
                     "Current (95% CI)": _value_text(kind, e.get("new"), e.get("new_ci")),
                     "Change": _change_text(e), "Against uncertainty": _z_text(e),
                     "Verdict": ("beyond uncertainty" if e.get("verdict") == VERDICT_CHANGED
                                 else "within uncertainty")})
    for f in _rows(_map(changes).get("groups_crossing_floor")) if changes else []:
        was = "reported" if f.get("old_reported") else "not reported"
        now = "reported" if f.get("new_reported") else "not reported"
        floor = f.get("new_min_n") or f.get("old_min_n")
        rows.append({"Estimate": f"{f.get('group')} sample size",
                     "Previous (95% CI)": f"n = {_n(f.get('old_n'))} ({was})",
                     "Current (95% CI)": f"n = {_n(f.get('new_n'))} ({now})",
                     "Change": "-" if _num(f.get("old_n")) is None or _num(f.get("new_n")) is None
                     else f"{int(f['new_n']) - int(f['old_n']):+,}",
                     "Against uncertainty": f"floor n = {_n(floor)}",
                     "Verdict": str(f.get("direction"))})
    for c in _rows(_map(changes).get("claims_flipped")) if changes else []:
        rows.append({"Estimate": f"Claim {c.get('id')}",
                     "Previous (95% CI)": _verdict_label(c.get("old")),
                     "Current (95% CI)": _verdict_label(c.get("new")), "Change": "-",
                     "Against uncertainty": "-", "Verdict": "verdict flipped"})
    return pd.DataFrame(rows[:max_rows], columns=TABLE_COLUMNS, dtype=object)


# --- the previous run --------------------------------------------------------------------------


def results_file(path: str | Path) -> Path:
    """Return the results.json of a run folder, or ``path`` itself when it is the file."""
    p = Path(path)
    return p / "results.json" if p.is_dir() else p


def load_previous(path: str | Path) -> dict[str, Any]:
    """Read a previous run's results: a run folder or its ``results.json``.

    Raises
    ------
    InputError
        No such file, not JSON, or not a results document (no ``run`` section).
    """
    p = results_file(path)
    try:
        if not p.is_file():
            raise InputError(p, "previous results not found (give a run folder or its "
                                "results.json)")
        if p.stat().st_size > MAX_PREVIOUS_BYTES:
            raise InputError(p, f"larger than {MAX_PREVIOUS_BYTES >> 20} MiB: not a results "
                                "file")
        data = json.loads(p.read_text(encoding="utf-8"))
    except (ValueError, UnicodeDecodeError) as exc:
        raise InputError(p, f"not a JSON results file ({str(exc)[:120]})") from None
    except RecursionError:
        raise InputError(p, "not a results file (nested too deeply)") from None
    except OSError as exc:
        raise InputError(p, f"cannot be read ({exc.strerror or exc})") from None
    if not isinstance(data, dict) or not isinstance(data.get("run"), Mapping):
        raise InputError(p, "not a marketlib results.json (no run section)")
    depth = _depth(data)
    if depth > MAX_PREVIOUS_DEPTH:
        raise InputError(p, f"not a results file (nested {depth} levels deep)")
    try:
        import jsonschema

        jsonschema.validate(data, previous_schema())
    except Exception as exc:  # jsonschema's ValidationError, or a schema that cannot apply
        msg = getattr(exc, "message", str(exc))
        raise InputError(p, f"does not follow the results schema ({str(msg)[:160]})") from None
    return data


def previous_schema() -> dict[str, Any]:
    """Return the results schema as it applies to earlier runs: sections may be absent.

    Runs written by earlier versions lack sections added since; what a run does hold must
    still have the schema's types (a ``ci_level`` of 1 or a text where a number goes fails).
    """
    import copy

    from marketlib.paths import PACKAGE_DATA

    schema = copy.deepcopy(json.loads((PACKAGE_DATA / "results.schema.json").read_text()))
    stack: list[Any] = [schema]
    while stack:  # plain "required" lists dropped (conditions kept): the types still checked
        node = stack.pop()
        if not isinstance(node, dict):
            continue
        node.pop("required", None)
        for key in ("properties", "$defs"):
            stack.extend((node.get(key) or {}).values())
        for key in ("items", "additionalProperties"):
            if isinstance(node.get(key), dict):
                stack.append(node[key])
    schema["required"] = ["run"]
    return schema


MAX_PREVIOUS_BYTES = 64 << 20
MAX_PREVIOUS_DEPTH = 24


def _depth(value: Any) -> int:
    """Return how deeply ``value`` nests (iteratively: a hostile file cannot overflow it)."""
    deepest, stack = 0, [(value, 1)]
    while stack:
        v, d = stack.pop()
        deepest = max(deepest, d)
        if d > MAX_PREVIOUS_DEPTH:
            return d
        if isinstance(v, dict):
            stack.extend((x, d + 1) for x in v.values())
        elif isinstance(v, list):
            stack.extend((x, d + 1) for x in v)
    return deepest


def find_previous_run(reports_root: str | Path, as_of: str,
                      skipped: list[str] | None = None) -> Path | None:
    """Return the newest run folder under ``reports_root`` whose ``as_of`` is before ``as_of``.

    Parameters
    ----------
    reports_root
        The folder holding run folders (``reports/``).
    as_of
        This run's date (ISO ``YYYY-MM-DD``).

    Returns
    -------
    pathlib.Path or None
        The run folder (holding a readable results.json with ``run.as_of`` earlier than
        ``as_of``; ties broken by ``run.started``); ``None`` on the first run. Hidden staging
        folders and ``*.failed`` folders are never chosen.
    """
    root = Path(reports_root)
    if not root.is_dir():
        return None
    best: tuple[str, str, str] | None = None
    found: Path | None = None
    for folder in root.iterdir():
        if (not folder.is_dir() or folder.name.startswith(".")
                or folder.name.endswith(".failed")):
            continue
        if not (folder / "results.json").exists():
            continue
        try:
            data = load_previous(folder)
        except InputError as exc:  # named for the page (``skipped``), never fatal
            if skipped is not None:
                skipped.append(f"{exc.path} was skipped as a previous run: {exc.problem}")
            continue
        when = run_as_of(data)
        if when is None or when >= str(as_of):
            continue
        started = str(_map(data.get("run")).get("started") or "")
        key = (when, started, folder.name)
        if best is None or key > best:
            best, found = key, folder
    return found


def _shown(path: Path, reports_root: Path | None) -> str:
    from marketlib.publish import display_path

    if reports_root is not None:
        try:
            rel = path.resolve().relative_to(reports_root.resolve().parent)
            return rel.as_posix()
        except ValueError:
            pass
    return display_path(str(path))


def changes_since(current: Mapping[str, Any], compare_to: str | Path | None = None,
                  reports_root: str | Path | None = None) -> dict[str, Any] | None:
    """Return the ``changes`` section of a run against its previous run (or ``None``).

    Parameters
    ----------
    current
        This run's results document (``run.as_of`` set).
    compare_to
        The previous run (folder or results.json) given by the user; when ``None``, the newest
        earlier run under ``reports_root`` (:func:`find_previous_run`).
    reports_root
        Where run folders live (the parent of this run's folder).

    Returns
    -------
    dict or None
        :func:`compare_results` of the two, the previous results named relative to the
        reports root's parent (``reports/2026-10-26/results.json``); ``None`` when there is no
        previous run (the first run).

    Raises
    ------
    InputError
        ``compare_to`` given but unreadable.
    """
    root = Path(reports_root) if reports_root is not None else None
    if compare_to is not None:
        path = results_file(compare_to)
    else:
        as_of = run_as_of(current)
        if root is None or as_of is None:
            return None
        folder = find_previous_run(root, as_of)
        if folder is None:
            return None
        path = results_file(folder)
    previous = load_previous(path)
    return compare_results(previous, current, previous_results=_shown(path, root))


__all__ = [
    "TESTS", "Z_CRITICAL", "changes_markdown", "changes_since", "changes_table",
    "comparability", "compare_results", "find_previous_run", "load_previous", "results_file",
    "run_as_of", "z_score",
]


def show_changes(changes: Mapping[str, Any] | None) -> Any:
    """Display the "What changed since <previous as_of>" block in a notebook (or a line)."""
    from IPython.display import HTML, Markdown

    if not changes or not changes.get("previous"):
        return Markdown("*No earlier report to compare with: this is the first run.*")
    import html

    from marketlib.publish import to_html

    as_of = html.escape(str(changes["previous"].get("as_of", "the previous report")))
    lines = "\n".join(f"<li>{html.escape(str(s))}</li>" for s in changes_markdown(changes))
    table = changes_table(changes)
    body = to_html(table) if len(table) else ""
    return HTML(f"<h2>What changed since {as_of}</h2><ul>{lines}</ul>{body}")
