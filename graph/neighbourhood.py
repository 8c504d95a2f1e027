"""A concept's neighbourhood, composed from GraphStore primitives so that every backend (and
both the web app and the CLI) gives the same answer.

`neighbourhood` walks BROADER (both ways), RELATED and CO_OCCURS edges breadth-first to depth 1
or 2 and returns nodes and edges, each edge with the passages that support it: for CO_OCCURS
the passages mentioning both concepts, weight = their number, with PMI and NPMI beside it
(graph/cooccurrence.py); a scheme edge (broader, related) carries the same
passages when its two concepts also co-occur, since those are where the relation shows in text.
"""
from __future__ import annotations

import re
import unicodedata
from dataclasses import asdict
from typing import Iterable, Optional

from citegraph.graph.base import GraphStore
from citegraph.graph.cards import (ConceptCard, ConceptPassage, ConceptRef, CoOccurringRef,
                                   MentionSpan)
from citegraph.graph.cooccurrence import CoOccurrence
from citegraph.graph.models import Concept
from citegraph.graph.scheme_cache import per_scheme

MAX_NODES = 60  # a depth-2 walk over a dense scheme is cut here; the page stays legible
CO_OCCURRING_LIMIT = 20
PASSAGES_PER_EDGE = 5


# --- short concept ids ------------------------------------------------------------------
# A concept's short, stable id for URLs and JSON ("ContactCenter" for
# https://citegraph.org/scheme/cx/ContactCenter): the IRI's local name when it is URL-safe and
# no other concept has it, else a slug of the prefLabel ("contact-center"), numbered on a clash.
_SAFE_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.~-]*\Z")


def local_name(iri: str) -> str:
    return re.split(r"[#/:]", iri.rstrip("#/"))[-1]


def slug(label: str) -> str:
    text = unicodedata.normalize("NFKD", label).encode("ascii", "ignore").decode("ascii")
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")[:80] or "concept"


def short_ids(concepts: Iterable[tuple[str, str]]) -> dict[str, str]:
    """iri → short id for (iri, prefLabel) pairs; the same scheme always gives the same ids,
    and no two concepts share one."""
    concepts = sorted(dict(concepts).items())
    names: dict[str, int] = {}
    for iri, _label in concepts:
        names[local_name(iri)] = names.get(local_name(iri), 0) + 1
    out: dict[str, str] = {}
    for iri, _label in concepts:
        name = local_name(iri)
        if names[name] == 1 and _SAFE_NAME.match(name):
            out[iri] = name
    taken = set(out.values())
    for iri, label in concepts:
        if iri in out:
            continue
        base = candidate = slug(label)
        n = 2
        while candidate in taken:
            candidate, n = f"{base}-{n}", n + 1
        out[iri] = candidate
        taken.add(candidate)
    return out


def concept_ids(store: GraphStore) -> dict[str, str]:
    """iri → short id of every stored concept, built once per scheme revision
    (graph/scheme_cache.py)."""
    return _id_tables(store)[0]


def concept_by_short_id(store: GraphStore, short: str) -> Optional[str]:
    """The IRI of the stored concept whose short id is `short`, or None."""
    return _id_tables(store)[1].get(short)


def _id_tables(store: GraphStore) -> tuple[dict[str, str], dict[str, str]]:
    def build():
        ids = short_ids(store.concept_names())
        return ids, {short: iri for iri, short in ids.items()}

    return per_scheme(store, "short_ids", build)


def _relations(store: GraphStore, concept: Concept) -> list[tuple]:
    """(source, target, type, weight, passage ids, association) for every edge at
    `concept`; association: {"count", "pmi", "npmi"} of a co-occurrence, else None."""
    co = {c.other: c for c in store.co_occurrences(concept.iri, CO_OCCURRING_LIMIT)}

    def pids(other: str) -> list[str]:
        return co[other].passages if other in co else []

    edges: list[tuple[str, str, str, float, list[str], Optional[dict]]] = []
    for broader in concept.broader:
        edges.append((concept.iri, broader, "broader", 1.0, pids(broader), None))
    for narrower in store.narrower(concept.iri):
        edges.append((narrower, concept.iri, "broader", 1.0, pids(narrower), None))
    for related in concept.related:
        edges.append((concept.iri, related, "related", 1.0, pids(related), None))
    for other, c in co.items():
        edges.append((concept.iri, other, "co-occurs", float(c.count), c.passages,
                      _association(c)))
    return edges


def _association(c: CoOccurrence) -> dict:
    """Weights of a co-occurrence beside `weight` (= count, shared passages): PMI and its
    normalised form NPMI in [-1, 1] (graph/cooccurrence.py)."""
    return {"count": c.count, "pmi": c.pmi, "npmi": c.npmi}


def _edge_key(source: str, target: str, kind: str) -> tuple:
    # broader is directed (narrower → broader); the others are symmetric
    return (kind, source, target) if kind == "broader" else (kind, *sorted((source, target)))


def neighbourhood(store: GraphStore, iri: str, depth: int = 1) -> Optional[dict]:
    """{"center", "depth", "nodes": [{id, iri, label, definition, depth, mentions}],
    "edges": [{source, target, type, weight, passage_count, passages: [{passage_id,
    article_id, ordinal, title, text, start, end}]}], "truncated"} or None when the concept
    is unknown; co-occurs edges add count, pmi and npmi. `id` is the concept's short id."""
    if depth not in (1, 2):
        raise ValueError(f"depth: {depth!r} is not 1 or 2")
    center = store.get_concept(iri)
    if center is None:
        return None
    concepts = {center.iri: center}
    node_depth = {center.iri: 0}
    edges: dict[tuple, tuple] = {}
    truncated = False
    frontier = [center]
    for level in range(1, depth + 1):
        next_frontier = []
        for concept in frontier:
            for source, target, kind, weight, pids, association in _relations(store, concept):
                other = target if source == concept.iri else source
                if other not in concepts:
                    if len(concepts) >= MAX_NODES:
                        truncated = True
                        continue
                    found = store.get_concept(other)
                    if found is None:  # an edge to a concept outside the stored scheme
                        continue
                    concepts[other] = found
                    node_depth[other] = level
                    next_frontier.append(found)
                edges.setdefault(_edge_key(source, target, kind),
                                 (source, target, kind, weight, pids, association))
        frontier = next_frontier
    ids = concept_ids(store)
    mentions = store.mention_counts(concepts)
    return {"center": center.iri, "depth": depth,
            "nodes": [{"id": ids.get(c.iri, c.iri), "iri": c.iri, "label": c.label,
                       "definition": c.definition, "depth": node_depth[c.iri],
                       "mentions": mentions.get(c.iri, 0)}
                      for c in concepts.values()],
            "edges": [_edge_json(store, *edge) for edge in edges.values()],
            "truncated": truncated}


def _edge_json(store: GraphStore, source, target, kind, weight, pids, association) -> dict:
    return {"source": source, "target": target, "type": kind, "weight": weight,
            **(association or {}), "passage_count": len(pids),
            "passages": passage_refs(store, pids[:PASSAGES_PER_EDGE])}


def passage_refs(store: GraphStore, passage_ids: list[str]) -> list[dict]:
    """Passages with their article titles and who wrote them (section, author, date), in
    the order given."""
    passages = store.get_passages(list(passage_ids))
    titles = store.article_titles({p.article_id for p in passages})
    return [{"passage_id": p.id, "article_id": p.article_id, "ordinal": p.ordinal,
             "title": titles[p.article_id].title if p.article_id in titles else "",
             "text": p.text, "start": p.start, "end": p.end, "section": p.section or "body",
             "author": p.author, "date": p.date} for p in passages]


def concept_card(store: GraphStore, concept: Concept, passage_limit: int = 50) -> ConceptCard:
    """The concept with its direct relations and the passages that mention it, one entry a
    passage with its strongest mention's score (the JSON of `citegraph concept --json` and
    `GET /api/concepts/<id>`). Passage `start`/`end` are offsets into the article text,
    mention `start`/`end` offsets into the passage text."""
    narrower = store.narrower(concept.iri)
    co_occurring = store.co_occurrences(concept.iri, CO_OCCURRING_LIMIT)
    labels = store.concept_labels([*concept.broader, *narrower, *concept.related,
                                   *(c.other for c in co_occurring)])
    ids = concept_ids(store)

    def ref(iri: str) -> ConceptRef:
        return ConceptRef(id=ids.get(iri, iri), iri=iri, label=labels[iri])

    mentions = store.concept_mentions(concept.iri, passage_limit)
    by_passage = {p["passage_id"]: p for p in passage_refs(store, [m.passage_id for m in mentions])}
    passages: dict[str, ConceptPassage] = {}  # one entry a passage, strongest mention first
    for m in mentions:
        if m.passage_id in by_passage:
            entry = passages.get(m.passage_id)
            if entry is None:
                entry = passages[m.passage_id] = ConceptPassage(
                    **by_passage[m.passage_id], score=m.score, mentions=[])
            entry.mentions.append(MentionSpan(start=m.start, end=m.end, surface=m.surface,
                                              score=m.score, method=m.method))
    return ConceptCard(
        id=ids.get(concept.iri, concept.iri), iri=concept.iri, label=concept.label,
        alt_labels=concept.alt_labels, definition=concept.definition, scheme=concept.scheme,
        broader=[ref(i) for i in concept.broader], narrower=[ref(i) for i in narrower],
        related=[ref(i) for i in concept.related],
        co_occurring=[CoOccurringRef(**asdict(ref(c.other)), weight=float(c.count),
                                     count=c.count, pmi=c.pmi, npmi=c.npmi,
                                     passages=c.passages) for c in co_occurring],
        passages=list(passages.values()))
