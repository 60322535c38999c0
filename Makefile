# The two commands a newcomer types: `make demo` and `make test`. Both create .venv and
# install the project on first use; nothing needs to be installed beforehand but Python 3.11+.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: demo test lint histories clean

# The example tool package (examples/acme-tools) is installed too: the tests load its tools
# through their entry point, as a team's own package would be.
$(STAMP): pyproject.toml examples/acme-tools/pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]' -e examples/acme-tools
	touch $(STAMP)

## demo: one agent run on the embedded server; AUTO_APPROVE=1 approves without asking
demo: $(STAMP)
	$(BIN)/overseer demo $(if $(AUTO_APPROVE),--auto-approve)

## test: lint, type-check and the test suite against a real Temporal dev server
test: $(STAMP) lint
	$(BIN)/pytest

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

## histories: re-record the saved workflow histories the replay test runs over
histories: $(STAMP)
	$(BIN)/python -m tests.record_histories

clean:
	rm -rf $(VENV) .overseer .mypy_cache .ruff_cache .pytest_cache
