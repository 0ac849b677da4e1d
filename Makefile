# Two commands for a new machine: `make report` and `make test`.
# Both create .venv from pyproject.toml first. Run `make` alone for the list.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
PARAMS ?= params/2017-02_2017-03.yaml
OUT ?= reports

.DEFAULT_GOAL := help
.PHONY: help report test demo-data benchmark clean

help: ## list the targets
	@grep -E '^[a-z-]+:.*##' $(MAKEFILE_LIST) | sed 's/:.*## /\t/'

$(BIN)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $@

report: $(BIN)/.installed ## render the demo period's reports into reports/
	$(BIN)/ceasefire run $(PARAMS) --out $(OUT)

test: $(BIN)/.installed ## run the whole test suite
	$(BIN)/python -m pytest tests notebooks ceasefire_analysis --nbval-lax --doctest-modules

demo-data: $(BIN)/.installed ## rebuild data/raw/demo from the seeded generator
	$(BIN)/python -m ceasefire_analysis.demo data/raw/demo

benchmark: $(BIN)/.installed ## time the pipeline (see benchmarks/README.md)
	$(BIN)/python benchmarks/run_benchmarks.py

clean: ## remove rendered reports and the processed-data cache
	rm -rf $(OUT) data/processed/cache
