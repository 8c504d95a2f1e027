"""Streaming RDF serialisers: each turns one resource description at a time into text, so an
export of any size is written in bounded memory. Our own writers, not rdflib's, because
rdflib serialises only a whole in-memory graph."""
from __future__ import annotations

import json
import re
from functools import cache, lru_cache

from rdflib import Literal, URIRef
from rdflib.namespace import RDF, XSD

from citegraph.graph.rdf_vocab import CONTEXT_FILE, PREFIXES

# Characters JSON may hold raw that some readers take for line breaks (str.splitlines, and
# JavaScript before ES2019 for U+2028/U+2029): escaped, so that one record stays one line
JSON_LINE_BREAKS = str.maketrans({"\u2028": "\\u2028", "\u2029": "\\u2029",
                                  "\u0085": "\\u0085"})
_ESCAPES = {'"': '\\"', "\\": "\\\\", "\n": "\\n", "\r": "\\r", "\t": "\\t"}
# U+0085, U+2028 and U+2029 too: line-based readers of N-Triples may break lines at them
_NEEDS_ESCAPE = re.compile('["\\\\\x00-\x1f\x7f\x85\u2028\u2029]')
_PLAIN_LOCAL = re.compile(r"[A-Za-z][A-Za-z0-9_-]*")
_INTEGER = re.compile(r"[+-]?\d+")
_CANONICAL_INTEGER = re.compile(r"-?(0|[1-9]\d*)")  # what a JSON number reads back as


def _escape(text: str) -> str:
    return _NEEDS_ESCAPE.sub(lambda m: _ESCAPES.get(m[0]) or f"\\u{ord(m[0]):04X}", text)


def _literal(term: Literal, iri) -> str:
    text = f'"{_escape(str(term))}"'
    if term.language:
        return f"{text}@{term.language}"
    if term.datatype is not None and term.datatype != XSD.string:
        return f"{text}^^{iri(term.datatype)}"
    return text


class NTriplesWriter:
    def header(self) -> str:
        return ""

    def description(self, subject: URIRef, pairs) -> str:
        s = f"<{subject}>"
        return "".join(f"{s} <{p}> {self.term(o)} .\n" for p, o in pairs)

    def footer(self) -> str:
        return ""

    @staticmethod
    def term(term) -> str:
        if isinstance(term, Literal):
            return _literal(term, lambda i: f"<{i}>")
        return f"<{term}>"


class TurtleWriter:
    """Turtle with prefixed names for vocabulary terms and full IRIs for data, one subject
    block per description."""

    def header(self) -> str:
        return "".join(f"@prefix {name}: <{ns}> .\n" for name, ns in PREFIXES.items()) + "\n"

    def description(self, subject: URIRef, pairs) -> str:
        grouped: dict = {}
        for p, o in pairs:
            grouped.setdefault(p, []).append(o)
        lines = [("a" if p == RDF.type else self.iri(p)) + " " + ", ".join(map(self.term, objs))
                 for p, objs in grouped.items()]
        return f"{self.iri(subject)} " + " ;\n    ".join(lines) + " .\n\n"

    def footer(self) -> str:
        return ""

    def term(self, term) -> str:
        if isinstance(term, Literal):
            if term.datatype == XSD.integer and _INTEGER.fullmatch(str(term)):
                return str(term)
            return _literal(term, self.iri)
        return self.iri(term)

    @staticmethod
    def iri(iri) -> str:
        return _qname(str(iri)) or f"<{iri}>"


@lru_cache(maxsize=4096)  # bounded: data IRIs pass through here too, vocabulary terms stay hot
def _qname(iri: str) -> str | None:
    for name, ns in PREFIXES.items():
        if iri.startswith(ns) and _PLAIN_LOCAL.fullmatch(iri[len(ns):]):
            return f"{name}:{iri[len(ns):]}"
    return None


@cache
def published_context() -> dict:
    """The @context of ontology/context.jsonld, embedded in every JSON-LD export so that it
    loads offline."""
    return json.loads(CONTEXT_FILE.read_text(encoding="utf-8"))["@context"]


@cache
def _context_terms() -> tuple[dict, dict]:
    """(predicate IRI → (term, coercion), class IRI → term) from the published context."""
    context = published_context()
    prefixes = {k: v for k, v in context.items() if isinstance(v, str) and v.endswith(("#", "/"))}

    def expand(value: str) -> str:
        prefix, _, local = value.partition(":")
        return prefixes[prefix] + local if prefix in prefixes else value

    predicates: dict[str, tuple] = {}
    classes: dict[str, tuple] = {}
    for term, definition in context.items():
        if term in prefixes:
            continue
        if isinstance(definition, str):
            iri = expand(definition)
            (classes if term[0].isupper() else predicates).setdefault(iri, (term, None))
        else:
            coercion = definition.get("@type")
            if coercion and coercion != "@id":
                coercion = expand(coercion)
            predicates.setdefault(expand(definition["@id"]), (term, coercion))
    return predicates, {iri: term for iri, (term, _) in classes.items()}


class JsonLdWriter:
    """A JSON-LD document `{"@context": ..., "@graph": [...]}` with one node object per line,
    compacted with the published context (values it cannot compact are written expanded)."""

    def __init__(self):
        self.first = True

    def header(self) -> str:
        return '{"@context": ' + json.dumps(published_context()) + ',\n "@graph": [\n'

    def description(self, subject: URIRef, pairs) -> str:
        predicates, classes = _context_terms()
        node: dict = {"@id": str(subject)}
        for p, o in pairs:
            if p == RDF.type:
                key, value = "@type", classes.get(str(o), str(o))
            else:
                key, value = self._entry(predicates.get(str(p)), str(p), o)
            node.setdefault(key, []).append(value)
        node = {k: v[0] if len(v) == 1 else v for k, v in node.items()}
        text = ("  " if self.first else ",\n  ") + json.dumps(
            node, ensure_ascii=False).translate(JSON_LINE_BREAKS)
        self.first = False
        return text

    def footer(self) -> str:
        return "\n]}\n"

    @staticmethod
    def _entry(definition, predicate: str, o):
        term, coercion = definition or (None, None)
        if isinstance(o, Literal):
            if term and coercion is None:
                if o.language is None and o.datatype is None:
                    return term, str(o)
                if o.datatype == XSD.integer and _CANONICAL_INTEGER.fullmatch(str(o)):
                    return term, int(str(o))
            if term and coercion is not None and o.datatype is not None \
                    and str(o.datatype) == coercion:
                return term, str(o)
            if o.language:
                value = {"@value": str(o), "@language": o.language}
            elif o.datatype is not None:
                value = {"@value": str(o), "@type": str(o.datatype)}
            else:
                value = {"@value": str(o)}
            return (term if term and coercion is None else predicate), value
        if term and coercion == "@id":
            return term, str(o)
        return predicate, {"@id": str(o)}


WRITERS = {"turtle": TurtleWriter, "nt": NTriplesWriter, "json-ld": JsonLdWriter}
