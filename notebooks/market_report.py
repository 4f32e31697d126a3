# ---
# jupyter:
#   jupytext:
#     formats: ipynb,py:percent
#     text_representation:
#       extension: .py
#       format_name: percent
#   kernelspec:
#     display_name: Python 3 (ipykernel)
#     language: python
#     name: python3
# ---

# %% [markdown]
# # Pay and activity brief
#
# What a comparable specialist costs by region, how fast developer activity in the run's
# topics grows by region, and what holds up of the audited claims. Every number comes from
# `results.json`, with its interval and sample size; sources and parameters are at the end.

# %%
import matplotlib.pyplot as plt
import pandas as pd
from IPython.display import Markdown, display

from marketlib import changes, figures, prose, publish, sections

figures.setup()

# %% tags=["parameters"]
results_path = None
growth_results_path = None
arbitrage_results_path = None
regional_results_path = None
claims_results_path = None
article_growth_path = "../data/raw/certifications/article_regional_growth.csv"
as_of = "2026-11-26"
seed = 20261126
figures_dir = None

# %%
if results_path:  # a report run: its merged results.json (with provenance and changes)
    results = sections.load_json(results_path)
else:
    results = sections.summary_results(growth_results_path, arbitrage_results_path,
                                       regional_results_path, claims_results_path, as_of,
                                       seed=seed)
article = (sections.read_reference_table(article_growth_path) if article_growth_path
           else None)
display(Markdown(f"## {prose.report_title(results)}"))
publish.show_findings(results)

# %%
changes.show_changes(results.get("changes"))

# %% [markdown]
# ## Pay: a comparable specialist, by region

# %%
Markdown(prose.arbitrage_intro(results))

# %%
publish.show(publish.arbitrage_table(results))

# %%
fig = figures.adjusted_ratio_forest(results["arbitrage"])
figures.save(fig, figures_dir, "summary_adjusted_ratios")
plt.show()

# %% [markdown]
# ## Developer activity by region (a proxy, not certificates)

# %%
publish.show(publish.regional_table(results))

# %%
if results.get("regional"):
    fig = figures.regional_growth(pd.DataFrame(results["regional"]), article,
                                  prose.regional_subjects(results)[0])
    figures.save(fig, figures_dir, "summary_regional_growth")
    plt.show()

# %% [markdown]
# ## Certification counts (CNCF, world)

# %%
publish.show(publish.growth_table(results))

# %% [markdown]
# ## The article's claims

# %%
publish.show(publish.claims_table(results))

# %% [markdown]
# ## How to read this, and its limits

# %%
Markdown(prose.bullets(prose.reading_notes(results)))

# %% [markdown]
# ## How to cite this report's sources

# %%
Markdown(prose.bullets(prose.citations(results)) or "*No source records in this run.*")

# %% [markdown]
# ## Sources and parameters

# %%
publish.show(publish.provenance_table(results))
