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
# # Kubernetes and AI skills: pay and activity brief
#
# What a comparable specialist costs by region, how fast Kubernetes and AI developer activity
# grows by region, and what holds up of the article's claims. Every number comes from
# `results.json`, with its interval and sample size; sources and parameters are at the end.

# %%
import matplotlib.pyplot as plt
import pandas as pd

from marketlib import changes, figures, publish, sections

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
article = sections.read_reference_table(article_growth_path)
publish.show_findings(results)

# %%
changes.show_changes(results.get("changes"))

# %% [markdown]
# ## Pay: a comparable specialist, by region
#
# Ratios are to North American pay (salary-equivalent, annual salary / 2,080 hours). The
# adjusted ratio holds role family, experience and year fixed; the raw ratio compares medians
# as observed.

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
    fig = figures.regional_growth(pd.DataFrame(results["regional"]), article)
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
#
# - Ratios: 0.40 means 40% of North American pay for the same kind of specialist; every
#   estimate carries its 95% interval and its sample size; groups under 30 respondents are
#   listed as not estimated.
# - Pay data: a self-selected survey (aijobs.net) dominated by the United States; a region's
#   median may rest on one or two countries.
# - Salary-equivalent pay is not a bill rate: the article's $/hr levels are contractor rates,
#   so only ratios are compared.
# - Regional growth is developer activity on GitHub, a proxy for interest in a technology,
#   summed over economies published in every quarter; it is not a count of certifications.
# - CNCF publishes world totals of exam registrations, not passes and not regions.

# %% [markdown]
# ## Sources and parameters

# %%
publish.show(publish.provenance_table(results))
