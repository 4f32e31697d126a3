"""The Kaggle ML & DS Survey responses (2021, 2022; CC BY 2.0): yearly pay in USD bands.

Read from Kaggle's zip (or its ``kaggle_survey_<year>_responses.csv``). The CSV's second line
holds the question texts: it is read as a second header, and the columns are found by their
question text, not their number (Q29 in 2022 is Q25 in 2021). Multi-select tool questions
(ML frameworks, cloud platforms, managed ML products, model-serving tools) become the skills
field. Columns handed to the cleaner (text): ``year, country, title, pay_band, years_coding,
years_ml, student, skills``.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import TYPE_CHECKING

from marketlib.clean.formats import Format

if TYPE_CHECKING:  # pandas and the readers load on first read (the CLI lists formats fast)
    import pandas as pd

    from marketlib.sources.files import RawTable

MEMBER = r"^kaggle_survey_(\d{4})_responses\.csv$"

#: column -> how its question text starts (both waves)
QUESTIONS = {
    "country": "In which country do you currently reside",
    "title": "Select the title most similar to your current role",
    "pay_band": "What is your current yearly compensation",
    "years_coding": "For how many years have you been writing code",
    "years_ml": "For how many years have you used machine learning methods",
    "student": "Are you currently a student",
}
#: multi-select questions whose ticked answers are skills
TOOL_QUESTIONS = (
    "Which of the following machine learning frameworks do you use",
    "Which of the following cloud computing platforms do you use",
    "Do you use any of the following managed machine learning products",
    "Do you use any of the following products to serve your machine learning models",
)
#: ticked answers that name no tool
NOT_TOOLS = frozenset({"", "none", "other", "no / none"})
COLUMNS = ("year", "country", "title", "pay_band", "years_coding", "years_ml", "student", "skills")


def read(path: str) -> RawTable:
    """Read one wave's responses (zip or CSV) into the format's columns."""
    import pandas as pd

    from marketlib.sources.errors import InputError
    from marketlib.sources.files import read_input_bytes
    from marketlib.sources.surveys import decode_text, raw_table, read_text_frame, zip_member

    p = Path(path)
    if p.suffix.lower() == ".zip":
        member, data, whole = zip_member(p, MEMBER)
        name = Path(member).name
    else:
        data = whole = read_input_bytes(p)
        name = p.name
    m = re.match(MEMBER, name)
    if m is None:
        raise InputError(
            p,
            "a Kaggle survey file is named kaggle_survey_<year>_responses.csv "
            "(the year is in its name, not in its rows)",
        )
    text, note = decode_text(data, p)
    head = read_text_frame(text, p, nrows=1)
    if len(head) == 0:
        raise InputError(p, "no rows under the header")
    questions = head.iloc[0].str.strip()
    found: dict[str, str | None] = {}
    for col, start in QUESTIONS.items():
        hit = [c for c, q in questions.items() if q.startswith(start)]
        if not hit and col != "student":
            raise InputError(
                p,
                f"no question starting {start!r} on the second line (not a "
                "Kaggle survey responses file?)",
            )
        found[col] = hit[0] if hit else None
    tools = [c for c, q in questions.items() if q.startswith(TOOL_QUESTIONS)]
    wanted = list(dict.fromkeys([*(c for c in found.values() if c), *tools]))
    body = read_text_frame(text, p, usecols=wanted).iloc[1:].reset_index(drop=True)
    out = pd.DataFrame(index=body.index)
    out["year"] = m.group(1)
    for col, source in found.items():
        out[col] = body[source].str.strip() if source else ""
    out["skills"] = _ticked(body[tools])
    notes = (
        f"{name}: line 2 holds the question texts (read as a second header); "
        f"{len(tools)} tool columns read as skills",
    ) + ((note,) if note else ())
    return raw_table(out[list(COLUMNS)], p, whole, notes)


def _ticked(cells: pd.DataFrame) -> pd.Series:
    """Join each row's ticked answers with ``;`` (the skills field's separator).

    One vectorised pass per tool column, left to right (the answers' order in the file).
    """
    import numpy as np
    import pandas as pd

    out = np.full(len(cells), "", dtype=object)
    for c in cells.columns:
        v = cells[c].str.strip()
        ok = (v.notna() & ~v.str.lower().isin(NOT_TOOLS)).to_numpy(dtype=bool)
        # "IBM Cloud / Red Hat": one tool
        add = v[ok].str.replace(r"\s*[;,|/]\s*", " ", regex=True).to_numpy(dtype=object)
        cur = out[ok]
        out[ok] = np.where(cur == "", add, cur + ";" + add)
    return pd.Series(out, index=cells.index, dtype="str")


FORMAT = Format(
    "kaggle",
    "pay_bands",
    (),
    description="Kaggle ML & DS Survey responses (2021, 2022): yearly pay in USD bands",
    read=read,
)
