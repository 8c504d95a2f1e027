"""The stored graph as RDF resource descriptions, read through the GraphStore contract only,
so that every backend exports the same way.

A description is one subject with its (predicate, object) pairs. Descriptions are produced one
record at a time from the store's iterators, so a writer that emits them as they come never
holds more than one article, passage or annotation in memory (the concept scheme, small, is
read whole to derive skos:narrower and top concepts).
"""
from __future__ import annotations

import base64
import re
import sys
from itertools import islice
from typing import Iterable, Iterator, Sequence

import numpy as np
from rdflib import Literal, URIRef
from rdflib.namespace import RDF, SKOS, XSD

from citegraph.graph.base import GraphStore
from citegraph.graph.models import Article, Concept, Mention, Passage, SentenceVectors
from citegraph.graph.rdf_vocab import (CG, FLOAT32_VECTOR, OA, SCHEMA, SENTENCE_VECTORS, IriMinter,
                             check_iri, double, integer, part)

Pair = tuple[URIRef, object]  # (predicate, object) of one triple of a subject
Description = tuple[URIRef, Sequence[Pair]]

WHAT = ("concepts", "articles", "all")
EMBEDDING_BATCH = 256  # passages whose sentence vectors are fetched together
_DATETIME = re.compile(r"-?\d{4,}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)?")
_DATE = re.compile(r"-?\d{4,}-\d\d-\d\d")


def date_literal(value: str) -> Literal:
    """An ISO 8601 value typed xsd:dateTime or xsd:date where it has that form, else plain."""
    if _DATETIME.fullmatch(value):
        return Literal(value, datatype=XSD.dateTime)
    return Literal(value, datatype=XSD.date if _DATE.fullmatch(value) else None)


def describe(store: GraphStore, minter: IriMinter, what: str = "all",
             with_embeddings: bool = False) -> Iterator[Description]:
    if what in ("concepts", "all"):
        yield from describe_scheme(store.iter_concepts(), minter)
    if what in ("articles", "all"):
        for article in store.iter_articles():
            yield describe_article(article, minter)
        yield from describe_passages(store, minter, with_embeddings)
        for mention in store.iter_mentions():
            yield from describe_mention(mention, minter)
        yield from describe_cooccurrences(store, minter)


# --- concepts ------------------------------------------------------------------------------
def describe_scheme(concepts: Iterable[Concept], minter: IriMinter) -> Iterator[Description]:
    concepts = list(concepts)
    for c in concepts:  # before anything is written
        check_iri(c.iri, "concept")
    narrower: dict[str, list[str]] = {}
    for c in concepts:
        for b in c.broader:
            narrower.setdefault(b, []).append(c.iri)
    schemes: dict[str, list[str]] = {}
    recorded: dict[str, list] = {}  # a scheme's own triples, carried by one of its concepts
    for c in concepts:
        scheme = c.scheme or str(minter.scheme())
        schemes.setdefault(scheme, [])
        if not c.broader:
            schemes[scheme].append(c.iri)
        if c.scheme_triples:
            recorded.setdefault(scheme, []).extend(c.scheme_triples)
    for scheme, tops in schemes.items():
        pairs: list[Pair] = [(RDF.type, SKOS.ConceptScheme)]
        triples = recorded.get(scheme, [])
        pairs += [pair for pair in map(extra_pair, triples) if pair not in pairs]
        if not any(p == str(SKOS.hasTopConcept) for p, _v, _t in triples):
            pairs += [(SKOS.hasTopConcept, URIRef(t)) for t in sorted(tops)]
        yield URIRef(check_iri(scheme, "concept scheme")), pairs
    for c in concepts:
        yield describe_concept(c, narrower.get(c.iri, []), minter)


def extra_pair(triple) -> tuple[URIRef, object]:
    """A stored [predicate, value, tag] (graph/models.py Concept.extra) as a pair."""
    predicate, value, tag = triple
    obj: URIRef | Literal
    if tag == "<>":
        obj = URIRef(check_iri(value, f"object of {predicate}"))
    elif tag.startswith("@"):
        obj = Literal(value, lang=tag[1:])
    elif tag.startswith("^^"):
        obj = Literal(value, datatype=URIRef(tag[2:]))
    else:
        obj = Literal(value)
    return URIRef(check_iri(predicate, "predicate")), obj


def describe_concept(c: Concept, narrower: list[str], minter: IriMinter) -> Description:
    scheme = URIRef(c.scheme or str(minter.scheme()))
    lang = c.language or None
    pairs: list[Pair] = [(RDF.type, SKOS.Concept), (SKOS.prefLabel, Literal(c.label, lang=lang))]
    pairs += [(SKOS.altLabel, Literal(a, lang=lang)) for a in c.alt_labels]
    pairs += [(SKOS.hiddenLabel, Literal(h, lang=lang)) for h in c.hidden_labels]
    if c.definition:
        pairs.append((SKOS.definition, Literal(c.definition, lang=lang)))
    pairs.append((SKOS.inScheme, scheme))
    extra = [extra_pair(t) for t in c.extra]
    if not c.broader and not any(p == SKOS.topConceptOf for p, _o in extra):
        pairs.append((SKOS.topConceptOf, scheme))
    pairs += [(SKOS.broader, URIRef(check_iri(b, f"concept {c.iri} broader")))
              for b in c.broader]
    pairs += [(SKOS.narrower, URIRef(n)) for n in sorted(narrower)]
    pairs += [(SKOS.related, URIRef(check_iri(r, f"concept {c.iri} related")))
              for r in c.related]
    pairs += [pair for pair in extra if pair not in pairs]
    return URIRef(check_iri(c.iri, "concept")), pairs


# --- articles and passages ---------------------------------------------------------------
def describe_article(a: Article, minter: IriMinter) -> Description:
    pairs: list[Pair] = [(RDF.type, SCHEMA.Article), (SCHEMA.identifier, Literal(a.id)),
             (SCHEMA.headline, Literal(a.title))]
    if a.url:
        pairs.append((SCHEMA.url, Literal(a.url, datatype=XSD.anyURI)))
    if a.author:
        pairs.append((SCHEMA.author, Literal(a.author)))
    if a.published:
        pairs.append((SCHEMA.datePublished, date_literal(a.published)))
    if a.ingested_at:
        typed = _DATETIME.fullmatch(a.ingested_at)
        pairs.append((CG.ingestedAt,
                      Literal(a.ingested_at, datatype=XSD.dateTime if typed else None)))
    if a.source:
        pairs.append((CG.source, Literal(a.source)))
    if a.content_hash:
        pairs.append((CG.contentHash, Literal(a.content_hash)))
    pairs.append((SCHEMA.text, Literal(a.text)))
    return minter.article(a.id), pairs


def describe_passages(store: GraphStore, minter: IriMinter,
                      with_embeddings: bool) -> Iterator[Description]:
    passages = store.iter_passages(with_embeddings=with_embeddings)
    while batch := list(islice(passages, EMBEDDING_BATCH)):
        sentences = store.sentence_vectors([p.id for p in batch]) if with_embeddings else {}
        for p in batch:
            yield describe_passage(p, minter, sentences.get(p.id))


def describe_passage(p: Passage, minter: IriMinter,
                     sentences: SentenceVectors | None = None) -> Description:
    pairs: list[Pair] = [(RDF.type, CG.Passage), (RDF.type, SCHEMA.CreativeWork),
             (SCHEMA.identifier, Literal(p.id)),
             (SCHEMA.isPartOf, minter.article(p.article_id)),
             (SCHEMA.position, integer(p.ordinal)),
             (CG.startOffset, integer(p.start)), (CG.endOffset, integer(p.end)),
             (SCHEMA.text, Literal(p.text)), (CG.section, Literal(p.section or "body"))]
    # a comment's own author and date (or the article's: what search results show)
    if p.author:
        pairs.append((SCHEMA.author, Literal(p.author)))
    if p.date:
        pairs.append((SCHEMA.datePublished, date_literal(p.date)))
    if p.embedding is not None:
        pairs.append((CG.embedding, Literal(encode_vector(p.embedding), datatype=FLOAT32_VECTOR)))
    if sentences is not None and sentences.spans:
        pairs.append((CG.sentenceVectors,
                      Literal(encode_sentences(sentences), datatype=SENTENCE_VECTORS)))
    return minter.passage(p.article_id, p.ordinal), pairs


def encode_vector(vector: np.ndarray) -> str:
    return base64.b64encode(np.asarray(vector, dtype="<f4").tobytes()).decode("ascii")


def decode_vector(text: str) -> np.ndarray:
    return np.frombuffer(base64.b64decode(text, validate=True), dtype="<f4").astype(np.float32)


def encode_sentences(sv: SentenceVectors) -> str:
    spans = ",".join(f"{int(s)}-{int(e)}" for s, e in sv.spans)
    blob = np.asarray(sv.vectors, dtype="<f2").tobytes()
    return spans + ";" + base64.b64encode(blob).decode("ascii")


def decode_sentences(text: str) -> SentenceVectors:
    spans_text, _, blob = text.partition(";")
    spans: list[tuple[int, int]] = []
    for pair in spans_text.split(","):
        start, end = (int(x) for x in pair.split("-"))  # ValueError unless two numbers
        spans.append((start, end))
    vectors = np.frombuffer(base64.b64decode(blob, validate=True), dtype="<f2")
    return SentenceVectors(spans, vectors.astype(np.float16).reshape(len(spans), -1))


# --- mentions and co-occurrence ------------------------------------------------------------
def describe_mention(m: Mention, minter: IriMinter) -> Iterator[Description]:
    """A mention as a W3C Web Annotation: the concept is the body, the target is the passage
    narrowed by a text position selector (and a quote selector with the surface form)."""
    annotation = minter.annotation(m.passage_id, m.iri, m.method, m.start, m.end)
    target = part(annotation, "target")
    selectors: list[Description] = []
    if m.start is not None and m.end is not None:
        selectors.append((part(annotation, "position"),
                          [(RDF.type, OA.TextPositionSelector),
                           (OA.start, integer(m.start)), (OA.end, integer(m.end))]))
    if m.surface:
        selectors.append((part(annotation, "quote"),
                          [(RDF.type, OA.TextQuoteSelector), (OA.exact, Literal(m.surface))]))
    yield annotation, [(RDF.type, OA.Annotation),
                       (OA.hasBody, URIRef(check_iri(m.iri, f"mention in {m.passage_id}"))),
                       (OA.hasTarget, target), (OA.motivatedBy, OA.identifying),
                       (CG.score, double(m.score)), (CG.method, Literal(m.method))]
    yield target, ([(RDF.type, OA.SpecificResource),
                    (OA.hasSource, minter.passage_by_id(m.passage_id))]
                   + [(OA.hasSelector, iri) for iri, _ in selectors])
    yield from selectors


def describe_cooccurrences(store: GraphStore, minter: IriMinter) -> Iterator[Description]:
    for concept in store.iter_concepts():
        for other, weight, passages in store.co_occurring(concept.iri, limit=sys.maxsize >> 1):
            if concept.iri >= other:
                continue  # each pair once
            yield (minter.cooccurrence(concept.iri, other),
                   [(RDF.type, CG.CoOccurrence), (CG.concept, URIRef(concept.iri)),
                    (CG.concept, URIRef(other)), (CG.weight, double(weight))]
                   + [(CG.supportingPassage, minter.passage_by_id(p)) for p in passages])
