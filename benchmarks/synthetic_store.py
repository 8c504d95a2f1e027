"""A large embedded store without the model: SciFact passage texts (repeating past SciFact's
size) with synthetic unit vectors, written through SQLiteStore.upsert_article, for index,
latency and memory measurements at 100k and 1M passages.

The vectors are clustered (random centres plus noise), nearer to sentence embeddings than
uniform noise, which is the worst case for an approximate index.

    python benchmarks/synthetic_store.py --size 100000 --store /tmp/cg-100k
    python benchmarks/synthetic_store.py --size 100000 --store bolt://127.0.0.1:7687

A Neo4j URI as the store: the same articles written through Neo4jStore.upsert_articles (the
ingest's bulk path), NEO4J_BATCH_ARTICLES articles a transaction, into a database that is
extended as the embedded one is.
"""
from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

import numpy as np

from _common import REPO, figure, scifact_records

sys.path.insert(0, str(REPO))
from citegraph.graph.factory import StoreOptions, is_neo4j, open_store  # noqa: E402
from citegraph.graph.models import Article, Passage  # noqa: E402

DIM = 384
PASSAGES_PER_ARTICLE = 8
WORDS_PER_PASSAGE = 120
BATCH_ARTICLES = 32  # articles a write: 256 passages, the ingest's embedding batch
# On Neo4j each write transaction adds a segment to the vector index's Lucene index, merged
# later (scripts/neo4j/): 2,048 passages a transaction write 8 times fewer segments to merge
NEO4J_BATCH_ARTICLES = 256


def passage_texts(records: list[dict]):
    """Endless ~120-word passages cut from SciFact abstracts."""
    words = " ".join(r["text"] for r in records).split()
    i = 0
    while True:
        if i + WORDS_PER_PASSAGE > len(words):
            i = 0
        yield " ".join(words[i:i + WORDS_PER_PASSAGE])
        i += WORDS_PER_PASSAGE


def clustered_vectors(rng, centres, n: int) -> np.ndarray:
    rows = centres[rng.integers(0, len(centres), n)] + 0.6 * rng.standard_normal((n, DIM))
    return (rows / np.linalg.norm(rows, axis=1, keepdims=True)).astype(np.float32)


def build(size: int, store_spec: str, seed: int = 0) -> int:
    rng = np.random.default_rng(seed)
    centres = rng.standard_normal((2000, DIM))
    records = scifact_records()
    texts = passage_texts(records)
    options = StoreOptions(neo4j_user=os.environ.get("NEO4J_USER", "neo4j"),
                           neo4j_password=os.environ.get("NEO4J_PASSWORD"))
    batch_articles = NEO4J_BATCH_ARTICLES if is_neo4j(store_spec) else BATCH_ARTICLES
    with open_store(store_spec, options=options) as store:
        have = store.stats()["passages"]
        n_article = have // PASSAGES_PER_ARTICLE
        batch = []
        while have < size:
            vectors = clustered_vectors(rng, centres, PASSAGES_PER_ARTICLE)
            aid = f"syn-{n_article}"
            bodies = [next(texts) for _ in range(PASSAGES_PER_ARTICLE)]
            text, passages, offset = "", [], 0
            for i, (body, vector) in enumerate(zip(bodies, vectors)):
                passages.append(Passage(Passage.make_id(aid, i), aid, i, body, offset,
                                        offset + len(body), embedding=vector))
                text += body + "\n\n"
                offset = len(text)
            title = records[n_article % len(records)]["title"]
            batch.append((Article(aid, title, text, "synthetic", "", aid, ""), passages, []))
            have += PASSAGES_PER_ARTICLE
            n_article += 1
            if len(batch) == batch_articles or have >= size:
                store.upsert_articles(batch)
                batch = []
    return have


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--size", type=int, required=True, help="passages")
    ap.add_argument("--store", required=True,
                    help="store directory or Neo4j URI (extended if present)")
    args = ap.parse_args()
    start = time.perf_counter()
    spec = args.store if is_neo4j(args.store) else str(Path(args.store))
    figure("synthetic_passages", build(args.size, spec))
    figure("synthetic_build_s", time.perf_counter() - start, "s")


if __name__ == "__main__":
    main()
