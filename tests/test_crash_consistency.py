"""An ingest killed with SIGKILL at random moments, then run again, ends with exactly the store a
clean ingest gives; and a reader watching the store while it is written never sees half an
article.

The kill points are random (seed printed; set CITEGRAPH_CRASH_SEED to replay one): one at a
random moment before any article is written (model loading, reading, embedding), three at
random article counts mid-ingest (polled every few milliseconds, so most land inside a burst
of writes), and one the moment the last article is written (the co-occurrence rebuild).
"""
from __future__ import annotations

import json
import os
import random
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from synthetic import QUERIES, articles, write_jsonl

ARTICLES = 600
MID_KILLS = 3
pytestmark = pytest.mark.slow


def citegraph_cmd() -> list[str]:
    exe = Path(sys.executable).with_name("citegraph")
    return [str(exe)] if exe.exists() else [sys.executable, "-m", "citegraph"]


def ingest_cmd(corpus: Path, store: Path) -> list[str]:
    return citegraph_cmd() + ["ingest", str(corpus), "--store", str(store), "--json"]


class Watcher:
    """A reader on its own read-only connection: every look checks that each visible article
    has all its passages, full-text rows and mentions (as the clean store has them)."""

    def __init__(self, store: Path, expected: dict[str, tuple[int, int]]):
        self.path = store / "citegraph.sqlite3"
        self.expected = expected
        self.conn = None
        self.looks = 0

    def visible(self) -> int:
        if self.conn is None:
            if not self.path.exists():
                return 0
            self.conn = sqlite3.connect(f"file:{self.path}?mode=ro", uri=True, timeout=30)
        try:
            self.conn.execute("BEGIN")  # one snapshot for all three reads
            rows = self.conn.execute(
                "SELECT a.id, (SELECT COUNT(*) FROM passages p WHERE p.article_id = a.id),"
                " (SELECT COUNT(*) FROM mentions m JOIN passages p ON m.passage_id = p.id"
                "  WHERE p.article_id = a.id) FROM articles a").fetchall()
            passages = self.conn.execute("SELECT COUNT(*) FROM passages").fetchone()[0]
            fts = self.conn.execute("SELECT COUNT(*) FROM passage_fts").fetchone()[0]
            self.conn.execute("COMMIT")
        except sqlite3.OperationalError as exc:
            self.conn.execute("ROLLBACK") if self.conn.in_transaction else None
            if "no such table" in str(exc):
                return 0  # schema not created yet
            raise
        self.looks += 1
        for article_id, n_passages, n_mentions in rows:
            assert (n_passages, n_mentions) == self.expected[article_id], (
                f"reader saw a partial article {article_id}: {n_passages} passages,"
                f" {n_mentions} mentions; complete: {self.expected[article_id]}")
        assert fts == passages, f"full-text rows {fts} != passages {passages}"
        return len(rows)

    def close(self):
        if self.conn is not None:
            self.conn.close()


def run_and_kill(cmd, watcher: Watcher, log: Path, *, at_articles=None, after_s=None):
    """Start an ingest and SIGKILL it when the store shows `at_articles` articles, or after
    `after_s` seconds; returns the articles visible right after the kill."""
    with open(log, "ab") as out:
        proc = subprocess.Popen(cmd, stdout=out, stderr=out)
    started = time.monotonic()
    try:
        while proc.poll() is None:
            seen = watcher.visible()
            due = (at_articles is not None and seen >= at_articles) or (
                after_s is not None and time.monotonic() - started >= after_s)
            if due:
                proc.send_signal(signal.SIGKILL)
                break
            if time.monotonic() - started > 300:
                pytest.fail(f"ingest did not reach the kill point; log {log}")
            time.sleep(0.002)
        proc.wait(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
    return proc.returncode, watcher.visible()


def snapshot(store_dir: Path) -> dict:
    """Everything that must match, apart from ingest times and row ids."""
    conn = sqlite3.connect(f"file:{store_dir / 'citegraph.sqlite3'}?mode=ro", uri=True)
    try:
        q = lambda sql: conn.execute(sql).fetchall()  # noqa: E731
        return {
            "articles": q("SELECT id, title, source, url, content_hash, text FROM articles"
                          " ORDER BY id"),
            "passages": q("SELECT id, article_id, ordinal, text, start_char, end_char,"
                          " sentence_spans FROM passages ORDER BY id"),
            "mentions": q("SELECT passage_id, iri, method, start_char, end_char, surface"
                          " FROM mentions ORDER BY passage_id, iri, method, start_char"),
            "cooccurs": q("SELECT a, b, weight, passages FROM cooccurs ORDER BY a, b"),
            "concepts": q("SELECT iri, label FROM concepts ORDER BY iri"),
            "integrity": q("PRAGMA integrity_check"),
        }
    finally:
        conn.close()


def rankings(store_dir: Path, embedder) -> dict:
    from citegraph.graph.sqlite_store import SQLiteStore
    from citegraph.search.factory import build_retriever
    from citegraph.search.service import SearchService

    out = {}
    with SQLiteStore(store_dir, readonly=True) as store:
        for mode in ("hybrid", "dense", "bm25"):
            service = SearchService(store, embedder, build_retriever(store, mode))
            for q in QUERIES:
                result = service.search(q, k=10).to_dict()
                out[(mode, q)] = ([(r["passage_id"], round(r["score"], 4))
                                   for r in result["results"]], result["answer"]["text"])
    return out


def stats(store_dir: Path) -> dict:
    proc = subprocess.run(citegraph_cmd() + ["stats", "--json", "--store", str(store_dir)],
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout)


@pytest.fixture(scope="module")
def corpus(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("crash") / "corpus"
    write_jsonl(folder, articles(ARTICLES))
    return folder


@pytest.fixture(scope="module")
def clean_store(corpus) -> Path:
    store = corpus.parent / "clean-store"
    proc = subprocess.run(ingest_cmd(corpus, store), capture_output=True, text=True,
                          timeout=600)
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert json.loads(proc.stdout.splitlines()[-1])["new"] == ARTICLES
    return store


def test_killed_ingests_resume_to_the_clean_store(corpus, clean_store, embedder):
    seed = int(os.environ.get("CITEGRAPH_CRASH_SEED") or random.SystemRandom().randrange(10**6))
    rng = random.Random(seed)
    where = f"(CITEGRAPH_CRASH_SEED={seed})"
    clean = snapshot(clean_store)
    per_article = {a[0]: [0, 0] for a in clean["articles"]}
    passage_article = {p[0]: p[1] for p in clean["passages"]}
    for p in clean["passages"]:
        per_article[p[1]][0] += 1
    for m in clean["mentions"]:
        per_article[passage_article[m[0]]][1] += 1
    expected = {k: tuple(v) for k, v in per_article.items()}

    store = corpus.parent / "killed-store"
    log = corpus.parent / "killed.log"
    watcher = Watcher(store, expected)
    cmd = ingest_cmd(corpus, store)
    kills = []  # (planned kill point, articles visible after the kill)
    code, seen = run_and_kill(cmd, watcher, log, after_s=rng.uniform(0.5, 3.0))
    kills.append(("early", seen))
    for target in sorted(rng.sample(range(1, ARTICLES - 1), MID_KILLS)):
        target = max(target, seen + 1)
        code, seen = run_and_kill(cmd, watcher, log, at_articles=target)
        assert code == -signal.SIGKILL, f"ingest ended ({code}) before article {target} {where}"
        kills.append((target, seen))
    code, seen = run_and_kill(cmd, watcher, log, at_articles=ARTICLES)
    kills.append((ARTICLES, seen))
    committed = seen

    final = subprocess.run(cmd, capture_output=True, text=True, timeout=600)
    watcher.visible()
    watcher.close()
    assert final.returncode == 0, final.stderr[-2000:]
    assert "Traceback" not in log.read_text(errors="replace") + final.stderr
    summary = json.loads(final.stdout.splitlines()[-1])
    # what was committed before the last kill is kept and skipped; the rest is written now
    assert summary["unchanged"] == committed, (summary, kills, where)
    assert summary["new"] == ARTICLES - committed, (summary, kills, where)

    assert stats(store) == stats(clean_store), where
    resumed = snapshot(store)
    for part in clean:
        assert resumed[part] == clean[part], f"{part} differs after kills {kills} {where}"
    assert rankings(store, embedder) == rankings(clean_store, embedder), where
    print(f"kill points survived: {kills}; reader looks: {watcher.looks} {where}")
    assert len(kills) == MID_KILLS + 2 and watcher.looks > 0
