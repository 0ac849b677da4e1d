# Two commands for a new machine: `make report` and `make test`.
# Both create .venv from pyproject.toml first. Run `make` alone for the list.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
PARAMS ?= params/2017-02_2017-03.yaml
OUT ?= reports
# pytest-xdist workers for `make test` (the suite is sized for a 2-core machine; TEST_WORKERS=0 runs it in one process)
TEST_WORKERS ?= 2

.DEFAULT_GOAL := help
.PHONY: help report test lab git-filter demo-data benchmark clean
# The git filter that strips notebook outputs on commit (see git-filter); relative to the work tree's top.
STRIP := $(BIN)/python -m nbstripout --keep-id --drop-tagged-cells injected-parameters \
	--extra-keys 'metadata.papermill cell.metadata.papermill cell.metadata.execution'

help: ## list the targets
	@grep -E '^[a-z-]+:.*##' $(MAKEFILE_LIST) | sed 's/:.*## /\t/'

$(BIN)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	$(MAKE) --no-print-directory git-filter
	touch $@

report: $(BIN)/.installed ## render the demo period's reports into reports/
	$(BIN)/ceasefire run $(PARAMS) --out $(OUT)

test: $(BIN)/.installed ## run the whole test suite
	$(BIN)/python -m pytest -n $(TEST_WORKERS) --dist loadscope tests notebooks ceasefire_analysis --nbval-lax --doctest-modules

lab: $(BIN)/.installed ## start JupyterLab on notebooks/ from the project's .venv (LAB_ARGS=--no-browser ...)
	$(BIN)/jupyter lab --notebook-dir=notebooks $(LAB_ARGS)

git-filter: ## make git strip notebook outputs on every commit (nbstripout; run by the set-up)
	@if git rev-parse --is-inside-work-tree >/dev/null 2>&1; then \
	  git config filter.nbstripout.clean "$(STRIP)" && git config filter.nbstripout.smudge cat && \
	  echo "git: notebooks/*.ipynb are committed without outputs (filter nbstripout, see .gitattributes)"; fi

demo-data: $(BIN)/.installed ## rebuild data/raw/demo from the seeded generator
	$(BIN)/python -m ceasefire_analysis.demo data/raw/demo

benchmark: $(BIN)/.installed ## time the pipeline (see benchmarks/README.md)
	$(BIN)/python benchmarks/run_benchmarks.py

clean: ## remove rendered reports and the processed-data cache
	rm -rf $(OUT) data/processed/cache
