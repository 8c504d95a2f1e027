"""One article write into a store of ~10k linked passages: co-occurrence kept incrementally
by the write (now) against the write followed by a full recount (before: every writer called
rebuild_cooccurrence() after its writes). No model: synthetic unit vectors and hand-made
mentions of 100 concepts (a skewed draw, 0-5 concepts a passage).

    python benchmarks/cooccurrence.py [--passages 10000] [--writes 20] [--neo4j bolt://...]

Figures, one a line (milliseconds, median over --writes replacements of one article):
    sqlite_write_incremental_ms     upsert_article alone (counts updated in its transaction)
    sqlite_write_plus_rebuild_ms    upsert_article + rebuild_cooccurrence() (count recount)
    sqlite_write_plus_v1_rebuild_ms upsert_article + the version-1 rebuild statement (pairs
                                    with their passage lists), what every write paid before
    neo4j_write_incremental_ms / neo4j_write_plus_rebuild_ms   the same on Neo4j (--neo4j)
"""
from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import REPO, figure  # noqa: E402

sys.path.insert(0, str(REPO))
from citegraph.graph.models import Article, Concept, Mention, Passage  # noqa: E402

DIM = 384
PER_ARTICLE = 8
CONCEPTS = [Concept(f"http://example.org/bench/c{i:03d}", f"concept {i}") for i in range(100)]
V1_REBUILD = [  # graph/sqlite_store.py before schema version 2, into a scratch table
    "CREATE TEMP TABLE IF NOT EXISTS v1_cooccurs (a TEXT, b TEXT, weight REAL,"
    " passages TEXT, PRIMARY KEY (a, b))",
    "DELETE FROM v1_cooccurs",
    "INSERT INTO v1_cooccurs(a, b, weight, passages)"
    " SELECT m1.iri, m2.iri, COUNT(DISTINCT m1.passage_id),"
    " json_group_array(DISTINCT m1.passage_id) FROM mentions m1 JOIN mentions m2"
    " ON m1.passage_id = m2.passage_id AND m1.iri < m2.iri GROUP BY m1.iri, m2.iri",
]


def article(rng: np.random.Generator, n: int, version: int = 0):
    aid = f"bench-{n}"
    texts = [f"passage {i} of article {n} version {version}" for i in range(PER_ARTICLE)]
    vectors = rng.standard_normal((PER_ARTICLE, DIM)).astype(np.float32)
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    passages, mentions, offset = [], [], 0
    weights = 1.0 / np.arange(1, len(CONCEPTS) + 1)  # a few concepts are everywhere
    weights /= weights.sum()
    for i, (text, vector) in enumerate(zip(texts, vectors)):
        pid = Passage.make_id(aid, i)
        passages.append(Passage(pid, aid, i, text, offset, offset + len(text), vector))
        offset += len(text) + 2
        for c in rng.choice(len(CONCEPTS), size=rng.integers(0, 6), replace=False, p=weights):
            mentions.append(Mention(pid, CONCEPTS[c].iri, float(rng.random()), "label", 0, 7,
                                    "passage"))
    body = "\n\n".join(texts)
    return (Article(aid, f"Article {n}", body, "bench", "", f"h{n}-{version}",
                    "2024-01-01T00:00:00"), passages, mentions)


def fill(store, passages: int, rng) -> int:
    store.replace_concepts(CONCEPTS)
    n = 0
    while n * PER_ARTICLE < passages:
        store.upsert_article(*article(rng, n))
        n += 1
    return n


def time_writes(store, rng, articles: int, writes: int, after=None) -> float:
    times = []
    for w in range(writes):
        record = article(rng, int(rng.integers(articles)), version=w + 1)
        started = time.perf_counter()
        store.upsert_article(*record)
        if after is not None:
            after()
        times.append(time.perf_counter() - started)
    return 1000 * statistics.median(times)


def v1_rebuild(store) -> None:
    c = store._conn()
    c.execute("BEGIN IMMEDIATE")
    for statement in V1_REBUILD:
        c.execute(statement)
    c.execute("COMMIT")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--passages", type=int, default=10_000)
    parser.add_argument("--writes", type=int, default=20)
    parser.add_argument("--neo4j", default="", help="a bolt:// URI (its graph is cleared)")
    args = parser.parse_args()

    from citegraph.graph.sqlite_store import SQLiteStore

    rng = np.random.default_rng(0)
    with tempfile.TemporaryDirectory() as tmp, SQLiteStore(Path(tmp) / "store") as store:
        started = time.perf_counter()
        articles = fill(store, args.passages, rng)
        figure("sqlite_fill_s", time.perf_counter() - started, "s")
        stats = store.stats()
        figure("sqlite_passages", stats["passages"])
        figure("sqlite_mentions", stats["mentions"])
        figure("sqlite_cooccurring_pairs", len(store.cooccurrence_counts().pairs))
        figure("sqlite_write_incremental_ms", time_writes(store, rng, articles, args.writes), "ms")
        figure("sqlite_write_plus_rebuild_ms",
               time_writes(store, rng, articles, args.writes, store.rebuild_cooccurrence), "ms")
        figure("sqlite_write_plus_v1_rebuild_ms",
               time_writes(store, rng, articles, args.writes, lambda: v1_rebuild(store)), "ms")
        started = time.perf_counter()
        for c in CONCEPTS[:20]:
            store.co_occurrences(c.iri, 20)
        figure("sqlite_co_occurrences_read_ms", 1000 * (time.perf_counter() - started) / 20, "ms")

    if args.neo4j:
        from citegraph.graph.neo4j import Neo4jStore

        with Neo4jStore.connect(args.neo4j) as store:
            store.clear()
            started = time.perf_counter()
            articles = fill(store, args.passages, rng)
            figure("neo4j_fill_s", time.perf_counter() - started, "s")
            figure("neo4j_write_incremental_ms", time_writes(store, rng, articles, args.writes),
                   "ms")
            figure("neo4j_write_plus_rebuild_ms",
                   time_writes(store, rng, articles, args.writes, store.rebuild_cooccurrence),
                   "ms")
            started = time.perf_counter()
            for c in CONCEPTS[:20]:
                store.co_occurrences(c.iri, 20)
            figure("neo4j_co_occurrences_read_ms", 1000 * (time.perf_counter() - started) / 20,
                   "ms")
            store.clear()


if __name__ == "__main__":
    main()
