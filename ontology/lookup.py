"""Finding a stored concept by IRI or by any of its labels, and describing it with its
neighbourhood and passages (the `citegraph concept` view)."""
from __future__ import annotations

from typing import Optional

from graph.base import GraphStore
from graph.models import Concept
from ontology.labels import label_keys, normalise


def resolve(store: GraphStore, label_or_iri: str) -> Optional[Concept]:
    """The concept whose IRI is `label_or_iri`, else the one with that pref/alt/hidden label,
    compared case-insensitively after normalisation ("Call Centres" finds contact center)."""
    text = label_or_iri.strip()
    if not text:
        return None
    concept = store.get_concept(text)
    if concept is not None:
        return concept
    key = normalise(text)
    exact = text.casefold()
    fallback = None
    for c, _count in store.list_concepts():
        labels = [c.label, *c.alt_labels, *c.hidden_labels]
        if any(lab.casefold() == exact for lab in labels):
            return c
        if fallback is None and any(key in label_keys(lab) for lab in labels):
            fallback = c
    return fallback


def describe(store: GraphStore, concept: Concept, limit: int = 50) -> dict:
    labels = {c.iri: c.label for c, _n in store.list_concepts()}

    def ref(iri: str, weight: Optional[float] = None) -> dict:
        out = {"iri": iri, "label": labels.get(iri, iri)}
        if weight is not None:
            out["weight"] = round(weight, 4)
        return out

    mentions = store.concept_mentions(concept.iri, limit)
    passages = {p.id: p for p in store.get_passages([m.passage_id for m in mentions])}
    articles = store.article_titles(p.article_id for p in passages.values())
    rows = []
    for m in mentions:
        p = passages.get(m.passage_id)
        if p is None:
            continue
        article = articles.get(p.article_id)
        rows.append({"passage_id": p.id, "article_id": p.article_id,
                     "title": article.title if article else "", "text": p.text,
                     "start": p.start, "end": p.end, "score": round(m.score, 4),
                     "mention": {"method": m.method, "start": m.start, "end": m.end,
                                 "surface": m.surface}})
    return {
        "iri": concept.iri, "label": concept.label, "alt_labels": concept.alt_labels,
        "definition": concept.definition, "scheme": concept.scheme,
        "broader": [ref(i) for i in concept.broader],
        "narrower": [ref(i) for i in store.narrower(concept.iri)],
        "related": [ref(i) for i in concept.related],
        "co_occurring": [ref(i, w) for i, w, _ps in store.co_occurring(concept.iri)],
        "passages": rows,
    }
