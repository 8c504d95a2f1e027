"""The cost of a Neo4j store's keyword-index sync after another store object's delete: one
store object syncs, a second writes a two-passage article, the first syncs, the second
deletes it, and the first's sync is timed (the statements it ran printed with it).

    python benchmarks/neo4j_keyword_sync.py --neo4j bolt://127.0.0.1:7687 --rounds 7

The store is left as it was (the probe articles are deleted)."""
from __future__ import annotations

import argparse
import os
import statistics
import sys
import time

import numpy as np

from _common import REPO, figure

sys.path.insert(0, str(REPO))
from citegraph.graph.models import Article, Passage  # noqa: E402
from citegraph.graph.neo4j import Neo4jStore  # noqa: E402


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--neo4j", required=True)
    ap.add_argument("--rounds", type=int, default=7)
    args = ap.parse_args()
    auth = (os.environ.get("NEO4J_USER", "neo4j"), os.environ.get("NEO4J_PASSWORD"))
    reader, writer = Neo4jStore.connect(args.neo4j, *auth), Neo4jStore.connect(args.neo4j, *auth)
    start = time.perf_counter()
    reader._sync_keywords()
    figure("keyword_index_passages", len(reader._keyword_ids))
    figure("first_sync_s", time.perf_counter() - start, "s")
    names: list[str] = []
    read = reader._read

    def recording(statement, **parameters):
        names.append(statement.name)
        return read(statement, **parameters)

    reader._read = recording
    rng = np.random.default_rng(0)
    times = []
    for i in range(args.rounds):
        vectors = rng.standard_normal((2, 384)).astype(np.float32)
        vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
        text = "probe passage text"
        article = Article(f"probe-{i}", "Probe", text)
        writer.upsert_article(article, [Passage(Passage.make_id(article.id, j), article.id, j,
                                                text, 0, len(text), embedding=vectors[j])
                                        for j in range(2)], [])
        reader._sync_keywords()
        writer.delete_article(article.id)
        names.clear()
        start = time.perf_counter()
        reader._sync_keywords()
        times.append(time.perf_counter() - start)
        print(f"sync after a delete {times[-1] * 1000:.1f} ms: {', '.join(names)}", flush=True)
    figure("sync_after_delete_median_ms", statistics.median(times) * 1000, "ms")
    figure("load_1m", os.getloadavg()[0])
    reader.close()
    writer.close()


if __name__ == "__main__":
    main()
