# Two commands set everything up: `make demo` and `make test`.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
HASH := $(shell cat pyproject.toml | sha1sum | cut -c1-12)
# Running needs only the runtime dependencies; the tests also need the dev extra.
STAMP := $(VENV)/.installed-run-$(HASH)
DEV_STAMP := $(VENV)/.installed-dev-$(HASH)
# `make demo PORT=8001` when 8000 is taken.
PORT ?= 8000

.PHONY: demo test install install-dev lint typecheck pytest pytest-sqlite pytest-postgresql clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip

$(STAMP): $(BIN)/python pyproject.toml
	$(BIN)/pip install -q -e .
	rm -f $(VENV)/.installed-run-*
	touch $(STAMP)

$(DEV_STAMP): $(BIN)/python pyproject.toml
	$(BIN)/pip install -q -e '.[dev]'
	rm -f $(VENV)/.installed-*
	touch $(STAMP) $(DEV_STAMP)

install: $(STAMP)

install-dev: $(DEV_STAMP)

## Create the virtualenv, install what running Ombud needs and serve the demo company on
## SQLite (PORT=8000 unless given: `make demo PORT=8001`).
demo: install
	$(BIN)/ombud demo --port $(PORT)

## Install dev dependencies, lint, type-check and run the tests (SQLite store, then PostgreSQL).
test: install-dev lint typecheck pytest

lint: install-dev
	$(BIN)/ruff check src tests benchmarks
	$(BIN)/ruff format --check src tests benchmarks

typecheck: install-dev
	$(BIN)/mypy

pytest: pytest-sqlite pytest-postgresql

pytest-sqlite: install-dev
	$(BIN)/pytest --store sqlite

pytest-postgresql: install-dev
	$(BIN)/pytest --store postgresql

clean:
	rm -rf $(VENV) .mypy_cache .ruff_cache .pytest_cache
