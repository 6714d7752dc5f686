# Two commands for a fresh machine (see README):
#   make reproduce   — the main job: the NSL-KDD reproduction of the paper
#   make test        — the test suite
#   make docs        — the docs site (mkdocs build --strict into site/)
# Both create .venv and install what they need first.

PYTHON ?= python3
VENV ?= .venv
# The CPU wheel on the project machines; set TORCH_SPEC='torch>=2.3' (or a CUDA build) elsewhere.
TORCH_SPEC ?= torch==2.13.0
# Data directory: the package resolves it ($GAVAE_IDS_DATA, else ~/gavae_ids_data); the
# NSL-KDD files the main job and most tests need ship inside the package.
REPRODUCE_ARGS ?=

BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: install reproduce reproduce-unsw test test-data dist lint lint-imports docs clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet "$(TORCH_SPEC)"
	$(BIN)/pip install --quiet -e ".[dev]"
	touch $(STAMP)

install: $(STAMP)

reproduce: $(STAMP)
	$(BIN)/gavae-ids reproduce --dataset nsl-kdd $(REPRODUCE_ARGS)

reproduce-unsw: $(STAMP)
	$(BIN)/gavae-ids reproduce --dataset unsw-nb15 $(REPRODUCE_ARGS)

test: $(STAMP)
	$(BIN)/python -m pytest -q

# Only the tests that need data the package does not ship (UNSW-NB15, full KDDTrain+).
test-data: $(STAMP)
	$(BIN)/python -m pytest -q -m data

# The wheel and sdist a release would upload, checked with twine (build and twine are
# release tools, installed here only).
dist: $(STAMP)
	$(BIN)/pip install --quiet build twine
	rm -rf dist
	$(BIN)/python -m build --outdir dist .
	$(BIN)/twine check --strict dist/*

lint: $(STAMP)
	$(BIN)/ruff check src tests benchmarks
	$(BIN)/ruff format --check src tests benchmarks

# The docs site: installs the docs extra, then builds site/ (warnings are errors).
docs: $(STAMP)
	$(BIN)/pip install --quiet -e ".[docs]"
	$(BIN)/mkdocs build --strict

# The layers and forbidden imports of [tool.importlinter] in pyproject.toml (no import cycles).
lint-imports: $(STAMP)
	$(BIN)/lint-imports

clean:
	rm -rf $(VENV) build dist site *.egg-info
