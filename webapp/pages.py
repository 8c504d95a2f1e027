"""HTML pages: search, concepts index, concept, article. Readable without JavaScript; the
concept graph script only adds the drawing."""
from __future__ import annotations

from apiflask import APIBlueprint
from flask import abort, current_app, render_template, request
from marshmallow import ValidationError

from graph.neighbourhood import concept_card
from ontology.lookup import resolve as resolve_concept
from webapp.concept_search import ConceptFilter
from webapp.errors import one_line
from webapp.marks import segments
from webapp.schemas import SearchQuery

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
    retriever = rt.retriever()
    concept = None
    if params["concept"]:
        concept = resolve_concept(rt.store, params["concept"])
        if concept is None:
            abort(404, f"concept {params['concept']!r}: not found")
        retriever = ConceptFilter(retriever, rt.store, concept.iri)
    result = rt.search_service(retriever=retriever).search(
        params["q"], params["k"])
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
    store = runtime().store
    article = store.get_article(article_id)
    if article is None:
        abort(404, f"article {article_id!r}: not found")
    passages = store.article_passages(article_id)
    mentions = store.passage_mentions([p.id for p in passages])
    labels = store.concept_labels(m.iri for ms in mentions.values() for m in ms)
    sections = []
    for p in passages:
        spans = [(m.start, m.end, {"iri": m.iri, "label": labels[m.iri]})
                 for m in mentions.get(p.id, [])]
        concepts = list({m.iri: {"iri": m.iri, "label": labels[m.iri]}
                         for m in mentions.get(p.id, [])}.values())
        sections.append({"ordinal": p.ordinal, "segments": segments(p.text, spans),
                         "concepts": concepts})
    safe_url = article.url if article.url.lower().startswith(("http://", "https://")) else ""
    return render_template("article.html", article=article, sections=sections, url=safe_url)
