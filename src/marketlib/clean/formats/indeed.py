"""Indeed Hiring Lab series (CC BY 4.0): postings index, AI share of postings, posted wages.

Four layouts, told apart by their headers, read into one long layout (text): ``date``,
``jobcountry`` (Indeed's two-letter code; ``EA`` is the euro area), ``series``, ``subject``
(the sector, or "total postings" / "new postings"), ``value``, ``n_obs``:

- ``AI_posting.csv``: ``ai_share`` (Indeed publishes a percent; the cleaner stores the
  fraction);
- ``aggregate_job_postings_XX.csv``: ``postings_index_sa`` and ``postings_index_nsa`` (an
  index, 2020-02-01 = 100: changes only, never levels across countries);
- ``job_postings_by_sector_XX.csv``: ``sector_postings_index`` per sector (``subject``);
- ``posted-wage-growth-by-country.csv``: ``wage_growth_yoy`` and ``wage_growth_yoy_3mo``
  (fractions; month ``Jan-19``; ``NA`` kept for the cleaner to reject as missing).
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from marketlib.clean.formats import Format

if TYPE_CHECKING:
    import pandas as pd

    from marketlib.sources.files import RawTable

COLUMNS = ("date", "jobcountry", "series", "subject", "value", "n_obs")
#: header set -> layout name
LAYOUTS = {
    frozenset({"date", "jobcountry", "ai_share_postings"}): "ai_share",
    frozenset(
        {
            "date",
            "jobcountry",
            "indeed_job_postings_index_sa",
            "indeed_job_postings_index_nsa",
            "variable",
        }
    ): "postings",
    frozenset(
        {"date", "jobcountry", "indeed_job_postings_index", "variable", "display_name"}
    ): "sector",
    frozenset(
        {
            "jobcountry",
            "country",
            "month",
            "n_obs",
            "posted_wage_growth_yoy",
            "posted_wage_growth_yoy_3moavg",
        }
    ): "wages",
}


def read(path: str) -> RawTable:
    """Read one Indeed file (any of the four layouts) into the long layout."""
    import pandas as pd

    from marketlib.sources.errors import InputError
    from marketlib.sources.files import read_csv_text

    t = read_csv_text(path)
    f = t.frame
    layout = LAYOUTS.get(frozenset(f.columns))
    if layout is None:
        raise InputError(
            path,
            "not an Indeed Hiring Lab layout (expected the columns of "
            "AI_posting.csv, aggregate_job_postings_XX.csv, "
            "job_postings_by_sector_XX.csv or "
            "posted-wage-growth-by-country.csv)",
        )

    def frame(
        series: str,
        value: str,
        date: str = "date",
        subject: str | None = None,
        n_obs: str | None = None,
    ) -> pd.DataFrame:
        return pd.DataFrame(
            {
                "date": f[date],
                "jobcountry": f["jobcountry"],
                "series": series,
                "subject": f[subject] if subject else "",
                "value": f[value],
                "n_obs": f[n_obs] if n_obs else "",
            }
        )

    if layout == "ai_share":
        out = frame("ai_share", "ai_share_postings")
    elif layout == "postings":
        out = pd.concat(
            [
                frame("postings_index_sa", "indeed_job_postings_index_sa", subject="variable"),
                frame("postings_index_nsa", "indeed_job_postings_index_nsa", subject="variable"),
            ],
            ignore_index=True,
        )
    elif layout == "sector":
        out = frame("sector_postings_index", "indeed_job_postings_index", subject="display_name")
    else:
        out = pd.concat(
            [
                frame("wage_growth_yoy", "posted_wage_growth_yoy", "month", n_obs="n_obs"),
                frame(
                    "wage_growth_yoy_3mo", "posted_wage_growth_yoy_3moavg", "month", n_obs="n_obs"
                ),
            ],
            ignore_index=True,
        )
    note = f"{Path(path).name}: Indeed layout {layout!r}"
    if layout in ("postings", "wages"):
        note += " (two series per row: each is its own row here, so rows double)"
    from dataclasses import replace

    return replace(t, frame=out[list(COLUMNS)], notes=(*t.notes, note))


FORMAT = Format(
    "indeed",
    "demand",
    (),
    description="Indeed Hiring Lab postings index, AI share of postings and posted-wage growth",
    read=read,
)
