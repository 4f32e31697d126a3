"""``marketlib.clean.rejections``: an extra input column named like one of marketlib's is kept
beside it (``X`` and ``input_X`` both survive) by every cleaner."""

from __future__ import annotations

import pandas as pd
import pytest
from hostile import clean_cli

from marketlib.sources import read_rejected_csv

FORMATS_CASES = {
    "rates": (
        "generic",
        "country,amount,currency,unit,date",
        "US,100000,USD,year,2023",
        "US,x,USD,year,2023",
    ),
    "certifications": (
        "counts",
        "period,country,certification,count",
        "2023,US,CKA,10",
        "2023,US,CKA,x",
    ),
    "activity": (
        "innovationgraph",
        "developers,iso2_code,year,quarter",
        "1000,DE,2023,1",
        "x,DE,2023,1",
    ),
}


PAIRS = [
    ("reason", "input_reason"),
    ("detail", "input_detail"),
    ("region", "input_region"),
    ("source_row", "input_source_row"),
]


@pytest.mark.parametrize(
    "what,pair",
    [
        (w, p)
        for w in FORMATS_CASES
        for p in PAIRS
        if not (w == "certifications" and p[0] == "region")
    ],
)  # a counts file's own column
def test__every_cleaner__x_beside_input_x_both_kept(tmp_path, what, pair):
    fmt, header, good, bad = FORMATS_CASES[what]
    name = "developers.csv" if what == "activity" else "in.csv"
    text = f"{header},{pair[0]},{pair[1]}\n{good},a1,b1\n{bad},a2,b2\n"
    rc, out = clean_cli(tmp_path, what, fmt, text, name)
    assert rc == 0
    rej = read_rejected_csv(out / f"{what}_rejected.csv")
    assert len(rej) == 1 and rej["reason"].iloc[0] in ("unparseable_amount", "bad_count")
    values = set(rej.iloc[0].astype(str))
    assert {"a2", "b2"} <= values  # the user's two values, neither lost
    table = pd.read_parquet(out / f"{what}.parquet")
    assert {"a1", "b1"} <= set(table.iloc[0].astype(str))
