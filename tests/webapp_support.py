"""Shared by the web app tests: a real store (the demo corpus, a small concept scheme linked
by exact label matches, and a hostile article) served by a real waitress server."""
from __future__ import annotations

import json
import re
import shutil
import urllib.error
import urllib.parse
import urllib.request
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Optional

from citegraph.graph.models import Concept, Mention
from citegraph.graph.sqlite_store import SQLiteStore
from citegraph.text.cleaning import clean_text
from citegraph.ingest.pipeline import IngestReport, Pipeline
from citegraph.ingest.readers import ArticleDraft

TOKEN = "test-token-0123456789"
EX = "https://example.org/citegraph-test/"
XSS_SCRIPT = "<script>alert(1)</script>"
XSS_IMG = '<img src=x onerror="alert(1)">'
XSS_ID = "hostile-<i>id</i>"

CONCEPTS = [
    Concept(EX + "executive", "Executive role",
            definition="A role at the top of an organisation."),
    Concept(EX + "cco", "Chief Customer Officer", alt_labels=["CCO"],
            definition="The executive who owns the customer relationship.",
            broader=[EX + "executive"]),
    Concept(EX + "cmo", "Chief Marketing Officer", alt_labels=["CMO"],
            definition="The executive who leads marketing.",
            broader=[EX + "executive"], related=[EX + "cco"]),
    Concept(EX + "crm", "Customer relationship management", alt_labels=["CRM"],
            definition="Managing a company's interactions with customers."),
    Concept(EX + "xss", f"{XSS_SCRIPT} concept", alt_labels=[XSS_SCRIPT, XSS_IMG],
            definition=f"A hostile definition {XSS_IMG}"),
]


def _patterns(concept: Concept) -> list[tuple[re.Pattern, str]]:
    out = [(re.compile(re.escape(concept.label), re.IGNORECASE), "label")]
    for alt in concept.alt_labels:  # acronyms match case-sensitively, as written
        out.append((re.compile(r"(?<!\w)" + re.escape(alt) + r"(?!\w)"), "alt_label"))
    return out


def link_exact(store: SQLiteStore) -> int:
    """Mentions wherever a label occurs verbatim: a deterministic stand-in for the concept
    linker (issue 3), so that the tests know which passages mention what."""
    mentions, pids = [], []
    for p in store.iter_passages():
        pids.append(p.id)
        for concept in CONCEPTS:
            for pattern, method in _patterns(concept):
                for m in pattern.finditer(p.text):
                    mentions.append(Mention(p.id, concept.iri, 1.0, method, m.start(), m.end(),
                                            m.group(0)))
    store.replace_mentions(pids, mentions)
    store.rebuild_cooccurrence()
    return len(mentions)


def hostile_draft() -> ArticleDraft:
    text = clean_text(
        f"Chief Customer Officer notes {XSS_SCRIPT}\n\n"
        f"A CMO pasted {XSS_IMG} into the CRM and nobody noticed. The Chief Customer Officer "
        "asked who owns customer analytics, and the CMO said marketing owns it.")
    return ArticleDraft(XSS_ID, f"{XSS_SCRIPT} {XSS_IMG} title", text, url="javascript:alert(1)",
                        source=f"{XSS_SCRIPT}.txt")


def build_web_store(corpus_store_dir, directory, embedder) -> None:
    shutil.copytree(corpus_store_dir, directory)
    with SQLiteStore(directory) as store:
        report = IngestReport()
        Pipeline(store, embedder).ingest_drafts([hostile_draft()], report)
        assert report.new == 1, report.failed
        store.replace_concepts(CONCEPTS)
        assert link_exact(store) > 0


def q(value: str) -> str:
    """A path segment or query value, fully percent-encoded."""
    return urllib.parse.quote(value, safe="")


@contextmanager
def web_server(corpus_store_dir, directory, embedder):
    """A real waitress server on a free port over a fresh copy of the web test store."""
    from citegraph.webapp.server import BackgroundServer

    build_web_store(corpus_store_dir, directory, embedder)
    with BackgroundServer(make_app(directory, embedder)) as running:
        yield running


@contextmanager
def scheme_server(demo_store_dir, directory, embedder):
    """A real server over a copy of the demo store with the shipped scheme linked, as
    `citegraph ingest` links it; `running.runtime` is the app's runtime."""
    from citegraph.webapp.server import BackgroundServer

    shutil.copytree(demo_store_dir, directory)
    app = make_app(directory, embedder)
    runtime = app.extensions["citegraph.runtime"]
    runtime.sync_scheme()
    with BackgroundServer(app) as running:
        running.runtime = runtime
        yield running


def make_app(store_dir, embedder, token: Optional[str] = TOKEN):
    from citegraph.runtime import Runtime
    from citegraph.settings import Settings
    from citegraph.webapp import create_app

    runtime = Runtime(Settings(store=str(store_dir), token=token or ""))
    runtime.embedder = embedder  # the session's model: loaded once for every test
    return create_app(runtime=runtime)


@dataclass
class Reply:
    status: int
    headers: dict
    body: bytes

    @property
    def text(self) -> str:
        return self.body.decode("utf-8")

    def json(self):
        return json.loads(self.body)


def http(base: str, method: str, path: str, body: Optional[bytes | dict] = None,
         headers: Optional[dict] = None) -> Reply:
    headers = dict(headers or {})
    if isinstance(body, dict):
        body = json.dumps(body).encode("utf-8")
        headers.setdefault("Content-Type", "application/json")
    request = urllib.request.Request(base + path, data=body, method=method, headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=60) as r:
            return Reply(r.status, {k.lower(): v for k, v in r.headers.items()}, r.read())
    except urllib.error.HTTPError as e:
        return Reply(e.code, {k.lower(): v for k, v in e.headers.items()}, e.read())


def settled(page, js_position: str) -> dict:
    """The element's rendered position once it holds still (the drawing may still be
    moving on a loaded machine: a click aimed at it then lands beside it)."""
    pos = page.evaluate(js_position)
    for _ in range(40):
        page.wait_for_timeout(150)
        again = page.evaluate(js_position)
        if abs(again["x"] - pos["x"]) < 0.5 and abs(again["y"] - pos["y"]) < 0.5:
            return again
        pos = again
    return pos
