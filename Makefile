# Feedlens: `make run` sets up and starts the companion; `make test` sets up and runs every test.
# Everything installs into .venv/ in this checkout.

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
# Models built for the test suite live in the checkout (not in your data directory).
TEST_MODELS := $(CURDIR)/.cache/models

.PHONY: setup run tray test harden system-deps node-deps bench dist clean

$(BIN)/feedlens: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	# torch is pinned first so nothing pulls a multi-GB CUDA build; it is only for building models.
	$(BIN)/pip install --quiet torch==2.13.0
	$(BIN)/pip install --quiet -e '.[train,test,desktop]'
	touch $(BIN)/feedlens

setup: $(BIN)/feedlens

run: setup
	$(BIN)/feedlens models build
	$(BIN)/feedlens serve

tray: setup
	$(BIN)/feedlens models build
	$(BIN)/feedlens tray

system-deps:
	bash scripts/system-deps.sh

# The extension's dev tools (a DOM library for node's test runner, web-ext for lint); no build step.
node_modules/.package-lock.json: package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error

node-deps: node_modules/.package-lock.json

test: setup system-deps node-deps
	npm test --silent
	FEEDLENS_MODELS=$(TEST_MODELS) $(BIN)/feedlens models build --quiet
	FEEDLENS_MODELS=$(TEST_MODELS) $(BIN)/pytest -q

harden: setup system-deps
	FEEDLENS_MODELS=$(TEST_MODELS) $(BIN)/feedlens models build --quiet
	FEEDLENS_MODELS=$(TEST_MODELS) $(BIN)/pytest -q tests/hardening

bench: setup
	FEEDLENS_MODELS=$(TEST_MODELS) $(BIN)/feedlens models build --quiet
	for f in bench/bench_*.py; do FEEDLENS_MODELS=$(TEST_MODELS) $(BIN)/python $$f || exit 1; done

# The one-folder desktop app (PyInstaller): dist/feedlens/. See docs/desktop.md.
dist: setup
	bash scripts/build_desktop.sh

clean:
	rm -rf $(VENV) .cache build dist .pytest_cache node_modules
