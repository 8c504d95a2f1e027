"""The store owns its scheme (ontology/sync.py): a scheme is loaded into a store explicitly
(`citegraph scheme load`, `scheme add`, `ingest --ontology` on first use), and every later
ingest, relink and server uses the store's scheme, on SQLite and on a live Neo4j. The real
CLI in process, the real model, a real HTTP server."""
from __future__ import annotations

import json
import os
import shutil

import pytest
from click.testing import CliRunner

from conftest import DEMO
from webapp_support import TOKEN, http, make_app

CX = "https://citegraph.org/scheme/cx/"
ADDED = CX + "ExecutiveSponsorship"
NOTE = ("Executive sponsorship decides whether a customer programme survives its first "
        "budget round: without executive sponsorship it stalls.")


def cli(*args, expect: int = 0):
    from citegraph.cli import main

    result = CliRunner().invoke(main, [str(a) for a in args])
    assert result.exit_code == expect, result.output
    return result.output


@pytest.fixture(params=["sqlite", pytest.param("neo4j", marks=pytest.mark.neo4j)])
def store_spec(request, tmp_path):
    """A store no command has touched: a folder, or a cleared live Neo4j."""
    if request.param == "sqlite":
        yield str(tmp_path / "store")
        return
    uri = os.environ.get("NEO4J_URI")
    if not uri:
        pytest.skip("NEO4J_URI is not set (`python -m pytest -m neo4j` starts a Neo4j)")
    from conftest import open_neo4j

    with open_neo4j(uri) as s:
        s.clear()
    yield uri
    with open_neo4j(uri) as s:
        s.clear()


@pytest.fixture
def user_scheme(tmp_path):
    from citegraph.ontology.scheme import SHIPPED

    path = tmp_path / "my.ttl"
    shutil.copy(SHIPPED, path)
    return path


def stats(spec) -> dict:
    return json.loads(cli("stats", "--store", spec, "--json"))


def mentioned(spec, article_id: str) -> set[str]:
    from citegraph.runtime import Runtime
    from citegraph.settings import Settings

    runtime = Runtime(Settings(store=spec), readonly=True)
    with runtime.store as s:
        ids = [p.id for p in s.article_passages(article_id)]
        return {m.iri for ms in s.passage_mentions(ids).values() for m in ms}


def test_scheme_add_then_plain_ingest_then_a_restarted_server_keep_the_users_scheme(
        store_spec, user_scheme, tmp_path, embedder):
    cli("ingest", DEMO / "chief-customer-officer-vs-cmo.txt", "--store", store_spec)
    shipped = stats(store_spec)["concepts"]
    assert shipped == 103
    # a server started before the user's scheme grows
    earlier = make_app(store_spec, embedder)
    cli("scheme", "add", "executive sponsorship", "--broader", CX + "ChiefCustomerOfficer",
        "--scheme", user_scheme, "--store", store_spec)
    assert stats(store_spec)["concepts"] == shipped + 1

    note = tmp_path / "notes" / "sponsorship.txt"
    note.parent.mkdir()
    note.write_text(NOTE, encoding="utf-8")
    cli("ingest", note, "--store", store_spec)  # plain: no --ontology
    assert stats(store_spec)["concepts"] == shipped + 1
    assert ADDED in mentioned(store_spec, "sponsorship.txt")

    from citegraph.webapp.server import BackgroundServer

    for app, article_id in ((earlier, "from-the-earlier-server"),
                            (make_app(store_spec, embedder), "from-a-restarted-server")):
        with BackgroundServer(app) as server:
            r = http(server.url, "POST", "/api/articles",
                     {"id": article_id, "title": "Sponsors", "text": NOTE},
                     headers={"Authorization": f"Bearer {TOKEN}"})
            assert r.status == 201, r.body
            assert http(server.url, "GET", "/healthz").json()["concepts"] == shipped + 1
            card = http(server.url, "GET", "/api/articles/" + article_id).json()
            assert ADDED in {m["iri"] for p in card["passages"] for m in p["mentions"]}
        app.extensions["citegraph.runtime"].close()
    assert stats(store_spec)["concepts"] == shipped + 1


def test_replacing_the_scheme_says_what_changes_and_keeps_mentioned_concepts(
        store_spec, user_scheme, tmp_path):
    from citegraph.ontology.scheme import SHIPPED

    cli("scheme", "add", "executive sponsorship", "--broader", CX + "ChiefCustomerOfficer",
        "--scheme", user_scheme, "--store", store_spec, "--no-relink")
    note = tmp_path / "sponsorship.txt"
    note.write_text(NOTE, encoding="utf-8")
    # --ontology: the scheme of a store that holds none yet (its first use)
    cli("ingest", note, "--store", store_spec, "--ontology", user_scheme)
    assert stats(store_spec)["concepts"] == 104

    # a second --ontology naming another scheme is refused, not applied
    out = cli("ingest", note, "--store", store_spec, "--ontology", SHIPPED, expect=2)
    assert "scheme load" in out and len(out.strip().splitlines()) == 1
    # replacing it drops a concept the note mentions: refused, nothing written
    out = cli("scheme", "load", SHIPPED, "--store", store_spec, expect=2)
    assert ADDED in out and "--force" in out and len(out.strip().splitlines()) == 1
    assert stats(store_spec)["concepts"] == 104 and ADDED in mentioned(store_spec, "sponsorship.txt")
    assert json.loads(cli("scheme", "show", "--store", store_spec, "--json"))["source"] \
        == str(user_scheme.resolve())

    # a changed label and a removed concept nobody mentions: counted, no --force needed
    text = user_scheme.read_text(encoding="utf-8")
    assert 'skos:prefLabel "voice of the customer"@en' in text
    text = text.replace('skos:prefLabel "voice of the customer"@en',
                        'skos:prefLabel "voice of our customers"@en')
    # the appended concept's subject: its full IRI, or a prefixed name where the file
    # declares its namespace (scheme add writes the file's own prefixes)
    subject = min(i for i in (text.find("<" + ADDED + ">"), text.find(":ExecutiveSponsorship"))
                  if i >= 0)
    start = text.rfind("\n", 0, subject) + 1
    smaller = tmp_path / "smaller.ttl"
    smaller.write_text(text[:start], encoding="utf-8")  # the appended concept cut off
    grown = tmp_path / "grown.ttl"
    grown.write_text(text, encoding="utf-8")
    out = cli("scheme", "load", grown, "--store", store_spec)
    assert "104 concepts (0 added, 0 removed, 1 changed)" in out
    assert "already holds this scheme" in cli("scheme", "load", grown, "--store", store_spec)

    out = cli("scheme", "load", smaller, "--store", store_spec, "--force")
    assert "103 concepts (0 added, 1 removed, 0 changed)" in out
    assert "mentions of removed concepts dropped" in out
    assert stats(store_spec)["concepts"] == 103
    assert ADDED not in mentioned(store_spec, "sponsorship.txt")


def test_a_store_made_before_keeps_its_scheme(demo_store_dir, tmp_path, embedder):
    """A store written before the store owned its scheme (concepts, no source recorded):
    its concepts are its scheme, and a plain ingest or relink keeps them."""
    from citegraph.graph.sqlite_store import SQLiteStore
    from citegraph.ontology.scheme import SHIPPED, load_scheme
    from citegraph.ontology.sync import SCHEME_SOURCE

    store = tmp_path / "store"
    shutil.copytree(demo_store_dir, store)
    shipped = load_scheme(SHIPPED).concepts
    with SQLiteStore(store) as s:  # as the earlier `ingest` left it: the shipped concepts
        linked = {i for c in shipped for i in c.broader + c.related}
        s.replace_concepts([c for c in shipped if c.iri != next(
            c.iri for c in shipped if c.iri not in linked)])  # one leaf fewer
        assert s.meta_value(SCHEME_SOURCE) is None
    note = tmp_path / "note.txt"
    note.write_text(NOTE, encoding="utf-8")
    cli("ingest", note, "--store", store)
    assert stats(store)["concepts"] == len(shipped) - 1
    assert "concepts: 102" in cli("relink", "--store", store)
    assert "1 added" in cli("scheme", "load", SHIPPED, "--store", store)
    assert json.loads(cli("scheme", "show", "--store", store, "--json"))["source"] == "shipped"


def test_a_scheme_load_waits_for_a_running_bulk_ingest(user_scheme, tmp_path, monkeypatch):
    """A load holds the ingest lock: with CITEGRAPH_INGEST_WAIT=0 it is refused while an
    ingest holds the store, and nothing changes (no ingest links with a replaced scheme)."""
    from citegraph.graph.sqlite.store import SQLiteStore
    from citegraph.ontology.scheme import SHIPPED

    store = tmp_path / "store"
    cli("scheme", "load", SHIPPED, "--store", store)
    cli("scheme", "add", "executive sponsorship", "--broader", CX + "ChiefCustomerOfficer",
        "--scheme", user_scheme, "--no-relink")
    monkeypatch.setenv("CITEGRAPH_INGEST_WAIT", "0")
    with SQLiteStore(store) as s, s.ingest_lock():
        out = cli("scheme", "load", user_scheme, "--store", store, expect=2)
    assert len(out.strip().splitlines()) == 1 and "Traceback" not in out
    assert stats(store)["concepts"] == 103
    assert "1 added" in cli("scheme", "load", user_scheme, "--store", store)
