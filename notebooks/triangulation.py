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
# # Every claim against independent sources
#
# Each headline of the report rests on one source: pay on the run's pay data, regional growth
# on the Innovation Graph activity proxy. Three more open sources can speak to some of the same
# claims, each with its own audience and its own traps (docs/methods.md#s12-1):
#
# - **Kaggle ML & DS Survey 2021-22**: yearly pay in USD *bands* of respondents in work (any
#   job title). Pay is interval-censored: the band shares are Turnbull's estimate and the
#   median is interpolated inside its band, never a midpoint per respondent; intervals treat
#   countries as clusters, as for the run's pay data (docs/methods.md#s12-2);
# - **CNCF Cloud Native Survey waves 2018-22**: the share of respondents whose organization
#   runs Kubernetes in production, by region and wave (Wilson intervals; changes between waves
#   by Newcombe's interval). A self-selected sample whose questions and regions changed
#   between waves (docs/methods.md#s12-3);
# - **Indeed Hiring Lab**: the AI share of job postings by country, the Software Development
#   postings index (its change only: index levels are not comparable between countries) and
#   posted-wage growth. Exact facts of Indeed's postings, so no sampling interval
#   (docs/methods.md#s12-4).
#
# A source gives a verdict only where its interval (or its direction) can tell; the combined
# line says whether the sources agree, disagree, or only one can speak
# (docs/methods.md#s12-5).

# %%
import warnings

import pandas as pd
from IPython.display import Markdown

from marketlib import prose, publish
from marketlib.params import TriangulationParams
from marketlib.sections import triangulation

warnings.filterwarnings("ignore", category=FutureWarning)
pd.set_option("display.width", 160)

# %% tags=["parameters"]
pay_bands_path = "../data/processed/pay_bands.parquet"
adoption_path = "../data/processed/adoption.parquet"
demand_path = "../data/processed/demand.parquet"
arbitrage_results_path = None
regional_results_path = None
claims_results_path = None
compute_missing = True
rates_source = "the aijobs.net salary survey"
kaggle_titles = None
ci_level = 0.95
results_path = None

# %%
params = TriangulationParams.build(dict(
    pay_bands_path=pay_bands_path, adoption_path=adoption_path, demand_path=demand_path,
    arbitrage_results_path=arbitrage_results_path,
    regional_results_path=regional_results_path, claims_results_path=claims_results_path,
    rates_source=rates_source,
    kaggle_titles=kaggle_titles, ci_level=ci_level), "triangulation")
section = triangulation.run_triangulation(params, compute_missing=compute_missing)
results = section.to_results()
print(f"{len(section.doc['claims'])} claims judged against the sources; pay compared in "
      f"{sum(r['consistency'] != 'no test' for r in section.doc['pay'])} regions")

# %% [markdown]
# ## What the sources say

# %%
publish.show(triangulation.sources_claims_table(results))

# %% [markdown]
# ## Pay from two surveys
#
# The typical country of each region relative to the base (equal-country means of log
# ratios, t on the spread between countries; none from fewer than three countries). The
# consistency test is the ratio of the two ratios, with its interval from both: *consistent*
# when it covers 1, *disagree* when it does not, *no test* when either side has no interval.

# %%
Markdown(f"- Kaggle: {section.doc['kaggle_population']}.\n"
         f"- {triangulation.pay_label(section.doc)}: {section.doc['pay_population']}.\n"
         f"- Method (Kaggle): {section.doc['pay_method']}.")

# %%
publish.show(triangulation.pay_sources_table(results))

# %% [markdown]
# Country by country, where both sources report the country with an interval (the run's pay
# data: n >= 10; Kaggle: n >= 10, its ratio's interval from the banded median's variance and
# the base's). A Kaggle median in the lowest band ($0-999) rests on the linear interpolation
# inside that band, which the validation study does not cover.

# %%
publish.show(triangulation.countries_compared_table(results))

# %% [markdown]
# ## Kubernetes in production, by region and wave (CNCF surveys)

# %%
publish.show(triangulation.adoption_table(results))

# %%
Markdown(prose.bullets(triangulation.adoption_notes(results)))

# %% [markdown]
# ## AI demand by country (Indeed)

# %%
publish.show(triangulation.demand_table(results))

# %%
section.save(results_path)
print("results" + (" written" if results_path else " (not saved)"))
