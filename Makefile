# Tide CRM developer tasks. `make run` for the demo, `make test` for what CI runs (.ci/run).
SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := help

VENV   := .venv
PY     := $(VENV)/bin/python
RUFF   := $(VENV)/bin/ruff
PYTEST := $(VENV)/bin/pytest
STAMP  := $(VENV)/.installed

PORT ?= 8000
export PORT
# DATABASE_URL, REDIS_URL, SECRET_KEY ... are read from the environment by tidecrm.settings.

# Two workers (CI has 2 cores); whole files per worker so module/class fixtures stay together.
PYTEST_XDIST ?= -n 2 --dist loadfile
PYTEST_ARGS  ?=

.PHONY: help venv install system-packages run lint fmt test test-sqlite test-pg bench clean

help:
	@echo "make run          migrate, load demo data, serve on http://127.0.0.1:$(PORT)/"
	@echo "make test         lint + tests on SQLite (incl. e2e) + tests on PostgreSQL (what CI runs)"
	@echo "make test-sqlite  pytest on SQLite, browser (e2e) tests and the schemathesis fuzz run included"
	@echo "make test-pg      pytest on a throwaway PostgreSQL cluster, e2e and the fuzz run excluded"
	@echo "make lint | fmt | bench | clean | install"

# --- environment ------------------------------------------------------------------------------
$(PY):
	python3 -m venv $(VENV)

# Reinstall only when requirements.lock changes.
$(STAMP): requirements.lock | $(PY)
	$(PY) -m pip install --quiet --disable-pip-version-check --no-input -r requirements.lock
	touch $@

venv install: $(STAMP)

system-packages:
	scripts/ensure-system-packages

# --- demo -------------------------------------------------------------------------------------
run: export DEBUG ?= 1
run: install
	$(PY) manage.py migrate --noinput
	$(PY) manage.py load_demo
	exec bin/serve

# --- quality ----------------------------------------------------------------------------------
# ruff, the dependency layers of pyproject.toml [tool.importlinter] (import-linter), and mypy with
# django-stubs over the files of [tool.mypy] (cached in .mypy_cache).
lint: install
	rc=0; \
	$(RUFF) check . || rc=1; \
	$(RUFF) format --check . || rc=1; \
	$(VENV)/bin/lint-imports || rc=1; \
	$(VENV)/bin/mypy || rc=1; \
	exit $$rc

fmt: install
	$(RUFF) format .
	$(RUFF) check --fix .

test-sqlite: install
	env -u DATABASE_URL $(PYTEST) $(PYTEST_XDIST) -ra $(PYTEST_ARGS)

test-pg: install
	scripts/with-postgres $(PYTEST) $(PYTEST_XDIST) -ra -m "not e2e and not fuzz" $(PYTEST_ARGS)

# Every stage runs even if an earlier one failed, so one CI run shows all failures; any failure
# (including pytest exit 5, "no tests collected") fails the target.
test: install system-packages
	failed=""; \
	echo "==> lint";                 $(MAKE) --no-print-directory lint        || failed="$$failed lint"; \
	echo "==> pytest on SQLite";     $(MAKE) --no-print-directory test-sqlite || failed="$$failed test-sqlite"; \
	echo "==> pytest on PostgreSQL"; $(MAKE) --no-print-directory test-pg     || failed="$$failed test-pg"; \
	if [ -n "$$failed" ]; then echo "FAILED:$$failed" >&2; exit 1; fi; \
	echo "==> all passed"

bench: install
	if [ -x bench/run ]; then exec bench/run; fi; \
	shopt -s nullglob; files=(bench/*.py); \
	if [ $${#files[@]} -eq 0 ]; then echo "no benchmarks in bench/"; exit 0; fi; \
	for f in "$${files[@]}"; do echo "==> $$f"; $(PY) "$$f"; done

clean:
	rm -rf var test-artifacts staticfiles .pytest_cache .ruff_cache .mypy_cache
	find . -path ./$(VENV) -prune -o -name __pycache__ -type d -prune -exec rm -rf {} +
