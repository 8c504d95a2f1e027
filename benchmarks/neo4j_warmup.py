"""What a Neo4j server does over its first searches: a search's two statements (the vector
query at k=100 and passage_details of ten hits) run back to back on stored vectors, their
server time (the driver's result_available_after + result_consumed_after) and client time
per block of queries, and the server JVM's CPU seconds per thread group over each block
(from /proc/PID/task/*/stat: the JIT compiler threads, Bolt workers, GC, page cache).

    python benchmarks/neo4j_warmup.py --neo4j bolt://127.0.0.1:7687 --neo4j-pid PID

Run it on a server just started (or just after `citegraph ingest`) to see its read path
compiled; `--warm` first runs the store's own start-up warm-up (what `citegraph serve` does).
"""
from __future__ import annotations

import argparse
import collections
import os
import re
import sys
import time
from pathlib import Path

import numpy as np

from _common import REPO, figure

sys.path.insert(0, str(REPO))
from citegraph.graph import cypher  # noqa: E402
from citegraph.graph.neo4j import Neo4jStore  # noqa: E402
from citegraph.graph.neo4j.concepts import SCHEME_REVISION  # noqa: E402
from citegraph.graph.neo4j.records import floats  # noqa: E402

TICK = os.sysconf("SC_CLK_TCK")


def thread_cpu(pid: int | None) -> collections.Counter:
    """CPU seconds of a process's threads, summed by name without its number."""
    out: collections.Counter = collections.Counter()
    if not pid:
        return out
    for task in Path(f"/proc/{pid}/task").iterdir():
        try:
            raw = (task / "stat").read_text()
        except OSError:
            continue  # the thread ended
        name = re.sub(r"[-_ #]*\d+$", "", raw[raw.index("(") + 1:raw.rindex(")")])
        fields = raw.rsplit(")", 1)[1].split()
        out[name] += (int(fields[11]) + int(fields[12])) / TICK
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--neo4j", required=True)
    ap.add_argument("--neo4j-pid", type=int, help="the server's pid: its threads' CPU")
    ap.add_argument("--queries", type=int, default=1000)
    ap.add_argument("--block", type=int, default=100)
    ap.add_argument("--warm", action="store_true", help="the store's start-up warm-up first")
    args = ap.parse_args()
    store = Neo4jStore.connect(args.neo4j, os.environ.get("NEO4J_USER", "neo4j"),
                               os.environ.get("NEO4J_PASSWORD"))
    rows = store._read(cypher.passages_page(), after_article="", after_ordinal=-1,
                       with_embeddings=True, limit=500)
    vectors = [floats(r["embedding"]) for r in rows]
    if args.warm:
        start = time.perf_counter()
        store.load_indexes()  # as `citegraph serve` starts: the keyword index and the warm-up
        figure("load_indexes_s", time.perf_counter() - start, "s")
    timings = []
    before = thread_cpu(args.neo4j_pid)
    with store._driver.session(database=store.database) as session:
        for i in range(args.queries):
            start = time.perf_counter()
            result = session.run(cypher.vector_search().text, k=100,
                                 vector=vectors[i % len(vectors)],
                                 revision_key=SCHEME_REVISION)
            hits = result.single()["hits"]
            summary = result.consume()
            vector_server = summary.result_available_after + summary.result_consumed_after
            middle = time.perf_counter()
            result = session.run(cypher.passage_details().text, ids=[h[0] for h in hits[:10]])
            list(result)
            summary = result.consume()
            details_server = summary.result_available_after + summary.result_consumed_after
            timings.append((vector_server + details_server,
                            (time.perf_counter() - start) * 1000))
            if (i + 1) % args.block == 0:
                after = thread_cpu(args.neo4j_pid)
                spent = {k: round(v - before.get(k, 0), 2) for k, v in after.items()
                         if v - before.get(k, 0) >= 0.05}
                before = after
                block = np.array(timings[-args.block:])
                print(f"queries {i + 1 - args.block:5d}-{i:5d}: server ms median"
                      f" {np.median(block[:, 0]):4.1f} p95 {np.percentile(block[:, 0], 95):5.1f};"
                      f" client ms median {np.median(block[:, 1]):5.1f}"
                      f" p95 {np.percentile(block[:, 1], 95):6.1f}; load"
                      f" {os.getloadavg()[0]:.1f}; JVM CPU s {spent}", flush=True)
    store.close()


if __name__ == "__main__":
    main()
