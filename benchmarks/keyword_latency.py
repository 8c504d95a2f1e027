"""BM25 keyword search in process, the store's own in-memory index as the server searches it:
p50/p95 wall and CPU time of `keyword_search` at depth 100 over SciFact's queries, and the
same ranking as FTS5's for a sample of them (scores equal, ids equal outside ties).

    python benchmarks/keyword_latency.py --store /tmp/cg-bench/syn1000000
    python benchmarks/keyword_latency.py --store STORE --queries 300 --fts-check 20

Run it from two checkouts, back to back, to compare two versions of the index on one
store; CPU time (the thread's) moves less with the machine's load than wall time does."""
from __future__ import annotations

import argparse
import sys
import time

from _common import REPO, figure, percentile, scifact_queries

sys.path.insert(0, str(REPO))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--store", required=True)
    ap.add_argument("--queries", type=int, default=300)
    ap.add_argument("--depth", type=int, default=100, help="hits a search asks for")
    ap.add_argument("--fts-check", type=int, default=10,
                    help="queries also asked of FTS5, whose rankings must agree")
    args = ap.parse_args()
    from citegraph.settings import prepare_process

    prepare_process()  # as the command line sets itself up
    from citegraph.graph.sqlite_store import SQLiteStore

    queries = scifact_queries()[:args.queries]
    with SQLiteStore(args.store, readonly=True) as store:
        start = time.perf_counter()
        info = store.keyword_index_info()
        figure("indexes_load_s", time.perf_counter() - start, "s")
        figure("keyword_documents", info["documents"])
        figure("keyword_postings", info.get("postings", 0))
        store.keyword_search(queries[0], args.depth)  # the first search's one-off work
        wall, cpu = [], []
        for query in queries:
            w, c = time.perf_counter(), time.thread_time()
            store.keyword_search(query, args.depth)
            cpu.append(time.thread_time() - c)
            wall.append(time.perf_counter() - w)
        for name, values in (("wall", wall), ("cpu", cpu)):
            figure(f"keyword_{name}_p50", 1000 * percentile(values, 50), "ms")
            figure(f"keyword_{name}_p95", 1000 * percentile(values, 95), "ms")
        disagree = 0
        for query in queries[:args.fts_check]:
            got = store.keyword_search(query, args.depth)
            want = store.fts_keyword_search(query, args.depth)
            scores = [round(h.score, 9) for h in want]
            same = (len(got) == len(want)
                    and all(abs(g.score - h.score) <= 1e-9 * max(1.0, abs(h.score))
                            for g, h in zip(got, want))
                    and all(g.passage_id == h.passage_id for i, (g, h)
                            in enumerate(zip(got, want))
                            if scores.count(scores[i]) == 1 and scores[i] != scores[-1]))
            disagree += not same
        figure("fts_checked", min(args.fts_check, len(queries)))
        figure("fts_disagreements", disagree)


if __name__ == "__main__":
    main()
