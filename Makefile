# Two commands on a fresh machine (Python >= 3.10 and make):
#   make demo   set up .venv and serve the lessons with Voila on http://127.0.0.1:8866
#   make test   set up .venv and run the whole test suite (make test-quick: the fast part),
#               figure.js's unit tests with node included

PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
HOST   ?= 127.0.0.1
PORT   ?= 8866
PYTEST_ARGS ?=

.PHONY: demo test test-quick test-js lab torch bench clean slides

$(BIN)/python:
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 10) else "bpttviz needs Python >= 3.10: make ... PYTHON=python3.X")'
	$(PYTHON) -m venv $(VENV)

# One stamp per extra: reinstall when pyproject.toml changes.
$(VENV)/.app: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e '.[app]'
	touch $@

$(VENV)/.dev: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $@

demo: $(VENV)/.app
	$(BIN)/bpttviz serve --host $(HOST) --port $(PORT)

# The lessons as a reveal.js lecture deck: arrow keys turn the slides, each app live on one.
slides: $(VENV)/.app
	$(BIN)/bpttviz slides --host $(HOST) --port $(PORT)

# JupyterLab on a working copy of the lessons in LAB_DIR (git-ignored), never on notebooks/:
# its autosave rewrites a notebook's metadata the moment it is opened. Lessons missing there
# are copied in; those already there, edited or not, are kept. As root (a container)
# JupyterLab refuses to start without --allow-root.
LAB_DIR ?= .lab
LAB_ROOT := $(if $(filter 0,$(shell id -u)),--allow-root)
LAB_SERVER = --no-browser --ServerApp.ip=$(HOST) --ServerApp.port=$(PORT) --ServerApp.port_retries=0

# On HOST:PORT like the lessons (make lab PORT=8871); no browser is opened (a container or a
# server has none): open the address JupyterLab prints, with its token.
lab: $(VENV)/.app
	$(BIN)/bpttviz lessons $(LAB_DIR) --keep-existing
	$(BIN)/jupyter lab $(LAB_ROOT) $(LAB_SERVER) $(LAB_DIR)

# Optional: the CPU PyTorch used only as an independent cross-check.
torch: | $(BIN)/python
	$(BIN)/python -m pip install --quiet torch==2.13.0

# The tests run on every core (pytest-xdist; PYTEST_WORKERS=0: in one process), each worker
# taking them in the suite's order. A part: make test PYTEST_ARGS="tests/test_engine.py".
# pytest exits 5 when it collected nothing: an empty suite must not pass.
PYTEST_WORKERS ?= auto
define pytest
	@$(BIN)/python -m pytest -n $(PYTEST_WORKERS) $(1) $(PYTEST_ARGS); \
	status=$$?; \
	if [ $$status -eq 5 ]; then echo "pytest collected no tests" >&2; exit 1; fi; \
	exit $$status
endef

# figure.js's unit tests (tests/js) with Node.js's own test runner, after pytest (whose suite
# runs make test itself). The files are named by the shell: node 21 and later would take the
# folder tests/js/ for a file.
NODE ?= node
define nodetest
	@if ! command -v $(NODE) >/dev/null 2>&1; then \
	    echo "node is missing: figure.js's unit tests (tests/js) need Node.js 18 or newer" \
	        "(on Debian: apt-get install nodejs)" >&2; exit 1; \
	elif ! $(NODE) -e 'process.exit(+process.versions.node.split(".")[0] >= 18 ? 0 : 1)'; then \
	    echo "node $$($(NODE) --version) is too old: figure.js's unit tests (tests/js) need" \
	        "Node.js 18 or newer" >&2; exit 1; \
	fi
	$(NODE) --test tests/js/*.test.mjs
endef

# The whole suite: what CI runs.
test: $(VENV)/.dev
	$(call pytest)
	$(call nodetest)

# The edit-test loop: everything but the browser and the slow tests.
test-quick: $(VENV)/.dev
	$(call pytest,-m "not browser and not slow")
	$(call nodetest)

# figure.js's unit tests alone (no Python needed).
test-js:
	$(call nodetest)

bench: $(VENV)/.dev
	$(BIN)/python -m benchmarks

clean:
	rm -rf $(VENV) build *.egg-info .pytest_cache test-artifacts
