"""Security of the web app over a real server (waitress on a free port, a private copy of the
demo store): the token on writes, escaping on every page, injection strings through every
parameter, length limits, no path to the local file system, security headers."""
from __future__ import annotations

import hmac
import json
import shutil
import urllib.error
import urllib.parse
import urllib.request

import pytest

pytest.importorskip("citegraph.webapp.server", reason="the web app is not in this checkout")

TOKEN = "s3cret-token-for-tests"
XSS = '<script>alert("x")</script><img src=x onerror=alert(1)>"\'&'
INJECTIONS = ["'; DROP TABLE articles; --", "\" OR 1=1 --", "x' UNION SELECT * FROM passages --",
              "}) MATCH (n) DETACH DELETE n //", "' OR 1=1 WITH n MATCH (m) DETACH DELETE m //",
              "$param", "`backtick`", "%00\x00nul", "*", "\"", "NEAR(a b)", "AND OR NOT"]


def call(url, method="GET", body=None, headers=None, raw=None):
    data = raw if raw is not None else (json.dumps(body).encode() if body is not None else None)
    request = urllib.request.Request(url, data=data, method=method, headers=dict(headers or {}))
    if data is not None:
        request.add_header("Content-Type", "application/json")
    try:
        with urllib.request.urlopen(request, timeout=120) as r:
            return r.status, dict(r.headers), r.read().decode("utf-8", "replace")
    except urllib.error.HTTPError as exc:
        return exc.code, dict(exc.headers), exc.read().decode("utf-8", "replace")


@pytest.fixture(scope="module")
def server(demo_store_dir, tmp_path_factory, embedder):
    from citegraph.runtime import Runtime
    from citegraph.settings import Settings
    from citegraph.webapp import create_app
    from citegraph.webapp.server import BackgroundServer

    store = tmp_path_factory.mktemp("security") / "store"
    shutil.copytree(demo_store_dir, store)
    runtime = Runtime(Settings(store=str(store), token=TOKEN))
    runtime.embedder = embedder
    app = create_app(runtime=runtime)
    with BackgroundServer(app) as s:
        yield s.url, runtime


AUTH = {"Authorization": f"Bearer {TOKEN}"}


def article_body(article_id, **extra):
    return {"id": article_id, "title": f"Title {XSS}",
            "text": f"A paragraph about customer analytics. {XSS} And more text follows here.",
            **extra}


# --- token on writes ----------------------------------------------------------------------
@pytest.mark.parametrize("headers", [{}, {"Authorization": "Bearer wrong"},
                                     {"Authorization": f"Basic {TOKEN}"},
                                     {"Authorization": f"Bearer {TOKEN}x"},
                                     {"Authorization": f"Bearer {TOKEN[:-1]}"},
                                     {"Authorization": "Bearer "}])
def test_writes_need_the_right_token(server, headers):
    url, runtime = server
    before = runtime.store.stats()
    status, _, _ = call(url + "/api/articles", "POST", article_body("tok-1"), headers)
    assert status == 401
    status, _, _ = call(url + "/api/articles/" + urllib.parse.quote("tok-1"), "DELETE",
                        headers=headers)
    assert status == 401
    assert runtime.store.stats() == before


def test_right_token_writes_and_comparison_is_constant_time(server, monkeypatch):
    url, runtime = server
    seen = []
    real = hmac.compare_digest

    def spy(a, b):  # the real comparison, recorded
        seen.append((a, b))
        return real(a, b)

    import citegraph.webapp.security

    monkeypatch.setattr(citegraph.webapp.security.hmac, "compare_digest", spy)
    status, _, _ = call(url + "/api/articles", "POST", article_body("tok-ok"), AUTH)
    assert status == 201
    status, _, _ = call(url + "/api/articles", "POST", article_body("tok-no"),
                        {"Authorization": "Bearer nope"})
    assert status == 401
    assert len(seen) == 2 and all(b == TOKEN.encode() for _a, b in seen)
    status, _, _ = call(url + "/api/articles/tok-ok", "DELETE", headers=AUTH)
    assert status == 200 and runtime.store.get_article("tok-ok") is None


def test_writes_off_without_a_token(demo_store_dir, tmp_path, embedder):
    from citegraph.runtime import Runtime
    from citegraph.settings import Settings
    from citegraph.webapp import create_app

    store = tmp_path / "store"
    shutil.copytree(demo_store_dir, store)
    runtime = Runtime(Settings(store=str(store)))
    runtime.embedder = embedder
    client = create_app(runtime=runtime).test_client()
    response = client.post("/api/articles", json=article_body("off"), headers=AUTH)
    assert response.status_code == 403


# --- escaping -----------------------------------------------------------------------------
def test_every_page_escapes_stored_and_requested_text(server):
    url, runtime = server
    article_id = f"xss-{XSS}"
    status, _, _ = call(url + "/api/articles", "POST", article_body(article_id), AUTH)
    assert status == 201, "the article with markup must be stored as text"
    concept = runtime.store.list_concepts()[0][0]
    q = urllib.parse.quote
    pages = [f"/?q={q('customer analytics ' + XSS)}", f"/?q={q(XSS)}&k=abc",
             f"/articles/{q(article_id, safe='')}", "/concepts",
             f"/concepts/{q(concept.iri, safe='')}", f"/articles/{q(XSS, safe='')}",
             f"/concepts/{q(XSS, safe='')}", f"/?q=analytics&concept={q(XSS)}"]
    for page in pages:
        status, headers, body = call(url + page)
        assert status < 500, page
        assert "<script>alert" not in body and "<img src=x" not in body, page
        if "text/html" in headers.get("Content-Type", ""):
            assert "&lt;script&gt;" in body or page == "/concepts" or \
                page.startswith("/concepts/http"), page
    status, _, body = call(url + "/articles/" + q(article_id, safe=""))
    assert status == 200 and "&lt;script&gt;alert(" in body


# --- injection strings through every parameter ------------------------------------------
def test_injection_strings_through_every_parameter(server):
    url, runtime = server
    before = runtime.store.stats()
    q = urllib.parse.quote
    for s in INJECTIONS:
        e = q(s, safe="")
        for path in [f"/api/search?q={e}", f"/api/search?q=analytics&k={e}",
                     f"/api/search?q=analytics&concept={e}", f"/api/concepts/{e}",
                     f"/api/concepts/{e}/neighbourhood?depth=1",
                     f"/api/concepts/x/neighbourhood?depth={e}", f"/api/articles/{e}",
                     f"/api/export?format={e}", f"/?q={e}", f"/articles/{e}",
                     f"/concepts/{e}"]:
            status, _, body = call(url + path)
            assert status < 500, (path, body[:300])
    assert runtime.store.stats() == before
    # a write with the strings stores them literally
    for i, s in enumerate(INJECTIONS[:5]):
        article_id = f"inj-{i}-{s}"
        status, _, body = call(url + "/api/articles", "POST",
                               {"id": article_id, "title": s, "text": f"Text {s} stays text."},
                               AUTH)
        assert status == 201, body
        stored = runtime.store.get_article(article_id)
        assert stored.title == s and s in stored.text
        status, _, body = call(url + "/api/articles/" + q(article_id, safe=""))
        assert status == 200 and json.loads(body)["id"] == article_id
    after = runtime.store.stats()
    assert after["articles"] == before["articles"] + 5 and after["concepts"] == before["concepts"]


# --- limits -------------------------------------------------------------------------------
def test_query_and_body_length_limits(server):
    url, runtime = server
    from citegraph.search.service import MAX_QUESTION_CHARS

    status, _, _ = call(url + "/api/search?q=" + "a" * (MAX_QUESTION_CHARS + 1))
    assert status == 400
    status, _, _ = call(url + "/api/search?q=analytics&k=100000")
    assert status == 400
    big = b'{"id": "big", "title": "", "text": "' + b"a" * (9 * 2**20) + b'"}'
    try:
        status, _, _ = call(url + "/api/articles", "POST", raw=big, headers=AUTH)
    except urllib.error.URLError as exc:  # waitress may close before the body is sent
        assert isinstance(exc.reason, (BrokenPipeError, ConnectionResetError)), exc
        status = 413
    assert status == 413
    assert runtime.store.get_article("big") is None
    status, _, _ = call(url + "/api/articles", "POST",
                        {"id": "x" * 301, "title": "", "text": "Some text."}, AUTH)
    assert status == 400


# --- no path to the file system -----------------------------------------------------------
def test_no_path_from_the_api_to_local_files(server):
    url, runtime = server
    for path in ["/api/articles/..%2F..%2F..%2Fetc%2Fpasswd", "/api/articles//etc/passwd",
                 "/articles/..%2F..%2Fetc%2Fpasswd", "/static/..%2F..%2F..%2Fetc%2Fpasswd",
                 "/static/../../../../etc/passwd", "/api/export?format=..%2F..%2Fetc%2Fpasswd",
                 "/api/export?format=/etc/passwd", "/api/concepts/file%3A%2F%2F%2Fetc%2Fpasswd"]:
        status, _, body = call(url + path)
        assert "root:x:0:0" not in body and status in (400, 404), (path, status)
    # a posted `source` or `url` naming a file is a label: nothing is read from it
    status, _, body = call(url + "/api/articles", "POST",
                           {"id": "fs-1", "title": "t", "text": "Posted text only.",
                            "source": "/etc/passwd"}, AUTH)
    assert status == 201
    assert runtime.store.get_article("fs-1").text == "Posted text only."
    status, _, _ = call(url + "/api/articles", "POST",
                        {"id": "fs-2", "title": "t", "text": "x", "url": "file:///etc/passwd"},
                        AUTH)
    assert status == 400


# --- headers ------------------------------------------------------------------------------
def test_security_headers_on_pages_api_and_errors(server):
    url, _ = server
    for path in ["/", "/?q=analytics", "/api/search?q=analytics", "/api/openapi.json",
                 "/healthz", "/articles/no-such", "/api/articles/no-such", "/concepts"]:
        _, headers, _ = call(url + path)
        csp = headers.get("Content-Security-Policy", "")
        assert "default-src 'self'" in csp and "script-src 'self'" in csp, path
        assert "'unsafe-inline'" not in csp and "frame-ancestors 'none'" in csp, path
        assert headers.get("X-Content-Type-Options") == "nosniff", path
        assert headers.get("X-Frame-Options") == "DENY", path
        assert headers.get("Referrer-Policy"), path
