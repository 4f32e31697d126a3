"""CNCF Cloud Native Survey raw answers, 2018-2022 (one layout per wave): region, Kubernetes.

Each wave is read in its own layout into the same columns (text): ``wave``, ``region_label``
(the wave's own words), ``answer_label`` (the wave's own answer to its Kubernetes question),
``respondents`` (1 for a respondent's row; a count for a published cross-tab cell),
``screened`` (the 2022 guide's filter: why the respondent is filtered out, else blank),
``question`` (the Kubernetes question the answer answers; blank when the file asks none).

- 2018, 2019 (UTF-8): one column per question, a second header line of answer labels; the
  Kubernetes column of the "evaluating or using in production" grid of CNCF projects. A
  respondent who ticked other projects of the grid but not Kubernetes is ``(not ticked)``.
- 1H 2020 (Mac OS Roman): region and "Are you using Kubernetes?" as one-hot columns.
- 2021: only cross-tabs were published (one sheet per question, counts per region); Part 1's
  "Are you using Kubernetes?" sheet gives one row per region and answer (``respondents`` the
  count); Part 2 asks no Kubernetes-use question (its regions are read, answer blank, and the
  cleaner rejects them as having no answer).
- 2022 (Windows-1252): answers coded against the reference model (Q1 region, Q16 Kubernetes
  use); the codes' labels are below, from ``CNCF 2022 Survey Reference Model.pdf``.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import TYPE_CHECKING

from marketlib.clean.formats import Format

if TYPE_CHECKING:
    import pandas as pd

    from marketlib.sources.files import RawTable

COLUMNS = ("wave", "region_label", "answer_label", "respondents", "screened", "question")
REGION_QUESTION = "What is your geographic location?"
#: the grid of 2018 and 2019 whose Kubernetes column answers "in production or evaluating"
GRID_QUESTIONS = (
    "Which of these cloud native projects is your company/organization",
    "Please indicate if your company/organization is evaluating, or currently "
    "using in production, any of these graduated CNCF projects",
)
USING_QUESTION = "Are you using Kubernetes?"
#: 2022 reference model: Q1 and Q16 codes
REGIONS_2022 = {
    "1": "Africa",
    "2": "Asia-Pacific (except China, India, and Japan)",
    "3": "China",
    "4": "Europe (including Russia)",
    "5": "India",
    "6": "Japan",
    "7": "Mexico, Central America, the Caribbean, or South America",
    "8": "United States or Canada",
}
KUBERNETES_2022 = {
    "1": "Yes, using in production",
    "2": "Yes, piloting or actively evaluating in test environments",
    "3": "No",
    "4": "Don't know or not sure",
}
#: 2022 guide's filtering criteria on Q5 (organization size): filtered out
SCREENED_2022 = {
    "9": "not employed or affiliated with an organization (Q5)",
    "10": "organization size not known (Q5)",
}
NOT_TICKED = "(not ticked)"


def read(path: str) -> RawTable:
    """Read one wave's file into the format's columns (the wave from the file's name)."""
    from marketlib.sources.errors import InputError

    p = Path(path)
    m = re.search(r"(20[12]\d)", p.name)
    if m is None:
        raise InputError(
            p,
            "the wave's year is not in the file's name (CNCF names its files "
            "by year: Cloud_Native_Survey_2019.csv)",
        )
    wave = m.group(1)
    if p.suffix.lower() in (".xlsx", ".xlsm"):
        return _crosstab(p, wave)
    from marketlib.sources.files import read_input_bytes
    from marketlib.sources.surveys import decode_text, raw_table, read_text_frame

    data = read_input_bytes(p)
    text, note = decode_text(data, p)
    frame = read_text_frame(text, p)
    notes = (note,) if note else ()
    if "Q1" in frame.columns and "Q16" in frame.columns:
        out, more = _coded(frame, wave)
    else:
        out, more = _labelled(frame, wave, p)
    return raw_table(out, p, data, notes + more)


def _blocks(columns: pd.Index) -> list[str]:
    """Return each column's question: its own header, or the last named one to its left."""
    out, last = [], ""
    for c in columns:
        name = str(c).strip()
        if not name.startswith("Unnamed:"):
            last = name
        out.append(last)
    return out


def _labelled(frame: pd.DataFrame, wave: str, p: Path) -> tuple[pd.DataFrame, tuple[str, ...]]:
    """2018-2020: question headers, a second header line of answer labels, then respondents."""
    import numpy as np
    import pandas as pd

    from marketlib.sources.errors import InputError

    questions = pd.Series(_blocks(frame.columns))
    labels = frame.iloc[0].str.strip().reset_index(drop=True)
    body = frame.iloc[1:].reset_index(drop=True)
    body.columns = range(body.shape[1])

    def block(start: str) -> list[int]:
        return [i for i, q in enumerate(questions) if q.startswith(start)]

    region_cols = block(REGION_QUESTION)
    if not region_cols:
        raise InputError(p, f"no {REGION_QUESTION!r} column (not a CNCF survey file?)")
    out = pd.DataFrame(index=body.index)
    out["wave"] = wave
    out["region_label"] = (
        _one_hot(body, region_cols, labels)
        if len(region_cols) > 1
        else body[region_cols[0]].str.strip()
    )
    using = block(USING_QUESTION)
    grid = next((b for b in (block(q) for q in GRID_QUESTIONS) if b), [])
    if using:
        out["answer_label"] = _one_hot(body, using, labels)
        what = f"{USING_QUESTION!r} (one-hot columns)"
    elif grid:
        kube = [i for i in grid if labels[i] == "Kubernetes"]
        if len(kube) != 1:
            raise InputError(p, "the projects grid has no single Kubernetes column")
        cell = body[kube[0]].str.strip()
        ticked_any = (body[grid].apply(lambda s: s.str.strip()) != "").any(axis=1)
        out["answer_label"] = np.where(cell != "", cell, np.where(ticked_any, NOT_TICKED, ""))
        what = f"the Kubernetes column of {questions[grid[0]][:60]!r}..."
    else:
        raise InputError(p, "no Kubernetes-use question found")
    out["respondents"] = "1"
    out["screened"] = ""
    out["question"] = USING_QUESTION if using else questions[grid[0]]
    note = (
        f"{p.name}: line 2 holds the answer labels (read as a second header); Kubernetes "
        f"use from {what}"
    )
    return out[list(COLUMNS)], (note,)


def _one_hot(body: pd.DataFrame, cols: list[int], labels: pd.Series) -> pd.Series:
    """Return the label of the one ticked column; several ticked: the labels joined by ' + '."""
    import pandas as pd

    ticked = body[cols].apply(lambda s: s.str.strip()) != ""
    long = ticked.stack()
    long = long[long]
    names = pd.Series(labels[long.index.get_level_values(1)].to_numpy(), index=long.index)
    return names.groupby(level=0).agg(" + ".join).reindex(body.index, fill_value="")


def _coded(frame: pd.DataFrame, wave: str) -> tuple[pd.DataFrame, tuple[str, ...]]:
    """2022: two header lines (question text, "Response"), then coded answers."""
    import pandas as pd

    body = frame.iloc[2:].reset_index(drop=True)
    out = pd.DataFrame(index=body.index)
    out["wave"] = wave
    q1 = body["Q1"].str.strip()
    q16 = body["Q16"].str.strip()
    out["region_label"] = q1.map(REGIONS_2022).fillna(q1)
    out["answer_label"] = q16.map(KUBERNETES_2022).fillna(q16)
    out["respondents"] = "1"
    q5 = body["Q5"].str.strip() if "Q5" in body.columns else pd.Series("", index=body.index)
    out["screened"] = q5.map(SCREENED_2022).fillna("")
    out["question"] = "Q16: Does your organization use Kubernetes?"
    return out[list(COLUMNS)], (
        "2022: lines 2 and 3 hold question texts and 'Response' "
        "(read as headers); codes of Q1 and Q16 from the reference "
        "model",
    )


def _crosstab(p: Path, wave: str) -> RawTable:
    """2021: a published cross-tab per question; counts per region and answer."""
    import io

    import openpyxl
    import pandas as pd

    from marketlib.sources.errors import InputError
    from marketlib.sources.files import read_input_bytes
    from marketlib.sources.surveys import raw_table

    data = read_input_bytes(p)
    wb = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    sheets = {}
    for name in wb.sheetnames:
        rows = list(wb[name].iter_rows(values_only=True))
        question = str(rows[1][0] or "").strip() if len(rows) > 1 else ""
        sheets[name] = (question, rows)
    using = [n for n, (q, _) in sheets.items() if q.startswith(USING_QUESTION)]
    region = [n for n, (q, _) in sheets.items() if q.startswith(REGION_QUESTION)]
    if not region:
        raise InputError(p, f"no sheet asks {REGION_QUESTION!r}")
    name = using[0] if using else region[0]
    _, rows = sheets[name]
    answers = [str(a).strip() for a in rows[2] if a is not None]
    records = []
    for row in rows[3:]:
        label = str(row[0] or "").strip() if row else ""
        if not label.startswith("Q1: "):
            continue  # Total, Answered, Skipped: sums of the rows read, or no region
        counts = [row[1 + 2 * i + 1] for i, a in enumerate(answers) if a != "Total"]
        for a, n in zip([a for a in answers if a != "Total"], counts, strict=True):
            if using:
                records.append((wave, label[4:], a, str(int(n or 0))))
            elif a == label[4:]:  # the region sheet: its diagonal is the region's count
                records.append((wave, label[4:], "", str(int(n or 0))))
    out = pd.DataFrame(records, columns=["wave", "region_label", "answer_label", "respondents"])
    out["screened"] = ""
    out["question"] = USING_QUESTION if using else ""
    note = (
        f"{p.name}: only cross-tabs were published; sheet {name!r} read as one row per "
        "region and answer (respondents: the published count)"
        + ("" if using else "; this part asks no Kubernetes-use question")
    )
    return raw_table(out[list(COLUMNS)], p, data, (note,))


FORMAT = Format(
    "cncf_survey",
    "adoption",
    (),
    description="CNCF Cloud Native Survey raw answers 2018-2022 (region, Kubernetes use)",
    read=read,
)
