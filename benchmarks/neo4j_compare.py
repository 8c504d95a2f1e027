"""Neo4j beside the embedded store, each run as a user runs it (the `citegraph` command and
server): ingest passages/s (paired whole processes, alternating), `/api/search` p50/p95 over
the same queries (alternating between two running servers), and the recall@10 of Neo4j's
approximate vector index against exact search over the same stored vectors.

    python benchmarks/neo4j_compare.py --neo4j bolt://127.0.0.1:7687 --articles 2000 --rounds 1
    python benchmarks/neo4j_compare.py --neo4j bolt://127.0.0.1:7687 --size 2000 --rounds 2
    python benchmarks/neo4j_compare.py --neo4j bolt://… --search-only --embedded STORE

`--articles N`: the first N SciFact abstracts as they are (as ingest_ratio.py takes them);
`--size N`: SciFact cut to N passages. Every figure is printed with the load average of the
minute before it (`load_1m`), the machine being shared. The same-top-10 figure is the share
of queries whose ten results come from the same articles on both stores.

The Neo4j database named is emptied first (not with `--as-is`). `--embedded STORE` with
`--search-only` copies an existing embedded store (e.g. a synthetic 100k one) into Neo4j
with `citegraph migrate`."""
from __future__ import annotations

import argparse
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import quote

import numpy as np

from _common import (CITEGRAPH, REPO, Server, build_corpus, figure, http_get, percentile,
                     run_timed, scifact_queries)
from ingest_ratio import first_articles

sys.path.insert(0, str(REPO))


def neo4j_store(uri: str):
    from citegraph.graph.neo4j import Neo4jStore

    return Neo4jStore.connect(uri, os.environ.get("NEO4J_USER", "neo4j"),
                              os.environ.get("NEO4J_PASSWORD"))


def clear(uri: str) -> None:
    with neo4j_store(uri) as store:
        store.clear()


def load_average() -> None:
    figure("load_1m", os.getloadavg()[0])


def children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def process_cpu(pid: int | None) -> float:
    """CPU seconds of a running process (the local Neo4j JVM), 0 without one."""
    if not pid:
        return 0.0
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def ingest_pair(uri: str, corpus: Path, rounds: int, work: Path,
                server_pid: int | None = None) -> None:
    """Whole `citegraph ingest` processes, Neo4j then embedded each round: wall seconds, and
    the CPU seconds of the process (plus the Neo4j server's, given its pid), which the
    machine's other load disturbs less than the wall time."""
    neo, emb = [], []
    for r in range(rounds):
        clear(uri)
        cpu, server = children_cpu(), process_cpu(server_pid)
        neo.append(run_timed([CITEGRAPH, "ingest", str(corpus), "--store", uri])[0])
        neo_cpu, server = children_cpu() - cpu, process_cpu(server_pid) - server
        figure(f"ingest_neo4j_round{r}_s", neo[-1], "s")
        figure(f"ingest_neo4j_round{r}_cpu_s", neo_cpu, "s")
        if server_pid:
            figure(f"ingest_neo4j_round{r}_server_cpu_s", server, "s")
        load_average()
        target = work / f"embedded-{r}"
        shutil.rmtree(target, ignore_errors=True)
        cpu = children_cpu()
        emb.append(run_timed([CITEGRAPH, "ingest", str(corpus), "--store", str(target)])[0])
        emb_cpu = children_cpu() - cpu
        figure(f"ingest_embedded_round{r}_s", emb[-1], "s")
        figure(f"ingest_embedded_round{r}_cpu_s", emb_cpu, "s")
        figure(f"ingest_round{r}_cpu_neo4j_over_embedded", (neo_cpu + server) / emb_cpu)
        load_average()
    with neo4j_store(uri) as store:
        passages = store.stats()["passages"]
    figure("passages", passages)
    figure("ingest_neo4j_s", min(neo), "s")
    figure("ingest_embedded_s", min(emb), "s")
    figure("ingest_neo4j_passages_per_s", passages / min(neo))
    figure("ingest_embedded_passages_per_s", passages / min(emb))
    figure("ingest_neo4j_over_embedded", min(neo) / min(emb))


def top_articles(body: bytes) -> list[str]:
    import json

    return [r["article_id"] for r in json.loads(body)["results"]]


def search_pair(uri: str, embedded: str, queries: list[str]) -> None:
    times = {"neo4j": [], "embedded": []}
    same = 0
    with Server(uri) as neo, Server(embedded) as emb:
        servers = {"neo4j": neo, "embedded": emb}
        for q in queries[:10]:
            for server in servers.values():
                http_get(f"{server.url}/api/search?q={quote(q)}&k=10")
        load_average()
        for q in queries:
            articles = {}
            for name, server in servers.items():
                start = time.perf_counter()
                status, body = http_get(f"{server.url}/api/search?q={quote(q)}&k=10")
                times[name].append(time.perf_counter() - start)
                if status != 200:
                    sys.exit(f"benchmarks: {name} /api/search answered {status}: {body[:200]!r}")
                articles[name] = top_articles(body)
            same += set(articles["neo4j"]) == set(articles["embedded"])
    for name, values in times.items():
        figure(f"search_{name}_p50_ms", percentile(values, 50) * 1000, "ms")
        figure(f"search_{name}_p95_ms", percentile(values, 95) * 1000, "ms")
    figure("search_p95_neo4j_over_embedded",
           percentile(times["neo4j"], 95) / percentile(times["embedded"], 95))
    figure("search_same_top10_articles", same / len(queries))
    load_average()


def vector_recall(uri: str, samples: int = 200, k: int = 10) -> None:
    """Recall@k of Neo4j's vector index against exact top-k, querying with sample stored
    vectors (each query's own passage left out of both lists)."""
    with neo4j_store(uri) as store:
        rows = [(p.id, p.embedding) for p in store.iter_passages(with_embeddings=True)]
        ids = [r[0] for r in rows]
        matrix = np.stack([r[1] for r in rows]).astype(np.float32)
        rng = np.random.default_rng(0)
        picked = rng.choice(len(ids), size=min(samples, len(ids)), replace=False)
        total = 0.0
        for i in picked:
            scores = matrix @ matrix[i]
            top = np.argsort(-scores)[:k + 1]
            want = [ids[j] for j in top if j != i][:k]
            got = [h.passage_id for h in store.vector_search(matrix[i], k + 1)
                   if h.passage_id != ids[i]][:k]
            total += len(set(want) & set(got)) / len(want)
    figure("neo4j_vector_recall_at_10", total / len(picked))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--neo4j", required=True, help="bolt:// URI of a Neo4j to empty and use")
    ap.add_argument("--size", type=int, default=2000, help="passages of SciFact to ingest")
    ap.add_argument("--articles", type=int, help="instead of --size: the first N abstracts")
    ap.add_argument("--rounds", type=int, default=2)
    ap.add_argument("--queries", type=int, default=100)
    ap.add_argument("--search-only", action="store_true")
    ap.add_argument("--neo4j-pid", type=int,
                    help="the local Neo4j server's pid: its CPU seconds during the ingest")
    ap.add_argument("--recall-samples", type=int, default=200,
                    help="stored vectors asked for the index's recall@10 (0: not measured;"
                         " it reads every vector over Bolt)")
    ap.add_argument("--embedded", help="with --search-only: an embedded store to copy")
    ap.add_argument("--as-is", action="store_true",
                    help="with --search-only: search the Neo4j database as it is (the same"
                         " articles as --embedded, e.g. both ingested by an earlier run)")
    args = ap.parse_args()
    work = Path(tempfile.mkdtemp(prefix="cg-neo4j-bench-"))
    try:
        if args.search_only:
            embedded = args.embedded
            if not args.as_is:
                clear(args.neo4j)
                start = time.perf_counter()
                subprocess.run([CITEGRAPH, "migrate", "--from", embedded, "--to", args.neo4j],
                               check=True, stdout=subprocess.DEVNULL)
                figure("migrate_s", time.perf_counter() - start, "s")
        else:
            corpus = work / "corpus.jsonl"
            if args.articles:
                first_articles(args.articles, corpus)
                figure("corpus_articles", args.articles)
            else:
                figure("corpus_passages", build_corpus(args.size, corpus))
            ingest_pair(args.neo4j, corpus, args.rounds, work, args.neo4j_pid)
            embedded = str(work / f"embedded-{args.rounds - 1}")
        search_pair(args.neo4j, embedded, scifact_queries()[:args.queries])
        if args.recall_samples:
            vector_recall(args.neo4j, args.recall_samples)
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
