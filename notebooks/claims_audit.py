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
# # Claims audit: does the article add up?
#
# Every quantitative claim of the seed article (typed as data in `data/raw/claims/`, with the
# section it comes from) and every percentage change CNCF printed next to its own totals gets
# one verdict: **consistent / inconsistent** (its own arithmetic, or against another claim),
# **supported_by_data / contradicted_by_data** (against the project's data), or
# **untestable** (with what is missing).

# %%
import json
import warnings
from pathlib import Path

import pandas as pd

from marketlib import claims as cl
from marketlib import clean

warnings.filterwarnings("ignore", category=FutureWarning)
pd.set_option("display.max_colwidth", 110)
pd.set_option("display.width", 160)

# %% tags=["parameters"]
claims_path = "../data/raw/claims/article_claims.csv"
definitions_path = "../data/raw/claims/cncf_definitions.csv"
certifications_path = "../data/raw/certifications/cncf_published_counts.csv"
certifications_format = "counts"
rates_path = "../data/processed/rates.parquet"
growth_results_path = None
arbitrage_results_path = None
seed = 20261126
results_path = "claims_results.json"

# %%
claims = pd.read_csv(claims_path)
printed = pd.read_csv(certifications_path)
definitions = pd.read_csv(definitions_path)
unknown = set(claims["check"]) - {"arithmetic", "cross", "data_growth", "data_rate", "fact",
                                   "untestable"}
if unknown:
    raise ValueError(f"{claims_path}: unknown check kind(s) {sorted(unknown)}")
rates, _ = clean.read_clean_table(rates_path, "rates", "aijobs")
certs, _ = clean.read_clean_table(certifications_path, "certifications", certifications_format,
                                  clean.CleanParams(max_date="2026-11-26"))
evidence = cl.gather_evidence(
    rates, certs, claims,
    growth_results=json.loads(Path(growth_results_path).read_text())
    if growth_results_path else None,
    arbitrage_results=json.loads(Path(arbitrage_results_path).read_text())
    if arbitrage_results_path else None,
    seed=seed)
print(f"{len(claims)} article claims, {printed['stated_change'].notna().sum()} CNCF printed "
      "changes")

# %%
audited = cl.audit(claims, printed, definitions, evidence["comparison"],
                   evidence["rates_base"], evidence["hours_per_year"], evidence["base"],
                   evidence["observed_growth"], evidence["growth_bounds"])
pd.Series(cl.verdict_counts(audited), name="claims")

# %% [markdown]
# ## Worst offenders
#
# Claims furthest from their own figures or from the data (`gap`: distance in fraction points
# between the stated value and what the figures imply).

# %%
cl.worst_offenders(audited, 6)[["id", "verdict", "gap", "detail"]]

# %% [markdown]
# ## Every claim

# %%
audited[["id", "check", "verdict", "detail"]]

# %%
Path(results_path).parent.mkdir(parents=True, exist_ok=True)
Path(results_path).write_text(json.dumps({"claims": cl.to_results(audited),
                                          "verdict_counts": cl.verdict_counts(audited)},
                                         indent=2) + "\n")
print(f"wrote {len(audited)} verdicts")

# %% [markdown]
# ## How to read the verdicts
#
# - Arithmetic checks allow for rounding: a printed "87%" stands for 86.5-87.5%, and figures
#   printed as "70,000" for +/-0.5%. A verdict of *inconsistent* survives that slack.
# - *supported_by_data* for a rate claim means only that the claimed **ratio** to North America
#   lies inside our 95% interval; the claimed dollar **levels** are bill rates and cannot be
#   checked against salary data.
# - The regional growth table is *untestable*: no bases, no definition of "certification",
#   no regional public counts. CNCF publishes world totals only.
