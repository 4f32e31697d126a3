# ---
# jupyter:
#   jupytext:
#     formats: ipynb,py:percent
#     text_representation:
#       extension: .py
#       format_name: percent
#   kernelspec:
#     display_name: marketlib (project)
#     language: python
#     name: marketlib
# ---

# %% [markdown]
# # Regional growth of developer activity
#
# No public registry publishes certifications by region. The closest real regional series is
# the GitHub Innovation Graph (CC0): per economy and quarter, the number of developers who
# pushed to public repositories tagged with a topic. That is a **proxy** for activity in a
# technology, never a count of certificates. The topics, the window and the article's claims
# (when the run has them) are printed below the parameters.
#
# Method (docs/methods.md#s5-1):
#
# - a cell is published only when at least 100 developers did the activity, so economies
#   enter and leave a topic's table; each region's series sums only the economies published
#   in **every quarter** of the comparison window (a missing quarter is not a zero). The naive
#   sum of whatever was published is shown beside it;
# - the EU row is an aggregate of member countries and is rejected by the cleaner; China and
#   Hong Kong are one economy (a VPN location artefact moves developers between them);
# - quarterly pushers are summed to years (developer-quarters); the developer stock is
#   compared Q4 to Q4, never summed;
# - intervals use the NB2 over-dispersion of the quarterly regional series (trend and seasons
#   fitted per group), t reference with a Satterthwaite df.

# %%
import warnings

import matplotlib.pyplot as plt
import pandas as pd
from IPython.display import Markdown

from marketlib import figures, prose, publish, sections
from marketlib.params import RegionalParams

warnings.filterwarnings("ignore", category=FutureWarning)
pd.set_option("display.precision", 3)
pd.set_option("display.width", 140)
pd.set_option("display.max_columns", 20)
pd.set_option("display.max_colwidth", 60)
figures.setup()

# %% tags=["parameters"]
counts_path = "../data/processed/activity.parquet"
article_growth_path = "../data/raw/certifications/article_regional_growth.csv"
measure = "topic_pushers"
subjects = ["kubernetes", "docker", "terraform", "machine-learning", "llm"]
group_by = ["region"]
freq = "Y"
start = "latest-2"
end = "latest"
latest_quarters = 4
composition = "constant"
china_hong_kong = "combine"
ci_level = 0.95
seed = 20261126
as_of = None
results_path = None
figures_dir = None

# %%
params = RegionalParams.build(dict(
    counts_path=counts_path, measure=measure, subjects=subjects, group_by=group_by, freq=freq,
    start=start, end=end, latest_quarters=latest_quarters, composition=composition,
    china_hong_kong=china_hong_kong, ci_level=ci_level, seed=seed), "regional")
section = sections.run_regional(params, article_growth_path, as_of=as_of)
growth = section.growth
subject = section.headline_subject
geo = params.group_by[0]
print(f"input: {section.provenance['path']}  sha256 {section.provenance['sha256'][:12]}…")
topics = ", ".join(params.subjects or ["all"])
print(f"measure: {publish.reader_words(growth.measure)}; topics {topics}; "
      f"composition {growth.composition}; years {params.start}-{params.end} and the latest "
      f"{params.latest_quarters} quarters")
for note in growth.notes:
    print("note:", note)
Markdown(section.intro())

# %% [markdown]
# ## Growth by region, constant economies
#
# Growth is the change of the sum over the listed economies; share growth divides by the
# same economies' developer stock (Q4 to Q4): below zero means the topic grew more slowly than
# the developer population, so "more developers on this topic" is separated from "more
# developers". Naive growth is the change of the sum of whatever cells were published (economies
# entering and leaving included), with the number of economies in each span.

# %%
main = growth.growth[growth.growth["subject"] == subject]
publish.table(main, [geo, "from", "to", "count_from", "count_to", "growth", "ci_low", "ci_high"])

# %%
publish.table(main, [geo, "from", "to", "share_growth", "share_ci_low", "share_ci_high",
                     "naive_growth", "naive_economies_to"])

# %%
fig = figures.regional_growth(growth.growth, section.article_growth, subject, geo)
figures.save(fig, figures_dir, "regional_growth")
plt.show()

# %% [markdown]
# ## Quarter by quarter
#
# The same series each quarter over the window's years: solid lines sum the constant set of
# economies the growth above compares, dashed lines every economy published that quarter. A
# gap between them is economies entering or leaving the published table, not growth.

# %%
fig = figures.regional_quarterly(section.quarterly(), subject, geo)
figures.save(fig, figures_dir, "regional_quarterly")
plt.show()

# %% [markdown]
# ## The economies in each region
#
# The constant set of each comparison, and the economy that dominates each region: where one
# economy holds most of a region, the "region" is that economy.

# %%
publish.table(main, [geo, "from", "to", "economies", "dominant_economy", "dominant_share"])

# %%
last = main.iloc[-1]
fig = figures.economy_drivers(growth.drivers, subject, last["from"], last["to"])
figures.save(fig, figures_dir, "regional_drivers")
plt.show()

# %% [markdown]
# ## Trend with seasonal terms (quarterly series)
#
# Annual trend growth (e^b - 1, b the slope of log activity in years) of each region's
# quarterly series over the whole window,
# with quarter-of-year dummies (weighted pooled log-OLS when every cell has at least 50
# developers, else per-group quasi-Poisson).

# %%
publish.table(growth.trend, ["group", "window", "annual_growth", "ci_low", "ci_high", "model",
                             "n_periods"])

# %% [markdown]
# ## Every topic, latest comparison

# %%
latest = growth.growth[growth.growth["from"] == growth.growth["from"].iloc[-1]]
publish.table(latest.pivot_table(index=geo, columns="subject", values="growth").reset_index())

# %% [markdown]
# ## The developer population

# %%
publish.table(section.developers.growth if section.developers is not None else pd.DataFrame(),
              [geo, "from", "to", "count_from", "count_to", "growth"])

# %%
section.save(results_path)
print(f"{len(growth.growth)} regional rows" + (" written" if results_path else " (not saved)"))

# %% [markdown]
# ## Caveats

# %%
Markdown(prose.bullets(sections.regional_caveats(params.subjects, params.measure,
                                              params.china_hong_kong)))
