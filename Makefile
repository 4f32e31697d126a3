# marketlib: verbs. `make help` lists them.
SHELL := /bin/bash
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV ?= .venv
BIN := $(VENV)/bin
export PYTHONHASHSEED := 0

.PHONY: help install fetch clean-data processed report test test-fast lint bench baselines lab validate

help:  ## list the verbs
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-12s %s\n", $$1, $$2}'

$(BIN)/.installed: pyproject.toml requirements.lock
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip uv
	$(BIN)/uv pip install -q --python $(BIN)/python -r requirements.lock
	$(BIN)/uv pip install -q --python $(BIN)/python --no-deps -e .
	$(BIN)/python -m ipykernel install --sys-prefix --name marketlib --display-name "marketlib (project)" >/dev/null
	touch $@

install: $(BIN)/.installed  ## create .venv and install the locked dependencies

fetch: install  ## get the aijobs data (MARKETLIB_MIRROR=DIR copies it from DIR)
	$(BIN)/marketlib fetch all

clean-data: fetch  ## clean the aijobs file into data/processed
	$(BIN)/marketlib clean rates data/raw/aijobs/salaries.csv --format aijobs
	$(BIN)/marketlib clean certifications data/raw/certifications/cncf_published_counts.csv --format counts

report: clean-data  ## the main job: fetch, clean, run the default report
	$(BIN)/marketlib report --params params/default.yaml --update-readme

NBVAL := --nbval --nbval-current-env --nbval-sanitize-with notebooks/nbval_sanitize.cfg

test: install processed  ## the whole test suite (unit, property, real data, notebooks via nbval)
	$(BIN)/python -m pytest -n 2 --dist loadscope tests $(wildcard notebooks/*.ipynb) $(NBVAL)

processed: install  ## the clean tables the notebooks read (fetch/mirror + clean)
	@test -f data/processed/rates.parquet || $(MAKE) clean-data

test-fast: install  ## unit tests only
	$(BIN)/python -m pytest -x -q -m "not realdata and not slow"

lint: install  ## ruff
	$(BIN)/ruff check src tests bench scripts notebooks/*.py

bench: install  ## benchmarks (numbers to bench/results)
	$(BIN)/python bench/run.py

validate: install  ## the full simulation study (R >= 1000 per scenario)
	$(BIN)/python -m pytest -m slow -q

baselines: install  ## regenerate the committed notebook baselines (run twice: no diff)
	$(BIN)/python scripts/regenerate_notebooks.py

lab: install  ## JupyterLab on the project with the marketlib kernel
	$(BIN)/jupyter lab --notebook-dir=notebooks $(if $(filter 0,$(shell id -u)),--allow-root,)
