"""The JSON API over HTTP against a real waitress server, the real store and the real model."""
from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
from rdflib import Graph, Literal

from conftest import DEMO_ARTICLES, free_port

from webapp_support import (CONCEPTS, EX, TOKEN, XSS_ID, XSS_SCRIPT, build_web_store, http,
                            make_app, q)

AUTH = {"Authorization": f"Bearer {TOKEN}"}


@pytest.fixture(scope="module")
def store_dir(demo_store_dir, tmp_path_factory, embedder):
    directory = tmp_path_factory.mktemp("web") / "store"
    build_web_store(demo_store_dir, directory, embedder)
    return directory


@pytest.fixture(scope="module")
def server(store_dir, embedder):
    from citegraph.webapp.server import BackgroundServer

    with BackgroundServer(make_app(store_dir, embedder)) as running:
        yield running


def get(server, path, **kw):
    return http(server.url, "GET", path, **kw)


# --- reads ---------------------------------------------------------------------------------
def test_healthz_counts_the_store(server):
    r = get(server, "/healthz")
    assert r.status == 200
    body = r.json()
    assert body["status"] == "ok" and body["articles"] == DEMO_ARTICLES + 1 and body["concepts"] == len(CONCEPTS)
    assert body["mentions"] > 0


def test_search_returns_the_result_contract(server):
    r = get(server, "/api/search?q=" + q("What does a Chief Customer Officer do?") + "&k=5")
    assert r.status == 200 and r.headers["content-type"].startswith("application/json")
    body = r.json()
    assert body["query"] == "What does a Chief Customer Officer do?"
    assert 1 <= len(body["results"]) <= 5
    first = body["results"][0]
    assert set(first) >= {"rank", "score", "passage_id", "article_id", "title", "source",
                          "start", "end", "text", "highlight", "concepts"}
    assert [r["rank"] for r in body["results"]] == list(range(1, len(body["results"]) + 1))
    assert body["answer"]["citations"] and set(body["answer"]["citations"]) <= {
        r["rank"] for r in body["results"]}
    assert len(set(body["answer"]["citations"])) == len(body["answer"]["citations"])
    assert isinstance(body["answer"]["confidence"], float)  # the answer's, each result's own
    h = first["highlight"]
    assert 0 <= h["start"] < h["end"] <= len(first["text"])
    # the passage text is the article's cleaned text at start:end
    article = get(server, "/api/articles/" + q(first["article_id"])).json()
    assert article["text"][first["start"]:first["end"]] == first["text"]
    # concepts linked in the passages come with their labels
    labels = {c["label"] for r in body["results"] for c in r["concepts"]}
    assert "Chief Customer Officer" in labels


def test_search_with_a_concept_keeps_only_passages_that_mention_it(server):
    crm = EX + "crm"
    r = get(server, "/api/search?q=customer&k=20&concept=" + q(crm))
    assert r.status == 200
    results = r.json()["results"]
    assert results
    assert all(crm in {c["iri"] for c in res["concepts"]} for res in results)
    unfiltered = get(server, "/api/search?q=customer&k=20").json()["results"]
    assert any(crm not in {c["iri"] for c in res["concepts"]} for res in unfiltered)


def test_concepts_list_counts_mentions(server):
    body = get(server, "/api/concepts").json()
    by_iri = {c["iri"]: c for c in body["concepts"]}
    assert set(by_iri) == {c.iri for c in CONCEPTS}
    assert by_iri[EX + "cco"]["mentions"] > 0
    assert by_iri[EX + "executive"]["mentions"] == 0


def test_concept_by_iri_and_by_label(server):
    by_iri = get(server, "/api/concepts/" + q(EX + "cco"))
    assert by_iri.status == 200
    card = by_iri.json()
    assert card["label"] == "Chief Customer Officer" and card["alt_labels"] == ["CCO"]
    assert [b["iri"] for b in card["broader"]] == [EX + "executive"]
    assert [r["iri"] for r in card["related"]] == [EX + "cmo"]
    assert EX + "cmo" in {c["iri"] for c in card["co_occurring"]}
    assert card["passages"] and all(
        m["surface"].lower() in ("chief customer officer", "cco") for p in card["passages"]
        for m in p["mentions"])
    p = card["passages"][0]
    m = p["mentions"][0]
    assert p["text"][m["start"]:m["end"]] == m["surface"]
    # unencoded IRI in the path (keeps its '//') and the label both resolve
    assert get(server, "/api/concepts/" + EX + "cco").json()["iri"] == EX + "cco"
    assert get(server, "/api/concepts/" + q("chief customer officer")).json()["iri"] == EX + "cco"


def test_neighbourhood_depth_one_and_two(server):
    one = get(server, f"/api/concepts/{q(EX + 'cco')}/neighbourhood?depth=1").json()
    assert one["center"] == EX + "cco" and one["depth"] == 1
    nodes = {n["iri"]: n["depth"] for n in one["nodes"]}
    assert nodes[EX + "cco"] == 0 and nodes[EX + "executive"] == 1 and nodes[EX + "cmo"] == 1
    kinds = {(e["source"], e["target"], e["type"]) for e in one["edges"]}
    assert (EX + "cco", EX + "executive", "broader") in kinds
    assert any(t == "related" for *_pair, t in kinds)
    co = [e for e in one["edges"] if e["type"] == "co-occurs"]
    assert co and all(e["passage_count"] >= len(e["passages"]) > 0 for e in co)
    assert all(e["weight"] == e["passage_count"] for e in co)
    assert co[0]["passages"][0]["text"] and co[0]["passages"][0]["title"] is not None
    # depth 2 reaches the CMO's broader sibling through the executive role, and more
    two = get(server, f"/api/concepts/{q(EX + 'executive')}/neighbourhood?depth=2").json()
    depths = {n["iri"]: n["depth"] for n in two["nodes"]}
    assert depths[EX + "cco"] == 1 and depths[EX + "cmo"] == 1
    assert any(d == 2 for d in depths.values())
    executive_one = get(server, f"/api/concepts/{q(EX + 'executive')}/neighbourhood").json()
    assert len(executive_one["nodes"]) < len(two["nodes"])


def test_article_with_passages_and_mentions(server):
    body = get(server, "/api/articles/" + q(XSS_ID)).json()
    assert body["id"] == XSS_ID and XSS_SCRIPT in body["title"]
    assert [p["ordinal"] for p in body["passages"]] == list(range(len(body["passages"])))
    mentioned = {m["iri"] for p in body["passages"] for m in p["mentions"]}
    assert {EX + "cco", EX + "cmo", EX + "crm", EX + "xss"} <= mentioned


def test_export_passages_jsonl_is_streamed(server, store_dir):
    r = get(server, "/api/export?format=passages-jsonl")
    assert r.status == 200 and r.headers["content-type"].startswith("application/jsonl")
    assert "content-length" not in r.headers  # streamed (chunked), not built in memory
    lines = [json.loads(line) for line in r.text.splitlines()]
    assert len(lines) == get(server, "/healthz").json()["passages"]
    assert set(lines[0]) == {"passage_id", "article_id", "start", "end", "text", "section",
                             "author", "date"}


@pytest.mark.parametrize("fmt, parse_as, media", [
    ("turtle", "turtle", "text/turtle"), ("nt", "nt", "application/n-triples"),
    ("json-ld", "json-ld", "application/ld+json")])
def test_export_rdf_formats_parse(server, fmt, parse_as, media):
    r = get(server, "/api/export?format=" + fmt)
    assert r.status == 200 and r.headers["content-type"].startswith(media)
    assert "content-length" not in r.headers
    graph = Graph().parse(data=r.text, format=parse_as)
    literals = {str(o) for o in graph.objects() if isinstance(o, Literal)}
    assert "Chief Customer Officer" in literals  # the concept scheme
    assert any(XSS_SCRIPT in text for text in literals)  # the hostile title, verbatim


def test_openapi_document_describes_the_routes(server):
    spec = get(server, "/api/openapi.json").json()
    assert spec["openapi"].startswith("3.")
    for path in ["/api/search", "/api/concepts", "/api/concepts/{concept_id}",
                 "/api/concepts/{concept_id}/neighbourhood", "/api/articles/{article_id}",
                 "/api/articles", "/api/export", "/healthz"]:
        assert path in spec["paths"], path
    params = {p["name"]: p for p in spec["paths"]["/api/search"]["get"]["parameters"]}
    assert params["q"]["required"] and params["k"]["schema"]["maximum"] == 100
    assert spec["paths"]["/api/articles"]["post"]["security"] == [{"BearerToken": []}]
    assert "/concepts/{concept_id}" not in spec["paths"]  # pages are not API


# --- bad input: 400/404 with a JSON error, never 500 --------------------------------------
@pytest.mark.parametrize("path, status, field", [
    ("/api/search", 400, "q"),
    ("/api/search?q=", 400, "q"),
    ("/api/search?q=%20%20", 400, "q"),
    ("/api/search?q=" + "a" * 20_001, 400, "q"),
    ("/api/search?q=ok&k=0", 400, "k"),
    ("/api/search?q=ok&k=101", 400, "k"),
    ("/api/search?q=ok&k=ten", 400, "k"),
    ("/api/search?q=ok&concept=" + q(EX + "nope"), 404, "concept"),
    ("/api/concepts/" + q(EX + "nope"), 404, "concept"),
    ("/api/concepts/" + q(EX + "cco") + "/neighbourhood?depth=3", 400, "depth"),
    ("/api/concepts/" + q(EX + "cco") + "/neighbourhood?depth=x", 400, "depth"),
    ("/api/articles/no-such-article", 404, "article"),
    ("/api/export?format=xml", 400, "format"),
    ("/api/export", 400, "format"),
    ("/api/no-such-route", 404, "not found"),
])
def test_bad_parameters_get_a_json_error(server, path, status, field):
    r = get(server, path)
    assert r.status == status
    assert r.headers["content-type"].startswith("application/json")
    body = r.json()
    assert body["status"] == status and field in body["error"] and "\n" not in body["error"]


def test_security_headers_on_api_and_pages(server):
    for path in ["/api/concepts", "/", "/static/graph.js", "/api/no-such-route"]:
        headers = get(server, path).headers
        csp = headers["content-security-policy"]
        assert "frame-ancestors 'none'" in csp and "script-src 'self'" in csp
        assert "unsafe-inline" not in csp
        assert headers["x-content-type-options"] == "nosniff"


def test_request_body_over_the_limit_is_refused(server):
    from citegraph.webapp import MAX_REQUEST_BYTES

    # headers announcing a body over the limit are answered before the body is sent
    host, port = server.url.removeprefix("http://").split(":")
    with socket.create_connection((host, int(port)), timeout=30) as conn:
        conn.sendall(f"POST /api/articles HTTP/1.1\r\nHost: {host}\r\n"
                     f"Authorization: Bearer {TOKEN}\r\nContent-Type: application/json\r\n"
                     f"Content-Length: {MAX_REQUEST_BYTES + 1}\r\n\r\n{{".encode())
        reply = b""
        while chunk := conn.recv(4096):
            reply += chunk
    head, _, body = reply.decode("latin-1").partition("\r\n\r\n")
    assert head.startswith("HTTP/1.1 413") and "application/json" in head.lower()
    assert json.loads(body) == {"error": "Request Entity Too Large: exceeds max_body of "
                                         f"{MAX_REQUEST_BYTES}", "status": 413}


# --- writes ----------------------------------------------------------------------------------
ARTICLE = {"id": "api/new-article", "title": "Owning the customer journey",
           "text": "The Chief Customer Officer maps every step of the customer journey and "
                   "reports churn to the board every quarter.\n\nNobody else owns retention.",
           "url": "https://example.org/journey"}


def test_writes_without_a_configured_token_are_forbidden(store_dir, embedder):
    from citegraph.webapp.server import BackgroundServer

    with BackgroundServer(make_app(store_dir, embedder, token=None)) as s:
        for method, path, body in [("POST", "/api/articles", ARTICLE),
                                   ("DELETE", "/api/articles/" + q(XSS_ID), None)]:
            r = http(s.url, method, path, body, AUTH)
            assert r.status == 403 and "CITEGRAPH_TOKEN" in r.json()["error"]
        assert get(s, "/api/articles/" + q(XSS_ID)).status == 200


@pytest.mark.parametrize("headers", [{}, {"Authorization": "Bearer wrong"},
                                     {"Authorization": TOKEN},
                                     {"Authorization": f"Basic {TOKEN}"}])
def test_writes_with_a_missing_or_wrong_token_are_unauthorised(server, headers):
    r = http(server.url, "POST", "/api/articles", ARTICLE, headers)
    assert r.status == 401 and r.headers["www-authenticate"].startswith("Bearer")
    r = http(server.url, "DELETE", "/api/articles/" + q(XSS_ID), None, headers)
    assert r.status == 401
    assert get(server, "/api/articles/" + q(ARTICLE["id"])).status == 404


@pytest.mark.parametrize("body, field", [
    (b"{not json", "Invalid JSON"),
    (b"[1, 2]", "Invalid input type"),
    (json.dumps({"title": "t", "text": "x"}).encode(), "id"),
    (json.dumps({"id": "x", "title": "t"}).encode(), "text"),
    (json.dumps({"id": "x", "title": "t", "text": "   "}).encode(), "text"),
    (json.dumps({"id": "x", "title": "t", "text": "x", "url": "javascript:alert(1)"}).encode(),
     "url"),
    (json.dumps({"id": "x", "title": "t", "text": "x", "extra": 1}).encode(), "extra"),
    (json.dumps({"id": 5, "title": "t", "text": "x"}).encode(), "id"),
])
def test_bad_article_bodies_get_400(server, body, field):
    r = http(server.url, "POST", "/api/articles", body,
             {**AUTH, "Content-Type": "application/json"})
    assert r.status == 400 and field in r.json()["error"]


def test_post_then_search_then_delete(server):
    r = http(server.url, "POST", "/api/articles", ARTICLE, AUTH)
    assert r.status == 201, r.text
    assert r.json()["status"] == "new" and r.json()["passages"] >= 1
    assert r.headers["location"].endswith("/api/articles/api/new-article")
    again = http(server.url, "POST", "/api/articles", ARTICLE, AUTH)
    assert again.status == 200 and again.json()["status"] == "unchanged"
    stored = get(server, "/api/articles/" + q(ARTICLE["id"])).json()
    assert stored["title"] == ARTICLE["title"] and "customer journey" in stored["text"]
    found = get(server, "/api/search?q=" + q("who reports churn to the board") + "&k=3").json()
    assert found["results"][0]["article_id"] == ARTICLE["id"]

    gone = http(server.url, "DELETE", "/api/articles/" + q(ARTICLE["id"]), None, AUTH)
    assert gone.status == 200 and gone.json()["status"] == "deleted"
    assert get(server, "/api/articles/" + q(ARTICLE["id"])).status == 404
    found = get(server, "/api/search?q=" + q("who reports churn to the board") + "&k=3").json()
    assert all(r["article_id"] != ARTICLE["id"] for r in found["results"])
    again = http(server.url, "DELETE", "/api/articles/" + q(ARTICLE["id"]), None, AUTH)
    assert again.status == 404


# --- the command ---------------------------------------------------------------------------------
def test_citegraph_serve_answers_over_http(store_dir):
    port = free_port()
    env = {**os.environ, "CITEGRAPH_THREADS": "1", "CITEGRAPH_TOKEN": ""}
    command = Path(sys.executable).with_name("citegraph")  # the installed console script
    proc = subprocess.Popen([str(command), "serve", "--port", str(port),
                             "--store", str(store_dir), "--threads", "2"],
                            env=env, stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.monotonic() + 120
        while True:
            try:
                r = http(f"http://127.0.0.1:{port}", "GET", "/healthz")
                break
            except OSError:
                if proc.poll() is not None or time.monotonic() > deadline:
                    pytest.fail("server did not start: " + proc.stderr.read())
                time.sleep(0.5)
        assert r.status == 200 and r.json()["articles"] == DEMO_ARTICLES + 1
        assert r.headers["server"] == "citegraph"  # waitress, not the development server
        r = http(f"http://127.0.0.1:{port}", "GET", "/api/search?q=" + q("CRM") + "&k=2")
        assert r.status == 200 and len(r.json()["results"]) == 2
    finally:
        proc.terminate()
        proc.wait(timeout=30)
    assert "writes off" in proc.stderr.read()
