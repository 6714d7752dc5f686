# Two commands for a fresh machine (see README):
#   make reproduce   — the main job: the NSL-KDD reproduction of the paper
#   make test        — the test suite
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

.PHONY: install reproduce reproduce-unsw test test-data lint lint-imports clean

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

lint: $(STAMP)
	$(BIN)/ruff check src tests benchmarks
	$(BIN)/ruff format --check src tests benchmarks

# The layers and forbidden imports of [tool.importlinter] in pyproject.toml (no import cycles).
lint-imports: $(STAMP)
	$(BIN)/lint-imports

clean:
	rm -rf $(VENV) build *.egg-info
