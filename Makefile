# Two commands set everything up: `make demo` and `make test`.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-$(shell cat pyproject.toml | sha1sum | cut -c1-12)

.PHONY: demo test install lint typecheck pytest pytest-sqlite pytest-postgresql clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip

$(STAMP): $(BIN)/python pyproject.toml
	$(BIN)/pip install -q -e '.[dev]'
	rm -f $(VENV)/.installed-*
	touch $(STAMP)

install: $(STAMP)

## Create the virtualenv, install Ombud and serve the demo company on SQLite.
demo: install
	$(BIN)/ombud demo

## Install dev dependencies, lint, type-check and run the tests (SQLite store, then PostgreSQL).
test: install lint typecheck pytest

lint:
	$(BIN)/ruff check src tests benchmarks
	$(BIN)/ruff format --check src tests benchmarks

typecheck:
	$(BIN)/mypy

pytest: pytest-sqlite pytest-postgresql

pytest-sqlite:
	$(BIN)/pytest --store sqlite

pytest-postgresql:
	$(BIN)/pytest --store postgresql

clean:
	rm -rf $(VENV) .mypy_cache .ruff_cache .pytest_cache
