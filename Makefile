# Sổ Kiểm Tra — the two commands of README's quick start, and a few more.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin

.PHONY: run test bench clean-data help

help:
	@echo "make run    - install into .venv, migrate, seed the demo on first start, serve on http://127.0.0.1:8000"
	@echo "make test   - install dev dependencies and run the whole test suite (browser tests included)"
	@echo "make bench  - run the benchmarks in bench/ (they print figures)"

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip

$(VENV)/.installed-run: pyproject.toml | $(BIN)/python
	$(BIN)/pip install -q -e .
	touch $@

$(VENV)/.installed-dev: pyproject.toml | $(BIN)/python
	$(BIN)/pip install -q -e '.[dev]'
	touch $@ $(VENV)/.installed-run

run: $(VENV)/.installed-run
	$(BIN)/inspect-app migrate
	$(BIN)/inspect-app demo
	$(BIN)/inspect-app serve

test: $(VENV)/.installed-dev
	$(BIN)/python -m pytest $(PYTEST_ARGS)

bench: $(VENV)/.installed-dev
	@for script in bench/*.py; do echo "== $$script"; $(BIN)/python $$script || exit 1; done

clean-data:
	rm -rf data
