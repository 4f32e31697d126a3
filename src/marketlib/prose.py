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
from marketlib.publish.text import pay_words, reader_words
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


def _params(results: Mapping[str, Any] | None, section: str) -> dict[str, Any]:
    run = (results or {}).get("run") or {}
    params = run.get("params") or {}
    value = params.get(section) if isinstance(params, Mapping) else None
    return dict(value) if isinstance(value, Mapping) else {}


def rates_source(results: Mapping[str, Any] | None) -> str:
    """Return how the run's pay data is named on pages."""
    run = (results or {}).get("run") or {}
    return str(run.get("rates_source") or "the pay file")


def regional_subjects(results: Mapping[str, Any] | None) -> list[str]:
    """Return the topics the regional section measured (in the order asked for)."""
    rows = (results or {}).get("regional") or []
    asked = _params(results, "regional").get("subjects") or []
    seen = [str(r.get("subject")) for r in rows if isinstance(r, Mapping) and r.get("subject")]
    return [s for s in asked if s in seen] or list(dict.fromkeys(seen))


def arbitrage_intro(results: Mapping[str, Any] | None) -> str:
    """Return the sentence that says what the pay ratios compare."""
    arb = (results or {}).get("arbitrage") or {}
    if not arb:
        return "No pay section in this run."
    base = str(arb.get("base", "the base group"))
    hours = arb.get("hours_per_year", 2080)
    controls = ", ".join(
        str(c).replace("role_family", "role family")
        for c in (arb.get("adjusted") or [{}])[0].get("controls", []) or []
    )
    base_row = next(
        (r for r in arb.get("raw") or [] if isinstance(r, Mapping) and str(r.get("group")) == base),
        {},
    )
    one = (
        f" The base is one country ({base_row.get('top_country')}): every ratio compares "
        "with that country's pay, not with a region's."
        if base_row.get("n_countries") == 1 and base_row.get("top_country")
        else ""
    )
    kind = (
        "salary-equivalent: annual pay / {hours:,.0f} hours"
        if arb.get("rate_kind") != "bill_rate"
        else "bill rates per hour as charged"
    ).format(hours=hours)
    who = f" Who: {arb['population']}." if arb.get("population") else ""
    return (
        f"Ratios are to {base_pay(base)} ({kind}), from {rates_source(results)}.{who}"
        f"{one} The adjusted ratio holds {controls or 'the job mix'} fixed and weighs a "
        "region's countries alike (each country's own effect); the raw ratio compares "
        "medians as observed. Intervals "
        "resample countries within a region, then people within a country."
    )


def pay_population_intro(arbitrage_results: Mapping[str, Any]) -> str:
    """Return the pay page's opening: what kind of pay, for whom, from which rows."""
    w = pay_words(arbitrage_results.get("rate_kind"))
    who = arbitrage_results.get("population") or "the selected rows"
    return f"**The pay here:** {w.pay} of {who}. " + w.note.format(
        hours=float(arbitrage_results.get("hours_per_year") or 2080)
    )


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


def verdict_notes(rate_kind: str, base: str) -> list[str]:
    """Return the claims page's notes on reading the verdicts, for the run's pay evidence."""
    rates = (
        f"*Supported by data* for a rate claim means that the claimed **ratio** to {base} "
        "lies inside the 95% interval of the estimate the claim's wording asks for, and "
        "that interval stays within 25% of the claim; "
    )
    rates += (
        "the claimed dollar **levels** are tested as levels against the bill-rate "
        "medians in the data and their intervals."
        if rate_kind == "bill_rate"
        else "the claimed dollar **levels** are what contractors charge and cannot be tested "
        "against salary-equivalent pay."
    )
    return [
        'Arithmetic checks allow for rounding: a printed "87%" stands for 86.5-87.5%, and '
        'figures printed as "70,000" for +/-0.5%. A verdict of *inconsistent* survives '
        "that slack.",
        rates,
        'The regional growth table has no bases, no definition of "certification" and no '
        "source, and no public registry counts certifications by region. It is confronted with "
        "regional **developer activity** (GitHub Innovation Graph: developers pushing to "
        "repositories of the topic, constant economies): *consistent with the activity proxy* "
        "when the claimed rate lies in the proxy's 95% CI for the same region and years, else "
        "*not supported by the activity proxy*. A proxy verdict never says the certificate "
        "counts are wrong; it says the public activity data do not show growth of that size. "
        "CNCF's world totals are audited as before.",
    ]


def quoted_rates_note(rate_kind: str) -> str:
    """Return what quoted hourly rates can be tested against, for the run's pay kind."""
    if rate_kind == "bill_rate":
        return (
            "The data are bill rates too: quoted levels are tested as levels (against "
            "each group's median and its interval), and their ratios as ratios."
        )
    return (
        "Quoted hourly rates are usually contractor or agency bill rates, not salaries: "
        "their levels cannot be compared with salary-equivalent pay, but their ratios can."
    )


def arbitrage_caveats(
    source: str,
    base: str,
    hours_per_year: float,
    geography: str = "subregion",
    rate_kind: str = "salary",
) -> list[str]:
    """Return the arbitrage page's caveats for the run's pay source, base, hours and kind."""
    w = pay_words(rate_kind)
    head = "**Salary-equivalent pay.**" if w.kind == "salary" else "**Bill rates as charged.**"
    return [
        f"{head} {w.note.format(hours=hours_per_year)}",
        f"**The sample.** Pay comes from {source}. Intervals measure sampling noise, not "
        "selection bias: a group's median from a few dozen rows is not a market rate.",
        f"**Group = residence.** Each row's {geography_word(geography)} is the {w.person}'s "
        f"country of residence; people working remotely for employers in {base} sit in "
        "their residence's group.",
        "**Within-group spread is large.** A group's median is not what a given hire costs: "
        "the distribution plot shows the overlap.",
        "**Countries are a sample too.** Regional intervals resample countries, then rows "
        "within them; with few countries they are wide, and that is the honest answer. The "
        "equal-country ratio weighs each country with at least 10 rows alike; the pooled "
        "ratio is the largest country's figure more than the region's.",
    ]


def regional_caveats(
    subjects: Sequence[str] | None, measure: str, china_hong_kong: str
) -> list[str]:
    """Return the regional page's caveats for the run's topics and rules."""
    what = (
        f"Pushers to repositories tagged {topic_list(subjects)}"
        if measure == "topic_pushers"
        else f"The {reader_words(measure)} counts"
    )
    hk = {
        "combine": "China and Hong Kong are counted together",
        "exclude": "China and Hong Kong are left out",
        "keep": "China and Hong Kong are kept as separate economies",
    }[china_hong_kong]
    return [
        f"**A proxy.** {what} measure public activity, not certifications, skills or jobs; "
        "private work is invisible.",
        f"**Location.** An account's economy is the mode of its daily IP location in the "
        f"quarter; VPNs move people ({hk}).",
        "**Few economies.** A region's constant set may hold one or two economies (see the "
        "economies table): a region's figure is then those economies' figure.",
        "**Partial years.** A year with fewer than four published quarters enters only the "
        "latest-quarters comparison, never a calendar-year one.",
    ]


def bullets(lines: Sequence[str]) -> str:
    """Return Markdown bullets."""
    return "\n".join(f"- {line}" for line in lines)


def hong_kong_sentence(results: Mapping[str, Any] | None) -> str | None:
    """Say how the China/Hong Kong rule shapes its region, with the ``keep`` result beside it."""
    detail = (results or {}).get("regional_detail") or {}
    hk = detail.get("china_hong_kong") if isinstance(detail, Mapping) else None
    if not isinstance(hk, Mapping) or not hk.get("rows"):
        return None
    years = [r for r in hk["rows"] if str(r.get("from", "")).isdigit()]
    last = (years or hk["rows"])[-1]  # the latest calendar-year comparison
    econ = last.get("economies") or []
    if isinstance(econ, str):
        econ = [e for e in econ.split(",") if e]
    rule = {
        "combine": "China and Hong Kong count as one economy, which drops out of every "
        "window where China is unpublished (from 2022Q4)",
        "exclude": "China and Hong Kong are left out",
        "keep": "Hong Kong and China are kept as ordinary economies",
    }.get(str(hk.get("rule")), str(hk.get("rule")))
    text = (
        f"{hk.get('group')}: {rule}, so its {last.get('from')} to {last.get('to')} "
        f"figure sums {len(econ)} economies ({', '.join(map(str, econ))})."
    )
    keep = hk.get("keep_rows") or []
    same = [k for k in keep if k.get("from") == last.get("from") and k.get("to") == last.get("to")]
    if same and same[0].get("growth") is not None and last.get("growth") is not None:
        k = same[0]
        text += (
            f" Kept as an ordinary economy, Hong Kong changes that growth from "
            f"{last['growth']:+.1%} to {k['growth']:+.1%}."
        )
    return text


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
