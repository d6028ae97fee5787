# Sổ Kiểm Tra — the two commands of README's quick start, and a few more.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin

.PHONY: run test test-postgres bench clean-data help system-packages

help:
	@echo "make run    - install into .venv, migrate, seed the demo on first start, serve on http://127.0.0.1:8000"
	@echo "make test   - install dev dependencies and run the whole test suite (browser tests included)"
	@echo "make test-postgres - the same suite on a throwaway PostgreSQL cluster (.ci/postgres)"
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

# Debian packages the running app needs: the PDF engine and the font it embeds (metric twin of Times New
# Roman). Installed when missing and this machine can (root, apt-get); otherwise said, and the rest runs.
SYSTEM_PACKAGES := chromium fonts-liberation2

system-packages:
	@command -v dpkg >/dev/null || { echo "not Debian: install $(SYSTEM_PACKAGES) for PDF export"; exit 0; }; \
	missing=""; for p in $(SYSTEM_PACKAGES); do dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	if [ -z "$$missing" ]; then exit 0; fi; \
	if command -v apt-get >/dev/null && [ "$$(id -u)" = 0 ]; then \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $$missing; \
	else echo "PDF export needs:$$missing (as root: apt-get install$$missing)"; fi

run: $(VENV)/.installed-run system-packages
	$(BIN)/inspect-app migrate
	$(BIN)/inspect-app demo
	$(BIN)/inspect-app serve

test: $(VENV)/.installed-dev
	$(BIN)/python -m pytest $(PYTEST_ARGS)

# The whole suite again with every test on a PostgreSQL database of its own, on a throwaway cluster that
# .ci/postgres installs (Debian's PostgreSQL, when missing) and starts on a free loopback port.
test-postgres: $(VENV)/.installed-dev
	export INSPECT_PG_STATE=$$(mktemp -d -u /tmp/inspect-pg.XXXXXX) INSPECT_PG_FAST=1; \
	eval "$$(.ci/postgres start)" && $(BIN)/python -m pytest $(PYTEST_ARGS); status=$$?; .ci/postgres stop; exit $$status

bench: $(VENV)/.installed-dev
	@for script in bench/*.py; do echo "== $$script"; $(BIN)/python $$script || exit 1; done

clean-data:
	rm -rf data
