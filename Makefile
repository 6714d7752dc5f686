# Two commands for a fresh machine (see README):
#   make reproduce   — the main job: the NSL-KDD reproduction of the paper
#   make test        — the test suite
# Both create .venv and install what they need first.

PYTHON ?= python3
VENV ?= .venv
# The CPU wheel on the project machines; set TORCH_SPEC='torch>=2.3' (or a CUDA build) elsewhere.
TORCH_SPEC ?= torch==2.13.0
# Data directory: $GAVAE_IDS_DATA if set, else ../shared/datasets when present, else ~/gavae_ids_data.
GAVAE_IDS_DATA ?= $(if $(wildcard ../shared/datasets),$(abspath ../shared/datasets),$(HOME)/gavae_ids_data)
export GAVAE_IDS_DATA
REPRODUCE_ARGS ?=

BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: install reproduce reproduce-unsw test lint clean

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

lint: $(STAMP)
	$(BIN)/ruff check src tests benchmarks
	$(BIN)/ruff format --check src tests benchmarks

clean:
	rm -rf $(VENV) build *.egg-info
