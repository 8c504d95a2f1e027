"""HTML pages: search, concepts index, concept, article. Readable without JavaScript; the
concept graph script only adds the drawing."""
from __future__ import annotations

from apiflask import APIBlueprint
from flask import abort, current_app, g, make_response, render_template, request, url_for
from marshmallow import ValidationError

from citegraph.graph.cards import article_card
from citegraph.graph.listing import (DEFAULT_LIMIT, article_listing, concepts_by_iri,
                                     concepts_in_order, page_with_mentions)
from citegraph.graph.models import split_passage_id
from citegraph.graph.neighbourhood import concept_card, concept_ids
from citegraph.ontology.language import labels_in, language_order
from citegraph.ontology.lookup import resolve as resolve_concept
from citegraph.search.filters import FilterError
from citegraph.webapp.errors import one_line
from citegraph.webapp.marks import segments
from citegraph.webapp.schemas import CONCEPTS_PAGE, ArticlesQuery, ConceptsPageQuery, SearchQuery

# enable_openapi=False: pages are not part of the API document
bp = APIBlueprint("pages", __name__, enable_openapi=False)


def runtime():
    return current_app.extensions["citegraph.runtime"]


def short_id(iri: str) -> str:
    """The concept's short id (`ContactCenter`), looked up once a request; an IRI no stored
    concept has stays as it is."""
    if "concept_ids" not in g:
        g.concept_ids = concept_ids(runtime().store)
    return g.concept_ids.get(iri, iri)


@bp.url_defaults
def short_concept_urls(endpoint, values):
    """Every link to a concept page uses the short form: url_for('pages.concept_page',
    concept_id=<an IRI>) gives /concepts/ContactCenter."""
    if endpoint == "pages.concept_page" and "concept_id" in values:
        values["concept_id"] = short_id(values["concept_id"])


@bp.app_template_filter("count_of")
def count_of(n: int, noun: str) -> str:
    """`{{ n|count_of("passage") }}`: 1 passage, 3 passages."""
    return f"{n} {noun}" + ("" if n == 1 else "s")


@bp.app_template_filter("readable_date")
def readable_date(value) -> str:
    """An ISO date or date-time as people write it: `3 May 2024`, `4 May 2024, 18:02`
    (the machine form stays in the <time> element's datetime attribute); anything else as
    it is."""
    from datetime import datetime

    text = str(value or "")
    try:
        when = datetime.fromisoformat(text)
    except ValueError:
        return text
    day = f"{when.day} {when:%B %Y}"
    return day if len(text) <= 10 else f"{day}, {when:%H:%M}"


LANDING_CONCEPTS = 12
LANDING_ARTICLES = 6


@bp.app_context_processor
def landing():
    """The landing page (the search page before a question) shows the collection: its size,
    the most mentioned concepts and the latest articles (templates/landing.html, included
    by base.html under the query form)."""
    if request.endpoint != "pages.search_page" or "q" in request.args:
        return {}
    store = runtime().store
    known = concepts_by_iri(store)
    concepts = [(known[iri], count) for iri, count in store.most_mentioned(LANDING_CONCEPTS)
                if iri in known]
    return {"landing": {"stats": store.stats(), "concepts": concepts,
                        "latest": article_listing(store, LANDING_ARTICLES, 0, "date").as_dict()}}


@bp.get("/")
def search_page():
    if "q" not in request.args:
        return render_template("search.html", query=None, result=None, error=None)
    try:
        # the form sends its empty facets as empty values: no facet
        params = SearchQuery().load({name: value for name, value in request.args.items()
                                     if value != "" or name == "q"})
    except ValidationError as exc:
        return render_template("search.html", query=request.args.get("q", "")[:200],
                               result=None, error=one_line(exc.messages)), 400
    rt = runtime()
    service = rt.search_service()
    try:
        criteria = service.passage_filter(params["concept"], params["article"],
                                          params["since"], params["until"])
    except FilterError as exc:
        if exc.not_found:
            abort(404, str(exc))
        return render_template("search.html", query=params["q"], result=None, error=str(exc),
                               facets=params), 400
    concept = rt.store.get_concept(criteria.concept_iri) if criteria.concept_iri else None
    result = service.search(params["q"], params["k"], filters=criteria,
                            explain=params["explain"]).to_dict()
    for r in result["results"]:
        h = r["highlight"]
        r["segments"] = segments(r["text"], [(h["start"], h["end"], "answer")])
        r["ordinal"] = split_passage_id(r["passage_id"])[1]
    return render_template("search.html", query=params["q"], result=result, error=None,
                           concept=concept, k=params["k"], facets=params)


def reader_languages() -> list[str]:
    """`?lang=` first, then the Accept-Language header by quality, then English, then
    untagged labels."""
    asked = [request.args.get("lang", "")]
    asked += [tag for tag, _quality in request.accept_languages]
    return language_order(asked)


def localised(response):
    response.vary.add("Accept-Language")
    return response


def pager(offset: int, limit: int, total: int, shown: int, page_url) -> dict:
    """Previous and next links, page n of m, and which rows this page shows (1-based)."""
    return {"previous": page_url(max(0, offset - limit)) if offset > 0 else None,
            "next": page_url(offset + limit) if offset + limit < total else None,
            "number": offset // limit + 1, "count": max(1, -(-total // limit)),
            "first": offset + 1 if shown else 0, "last": offset + shown}


@bp.get("/concepts")
def concepts_page():
    try:
        params = ConceptsPageQuery().load(request.args.to_dict())
    except ValidationError as exc:
        abort(400, one_line(exc.messages))
    store = runtime().store
    order = reader_languages()

    def in_reader_order(concepts):
        rows = [(c, labels_in(c, order)) for c in concepts]
        return sorted(rows, key=lambda row: (row[1].label.casefold(), row[1].label))  # a before B

    rows = concepts_in_order(store, "labels:" + "|".join(order), in_reader_order)
    limit, offset = params["limit"], params["offset"]
    page = page_with_mentions(store, rows, offset, limit, lambda row: row[0].iri)

    def page_url(at: int) -> str:
        return url_for("pages.concepts_page", offset=at,
                       **({"limit": limit} if limit != CONCEPTS_PAGE else {}))

    return localised(make_response(render_template(
        "concepts.html", concepts=[(c, n, shown) for (c, shown), n in page], total=len(rows),
        pages=pager(offset, limit, len(rows), len(page), page_url))))


@bp.get("/concepts/<path:concept_id>")
def concept_page(concept_id):
    store = runtime().store
    concept = resolve_concept(store, concept_id)
    if concept is None:
        abort(404, f"concept {concept_id!r}: not found")
    depth = 2 if request.args.get("depth") == "2" else 1
    card = concept_card(store, concept).as_dict()
    # a pair that shares passages less often than chance (NPMI <= 0) is no association
    card["co_occurring"] = [c for c in card["co_occurring"]
                            if c.get("npmi") is None or c["npmi"] > 0]
    for p in card["passages"]:
        p["segments"] = segments(p["text"], [(m["start"], m["end"], "mention")
                                             for m in p["mentions"]])
    order = reader_languages()
    shown = labels_in(concept, order)
    card.update(label=shown.label, language=shown.language, alt_labels=shown.alt_labels,
                definition=shown.definition, definition_language=shown.definition_language)
    for key in ("broader", "narrower", "related", "co_occurring"):
        for ref in card[key]:
            other = store.get_concept(ref["iri"])
            if other is not None:
                named = labels_in(other, order)
                ref.update(label=named.label, language=named.language)
    return localised(make_response(render_template("concept.html", concept=card,
                                                   depth=depth)))


@bp.get("/articles")
def articles_page():
    try:
        params = ArticlesQuery().load(request.args.to_dict())
    except ValidationError as exc:
        abort(400, one_line(exc.messages))
    listing = article_listing(runtime().store, params["limit"], params["offset"],
                              params["sort"]).as_dict()
    limit, offset, total = listing["limit"], listing["offset"], listing["total"]

    def page_url(at: int) -> str:
        args = {"offset": at, "sort": params["sort"]}
        if limit != DEFAULT_LIMIT:
            args["limit"] = limit
        return url_for("pages.articles_page", **args)

    pages = pager(offset, limit, total, len(listing["articles"]), page_url)
    sorts = {s: url_for("pages.articles_page", sort=s,
                        **({"limit": limit} if limit != DEFAULT_LIMIT else {}))
             for s in ("date", "title")}
    return render_template("articles.html", listing=listing, pages=pages, sorts=sorts)


@bp.get("/articles/<path:article_id>")
def article_page(article_id):
    found = article_card(runtime().store, article_id)
    if found is None:
        abort(404, f"article {article_id!r}: not found")
    card = found.as_dict()
    sections = []
    for p in card["passages"]:
        text = card["text"][p["start"]:p["end"]]
        spans = [(m["start"], m["end"], {"iri": m["iri"], "label": m["label"]})
                 for m in p["mentions"]]
        concepts = list({m["iri"]: {"iri": m["iri"], "label": m["label"]}
                         for m in p["mentions"]}.values())
        sections.append({"ordinal": p["ordinal"], "segments": segments(text, spans),
                         "concepts": concepts, "section": p["section"],
                         "author": p["author"], "date": p["date"], "page": p["page"]})
    url = card["url"]
    safe_url = url if url.lower().startswith(("http://", "https://")) else ""
    return render_template("article.html", article=card, sections=sections, url=safe_url)


@bp.get("/api/docs")
def api_docs_page():
    """The API's interactive docs: Swagger UI (from npm at set-up, served from
    static/vendor/) over /api/openapi.json; without it, a link to the document."""
    from pathlib import Path

    vendor = Path(current_app.static_folder) / "vendor"
    drawn = all((vendor / name).is_file() for name in ("swagger-ui-bundle.js", "swagger-ui.css"))
    return render_template("api_docs.html", drawn=drawn)
