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
# # Geographic pay arbitrage: how much cheaper is a comparable specialist?
#
# For each group (sub-region by default) we estimate the median hourly pay and its ratio to a
# base group, raw (ratio of medians) and adjusted for the job mix (experience, role family,
# year), with uncertainty and sample sizes; the pay kind and the population are named below,
# from the parameters and the data. Method: docs/methods.md, sections 3, 6 and 7.

# %%
import warnings

import matplotlib.pyplot as plt
import pandas as pd
from IPython.display import Markdown

from marketlib import figures, prose, publish, sections
from marketlib.params import ArbitrageParams
from marketlib.sources import locate

warnings.filterwarnings("ignore", category=FutureWarning)
pd.set_option("display.precision", 3)
pd.set_option("display.width", 140)
pd.set_option("display.max_columns", 20)
figures.setup()

# %% tags=["parameters"]
rates_path = "../data/processed/rates.parquet"
rates_source = "the aijobs.net salary survey"
claims_path = "../data/raw/claims/article_claims.csv"
price_levels_path = None
geography = "subregion"
base = "North America"
years = None
rate_kind = "salary"
employment_types = ["full_time", "employee"]
experience = None
role_families = None
skills_all = None
skills_any = None
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
    skills_all=skills_all, skills_any=skills_any, hours_per_year=hours_per_year, min_n=min_n,
    ppp=ppp, team=team, n_boot=n_boot, ci_level=ci_level, engine=engine, scheduler=scheduler,
    seed=seed), "arbitrage")
if ppp and price_levels_path is None:
    price_levels_path = locate("ppp", "../data/raw")  # fetched, else the mirror
section = sections.run_arbitrage(params, claims_path, price_levels_path)
result = section.result
print(f"rates: {section.provenance['path']}, sha256 {section.provenance['sha256'][:12]}…; "
      f"PPP table: {section.price_levels_file or 'none'}")
publish.table(pd.DataFrame(result.log))
Markdown(sections.pay_population_intro(section.to_results()))

# %% [markdown]
# ## Who is in the data
#
# Every group below shows its n, its number of countries and the share of its largest
# country: a group dominated by one country is that country's figure. Groups under the
# publication floor (too few rows: the parameters below give the floor) are listed with n
# only (Reported: no); flag E means "use with caution" (relative standard error above 16.5%).

# %%
publish.table(result.raw, ["group", "n", "n_countries", "top_country", "top_country_share",
                          "median_hourly_usd", "ci_low", "ci_high"])

# %%
fig = figures.pay_distributions(section.rows, section.reported_groups, hours_per_year,
                                rate_kind)
figures.save(fig, figures_dir, "arbitrage_distributions")
plt.show()

# %% [markdown]
# ## Raw and adjusted ratios to the base
#
# The raw ratio compares medians as observed; it moves with each group's mix of seniority and
# roles. The adjusted ratio comes from a log-pay regression with controls (role, experience,
# year): the ratio for a comparable specialist. The median-regression check (the same
# controls on the median instead of the mean) should tell the same story.

# %%
publish.table(result.raw, ["group", "n", "reported", "flag", "ratio_to_base", "ratio_ci_low",
                          "ratio_ci_high", "ratio_equal_country", "ratio_equal_country_ci_low",
                          "ratio_equal_country_ci_high", "ratio_named_countries_ci_low",
                          "ratio_named_countries_ci_high", "n_countries_averaged",
                          "n_rows_averaged"])

# %% [markdown]
# Each regional figure answers its own question (docs/methods.md#s6-3). The **equal-country**
# ratio (the geometric mean of the group's countries with at least 10 rows) is read two ways:
# as **a typical country of the region** (the "equal country CI" columns: the countries a
# sample of the region's, so the interval comes from the spread between them, with one
# degree of freedom fewer than the countries; no interval from fewer than three countries)
# and as **these countries only** (the "named countries CI" columns: their own sampling
# noise). The **pooled** ratio (the "ratio to base" columns) describes the respondents as
# they answered, mostly the largest country: descriptive, with an interval from resampling
# rows. The pages lead with the typical country.
#
# ## Where to hire: pay by country
#
# Each country with at least 10 rows: its median, its ratio to the base with an interval
# (bootstrap from 30 rows, distribution-free order-statistic bounds below), and an
# empirical-Bayes (shrunk) ratio with its own interval that borrows strength from its group
# when n is small (docs/methods.md#s7-2). Countries with fewer rows are in results.json with
# their n only.

# %%
results_now = section.to_results()
publish.table(sections.countries_table({"arbitrage": results_now}))

# %%
fig = figures.country_ratios(results_now)
figures.save(fig, figures_dir, "arbitrage_countries")
plt.show()

# %%
publish.table(section.adjusted_ratios, ["group", "n", "ratio_equal_country",
                                        "ratio_equal_country_ci_low",
                                        "ratio_equal_country_ci_high", "n_countries_averaged",
                                        "ratio_to_base", "ci_low", "ci_high",
                                        "kennedy_pct_difference", "qr_ratio"],
              empty="Not estimated: fewer than two groups reach the minimum sample (min_n).")

# %%
fig = figures.ratio_forest(result)
figures.save(fig, figures_dir, "arbitrage_ratios")
plt.show()

# %% [markdown]
# ## Which region is cheapest, and how sure is that?
#
# Each region's headline (a typical country's adjusted ratio) drawn from its own interval
# (t with k - 1 df on the log scale, regions independent), 20,000 times: its rank (1 =
# cheapest), the 95% range of the rank and the share of draws in which it is the cheapest.
# Regions with no headline interval (fewer than three countries) are not ranked. The base's
# own uncertainty, shared by every ratio, widens each interval: the ranges are conservative.

# %%
publish.table(sections.ranks_table({"arbitrage": results_now}),
              empty="Not ranked: fewer than two regions have a headline interval.")

# %% [markdown]
# ## Pay bands: P25, P50, P75, P90
#
# Each group's quartiles and 90th percentile of hourly pay (P50 is the median above), with
# distribution-free 95% intervals (order statistics at binomial ranks; a bound the rows
# cannot give is a dash). By group here; by country (from 10 rows), level and job family in
# results.json and in the pay percentiles table of the tables folder.

# %%
publish.table(sections.percentiles_table({"arbitrage": results_now}))

# %% [markdown]
# ## Pay by skill
#
# Only when the pay data list skills: each skill's rows (a row with three skills counts for
# each), median and ratio to the base, pooled over the rows that list it (descriptive).

# %%
publish.table(sections.skills_table({"arbitrage": results_now}),
              empty="No skills in these pay data: their population is defined by job titles.")

# %% [markdown]
# ## Market exchange rates vs purchasing power
#
# The ratio to the base is what a buyer pays (market exchange rates). The PPP ratio divides
# each person's pay by their own country's World Bank price level ratio: it says whether
# lower USD pay is a lower living standard. Price levels after the last published year are
# carried forward (the carried share column says for how many rows).

# %%
publish.table(result.ppp, ["group", "n", "median_hourly_usd", "median_hourly_usd_ppp",
                           "price_level_ratio_median", "price_level_carried_share",
                           "ratio_to_base", "ppp_ratio"],
              empty="Not computed: the PPP adjustment is off in this run (ppp: false).")

# %% [markdown]
# ## Does the gap narrow over the years?

# %%
publish.table(result.trend)

# %% [markdown]
# ## Team cost
#
# The team of the parameters (printed below), each member priced at their role and level in
# each group's own country-effects model, in a typical country of the group, at the latest
# complete year (docs/methods.md#s6-4): the team's make-up changes its cost. The savings
# columns carry statistical uncertainty (the typical country's spread between countries and
# the coefficients; no band from fewer than three countries); "with assumptions" adds employer
# on-costs (US 1.43-1.46; every other group the EU range 1.05-1.47, an assumption outside
# the EU) and a coordination overhead (triangular 5%/15%/30%). Percentiles 5/50/95.

# %%
print(section.team_text())
publish.table(result.team, ["group", "team_annual_cost_p50", "team_annual_cost_base_p50",
                            "savings_p05", "savings_p50", "savings_p95",
                            "with_assumptions_p05", "with_assumptions_p50",
                            "with_assumptions_p95"],
              names={"team_annual_cost_p50": "Team cost, USD a year (median)",
                     "team_annual_cost_base_p50": "Same team at base, USD a year"},
              empty="No team cost: see the line above.")

# %% [markdown]
# ## Sensitivity: duplicates, range pairs, outliers, hours
#
# The headline (a typical country's adjusted ratio) under each variant, then the pooled raw
# ratio: a conclusion that holds only under one variant is not a conclusion.

# %%
publish.table(section.sensitivity.pivot_table(index="variant", columns="group",
                                              values="headline_ratio").reset_index(),
              empty="No headline under any variant (fewer than two groups).")
publish.table(section.sensitivity.pivot_table(index="variant", columns="group",
                                              values="ratio_to_base").reset_index())

# %% [markdown]
# ## Quoted rates beside the data
#
# Hourly rates quoted in the audited article (the claims file), set beside the data: what
# can be tested depends on the kind of pay in the data (said below).

# %%
Markdown(section.claims_intro())

# %%
publish.table(section.comparison, ["region", "claimed_hourly_usd", "claimed_ratio", "n",
                                   "data_ratio", "data_ratio_ci_low", "data_ratio_ci_high",
                                   "adjusted_ratio"],
              empty="No quoted rates to compare." if claims_path else
              "This run has no claims file: no quoted rates to compare.")

# %%
section.save(results_path)
results = section.to_results()
print(f"arbitrage results: {sum(r['reported'] for r in results['regions'])} reported "
      f"groups of {len(results['regions'])}" + ("" if results_path else " (not saved)"))

# %% [markdown]
# ## What these numbers mean, and what they do not

# %%
Markdown(prose.bullets(sections.arbitrage_caveats(rates_source, base, hours_per_year, geography,
                                               rate_kind)))
