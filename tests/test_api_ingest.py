"""POST /api/ingest: URLs through the real server, with the token every write needs and the
fetcher's guards; a URL the caller names does not open the server's own network."""
from __future__ import annotations

from contextlib import contextmanager

import pytest

from web_fixtures import blog, rss, serve
from webapp_support import TOKEN, http

AUTH = {"Authorization": f"Bearer {TOKEN}"}


@contextmanager
def api(store_dir, embedder, token=TOKEN, allow_private=False):
    from citegraph.runtime import Runtime
    from citegraph.settings import Settings
    from citegraph.webapp import create_app
    from citegraph.webapp.server import BackgroundServer

    runtime = Runtime(Settings(store=str(store_dir), token=token, fetch_delay=0.0,
                               fetch_allow_private=allow_private))
    runtime.embedder = embedder
    with BackgroundServer(create_app(runtime=runtime)) as running:
        yield running


@pytest.fixture
def site():
    with serve() as running:
        yield running


def test_writes_need_the_token(site, tmp_path, embedder):
    blog(site, posts=1)
    body = {"urls": [site.base + "/posts/1.html"]}
    with api(tmp_path / "s", embedder) as server:
        assert http(server.url, "POST", "/api/ingest", body).status == 401
        assert http(server.url, "POST", "/api/ingest", body,
                    {"Authorization": "Bearer wrong"}).status == 401
    with api(tmp_path / "s2", embedder, token="") as server:
        assert http(server.url, "POST", "/api/ingest", body, AUTH).status == 403
    assert site.requests == []


def test_a_named_loopback_url_is_refused_unless_the_server_allows_it(site, tmp_path, embedder):
    links = blog(site, posts=3)
    with api(tmp_path / "s", embedder) as server:
        r = http(server.url, "POST", "/api/ingest", {"urls": [links[0]]}, AUTH)
        assert r.status == 200, r.text
        out = r.json()
        assert out["new"] == 0 and out["failed"] == 1
        assert "loopback address" in out["failures"][0]["reason"]
        assert out["failures"][0]["where"] == links[0]
    assert site.requests == []
    with api(tmp_path / "s", embedder, allow_private=True) as server:
        r = http(server.url, "POST", "/api/ingest", {"urls": [site.base + "/feed.xml"]}, AUTH)
        assert r.json() == {"new": 3, "changed": 0, "unchanged": 0, "failed": 0,
                            "passages": r.json()["passages"], "mentions": 0, "failures": []}
        r = http(server.url, "POST", "/api/ingest", {"urls": [site.base + "/feed.xml"]}, AUTH)
        assert r.json()["unchanged"] == 3
        card = http(server.url, "GET", "/api/articles/" + links[1]).json()
        assert card["source"] == links[1]
        assert {p["section"] for p in card["passages"]} == {"body", "comment"}


def test_the_same_guards_as_the_command(site, tmp_path, embedder):
    blog(site, posts=1)
    site.add("/file", "", status=302, headers={"Location": "file:///etc/passwd"})
    with serve("127.0.0.2") as inner:
        inner.add("/robots.txt", "", "text/plain")
        site.add("/go", "", status=302, headers={"Location": inner.base + "/x"})
        site.add("/feed9.xml", rss(site.base, [site.base + "/private/secret.html"]),
                 "application/rss+xml")
        with api(tmp_path / "s", embedder, allow_private=True) as server:
            r = http(server.url, "POST", "/api/ingest", {"urls": [
                site.base + "/file", site.base + "/feed9.xml"], "limit": 5}, AUTH)
            reasons = {f["where"]: f["reason"] for f in r.json()["failures"]}
            assert "redirect from http to file" in reasons[site.base + "/file"]
            assert reasons[site.base + "/private/secret.html"] == "robots.txt forbids it"
        with api(tmp_path / "s", embedder) as server:
            r = http(server.url, "POST", "/api/ingest", {"urls": [site.base + "/go"]}, AUTH)
            assert "loopback" in r.json()["failures"][0]["reason"]
        assert inner.requests == []


@pytest.mark.parametrize("body", [
    {"urls": ["file:///etc/passwd"]}, {"urls": []}, {"urls": "http://x.invalid/"},
    {"urls": ["http://x.invalid/"] * 101}, {"urls": ["http://x.invalid/"], "limit": 0},
    {"urls": ["http://x.invalid/\ud800"]}, {}])
def test_bad_bodies_are_400(tmp_path, embedder, body):
    with api(tmp_path / "s", embedder) as server:
        r = http(server.url, "POST", "/api/ingest", body, AUTH)
        assert r.status in (400, 422), r.text
