"""The RDF vocabulary of Citegraph's export and the minting of IRIs for stored records.

Vocabularies: SKOS for concepts, schema.org for articles and passages, W3C Web Annotation
(`oa:`) for mentions, and our own small `cg:` vocabulary (ontology/cg.ttl) for the rest.
Concept IRIs are the scheme's own; everything else is minted under a configurable base IRI,
with record ids percent-encoded so that any id gives a valid IRI.
"""
from __future__ import annotations

import hashlib
import math
import re
import uuid
from functools import lru_cache
from pathlib import Path
from urllib.parse import quote, urlsplit

from rdflib import Literal, Namespace, URIRef
from rdflib.namespace import RDF, SKOS, XSD

from citegraph.errors import CitegraphError
from citegraph.graph.models import split_passage_id

CG = Namespace("https://w3id.org/citegraph/ns#")
SCHEMA = Namespace("https://schema.org/")
OA = Namespace("http://www.w3.org/ns/oa#")

PREFIXES = {name: str(ns) for name, ns in
            {"cg": CG, "schema": SCHEMA, "oa": OA, "skos": SKOS, "xsd": XSD, "rdf": RDF}.items()}

ONTOLOGY_DIR = Path(__file__).resolve().parent.parent / "ontology"
CONTEXT_FILE = ONTOLOGY_DIR / "context.jsonld"
VOCABULARY_FILE = ONTOLOGY_DIR / "cg.ttl"

# With no base IRI configured, each store mints under its own: a random id under the
# reserved `.invalid` domain (RFC 6761), made on the store's first export and kept in the
# store (meta key below), so two deployments never mint the same IRI for different records
# and one store's exports agree; an import adopts the base its file was minted under.
DEFAULT_BASE_HOST = "https://citegraph.invalid/"
BASE_IRI_KEY = "base_iri"

# Compact literal datatypes for carried embeddings (defined in ontology/cg.ttl).
FLOAT32_VECTOR = CG.float32Vector  # base64 of little-endian float32 values
SENTENCE_VECTORS = CG.sentenceVectorList  # "start-end,start-end;" + base64 of float16 rows

# Characters N-Triples and Turtle forbid inside <...> (a regex character-class body; a
# scheme's own check, ontology/scheme.py, adds the C1 controls RFC 3987 forbids too).
IRIREF_EXCLUDED = r'\x00-\x20<>"{}|^`\\'
_BAD_IRI_CHARS = re.compile(f"[{IRIREF_EXCLUDED}]")


class VocabularyError(CitegraphError, ValueError):
    """An IRI or base IRI that cannot be written as RDF."""


def check_iri(iri: str, what: str) -> str:
    if not iri or _BAD_IRI_CHARS.search(iri) or ":" not in iri:
        raise VocabularyError(f"{what}: {iri!r} is not a valid absolute IRI")
    return iri


def new_base_iri() -> str:
    return f"{DEFAULT_BASE_HOST}{uuid.uuid4().hex}/"


def store_base_iri(store) -> str:
    """The base IRI of a store with none configured: its own, made on first use (which
    needs a writable store) and kept."""
    return store.meta_value(BASE_IRI_KEY) or store.put_meta_value(BASE_IRI_KEY, new_base_iri())


def adopt_base_iri(store, base: str) -> None:
    """After an import: the store mints under the base its records came with."""
    store.put_meta_value(BASE_IRI_KEY, normalise_base_iri(base), replace=True)


def minted_base(article_iri: str, article_id: str) -> str | None:
    """The base IRI an article's IRI was minted under, None when it was not minted so."""
    tail = f"articles/{_segment(article_id)}"
    if article_iri.endswith(tail) and len(article_iri) > len(tail):
        return article_iri[:-len(tail)]
    return None


def normalise_base_iri(base: str) -> str:
    """The base IRI to mint under: an absolute http(s) IRI, ending in '/' or '#'."""
    parts = urlsplit(base)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise VocabularyError(f"--base-iri: {base!r} is not an absolute http(s) IRI")
    check_iri(base, "--base-iri")
    return base if base.endswith(("/", "#")) else base + "/"


def _segment(value: str) -> str:
    return quote(value, safe="")


def _digest(*parts) -> str:
    return hashlib.sha1("\x1f".join(str(p) for p in parts).encode("utf-8")).hexdigest()[:16]


class IriMinter:
    """Stable IRIs for stored records. Article and passage IRIs mirror the web app's pages
    (`/articles/<id>#p<ordinal>`), so they resolve where the app is served at the base."""

    def __init__(self, base_iri: str):
        self.base = normalise_base_iri(base_iri)

    def scheme(self) -> URIRef:
        return URIRef(self.base + "scheme")

    def article(self, article_id: str) -> URIRef:
        return URIRef(f"{self.base}articles/{_segment(article_id)}")

    def passage(self, article_id: str, ordinal: int) -> URIRef:
        return URIRef(f"{self.base}articles/{_segment(article_id)}#p{int(ordinal)}")

    def passage_by_id(self, passage_id: str) -> URIRef:
        return self.passage(*split_passage_id(passage_id))

    def annotation(self, passage_id: str, iri: str, method: str, start, end) -> URIRef:
        article_id, ordinal = split_passage_id(passage_id)
        return URIRef(f"{self.base}annotations/{_segment(article_id)}/{ordinal}/"
                      f"{_digest(iri, method, start, end)}")

    def cooccurrence(self, a: str, b: str) -> URIRef:
        a, b = sorted((a, b))
        return URIRef(f"{self.base}cooccurrences/{_digest(a, b)}")


def part(resource: URIRef, name: str) -> URIRef:
    """A resource that only exists as part of another (an annotation's target, selectors)."""
    return URIRef(f"{resource}#{name}")


@lru_cache(maxsize=1 << 16)  # offsets and ordinals repeat; rdflib literals are slow to make
def integer(value: int) -> Literal:
    return Literal(str(int(value)), datatype=XSD.integer)


def double(value: float) -> Literal:
    value = float(value)
    if math.isnan(value):
        lexical = "NaN"
    elif math.isinf(value):
        lexical = "INF" if value > 0 else "-INF"
    else:
        lexical = repr(value)
    return Literal(lexical, datatype=XSD.double)


def object_tag(term) -> str:
    """How a stored extra object is written down (graph/models.py Concept.extra): "<>" an
    IRI, "@xx" a language, "^^IRI" a datatype, "" a plain literal."""
    if not isinstance(term, Literal):
        return "<>"
    if term.language:
        return "@" + term.language
    if term.datatype is not None and term.datatype != XSD.string:
        return "^^" + str(term.datatype)
    return ""
