# One command per task; CI runs `make test` (see .ci/run).
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
PY := $(BIN)/python
STAMP := $(VENV)/.installed
PYTEST_ARGS ?=

.PHONY: install tools run test unit lint typecheck fmt bench eval fuzz clean

$(STAMP): pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[all,dev]'
	touch $(STAMP)

## install: create .venv and install kubesmith with every optional extra and the dev tools
install: $(STAMP)

## tools: build the pinned Go tools (kubeconform, kube-apiserver, etcd, ...) into the tool cache
tools: $(STAMP)
	$(BIN)/kubesmith tools install

## run: propose a change on a temporary copy of the example repository, offline, and open a local PR
run: $(STAMP)
	$(PY) examples/run_demo.py $(if $(REPO),--repo $(REPO),)

## lint: ruff lint and format check; the import contracts (layers, no cycles) in pyproject.toml
lint: $(STAMP)
	$(BIN)/ruff check kubesmith tests examples benchmarks
	$(BIN)/ruff format --check kubesmith tests examples benchmarks
	$(BIN)/lint-imports --no-cache

## typecheck: mypy --strict on the package
typecheck: $(STAMP)
	$(BIN)/mypy

## fmt: apply ruff's formatting and safe fixes
fmt: $(STAMP)
	$(BIN)/ruff check --fix kubesmith tests examples benchmarks
	$(BIN)/ruff format kubesmith tests examples benchmarks

## unit: the fast tests only (no process, terminal, server, external binary or corpus sweep), on every core
UNIT_JOBS ?= auto
unit: $(STAMP)
	$(BIN)/pytest -m "not integration and not slow" -n $(UNIT_JOBS) -q $(PYTEST_ARGS)

## test: everything: tools, lint, type check, unit and integration tests
test: $(STAMP) tools lint typecheck
	$(BIN)/pytest -q $(PYTEST_ARGS)

## fuzz: the fuzz suite (tests/fuzz) with many random examples; `make unit`/`make test` run it briefly
FUZZ_EXAMPLES ?= 2000
fuzz: $(STAMP)
	KUBESMITH_FUZZ_PROFILE=fuzz KUBESMITH_FUZZ_EXAMPLES=$(FUZZ_EXAMPLES) $(BIN)/pytest tests/fuzz -q -p no:cacheprovider --hypothesis-show-statistics $(PYTEST_ARGS)

## eval: the builtin eval suite, offline and with replayed (hand-written) model turns; prints the scores
EVAL_DIR ?= eval-runs/make
EVAL_JOBS ?= 2
eval: $(STAMP)
	rm -rf $(EVAL_DIR)/builtin-offline $(EVAL_DIR)/builtin-replay
	$(BIN)/kubesmith eval --suite builtin --planner offline -j $(EVAL_JOBS) --output-dir $(EVAL_DIR)/builtin-offline
	$(BIN)/kubesmith eval --suite builtin --planner auto --replay scripts -j $(EVAL_JOBS) --output-dir $(EVAL_DIR)/builtin-replay
	$(BIN)/kubesmith eval compare $(EVAL_DIR)/builtin-offline $(EVAL_DIR)/builtin-replay

## bench: performance benchmarks; results in .bench/ and summarised on stdout
bench: $(STAMP) tools
	$(PY) -m benchmarks

clean:
	rm -rf $(VENV) .mypy_cache .ruff_cache .pytest_cache .bench
