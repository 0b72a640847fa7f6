# Two commands set everything up on a fresh machine:
#   make demo   a week of helpdesk exports through the factory, with a summary
#   make test   every test: pytest (unit + CLI + real dbt builds on generated data)
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
export DO_NOT_TRACK := 1
export DBT_SEND_ANONYMOUS_USAGE_STATS := false

DEMO_START ?= 2026-11-01
DEMO_DAYS ?= 7
DEMO_END ?= 2026-11-07

.PHONY: install demo test docs clean bench bench-quick

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[test]'
	touch $(STAMP)

install: $(STAMP)

demo: $(STAMP)
	$(BIN)/factory generate --start $(DEMO_START) --days $(DEMO_DAYS)
	$(BIN)/factory run --start $(DEMO_START) --end $(DEMO_END)

test: $(STAMP)
	$(BIN)/python -m pytest

docs: $(STAMP)
	$(BIN)/factory docs

clean:
	rm -rf data target logs
