"""Throughput under load: N concurrent clients (threads, one keep-alive connection each)
sending SciFact queries to `GET /api/search` on `citegraph serve` for a fixed time.

    python benchmarks/load.py --store /tmp/cg-bench/ingest10k/store --clients 8 --seconds 60
"""
from __future__ import annotations

import argparse
import http.client
import threading
import time
from urllib.parse import quote

from _common import Server, figure, percentile, scifact_queries


def client(port: int, queries: list[str], offset: int, stop: float, latencies: list,
           errors: list) -> None:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    i = offset
    while time.perf_counter() < stop:
        q = queries[i % len(queries)]
        i += 1
        start = time.perf_counter()
        try:
            conn.request("GET", f"/api/search?q={quote(q)}&k=10")
            response = conn.getresponse()
            response.read()
            if response.status != 200:
                errors.append(response.status)
                continue
        except (OSError, http.client.HTTPException) as exc:
            errors.append(type(exc).__name__)
            conn.close()
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
            continue
        latencies.append(time.perf_counter() - start)
    conn.close()


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--store", required=True)
    ap.add_argument("--clients", type=int, default=8)
    ap.add_argument("--seconds", type=float, default=60)
    ap.add_argument("--threads", type=int, default=0, help="inference threads in the server; 0: its own choice")
    args = ap.parse_args()
    queries = scifact_queries()
    latencies: list[float] = []
    errors: list = []
    with Server(args.store, threads=args.threads) as server:
        stop = time.perf_counter() + args.seconds
        workers = [threading.Thread(target=client, args=(server.port, queries, 97 * n, stop,
                                                         latencies, errors))
                   for n in range(args.clients)]
        for w in workers:
            w.start()
        for w in workers:
            w.join()
        rss = server.peak_rss_mib()
    figure("clients", args.clients)
    figure("requests", len(latencies))
    figure("requests_per_s", len(latencies) / args.seconds, "req/s")
    figure("p50_ms", percentile(latencies, 50) * 1000 if latencies else float("nan"), "ms")
    figure("p95_ms", percentile(latencies, 95) * 1000 if latencies else float("nan"), "ms")
    figure("errors", len(errors))
    figure("server_peak_rss", rss, "MiB")


if __name__ == "__main__":
    main()
