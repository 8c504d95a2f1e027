"""HTML pages: search, concepts index, concept, article. Readable without JavaScript; the
concept graph script only adds the drawing."""
from __future__ import annotations

from apiflask import APIBlueprint
from flask import abort, current_app, render_template, request
from marshmallow import ValidationError

from citegraph.graph.cards import article_card
from citegraph.graph.neighbourhood import concept_card
from citegraph.ontology.lookup import resolve as resolve_concept
from citegraph.webapp.errors import one_line
from citegraph.webapp.marks import segments
from citegraph.webapp.schemas import SearchQuery

# enable_openapi=False: pages are not part of the API document
bp = APIBlueprint("pages", __name__, enable_openapi=False)


def runtime():
    return current_app.extensions["citegraph.runtime"]


def ordinal_of(passage_id: str) -> int:
    return int(passage_id.rsplit("#", 1)[1])


@bp.get("/")
def search_page():
    if "q" not in request.args:
        return render_template("search.html", query=None, result=None, error=None)
    try:
        params = SearchQuery().load(request.args.to_dict())
    except ValidationError as exc:
        return render_template("search.html", query=request.args.get("q", "")[:200],
                               result=None, error=one_line(exc.messages)), 400
    rt = runtime()
    concept = None
    if params["concept"]:
        concept = resolve_concept(rt.store, params["concept"])
        if concept is None:
            abort(404, f"concept {params['concept']!r}: not found")
    result = rt.search_service().search(
        params["q"], params["k"], concept_iri=concept.iri if concept else None).to_dict()
    for r in result["results"]:
        h = r["highlight"]
        r["segments"] = segments(r["text"], [(h["start"], h["end"], "answer")])
        r["ordinal"] = ordinal_of(r["passage_id"])
    return render_template("search.html", query=params["q"], result=result, error=None,
                           concept=concept, k=params["k"])


@bp.get("/concepts")
def concepts_page():
    return render_template("concepts.html", concepts=runtime().store.list_concepts())


@bp.get("/concepts/<path:concept_id>")
def concept_page(concept_id):
    store = runtime().store
    concept = resolve_concept(store, concept_id)
    if concept is None:
        abort(404, f"concept {concept_id!r}: not found")
    depth = 2 if request.args.get("depth") == "2" else 1
    card = concept_card(store, concept)
    for p in card["passages"]:
        p["segments"] = segments(p["text"], [(m["start"], m["end"], "mention")
                                             for m in p["mentions"]])
    return render_template("concept.html", concept=card, depth=depth)


@bp.get("/articles/<path:article_id>")
def article_page(article_id):
    card = article_card(runtime().store, article_id)
    if card is None:
        abort(404, f"article {article_id!r}: not found")
    sections = []
    for p in card["passages"]:
        text = card["text"][p["start"]:p["end"]]
        spans = [(m["start"], m["end"], {"iri": m["iri"], "label": m["label"]})
                 for m in p["mentions"]]
        concepts = list({m["iri"]: {"iri": m["iri"], "label": m["label"]}
                         for m in p["mentions"]}.values())
        sections.append({"ordinal": p["ordinal"], "segments": segments(text, spans),
                         "concepts": concepts})
    url = card["url"]
    safe_url = url if url.lower().startswith(("http://", "https://")) else ""
    return render_template("article.html", article=card, sections=sections, url=safe_url)
