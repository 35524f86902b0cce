# Two entry points (see README): `make quickstart` and `make test`. Each installs what it needs.
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
LOCAL_STAMP := $(VENV)/.local-installed
DEV_STAMP := $(VENV)/.dev-installed
EXAMPLE := examples/quickstart

.PHONY: quickstart test lint typecheck unit bench clean

$(BIN)/python:
	$(PY) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip

$(LOCAL_STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/pip install -q -e '.[local]'
	touch $@

$(DEV_STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/pip install -q -e '.[dev]'
	touch $@ $(LOCAL_STAMP)

quickstart: $(LOCAL_STAMP)
	printf %s 'https://hooks.slack.com/services/EXAMPLE' | $(BIN)/orchestrator secret set --env local --meta $(EXAMPLE)/meta.pb SlackWebhookURL
	$(BIN)/orchestrator deploy --env local --meta $(EXAMPLE)/meta.pb --app-root $(EXAMPLE) --yes
	$(BIN)/orchestrator verify --env local
	@echo
	@echo "Run your app against it:   $(BIN)/orchestrator run --env local -- <your app command>"
	@echo "Or export its variables:   eval \"\$$($(BIN)/orchestrator env-vars --env local)\""
	@echo "Tear it down:              $(BIN)/orchestrator destroy --env local --yes"

lint: $(DEV_STAMP)
	$(BIN)/ruff check .
	$(BIN)/python -m runtime_config.schema.regen --check

typecheck: $(DEV_STAMP)
	$(BIN)/pyright providers orchestrator runtime_config

unit: $(DEV_STAMP)
	$(BIN)/python -m pytest

test: lint typecheck unit

bench: $(DEV_STAMP)
	$(BIN)/python -m bench.run

clean:
	rm -rf $(VENV) .orchestrator *.egg-info .pytest_cache .hypothesis .ruff_cache
