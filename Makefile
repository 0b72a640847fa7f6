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

.PHONY: install demo test docs clean bench bench-quick browser

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[test,spark]'
	touch $(STAMP)

install: $(STAMP)

demo: $(STAMP)
	$(BIN)/factory generate --start $(DEMO_START) --days $(DEMO_DAYS)
	$(BIN)/factory run --start $(DEMO_START) --end $(DEMO_END)
	@echo; echo "== what the system can trust now (factory status) =="
	$(BIN)/factory status --since $(DEMO_START)
	@echo; echo "== may the consumers take $(DEMO_END)? (factory gate) =="
	$(BIN)/factory gate ticket_chunking_job --partition $(DEMO_END)
	$(BIN)/factory gate retrieval_index --partition $(DEMO_END)
	@echo; echo "evidence: $${FACTORY_HOME:-data}/evidence/  (re-check: factory validate $${FACTORY_HOME:-data}/evidence/*.json)"

# The status page test renders it in headless Chromium (Debian's package).
# Installed when missing and apt-get can run; without it that test skips.
browser:
	@command -v chromium >/dev/null 2>&1 || command -v chromium-browser >/dev/null 2>&1 || \
	  { if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
	      echo "installing Debian's chromium for the status page test"; \
	      (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null) || \
	      echo "warning: chromium could not be installed; the status page browser test will skip"; \
	    else echo "warning: chromium is not installed (apt-get install chromium); the status page browser test will skip"; fi; }

test: $(STAMP) browser
	$(BIN)/python -m pytest

docs: $(STAMP)
	$(BIN)/factory docs

clean:
	rm -rf data target logs

# Benchmarks (issue 5): side-by-side medians and ratios, results in
# data/bench/results.json and the README table. bench-quick: tiny sizes,
# a few minutes, never touches the README or the full run's results.
bench: $(STAMP)
	BENCH_COMMAND="make bench" $(BIN)/python scripts/bench.py --update-readme

bench-quick: $(STAMP)
	BENCH_COMMAND="make bench-quick" $(BIN)/python scripts/bench.py --quick \
		--out $${FACTORY_HOME:-data}/bench/results-quick.json
