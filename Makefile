# Backline: `make run` serves on the embedded defaults, `make test` runs the whole suite.
# Both create .venv and install the project into it first (only Python 3.11+ is needed).
# `make lock` writes requirements.lock, which the production install uses (docs/deployment.md).

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
export BACKLINE_ENV ?= development

.PHONY: install run test test-fast lint format bench bench-smoke lock

$(STAMP): pyproject.toml
	@echo "==> Installing Backline and its dependencies into $(VENV)"
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check uv
	$(BIN)/uv pip install --quiet --python $(BIN)/python --compile-bytecode -e '.[dev]'
	@touch $(STAMP)

install: $(STAMP)

run: $(STAMP)
	@echo "==> Migrating the database, then serving on http://127.0.0.1:5000"
	$(BIN)/backline db upgrade
	$(BIN)/backline serve

# Most tests wait on sockets and real processes, so more processes than cores still help.
# --maxschedchunk 1 hands tests out one or two at a time: the slow ones, sorted first by
# tests/conftest.py, spread over the processes instead of all landing in the first one's batch.
# Bytecode is written even where PYTHONDONTWRITEBYTECODE is set (an empty value unsets it):
# each process would otherwise compile and assert-rewrite every module again, 5-10 s of CPU.
TEST_PROCESSES ?= 4
test: export PYTHONDONTWRITEBYTECODE =

test: $(STAMP)
	@echo "==> Running the whole test suite on $(TEST_PROCESSES) processes"
	$(BIN)/python -m pytest -n $(TEST_PROCESSES) --maxschedchunk 1

test-fast: $(STAMP)
	$(BIN)/python -m pytest -m "not slow"

bench: $(STAMP)
	@echo "==> Benchmarks against their baselines (writes docs/benchmarks.md)"
	$(BIN)/python -m bench

bench-smoke: $(STAMP)
	@echo "==> Each benchmark at a tiny size: it still runs end to end (not a speed check)"
	$(BIN)/python -m bench --smoke

lint: $(STAMP)
	@echo "==> ruff (lint and format check), mypy, and the layer contracts (import-linter)"
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy app ivr voicemail forwarding
	$(BIN)/lint-imports

# Keeps each pin that pyproject.toml still allows; LOCK_FLAGS=--upgrade takes the newest of all,
# LOCK_FLAGS="--upgrade-package NAME" of one.
lock: $(STAMP)
	@echo "==> requirements.lock from pyproject.toml: every Python from 3.11, every platform, with hashes"
	$(BIN)/uv pip compile pyproject.toml --universal --python-version 3.11 --generate-hashes \
		--custom-compile-command "make lock" --output-file requirements.lock $(LOCK_FLAGS)

format: $(STAMP)
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .
