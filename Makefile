# The two commands of the README: `make demo` and `make test`. Everything else is a step.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
export HF_HUB_OFFLINE := 1
export TRANSFORMERS_OFFLINE := 1
DEMO_STORE ?= ./citegraph-data

.PHONY: setup demo test test-deps clean

$(STAMP): requirements.txt requirements-dev.txt pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -r requirements-dev.txt
	$(BIN)/pip install --quiet --no-deps -e .
	touch $(STAMP)

setup: $(STAMP)

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

clean:
	rm -rf $(VENV) $(DEMO_STORE)

# The store contract suite and the migrate round trip against a live Neo4j, started with
# docker compose (needs a Docker engine; uses .env, made from .env.example when missing).
.PHONY: test-neo4j
test-neo4j: setup
	test -f .env || cp .env.example .env
	docker compose up --detach --wait neo4j
	set -a && . ./.env && set +a && NEO4J_URI=bolt://localhost:$${NEO4J_BOLT_PORT:-7687} \
		$(BIN)/python -m pytest tests/test_store_contract.py tests/test_migrate.py -rs
