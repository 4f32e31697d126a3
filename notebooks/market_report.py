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

# %%
import matplotlib.pyplot as plt
from IPython.display import Markdown, display

from marketlib import changes, figures, prose, publish, sections

figures.setup()

# %% tags=["parameters"]
results_path = None
results_paths = None  # {section key: its results file}; a section left out is computed
article_growth_path = "../data/raw/certifications/article_regional_growth.csv"
as_of = "2026-11-26"
seed = 20261126
figures_dir = None

# %%
if results_path:  # a report run: its merged results.json (with provenance and changes)
    results = sections.load_json(results_path)
else:
    results = sections.summary_results(results_paths, as_of, seed=seed)
article = (sections.read_reference_table(article_growth_path) if article_growth_path
           else None)
display(Markdown(f"# {sections.report_title(results)}\n\n{sections.summary_intro(results)}"))
sections.show_findings(results)

# %%
changes.show_changes(results.get("changes"))

# %% [markdown]
# Each part of the report in turn: its table, and its figure where it has one.

# %%
for block in sections.summary_blocks(results, figures_dir, article):
    display(block)
    if isinstance(block, plt.Figure):
        plt.close(block)

# %% [markdown]
# ## How to read this, and its limits

# %%
Markdown(prose.bullets(sections.reading_notes(results)))

# %% [markdown]
# ## How to cite this report's sources

# %%
Markdown(prose.bullets(prose.citations(results)) or "*No source records in this run.*")

# %% [markdown]
# ## Sources and parameters

# %%
publish.show(publish.provenance_table(results, not_run=sections.params_not_run(results)))
