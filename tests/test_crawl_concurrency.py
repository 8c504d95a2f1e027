"""A crawl (POST /api/ingest, `citegraph ingest URL`) does not hold the store while it fetches:
other writes go on meanwhile, every page the crawl read still lands whole, and its counts
say what it did as the store stood when it wrote. Real servers on loopback: a slow site (its
pages sleep before they answer), the app under waitress, a real store and model."""
from __future__ import annotations

import threading
import time
from contextlib import contextmanager

import pytest

from web_fixtures import blog, serve
from webapp_support import TOKEN, http

AUTH = {"Authorization": f"Bearer {TOKEN}"}
SLOW = 0.8  # seconds each slow page sleeps before it answers
WRITE_WAIT = 1.0  # a write not let in within this is a 503: shorter than any crawl here


@contextmanager
def api(store_dir, embedder, write_wait=WRITE_WAIT):
    from citegraph.runtime import Runtime
    from citegraph.settings import Settings
    from citegraph.webapp import create_app
    from citegraph.webapp.server import BackgroundServer

    runtime = Runtime(Settings(store=str(store_dir), token=TOKEN, fetch_delay=0.0,
                               fetch_allow_private=True, write_wait=write_wait))
    runtime.embedder = embedder
    app = create_app(runtime=runtime)
    with BackgroundServer(app) as running:
        running.app = app
        yield running


class Call(threading.Thread):
    """One request on a thread of its own; `reply` once joined."""

    def __init__(self, base, method, path, body=None):
        super().__init__(daemon=True)
        self.args, self.reply = (base, method, path, body, AUTH), None

    def run(self):
        self.reply = http(*self.args)

    def result(self):
        self.join(timeout=120)
        assert self.reply is not None, "the request did not finish"
        return self.reply


def slow_blog(site, posts: int, slow=range(1, 10**6)) -> list[str]:
    links = blog(site, posts=posts)
    for n in slow:
        if f"/posts/{n}.html" in site.routes:
            site.routes[f"/posts/{n}.html"].delay = SLOW
    return links


def wait_for_request(site, path: str, times: int = 1) -> None:
    """Until the site was asked for `path` (`times` times): the crawl is under way."""
    deadline = time.monotonic() + 60
    while site.paths().count(path) < times:
        assert time.monotonic() < deadline, f"{path} never asked for: {site.paths()}"
        time.sleep(0.02)


def stored(server, url: str):
    from urllib.parse import quote

    return http(server.url, "GET", "/api/articles/" + quote(url, safe=""))


@pytest.fixture
def site():
    with serve() as running:
        yield running


def crawl_then_post(server, site, fetched: str, article: dict) -> Call:
    """A crawl of the site's feed started in the background; once the site has been asked
    for `fetched`, `article` is posted, and must go in while the crawl runs."""
    crawl = Call(server.url, "POST", "/api/ingest", {"urls": [site.base + "/feed.xml"]})
    crawl.start()
    wait_for_request(site, fetched)
    posted = http(server.url, "POST", "/api/articles", article, AUTH)
    assert posted.status == 201, posted.text
    return crawl


def test_writes_go_on_while_a_crawl_fetches(site, tmp_path, embedder):
    """An article posted and one deleted while a crawl of slow pages runs are let in at once
    (the crawl held the write lock throughout before: both were 503 after `write_wait`);
    the crawl's pages all land."""
    links = slow_blog(site, posts=4)
    with api(tmp_path / "s", embedder) as server:
        note = {"id": "note/1", "title": "Note", "text": "The CCO read every queue report."}
        assert http(server.url, "POST", "/api/articles", note, AUTH).status == 201
        other = {"id": "note/2", "title": "Other", "text": "Callbacks cut abandoned calls."}
        crawl = crawl_then_post(server, site, "/posts/2.html", other)
        deleted = http(server.url, "DELETE", "/api/articles/note%2F1", None, AUTH)
        assert deleted.status == 200, deleted.text
        assert crawl.is_alive(), "the crawl ended before the other writes: not a test"
        out = crawl.result().json()
        assert (out["new"], out["changed"], out["unchanged"], out["failed"]) == (4, 0, 0, 0)
        for url in links:
            card = stored(server, url).json()
            assert card["passages"] and card["source"] == url
        assert stored(server, "note/2").status == 200
        assert stored(server, "note/1").status == 404
        assert http(server.url, "GET", "/healthz").json()["articles"] == 5


def test_the_same_feed_crawled_twice_at_once(site, tmp_path, embedder):
    """Two crawls of one feed at once: each page is stored once, counted new by one crawl
    and unchanged by the other (whichever wrote second sees the first's write)."""
    links = slow_blog(site, posts=3)
    with api(tmp_path / "s", embedder) as server:
        crawls = [Call(server.url, "POST", "/api/ingest", {"urls": [site.base + "/feed.xml"]})
                  for _ in range(2)]
        for crawl in crawls:
            crawl.start()
        outs = [crawl.result() for crawl in crawls]
        assert all(r.status == 200 for r in outs), [r.text for r in outs]
        outs = [r.json() for r in outs]
        assert sum(o["new"] for o in outs) == 3, outs
        assert sum(o["unchanged"] for o in outs) == 3, outs
        assert sum(o["changed"] + o["failed"] for o in outs) == 0, outs
        health = http(server.url, "GET", "/healthz").json()
        assert health["articles"] == 3
        assert health["passages"] == sum(o["passages"] for o in outs)
        for url in links:
            passages = stored(server, url).json()["passages"]
            assert [p["ordinal"] for p in passages] == list(range(len(passages)))


def test_a_page_failing_mid_crawl(site, tmp_path, embedder):
    """A page that fails between slow ones is one failure line; a write during the crawl
    goes in; the other pages land."""
    links = slow_blog(site, posts=4)
    site.routes["/posts/2.html"].status = 500
    with api(tmp_path / "s", embedder) as server:
        note = {"id": "note/1", "title": "Note", "text": "The CCO read every queue report."}
        crawl = crawl_then_post(server, site, "/posts/3.html", note)
        out = crawl.result().json()
        assert (out["new"], out["failed"]) == (3, 1), out
        assert [f["where"] for f in out["failures"]] == [links[1]]
        assert stored(server, links[1]).status == 404
        for url in links[:1] + links[2:]:
            assert stored(server, url).status == 200


def test_an_article_deleted_while_the_crawl_rewrites_it(site, tmp_path, embedder):
    """A page stored before, changed on the site: the crawl reads it as `changed`, then it is
    deleted (over the API) before the crawl writes: the crawl stores it whole and counts it
    new, as the store then stood."""
    from web_fixtures import post_html

    links = blog(site, posts=3)
    with api(tmp_path / "s", embedder) as server:
        first = http(server.url, "POST", "/api/ingest", {"urls": [site.base + "/feed.xml"]},
                     AUTH).json()
        assert first["new"] == 3
        site.add("/posts/1.html", post_html(1, revision=1))
        for n in (2, 3):
            site.routes[f"/posts/{n}.html"].delay = SLOW
        crawl = Call(server.url, "POST", "/api/ingest", {"urls": [site.base + "/feed.xml"]})
        crawl.start()
        wait_for_request(site, "/posts/2.html", times=2)  # page 1 read (and prepared)
        deleted = http(server.url, "DELETE", "/api/articles/"
                       + links[0].replace("/", "%2F").replace(":", "%3A"), None, AUTH)
        assert deleted.status == 200, deleted.text
        out = crawl.result().json()
        assert (out["new"], out["changed"], out["unchanged"], out["failed"]) == (1, 0, 2, 0)
        card = stored(server, links[0]).json()
        assert "Update 1" in card["text"]
        assert [p["ordinal"] for p in card["passages"]] == list(range(len(card["passages"])))


def test_a_crawl_batch_not_let_in_is_reported_and_the_crawl_goes_on(site, tmp_path,
                                                                    embedder):
    """While another write holds the lock past `write_wait`, the crawl's batch is not stored:
    each of its pages is a failure line (`not stored: busy`), the response is still its
    counts (200), and nothing half-written is left."""
    links = slow_blog(site, posts=2)
    with api(tmp_path / "s", embedder) as server:
        crawl = Call(server.url, "POST", "/api/ingest", {"urls": [site.base + "/feed.xml"]})
        crawl.start()
        wait_for_request(site, "/posts/1.html")
        stuck = server.app.extensions["citegraph.write_lock"]
        stuck.acquire()
        try:
            reply = crawl.result()
        finally:
            stuck.release()
        assert reply.status == 200, reply.text
        out = reply.json()
        assert (out["new"], out["failed"]) == (0, 2), out
        assert {f["where"] for f in out["failures"]} == set(links)
        assert all(f["reason"].startswith("not stored: busy") for f in out["failures"])
        assert http(server.url, "GET", "/healthz").json()["articles"] == 0
        again = http(server.url, "POST", "/api/ingest", {"urls": [site.base + "/feed.xml"]},
                     AUTH).json()
        assert (again["new"], again["failed"]) == (2, 0), again


def test_the_command_line_crawl_leaves_the_store_to_other_writers(site, tmp_path, embedder):
    """`citegraph ingest URL`'s core (WebIngest, no web app) takes the store's ingest lock a
    batch at a time: another writer (here another process's ingest, by the same lock) gets it
    while the crawl fetches, and both writers' articles land."""
    from citegraph.graph.sqlite_store import SQLiteStore
    from citegraph.ingest.fetch import Fetcher, FetchLimits
    from citegraph.ingest.pipeline import IngestReport, Pipeline
    from citegraph.ingest.readers import ArticleDraft
    from citegraph.ingest.web import WebIngest
    from citegraph.settings import Settings

    links = slow_blog(site, posts=3)
    store_dir = tmp_path / "s"
    limits = FetchLimits.from_settings(Settings(fetch_delay=0.0), allow_private=True)
    report = IngestReport()
    with SQLiteStore(store_dir) as crawl_store, SQLiteStore(store_dir) as other:
        web = WebIngest(Pipeline(crawl_store, embedder), Fetcher(limits))
        crawl = threading.Thread(target=web.ingest, args=([site.base + "/feed.xml"], report),
                                 daemon=True)
        crawl.start()
        wait_for_request(site, "/posts/2.html")
        with other.ingest_lock(wait=0):  # refused at once while a crawl held it throughout
            mine = IngestReport()
            Pipeline(other, embedder).ingest_drafts(
                [ArticleDraft("note/1", "Note", "Queues were split by intent.")], mine)
        assert crawl.is_alive(), "the crawl ended before the other write: not a test"
        crawl.join(timeout=120)
        assert (report.new, report.failed, mine.new) == (3, [], 1)
        assert set(crawl_store.article_titles(links + ["note/1"])) == set(links + ["note/1"])


def test_a_scheme_loaded_mid_crawl_links_the_batches_after_it(site, tmp_path, embedder,
                                                              monkeypatch):
    """A crawl no longer keeps schemes out while it fetches (a scheme load waited for the
    whole crawl): a scheme loaded between two of its batches links the batches after it."""
    import citegraph.ingest.pipeline as pipeline
    from citegraph.graph.models import Concept
    from citegraph.ontology.scheme import Scheme, load_scheme
    from citegraph.runtime import Runtime
    from citegraph.settings import Settings
    from citegraph.webapp import create_app
    from citegraph.webapp.server import BackgroundServer

    monkeypatch.setattr(pipeline, "EMBED_BATCH", 1)  # each page a batch of its own
    links = slow_blog(site, posts=2, slow=[2])
    runtime = Runtime(Settings(store=str(tmp_path / "s"), token=TOKEN, fetch_delay=0.0,
                               fetch_allow_private=True, ingest_wait=5.0))
    runtime.embedder = embedder
    with BackgroundServer(create_app(runtime=runtime)) as server:
        crawl = Call(server.url, "POST", "/api/ingest", {"urls": [site.base + "/feed.xml"]})
        crawl.start()
        wait_for_request(site, "/posts/2.html")  # page 1 written, page 2 on its way
        shipped = load_scheme()
        kyoto = Concept("https://example.org/citegraph-test/kyoto", "Kyoto")
        runtime.load_scheme(Scheme(shipped.iri, shipped.concepts + [kyoto]))
        assert crawl.is_alive(), "the crawl ended before the scheme load: not a test"
        assert crawl.result().json()["new"] == 2
        server_url = server.url

        def linked(url):
            from urllib.parse import quote
            card = http(server_url, "GET", "/api/articles/" + quote(url, safe="")).json()
            return {m["iri"] for p in card["passages"] for m in p["mentions"]}

        assert kyoto.iri in linked(links[1])  # post 2 is about Kyoto
        assert kyoto.iri not in linked(links[0])
