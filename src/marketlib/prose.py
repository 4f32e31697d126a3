"""Sentences for pages, built from the parameters and results a run actually used.

Every title, caption and caveat that names a source, a base group, a topic, a geography, a
count or a year comes from here, never from fixed text in a notebook: a run on an analyst's own
pay file, with another base or other topics, reads right.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from functools import cache
from typing import Any

from marketlib.paths import PACKAGE_DATA
from marketlib.sources.datasets import collection_date

_ADJECTIVE = {
    "North America": "North American",
    "Latin America": "Latin American",
    "Western Europe": "Western European",
    "Eastern Europe": "Eastern European",
    "Europe": "European",
    "Oceania": "Oceanian",
}
_GEOGRAPHY_WORDS = {"region": "region", "subregion": "sub-region", "country_iso3": "country"}


@cache
def _topic_names() -> dict[str, str]:
    import csv

    with open(PACKAGE_DATA / "topic_names.csv", encoding="utf-8") as fh:
        rows = [r for r in fh if not r.startswith("#")]
    return {r["topic"]: r["name"] for r in csv.DictReader(rows)}


def topic_name(subject: Any, start: bool = False) -> str:
    """Return a topic as its owners write it ("llm" -> "LLM", "machine-learning" -> ...)."""
    s = str(subject or "").strip()
    name = _topic_names().get(s.lower())
    if name is None:
        name = s.replace("-", " ").replace("_", " ")
    return name[:1].upper() + name[1:] if start else name


def topic_list(subjects: Sequence[Any] | None, start: bool = False) -> str:
    """Return topics as a phrase: "Kubernetes, Docker and LLM"."""
    names = [topic_name(s) for s in (subjects or [])]
    if not names:
        return "all topics"
    text = names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]
    return text[:1].upper() + text[1:] if start else text


def geography_word(geography: str, plural: bool = False) -> str:
    """Return the word for a grouping column ("subregion" -> "sub-region")."""
    w = _GEOGRAPHY_WORDS.get(geography, geography.replace("_", " "))
    return (w[:-1] + "ies" if w.endswith("y") else w + "s") if plural else w


def base_pay(base: str) -> str:
    """Return "North American pay" / "pay in Germany" for a base group."""
    return f"{_ADJECTIVE[base]} pay" if base in _ADJECTIVE else f"pay in {base}"


def rates_source(results: Mapping[str, Any] | None) -> str:
    """Return how the run's pay data is named on pages."""
    run = (results or {}).get("run") or {}
    return str(run.get("rates_source") or "the pay file")


def point_in_time_notes(results: Mapping[str, Any] | None) -> list[str]:
    """Return a sentence per input whose data are from after the run's ``as_of``.

    A file's date is its version's collection date where marketlib knows it (a pinned or
    snapshot sha256), else when it was retrieved. Rows dated after ``as_of`` are excluded by
    the cleaning (counted); rows of earlier periods added to the source later cannot be told
    apart, and the page says so.
    """
    run = (results or {}).get("run") or {}
    as_of = str(run.get("as_of") or "")[:10]
    if not as_of:
        return []

    late = (((results or {}).get("cleaning") or {}).get("rates") or {}).get("reasons") or {}
    out = []
    for p in run.get("provenance") or []:
        if not isinstance(p, Mapping):
            continue
        known = collection_date(str(p.get("sha256") or ""))
        when = str(known or p.get("retrieved_at") or "")[:10]
        if when and when > as_of:
            how = "collected by" if known else "retrieved on"
            excluded = late.get("date_out_of_range") if p.get("dataset") == "aijobs" else None
            out.append(
                f"Point in time: {p.get('dataset') or p.get('path')} was {how} {when}, after "
                f"this run's date {as_of}. Rows dated after {as_of} are left out"
                + (f" ({int(excluded):,} pay rows)" if excluded else "")
                + f"; rows for earlier periods that the source added after {as_of} cannot be "
                "told apart. For the data as they stood then, run on a snapshot of that date "
                "(--data-ref)."
            )
    return out


def bullets(lines: Sequence[str]) -> str:
    """Return Markdown bullets."""
    return "\n".join(f"- {line}" for line in lines)


@cache
def _catalog() -> dict[str, dict[str, str]]:
    import csv

    with open(PACKAGE_DATA / "datasets_catalog.csv", encoding="utf-8") as fh:
        rows = [r for r in fh if not r.startswith("#")]
    return {r["dataset"]: r for r in csv.DictReader(rows)}


def citations(results: Mapping[str, Any] | None) -> list[str]:
    """Return the citation block: the audited article, each dataset, the data's coverage."""
    run = (results or {}).get("run") or {}
    out = []
    art = run.get("article") or {}
    if art.get("title"):
        out.append(
            f'Audited article: "{art["title"]}", {art.get("byline", "no byline")}; '
            f"outlet: {art.get('outlet', 'unknown')}; date: "
            f"{art.get('date', 'unknown')}; address: {art.get('address', 'unknown')}."
        )
    seen = set()
    for p in run.get("provenance") or []:
        if not isinstance(p, Mapping):
            continue
        key = str(p.get("dataset", "")).split("/")[0]
        if key in seen:
            continue
        seen.add(key)
        cat = _catalog().get(key, {})
        commit = str(p.get("commit") or "")[:12]
        when = str(p.get("retrieved_at", ""))[:10] or "n/a"
        out.append(
            f"{cat.get('name', key)} ({cat.get('publisher', 'publisher unknown')}), "
            f"{cat.get('address', p.get('url', ''))}, licence "
            f"{cat.get('licence', 'see its SOURCE.md')}; snapshot "
            f"{commit or 'pinned'}, retrieved {when}."
        )
    own = str(run.get("rates_source") or "")  # the survey's own name, or the analyst's file
    if (
        (results or {}).get("arbitrage")
        and own
        and "aijobs" not in seen
        and not own.startswith("the aijobs.net")
    ):
        out.append(
            f"Pay data: {run['rates_source']}, supplied by the analyst (not a public "
            "dataset; its sha256 is in the sources and parameters table)."
        )
    if (results or {}).get("growth"):
        cat = _catalog()["certifications"]
        out.append(f"{cat['name']} ({cat['publisher']}), {cat['address']}; {cat['licence']}.")
    cov = run.get("coverage") or {}
    if cov.get("pay_years"):
        years = ", ".join(f"{y} {float(s):.0%}" for y, s in cov["pay_years"].items())
        out.append(f"Pay data coverage: years {years} (share of the rows used).")
    if cov.get("activity_quarters"):
        q = cov["activity_quarters"]
        out.append(f"Developer-activity coverage: {q[0]} to {q[1]}.")
    if cov.get("data_through"):
        out.append(
            f"Data as of: the latest observation is {cov['data_through']} (the run's "
            f"date is {run.get('as_of')})."
        )
    return out
