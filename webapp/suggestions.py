"""The read-only page of candidate concepts (`/suggestions`), what `citegraph
suggest-concepts` prints.

Parsing every passage costs seconds to minutes, so the page is computed once per store
state and kept in memory: the state is a digest of the stored articles (id, content hash,
ingest time) and of the scheme's revision, read on every request (one listing query), and a
changed digest computes again. The first request after a change pays for the parse,
bounded by analysing at most `PAGE_PASSAGES` passages (an evenly spaced sample beyond
that, said on the page). One computation runs at a time; other requests wait for it and
then share its result.
"""
from __future__ import annotations

import hashlib
import threading
from typing import Optional

from apiflask import APIBlueprint
from flask import current_app, render_template

from citegraph.graph.base import GraphStore
from citegraph.graph.models import split_passage_id
from citegraph.ontology.labels import concept_labels_by_kind
from citegraph.ontology.suggest import SuggestionRun, suggest_concepts

bp = APIBlueprint("suggestions", __name__, enable_openapi=False)

PAGE_PASSAGES = 1000  # 10-30 s on one core, by passage length (SciFact abstracts: 30 s)
PAGE_LIMIT = 50
PAGE_MIN_COUNT = 2


def store_state(store: GraphStore) -> str:
    """A digest that changes whenever an article or the scheme does: the scheme by its
    revision (one small query), or by every concept's labels where the backend keeps none."""
    digest = hashlib.sha1()
    total, rows = store.list_articles(limit=1 << 62, offset=0, sort="title")
    digest.update(f"{total}\x1e".encode())
    for article, passages in rows:
        digest.update(f"{article.id}\x1f{article.content_hash}\x1f{article.ingested_at}"
                      f"\x1f{passages}\x1e".encode())
    revision = store.scheme_revision()
    if revision is not None:
        digest.update(f"scheme\x1f{revision}\x1e".encode())
        return digest.hexdigest()
    for concept in sorted(store.iter_concepts(), key=lambda c: c.iri):
        digest.update(f"{concept.iri}\x1f{sorted(concept_labels_by_kind(concept), key=str)}"
                      "\x1e".encode())
    return digest.hexdigest()


class SuggestionCache:
    def __init__(self):
        self._lock = threading.Lock()
        self._state: Optional[str] = None
        self._run: Optional[SuggestionRun] = None
        self.computed = 0  # computations so far (the page test checks the cache with it)

    def get(self, store: GraphStore, encode) -> SuggestionRun:
        with self._lock:
            state = store_state(store)
            if state != self._state or self._run is None:
                self._run = suggest_concepts(store, encode, limit=PAGE_LIMIT,
                                             min_count=PAGE_MIN_COUNT,
                                             max_passages=PAGE_PASSAGES)
                self._state = state
                self.computed += 1
            return self._run


def cache_of(app) -> SuggestionCache:
    return app.extensions.setdefault("citegraph.suggestions", SuggestionCache())


@bp.get("/suggestions")
def suggestions_page():
    runtime = current_app.extensions["citegraph.runtime"]
    run = cache_of(current_app).get(runtime.store, runtime.embedder.encode)
    rows = []
    for s in run.suggestions:
        row = s.as_dict()
        for example in row["examples"]:
            article_id, ordinal = split_passage_id(example["passage_id"])
            example.update(article_id=article_id, ordinal=ordinal)
        rows.append(row)
    return render_template("suggestions.html", run=run, rows=rows, min_count=PAGE_MIN_COUNT)
