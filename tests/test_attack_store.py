"""Lose nothing, the store's side: concept lookup with a large scheme, a corrupted or
truncated store file, a store on a read-only file system, a full disk during ingest and an
export taken while writes go on. Through the real `citegraph` command (CliRunner, in
process) or the real server, over real SQLite files and real mounts."""
from __future__ import annotations

import json
import threading
import os
import re
from pathlib import Path

import pytest

from test_attack import cli, stored, write  # noqa: F401  (the fixture and helpers)

EX = "https://example.org/generated/"


def generated_scheme(n: int, tag: str = ""):
    from citegraph.graph.models import Concept

    return [Concept(f"{EX}c{i}", f"Concept number {i:06d}{tag}",
                    alt_labels=[f"Alias {i} one{tag}", f"Alias {i} two{tag}"],
                    broader=[f"{EX}c{i - i % 10}"] if i % 10 else [])
            for i in range(n)]


# --- concept lookup by label: indexed once per scheme revision ---------------------------
def test_large_scheme_is_walked_once_per_revision_not_per_request(tmp_path, embedder):
    """With a 20,000-concept scheme, concept pages, `?concept=` searches, 404s and the API
    walk the scheme (list_concepts) once per scheme revision: before, each request walked it
    twice or more (a linear scan with three queries per concept). A scheme replaced by
    another process is seen by the next request."""
    from citegraph.graph.sqlite_store import SQLiteStore
    from citegraph.webapp.server import BackgroundServer
    from webapp_support import http, make_app, q

    with SQLiteStore(tmp_path / "store") as s:
        s.replace_concepts(generated_scheme(20_000))
    app = make_app(tmp_path / "store", embedder)
    store = app.extensions["citegraph.runtime"].store
    walks = []
    walk = store.list_concepts
    store.list_concepts = lambda: walks.append(1) or walk()
    with BackgroundServer(app) as server:
        def get(path):
            return http(server.url, "GET", path)

        for _ in range(3):
            page = get("/concepts/" + q("ALIAS 19997 TWO"))  # an alt label, case differing
            assert page.status == 200 and "Concept number 019997" in page.text
            assert get("/concepts/" + q("no such concept")).status == 404
            found = get("/api/search?q=generated&concept=" + q("concept numbers 000420"))
            assert found.status == 200, found.text  # by normalised key (plural)
            assert get("/api/concepts/" + q("c123")).json()["label"] == "Concept number 000123"
            assert get("/api/search?q=x&concept=nothing").status == 404
        assert len(walks) <= 2, f"{len(walks)} walks over the scheme for 15 requests"
        with SQLiteStore(tmp_path / "store") as other:  # another process changes the scheme
            other.replace_concepts(generated_scheme(20_000, " new"))
        page = get("/concepts/" + q("alias 5 one new"))
        assert page.status == 200 and "Concept number 000005 new" in page.text
        assert get("/concepts/" + q("alias 5 one")).status == 404
        assert len(walks) <= 4


# --- a corrupted or truncated store file --------------------------------------------------
@pytest.fixture(scope="module")
def small_store(tmp_path_factory, embedder):
    """A real store of three articles, and its RDF export (for import)."""
    from citegraph.graph.sqlite_store import SQLiteStore
    from citegraph.graph.rdf_export import export
    from citegraph.ingest.linker import ConceptLinker
    from citegraph.ingest.pipeline import Pipeline
    from citegraph.ontology.scheme import load_scheme

    root = tmp_path_factory.mktemp("small")
    docs = root / "docs"
    for i, words in enumerate(["The chief customer officer maps the customer journey.",
                               "A contact center answers calls from customers all day.",
                               "Net promoter score asks customers how likely they are to "
                               "recommend the company."]):
        write(docs / f"a{i}.txt", f"Article {i}\n\n{words} " * 3)
    scheme = load_scheme()  # the shipped one: the articles mention some of its concepts
    with SQLiteStore(root / "store") as s:
        s.replace_concepts(scheme.concepts)
        report = Pipeline(s, embedder, linker=ConceptLinker(scheme.concepts, embedder)
                          ).ingest_paths([str(docs)])
        assert report.new == 3 and report.mentions > 0
        with open(root / "export.ttl", "w", encoding="utf-8") as out:
            export(s, "turtle", out)
    return root


def damaged(kind: str, source: Path, target: Path) -> Path:
    import shutil

    from citegraph.graph.sqlite_store import DB_FILE

    shutil.copytree(source, target)
    for extra in target.glob(DB_FILE + "-*"):  # no WAL to recover from
        extra.unlink()
    db = target / DB_FILE
    data = bytearray(db.read_bytes())
    page = int.from_bytes(data[16:18], "big")
    if kind == "garbage":  # not SQLite at all
        data = bytearray(os.urandom(len(data)))
    elif kind == "truncated":  # cut after the first pages, as a copy stopped short
        data = data[:3 * page + 100]
    elif kind == "pages":  # the schema page intact, the tables' pages overwritten
        for start in range(page, len(data), page):
            data[start:start + page] = os.urandom(page)
    db.write_bytes(bytes(data))
    return target


COMMANDS = [("stats",), ("ask", "Who maps the customer journey?"), ("concepts",),
            ("concept", "customer"), ("articles",), ("export",), ("delete", "a0.txt"),
            ("ingest", "{docs}"), ("relink",), ("suggest-concepts",), ("serve", "--port", "{port}"),
            ("import", "{export}"), ("migrate", "--from", "{store}", "--to", "{other}")]


@pytest.mark.parametrize("kind", ["garbage", "truncated", "pages"])
def test_damaged_store_file_is_one_line_for_every_command(cli, small_store, tmp_path, kind):
    from conftest import free_port

    store = damaged(kind, small_store / "store", tmp_path / "store")
    values = {"docs": small_store / "docs", "export": small_store / "export.ttl",
              "store": store, "other": tmp_path / "other", "port": free_port()}
    for command in COMMANDS:
        args = [a.format(**values) for a in command]
        if command[0] != "migrate":
            args += ["--store", store]
        result = cli(*args)
        assert result.exit_code != 0, (args, result.output)
        assert len(result.lines) == 1, (args, result.stderr)
        assert f"store {store}: damaged database file" in result.lines[0], result.lines


# --- a store on a read-only file system -----------------------------------------------------
def _namespaces_allowed() -> bool:
    import shutil
    import subprocess

    if not shutil.which("unshare"):
        return False
    probe = subprocess.run(["unshare", "-m", "--propagation", "private", "true"],
                           capture_output=True)
    return probe.returncode == 0


needs_mount_namespace = pytest.mark.skipif(
    not _namespaces_allowed(),
    reason="unshare -m is not permitted here (needs CAP_SYS_ADMIN): no private mounts")

# mounts `source` read-only at `target` in a private mount namespace, then runs the command
READ_ONLY_MOUNT = ('mount --bind "$1" "$2" && mount -o remount,ro,bind "$2" && shift 2 && '
                   'exec "$@"')


def in_read_only_mount(source: Path, target: Path, *command, **kwargs):
    import subprocess

    target.mkdir(exist_ok=True)
    return subprocess.Popen(["unshare", "-m", "--propagation", "private", "sh", "-c",
                             READ_ONLY_MOUNT, "sh", str(source), str(target), *command],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            **kwargs)


def citegraph_read_only(source: Path, target: Path, *args):
    import sys

    process = in_read_only_mount(source, target, sys.executable, "-m", "citegraph",
                                 *map(str, args), "--store", str(target))
    out, err = process.communicate(timeout=600)
    lines = [ln for ln in err.splitlines() if ln.startswith("citegraph: ")]
    assert "Traceback" not in out + err, err
    return process.returncode, out, lines


@needs_mount_namespace
def test_store_on_read_only_file_system_reads_and_refuses_writes(small_store, tmp_path):
    import shutil

    source = tmp_path / "store"
    shutil.copytree(small_store / "store", source)
    mounted = tmp_path / "mounted"
    for args in [("stats",), ("ask", "Who maps the customer journey?", "--json"),
                 ("concepts",), ("articles",), ("export", "--format", "nt")]:
        code, out, lines = citegraph_read_only(source, mounted, *args)
        assert code == 0 and not lines, (args, lines)
        assert out.strip(), args
    code, out, lines = citegraph_read_only(source, mounted, "ask", "customer journey",
                                           "--json")
    assert json.loads(out)["results"][0]["article_id"] == "a0.txt"
    for args in [("delete", "a0.txt"), ("ingest", small_store / "docs"), ("relink",)]:
        code, out, lines = citegraph_read_only(source, mounted, *args)
        assert code != 0 and len(lines) == 1, (args, lines)
        assert f"store {mounted}" in lines[0] and "read-only" in lines[0], lines
    assert stored(source).keys() == {"a0.txt", "a1.txt", "a2.txt"}


@needs_mount_namespace
def test_server_on_read_only_file_system_serves_reads_and_refuses_writes(small_store, tmp_path):
    import shutil
    import sys
    import time

    from conftest import free_port
    from webapp_support import http

    source = tmp_path / "store"
    shutil.copytree(small_store / "store", source)
    mounted, port = tmp_path / "mounted", free_port()
    env = {**os.environ, "CITEGRAPH_TOKEN": "read-only-test-token"}
    server = in_read_only_mount(source, mounted, sys.executable, "-m", "citegraph", "serve",
                                "--port", str(port), "--store", str(mounted), env=env)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 300
        while True:
            try:
                if http(base, "GET", "/healthz").status == 200:
                    break
            except OSError:
                pass
            assert server.poll() is None, server.communicate()[1]
            assert time.monotonic() < deadline, "server did not start"
            time.sleep(0.5)
        assert http(base, "GET", "/healthz").json()["articles"] == 3
        found = http(base, "GET", "/api/search?q=contact+center")
        assert found.status == 200 and found.json()["results"]
        assert http(base, "GET", "/articles/a1.txt").status == 200
        write = http(base, "POST", "/api/articles",
                     {"id": "new", "title": "New", "text": "A new article about customers."},
                     {"Authorization": "Bearer read-only-test-token"})
        assert write.status == 503 and write.json()["error"] == "store unavailable: read-only"
        deleted = http(base, "DELETE", "/api/articles/a1.txt",
                       headers={"Authorization": "Bearer read-only-test-token"})
        assert deleted.status == 503, deleted.text
    finally:
        server.terminate()
        server.communicate(timeout=60)
    assert stored(source).keys() == {"a0.txt", "a1.txt", "a2.txt"}


# --- export is one snapshot while writes go on -------------------------------------------
def synthetic_article(article_id: str, rng, words: str = "customer journey"):
    """An article of three passages with unit vectors: a write that needs no model."""
    import numpy as np

    from citegraph.graph.models import Article, Passage

    parts = [f"Passage {i} of {article_id} about the {words}." for i in range(3)]
    text = "\n\n".join(parts)
    passages, start = [], 0
    for i, part in enumerate(parts):
        vector = rng.standard_normal(384).astype(np.float32)
        passages.append(Passage(Passage.make_id(article_id, i), article_id, i, part, start,
                                start + len(part), vector / np.linalg.norm(vector)))
        start += len(part) + 2
    return Article(article_id, f"Title of {article_id}", text, content_hash=article_id,
                   ingested_at="2026-01-01T00:00:00Z"), passages


def exported_articles(path: Path) -> tuple[dict, dict]:
    """(article IRI -> identifier, passage IRI -> (article IRI, position)) of an export."""
    from rdflib import Graph
    from rdflib.namespace import RDF

    from citegraph.graph.rdf_vocab import CG, SCHEMA

    graph = Graph()
    graph.parse(path, format="nt")
    articles = {a: str(graph.value(a, SCHEMA.identifier))
                for a in graph.subjects(RDF.type, SCHEMA.Article)}
    passages = {p: (graph.value(p, SCHEMA.isPartOf), int(graph.value(p, SCHEMA.position)))
                for p in graph.subjects(RDF.type, CG.Passage)}
    return articles, passages


def test_export_is_one_snapshot_while_another_writer_replaces_articles(cli, tmp_path):
    """Another connection (as another process would) deletes and adds articles while
    `citegraph export` runs: every exported passage's article is exported and every exported
    article has all its passages (without one read transaction, articles read first lost
    their passages, and passages came of articles never listed)."""
    import numpy as np

    from citegraph.graph.sqlite_store import SQLiteStore

    rng = np.random.default_rng(3)
    with SQLiteStore(tmp_path / "store") as s:
        for i in range(600):
            s.upsert_article(*synthetic_article(f"base-{i}", rng), [])
    stop, written = threading.Event(), []

    def churn():
        local = np.random.default_rng(4)
        with SQLiteStore(tmp_path / "store") as w:
            i = 0
            while not stop.is_set():
                w.upsert_article(*synthetic_article(f"churn-{i}", local), [])
                w.delete_article(f"churn-{i - 1}")
                w.delete_article(f"base-{i % 600}")
                w.upsert_article(*synthetic_article(f"base-{i % 600}", local, "ledger"), [])
                written.append(i)
                i += 1

    writer = threading.Thread(target=churn)
    writer.start()
    try:
        exports = []
        for n in range(3):
            out = tmp_path / f"export-{n}.nt"
            result = cli("export", "--store", tmp_path / "store", "--format", "nt", "--what",
                         "articles", "-o", out)
            assert result.exit_code == 0, result.stderr
            exports.append(out)
    finally:
        stop.set()
        writer.join()
    assert len(written) > 10, "the writer hardly ran: the test proves nothing"
    for out in exports:
        articles, passages = exported_articles(out)
        orphans = {p for p, (a, _pos) in passages.items() if a not in articles}
        assert not orphans, f"{out.name}: {len(orphans)} passages of articles not exported"
        positions: dict = {}
        for a, pos in passages.values():
            positions.setdefault(a, set()).add(pos)
        incomplete = [articles[a] for a in articles if positions.get(a) != {0, 1, 2}]
        assert not incomplete, f"{out.name}: articles without all their passages: " \
                               f"{incomplete[:5]}"
        assert sum(1 for a in articles.values() if a.startswith("churn-")) <= 2


# --- a full disk during ingest ------------------------------------------------------------
# in a private mount namespace: a tmpfs of SIZE holding a copy of the store, an ingest into
# it, then a copy of what it left (the tmpfs goes with the namespace)
FULL_DISK = ('mount -t tmpfs -o size="$1" tmpfs "$2" && cp -r "$3" "$2/store" && '
             '"$4" -m citegraph ingest "$5" --store "$2/store" > "$6/out" 2> "$6/err"; '
             'echo $? > "$6/rc"; cp -r "$2/store" "$6/store-after"')


def _article_whole(store, article) -> bool:
    passages = store.article_passages(article.id)
    return bool(passages) and [p.ordinal for p in passages] == list(range(len(passages))) \
        and all(article.text[p.start:p.end] == p.text for p in passages)


@needs_mount_namespace
@pytest.mark.parametrize("form", ["files", "records"])
def test_full_disk_during_ingest_is_one_line_and_leaves_the_store_consistent(small_store,
                                                                              tmp_path, form):
    """The ingest fills a 6 MB file system part-way through a batch of large articles (one
    a file, or 40 smaller ones in one JSONL file, several to an embedding batch, so that the
    disk fills in the middle of one): one line naming the store and the full disk and how
    many articles were stored whole before it, no traceback; what is stored is whole (every
    article with all its passages), co-occurrence counts equal a recount from the mentions
    (not emptied), and SQLite finds the file intact."""
    import shutil
    import subprocess
    import sys

    from citegraph.graph.sqlite_store import SQLiteStore

    docs = tmp_path / "docs"
    paragraph = ("The chief customer officer maps the customer journey while the contact "
                 "center measures the net promoter score of every call. ")
    if form == "files":
        for i in range(12):
            write(docs / f"big-{i:02d}.txt", f"Big article {i}\n\n" + "\n\n".join(
                f"Part {j} of article {i}. " + paragraph * 4 for j in range(300)))
    else:
        write(docs / "records.jsonl", "".join(json.dumps({
            "_id": f"record-{i:02d}", "title": f"Record {i}", "text": "\n\n".join(
                f"Part {j} of record {i}. " + paragraph * 4 for j in range(40))}) + "\n"
            for i in range(40)))
    mount = tmp_path / "small-disk"
    mount.mkdir()
    done = subprocess.run(["unshare", "-m", "--propagation", "private", "sh", "-c", FULL_DISK,
                           "sh", "6m", str(mount), str(small_store / "store"), sys.executable,
                           str(docs), str(tmp_path)], capture_output=True, text=True,
                          timeout=1800)
    assert done.returncode == 0, done.stderr
    code = int((tmp_path / "rc").read_text())
    err = (tmp_path / "err").read_text()
    lines = [ln for ln in err.splitlines() if ln.startswith("citegraph: ")]
    assert "Traceback" not in err, err
    assert code == 2 and len(lines) == 1, err  # 2: the store failed (README, exit codes)
    assert f"store {mount / 'store'}: disk full" in lines[0], lines
    # the line says how many articles got in (whole) before the disk filled
    said = re.search(r"ingest stopped: (\d+) articles? stored whole before it, the rest not "
                     r"stored", lines[0])
    assert said, lines

    after = tmp_path / "store-after"
    with SQLiteStore(after) as s:
        assert s._conn().execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        articles = list(s.iter_articles())
        assert {"a0.txt", "a1.txt", "a2.txt"} <= {a.id for a in articles}
        ingested = [a for a in articles if a.id not in {"a0.txt", "a1.txt", "a2.txt"}]
        assert len(ingested) < (12 if form == "files" else 40), \
            "the disk never filled: the test proves nothing"
        assert int(said.group(1)) == len(ingested)
        broken = [a.id for a in articles if not _article_whole(s, a)]
        assert not broken, f"articles stored in part: {broken}"
        counts = s.cooccurrence_counts()
    shutil.copytree(after, tmp_path / "recounted")
    with SQLiteStore(tmp_path / "recounted") as s:
        s.rebuild_cooccurrence()
        recount = s.cooccurrence_counts()
    assert recount.pairs and counts.pairs == recount.pairs
    assert counts.concepts == recount.concepts and counts.passages == recount.passages
