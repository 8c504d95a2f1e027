"""Soak: N clients (8) mixing searches, ingests and deletes against `citegraph serve` on
127.0.0.1 for a fixed time, on the embedded store or on a private Neo4j (stopped and started
again midway with --restart: requests then fail with a clean 503 and recover). After the run
the store is checked: every article a client last saw stored is there, every one it deleted
is gone, the counts agree and no passage or mention is left without its article.

    python benchmarks/soak.py --backend sqlite --seconds 600
    python benchmarks/soak.py --backend neo4j --seconds 600 --restart

Figures, one a line: requests, by kind and status; errors (anything but 2xx, the documented
404 of deleting what another client deleted, and 503 while Neo4j is down); p50/p95 per kind;
503s and the seconds from Neo4j being back to the first good answer; the store check.
"""
from __future__ import annotations

import argparse
import http.client
import json
import random
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from urllib.parse import quote

from _common import CITEGRAPH, REPO, Server, clean_env, figure, percentile, scifact_queries, \
    scifact_records

TOKEN = "soak-token-0123456789"
SEED_ARTICLES = 300
MIX = (("search", 0.7), ("ingest", 0.2), ("delete", 0.1))
TIMEOUT = 60  # seconds a request may take before it counts as an error


class Tally:
    def __init__(self):
        self.lock = threading.Lock()
        self.status: dict[tuple[str, object], int] = {}
        self.latency: dict[str, list[float]] = {}
        self.errors: list[str] = []
        self.unavailable: list[float] = []  # times of 503s
        self.began = time.monotonic()
        self.good: list[float] = []  # times of 2xx answers

    def add(self, kind: str, status, seconds: float, ok: bool, detail: str = "") -> None:
        sent = time.monotonic() - seconds - self.began
        with self.lock:
            self.status[(kind, status)] = self.status.get((kind, status), 0) + 1
            self.latency.setdefault(kind, []).append(seconds)
            now = time.monotonic()
            if status == 503:
                self.unavailable.append(now)
            elif ok:
                self.good.append(now)
            else:
                self.errors.append(f"{kind} {status} sent at {sent:.0f} s, took {seconds:.1f} s:"
                                   f" {detail[:200]}")


def client(n: int, port: int, stop: float, queries: list[str], texts: list[dict],
           tally: Tally, live: dict, gone: set, uncertain: set,
           allowed_503: threading.Event) -> None:
    rng = random.Random(n)
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=TIMEOUT)
    mine: list[str] = []
    counter = 0
    auth = {"Authorization": f"Bearer {TOKEN}", "Content-Type": "application/json"}
    while time.monotonic() < stop:
        kind = rng.choices([k for k, _ in MIX], [w for _, w in MIX])[0]
        if kind == "delete" and not mine:
            kind = "ingest"
        if kind == "search":
            method, path, body, headers = ("GET", f"/api/search?q={quote(rng.choice(queries))}"
                                           "&k=10", None, {})
        elif kind == "ingest":
            record = rng.choice(texts)
            counter += 1
            article_id = f"soak/c{n}/{counter}"
            method, path, headers = "POST", "/api/articles", auth
            body = json.dumps({"id": article_id, "title": record.get("title") or article_id,
                               "text": record["text"], "source": "soak"}).encode()
        else:
            article_id = mine.pop(rng.randrange(len(mine)))
            method, path, body, headers = "DELETE", f"/api/articles/{quote(article_id)}", None, auth
        start = time.monotonic()
        try:
            conn.request(method, path, body=body, headers=headers)
            response = conn.getresponse()
            text = response.read()
            status = response.status
        except (OSError, http.client.HTTPException) as exc:
            tally.add(kind, type(exc).__name__, time.monotonic() - start, False, str(exc))
            if kind != "search":  # the write may or may not have happened: not checked
                live.pop(article_id, None)
                uncertain.add(article_id)
            conn.close()
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=TIMEOUT)
            continue
        seconds = time.monotonic() - start
        if status == 503:
            ok = allowed_503.is_set()
            if not ok:
                tally.add(kind, "503-unexpected", seconds, False, text.decode(errors="replace"))
                continue
            if kind == "delete":
                mine.append(article_id)  # not deleted: try again later
        else:
            ok = 200 <= status < 300
        if kind == "ingest" and ok and status != 503:
            mine.append(article_id)
            live[article_id] = True
        if kind == "delete" and status in (200, 404):
            live.pop(article_id, None)
            gone.add(article_id)
            ok = True  # 404: never stored (its ingest failed with a 503 mid-restart)
        tally.add(kind, status, seconds, ok, text.decode(errors="replace"))
    conn.close()


def drain(stream, lines: list[str]) -> None:
    """The server's stderr, read as it comes: a pipe left unread fills (64 KB of the driver's
    retry warnings while Neo4j is down) and then blocks every server thread that logs."""
    for raw in iter(stream.readline, b""):
        lines.append(raw.decode("utf-8", "replace").rstrip())


def tracebacks(lines: list[str], most: int = 3) -> list[str]:
    """The server's unexpected errors (a 500): the log line and its traceback, to the line
    that names the exception."""
    out: list[str] = []
    for i in [i for i, line in enumerate(lines) if "unexpected error on " in line][:most]:
        out.append(lines[i])
        for line in lines[i + 1:i + 200]:
            out.append(line)
            if line and not line.startswith((" ", "Traceback", "During handling",
                                             "The above exception")):
                break
    return out


def ingest_seed(store: str, records: list[dict], env: dict) -> None:
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "seed.jsonl"
        with open(path, "w", encoding="utf-8") as out:
            for r in records:
                out.write(json.dumps({"id": f"seed/{r['_id']}", "title": r.get("title", ""),
                                      "text": r["text"]}) + "\n")
        subprocess.run([CITEGRAPH, "ingest", str(path), "--store", store], env=env,
                       check=True, stdout=subprocess.DEVNULL)


def check_store(spec: str, live: dict, gone: set, uncertain: set) -> dict:
    """What is stored, read through the store's own interface (the server stopped)."""
    sys.path.insert(0, str(REPO))
    from citegraph.graph.factory import open_store

    with open_store(spec, readonly=True) as store:
        articles = {a.id for a in store.iter_articles()}
        passages = list(store.iter_passages())
        mentions = list(store.iter_mentions())
        stats = store.stats()
    passage_ids = {p.id for p in passages}
    return {
        "articles": len(articles),
        "passages": len(passages),
        "missing_live": len([a for a in live if a not in articles]),
        "deleted_still_there": len([a for a in gone if a in articles and a not in live]),
        "uncertain_writes": len(uncertain),
        "orphan_passages": len([p for p in passages if p.article_id not in articles]),
        "orphan_mentions": len([m for m in mentions if m.passage_id not in passage_ids]),
        "counts_agree": stats["articles"] == len(articles) and stats["passages"] == len(passages)
                        and stats["mentions"] == len(mentions),
    }


def neo4j_launcher(action: str, env: dict) -> str:
    done = subprocess.run(["bash", str(REPO / "scripts" / "neo4j" / "neo4j.sh"), action],
                          env=env, capture_output=True, text=True, timeout=900)
    if done.returncode != 0:
        sys.exit(f"benchmarks: neo4j.sh {action} failed: {done.stderr[-1500:]}")
    return done.stdout.strip().splitlines()[-1] if done.stdout.strip() else ""


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--backend", choices=("sqlite", "neo4j"), default="sqlite")
    ap.add_argument("--seconds", type=float, default=600)
    ap.add_argument("--clients", type=int, default=8)
    ap.add_argument("--restart", action="store_true",
                    help="neo4j: stop the server at a third of the run, start it at half")
    args = ap.parse_args()
    records = [r for r in scifact_records() if len(r["text"]) > 200]
    queries = scifact_queries()
    work = Path(tempfile.mkdtemp(prefix="citegraph-soak-"))
    neo4j_env = None
    try:
        if args.backend == "neo4j":
            from socket import socket

            with socket() as s:
                s.bind(("127.0.0.1", 0))
                port = s.getsockname()[1]
            neo4j_env = dict(clean_env(), NEO4J_BOLT_PORT=str(port),
                             NEO4J_DATA_DIR=str(work / "neo4j"), NEO4J_HEAP="768m",
                             NEO4J_PAGECACHE="256m")
            neo4j_env.pop("NEO4J_PASSWORD", None)
            spec = neo4j_launcher("start", neo4j_env)
        else:
            spec = str(work / "store")
        ingest_seed(spec, records[:SEED_ARTICLES], clean_env())
        tally, live, gone, uncertain = Tally(), {}, set(), set()
        allowed_503 = threading.Event()
        down_up: list[float] = []
        server_log: list[str] = []
        with Server(spec, env={"CITEGRAPH_TOKEN": TOKEN}) as server:
            threading.Thread(target=drain, args=(server.proc.stderr, server_log),
                             daemon=True).start()
            stop = time.monotonic() + args.seconds
            tally.began = time.monotonic()
            workers = [threading.Thread(target=client, args=(
                n, server.port, stop, queries, records[SEED_ARTICLES:], tally, live, gone,
                uncertain, allowed_503)) for n in range(args.clients)]
            for w in workers:
                w.start()
            if args.restart and neo4j_env is not None:
                time.sleep(args.seconds / 3)
                allowed_503.set()
                down_up.append(time.monotonic())
                neo4j_launcher("stop", neo4j_env)
                stopped = time.monotonic()
                time.sleep(max(0.0, args.seconds / 6))
                starting = time.monotonic()
                neo4j_launcher("start", neo4j_env)
                down_up.append(time.monotonic())
                print(f"neo4j: stop at {down_up[0] - tally.began:.0f} s, stopped at "
                      f"{stopped - tally.began:.0f} s, start at {starting - tally.began:.0f} s, "
                      f"up at {down_up[1] - tally.began:.0f} s", file=sys.stderr, flush=True)
            for w in workers:
                w.join()
            rss = server.peak_rss_mib()
        check = check_store(spec, live, gone, uncertain)
    finally:
        if neo4j_env is not None:
            subprocess.run(["bash", str(REPO / "scripts" / "neo4j" / "neo4j.sh"), "stop"],
                           env=neo4j_env, capture_output=True, timeout=300)
        shutil.rmtree(work, ignore_errors=True)
    figure("backend", args.backend)
    figure("clients", args.clients)
    figure("seconds", args.seconds, "s")
    figure("requests", sum(tally.status.values()))
    for (kind, status), count in sorted(tally.status.items(), key=str):
        figure(f"status_{kind}_{status}", count)
    for kind, values in sorted(tally.latency.items()):
        figure(f"p50_{kind}_ms", percentile(values, 50) * 1000, "ms")
        figure(f"p95_{kind}_ms", percentile(values, 95) * 1000, "ms")
        figure(f"max_{kind}_ms", max(values) * 1000, "ms")
    figure("errors", len(tally.errors))
    for line in tally.errors[:40]:
        print(f"error: {line}", file=sys.stderr)
    for line in tracebacks(server_log):
        print(f"server: {line}", file=sys.stderr)
    if down_up:
        figure("unavailable_503", len(tally.unavailable))
        back = [t for t in tally.good if t > down_up[1]]
        figure("recovered_after_s", (back[0] - down_up[1]) if back else float("nan"), "s")
    figure("server_peak_rss", rss, "MiB")
    for name, value in check.items():
        figure(f"store_{name}", value)


if __name__ == "__main__":
    main()
