# marketlib: verbs. `make help` lists them.
SHELL := /bin/bash
# The newest supported interpreter present (3.13, then 3.12, then 3.11): on PATH, else pyenv's
# versions folder (pyenv shims exist for versions that are not active and then fail to run).
SUPPORTED := 3.13 3.12 3.11
ifeq ($(origin PYTHON),undefined)
PYTHON := $(shell for v in $(SUPPORTED); do \
  for p in "$$(command -v python$$v)" $$HOME/.pyenv/versions/$$v*/bin/python$$v; do \
    [ -n "$$p" ] && "$$p" -c '' 2>/dev/null && { echo "$$p"; exit 0; }; done; done; \
  command -v python3)
endif
VENV ?= .venv
BIN := $(VENV)/bin
export PYTHONHASHSEED := 0

.PHONY: help install fetch clean-data clean-sources processed report headline test test-fast test-browser chromium lint bench baselines lab validate

help:  ## list the verbs
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-12s %s\n", $$1, $$2}'

$(BIN)/.installed: pyproject.toml requirements.lock deploy/jupyterlab/overrides.json
	@$(PYTHON) -c 'import sys; v = sys.version_info[:2]; sys.exit(0 if (3, 11) <= v <= (3, 13) \
	  else f"marketlib needs Python 3.11, 3.12 or 3.13; {sys.executable} is {v[0]}.{v[1]} (make PYTHON=...)")'
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)  # an existing venv keeps its interpreter
	$(BIN)/python -m pip install -q --upgrade pip uv
	$(BIN)/uv pip install -q --python $(BIN)/python -r requirements.lock
	$(BIN)/uv pip install -q --python $(BIN)/python --no-deps -e .
	$(BIN)/python -m ipykernel install --sys-prefix --name marketlib --display-name "marketlib (project)" >/dev/null
	# JupyterLab opens the paired .py notebooks as notebooks (jupytext), for this venv only
	install -D -m 644 deploy/jupyterlab/overrides.json $(VENV)/share/jupyter/lab/settings/overrides.json
	touch $@

install: $(BIN)/.installed  ## create .venv and install the locked dependencies

fetch: install  ## get the public data (aijobs, PPP, Innovation Graph; MARKETLIB_MIRROR=DIR copies from DIR)
	$(BIN)/marketlib fetch aijobs
	$(BIN)/marketlib fetch ppp
	$(BIN)/marketlib fetch innovationgraph

clean-data: fetch  ## clean the pay, certification and activity files into data/processed
	$(BIN)/marketlib clean rates data/raw/aijobs/salaries.csv --format aijobs
	$(BIN)/marketlib clean certifications data/raw/certifications/cncf_published_counts.csv --format counts
	$(BIN)/marketlib clean activity data/raw/innovationgraph/*.csv --format innovationgraph

clean-sources: install  ## fetch and clean the independent sources (Kaggle, CNCF surveys, Indeed)
	$(BIN)/marketlib fetch kaggle-survey
	$(BIN)/marketlib fetch cncf-surveys
	$(BIN)/marketlib fetch indeed
	$(BIN)/marketlib clean pay_bands data/raw/kaggle-survey/*.zip --format kaggle
	$(BIN)/marketlib clean adoption data/raw/cncf-surveys/*.csv data/raw/cncf-surveys/*.xlsx --format cncf_survey
	$(BIN)/marketlib clean demand data/raw/indeed/ai-tracker/AI_posting.csv data/raw/indeed/job-postings/aggregate_job_postings_*.csv data/raw/indeed/job-postings/sector-snapshots/*.csv data/raw/indeed/wage-tracker/posted-wage-growth-by-country.csv --format indeed

report: clean-data clean-sources  ## the main job: the default report at today's date (reports/<today>/)
	$(BIN)/marketlib report --params params/default.yaml

headline: clean-data  ## the README headline: the pinned, reproducible run (params/pinned.yaml)
	$(BIN)/marketlib report --params params/pinned.yaml --update-readme

NBVAL := --nbval --nbval-current-env --nbval-sanitize-with notebooks/nbval_sanitize.cfg

test: install processed  ## the whole test suite (unit, property, real data, notebooks via nbval)
	$(BIN)/python -m pytest -n 2 --dist loadscope --durations=25 tests $(wildcard notebooks/*.ipynb) $(NBVAL)

processed: install  ## the clean tables the notebooks read (fetch/mirror + clean)
	@test -f data/processed/rates.parquet -a -f data/processed/activity.parquet || $(MAKE) clean-data
	@test -f data/processed/pay_bands.parquet -a -f data/processed/adoption.parquet \
	  -a -f data/processed/demand.parquet || $(MAKE) clean-sources

test-fast: install  ## unit tests only (no real data, no browser, no simulation smoke studies)
	$(BIN)/python -m pytest -n 2 -x -q -m "not realdata and not slow and not browser and not simulation"

test-browser: install  ## the real-browser tests (Playwright + the system Chromium; see `make chromium`)
	$(BIN)/python -m pytest -q -rA -m browser tests/test_browser.py

chromium:  ## install the system Chromium (browser tests, PDF of the summary page); needs root + apt
	@command -v chromium >/dev/null || command -v chromium-browser >/dev/null \
	  || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium; }

lint: install  ## ruff (rules, formatting; notebook sources: rules only) and mypy on src/marketlib
	$(BIN)/ruff check src tests bench scripts notebooks/*.py
	$(BIN)/ruff format --check src tests bench scripts
	$(BIN)/mypy  # settings and strictness: [tool.mypy] in pyproject.toml

bench: install  ## benchmarks (numbers to bench/results)
	$(BIN)/python bench/run.py

validate: install  ## the full simulation study (R >= 1000 per scenario)
	$(BIN)/python -m pytest -m slow -q

baselines: install  ## regenerate the committed notebook baselines (run twice: no diff)
	$(BIN)/python scripts/regenerate_notebooks.py

TERMINALS ?= 0
ALLOW_ROOT ?= 0
lab: install  ## JupyterLab on notebooks/ (terminals off: TERMINALS=1 turns them on; no root unless ALLOW_ROOT=1)
	@if [ "$$(id -u)" = 0 ] && [ "$(ALLOW_ROOT)" != 1 ]; then \
	  echo "make lab: refusing to start JupyterLab as root: every notebook (and terminal) would run" >&2; \
	  echo "  with root's rights on this machine. Run it as a normal user, e.g." >&2; \
	  echo "    useradd -m analyst && chown -R analyst $(CURDIR) && su analyst -c 'make -C $(CURDIR) lab'" >&2; \
	  echo "  or, knowingly: make lab ALLOW_ROOT=1" >&2; exit 2; fi
	@if [ "$$(id -u)" = 0 ]; then echo "make lab: WARNING: JupyterLab runs as root (ALLOW_ROOT=1)" >&2; fi
	$(BIN)/jupyter lab --notebook-dir=notebooks --ip=127.0.0.1 \
	  --ServerApp.terminals_enabled=$(if $(filter 1,$(TERMINALS)),True,False) \
	  $(if $(filter 1,$(ALLOW_ROOT)),--allow-root,)
