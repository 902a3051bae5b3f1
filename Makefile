# Tongchou: `make demo` and `make test` each bootstrap .venv/ from the lock.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: test demo venv lock system-deps demo-deps postgres policy-test assets clean

venv: $(STAMP)

$(STAMP): pyproject.toml requirements.lock
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -r requirements.lock
	$(BIN)/python -m pip install -q --no-deps -e .
	touch $(STAMP)

system-deps:
	bash scripts/ensure-system.sh test

demo-deps:
	bash scripts/ensure-system.sh demo

assets:
	bash scripts/build-assets.sh

postgres:
	bash scripts/ensure-postgres.sh

test: venv system-deps postgres assets
	$(BIN)/pytest

# like `make test`: the system packages first (npm fetches the pinned echarts and htmx), then the assets
demo: venv demo-deps
	bash scripts/build-assets.sh
	$(BIN)/tongchou demo

policy-test: venv
	$(BIN)/tongchou policy test

# Regenerate the lock after changing pyproject.toml (needs uv: pip install uv).
lock:
	uv pip compile pyproject.toml --extra dev --python-version 3.11 -o requirements.lock

clean:
	rm -rf $(VENV) .pytest_cache .hypothesis
