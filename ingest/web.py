"""Articles from where they live: a web page, every entry of an RSS/Atom/JSON feed, every page
of a sitemap (and of the sitemaps it lists), fetched through ingest/fetch.py.

Feeds are read by trafilatura's feed parser (trafilatura.feeds.find_links) and sitemaps by
its sitemap reader (trafilatura.sitemaps.SitemapObject, its own downloads left unused: every
request goes through our Fetcher and its guards); links are cleaned by courlan (tracking
parameters out), fragments dropped, and kept on the feed's or sitemap's own host. A page is
read by the file readers (HTML through trafilatura with its comment thread as comments; PDF
and plain text too): its URL is the article's id, source and url.

Re-ingesting asks the server whether a page changed (If-None-Match / If-Modified-Since with
the validators it sent last time, kept in the store's meta values beside the content hash
they were seen with); a 304 counts as unchanged without a download. Servers that send no
validators are read again and compared by content hash, as files are.
"""
from __future__ import annotations

import json
from contextlib import AbstractContextManager, contextmanager, nullcontext
from dataclasses import dataclass
from typing import Callable, Iterator, Optional
from urllib.parse import urldefrag, urljoin, urlsplit

from citegraph.ingest.fetch import Fetcher, FetchError, Response
from citegraph.ingest.pipeline import IngestReport, Linker, Pipeline, WriteBusy
from citegraph.ingest.readers import (MAX_ID_CHARS, ArticleDraft, ReadError, decode,
                                      has_surrogate, read_docx, read_html, read_pdf, read_txt)

_NOT_TEXT = "holds a byte that is not UTF-8 or half a surrogate pair: not a URL"
DEFAULT_LIMIT = 1000  # pages taken from one feed or sitemap
MAX_SITEMAPS = 100  # sitemaps read for one sitemap named (an index lists others)
VALIDATORS = "http-validators:"  # meta key prefix: the page's ETag/Last-Modified
HTML_TYPES = ("text/html", "application/xhtml+xml")
DOCX_TYPE = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
FEED_TYPES = ("application/rss+xml", "application/atom+xml", "application/feed+json",
              "application/json", "application/xml", "text/xml", "application/rdf+xml")


def is_url(name: str) -> bool:
    return name[:8].lower().startswith(("http://", "https://"))


def canonical(url: str) -> str:
    """The URL as an article id: tracking parameters out (courlan), no fragment."""
    import courlan

    try:
        cleaned = courlan.clean_url(url) or url
        return urldefrag(cleaned)[0]
    except ValueError:  # no URL at all: the fetch says why
        return url


@dataclass
class _Kind:
    kind: str  # page | feed | sitemap
    text: str = ""


def _classify(got: Response) -> _Kind:
    from trafilatura.feeds import is_potential_feed
    from trafilatura.sitemaps import SITEMAP_FORMAT

    ctype = got.content_type
    if ctype in ("application/pdf", "text/plain", DOCX_TYPE):
        return _Kind("page")
    if ctype in FEED_TYPES or ctype in HTML_TYPES or not ctype:  # feeds served as HTML too
        try:
            text = decode(got.body, got.url).lstrip("\ufeff").strip()
        except ReadError:
            return _Kind("page")
        head = text[:2000]
        if "<urlset" in head or "<sitemapindex" in head:
            return _Kind("sitemap", text)
        if "<html" in head.lower():
            return _Kind("page")
        if any(mark in head for mark in ("<rss", "<feed", "<rdf:RDF")) or (
                text.startswith("{") and ctype not in HTML_TYPES):
            return _Kind("feed", text) if is_potential_feed(text) or text.startswith(
                ("{", "<?xml", "<rdf")) else _Kind("page")
        if ctype not in HTML_TYPES and SITEMAP_FORMAT.match(text):
            return _Kind("sitemap", text)
    return _Kind("page")


def _same_host(url: str, base: str) -> bool:
    try:
        return (urlsplit(url).hostname or "").lower() == (urlsplit(base).hostname or "").lower()
    except ValueError:  # an unclosed [IPv6 …
        return False


def _absolute(link: str, base: str) -> str:
    """`link` made absolute against `base` and canonical; "" for one that is no URL."""
    try:
        return canonical(urljoin(base, link.strip()))
    except ValueError:
        return ""


def feed_links(text: str, base: str) -> list[str]:
    """The entry pages a feed lists, in its order, on the feed's own host."""
    from trafilatura.feeds import FeedParameters, find_links

    params = FeedParameters(base, urlsplit(base).hostname or "", base)
    out: dict[str, None] = {}
    for link in find_links(text, params):
        if not isinstance(link, str):
            continue
        absolute = _absolute(link, base)
        if not absolute:
            continue
        # the channel's own <link> is the site's home page, no entry (as trafilatura's
        # extract_links has it: a link needs a path)
        if urlsplit(absolute).path in ("", "/"):
            continue
        if absolute != base and is_url(absolute) and _same_host(absolute, base):
            out[absolute] = None
    return list(out)


def sitemap_links(text: str, base: str) -> tuple[list[str], list[str]]:
    """(pages, further sitemaps) a sitemap lists, on its own host."""
    from trafilatura.sitemaps import DETECT_SITEMAP_LINK, SitemapObject

    class _Sitemap(SitemapObject):
        # trafilatura's link handler keeps only links whose domain courlan recognises (no IP
        # hosts, no intranet names); ours keeps links on the sitemap's own host
        def handle_link(self, link: str) -> None:
            absolute = _absolute(link, self.current_url)
            if not absolute or not is_url(absolute) or not _same_host(absolute, self.current_url):
                return
            (self.sitemap_urls if DETECT_SITEMAP_LINK.search(absolute) else
             self.urls).append(absolute)

    sitemap = _Sitemap(base, urlsplit(base).hostname or "", [], external=True)
    sitemap.current_url, sitemap.content = base, text
    sitemap.process()
    return list(dict.fromkeys(sitemap.urls)), list(dict.fromkeys(sitemap.sitemap_urls))


def read_page(got: Response, article_id: str) -> list[ArticleDraft]:
    """The article a fetched page holds: HTML, PDF or plain text."""
    ctype = got.content_type
    if ctype == "application/pdf" or got.body[:5] == b"%PDF-":
        drafts = read_pdf(got.body, article_id, article_id)
    elif ctype in HTML_TYPES or (not ctype and b"<html" in got.body[:2000].lower()):
        drafts = read_html(got.body, article_id, article_id)
    elif ctype == "text/plain":
        drafts = read_txt(got.body, article_id, article_id)
    elif ctype == DOCX_TYPE:
        drafts = read_docx(got.body, article_id, article_id)
    else:
        raise ReadError(f"content type {ctype or '(none)'!r} is not read (HTML, PDF, "
                        "DOCX and plain text are)")
    for d in drafts:
        d.url = article_id
    return drafts


class WebIngest:
    """URLs into the store through `pipeline`, counted in `report`.

    A crawl is long (one host at a time, `fetch_delay` between requests), so it does not hold
    the store while it reads: pages are fetched, parsed, split and embedded outside any lock,
    and each batch's check-link-write takes the store's ingest lock (one bulk writer across
    processes) inside the caller's `write_turn` (the web app's write lock) for that batch
    only; other writers go between two batches. `linker`: the linker of the store's scheme
    as it is at each batch (a scheme loaded mid-crawl links the batches after it)."""

    def __init__(self, pipeline: Pipeline, fetcher: Fetcher, limit: int = DEFAULT_LIMIT,
                 write_turn: Optional[Callable[[], AbstractContextManager]] = None,
                 linker: Optional[Callable[[], Linker]] = None):
        self.pipeline = pipeline
        self.store = pipeline.store
        self.fetcher = fetcher
        self.limit = limit
        self.write_turn = write_turn
        self.linker = linker
        self.seen_validators: dict[str, dict] = {}

    def ingest(self, urls: list[str], report: IngestReport,
               seen: Optional[dict[str, str]] = None, trust_named: bool = True) -> IngestReport:
        """`trust_named`: the user named these URLs, so their hosts may be private (the
        command line); the API's callers are not trusted so (their URL could point the
        server at its own network)."""
        if trust_named:
            for url in urls:
                try:
                    self.fetcher.name(url)
                except FetchError:
                    pass  # a bad port: reported when fetched
        self.pipeline.write_turn = self._turn
        try:
            self.pipeline.ingest_drafts(self._drafts(urls, report), report, seen,
                                        replace=True)
        finally:
            self.pipeline.write_turn = None
        try:
            with self._turn():
                self._keep_validators()
        except WriteBusy:
            pass  # the validators only spare a download next time: the pages are stored
        return report

    @contextmanager
    def _turn(self):
        with self.write_turn() if self.write_turn else nullcontext():
            with self.store.ingest_lock(self.pipeline.ingest_wait):
                if self.linker is not None:
                    self.pipeline.linker = self.linker()
                yield

    # --- what the URLs hold --------------------------------------------------------------
    def _drafts(self, urls: list[str], report: IngestReport) -> Iterator[ArticleDraft]:
        done: set[str] = set()
        for url in urls:
            url = url.strip()
            if not is_url(url):
                report.failed.append((url, "not an http:// or https:// URL"))
                continue
            if has_surrogate(url):
                report.failed.append((url, _NOT_TEXT))
                continue
            try:
                got = self.fetcher.fetch(url, *self._validators(canonical(url)))
                if got.status == 304:  # a page stored before, unchanged since
                    report.unchanged += 1
                    report.article_ids.append(canonical(url))
                    continue
                kind = _classify(got)
                if kind.kind == "feed":
                    pages = feed_links(kind.text, got.url)
                    if not pages:
                        raise FetchError("a feed without entries on its own host")
                elif kind.kind == "sitemap":
                    pages = self._sitemap_pages(kind.text, got.url, report)
                    if not pages:
                        raise FetchError("a sitemap without pages on its own host")
                else:
                    pages = None
            except (FetchError, ReadError) as exc:
                report.failed.append((url, str(exc)))
                continue
            if pages is None:  # the page itself
                article_id = canonical(url)
                if article_id not in done:
                    done.add(article_id)
                    yield from self._page_drafts(article_id, report, got)
                continue
            for page in pages[:self.limit]:
                if page not in done:
                    done.add(page)
                    yield from self._page_drafts(page, report)

    def _sitemap_pages(self, text: str, url: str, report: IngestReport) -> list[str]:
        pages: list[str] = []
        queue, read = [(text, url)], {url}
        while queue and len(pages) < self.limit:
            text, where = queue.pop(0)
            found, more = sitemap_links(text, where)
            pages.extend(p for p in found if p not in pages)
            for child in more:
                if child in read or len(read) >= MAX_SITEMAPS:
                    continue
                read.add(child)
                try:
                    got = self.fetcher.fetch(child)
                    kind = _classify(got)
                    if kind.kind != "sitemap":
                        raise FetchError("listed as a sitemap, but is none")
                    queue.append((kind.text, got.url))
                except (FetchError, ReadError) as exc:
                    report.failed.append((child, str(exc)))
        return list(dict.fromkeys(pages))

    def _page_drafts(self, url: str, report: IngestReport,
                     got: Optional[Response] = None) -> Iterator[ArticleDraft]:
        if has_surrogate(url):
            report.failed.append((url, _NOT_TEXT))
            return
        if len(url) > MAX_ID_CHARS:
            report.failed.append((url[:200] + "…", f"URL over {MAX_ID_CHARS} characters: it "
                                                   "cannot be an article id"))
            return
        try:
            if got is None:
                etag, modified = self._validators(url)
                got = self.fetcher.fetch(url, etag, modified)
                if got.status == 304:
                    report.unchanged += 1
                    report.article_ids.append(url)
                    return
            drafts = read_page(got, url)
        except (FetchError, ReadError) as exc:
            report.failed.append((url, str(exc)))
            return
        validators = {k: got.headers[h] for k, h in (("etag", "etag"),
                                                     ("modified", "last-modified"))
                      if got.headers.get(h)}
        if validators:
            self.seen_validators[url] = validators
        yield from drafts

    # --- conditional requests ------------------------------------------------------------
    def _validators(self, url: str) -> tuple[str, str]:
        """The ETag and Last-Modified a page was stored with, when the stored article is
        still the one they were seen with (a page deleted or changed since: none)."""
        if len(url) > MAX_ID_CHARS:
            return "", ""  # no article can have this id
        raw = self.store.meta_value(VALIDATORS + url)
        if not raw:
            return "", ""
        try:
            kept = json.loads(raw)
        except ValueError:
            return "", ""
        head = self.store.article_titles([url]).get(url)
        if head is None or head.content_hash != kept.get("hash"):
            return "", ""
        return str(kept.get("etag", "")), str(kept.get("modified", ""))

    def _keep_validators(self) -> None:
        heads = self.store.article_titles(list(self.seen_validators))
        for url, validators in self.seen_validators.items():
            head = heads.get(url)
            if head is not None:
                self.store.put_meta_value(VALIDATORS + url, json.dumps(
                    {**validators, "hash": head.content_hash}), replace=True)
