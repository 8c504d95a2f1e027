"""Fetching a URL politely and safely: one request at a time per host with a delay between
two, robots.txt obeyed, a clear User-Agent, a size and a time limit per page, redirects
followed by hand (no other scheme, no https→http, no loop, at most MAX_REDIRECTS), and a
server-side request forgery guard: every hop's host is resolved and, unless the user named
that host (and port) or allowed private addresses, a host resolving to a loopback, private,
link-local or otherwise non-public address is refused before any connection is made. The
connection then goes to the address that was checked (the name is not resolved twice, so a
DNS answer that changes in between cannot slip past the check).

urllib3 does the HTTP (it comes with trafilatura); urllib.robotparser reads robots.txt.
"""
from __future__ import annotations

import ipaddress
import socket
import time
import urllib.robotparser
from dataclasses import dataclass, field
from typing import Optional
from urllib.parse import urljoin, urlsplit

from citegraph.errors import CitegraphError

MAX_REDIRECTS = 5
MAX_ROBOTS_BYTES = 512 * 1024
MAX_CRAWL_DELAY = 60.0  # a robots.txt asking for more is read as asking for this
_CHUNK = 64 * 1024


class FetchError(CitegraphError):
    """A URL that was not fetched; the message is the reason (one line)."""


@dataclass(frozen=True)
class FetchLimits:
    """What the settings say (citegraph/settings.py); built at the entry points."""
    user_agent: str
    delay: float = 1.0  # seconds between two requests to one host
    timeout: float = 20.0  # seconds for one response, headers to last byte
    max_bytes: int = 20 * 1024 * 1024  # bytes of one response, after decompression
    allow_private: bool = False

    @classmethod
    def from_settings(cls, settings, allow_private: bool = False) -> "FetchLimits":
        """From the settings object (citegraph/settings.py) the entry point loaded."""
        return cls(user_agent=settings.fetch_user_agent, delay=settings.fetch_delay,
                   timeout=settings.fetch_timeout, max_bytes=settings.fetch_max_bytes,
                   allow_private=allow_private or settings.fetch_allow_private)


@dataclass
class Response:
    url: str  # after redirects
    status: int
    headers: dict[str, str]  # names in lower case
    body: bytes

    @property
    def content_type(self) -> str:
        return self.headers.get("content-type", "").split(";")[0].strip().lower()


def _origin(url: str) -> tuple[str, str, int]:
    try:
        parts = urlsplit(url)
        scheme = parts.scheme.lower()
        port = parts.port or (443 if scheme == "https" else 80)
    except ValueError as exc:  # a bad port, an unclosed [IPv6 …
        raise FetchError(f"not a valid URL ({exc})") from None
    return scheme, (parts.hostname or "").lower(), port


def _not_public(address: str) -> Optional[str]:
    """Why connecting to `address` could reach something the user did not name (None: a
    public address)."""
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    for kind in ("loopback", "private", "link_local", "multicast", "reserved", "unspecified"):
        if getattr(ip, f"is_{kind}"):
            return kind.replace("_", "-")
    if not ip.is_global:
        return "non-public"
    return None


@dataclass
class Fetcher:
    limits: FetchLimits
    named: set = field(default_factory=set)  # (host, port) pairs the user named
    # host -> monotonic time of its last request; origin -> its robots.txt (None: no rule)
    _last: dict = field(default_factory=dict, init=False)
    _robots: dict = field(default_factory=dict, init=False)

    def name(self, url: str) -> None:
        """The user named this URL: its host may be private (an intranet, a test server)."""
        _, host, port = _origin(url)
        self.named.add((host, port))

    # --- one hop -----------------------------------------------------------------------
    def _address(self, host: str, port: int) -> str:
        """The address to connect to, checked by the guard."""
        try:
            infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
        except (socket.gaierror, UnicodeError, OSError) as exc:
            raise FetchError(f"host {host!r} not found ({exc})") from None
        if not infos:
            raise FetchError(f"host {host!r} not found")
        if not self.limits.allow_private and (host, port) not in self.named:
            for info in infos:  # every address: the connection might go to any of them
                why = _not_public(str(info[4][0]))
                if why:
                    raise FetchError(f"{host} resolves to a {why} address ({info[4][0]}), "
                                     "which the URLs given did not name: not fetched "
                                     "(--allow-private fetches it)")
        return str(infos[0][4][0])

    def _wait_turn(self, host: str, delay: float) -> None:
        last = self._last.get(host)
        if last is not None:
            pause = last + delay - time.monotonic()
            if pause > 0:
                time.sleep(pause)

    def _request(self, url: str, headers: dict, max_bytes: int) -> Response:
        """One GET of `url`, no redirect followed, within the limits."""
        import urllib3

        scheme, host, port = _origin(url)
        if scheme not in ("http", "https"):
            raise FetchError(f"scheme {scheme or '(none)'!r} is not fetched (http and https "
                             "are)")
        if not host:
            raise FetchError(f"no host in {url!r}")
        address = self._address(host, port)
        parts = urlsplit(url)
        path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
        host_header = parts.netloc.rsplit("@", 1)[-1]
        deadline = time.monotonic() + self.limits.timeout
        timeout = urllib3.Timeout(connect=min(10.0, self.limits.timeout),
                                  read=self.limits.timeout)
        pool: urllib3.HTTPConnectionPool
        if scheme == "https":
            pool = urllib3.HTTPSConnectionPool(address, port, timeout=timeout, retries=False,
                                               server_hostname=host, assert_hostname=host,
                                               cert_reqs="CERT_REQUIRED")
        else:
            pool = urllib3.HTTPConnectionPool(address, port, timeout=timeout, retries=False)
        self._wait_turn(host, self.limits.delay)
        try:
            response = pool.request("GET", path, headers={
                "Host": host_header, "User-Agent": self.limits.user_agent,
                "Accept-Encoding": "gzip, deflate", **headers},
                redirect=False, preload_content=False, decode_content=True)
            try:
                body = self._read(response, url, max_bytes, deadline)
            finally:
                response.release_conn()
        except urllib3.exceptions.HTTPError as exc:
            reason = getattr(exc, "reason", None) or exc
            raise FetchError(f"request failed: {' '.join(str(reason).split())[:200]}") from None
        finally:
            self._last[host] = time.monotonic()
            pool.close()
        return Response(url, response.status,
                        {k.lower(): v for k, v in response.headers.items()}, body)

    def _read(self, response, url: str, max_bytes: int, deadline: float) -> bytes:
        length = response.headers.get("content-length", "")
        if length.isdigit() and int(length) > max_bytes:
            raise FetchError(f"response of {int(length):,} bytes, over the {max_bytes:,} "
                             "byte limit")
        chunks, size = [], 0
        while True:
            # read1: one read from the socket at a time, so that a server sending a byte
            # now and then cannot hold the page past its time limit
            chunk = response.read1(_CHUNK)
            if not chunk:
                break
            size += len(chunk)
            if size > max_bytes:  # counted after decompression: a gzip bomb stops here
                raise FetchError(f"response over the {max_bytes:,} byte limit (after "
                                 "decompression)")
            if time.monotonic() > deadline:
                raise FetchError(f"response took longer than the {self.limits.timeout:g} s "
                                 "limit")
            chunks.append(chunk)
        return b"".join(chunks)

    # --- robots.txt --------------------------------------------------------------------
    def _robots_for(self, url: str) -> Optional[urllib.robotparser.RobotFileParser]:
        """The origin's robots.txt, read once; None: everything may be fetched."""
        origin = _origin(url)
        if origin in self._robots:
            known = self._robots[origin]
            if isinstance(known, FetchError):  # one failure per host, not one per entry
                raise known
            return known
        scheme, host, port = origin
        robots_url = urljoin(url, "/robots.txt")
        rules = urllib.robotparser.RobotFileParser()
        try:
            got = self._request(robots_url, {}, MAX_ROBOTS_BYTES)
            if got.status >= 500:
                raise FetchError(f"it answered {got.status}")
        except FetchError as exc:
            failure = FetchError(f"robots.txt of {host} could not be read ({exc})")
            self._robots[origin] = failure
            raise failure from None
        parser: Optional[urllib.robotparser.RobotFileParser] = rules
        if got.status in (401, 403):
            # an attribute of RobotFileParser that typeshed does not declare
            rules.disallow_all = True  # type: ignore[attr-defined]
        elif got.status != 200:
            parser = None  # no robots.txt (404 and the like): no rule
        else:
            rules.parse(got.body.decode("utf-8", "replace").splitlines())
        self._robots[origin] = parser
        return parser

    def _allowed(self, url: str) -> None:
        robots = self._robots_for(url)
        if robots is None:
            return
        if not robots.can_fetch(self.limits.user_agent, url):
            raise FetchError("robots.txt forbids it")
        asked = robots.crawl_delay(self.limits.user_agent)
        if asked:
            self._wait_turn(_origin(url)[1], min(float(asked), MAX_CRAWL_DELAY))

    # --- the entry point ---------------------------------------------------------------
    def fetch(self, url: str, etag: str = "", last_modified: str = "") -> Response:
        """The response to GET `url` after redirects (status 200, or 304 when `etag` or
        `last_modified` was given and the server says nothing changed); FetchError
        otherwise."""
        seen = set()
        headers = {}
        if etag:
            headers["If-None-Match"] = etag
        if last_modified:
            headers["If-Modified-Since"] = last_modified
        current = url
        for _hop in range(MAX_REDIRECTS + 1):
            if current in seen:
                raise FetchError(f"redirect loop at {current}")
            seen.add(current)
            scheme, host, port = _origin(current)
            if scheme in ("http", "https") and host:
                self._address(host, port)  # the guard's word before robots.txt is asked
            self._allowed(current)
            got = self._request(current, headers, self.limits.max_bytes)
            if got.status in (301, 302, 303, 307, 308):
                target = got.headers.get("location", "").strip()
                if not target:
                    raise FetchError(f"redirect ({got.status}) without a Location")
                try:
                    following = urljoin(current, target)
                except ValueError as exc:
                    raise FetchError(f"redirect to an invalid URL ({exc})") from None
                new_scheme = urlsplit(following).scheme.lower()
                old_scheme = urlsplit(current).scheme.lower()
                if new_scheme not in ("http", "https") or (old_scheme, new_scheme) == (
                        "https", "http"):
                    raise FetchError(f"redirect from {old_scheme} to {new_scheme or '(none)'}"
                                     f" ({following[:200]}): not followed")
                current = following
                continue
            if got.status == 304 and headers:
                return got
            if got.status != 200:
                raise FetchError(f"HTTP {got.status}")
            return got
        raise FetchError(f"more than {MAX_REDIRECTS} redirects")
