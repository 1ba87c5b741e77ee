# The two commands: `make run` and `make test`. Both install what they need.
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: install run test lint typecheck unit bench clean demo

install: $(STAMP)

$(STAMP): pyproject.toml
	@command -v $(PYTHON) >/dev/null 2>&1 || { echo "error: $(PYTHON) not found; install Python 3.11" >&2; exit 2; }
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	@touch $(STAMP)

run: install
	$(BIN)/pathways run

lint: install
	$(BIN)/ruff check src flows tests bench
	$(BIN)/ruff format --check src flows tests bench

typecheck: install
	$(BIN)/mypy

test: install lint typecheck
	$(BIN)/pytest -n 2 --dist loadfile

bench: install
	$(BIN)/python bench/decide.py

clean:
	rm -rf $(VENV) var .pytest_cache .mypy_cache .ruff_cache
