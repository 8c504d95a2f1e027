"""Every user path on a live Neo4j, each checked against the embedded store given the same
articles: the CLI (ingest, ask, stats, delete, re-ingest, relink, concepts, concept,
suggest-concepts, export, import), the web app over Neo4j, and an ingest killed and rerun.

The private Neo4j of the test run (tests/neo4j_support.py) is one database: every test here
starts from `fresh_neo4j`, which clears it and ingests the demo corpus through the CLI."""
from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from click.testing import CliRunner

from conftest import REPO, SEEDS, open_neo4j

pytestmark = pytest.mark.neo4j
DEMO = REPO / "demo" / "corpus"
QUESTIONS = [q for q in (REPO / "demo" / "questions.txt").read_text().splitlines() if q.strip()]


def cli(*args, ok=(0,)):
    from citegraph.cli import main

    result = CliRunner().invoke(main, [str(a) for a in args])
    assert result.exit_code in ok, (args, result.output, result.exception)
    return result


def cli_json(*args):
    return json.loads(cli(*args, "--json").stdout)


@pytest.fixture(scope="module")
def embedded(tmp_path_factory):
    """The demo corpus ingested through the CLI into an embedded store."""
    store = tmp_path_factory.mktemp("embedded") / "store"
    cli("ingest", DEMO, "--store", store)
    return str(store)


@pytest.fixture
def fresh_neo4j(neo4j_uri, embedded):
    """The Neo4j database emptied, then the demo corpus ingested into it through the CLI."""
    with open_neo4j(neo4j_uri) as store:
        store.clear()
    report = cli_json("ingest", DEMO, "--store", neo4j_uri)
    return neo4j_uri, report


def cypher_count(uri: str, query: str) -> int:
    with open_neo4j(uri) as store:
        with store._driver.session(database=store.database) as session:
            return session.run(query).single()[0]


def test_ingest_reports_and_counts_what_the_embedded_store_does(fresh_neo4j, embedded):
    uri, report = fresh_neo4j
    assert report["new"] > 0 and report["failed"] == 0
    assert cli_json("stats", "--store", uri) == cli_json("stats", "--store", embedded)
    again = cli_json("ingest", DEMO, "--store", uri)
    assert again["unchanged"] == report["new"] and again["new"] == again["changed"] == 0


def test_ask_finds_the_embedded_answering_passage_in_the_top_5(fresh_neo4j, embedded):
    uri, _ = fresh_neo4j
    for question in QUESTIONS:
        ours = cli_json("ask", question, "--store", embedded, "--k", "5")
        theirs = cli_json("ask", question, "--store", uri, "--k", "5")
        best = ours["results"][0]["passage_id"]
        assert best in [r["passage_id"] for r in theirs["results"]], question
        assert theirs["answer"]["citations"], question


def test_a_routing_uri_serves_every_path_as_bolt_does(fresh_neo4j):
    """neo4j:// makes the driver route (a routing table from the server, writes to the
    database's leader, reads to its readers); against our one server, every path answers
    as over bolt://."""
    import neo4j

    uri, _ = fresh_neo4j
    routed = "neo4j://" + uri.split("://", 1)[1]
    with open_neo4j(routed) as store:
        assert isinstance(store._driver, neo4j.Neo4jDriver)  # bolt:// gives a BoltDriver
        with store._driver.session(database=store.database) as session:
            table = session.run("CALL dbms.routing.getRoutingTable({})").single()
        roles = {server["role"] for server in table["servers"]}
        assert roles == {"WRITE", "READ", "ROUTE"}
    for question in QUESTIONS[:3]:
        ours, theirs = (cli_json("ask", question, "--store", u) for u in (routed, uri))
        assert [r["passage_id"] for r in ours["results"]] == [
            r["passage_id"] for r in theirs["results"]], question
        assert ours["answer"] == theirs["answer"], question
    article = cli_json("ask", QUESTIONS[0], "--store", routed)["results"][0]["article_id"]
    cli("delete", article, "--store", routed)
    assert cli_json("stats", "--store", routed) == cli_json("stats", "--store", uri)
    again = cli_json("ingest", DEMO, "--store", routed)
    assert again["new"] == 1 and again["failed"] == 0


def test_delete_leaves_no_orphans(fresh_neo4j, embedded):
    uri, _ = fresh_neo4j
    article = cli_json("ask", QUESTIONS[0], "--store", uri, "--k", "1")["results"][0]["article_id"]
    cli("delete", article, "--store", uri)
    assert cypher_count(uri, "MATCH (p:Passage {article_id: $id}) RETURN count(p)"
                        .replace("$id", json.dumps(article))) == 0
    assert cypher_count(uri, "MATCH (p:Passage) WHERE NOT (:Article)-[:HAS_PASSAGE]->(p) "
                             "RETURN count(p)") == 0
    assert cypher_count(uri, "MATCH (a:Article {id: $id}) RETURN count(a)"
                        .replace("$id", json.dumps(article))) == 0
    stats = cli_json("stats", "--store", uri)
    before = cli_json("stats", "--store", embedded)
    assert stats["articles"] == before["articles"] - 1
    # co-occurrence kept by the store equals one rebuilt from the remaining mentions
    with open_neo4j(uri) as store:
        concepts = [c.iri for c, n in store.list_concepts() if n]
        kept = {iri: store.co_occurring(iri, 1000) for iri in concepts}
        store.rebuild_cooccurrence()
        rebuilt = {iri: store.co_occurring(iri, 1000) for iri in concepts}
    assert kept == rebuilt


def test_concept_commands_match_the_embedded_store(fresh_neo4j, embedded):
    uri, _ = fresh_neo4j
    assert cli_json("concepts", "--store", uri) == cli_json("concepts", "--store", embedded)
    for label in ("contact center", "chief customer officer", "voice of the customer"):
        ours = cli_json("concept", label, "--store", embedded)
        theirs = cli_json("concept", label, "--store", uri)
        assert theirs["iri"] == ours["iri"]
        assert sorted(p["passage_id"] for p in theirs["passages"]) == \
            sorted(p["passage_id"] for p in ours["passages"])
        assert {r["iri"] for r in theirs["co_occurring"]} == \
            {r["iri"] for r in ours["co_occurring"]}
    assert cli_json("suggest-concepts", "--store", uri) == \
        cli_json("suggest-concepts", "--store", embedded)
    mentions = cli_json("stats", "--store", uri)["mentions"]
    cli("relink", "--store", uri)
    assert cli_json("stats", "--store", uri)["mentions"] == mentions


def _without_ingest_times(graph):
    from rdflib import Namespace

    cg = Namespace("https://w3id.org/citegraph/ns#")
    schema = Namespace("https://schema.org/")
    for predicate in (cg.ingestedAt, schema.dateCreated):
        graph.remove((None, predicate, None))
    return graph


@pytest.mark.parametrize("fmt,parse", [("turtle", "turtle"), ("nt", "nt"),
                                       ("json-ld", "json-ld")])
def test_export_is_isomorphic_to_the_embedded_export(fresh_neo4j, embedded, tmp_path, fmt,
                                                     parse):
    from rdflib import Graph
    from rdflib.compare import isomorphic

    uri, _ = fresh_neo4j
    graphs = []
    for name, store in (("neo4j", uri), ("embedded", embedded)):
        out = tmp_path / f"{name}.{fmt}"
        # one base for both: unset, each store mints under its own (tests/test_base_iri.py)
        cli("export", "--store", store, "--format", fmt, "-o", out,
            "--base-iri", "https://kb.example.org/")
        graphs.append(_without_ingest_times(Graph().parse(out, format=parse)))
    assert len(graphs[0]) > 100
    assert isomorphic(*graphs)


def test_passages_jsonl_export_matches(fresh_neo4j, embedded, tmp_path):
    uri, _ = fresh_neo4j
    lines = []
    for store in (uri, embedded):
        out = tmp_path / "p.jsonl"
        cli("export", "--store", store, "--format", "passages-jsonl", "-o", out)
        lines.append(sorted(out.read_text().splitlines()))
    assert lines[0] == lines[1] and lines[0]


def test_import_into_neo4j(neo4j_uri, embedded, tmp_path):
    out = tmp_path / "all.ttl"
    cli("export", "--store", embedded, "--format", "turtle", "--with-embeddings", "-o", out)
    with open_neo4j(neo4j_uri) as store:
        store.clear()
    cli("import", out, "--store", neo4j_uri)
    assert cli_json("stats", "--store", neo4j_uri) == cli_json("stats", "--store", embedded)
    ours = cli_json("ask", QUESTIONS[2], "--store", embedded, "--k", "3")
    theirs = cli_json("ask", QUESTIONS[2], "--store", neo4j_uri, "--k", "3")
    assert ours["results"][0]["passage_id"] in [r["passage_id"] for r in theirs["results"]]


def test_web_app_on_neo4j(fresh_neo4j, embedder):
    import urllib.parse
    import urllib.request

    from citegraph.runtime import Runtime
    from citegraph.settings import Settings
    from citegraph.webapp import create_app
    from citegraph.webapp.server import BackgroundServer

    uri, _ = fresh_neo4j
    runtime = Runtime(Settings(store=uri, token="s3cret-token"))
    runtime.embedder = embedder

    def get(path):
        with urllib.request.urlopen(server.url + path, timeout=60) as reply:
            return reply.status, reply.read().decode("utf-8")

    def send(method, path, body=None):
        request = urllib.request.Request(
            server.url + path, method=method,
            data=json.dumps(body).encode() if body is not None else None,
            headers={"Authorization": "Bearer s3cret-token",
                     "Content-Type": "application/json"})
        with urllib.request.urlopen(request, timeout=120) as reply:
            return reply.status, json.loads(reply.read())

    with BackgroundServer(create_app(runtime=runtime)) as server:
        status, body = get("/api/search?q=" + urllib.parse.quote(QUESTIONS[0]) + "&k=5")
        result = json.loads(body)
        assert status == 200 and result["results"] and result["answer"]["citations"]
        concepts = json.loads(get("/api/concepts")[1])["concepts"]
        iri = max(concepts, key=lambda c: c["mentions"])["iri"]
        quoted = urllib.parse.quote(iri, safe="")
        assert get(f"/api/concepts/{quoted}")[0] == 200
        hood = json.loads(get(f"/api/concepts/{quoted}/neighbourhood?depth=2")[1])
        assert hood["nodes"] and hood["edges"]
        assert "<svg" in get(f"/concepts/{quoted}")[1] or get(f"/concepts/{quoted}")[0] == 200
        status, written = send("POST", "/api/articles", {
            "id": "web-neo4j", "title": "Posted to Neo4j",
            "text": "The contact center team now reports churn to the chief customer officer "
                    "every week, and marketing reads the same report."})
        assert status == 201 and written["status"] == "new"
        assert send("DELETE", "/api/articles/web-neo4j")[0] == 200
    runtime.close()


def _ingest_process(store: str, corpus: Path) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "citegraph", "ingest", str(corpus),
                             "--store", store, "--json"], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True,
                            env=dict(os.environ, CITEGRAPH_THREADS="1"))


def _many_articles(directory: Path, count: int) -> Path:
    from synthetic import articles

    directory.mkdir(parents=True, exist_ok=True)
    for record in articles(count):
        (directory / f"{record['_id']}.txt").write_text(
            record["title"] + "\n\n" + record["text"] + "\n", encoding="utf-8")
    return directory


def test_killed_ingest_rerun_equals_a_clean_ingest(neo4j_uri, tmp_path):
    corpus = _many_articles(tmp_path / "corpus", 60)
    with open_neo4j(neo4j_uri) as store:
        store.clear()
    proc = _ingest_process(neo4j_uri, corpus)
    deadline = time.monotonic() + 300
    while time.monotonic() < deadline and proc.poll() is None:
        with open_neo4j(neo4j_uri) as store:
            if store.stats()["articles"] >= 5:
                break
        time.sleep(0.5)
    proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=60)
    cli("ingest", corpus, "--store", neo4j_uri)
    clean = tmp_path / "clean"
    cli("ingest", corpus, "--store", clean)
    assert cli_json("stats", "--store", neo4j_uri) == cli_json("stats", "--store", clean)
    with open_neo4j(neo4j_uri) as store:
        concepts = [c.iri for c, n in store.list_concepts() if n]
        kept = {iri: store.co_occurring(iri, 1000) for iri in concepts}
        store.rebuild_cooccurrence()
        assert kept == {iri: store.co_occurring(iri, 1000) for iri in concepts}


def test_two_ingests_at_once_lose_nothing(neo4j_uri, tmp_path):
    first = _many_articles(tmp_path / "one", 12)
    second = tmp_path / "two"
    second.mkdir()
    for path in first.iterdir():  # other ids, same texts
        (second / ("b-" + path.name)).write_text(path.read_text(), encoding="utf-8")
    with open_neo4j(neo4j_uri) as store:
        store.clear()
    procs = [_ingest_process(neo4j_uri, first), _ingest_process(neo4j_uri, second)]
    for proc in procs:
        out, err = proc.communicate(timeout=600)
        assert proc.returncode == 0, err
    assert cli_json("stats", "--store", neo4j_uri)["articles"] == 24


@pytest.mark.skipif(not SEEDS.is_dir(), reason="../shared/corpus/seeds is not here")
def test_seed_articles_on_neo4j(neo4j_uri, tmp_path):
    with open_neo4j(neo4j_uri) as store:
        store.clear()
    report = cli_json("ingest", SEEDS, "--store", neo4j_uri)
    embedded = tmp_path / "seeds"
    assert report == cli_json("ingest", SEEDS, "--store", embedded)
    assert cli_json("stats", "--store", neo4j_uri) == cli_json("stats", "--store", embedded)
    question = "What share of companies have a chief customer officer?"
    ours = cli_json("ask", question, "--store", embedded, "--k", "5")
    theirs = cli_json("ask", question, "--store", neo4j_uri, "--k", "5")
    assert ours["results"][0]["passage_id"] in [r["passage_id"] for r in theirs["results"]]
