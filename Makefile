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
.PHONY: help install run test lint typecheck imports pytest pytest-fast migrate admin lock clean bench web web-test web-api

# The web app (web/): Node 20 and npm. Without them `make run` serves the API only.
WEB := web
NPM ?= npm
HAVE_NODE := $(shell command -v node >/dev/null 2>&1 && command -v npm >/dev/null 2>&1 && echo yes)
WEB_SOURCES := $(shell find $(WEB)/src $(WEB)/public -type f 2>/dev/null) $(wildcard $(WEB)/*.json $(WEB)/*.ts $(WEB)/index.html)
WEB_DEPS := $(WEB)/node_modules/.package-lock.json

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

run: install web ## start the whole platform on http://127.0.0.1:3001 (PORT to change; embedded PostgreSQL and Redis under ./var)
	$(BIN)/tiketi serve --demo

test: install lint typecheck imports web-test web pytest ## run every check and every test (what CI runs)

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

$(WEB_DEPS): $(WEB)/package-lock.json
	cd $(WEB) && $(NPM) ci --no-audit --no-fund --loglevel=error
	@touch $@

$(WEB)/dist/index.html: $(WEB_DEPS) $(WEB_SOURCES)
	cd $(WEB) && $(NPM) run build
	@touch $@

web: ## build the web app into web/dist (npm ci first when package-lock.json changed)
ifeq ($(HAVE_NODE),yes)
	@$(MAKE) --no-print-directory $(WEB)/dist/index.html
else
	@echo "node/npm not found: the web app is not built (install Node 20; the API still runs)"
	@if [ -n "$$CI" ]; then exit 1; fi
endif

web-test: ## the web app's type-check and vitest tests
ifeq ($(HAVE_NODE),yes)
	@$(MAKE) --no-print-directory $(WEB_DEPS)
	cd $(WEB) && $(NPM) run typecheck && $(NPM) test
else
	@echo "node/npm not found: skipping the web app's tests (install Node 20)"
	@if [ -n "$$CI" ]; then exit 1; fi
endif

web-api: install ## refresh web/openapi.json and the generated API types from the code
	$(BIN)/python -c 'import json; from tiketi.app import create_platform_app; from tiketi.kernel.settings import PlatformSettings; print(json.dumps(create_platform_app(PlatformSettings()).openapi(), indent=2, ensure_ascii=False))' > $(WEB)/openapi.json
	cd $(WEB) && $(NPM) run gen:api

migrate: install ## migrate every service's schema (embedded engines when no URLs are set)
	$(BIN)/tiketi migrate

admin: install ## create an admin: make admin EMAIL=a@b.c PASSWORD=...
	$(BIN)/tiketi admin create --email "$(EMAIL)" --password "$(PASSWORD)"

bench: install ## benchmarks into bench/results/ (SCENARIO=hold-contention, BENCH_ARGS="--attempts 100000")
	$(BIN)/python -m bench $(SCENARIO) $(BENCH_ARGS)

lock: ## re-resolve requirements/lock.txt from pyproject.toml
	$(BIN)/uv pip compile pyproject.toml --extra dev --python-version 3.11 -o requirements/lock.txt

clean: ## remove the virtualenv and caches (keeps ./var data)
	rm -rf $(VENV) .mypy_cache .ruff_cache .pytest_cache $(WEB)/node_modules $(WEB)/dist
