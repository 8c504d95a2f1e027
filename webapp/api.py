"""The JSON API under /api. Request schemas validate input and document it; responses follow
the result JSON of DESIGN.md."""
from __future__ import annotations

import threading
from contextlib import AbstractContextManager, contextmanager
from functools import wraps
from typing import Callable, NoReturn

from apiflask import APIBlueprint, abort
from flask import Response, current_app, request, stream_with_context, url_for

from citegraph.graph.base import GraphStore
from citegraph.graph.cards import article_card
from citegraph.graph.listing import article_listing, concepts_in_order, page_with_mentions
from citegraph.graph.models import Concept
from citegraph.graph.neighbourhood import concept_card, concept_ids, neighbourhood
from citegraph.ontology.lookup import resolve as resolve_concept
from citegraph.search.filters import FilterError
from citegraph.webapp import export, schemas
from citegraph.webapp.errors import RETRY_AFTER_SECONDS
from citegraph.webapp.schemas import json_response
from citegraph.ingest.limits import MAX_JSON_DEPTH, too_deep
from citegraph.webapp.security import token_required

bp = APIBlueprint("api", __name__, tag="API")


def json_body(view):
    """A JSON body or nothing: another media type is 415, a body nested deeper than
    MAX_JSON_DEPTH 400 (the parser recurses and would fail with RecursionError, a 500)."""
    @wraps(view)
    def checked(*args, **kwargs):
        if not request.is_json:
            abort(415, f"the body must be application/json, not "
                       f"{request.mimetype or 'unnamed'}")
        data = request.get_data(cache=True)
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError:
            abort(400, "the body is not UTF-8")
        if too_deep(data):
            abort(400, f"the body is JSON nested deeper than {MAX_JSON_DEPTH} levels")
        return view(*args, **kwargs)
    return checked


def runtime():
    return current_app.extensions["citegraph.runtime"]


def store() -> GraphStore:
    return runtime().store


@contextmanager
def _write_lock_held(busy: Callable[[str], NoReturn]):
    """The server's write lock for the body. Writes go one at a time; one that cannot have
    its turn within the `write_wait` setting gets `busy(message)` instead of queueing on:
    behind a store that fails slowly (a stopped Neo4j: each write waits out the driver's
    retries) a queue of writes would outlast any client's patience."""
    wait = min(runtime().settings.write_wait, threading.TIMEOUT_MAX)
    lock = current_app.extensions["citegraph.write_lock"]
    if not lock.acquire(timeout=wait):
        busy(f"busy: another write held the store for {wait:g} s; try again")
    try:
        yield
    finally:
        lock.release()


def _answer_busy(message: str) -> NoReturn:
    abort(503, message, headers={"Retry-After": str(RETRY_AFTER_SECONDS)})


def one_write():
    """A write request's turn: not had within `write_wait`, the request is answered 503
    with Retry-After."""
    return _write_lock_held(_answer_busy)


def crawl_turns() -> Callable[[], AbstractContextManager]:
    """The write lock's turns for a crawl, which takes one a batch (ingest/web.py) instead
    of holding the lock while it fetches: a turn not had within `write_wait` raises
    WriteBusy, that batch's pages are reported failed and the crawl goes on."""
    from citegraph.ingest.pipeline import WriteBusy

    def busy(message: str) -> NoReturn:
        raise WriteBusy(message)
    return lambda: _write_lock_held(busy)


def concept_or_404(concept_id: str):
    concept = resolve_concept(store(), concept_id)
    if concept is None:
        abort(404, f"concept {concept_id!r}: not found")
    return concept


@bp.get("/healthz")
@bp.doc(responses={200: json_response(schemas.Health, "The store's counts.")})
def healthz():
    """Liveness and the store's counts."""
    return {"status": "ok", **store().stats()}


@bp.get("/api/search")
@bp.input(schemas.SearchQuery, location="query")
@bp.doc(responses={200: json_response(schemas.SearchResult, "Ranked passages and an answer."),
                   404: json_response(schemas.Error, "The `concept` filter names no concept, "
                                                     "or `article` no stored article."),
                   400: json_response(schemas.Error, "A bad parameter, or `since` after "
                                                     "`until`.")})
def search(query_data):
    """Answer a question with cited passages. Facets (`concept`, `article`, `since`,
    `until`) keep only the passages that satisfy all of them, ranked as without them;
    `explain=true` adds each result's `signals`."""
    since, until = query_data["since"], query_data["until"]
    if since is not None and until is not None and since > until:
        abort(400, f"since {since.isoformat()} is after until {until.isoformat()}")
    service = runtime().search_service()
    try:
        criteria = service.passage_filter(query_data["concept"], query_data["article"],
                                          query_data["since"], query_data["until"])
    except FilterError as exc:
        abort(404 if exc.not_found else 400, str(exc))
    return service.search(query_data["q"], query_data["k"], filters=criteria,
                          explain=query_data["explain"]).to_dict()


@bp.get("/api/concepts")
@bp.input(schemas.ConceptsQuery, location="query")
@bp.doc(responses={200: json_response(schemas.ConceptList, "A page of concepts, by label.")})
def concepts(query_data):
    """The concepts with their numbers of mentions, a page at a time (`limit`, at most
    1,000, from `offset`; `total` says how many there are); `id` is the short form for
    URLs."""
    ordered: list[Concept] = concepts_in_order(store())
    offset, limit = query_data["offset"], query_data["limit"]
    page = page_with_mentions(store(), ordered, offset, limit, lambda c: c.iri)
    ids = concept_ids(store())
    return {"concepts": [{"id": ids[c.iri], "iri": c.iri, "label": c.label,
                          "alt_labels": c.alt_labels,
                          "definition": c.definition, "broader": c.broader,
                          "related": c.related, "mentions": count}
                         for c, count in page],
            "total": len(ordered), "limit": limit, "offset": offset}


@bp.get("/api/concepts/<path:concept_id>/neighbourhood")
@bp.input(schemas.NeighbourhoodQuery, location="query")
@bp.doc(responses={200: json_response(schemas.Neighbourhood, "Nodes and edges.")})
def concept_neighbourhood(concept_id, query_data):
    """The concept's neighbourhood (broader, narrower, related, co-occurring) to depth 1 or 2,
    with the passages behind each edge. `concept_id` is a short id (`ContactCenter`), an IRI
    (percent-encoded) or a label. A co-occurrence edge carries `count` (shared passages,
    also its `weight`), `pmi` and `npmi`."""
    concept = concept_or_404(concept_id)
    return neighbourhood(store(), concept.iri, query_data["depth"])


@bp.get("/api/concepts/<path:concept_id>")
@bp.doc(responses={200: json_response(schemas.ConceptDetail, "The concept.")})
def concept(concept_id):
    """A concept with its relations and the passages that mention it. `concept_id` is the
    short id (`ContactCenter`, given back as `id`), the full IRI or a label."""
    return concept_card(store(), concept_or_404(concept_id)).as_dict()


@bp.get("/api/articles")
@bp.input(schemas.ArticlesQuery, location="query")
@bp.doc(responses={200: json_response(schemas.ArticleList, "One page of the collection.")})
def articles(query_data):
    """The collection, a page at a time: each article with its passage count."""
    return article_listing(store(), query_data["limit"], query_data["offset"],
                           query_data["sort"]).as_dict()


@bp.get("/api/articles/<path:article_id>")
@bp.doc(responses={200: json_response(schemas.ArticleOut, "The article.")})
def article(article_id):
    """The cleaned article, its passages (offsets into `text`) and their concept mentions."""
    card = article_card(store(), article_id)
    if card is None:
        abort(404, f"article {article_id!r}: not found")
    return card.as_dict()


@bp.post("/api/suggest")
@json_body
@bp.input(schemas.SuggestIn, location="json")
@bp.doc(responses={200: json_response(schemas.SuggestOut, "Concepts, best first."),
                   415: json_response(schemas.Error, "The body is not JSON.")})
def suggest(json_data):
    """The concepts a text is about, with scores, from the linker that links passages at
    ingest (labels found in the text, then embedding similarity). Read-only: no token."""
    found = runtime().linker.suggest(json_data["text"], json_data["limit"],
                                     json_data["threshold"])
    ids = concept_ids(store())
    return {"results": [{"id": ids.get(c.iri, c.iri), "iri": c.iri, "label": c.label,
                         "score": round(float(score), 4)} for c, score in found]}


@bp.post("/api/articles")
@token_required  # before the body is parsed: no validation detail for unauthorised callers
@json_body
@bp.input(schemas.ArticleIn, location="json")
@bp.doc(security="BearerToken",
        responses={201: json_response(schemas.WriteResult, "Ingested (new or changed)."),
                   200: json_response(schemas.WriteResult, "Unchanged: already stored."),
                   401: "Missing or wrong token.", 403: "Writes are disabled.",
                   415: json_response(schemas.Error, "The body is not JSON.")})
def add_article(json_data):
    """Ingest one article; re-posting an unchanged article is a no-op."""
    article_id = json_data["id"].strip()
    rt = runtime()
    with one_write():
        rt.sync_scheme()  # a write links passages: the store must hold the server's scheme
        report = rt.pipeline().ingest_text(
            article_id, json_data["title"], json_data["text"], url=json_data["url"].strip(),
            source=json_data["source"].strip())
    if report.failed:
        abort(400, "; ".join(reason for _where, reason in report.failed))
    status = "new" if report.new else "changed" if report.changed else "unchanged"
    body = {"id": article_id, "status": status, "passages": report.passages}
    headers = {"Location": url_for("api.article", article_id=article_id)}
    return body, 200 if status == "unchanged" else 201, headers


@bp.post("/api/ingest")
@token_required  # before the body is parsed: no validation detail for unauthorised callers
@json_body
@bp.input(schemas.IngestIn, location="json")
@bp.doc(security="BearerToken",
        responses={200: json_response(schemas.IngestOut, "What was read: counts and failures."),
                   401: "Missing or wrong token.", 403: "Writes are disabled.",
                   415: json_response(schemas.Error, "The body is not JSON.")})
def ingest_urls(json_data):
    """Ingest web pages, feeds and sitemaps by URL, with the guards of `citegraph ingest`.
    A URL the caller names is no licence to reach the server's own network: loopback and
    private addresses are refused unless the server's `fetch_allow_private` setting allows
    them. The request returns when every page was fetched (one host at a time, with the
    `fetch_delay` between two requests). The crawl holds the write lock only while it
    writes a batch, so other writes go on meanwhile; a batch that cannot have its turn
    within `write_wait` is reported in `failures` (`not stored: busy …`)."""
    from citegraph.ingest.fetch import Fetcher, FetchLimits
    from citegraph.ingest.pipeline import IngestReport
    from citegraph.ingest.web import WebIngest

    rt = runtime()
    report = IngestReport()
    with one_write():
        rt.sync_scheme()  # a write links passages: the store must hold the server's scheme
    # the write lock is taken a batch at a time, not for the crawl: other writes go between
    web = WebIngest(rt.pipeline(), Fetcher(FetchLimits.from_settings(rt.settings)),
                    json_data["limit"], write_turn=crawl_turns(), linker=lambda: rt.linker)
    web.ingest([u.strip() for u in json_data["urls"]], report, trust_named=False)
    return {**{k: v for k, v in report.as_dict().items() if k != "skipped"},
            "failures": [{"where": w, "reason": r} for w, r in report.failed]}


@bp.delete("/api/articles/<path:article_id>")
@bp.doc(security="BearerToken",
        responses={200: json_response(schemas.WriteResult, "Deleted."),
                   401: "Missing or wrong token.", 403: "Writes are disabled."})
@token_required
def delete_article(article_id):
    """Delete an article with its passages and mentions."""
    s = store()
    with one_write():
        if not s.delete_article(article_id):
            abort(404, f"article {article_id!r}: not found")
    return {"id": article_id, "status": "deleted", "passages": 0}


@bp.get("/api/export")
@bp.input(schemas.ExportQuery, location="query")
@bp.doc(responses={200: schemas.stream_response(
    "The whole graph, streamed.",
    ("text/turtle", "application/ld+json", "application/n-triples", "application/jsonl"))})
def export_graph(query_data):
    """Export the graph, streamed, in a format this server supports."""
    table = export.formats()
    fmt = query_data["format"]
    if fmt not in table:
        abort(400, f"format: {fmt!r} is not one of {', '.join(table)}")
    try:
        chunks = export.stream(store(), fmt, base_iri=runtime().settings.base_iri)
    except export.ExportError as exc:
        abort(400, str(exc))
    return Response(stream_with_context(chunks), content_type=table[fmt],
                    headers={"Content-Disposition":
                             f'attachment; filename="{export.file_name(fmt)}"'})
