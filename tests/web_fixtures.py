"""A local blog for the URL ingest tests: real HTTP servers (http.server in a thread) on
loopback addresses only, serving pages the tests write. Nothing leaves the machine."""
from __future__ import annotations

import gzip
import hashlib
import http.server
import socket
import threading
import time
from contextlib import contextmanager
from dataclasses import dataclass, field
from html import escape

CITIES = ["Lisbon", "Oslo", "Kyoto", "Denver", "Nairobi", "Quito", "Tallinn", "Hanoi",
          "Perth", "Dakar"]
COMMENTERS = [("Alice Reader", "2024-03-01T10:00:00+00:00"),
              ("Bruno Costa", "2024-03-02T11:30:00+00:00"),
              ("Chen Wei", "2024-03-03T09:15:00+00:00")]


def post_html(n: int, revision: int = 0) -> str:
    city = CITIES[n % len(CITIES)]
    extra = (f"<p>Update {revision}: the {city} team also shortened its hold music to "
             f"nothing at all.</p>" if revision else "")
    comments = "".join(
        f'<li id="comment-{n * 10 + i}" class="comment depth-1"><article class="comment-body">'
        f'<footer class="comment-meta"><div class="comment-author vcard"><b class="fn">{name}'
        f'</b> <span class="says">says:</span></div><div class="comment-metadata"><time '
        f'datetime="{when}">{when[:10]}</time></div></footer><div class="comment-content"><p>'
        f'{name.split()[0]} thinks the {city} queue result on post {n} holds up; the callback '
        f'option mattered most to reader {i}.</p></div></article></li>'
        for i, (name, when) in enumerate(COMMENTERS[: 1 + n % 3]))
    return f"""<!DOCTYPE html>
<html><head><title>Post {n}: queues in {city}</title>
<meta name="author" content="Blog Author"><meta property="article:published_time"
content="2024-02-{1 + n % 28:02d}"></head>
<body><header><nav><a href="/">Home</a> <a href="/about">About</a></nav></header>
<main><article class="post"><h1 class="entry-title">Post {n}: queues in {city}</h1>
<div class="entry-content">
<p>In {city} the support team measured queue times for post {n} and found that callers
waited longest on Monday mornings, when renewals and password resets arrived together.</p>
<p>The team split the queues by intent and offered a callback after two minutes; abandoned
calls fell by a third within the month, and agents said the day felt calmer.</p>{extra}
</div></article>
<div id="comments" class="comments-area"><h2 class="comments-title">{1 + n % 3} thoughts on
&ldquo;Post {n}&rdquo;</h2><ol class="comment-list">{comments}</ol>
<div id="respond" class="comment-respond"><h3>Leave a Reply</h3><form><textarea
name="comment"></textarea></form></div></div></main>
<footer><p>Share this:</p><p>Like this:</p></footer></body></html>"""


def rss(base: str, links: list[str]) -> str:
    items = "".join(f"<item><title>{escape(u)}</title><link>{escape(u)}</link></item>"
                    for u in links)
    return (f'<?xml version="1.0" encoding="UTF-8"?><rss version="2.0"><channel>'
            f"<title>Queue blog</title><link>{base}/</link>{items}</channel></rss>")


def sitemap(links: list[str]) -> str:
    urls = "".join(f"<url><loc>{escape(u)}</loc></url>" for u in links)
    return ('<?xml version="1.0" encoding="UTF-8"?><urlset xmlns='
            f'"http://www.sitemaps.org/schemas/sitemap/0.9">{urls}</urlset>')


@dataclass
class Route:
    body: bytes = b""
    status: int = 200
    headers: dict = field(default_factory=dict)
    etag: bool = True  # answer If-None-Match with 304 when it matches
    drip: float = 0.0  # seconds between bytes: a slow page
    delay: float = 0.0  # seconds the server sleeps before it answers: a slow page


class Site:
    """What one test server serves, and what it was asked (path, headers, time)."""

    def __init__(self):
        self.routes: dict[str, Route] = {}
        self.requests: list[tuple[str, dict, float]] = []
        self.base = ""

    def add(self, path: str, body, ctype: str = "text/html; charset=utf-8", **kw) -> None:
        data = body.encode("utf-8") if isinstance(body, str) else body
        headers = {"Content-Type": ctype, **kw.pop("headers", {})}
        self.routes[path] = Route(data, headers=headers, **kw)

    def paths(self) -> list[str]:
        return [p for p, _, _ in self.requests]


def _handler(site: Site):
    class Handler(http.server.BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_GET(self):  # noqa: N802 (http.server's name)
            site.requests.append((self.path, dict(self.headers), time.monotonic()))
            route = site.routes.get(self.path)
            if route is not None and route.delay:
                time.sleep(route.delay)
            if route is None:
                self._send(404, {"Content-Type": "text/plain"}, b"not found")
                return
            headers = dict(route.headers)
            if route.etag and route.status == 200:
                tag = '"' + hashlib.sha256(route.body).hexdigest()[:16] + '"'
                headers["ETag"] = tag
                if self.headers.get("If-None-Match") == tag:
                    self._send(304, {"ETag": tag}, b"")
                    return
            if route.drip:
                self.send_response(route.status)
                for k, v in headers.items():
                    self.send_header(k, v)
                self.send_header("Content-Length", str(len(route.body)))
                self.end_headers()
                try:
                    for i in range(len(route.body)):
                        self.wfile.write(route.body[i:i + 1])
                        self.wfile.flush()
                        time.sleep(route.drip)
                except OSError:
                    pass
                return
            self._send(route.status, headers, route.body)

        def _send(self, status, headers, body):
            self.send_response(status)
            for k, v in headers.items():
                self.send_header(k, v)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            try:
                self.wfile.write(body)
            except OSError:
                pass

        def log_message(self, *args):
            pass
    return Handler


@contextmanager
def serve(host: str = "127.0.0.1"):
    """A server on `host` (a loopback address) and a free port; yields its Site."""
    site = Site()
    # a client that hangs up early (the limits' point) is no error to print
    quiet = {"handle_error": lambda self, request, address: None}
    cls = type("Server", (http.server.ThreadingHTTPServer,), quiet)
    if ":" in host:
        cls = type("Server6", (http.server.ThreadingHTTPServer,),
                   {"address_family": socket.AF_INET6, **quiet})
    server = cls((host, 0), _handler(site))
    server.daemon_threads = True
    port = server.server_address[1]
    site.base = f"http://[{host}]:{port}" if ":" in host else f"http://{host}:{port}"
    site.port = port
    site.server = server
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield site
    finally:
        server.shutdown()
        server.server_close()


def gzip_bomb(megabytes: int) -> bytes:
    """`megabytes` MB of zeros gzipped (about a thousandth of that on the wire)."""
    out = gzip.compress(b"\0" * (1024 * 1024), compresslevel=9)
    # concatenated gzip members decompress as one stream
    return out * megabytes


def blog(site: Site, posts: int = 20) -> list[str]:
    """The blog: posts, an RSS feed, a sitemap and a robots.txt forbidding /private/."""
    links = [f"{site.base}/posts/{n}.html" for n in range(1, posts + 1)]
    for n in range(1, posts + 1):
        site.add(f"/posts/{n}.html", post_html(n))
    site.add("/feed.xml", rss(site.base, links), "application/rss+xml")
    site.add("/sitemap.xml", sitemap(links), "application/xml")
    site.add("/robots.txt", "User-agent: *\nDisallow: /private/\n", "text/plain")
    site.add("/private/secret.html", post_html(99).replace("queues", "SECRET"))
    return links


@contextmanager
def serve_tls(tmp_path, host: str = "127.0.0.1"):
    """A server like serve()'s behind TLS with a self-signed certificate (made by openssl):
    no client trusts it, which is the point."""
    import ssl
    import subprocess

    key, cert = tmp_path / "key.pem", tmp_path / "cert.pem"
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout",
                    str(key), "-out", str(cert), "-days", "1", "-subj", f"/CN={host}",
                    "-addext", f"subjectAltName=IP:{host}"], check=True, capture_output=True)
    with serve(host) as site:
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(cert, key)
        server = site.server
        server.socket = context.wrap_socket(server.socket, server_side=True)
        site.base = site.base.replace("http://", "https://")
        yield site
