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
# # Geographic pay arbitrage: how much cheaper is a comparable specialist?
#
# For each group (sub-region by default) we estimate the median salary-equivalent hourly pay
# and its ratio to a base group, raw (ratio of medians) and adjusted for the job mix
# (experience, role family, year), with uncertainty and sample sizes. Salaries and contractor
# bill rates are never compared with each other. Method: METHODS.md §3, §6, §7.

# %%
import warnings

import matplotlib.pyplot as plt
import pandas as pd

from marketlib import figures, publish, sections
from marketlib.params import ArbitrageParams
from marketlib.sources import locate

warnings.filterwarnings("ignore", category=FutureWarning)
pd.set_option("display.precision", 3)
pd.set_option("display.width", 140)
pd.set_option("display.max_columns", 20)
figures.setup()

# %% tags=["parameters"]
rates_path = "../data/processed/rates.parquet"
claims_path = "../data/raw/claims/article_claims.csv"
price_levels_path = None
geography = "subregion"
base = "North America"
years = None
rate_kind = "salary"
employment_types = ["full_time", "employee"]
experience = None
role_families = None
hours_per_year = 2080
min_n = 30
ppp = True
team = [
    {"role_family": "ML/AI Engineer", "experience": "senior", "headcount": 3},
    {"role_family": "ML/AI Engineer", "experience": "mid", "headcount": 2},
]
n_boot = 2000
ci_level = 0.95
engine = "pandas"
scheduler = None
seed = 20261126
results_path = None
figures_dir = None

# %%
params = ArbitrageParams.build(dict(
    rates_path=rates_path, geography=geography, base=base, years=years, rate_kind=rate_kind,
    employment_types=employment_types, experience=experience, role_families=role_families,
    hours_per_year=hours_per_year, min_n=min_n, ppp=ppp, team=team, n_boot=n_boot,
    ci_level=ci_level, engine=engine, scheduler=scheduler, seed=seed), "arbitrage")
price_levels_path = price_levels_path or locate("ppp", "../data/raw")  # fetched, else mirror
section = sections.run_arbitrage(params, claims_path, price_levels_path)
result = section.result
print(f"rates: {section.provenance['path']}, sha256 {section.provenance['sha256'][:12]}…; "
      f"PPP table: {section.price_levels_file or 'none'}")
publish.table(pd.DataFrame(result.log))

# %% [markdown]
# ## Who is in the data
#
# The aijobs.net survey is self-selected and dominated by the United States. Every group below
# shows its n, its number of countries and the share of its largest country. Groups under the
# publication floor (n < `min_n`) are listed with n only (`reported = False`); flag `E`
# means "use with caution" (relative standard error above 16.5%).

# %%
publish.table(result.raw, ["group", "n", "n_countries", "top_country", "top_country_share",
                          "median_hourly_usd", "ci_low", "ci_high"])

# %%
fig = figures.pay_distributions(section.rows, section.reported_groups, hours_per_year)
figures.save(fig, figures_dir, "arbitrage_distributions")
plt.show()

# %% [markdown]
# ## Raw and adjusted ratios to the base
#
# The raw ratio compares medians as observed; it moves with each group's mix of seniority and
# roles. The adjusted ratio is `exp(gamma)` from a log-pay regression with controls (HC3
# errors): the ratio for a comparable specialist. The median-regression check (`qr_*`) should
# tell the same story.

# %%
publish.table(result.raw, ["group", "n", "reported", "flag", "ratio_to_base", "ratio_ci_low",
                          "ratio_ci_high", "discount"])

# %%
publish.table(result.adjusted.ratios, ["group", "n", "ratio_to_base", "ci_low", "ci_high",
                                       "kennedy_pct_difference", "qr_ratio"])

# %%
fig = figures.ratio_forest(result)
figures.save(fig, figures_dir, "arbitrage_ratios")
plt.show()

# %% [markdown]
# ## Market exchange rates vs purchasing power
#
# `ratio_to_base` is what a buyer pays (market FX). `ppp_ratio` divides each person's pay by
# their own country's World Bank price level ratio: it says whether lower USD pay is a lower
# living standard. Price levels after the last published year are carried forward
# (`price_level_carried_share`).

# %%
publish.table(result.ppp, ["group", "n", "median_hourly_usd", "median_hourly_usd_ppp",
                           "price_level_ratio_median", "price_level_carried_share",
                           "ratio_to_base", "ppp_ratio"])

# %% [markdown]
# ## Does the gap narrow over the years?

# %%
publish.table(result.trend)

# %% [markdown]
# ## Team cost
#
# The default team (3 senior + 2 mid ML/AI engineers) priced in each group from the adjusted
# model (median pay). `savings_*` is statistical uncertainty only; `with_assumptions_*` adds
# employer loading (US 1.43-1.46; elsewhere 1.05-1.47) and a coordination overhead
# (triangular 5%/15%/30%) for non-base teams. Percentiles 5/50/95; never a single number.

# %%
publish.table(result.team, ["group", "savings_p05", "savings_p50", "savings_p95",
                            "with_assumptions_p05", "with_assumptions_p50",
                            "with_assumptions_p95"])

# %% [markdown]
# ## Sensitivity: duplicates, range pairs, outliers, hours

# %%
publish.table(section.sensitivity.pivot_table(index="variant", columns="group",
                                              values="ratio_to_base").reset_index())

# %% [markdown]
# ## The article's rates beside the data
#
# The article says a Kubernetes AI specialist costs $180/hr in North America, $72 in Eastern
# Europe, $65 in Latin America and $58 in Southeast Asia. At 2,080 hours, $180/hr is $374,400
# a year: a contractor or agency **bill rate**, not a salary. Salary-equivalent rates cannot be
# compared with those levels, but the **ratios** can be set beside ours.

# %%
publish.table(section.comparison, ["region", "claimed_hourly_usd", "claimed_ratio", "n",
                                   "data_ratio", "data_ratio_ci_low", "data_ratio_ci_high",
                                   "adjusted_ratio"])

# %%
section.save(results_path)
results = section.to_results()
print(f"arbitrage results: {sum(r['reported'] for r in results['regions'])} reported "
      f"groups of {len(results['regions'])}" + ("" if results_path else " (not saved)"))

# %% [markdown]
# ## What these numbers mean, and what they do not
#
# - **Salary-equivalent, not bill rates.** Hourly figures are annual salaries divided by 2,080
#   hours. Contractors' bill rates include overhead and margin and are analysed separately.
# - **Self-selected sample.** The survey is dominated by US respondents; a regional median from
#   a few dozen volunteers is not a market rate. Intervals measure sampling noise, not
#   selection bias.
# - **Region = residence.** Groups use the employee's residence; people working remotely for
#   US firms sit in their residence region.
# - **Within-region spread is large.** A group's median is not what a given hire costs: the
#   distribution plot shows the overlap.
# - **One-stage bootstrap.** Intervals resample respondents; they do not resample countries,
#   so for groups with few countries they understate uncertainty (see n_countries and the top
#   country's share).
