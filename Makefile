# The two commands of the README: `make demo` and `make test`. Everything else is a step.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
export HF_HUB_OFFLINE := 1
export TRANSFORMERS_OFFLINE := 1
DEMO_STORE ?= ./citegraph-data

.PHONY: setup demo test test-deps typecheck clean

$(STAMP): requirements.txt requirements-dev.txt pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -r requirements-dev.txt
	$(BIN)/pip install --quiet --no-deps -e .
	touch $(STAMP)

setup: $(STAMP)
	bash tools/web-assets/install.sh

demo: setup
	$(BIN)/citegraph ingest demo/corpus --store $(DEMO_STORE)
	$(BIN)/citegraph ask "Who should own customer analytics?" --store $(DEMO_STORE)
	$(BIN)/citegraph serve --store $(DEMO_STORE)

# What the tests need beyond Python: headless Chromium for the page tests and Neo4j's own
# Cypher analyser (npm) for the Neo4j backend's statements.
test-deps:
	bash scripts/install-browser.sh
	bash scripts/install-cypher-lint.sh

test: setup test-deps
	$(BIN)/python -m pytest

# mypy over the product code (pytest runs it too: tests/test_types.py)
typecheck: setup
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
test-neo4j: setup
	$(BIN)/python -m pytest -m neo4j -rs
