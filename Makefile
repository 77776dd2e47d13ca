# Two commands do all the set-up on a fresh machine: `make test` and `make demo`.
# Each creates .venv when missing and installs the pinned versions from requirements/lock.txt.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
UV_VERSION := 0.13.9
STAMP := $(VENV)/.installed
export AIRFLOW_HOME ?= $(CURDIR)/.airflow/home
export AIRFLOW__CORE__LOAD_EXAMPLES := False
export AIRFLOW__CORE__DAGS_FOLDER := $(CURDIR)/dags

.PHONY: install lint typecheck test test-fast docs demo airflow airflow-distributed emulator bench lock clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

$(BIN)/uv: $(BIN)/python
	$(BIN)/python -m pip install --quiet "uv==$(UV_VERSION)"

# Reinstall only when the lock or the project metadata changed.
# The provider and the emulator are two distributions of this repository, installed editable.
$(STAMP): $(BIN)/uv requirements/lock.txt pyproject.toml emulator/pyproject.toml
	$(BIN)/uv pip install --quiet --python $(BIN)/python -r requirements/lock.txt
	$(BIN)/uv pip install --quiet --python $(BIN)/python --no-deps -e . -e emulator
	@# The build leaves an egg-info beside the sources, on sys.path through the editable install:
	@# Airflow would then see the provider's entry points twice.
	rm -rf provider/*.egg-info emulator/*.egg-info
	touch $(STAMP)

install: $(STAMP)

lint: install
	$(BIN)/ruff check provider emulator tests dags bench dev docs
	$(BIN)/ruff format --check provider emulator tests dags bench dev docs

typecheck: install
	$(BIN)/mypy

# Two workers (pytest-xdist): the real-Airflow tests stay together on one (tests/conftest.py).
test: lint typecheck docs
	$(BIN)/pytest -n 2 --durations=20

# The user's manual. Warnings are errors: a broken include, a broken internal link or a docstring
# that does not parse fails the build.
docs: install
	$(BIN)/sphinx-build -q -W --keep-going -b html docs docs/_build/html
	@echo "The manual: docs/_build/html/index.html"

# Tests only, without the linter and the type checker.
test-fast: install
	$(BIN)/pytest -x -q

demo: install
	$(BIN)/python dev/demo.py

# A real local Airflow (API server + UI, scheduler, triggerer, DAG processor) with the emulator.
airflow: install
	$(BIN)/python dev/airflow_local.py

# The same on a distributed Airflow: CeleryExecutor with two workers that share no disk, PostgreSQL
# and Redis (Debian's packages, installed when missing and run as root), an S3-compatible store.
airflow-distributed: install
	$(BIN)/python dev/airflow_distributed.py

emulator: install
	$(BIN)/signs-emulator

bench: install
	$(BIN)/python -m bench

# Re-resolve the pinned versions (needs the package registry); commit the result.
lock: $(BIN)/uv
	$(BIN)/uv pip compile --quiet --python $(BIN)/python --extra dev --no-emit-package airflow-provider-signs \
		--no-emit-package airflow-provider-signs-emulator pyproject.toml emulator/pyproject.toml -o requirements/lock.txt

clean:
	rm -rf $(VENV) .airflow .pytest_cache .mypy_cache .ruff_cache docs/_build
