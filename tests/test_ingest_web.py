"""`citegraph ingest URL…`: a blog's feed, sitemap and pages from real HTTP servers on
loopback addresses (tests/web_fixtures.py), through the real CLI, pipeline, model and store;
and every guard of the fetcher, each with a test that fails without it."""
from __future__ import annotations

import json
import re

import pytest
from click.testing import CliRunner

from web_fixtures import COMMENTERS, blog, gzip_bomb, post_html, rss, serve, serve_tls


@pytest.fixture
def cli(embedder, monkeypatch):
    from citegraph.cli import main
    from citegraph.runtime import Runtime

    monkeypatch.setattr(Runtime, "embedder", property(lambda self: embedder))

    def invoke(*args, env=None):
        result = CliRunner().invoke(main, ["ingest", *args], env=env)
        assert "Traceback" not in result.output, result.output
        return result
    return invoke


def summary(result) -> dict:
    line = next(x for x in result.stdout.splitlines() if x.startswith("articles:"))
    return {k: int(v) for v, k in re.findall(r"(\d+) (new|changed|unchanged|failed|skipped)",
                                               line)}


def reasons(result) -> dict[str, str]:
    out = {}
    for line in result.stderr.splitlines():
        m = re.match(r"citegraph: (\S+): (.*)$", line)
        if m:
            out[m.group(1)] = m.group(2)
    return out


@pytest.fixture
def site():
    with serve() as running:
        yield running


def test_a_feed_of_twenty_posts_then_again_then_one_changed(cli, site, tmp_path):
    from citegraph.graph.sqlite_store import SQLiteStore
    from citegraph.text.cleaning import is_furniture

    links = blog(site)
    store = str(tmp_path / "s")
    result = cli(site.base + "/feed.xml", "--store", store, "--delay", "0")
    assert result.exit_code == 0, result.output
    assert summary(result) == {"new": 20, "changed": 0, "unchanged": 0, "failed": 0,
                               "skipped": 0}
    with SQLiteStore(store, readonly=True) as s:
        articles = {a.id: a for a in s.iter_articles()}
        assert set(articles) == set(links)
        for n, link in enumerate(links, start=1):
            a = articles[link]
            assert a.source == link and a.url == link and a.title.startswith(f"Post {n}:")
            passages = s.article_passages(link)
            comments = [p for p in passages if p.section == "comment"]
            assert [(p.author, p.date) for p in comments] == COMMENTERS[: 1 + n % 3], link
            for p in passages:
                assert a.text[p.start:p.end] == p.text
                assert not any(is_furniture(line) for line in p.text.splitlines()), p.text
                for furniture in ("Share this", "Like this", "Leave a Reply", "About"):
                    assert furniture not in p.text, (link, p.text)
    # again: every post answers 304 to the ETag it sent; nothing is downloaded or changed
    before = len(site.requests)
    result = cli(site.base + "/feed.xml", "--store", store, "--delay", "0")
    assert summary(result) == {"new": 0, "changed": 0, "unchanged": 20, "failed": 0,
                               "skipped": 0}
    post_requests = [h for p, h, _ in site.requests[before:] if p.startswith("/posts/")]
    assert len(post_requests) == 20 and all(h.get("If-None-Match") for h in post_requests)
    # one post changes: one changed
    site.add("/posts/7.html", post_html(7, revision=1))
    result = cli(site.base + "/feed.xml", "--store", store, "--delay", "0")
    assert summary(result) == {"new": 0, "changed": 1, "unchanged": 19, "failed": 0,
                               "skipped": 0}
    with SQLiteStore(store, readonly=True) as s:
        assert "Update 1:" in s.get_article(links[6]).text


def test_without_validators_the_content_hash_decides(cli, site, tmp_path):
    blog(site)
    for route in site.routes.values():
        route.etag = False
    store = str(tmp_path / "s")
    assert summary(cli(site.base + "/feed.xml", "--store", store, "--delay", "0"))["new"] == 20
    before = len(site.requests)
    result = cli(site.base + "/feed.xml", "--store", store, "--delay", "0")
    assert summary(result)["unchanged"] == 20
    assert not any(h.get("If-None-Match") for _, h, _ in site.requests[before:])
    site.add("/posts/3.html", post_html(3, revision=2), etag=False)
    assert summary(cli(site.base + "/feed.xml", "--store", store, "--delay", "0"))[
        "changed"] == 1


def test_a_deleted_article_is_fetched_whole_again(cli, site, tmp_path):
    """The validators kept for a page are not used once its article is gone (a 304 would
    leave it missing)."""
    from citegraph.graph.sqlite_store import SQLiteStore

    links = blog(site, posts=2)
    store = str(tmp_path / "s")
    cli(links[0], "--store", store, "--delay", "0")
    with SQLiteStore(store) as s:
        assert s.delete_article(links[0])
    result = cli(links[0], "--store", store, "--delay", "0")
    assert summary(result)["new"] == 1
    before = len(site.requests)  # named again, stored: asked conditionally, 304
    result = cli(links[0], "--store", store, "--delay", "0")
    assert summary(result)["unchanged"] == 1
    assert site.requests[-1][1].get("If-None-Match")


def test_a_sitemap_with_a_limit(cli, site, tmp_path):
    links = blog(site)
    result = cli(site.base + "/sitemap.xml", "--store", str(tmp_path / "s"), "--delay", "0",
                 "--limit", "5")
    assert result.exit_code == 0, result.output
    assert summary(result)["new"] == 5
    fetched = {p for p in site.paths() if p.startswith("/posts/")}
    assert len(fetched) == 5 and fetched <= {u[len(site.base):] for u in links}


def test_a_feed_of_ten_thousand_entries_takes_the_limit(cli, site, tmp_path):
    links = [f"{site.base}/posts/{n}.html" for n in range(10_000)]
    site.add("/big.xml", rss(site.base, links), "application/rss+xml")
    for n in range(3):
        site.add(f"/posts/{n}.html", post_html(n))
    result = cli(site.base + "/big.xml", "--store", str(tmp_path / "s"), "--delay", "0",
                 "--limit", "3")
    assert summary(result)["new"] == 3
    assert len([p for p in site.paths() if p.startswith("/posts/")]) == 3


def test_robots_txt_forbids_a_path(cli, site, tmp_path):
    blog(site, posts=1)
    secret = site.base + "/private/secret.html"
    site.add("/feed2.xml", rss(site.base, [site.base + "/posts/1.html", secret]),
             "application/rss+xml")
    result = cli(site.base + "/feed2.xml", "--store", str(tmp_path / "s"), "--delay", "0")
    assert result.exit_code == 1
    assert summary(result)["new"] == 1
    assert "robots.txt forbids it" in reasons(result)[secret]
    assert "/private/secret.html" not in site.paths()
    # a page named directly is no exception
    result = cli(secret, "--store", str(tmp_path / "s"), "--delay", "0")
    assert "robots.txt forbids it" in reasons(result)[secret]
    assert "/private/secret.html" not in site.paths()


def test_user_agent_and_delay(cli, site, tmp_path):
    links = blog(site, posts=3)
    result = cli(site.base + "/feed.xml", "--store", str(tmp_path / "s"), "--delay", "0.3",
                 env={"CITEGRAPH_FETCH_USER_AGENT": "TestBot/9 (+local)"})
    assert summary(result)["new"] == 3
    assert {h.get("User-Agent") for _, h, _ in site.requests} == {"TestBot/9 (+local)"}
    times = [t for _, _, t in site.requests]
    assert len(times) == 5  # robots.txt, the feed, three posts: one after the other
    assert all(b - a >= 0.3 for a, b in zip(times, times[1:])), times
    assert links


# --- the server-side request forgery guard -------------------------------------------------
def test_a_redirect_to_an_unnamed_loopback_address_is_refused(cli, site, tmp_path):
    blog(site, posts=1)
    with serve("127.0.0.2") as inner:
        inner.add("/secret.html", post_html(5).replace("queues", "INTERNAL"))
        inner.add("/robots.txt", "", "text/plain")
        site.add("/go", "", status=302, headers={"Location": inner.base + "/secret.html"})
        result = cli(site.base + "/go", "--store", str(tmp_path / "s"), "--delay", "0")
        assert result.exit_code == 1
        assert "127.0.0.2 resolves to a loopback address" in reasons(result)[site.base + "/go"]
        assert inner.requests == []
        # --allow-private lets it through
        result = cli(site.base + "/go", "--store", str(tmp_path / "s"), "--delay", "0",
                     "--allow-private")
        assert result.exit_code == 0, result.output
        assert summary(result)["new"] == 1 and "/secret.html" in inner.paths()


@pytest.mark.parametrize("host", ["localhost", "2130706433", "0x7f000001", "127.1",
                                  "[::ffff:127.0.0.1]"])
def test_other_spellings_of_loopback_in_a_feed_are_refused(cli, site, tmp_path, host):
    """The user named 127.0.0.1:port; a feed entry naming the same server another way (a
    DNS name, a decimal or hex IPv4, a short form, an IPv4-mapped IPv6) is not named."""
    blog(site, posts=1)
    sneaky = f"http://{host}:{site.port}/posts/1.html"
    site.add("/feed3.xml", rss(site.base, [sneaky]), "application/rss+xml")
    # the feed's own-host filter would drop it: the entry is named as a redirect instead
    site.add("/hop", "", status=302, headers={"Location": sneaky})
    result = cli(site.base + "/hop", "--store", str(tmp_path / "s"), "--delay", "0")
    assert result.exit_code == 1
    assert "loopback address" in reasons(result)[site.base + "/hop"]
    assert "/posts/1.html" not in site.paths()


def test_ipv6_loopback_is_refused_unless_named(cli, site, tmp_path):
    with serve("::1") as six:
        six.add("/post.html", post_html(4))
        six.add("/robots.txt", "", "text/plain")
        site.add("/six", "", status=301, headers={"Location": six.base + "/post.html"})
        result = cli(site.base + "/six", "--store", str(tmp_path / "s"), "--delay", "0")
        assert "loopback address (::1)" in reasons(result)[site.base + "/six"]
        assert six.requests == []
        result = cli(six.base + "/post.html", "--store", str(tmp_path / "s"), "--delay", "0")
        assert summary(result)["new"] == 1  # named: fetched


def test_a_page_named_at_a_private_address_is_fetched(cli, site, tmp_path):
    blog(site, posts=1)
    result = cli(site.base + "/posts/1.html", "--store", str(tmp_path / "s"), "--delay", "0")
    assert result.exit_code == 0 and summary(result)["new"] == 1


# --- the other guards ------------------------------------------------------------------------
def test_redirects_to_other_schemes_and_loops_are_not_followed(cli, site, tmp_path):
    blog(site, posts=1)
    site.add("/file", "", status=302, headers={"Location": "file:///etc/passwd"})
    site.add("/ftp", "", status=302, headers={"Location": "ftp://127.0.0.1/x"})
    site.add("/loop1", "", status=302, headers={"Location": "/loop2"})
    site.add("/loop2", "", status=302, headers={"Location": "/loop1"})
    for n in range(8):
        site.add(f"/chain{n}", "", status=302, headers={"Location": f"/chain{n + 1}"})
    site.add("/chain8", post_html(1))
    urls = [site.base + p for p in ("/file", "/ftp", "/loop1", "/chain0")]
    result = cli(*urls, "--store", str(tmp_path / "s"), "--delay", "0")
    got = reasons(result)
    assert "redirect from http to file" in got[urls[0]]
    assert "redirect from http to ftp" in got[urls[1]]
    assert "redirect loop" in got[urls[2]]
    assert "more than 5 redirects" in got[urls[3]]
    assert summary(result)["failed"] == 4


def test_slow_huge_bomb_and_binary_pages_fail_one_line_each(cli, site, tmp_path):
    blog(site, posts=1)
    site.add("/slow.html", post_html(2), drip=0.02)  # about a minute at this pace
    site.add("/huge.html", "<html><body><p>" + "word " * 600_000 + "</p></body></html>")
    site.add("/bomb.html", gzip_bomb(64), headers={"Content-Encoding": "gzip"})
    site.add("/picture", b"\x89PNG\r\n\x1a\n" + b"\0" * 100, "image/png")
    urls = [site.base + p for p in ("/slow.html", "/huge.html", "/bomb.html", "/picture",
                                    "/posts/1.html")]
    result = cli(*urls, "--store", str(tmp_path / "s"), "--delay", "0",
                 env={"CITEGRAPH_FETCH_TIMEOUT": "1", "CITEGRAPH_FETCH_MAX_BYTES": "1048576"})
    got = reasons(result)
    assert "took longer than the 1 s limit" in got[urls[0]]
    assert "response of 3,000,033 bytes, over the 1,048,576 byte limit" in got[urls[1]]
    assert "over the 1,048,576 byte limit (after decompression)" in got[urls[2]]
    assert "content type 'image/png' is not read" in got[urls[3]]
    assert summary(result) == {"new": 1, "changed": 0, "unchanged": 0, "failed": 4,
                               "skipped": 0}
    assert result.exit_code == 1


def test_a_pdf_url(cli, site, tmp_path):
    from test_pdf import make_report

    make_report(tmp_path / "r.pdf", pages=4)
    site.add("/robots.txt", "", "text/plain")
    site.add("/report.pdf", (tmp_path / "r.pdf").read_bytes(), "application/pdf")
    result = cli(site.base + "/report.pdf", "--store", str(tmp_path / "s"), "--delay", "0",
                 "--json")
    assert json.loads(result.stdout.splitlines()[-1])["new"] == 1


def test_a_not_found_page_and_a_bad_url(cli, site, tmp_path):
    blog(site, posts=1)
    missing = site.base + "/posts/404.html"
    result = cli(missing, "http://", "--store", str(tmp_path / "s"), "--delay", "0")
    got = reasons(result)
    assert got[missing] == "HTTP 404"
    assert "no host" in got["http://"]
    assert result.exit_code == 1


def test_hostile_feeds_sitemaps_and_robots(cli, site, tmp_path):
    """Entities that would expand to gigabytes, a sitemap index listing itself, entries
    pointing elsewhere (another host, javascript:, data:), a robots.txt over its size limit
    on another server: each ends in a line, nothing hangs, nothing leaves the named host."""
    links = blog(site, posts=2)
    laughs = ('<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">'
              + "".join(f'<!ENTITY lol{i} "{("&lol%s;" % (i - 1 if i > 1 else "")) * 10}">'
                        for i in range(1, 10))
              + ']><urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">'
              f"<url><loc>{links[0]}</loc></url><url><loc>&lol9;</loc></url></urlset>")
    site.add("/laughs.xml", laughs, "application/xml")
    site.add("/index.xml", '<?xml version="1.0"?><sitemapindex xmlns="http://www.sitemaps.org/'
             f'schemas/sitemap/0.9"><sitemap><loc>{site.base}/index.xml</loc></sitemap>'
             f"<sitemap><loc>{site.base}/sitemap.xml</loc></sitemap></sitemapindex>",
             "application/xml")
    site.add("/elsewhere.xml", rss(site.base, [
        "http://example.invalid/post.html", "javascript:alert(1)", "data:text/html,hi",
        links[1]]), "application/rss+xml")
    store = str(tmp_path / "s")
    result = cli(site.base + "/laughs.xml", site.base + "/index.xml",
                 site.base + "/elsewhere.xml", "--store", store, "--delay", "0")
    assert summary(result) == {"new": 2, "changed": 0, "unchanged": 0, "failed": 0,
                               "skipped": 0}, result.output
    assert site.paths().count("/index.xml") == 1
    with serve("127.0.0.1") as other:
        other.add("/robots.txt", "User-agent: *\nDisallow:\n" + "#" * 600_000, "text/plain")
        other.add("/a.html", "<html><body><p>Hello there, readers.</p></body></html>")
        result = cli(other.base + "/a.html", "--store", store, "--delay", "0")
        assert "robots.txt of 127.0.0.1 could not be read" in reasons(result)[
            other.base + "/a.html"]
        assert "/a.html" not in other.paths()


def test_https_certificates_are_checked(cli, tmp_path):
    """A server whose certificate nobody vouches for is not read (and no https page is
    read with its name unchecked)."""
    with serve_tls(tmp_path) as tls:
        tls.add("/robots.txt", "", "text/plain")
        tls.add("/a.html", post_html(1))
        result = cli(tls.base + "/a.html", "--store", str(tmp_path / "s"), "--delay", "0")
        assert "certificate verify failed" in reasons(result)[tls.base + "/a.html"].lower()
        assert tls.requests == []


def test_urls_that_are_no_urls_are_one_line_each(cli, tmp_path):
    """Undecodable bytes from the shell, an unclosed IPv6 bracket, a port out of range: one
    line each, no traceback, nothing fetched."""
    bad = ["http://a\udcff.invalid/x", "https://[::1", "http://127.0.0.1:99999/"]
    result = cli(*bad, "--store", str(tmp_path / "s"), "--delay", "0")
    got = reasons(result)
    assert "not UTF-8" in got["http://a\\udcff.invalid/x"]
    assert "not a valid URL" in got["https://[::1"]
    assert "not a valid URL" in got["http://127.0.0.1:99999/"]
    assert summary(result)["failed"] == 3 and result.exit_code == 1


def test_a_robots_txt_that_fails_is_asked_once_and_blocks_the_host(cli, site, tmp_path):
    links = blog(site, posts=3)
    site.add("/robots.txt", "oops", "text/plain", status=503)
    result = cli(*links, "--store", str(tmp_path / "s"), "--delay", "0")
    got = reasons(result)
    assert all("robots.txt of 127.0.0.1 could not be read (it answered 503)" in got[u]
               for u in links), got
    assert site.paths() == ["/robots.txt"]


def test_an_atom_feed_served_as_html(cli, site, tmp_path):
    links = blog(site, posts=3)
    entries = "".join(f'<entry><title>P</title><link rel="alternate" href="{u}"/></entry>'
                      for u in links)
    site.add("/atom", '<?xml version="1.0" encoding="utf-8"?><feed xmlns="http://www.w3.org/'
             f'2005/Atom"><title>B</title><link rel="self" href="{site.base}/atom"/>{entries}'
             "</feed>", "text/html; charset=utf-8")
    result = cli(site.base + "/atom", "--store", str(tmp_path / "s"), "--delay", "0")
    assert summary(result)["new"] == 3, result.output


def test_robots_crawl_delay_is_honoured(cli, site, tmp_path):
    links = blog(site, posts=2)
    site.add("/robots.txt", "User-agent: *\nCrawl-delay: 1\n", "text/plain")
    result = cli(*links, "--store", str(tmp_path / "s"), "--delay", "0")
    assert summary(result)["new"] == 2
    times = [t for _, _, t in site.requests]
    assert len(times) == 3 and all(b - a >= 1.0 for a, b in zip(times, times[1:])), times
