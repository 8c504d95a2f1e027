"""The store's vector index at scale: build (or load) it the way the server does, then print
its kind, its recall@10 against exact search, and search latency of exact vs HNSW alone; and
where the server's memory goes: the process's resident memory once both in-memory indexes are
up, the HNSW graph's own bytes and the BM25 postings' bytes.

    python benchmarks/ann_recall.py --store /tmp/cg-bench/syn100000 --threshold 50000
    python benchmarks/ann_recall.py --store STORE --ann-precision f16   # the float16 graph
"""
from __future__ import annotations

import argparse
import sys
import time

import numpy as np

from _common import REPO, figure, percentile

sys.path.insert(0, str(REPO))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--store", required=True)
    ap.add_argument("--threshold", type=int, default=None,
                    help="the store's ann_threshold (default: the store's own)")
    ap.add_argument("--queries", type=int, default=200)
    ap.add_argument("--ann-precision", default="i8", choices=("i8", "f16"),
                    help="the HNSW graph's vectors (i8: candidates rescored with float32)")
    args = ap.parse_args()
    from citegraph.settings import prepare_process

    prepare_process()  # as the command line sets itself up (numpy's BLAS on one thread)
    from citegraph.graph.sqlite_store import SQLiteStore
    from citegraph.graph.vectors import ExactIndex, measure_recall

    with SQLiteStore(args.store, ann_threshold=args.threshold,
                     ann_precision=args.ann_precision) as store:
        start = time.perf_counter()
        info = store.vector_index_info()
        figure("index_load_or_build_s", time.perf_counter() - start, "s")
        for key in ("kind", "vectors", "recall_at_10", "expansion_search", "threshold",
                    "precision", "rescored"):
            if key in info:
                figure(f"index_{key}", info[key])
        figure("indexes_up_rss", _rss_mib("VmRSS"), "MiB")
        figure("indexes_up_peak_rss", _rss_mib("VmHWM"), "MiB")
        index = store._index  # the store's own index object, as searched by the server
        if hasattr(index._active, "memory_bytes"):
            figure("hnsw_bytes", index._active.memory_bytes / 2**20, "MiB")
        figure("bm25_postings_bytes", _postings_bytes(store._keywords) / 2**20, "MiB")
        exact = ExactIndex()
        exact.add(*_stored(store))
        if index.kind == "hnsw":  # recall on fresh sample queries, not the ones used to tune
            figure("hnsw_recall_at_10_check", measure_recall(exact, index, seed=1))
            figure("hnsw_recall_at_100_check", measure_recall(exact, index, k=100, seed=1))
        rng = np.random.default_rng(2)
        queries = exact.matrix[rng.choice(len(exact), args.queries, replace=False)]
        for name, searcher in (("exact", exact), (index.kind, index)):
            times = []
            for q in queries:
                t = time.perf_counter()
                searcher.search(q, 100)
                times.append(time.perf_counter() - t)
            figure(f"{name}_top100_p50_ms", percentile(times, 50) * 1000, "ms")
            figure(f"{name}_top100_p95_ms", percentile(times, 95) * 1000, "ms")


def _rss_mib(field: str) -> int:
    for line in open("/proc/self/status"):
        if line.startswith(field + ":"):
            return int(line.split()[1]) // 1024
    return 0


def _postings_bytes(keywords) -> int:
    """The keyword index's arrays: every segment's CSR and the per-document columns."""
    total = sum(s.matrix.data.nbytes + s.matrix.indices.nbytes + s.matrix.indptr.nbytes
                for s in keywords._segments)
    return total + keywords._keys.nbytes + keywords._lengths.nbytes + keywords._alive.nbytes


def _stored(store):
    rows = store._conn().execute("SELECT rowid, embedding FROM passages ORDER BY rowid")
    keys, blobs = zip(*rows)
    return (np.array(keys, dtype=np.int64),
            np.frombuffer(b"".join(blobs), dtype=np.float32).reshape(len(keys), 384))


if __name__ == "__main__":
    main()
