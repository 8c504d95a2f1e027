"""Searches of the embedded store from many threads (a server's clients): a catch-up with
another writer's rows has the vector index to itself, and every result is the one a search
alone gets. The index is searched one thread at a time (a mutex): a readers-writer lock that
let searches overlap gained nothing measurable on 2 cores (benchmarks/README.md, "Concurrent
searches"), so the simpler code stayed. A real store (generated vectors, no model) with an
int8 HNSW graph whose candidates are rescored from the file."""
from __future__ import annotations

import threading

import numpy as np
import pytest

from test_vectors import DIM, clustered, generated_store, unit

N = 3000


@pytest.fixture
def hnsw_store(tmp_path):
    from citegraph.graph.sqlite_store import SQLiteStore

    vectors = clustered(N, seed=5)
    generated_store(tmp_path / "store", vectors)
    rng = np.random.default_rng(6)
    queries = unit(vectors[rng.choice(N, 64, replace=False)]
                   + 0.05 * rng.standard_normal((64, DIM)))
    with SQLiteStore(tmp_path / "store", ann_threshold=1000, ann_precision="i8") as store:
        info = store.vector_index_info()
        assert info["kind"] == "hnsw" and info["rescored"]
        yield store, queries


class Gate:
    """Holds the first search of `thread_name` inside the index (in its rescoring read)
    until released: a search in flight, at a point of our choosing."""

    def __init__(self, store, thread_name: str):
        self.hnsw = store._index._active
        self.real = self.hnsw.exact_vectors
        self.inside, self.release = threading.Event(), threading.Event()
        self.thread_name = thread_name
        self.hnsw.exact_vectors = self.read

    def read(self, keys):
        if threading.current_thread().name == self.thread_name and not self.inside.is_set():
            self.inside.set()
            assert self.release.wait(60)
        return self.real(keys)


def ids(hits) -> list[tuple[str, float]]:
    return [(h.passage_id, round(h.score, 6)) for h in hits]


def searching(store, query, k, out: list, name: str) -> threading.Thread:
    thread = threading.Thread(target=lambda: out.append(ids(store.vector_search(query, k))),
                              name=name, daemon=True)
    thread.start()
    return thread


def test_a_catch_up_waits_for_searches_in_flight_and_the_next_search_sees_the_write(
        hnsw_store, tmp_path):
    """Another process's write (here another store object on the file) is caught up with
    by the next search, which waits for the search in flight (the index is changed only
    with no search inside it) and then finds the new passage."""
    from citegraph.graph.models import Article, Passage
    from citegraph.graph.sqlite_store import SQLiteStore

    store, queries = hnsw_store
    alone = ids(store.vector_search(queries[0], 10))
    target = unit(np.random.default_rng(7).standard_normal((1, DIM)))[0]
    gate = Gate(store, "held")
    held: list = []
    first = searching(store, queries[0], 10, held, "held")
    try:
        assert gate.inside.wait(30)
        with SQLiteStore(tmp_path / "store", ann_threshold=0) as writer:
            writer.upsert_articles([(Article("new", "new", "a new passage", "test", "", "new",
                                             ""),
                                     [Passage(Passage.make_id("new", 0), "new", 0,
                                              "a new passage", 0, 13, embedding=target)],
                                     [])])
        after: list = []
        second = searching(store, target, 3, after, "after")
        second.join(timeout=1.0)
        assert second.is_alive(), "the index was caught up with a search inside it"
    finally:
        gate.release.set()
    first.join(timeout=30)
    second.join(timeout=30)
    assert after and after[0][0][0] == Passage.make_id("new", 0)
    assert held == [alone]  # the search in flight answered from the index it started on


def test_eight_threads_get_what_one_search_alone_gets(hnsw_store):
    """Top-10 and top-100 from eight threads at once equal the same searches run one by
    one."""
    store, queries = hnsw_store
    store.vector_search(queries[0], 100)  # the widest beam these searches use
    alone = {(i, k): ids(store.vector_search(q, k)) for i, q in enumerate(queries)
             for k in (10, 100)}
    got: dict = {}
    barrier = threading.Barrier(8)

    def client(n: int) -> None:
        barrier.wait()
        for i in range(n, len(queries), 8):
            for k in (10, 100):
                got[(i, k)] = ids(store.vector_search(queries[i], k))

    threads = [threading.Thread(target=client, args=(n,)) for n in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert got == alone
