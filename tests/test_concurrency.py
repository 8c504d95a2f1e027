"""Concurrency: the real server (`citegraph serve`, its own process) answers searches from
several clients while `citegraph ingest` writes to the same store; and ingests into one store
serialise through the ingest lock (ingest/lock.py), or refuse with one line when asked not to
wait."""
from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

import pytest

from conftest import free_port
from synthetic import QUERIES, articles, write_jsonl

CLIENTS = 4  # search clients during the ingest, plus one that opens every article it sees
BASE_ARTICLES = 50
NEW_ARTICLES = 300


def citegraph_cmd() -> list[str]:
    exe = Path(sys.executable).with_name("citegraph")
    return [str(exe)] if exe.exists() else [sys.executable, "-m", "citegraph"]


def ingest(corpus: Path, store: Path, env: dict | None = None, **kwargs):
    return subprocess.run(citegraph_cmd() + ["ingest", str(corpus), "--store", str(store),
                                             "--json"],
                          capture_output=True, text=True, timeout=600,
                          env=dict(os.environ, **(env or {})), **kwargs)


def get_json(url: str, timeout: float = 60) -> tuple[int, dict]:
    try:
        with urllib.request.urlopen(url, timeout=timeout) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as exc:
        return exc.code, {"error": exc.read().decode("utf-8", "replace")}


@pytest.fixture
def served_store(tmp_path):
    """A store with BASE_ARTICLES articles and `citegraph serve` running on it."""
    pytest.importorskip("citegraph.webapp.server", reason="the web app is not in this checkout")
    store = tmp_path / "store"
    base = ingest(write_jsonl(tmp_path / "base", articles(BASE_ARTICLES))[0], store)
    assert base.returncode == 0, base.stderr[-2000:]
    port = free_port()
    log = open(tmp_path / "server.log", "wb")
    server = subprocess.Popen(citegraph_cmd() + ["serve", "--store", str(store), "--port",
                                                 str(port), "--threads", "4"],
                              stdout=log, stderr=log, env=dict(os.environ, CITEGRAPH_TOKEN=""))
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 180
    while True:
        try:
            if get_json(url + "/healthz", timeout=5)[0] == 200:
                break
        except OSError:
            pass
        assert server.poll() is None, (tmp_path / "server.log").read_text()
        assert time.monotonic() < deadline, "server did not start"
        time.sleep(0.2)
    yield store, url, tmp_path
    server.send_signal(signal.SIGTERM)
    try:
        server.wait(timeout=20)
    except subprocess.TimeoutExpired:
        server.kill()
    log.close()


def test_searches_during_ingest(served_store):
    store, url, tmp = served_store
    new = articles(NEW_ARTICLES, start=1000)
    corpus = tmp / "new"
    write_jsonl(corpus, new, per_file=100)
    errors: list[str] = []
    counts = {"searches": 0, "article_reads": 0, "new_seen_mid_ingest": 0}
    seen_articles: set[str] = set()
    lock = threading.Lock()
    done = threading.Event()

    def search_client(offset: int):
        i = offset
        while not done.is_set():
            q = QUERIES[i % len(QUERIES)]
            i += 1
            status, body = get_json(f"{url}/api/search?" + urllib.parse.urlencode({"q": q, "k": 20}))
            with lock:
                counts["searches"] += 1
                if status != 200:
                    errors.append(f"search {q!r}: {status} {body}")
                    continue
                for r in body["results"]:
                    if r["text"] == "" or r["end"] <= r["start"]:
                        errors.append(f"empty passage {r['passage_id']}")
                    seen_articles.add(r["article_id"])
                    if r["article_id"] >= "syn-1000" and not done.is_set():
                        counts["new_seen_mid_ingest"] += 1

    def article_client():
        opened: set[str] = set()
        while not done.is_set():
            with lock:
                todo = sorted(seen_articles - opened)
            for article_id in todo[:20]:
                opened.add(article_id)
                status, body = get_json(f"{url}/api/articles/" + urllib.parse.quote(article_id))
                with lock:
                    counts["article_reads"] += 1
                    # an article visible through a search result is whole: text and passages
                    if status != 200 or not body.get("passages"):
                        errors.append(f"article {article_id}: {status} {str(body)[:200]}")
                        continue
                    for p in body["passages"]:
                        if not 0 <= p["start"] < p["end"] <= len(body["text"]):
                            errors.append(f"{article_id}: passage offsets outside its text")
            time.sleep(0.05)

    threads = [threading.Thread(target=search_client, args=(n,)) for n in range(CLIENTS)]
    threads.append(threading.Thread(target=article_client))
    for t in threads:
        t.start()
    try:
        result = ingest(corpus, store)
    finally:
        done.set()
        for t in threads:
            t.join(timeout=120)
    assert result.returncode == 0, result.stderr[-2000:]
    assert json.loads(result.stdout.splitlines()[-1])["new"] == NEW_ARTICLES
    assert not errors, errors[:5]
    assert counts["searches"] >= CLIENTS, counts
    assert counts["article_reads"] > 0, counts

    # every new article is searchable now, from the same server process (no restart)
    status, health = get_json(url + "/healthz")
    assert status == 200 and health["articles"] == BASE_ARTICLES + NEW_ARTICLES
    for record in new[::60]:
        first_sentence = record["text"].split(". ")[0]
        status, body = get_json(f"{url}/api/search?" + urllib.parse.urlencode(
            {"q": first_sentence, "k": 3}))
        assert status == 200
        assert body["results"][0]["article_id"] == record["_id"], (first_sentence, body["results"])
    print(f"concurrent clients: {CLIENTS + 1}; {counts}")


def test_two_ingests_into_one_store_serialise(tmp_path):
    corpus = tmp_path / "corpus"
    write_jsonl(corpus, articles(120), per_file=40)
    store = tmp_path / "store"
    cmd = citegraph_cmd() + ["ingest", str(corpus), "--store", str(store), "--json"]
    procs = [subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
             for _ in range(2)]
    outs = [p.communicate(timeout=600) for p in procs]
    for p, (out, err) in zip(procs, outs):
        assert p.returncode == 0, err[-2000:]
        assert "Traceback" not in err
    summaries = sorted((json.loads(out.splitlines()[-1]) for out, _ in outs),
                       key=lambda s: s["new"])
    # one ran first and wrote everything; the other waited and found it all unchanged
    assert summaries[0]["new"] == 0 and summaries[0]["unchanged"] == 120, summaries
    assert summaries[1]["new"] == 120 and summaries[1]["unchanged"] == 0, summaries
    stats = subprocess.run(citegraph_cmd() + ["stats", "--json", "--store", str(store)],
                           capture_output=True, text=True, timeout=120)
    assert json.loads(stats.stdout)["articles"] == 120


def test_second_ingest_waits_for_the_lock_holder(tmp_path):
    from citegraph.graph.sqlite_store import SQLiteStore
    corpus = tmp_path / "corpus"
    write_jsonl(corpus, articles(5))
    store_dir = tmp_path / "store"
    err_path = tmp_path / "err.log"
    with SQLiteStore(store_dir) as store, store.ingest_lock():
        with open(err_path, "wb") as err:
            proc = subprocess.Popen(citegraph_cmd() + ["ingest", str(corpus), "--store",
                                                       str(store_dir), "--json"],
                                    stdout=subprocess.PIPE, stderr=err, text=True)
        deadline = time.monotonic() + 180
        while "waiting for the ingest already running" not in err_path.read_text():
            assert proc.poll() is None, err_path.read_text()
            assert time.monotonic() < deadline, err_path.read_text()
            time.sleep(0.2)
        assert f"pid {os.getpid()}" in err_path.read_text()
        assert store.stats()["articles"] == 0  # nothing written while we hold the lock
    out, _ = proc.communicate(timeout=300)
    assert proc.returncode == 0, err_path.read_text()
    assert json.loads(out.splitlines()[-1])["new"] == 5


@pytest.mark.parametrize("wait", ["0", "0.5"])
def test_ingest_refuses_when_told_not_to_wait(tmp_path, wait):
    from citegraph.graph.sqlite_store import SQLiteStore
    corpus = tmp_path / "corpus"
    write_jsonl(corpus, articles(3))
    store_dir = tmp_path / "store"
    with SQLiteStore(store_dir) as store, store.ingest_lock():
        result = ingest(corpus, store_dir, env={"CITEGRAPH_INGEST_WAIT": wait})
        assert store.stats()["articles"] == 0
    assert result.returncode == 2
    lines = [ln for ln in result.stderr.splitlines() if "another ingest" in ln]
    assert len(lines) == 1 and "Traceback" not in result.stderr
    assert lines[0].startswith(f"citegraph: store {store_dir}: another ingest")
    assert f"pid {os.getpid()}" in lines[0]


def test_lock_left_by_a_killed_ingest_is_free_and_flags_the_crash(tmp_path):
    """The kernel frees a killed holder's lock; the next holder learns it was interrupted."""
    from citegraph.graph.sqlite_store import SQLiteStore
    store_dir = tmp_path / "store"
    SQLiteStore(store_dir).close()
    holder = ("import os, signal, sys\n"
              "from citegraph.graph.sqlite_store import SQLiteStore\n"
              f"with SQLiteStore({str(store_dir)!r}).ingest_lock(wait=0):\n"
              "    os.kill(os.getpid(), signal.SIGKILL)\n")
    killed = subprocess.run([sys.executable, "-c", holder], cwd=Path(__file__).parent.parent,
                            timeout=120)
    assert killed.returncode == -signal.SIGKILL
    with SQLiteStore(store_dir) as store:
        with store.ingest_lock(wait=0) as state:
            assert state.interrupted
        with store.ingest_lock(wait=0) as state:
            assert not state.interrupted  # the previous holder finished


def test_opening_a_new_store_waits_for_another_process_creating_it(tmp_path):
    """Switching a new file to WAL fails at once while another connection writes to it
    (SQLite's busy handler does not cover it), as when two ingests start on a new store."""
    import sqlite3

    from citegraph.graph.sqlite_store import DB_FILE, SQLiteStore

    store = tmp_path / "new"
    store.mkdir()
    other = sqlite3.connect(store / DB_FILE, isolation_level=None, check_same_thread=False)
    other.execute("BEGIN IMMEDIATE")
    other.execute("CREATE TABLE other_process_was_here(x)")
    release = threading.Timer(0.5, lambda: other.execute("COMMIT"))
    release.start()
    try:
        opened = SQLiteStore(store)
        assert opened.stats()["articles"] == 0
        opened.close()
    finally:
        release.join()
        other.close()
