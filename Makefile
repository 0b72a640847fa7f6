# Two commands set everything up on a fresh machine:
#   make demo       a week of helpdesk exports through the factory, with a summary
#                   (installs only what the factory needs to run on DuckDB)
#   make test       the lint gates and every test: unit, CLI, real dbt builds on
#                   generated data, Spark (installs the test, lint and spark extras)
# And for us, while working:
#   make test-fast  the lint gates (Python, SQL) and the unit tests, in well under a minute
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
FAST_STAMP := $(VENV)/.installed-test
DEV_STAMP := $(VENV)/.installed-dev
export DO_NOT_TRACK := 1
export DBT_SEND_ANONYMOUS_USAGE_STATS := false

DEMO_START ?= 2026-11-01
DEMO_DAYS ?= 7
DEMO_END ?= 2026-11-07

.PHONY: install demo drill test test-fast lint lint-python lint-sql docs clean bench bench-quick browser spark

# The factory itself: what `make demo` needs, nothing more.
$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e .
	touch $(STAMP)

# + pytest, jsonschema and the lint tools
$(FAST_STAMP): $(STAMP)
	$(BIN)/pip install --quiet -e '.[test,lint]'
	touch $(FAST_STAMP)

# + dbt-spark and pyspark (about half of the venv): the Spark equivalence tests
$(DEV_STAMP): $(FAST_STAMP)
	$(BIN)/pip install --quiet -e '.[test,lint,spark]'
	touch $(DEV_STAMP)

install: $(STAMP)

spark: $(DEV_STAMP)

demo: $(STAMP)
	$(BIN)/factory generate --start $(DEMO_START) --days $(DEMO_DAYS)
	@echo; echo "== each day through the factory; then what the system can trust (the grid) =="
	$(BIN)/factory run --start $(DEMO_START) --end $(DEMO_END)
	@echo "(the same grid at any time: factory status --since $(DEMO_START))"
	@echo; echo "== may the consumers take $(DEMO_END)? (factory gate) =="
	$(BIN)/factory gate ticket_chunking_job --partition $(DEMO_END)
	$(BIN)/factory gate retrieval_index --partition $(DEMO_END)
	@echo; echo "evidence: $${FACTORY_HOME:-data}/evidence/  (re-check: factory validate $${FACTORY_HOME:-data}/evidence/*.json)"

# One broken day, recovered with the runbook's commands, a line of commentary
# each (scripts/drill.sh; its own home, data/drill, so the demo's stays).
drill: $(STAMP)
	FACTORY=$(BIN)/factory DRILL_HOME=$${FACTORY_HOME:-data}/drill bash scripts/drill.sh

# The status page test renders it in headless Chromium (Debian's package).
# Installed when missing and apt-get can run; without it that test skips.
browser:
	@command -v chromium >/dev/null 2>&1 || command -v chromium-browser >/dev/null 2>&1 || \
	  { if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
	      echo "installing Debian's chromium for the status page test"; \
	      (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null) || \
	      echo "warning: chromium could not be installed; the status page browser test will skip"; \
	    else echo "warning: chromium is not installed (apt-get install chromium); the status page browser test will skip"; fi; }

# The gates, in the order that fails fastest. The same run from .pre-commit-config.yaml.
lint-python: $(FAST_STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports

# SQL (.sqlfluff explains the rules): the models as dbt compiles them (dbt
# templater), then the layout of macros/ and tests/dbt/ (jinja templater; the
# dbt templater skips macro files). The dbt templater opens the profile's
# DuckDB file, so it gets a throwaway FACTORY_HOME of its own, never the
# warehouse (a running factory holds it), and its own target dir.
LINT_SQL_HOME = $(or $(FACTORY_HOME),data)/lint-sql
LINT_SQL_ENV = FACTORY_HOME=$(LINT_SQL_HOME) DBT_TARGET_PATH=$(LINT_SQL_HOME)/target \
	DBT_LOG_PATH=$(LINT_SQL_HOME)/logs

lint-sql: $(FAST_STAMP)
	mkdir -p $(LINT_SQL_HOME)
	$(LINT_SQL_ENV) $(BIN)/sqlfluff lint models
	$(LINT_SQL_ENV) $(BIN)/sqlfluff lint --templater jinja macros tests/dbt

lint: lint-python lint-sql

test-fast: lint-python lint-sql
	$(BIN)/python -m pytest tests/unit -q

# Two workers (the machine's two cores), each taking whole test files
# (--dist loadfile): a module's shared fixtures (a built week, the Spark
# session and its Derby metastore) stay in one process. The slowest tests
# are listed at the end, to keep the suite under its time budget.
test: $(DEV_STAMP) browser lint
	$(BIN)/python -m pytest -n 2 --dist loadfile --durations=25

docs: $(STAMP)
	$(BIN)/factory docs

clean:
	rm -rf data target logs

# Benchmarks (issue 5), the package bench/ (`python -m bench --help`):
# side-by-side medians and ratios, results in data/bench/results.json and the
# README table. bench-quick: tiny sizes, a few minutes, never touches the
# README or the full run's results.
bench: $(STAMP)
	BENCH_COMMAND="make bench" $(BIN)/python -m bench --update-readme

bench-quick: $(STAMP)
	BENCH_COMMAND="make bench-quick" $(BIN)/python -m bench --quick \
		--out $${FACTORY_HOME:-data}/bench/results-quick.json
