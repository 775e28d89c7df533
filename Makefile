# Tiketi — every set-up step lives here; `make help` lists the targets.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
UV_VERSION := 0.13.9
STAMP := $(VENV)/.installed
PYTEST_ARGS ?=
SCENARIO ?=
BENCH_ARGS ?=

.DEFAULT_GOAL := help
.PHONY: help install run test lint typecheck imports pytest pytest-fast migrate admin lock clean bench

help: ## list the targets
	@grep -hE '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-12s %s\n", $$1, $$2}'

$(STAMP): pyproject.toml requirements/lock.txt
	@$(PYTHON) -c 'import sys; sys.exit(sys.version_info < (3, 11))' || { echo "Python 3.11+ is required (set PYTHON=...)"; exit 1; }
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	@$(BIN)/python -m pip install -q "uv==$(UV_VERSION)"
	@$(BIN)/uv pip install -q --python $(BIN)/python -r requirements/lock.txt
	@$(BIN)/uv pip install -q --python $(BIN)/python --no-deps -e .
	@touch $(STAMP)

install: $(STAMP) ## create .venv with the pinned dependencies

run: install ## start the whole platform on http://127.0.0.1:3001 (PORT to change; embedded PostgreSQL and Redis under ./var)
	$(BIN)/tiketi serve --demo

test: install lint typecheck imports pytest ## run every check and every test (what CI runs)

lint: install ## ruff
	$(BIN)/ruff check src tests bench
	$(BIN)/ruff format --check src tests bench

typecheck: install ## mypy (strict on kernel, contracts and every domain)
	$(BIN)/mypy

imports: install ## import-linter: services never import each other; layers point one way
	$(BIN)/lint-imports

pytest: install ## the test suite (unit, integration, api, e2e; slow ones included)
	$(BIN)/pytest $(PYTEST_ARGS)

pytest-fast: install ## the test suite without tests marked slow
	$(BIN)/pytest -m "not slow" $(PYTEST_ARGS)

migrate: install ## migrate every service's schema (embedded engines when no URLs are set)
	$(BIN)/tiketi migrate

admin: install ## create an admin: make admin EMAIL=a@b.c PASSWORD=...
	$(BIN)/tiketi admin create --email "$(EMAIL)" --password "$(PASSWORD)"

bench: install ## benchmarks into bench/results/ (SCENARIO=hold-contention, BENCH_ARGS="--attempts 100000")
	$(BIN)/python -m bench $(SCENARIO) $(BENCH_ARGS)

lock: ## re-resolve requirements/lock.txt from pyproject.toml
	$(BIN)/uv pip compile pyproject.toml --extra dev --python-version 3.11 -o requirements/lock.txt

clean: ## remove the virtualenv and caches (keeps ./var data)
	rm -rf $(VENV) .mypy_cache .ruff_cache .pytest_cache
