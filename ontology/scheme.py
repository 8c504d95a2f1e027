"""Loading and checking a SKOS concept scheme (Turtle, RDF/XML, JSON-LD, N-Triples via rdflib).

A scheme is valid when every concept has a preferred label, no label (after normalisation)
belongs to two concepts, skos:broader has no cycle and every broader/related link points at a
concept of the scheme. Each problem is raised as one `SchemeError` line naming the file, the
line and the concept."""
from __future__ import annotations

import hashlib
import json
import re
from dataclasses import asdict
from pathlib import Path
from typing import Optional

from citegraph.errors import CitegraphError
from citegraph.graph.models import Concept
from citegraph.ontology.labels import label_keys

SHIPPED = Path(__file__).resolve().parent / "cx.ttl"
LANGUAGES = ("en", None)  # preferred language first; untagged literals are accepted

_FORMATS = {".ttl": "turtle", ".turtle": "turtle", ".n3": "n3", ".nt": "nt",
            ".rdf": "xml", ".xml": "xml", ".owl": "xml", ".jsonld": "json-ld",
            ".json": "json-ld"}


class SchemeError(CitegraphError):
    """An invalid scheme file, as one line. A CitegraphError so that every entry point that
    already reports expected store errors as one line reports this one the same way."""


class Scheme:
    def __init__(self, iri: str, concepts: list[Concept], source: str = ""):
        self.iri = iri
        self.concepts = concepts
        self.source = source
        self.by_iri = {c.iri: c for c in concepts}

    def fingerprint(self) -> str:
        """A digest of the concepts as stored, to tell whether a store holds this scheme."""
        return concepts_fingerprint(self.concepts)


def concepts_fingerprint(concepts: list[Concept]) -> str:
    rows = sorted(json.dumps(_canonical(c), sort_keys=True) for c in concepts)
    return hashlib.sha256("\n".join(rows).encode()).hexdigest()


def _canonical(c: Concept) -> dict:
    d = asdict(c)
    for key in ("alt_labels", "hidden_labels", "broader", "related"):
        d[key] = sorted(d[key])
    return d


def load_scheme(path: Optional[str | Path] = None) -> Scheme:
    """Load and validate a scheme file (the shipped cx.ttl when `path` is None)."""
    path = Path(path) if path else SHIPPED
    if path.is_dir():
        raise SchemeError(f"{path}: a directory, not a scheme file")
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise SchemeError(f"{path}: {getattr(exc, 'strerror', None) or exc}") from None
    if not text.strip():
        raise SchemeError(f"{path}: empty file, no SKOS concepts")
    graph = _parse(path, text)
    return _build(path, text, graph)


def _parse(path: Path, text: str):
    import rdflib

    fmt = _FORMATS.get(path.suffix.lower(), "turtle")
    graph = rdflib.Graph()
    try:
        graph.parse(data=text, format=fmt, publicID=path.resolve().as_uri())
    except Exception as exc:  # rdflib raises parser-specific types; all mean bad syntax
        raise SchemeError(f"{path}:{_error_line(exc)}: {fmt} syntax error: "
                          f"{_first_line(exc)}") from None
    return graph


def _error_line(exc: Exception) -> str:
    for attr in ("lines", "_linenum", "lineno"):
        value = getattr(exc, attr, None)
        if isinstance(value, int):
            return str(value + 1 if attr == "lines" else value)
    get = getattr(exc, "getLineNumber", None)
    if callable(get):
        return str(get())
    m = re.search(r"line (\d+)", str(exc))
    return m.group(1) if m else "?"


def _first_line(exc: Exception) -> str:
    message = getattr(exc, "_why", None) or getattr(exc, "message", None) or str(exc) \
        or type(exc).__name__
    return " ".join(str(message).split())[:200]


def _literal(graph, subject, predicate, many: bool = False):
    """Literals in the preferred language (English, else untagged)."""
    values = list(graph.objects(subject, predicate))
    for lang in LANGUAGES:
        chosen = [str(v) for v in values if getattr(v, "language", None) == lang]
        if chosen:
            return sorted(chosen) if many else chosen
    return [] if many else []


def _build(path: Path, text: str, graph) -> Scheme:
    from rdflib import RDF, URIRef
    from rdflib.namespace import SKOS

    subjects = set(graph.subjects(RDF.type, SKOS.Concept))
    subjects |= set(graph.subjects(SKOS.prefLabel, None)) - set(
        graph.subjects(RDF.type, SKOS.ConceptScheme))
    subjects = {s for s in subjects if isinstance(s, URIRef)}
    if not subjects:
        raise SchemeError(f"{path}: no skos:Concept found")
    scheme_iri = next(iter(sorted(str(s) for s in graph.subjects(RDF.type, SKOS.ConceptScheme))),
                      str(path))
    where = _Locator(path, text, graph)
    concepts: dict[str, Concept] = {}
    for s in sorted(subjects, key=str):
        iri = str(s)
        prefs = _literal(graph, s, SKOS.prefLabel)
        if not prefs:
            raise SchemeError(f"{where(iri)}: concept {iri} has no skos:prefLabel")
        if len(prefs) > 1:
            raise SchemeError(f"{where(iri)}: concept {iri} has {len(prefs)} skos:prefLabel "
                              f"values in one language: {', '.join(sorted(prefs))}")
        definition = _literal(graph, s, SKOS.definition)
        concepts[iri] = Concept(
            iri=iri, label=prefs[0],
            alt_labels=_literal(graph, s, SKOS.altLabel, many=True),
            hidden_labels=_literal(graph, s, SKOS.hiddenLabel, many=True),
            definition=definition[0] if definition else "", scheme=scheme_iri)
    _add_links(graph, concepts, where)
    _check_labels(concepts, where)
    _check_cycles(concepts, where)
    return Scheme(scheme_iri, list(concepts.values()), str(path))


def _add_links(graph, concepts: dict[str, Concept], where) -> None:
    from rdflib.namespace import SKOS

    broader: dict[str, set[str]] = {i: set() for i in concepts}
    related: dict[str, set[str]] = {i: set() for i in concepts}
    for a, b in graph.subject_objects(SKOS.broader):
        broader.setdefault(str(a), set()).add(str(b))
    for a, b in graph.subject_objects(SKOS.narrower):
        broader.setdefault(str(b), set()).add(str(a))
    for a, b in graph.subject_objects(SKOS.related):
        related.setdefault(str(a), set()).add(str(b))
        related.setdefault(str(b), set()).add(str(a))
    for kind, links in (("skos:broader", broader), ("skos:related", related)):
        for iri, targets in links.items():
            for target in targets:
                if iri not in concepts or target not in concepts:
                    missing = target if iri in concepts else iri
                    raise SchemeError(f"{where(iri if iri in concepts else target)}: "
                                      f"{kind} link {iri} -> {target}: {missing} is not a "
                                      "concept of the scheme")
    for iri, c in concepts.items():
        c.broader = sorted(broader[iri])  # a concept broader than itself is a cycle
        c.related = sorted(related[iri] - {iri})


def _check_labels(concepts: dict[str, Concept], where) -> None:
    owner: dict[str, tuple[str, str]] = {}
    for iri, c in concepts.items():
        for label in [c.label, *c.alt_labels, *c.hidden_labels]:
            for key in label_keys(label):
                other = owner.get(key)
                if other and other[0] != iri:
                    raise SchemeError(
                        f"{where(iri)}: concept {iri}: label {label!r} clashes with label "
                        f"{other[1]!r} of concept {other[0]} ({where(other[0])})")
                owner.setdefault(key, (iri, label))
        if not label_keys(c.label):
            raise SchemeError(f"{where(iri)}: concept {iri}: prefLabel {c.label!r} has no words")


def _check_cycles(concepts: dict[str, Concept], where) -> None:
    state: dict[str, int] = {}  # 1 on the current path, 2 done

    def visit(iri: str, path: list[str]) -> None:
        state[iri] = 1
        for up in concepts[iri].broader:
            if state.get(up) == 1:
                cycle = path[path.index(up):] + [iri, up] if up in path else [iri, up]
                raise SchemeError(f"{where(up)}: concept {up}: skos:broader cycle "
                                  + " -> ".join(dict.fromkeys(cycle)) + f" -> {up}")
            if state.get(up) is None:
                visit(up, path + [iri])
        state[iri] = 2

    for iri in sorted(concepts):
        if iri not in state:
            visit(iri, [])


class _Locator:
    """'FILE:LINE' of the first line of the file that names a concept (full or prefixed)."""

    def __init__(self, path: Path, text: str, graph):
        self.path = path
        self.lines = text.splitlines()
        self.prefixes = [(str(ns), p) for p, ns in graph.namespaces() if p]

    def __call__(self, iri: str) -> str:
        names = [f"<{iri}>"]
        names += [f"{p}:{iri[len(ns):]}" for ns, p in self.prefixes
                  if iri.startswith(ns) and iri != ns]
        names.append(f'"{iri}"')  # RDF/XML and JSON-LD write the IRI quoted
        pattern = re.compile("|".join(re.escape(n) + r"(?![\w-])" for n in names))
        for number, line in enumerate(self.lines, start=1):
            if pattern.search(line):
                return f"{self.path}:{number}"
        return str(self.path)
