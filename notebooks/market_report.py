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
# # Tech-talent certification market: the monthly page
#
# One page from the other notebooks' results: certification growth with its uncertainty,
# pay ratios raw and adjusted, the verdicts on the article's claims, and what limits every
# number (sample sizes, the dominant country, definition changes).

# %%
import json
from pathlib import Path

import matplotlib.pyplot as plt
import pandas as pd

from marketlib import figures
from marketlib.report import default_sections

pd.set_option("display.precision", 3)
pd.set_option("display.width", 140)
pd.set_option("display.max_colwidth", 90)
figures.setup()

# %% tags=["parameters"]
growth_results_path = None
arbitrage_results_path = None
claims_results_path = None
rates_path = "../data/processed/rates.parquet"
certifications_path = "../data/raw/certifications/cncf_published_counts.csv"
claims_path = "../data/raw/claims/article_claims.csv"
definitions_path = "../data/raw/claims/cncf_definitions.csv"
as_of = "2026-11-26"
seed = 20261126
figures_dir = None

# %%
if growth_results_path and arbitrage_results_path and claims_results_path:
    growth = json.loads(Path(growth_results_path).read_text())
    arbitrage = json.loads(Path(arbitrage_results_path).read_text())
    claims = json.loads(Path(claims_results_path).read_text())["claims"]
else:  # standalone: compute the three sections with their defaults
    sections = default_sections(rates_path, certifications_path, claims_path, definitions_path,
                                seed)
    growth, arbitrage, claims = sections["growth"], sections["arbitrage"], sections["claims"]
print(f"as of {as_of}")

# %% [markdown]
# ## Certification growth

# %%
pg = pd.DataFrame([{**r["group"], **{k: r[k] for k in ("from", "to", "y0", "y1", "growth",
                                                       "ci_low", "ci_high", "status")}}
                   for r in growth["period_growth"]])
pg

# %% [markdown]
# CNCF publishes world totals of exam registrations, not passes and not regions. Its
# definitions change (2019 annual, 2020-2023 cumulative, "since launch" for new exams), so only
# series that cover the whole window enter; with three annual points the over-dispersion-aware
# interval is very wide.

# %% [markdown]
# ## Pay: raw and adjusted ratios to the base

# %%
regions = pd.DataFrame(arbitrage["regions"])
adjusted = pd.DataFrame(arbitrage["adjusted"])[["region", "ratio_to_base", "ci_low", "ci_high"]]
table = regions.merge(adjusted.rename(columns={"ratio_to_base": "adjusted_ratio",
                                               "ci_low": "adj_ci_low", "ci_high": "adj_ci_high"}),
                      on="region", how="left")
table[["region", "n", "n_countries", "top_country", "top_country_share", "reported",
       "ratio_to_base", "ratio_ci_low", "ratio_ci_high", "adjusted_ratio", "adj_ci_low",
       "adj_ci_high"]]

# %%
rep = table[table["reported"] & (table["region"] != arbitrage["base"])]
fig = figures.forest(rep.rename(columns={"region": "group"}), "group", "adjusted_ratio",
                     "adj_ci_low", "adj_ci_high",
                     f"Adjusted pay ratio to {arbitrage['base']} (95% CI; H = "
                     f"{arbitrage['hours_per_year']:g})", "ratio", ref=1.0)
figures.save(fig, figures_dir, "summary_adjusted_ratios")
plt.show()

# %% [markdown]
# ## The article's claims

# %%
verdicts = pd.DataFrame(claims)
verdicts["verdict"].value_counts().rename("claims")

# %%
verdicts[verdicts["verdict"].isin(["inconsistent", "contradicted_by_data"])][
    ["id", "verdict", "detail"]].reset_index(drop=True)

# %% [markdown]
# ## Caveats that apply to every number above
#
# - Pay data: a self-selected survey; the United States is about 90% of rows; groups under 30
#   respondents are not estimated; regional medians rest on few countries (see `n_countries`
#   and `top_country_share`).
# - Rates are salary-equivalent (annual / 2,080 h), never bill rates; the article's $/hr
#   levels are bill rates and only their ratios can be compared.
# - Certification counts: registrations, not passes; definition changes between years; the
#   CNCF validity cut from 36 to 24 months (2024-04-01) moves any "active" stock.
