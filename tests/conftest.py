"""Shared fixtures: the real embedding model (loaded once per test session) and small real
stores: the demo corpus of the repository (demo/corpus, what every gating test runs on) and,
as extra checks where a checkout has them beside it, the seed articles in
../shared/corpus/seeds (tests on them skip cleanly when ../shared is not there)."""
from __future__ import annotations

import os
import shutil
from pathlib import Path

# The test process is an entry point: the environment it sets here, before numpy and torch
# load, is what the command line sets for itself (citegraph/entry.py).
os.environ.setdefault("CITEGRAPH_THREADS", "1")  # tests share two cores; see DESIGN.md
from citegraph.settings import prepare_process  # noqa: E402

prepare_process()
import pytest  # noqa: E402

pytest_plugins = ["neo4j_support"]

REPO = Path(__file__).resolve().parent.parent
SHARED = REPO.parent / "shared"
SEEDS = SHARED / "corpus" / "seeds"
EVAL = SHARED / "eval"
DEMO = REPO / "demo" / "corpus"
DEMO_QUESTIONS = REPO / "demo" / "questions.txt"
DEMO_ARTICLES = 10  # seven files, one of them a JSONL of three records

# For tests whose facts are about the seed articles themselves: extra checks, not gates.
needs_seeds = pytest.mark.skipif(not SEEDS.is_dir(), reason="../shared/corpus/seeds is not here")


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def open_neo4j(uri: str):
    """A Neo4j store with the credentials of the test environment."""
    from citegraph.graph.neo4j import Neo4jStore

    return Neo4jStore.connect(uri, os.environ.get("NEO4J_USER", "neo4j"),
                              os.environ.get("NEO4J_PASSWORD"))


@pytest.fixture(scope="session")
def embedder():
    from citegraph.embedding import Embedder

    return Embedder(threads=int(os.environ["CITEGRAPH_THREADS"]))


@pytest.fixture(scope="session")
def demo_store_dir(tmp_path_factory, embedder):
    """A store holding the demo corpus; built once per session, copied for tests that write."""
    from citegraph.graph.sqlite_store import SQLiteStore
    from citegraph.ingest.pipeline import Pipeline

    directory = tmp_path_factory.mktemp("demo-store")
    with SQLiteStore(directory) as store:
        report = Pipeline(store, embedder).ingest_paths([str(DEMO)])
        assert report.new == DEMO_ARTICLES and not report.failed, report.failed
    return directory


def private_copy(store_dir, tmp_path):
    """An open copy of a session store, safe to write to; closed after the test."""
    from citegraph.graph.sqlite_store import SQLiteStore

    copy = tmp_path / "store"
    shutil.copytree(store_dir, copy)
    store = SQLiteStore(copy)
    yield store
    store.close()


@pytest.fixture
def demo_store(demo_store_dir, tmp_path):
    """A private copy of the demo store, safe to write to."""
    yield from private_copy(demo_store_dir, tmp_path)


@pytest.fixture(scope="session")
def seed_store_dir(tmp_path_factory, embedder):
    """A store holding the five seed articles (extra checks only: skips without ../shared)."""
    from citegraph.graph.sqlite_store import SQLiteStore
    from citegraph.ingest.pipeline import Pipeline

    if not SEEDS.is_dir():
        pytest.skip("../shared/corpus/seeds is not here")
    directory = tmp_path_factory.mktemp("seed-store")
    with SQLiteStore(directory) as store:
        report = Pipeline(store, embedder).ingest_paths([str(SEEDS)])
        assert report.new == 5 and not report.failed
    return directory


@pytest.fixture
def seed_store(seed_store_dir, tmp_path):
    """A private copy of the seed store, safe to write to."""
    yield from private_copy(seed_store_dir, tmp_path)


@pytest.fixture
def empty_store(tmp_path):
    from citegraph.graph.sqlite_store import SQLiteStore

    store = SQLiteStore(tmp_path / "empty-store")
    yield store
    store.close()
