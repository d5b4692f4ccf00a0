# Two commands matter: `make run` and `make test`. Everything installs itself first.

SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
# Touched after a successful install; pyproject.toml or constraints.txt newer => reinstall.
# RUN_STAMP: what the services need (`make run`, `make demo`); STAMP adds the dev tools.
RUN_STAMP := $(VENV)/.installed-run
STAMP := $(VENV)/.installed
RUN_ARGS ?=
PYTEST_ARGS ?=
BENCH_ARGS ?=

# Passed through to the tests only when set (an empty TEST_DATABASE_URL would be wrong).
ifdef TEST_DATABASE_URL
export TEST_DATABASE_URL
endif
ifdef REQUIRE_POSTGRES
export REQUIRE_POSTGRES
endif

.PHONY: help run demo install test lint openapi openapi-check bench clean distclean

help:
	@echo "make run      install if needed, migrate, start all seven services (gateway :8000)"
	@echo "make demo     like make run, on a generated demo company (resets the databases in var/)"
	@echo "make test     install if needed, run the whole suite (REQUIRE_POSTGRES=1 to insist)"
	@echo "make lint     ruff check, mypy, import-linter"
	@echo "make openapi  write openapi/<service>.json from the code"
	@echo "make bench    gateway overhead, the slice (receipt to trace), catalog, stock, reports, mrp, trace, erp, workflow and webhook benchmarks (results in bench/results/)"
	@echo "make clean    caches and build files; make distclean also removes .venv and var/"

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

$(RUN_STAMP): pyproject.toml constraints.txt | $(BIN)/python
	$(BIN)/python -m pip install --quiet --disable-pip-version-check \
		-c constraints.txt -e .
	@touch $@

$(STAMP): pyproject.toml constraints.txt | $(BIN)/python
	$(BIN)/python -m pip install --quiet --disable-pip-version-check \
		-c constraints.txt -e '.[dev]'
	@touch $@ $(RUN_STAMP)

install: $(STAMP)

run: $(RUN_STAMP)
	$(BIN)/python -m tools.run $(RUN_ARGS)

# Deletes the services' SQLite files under var/ (secrets and logs stay), loads the demo
# company through the API, then serves it like `make run` (README: the guided tour).
demo: $(RUN_STAMP)
	$(BIN)/python -m tools.demo $(RUN_ARGS)

# Without PYTEST_ARGS: xdist workers, and the API fuzzing in a process beside them
# (tools/test.py).
test: $(STAMP)
	$(BIN)/python -m tools.test $(PYTEST_ARGS)

lint: $(STAMP)
	@status=0; \
	echo "== ruff check"; $(BIN)/ruff check . || status=1; \
	echo "== mypy"; $(BIN)/mypy || status=1; \
	echo "== import-linter"; $(BIN)/lint-imports || status=1; \
	exit $$status

openapi: $(STAMP)
	$(BIN)/python -m tools.openapi

openapi-check: $(STAMP)
	$(BIN)/python -m tools.openapi --check

bench: $(STAMP)
	$(BIN)/python bench/gateway_overhead.py $(BENCH_ARGS)
	$(BIN)/python bench/slice.py
	$(BIN)/python bench/catalog.py
	$(BIN)/python bench/stock.py
	$(BIN)/python bench/reports.py
	$(BIN)/python bench/mrp.py
	$(BIN)/python bench/trace.py
	$(BIN)/python bench/erp.py
	$(BIN)/python bench/workflow.py
	$(BIN)/python bench/workflow_rules.py
	$(BIN)/python bench/webhooks.py

clean:
	rm -rf .pytest_cache .mypy_cache .ruff_cache .hypothesis .import_linter_cache build \
		*.egg-info
	find . -path ./$(VENV) -prune -o -name __pycache__ -type d -exec rm -rf {} +

distclean: clean
	rm -rf $(VENV) var
