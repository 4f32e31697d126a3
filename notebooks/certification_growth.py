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
# # Certification growth: how fast, with what uncertainty?
#
# How fast are new certifications growing, by group and period, and how sure can we be?
# Growth is computed on **flows** (new credentials per period), never on cumulative stocks.
# Intervals account for over-dispersion (year-to-year noise beyond Poisson), estimated from the
# whole panel (docs/methods.md#s5). Poisson-only intervals are shown beside them, labelled: they are
# too narrow for administrative counts.

# %%
import warnings

import matplotlib.pyplot as plt
import pandas as pd

from marketlib import figures, publish, sections
from marketlib.params import GrowthParams

warnings.filterwarnings("ignore", category=FutureWarning)
pd.set_option("display.precision", 3)
pd.set_option("display.width", 120)
pd.set_option("display.max_columns", 20)
figures.setup()

# %% tags=["parameters"]
counts_path = "../data/processed/certifications.parquet"
article_growth_path = "../data/raw/certifications/article_regional_growth.csv"
subjects = None
group_by = ["region"]
freq = "Y"
start = "latest-2"
end = "latest"
forecast_periods = 2
ci_level = 0.95
seed = 20261126
as_of = None
results_path = None
figures_dir = None

# %%
params = GrowthParams.build(dict(
    counts_path=counts_path, subjects=subjects, group_by=group_by, freq=freq,
    start=start, end=end, forecast_periods=forecast_periods,
    ci_level=ci_level, seed=seed), "growth")
section = sections.run_growth(params, article_growth_path, as_of=as_of)
table, panel, fit = section.table, section.panel, section.fit
print(f"input: {section.provenance['path']}  sha256 {section.provenance['sha256'][:12]}…  "
      f"rows {len(table)}")
print(f"window: {panel.window['start']} to {panel.window['end']}; periods used "
      f"{', '.join(panel.window['used'])}; dropped {', '.join(panel.window['dropped']) or 'none'}")
for note in section.notes:
    print("note:", note)

# %% [markdown]
# ## What the source counts mean
#
# Published certification figures change definition: "enrollments" vs "exam registrations",
# annual vs cumulative vs "since launch". The cleaning step turns cumulative totals into
# new-per-period counts; the **first** value of each cumulative series is a stock (its basis
# reads "first total to date") and can never be used as a flow.

# %%
publish.table(table.sort_values(["certification", "period"]),
              ["period", "region", "certification", "count", "count_basis", "metric",
               "definition"])

# %%
print(f"panel: {panel.data['group'].nunique()} group(s) x {len(panel.periods)} periods "
      f"({', '.join(panel.periods)})")
publish.table(pd.DataFrame(panel.excluded))

# %% [markdown]
# Rows above were left out on purpose: stock values, and series that do not cover the whole
# window (a certification launched mid-window would show up as "growth" of the total).

# %%
disp = fit.dispersion
print("over-dispersion:", "not estimable (fewer than 3 periods)" if disp is None else
      f"alpha = {disp.alpha:.4f} (NB2), df = {disp.df}, {disp.method}")
publish.table(panel.wide().reset_index())

# %% [markdown]
# ## Period growth (last two periods)
#
# The over-dispersion-aware interval is `exp(log(y1/y0) ± t · se) - 1` with
# `se² = 1/y0 + 1/y1 + 2·alpha`. Alpha, the NB2 year-to-year noise, comes from the residuals of
# the log-linear trend of the whole panel **with each group's compared change held out**, so the
# noise estimate does not grow with the very change it judges. The multiplier (column
# `critical`) is a t quantile with a Satterthwaite df (column `df`: the Poisson part of the
# variance is known, only alpha is estimated). With small counts (any cell under 50) alpha
# comes from an NB2 trend on the count scale, by the Cox-Reid adjusted profile likelihood (the
# log of small counts is biased). With three periods nothing is left once the change is held
# out; alpha then includes it, and the interval is conservative. The method line above says
# which case applies. The
# Poisson-only interval assumes no year-to-year noise and is shown for contrast.

# %%
publish.table(fit.period, ["group", "from", "to", "count_from", "count_to", "growth", "ci_low",
                           "ci_high"])

# %%
publish.table(fit.period, ["group", "poisson_ci_low", "poisson_ci_high", "alpha", "df",
                           "critical", "status"])

# %%
fig = figures.forest(fit.period, "group", "growth", "ci_low", "ci_high",
                     f"Growth {fit.period['from'].iloc[0]} to {fit.period['to'].iloc[0]} "
                     f"({ci_level:.0%} CI, over-dispersion-aware)", "growth (fraction)")
figures.save(fig, figures_dir, "growth_forest")
plt.show()

# %% [markdown]
# ## Trend growth and forecast
#
# Annual trend growth is e^b - 1, b the slope of a log-linear model in years; the model is
# chosen by a stated rule (weighted pooled log-OLS when every cell has at least 50 credentials, else
# per-group quasi-Poisson). The endpoint CAGR is shown for reference only: it depends entirely
# on two numbers. Forecasts are constant-growth extrapolations.

# %%
publish.table(fit.trend, ["group", "annual_growth", "ci_low", "ci_high", "model", "n_periods",
                          "endpoint_cagr"])

# %%
fig = figures.counts_with_trend(panel.data, section.fitted_trend(), fit.forecast)
figures.save(fig, figures_dir, "growth_trend_forecast")
plt.show()

# %%
publish.table(fit.forecast, ["group", "period", "mean", "pi80_low", "pi80_high", "pi95_low",
                             "pi95_high", "status"])

# %%
print(section.comparison_text())

# %% [markdown]
# ## The article's regional table
#
# The article prints growth rates for four regions (2022 to 2023) with no base counts, no
# definition of "certification" and no source. Without bases the claims cannot be tested:
# the table below shows how wide a 95% interval would be at several plausible bases and noise
# levels. Whatever the bases, a total over these regions must have grown between the smallest
# and the largest regional rate.

# %%
publish.table(section.article_intervals(), names={100: "Lowest CI bound, base 100",
                                                  1000: "base 1,000", 10000: "base 10,000"},
              empty="No article table in this run (article_growth_path: None).")

# %%
print(section.article_check_text())

# %%
section.save(results_path)
print(f"growth results for {len(fit.period)} group(s)"
      + (" written" if results_path else " (not saved: no results_path)"))

# %% [markdown]
# ## Method and caveats
#
# - **Census, not sample.** Registry counts are close to a census: the observed change *is*
#   the change. The intervals describe process variability (year-to-year noise around the
#   trend), estimated from the panel. With three annual points the noise is estimated from one
#   or two residual degrees of freedom, so intervals are very wide: that is the honest answer.
# - **Definitions.** CNCF's published figures are exam registrations/enrollments, not passes;
#   2019 figures do not fit as a base for 2020's printed changes; 2023's printed changes do not
#   match the totals printed beside them; CKS, KCNA and PCA enter mid-window. Comparisons across
#   those breaks are invalid and are excluded, not smoothed.
# - **Validity change.** From 2024-04-01 CNCF certifications are valid 24 months instead of
#   36: any "active certifications" stock drops mechanically. Only flows are modelled here.
# - **Regions.** CNCF publishes no regional breakdown; the article's regional rates have no
#   source and no bases. The regional page (developer activity by region) sets them beside real
#   regional developer activity, a proxy.
