"""Clean CNCF survey answers into the ``adoption`` table: region, wave, Kubernetes answer.

One row per respondent (``respondents`` = 1) or per published cross-tab cell (2021: the
count). Each wave's labels are harmonised by two package files, ``data/cncf_regions.csv``
(region label -> survey region, with the note the mapping cannot hide) and
``data/cncf_answers.csv`` (answer label -> ``production``, ``evaluating``, ``uses_unspecified``,
``not_ticked``, ``no``, ``unsure``). Rejected, with reasons: no region or no answer to the
Kubernetes question (``missing_required``; a wave part that asks none: ``no_question``),
several regions ticked or a label no mapping knows (``unknown_answer`` / ``unknown_country``),
filtered out by the wave's own guide (``screened_out``), a count that is not a whole number
(``bad_count``).
"""

from __future__ import annotations

from functools import cache
from typing import Any

import pandas as pd

from marketlib.clean.rejections import (
    CleanResult,
    Rejections,
    blank,
    finish_clean,
    kept_sources,
    lazy_detail,
    source_rows,
    start_clean,
)
from marketlib.cleanparams import CleanParams
from marketlib.frames import word_key
from marketlib.paths import PACKAGE_DATA

COLUMNS = (
    "wave",
    "region",
    "region_label",
    "answer",
    "answer_label",
    "respondents",
    "source_file",
    "source_row",
)
ANSWERS = ("production", "evaluating", "uses_unspecified", "not_ticked", "no", "unsure")


@cache
def _mapping(name: str, column: str) -> pd.DataFrame:
    """Return a label file as ``w`` (wave), ``k`` (the label's word key), ``v`` (its value)."""
    t = pd.read_csv(PACKAGE_DATA / name, comment="#", dtype=str, keep_default_na=False)
    return pd.DataFrame({"w": t["wave"], "k": word_key(t["label"]), "v": t[column]})


def _lookup(mapping: pd.DataFrame, wave: pd.Series, label: pd.Series) -> pd.Series:
    """Map (wave, label) through a label file, labels folded as every vocabulary's words."""
    keys = pd.DataFrame({"w": wave.to_numpy(), "k": word_key(label).to_numpy()})
    out = keys.merge(mapping, on=["w", "k"], how="left")["v"]
    return pd.Series(out.to_numpy(), index=wave.index, dtype="object")


def region_notes() -> dict[str, str]:
    """Return each wave's mapping notes: ``"2022 North America"`` -> what it cannot hide."""
    t = pd.read_csv(
        PACKAGE_DATA / "cncf_regions.csv", comment="#", dtype=str, keep_default_na=False
    )
    t = t[t["note"] != ""]
    return {f"{w} {r}": n for w, r, n in zip(t["wave"], t["region"], t["note"], strict=True)}


def clean_adoption(
    raw: pd.DataFrame,
    fmt: str = "cncf_survey",
    params: CleanParams | None = None,
    source_file: str | pd.Series = "",
) -> CleanResult:
    """Clean survey answers (the ``cncf_survey`` format's columns) into ``adoption``."""
    p = params or CleanParams()
    raw, source_file, rej = start_clean(raw, source_file)
    wave = raw["wave"].astype("str").str.strip()
    region_label = raw["region_label"].astype("str").str.strip()
    answer_label = raw["answer_label"].astype("str").str.strip()
    screened = raw["screened"].astype("str").str.strip()
    count = pd.to_numeric(raw["respondents"], errors="coerce")
    regions = _mapping("cncf_regions.csv", "region")
    answers = _mapping("cncf_answers.csv", "answer")
    region = _lookup(regions, wave, region_label)
    answer = _lookup(answers, wave, answer_label)
    rej.add(screened != "", "screened_out", "filtered out by the wave's guide: " + screened)
    rej.add(blank(region_label), "missing_required", "no region answered")
    rej.add(
        region_label.str.contains(" + ", regex=False),
        "unknown_country",
        lazy_detail("several regions ticked: ", region_label, ""),
    )
    rej.add(
        region.isna(),
        "unknown_country",
        lazy_detail("region ", region_label, " is not in data/cncf_regions.csv for its wave"),
    )
    rej.add(
        blank(raw["question"].astype("str")),
        "no_question",
        "the file asks no Kubernetes-use question",
    )
    rej.add(blank(answer_label), "missing_required", "the Kubernetes question not answered")
    rej.add(
        answer.isna(),
        "unknown_answer",
        lazy_detail("answer ", answer_label, " is not in data/cncf_answers.csv for its wave"),
    )
    rej.add(
        count.isna() | (count < 0) | (count != count.round()),
        "bad_count",
        lazy_detail("respondents ", raw["respondents"].astype("str"), " is not a count"),
    )
    ok = rej.ok
    rows = source_rows(raw, source_file)
    files = kept_sources(source_file, ok)
    table = pd.DataFrame(
        {
            "wave": wave[ok].astype("int64"),
            "region": region[ok].astype("str"),
            "region_label": region_label[ok].str.replace(r"\s+", " ", regex=True),
            "answer": answer[ok].astype("str"),
            "answer_label": answer_label[ok],
            "respondents": count[ok].astype("int64"),
            "source_file": files,
            "source_row": rows[ok].astype("int64"),
        }
    ).reset_index(drop=True)
    extra = _report_extra(table, raw, rej, count)
    return finish_clean("adoption", raw, table, rej, source_file, p, fmt, extra)


def _report_extra(
    table: pd.DataFrame, raw: pd.DataFrame, rej: Rejections, count: pd.Series
) -> dict[str, Any]:
    """Respondents per wave (read, kept) and per wave, region and answer."""
    read = count.fillna(0).groupby(raw["wave"].astype("str")).sum()
    kept = table.groupby("wave")["respondents"].sum()
    cells = table.groupby(["wave", "region", "answer"])["respondents"].sum()
    return {
        "respondents_read_by_wave": {str(k): int(v) for k, v in read.items()},
        "respondents_kept_by_wave": {str(k): int(v) for k, v in kept.items()},
        "respondents_by_wave_region_answer": {
            f"{w} {r} {a}": int(v) for (w, r, a), v in cells.items()
        },
    }
