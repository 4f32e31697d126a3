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
# # Claims audit: does the article add up?
#
# Every quantitative claim of the seed article (typed as data in data/raw/claims/, with the
# section it comes from) and every percentage change CNCF printed next to its own totals gets
# one verdict: **consistent / inconsistent** (its own arithmetic, or against another claim),
# **supported / contradicted by data** (against the project's data),
# **consistent with / not supported by the activity proxy** (regional claims against developer
# activity, a proxy), or **untestable** (with what is missing).

# %%
import warnings

import pandas as pd
from IPython.display import Markdown

from marketlib import claims, prose, publish, sections
from marketlib.params import ClaimsParams

warnings.filterwarnings("ignore", category=FutureWarning)
pd.set_option("display.max_colwidth", 110)
pd.set_option("display.width", 160)

# %% tags=["parameters"]
claims_path = "../data/raw/claims/article_claims.csv"
definitions_path = "../data/raw/claims/cncf_definitions.csv"
printed_path = "../data/raw/certifications/cncf_published_counts.csv"
certifications_path = "../data/processed/certifications.parquet"
rates_path = "../data/processed/rates.parquet"
activity_path = "../data/processed/activity.parquet"
growth_results_path = None
arbitrage_results_path = None
regional_results_path = None
seed = 20261126
results_path = None

# %%
params = ClaimsParams.build(dict(
    claims_path=claims_path, definitions_path=definitions_path, printed_path=printed_path,
    certifications_path=certifications_path, rates_path=rates_path,
    activity_path=activity_path, growth_results_path=growth_results_path,
    arbitrage_results_path=arbitrage_results_path,
    regional_results_path=regional_results_path, seed=seed), "claims")
section = sections.run_claims(params)
audited = section.audited
print(f"{len(audited)} verdicts: {section.printed['stated_change'].notna().sum()} CNCF printed "
      "changes and the article's claims")
publish.table(pd.Series(claims.verdict_counts(audited), name="claims").rename_axis("verdict")
              .reset_index())

# %% [markdown]
# ## Worst offenders
#
# Claims furthest from their own figures or from the data (`gap`: distance in fraction points
# between the stated value and what the figures imply).

# %%
publish.table(claims.worst_offenders(audited, 6), ["id", "verdict", "gap", "detail"])

# %% [markdown]
# ## Every claim

# %%
publish.table(audited, ["id", "check", "verdict", "detail"])

# %%
section.save(results_path)
print(f"{len(audited)} verdicts" + (" written" if results_path else " (not saved)"))

# %% [markdown]
# ## How to read the verdicts

# %%
Markdown(prose.bullets(section.reading_notes()))
