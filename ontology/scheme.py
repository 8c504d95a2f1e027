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
from citegraph.graph.rdf_guard import UnsafeRdf, check_before_parse, quiet_term_warnings
from citegraph.graph.rdf_vocab import IRIREF_EXCLUDED
from citegraph.ontology.checks import (LABEL_KINDS, ConceptFacts, Finding, SchemeFacts,
                                       check)
from citegraph.ontology.labels import concept_labels, label_keys

SHIPPED = Path(__file__).resolve().parent / "cx.ttl"
LANGUAGES = ("en", None)  # preferred language first; untagged literals are accepted

_FORMATS = {".ttl": "turtle", ".turtle": "turtle", ".n3": "n3", ".nt": "nt",
            ".rdf": "xml", ".xml": "xml", ".owl": "xml", ".jsonld": "json-ld",
            ".json": "json-ld"}


def _structural():
    from rdflib.namespace import SKOS

    return frozenset({SKOS.broader, SKOS.narrower, SKOS.related})


class SchemeError(CitegraphError):
    """An invalid scheme file, as one line. A CitegraphError so that every entry point that
    already reports expected store errors as one line reports this one the same way."""


class Scheme:
    def __init__(self, iri: str, concepts: list[Concept], source: str = ""):
        self.iri = iri
        self.concepts = concepts
        self.source = source
        self.by_iri = {c.iri: c for c in concepts}
        self.warnings: list[str] = []  # qSKOS-style findings, one line each

    def fingerprint(self) -> str:
        """A digest of the concepts as stored, to tell whether a store holds this scheme."""
        return concepts_fingerprint(self.concepts)


def concepts_fingerprint(concepts: list[Concept]) -> str:
    rows = sorted(json.dumps(canonical_concept(c), sort_keys=True) for c in concepts)
    return hashlib.sha256("\n".join(rows).encode()).hexdigest()


def canonical_concept(c: Concept) -> dict:
    """A concept as plain data with its lists sorted: equal for equal concepts."""
    d = asdict(c)
    for key in ("alt_labels", "hidden_labels", "broader", "related", "extra",
                "scheme_triples"):
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
    with quiet_term_warnings():
        return _build(path, text, _parse(path, text))


def inspect_scheme(path: str | Path) -> tuple[list[str], list[str]]:
    """(errors, warnings) of a scheme file, one line each, every finding rather than the
    first: what `citegraph scheme check` prints. A file that cannot be read or parsed, or
    whose concepts lack labels or link outside the scheme, is one error."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8") if not path.is_dir() else None
    except (OSError, UnicodeDecodeError) as exc:
        return [f"{path}: {getattr(exc, 'strerror', None) or exc}"], []
    if text is None:
        return [f"{path}: a directory, not a scheme file"], []
    try:
        scheme = load_scheme(path)
        return [], scheme.warnings
    except SchemeError as exc:
        first = str(exc)
    if not text.strip():
        return [first], []
    try:
        with quiet_term_warnings():
            graph = _parse(path, text)
            facts, iris = facts_of(graph)
        where = _Locator(path, text, graph)
        _structure_errors(facts, iris, where)
    except SchemeError:
        return [first], []
    findings = check(facts, label_keys)
    errors = [f.line(where) for f in findings if f.level == "error"] or [first]
    return errors, [f.line(where) for f in findings if f.level == "warning"]


def _parse(path: Path, text: str):
    import rdflib

    fmt = _FORMATS.get(path.suffix.lower(), "turtle")
    graph = rdflib.Graph()
    try:
        check_before_parse(text, fmt)  # no network, no unbounded entity expansion
    except UnsafeRdf as exc:
        raise SchemeError(f"{path}: {fmt} refused: {exc}") from None
    try:
        graph.parse(data=text, format=fmt, publicID=path.resolve().as_uri())
    except Exception as exc:  # rdflib raises parser-specific types; all mean bad syntax
        raise SchemeError(f"{path}:{_error_line(exc)}: {fmt} syntax error: "
                          f"{_first_line(exc)}") from None
    return graph


# What no IRI may hold (RFC 3987: no space, no control character, none of <>"{}|\^`): such
# an IRI cannot be written in Turtle, N-Triples or a link.
_NOT_IN_IRI = re.compile(rf"[{IRIREF_EXCLUDED}\x7f-\x9f]")


def iri_problem(iri: str) -> Optional[str]:
    """Why `iri` cannot be an IRI (its first forbidden character), or None."""
    bad = _NOT_IN_IRI.search(iri)
    if bad is None:
        return None
    char = bad.group(0)
    shown = repr(char) if char.isprintable() and char != " " else "a space" if char == " " \
        else "a control character"
    return f"holds {shown} (U+{ord(char):04X}), which no IRI may hold (RFC 3987)"


def _check_iris(concepts: dict[str, Concept], schemes: list[str], where) -> None:
    """Every IRI the store would write back (concepts, schemes, links, other triples) must
    be one, or export and links break on it: the first that is not is one line."""
    for scheme in schemes:
        if (problem := iri_problem(scheme)) is not None:
            raise SchemeError(f"{where(scheme)}: concept scheme {scheme!r}: iri-syntax: "
                              f"{problem}")
    for iri, c in concepts.items():
        named = [("IRI", iri)] + [(f"{p} value", v) for p, v, tag in c.extra if tag == "<>"]
        named += [("predicate", p) for p, _v, _tag in c.extra]
        for what, value in named:
            if (problem := iri_problem(value)) is not None:
                raise SchemeError(f"{where(iri)}: concept {iri!r}: iri-syntax: {what} "
                                  f"{value!r} {problem}" if what != "IRI" else
                                  f"{where(iri)}: concept {iri!r}: iri-syntax: the IRI "
                                  f"{problem}")


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


def _triples(graph, subject, skip) -> list[list[str]]:
    """(predicate, value, tag) of every triple of `subject` that `skip` does not claim;
    blank-node objects are left out (they have no name to write back)."""
    from rdflib import BNode

    from citegraph.graph.rdf_vocab import object_tag

    out = []
    for p, o in graph.predicate_objects(subject):
        if isinstance(o, BNode) or skip(p, o):
            continue
        out.append([str(p), str(o), object_tag(o)])
    return sorted(out)


def _labels(graph, subject, predicate) -> list[tuple[str, Optional[str]]]:
    from rdflib import Literal

    return sorted({(str(v), v.language) for v in graph.objects(subject, predicate)
                   if isinstance(v, Literal)}, key=lambda x: (x[1] or "", x[0]))


def _main_language(prefs) -> Optional[str]:
    languages = {lang for _t, lang in prefs}
    for lang in LANGUAGES:
        if lang in languages:
            return lang
    return sorted(languages)[0]


def _scheme_labelled(graph, s) -> bool:
    from rdflib import RDFS
    from rdflib.namespace import SKOS

    return any(True for p in (SKOS.prefLabel, RDFS.label)
               for _ in graph.objects(s, p))


def facts_of(graph) -> tuple[SchemeFacts, list[str]]:
    """The checkable facts of a parsed scheme and its concept IRIs (sorted)."""
    from rdflib import RDF, URIRef
    from rdflib.namespace import SKOS

    schemes = sorted(s for s in graph.subjects(RDF.type, SKOS.ConceptScheme)
                     if isinstance(s, URIRef))
    subjects = set(graph.subjects(RDF.type, SKOS.Concept))
    subjects |= set(graph.subjects(SKOS.prefLabel, None)) - set(schemes)
    iris = sorted(str(s) for s in subjects if isinstance(s, URIRef))
    tops = {str(c) for c in graph.objects(None, SKOS.hasTopConcept)}
    tops |= {str(c) for c in graph.subjects(SKOS.topConceptOf, None)}
    facts = SchemeFacts({}, {str(s): _scheme_labelled(graph, s) for s in schemes})
    for iri in iris:
        s = URIRef(iri)
        facts.concepts[iri] = ConceptFacts(
            labels={kind: _labels(graph, s, SKOS[kind]) for kind in LABEL_KINDS},
            top=iri in tops)
    for a, b in graph.subject_objects(SKOS.broader):
        facts.concepts.setdefault(str(a), ConceptFacts()).broader.add(str(b))
    for a, b in graph.subject_objects(SKOS.narrower):
        facts.concepts.setdefault(str(b), ConceptFacts()).broader.add(str(a))
    for a, b in graph.subject_objects(SKOS.related):
        if a != b:
            facts.concepts.setdefault(str(a), ConceptFacts()).related.add(str(b))
            facts.concepts.setdefault(str(b), ConceptFacts()).related.add(str(a))
    return facts, iris


def _structure_errors(facts: SchemeFacts, iris: list[str], where) -> None:
    known = set(iris)
    for iri in iris:
        if not facts.concepts[iri].labels.get("prefLabel"):
            raise SchemeError(f"{where(iri)}: concept {iri} has no skos:prefLabel")
    for iri, c in sorted(facts.concepts.items()):
        for kind, targets in (("skos:broader", c.broader), ("skos:related", c.related)):
            for target in sorted(targets):
                if iri not in known or target not in known:
                    missing = target if iri in known else iri
                    raise SchemeError(f"{where(iri if iri in known else target)}: "
                                      f"{kind} link {iri} -> {target}: {missing} is not a "
                                      "concept of the scheme")


def _build(path: Path, text: str, graph) -> Scheme:
    from rdflib import RDF, URIRef
    from rdflib.namespace import SKOS

    facts, iris = facts_of(graph)
    if not iris:
        raise SchemeError(f"{path}: no skos:Concept found")
    where = _Locator(path, text, graph)
    _structure_errors(facts, iris, where)
    findings = check(facts, label_keys)
    errors = [f for f in findings if f.level == "error"]
    if errors:
        raise SchemeError(f"{where(errors[0].subject)}: {errors[0].rule}: {errors[0].message}")
    schemes = sorted(facts.schemes)
    scheme_iri = schemes[0] if schemes else str(path)
    concepts: dict[str, Concept] = {}
    structural = _structural()
    for iri in iris:
        s, c = URIRef(iri), facts.concepts[iri]
        in_schemes = sorted(str(x) for x in graph.objects(s, SKOS.inScheme) if str(x) in schemes)
        own_scheme = in_schemes[0] if in_schemes else (scheme_iri if schemes else "")
        lang = _main_language(c.labels["prefLabel"])
        main = {kind: [t for t, tag in c.labels[kind] if tag == lang] for kind in LABEL_KINDS}
        definitions = sorted(str(v) for v in graph.objects(s, SKOS.definition)
                             if getattr(v, "language", None) == lang)
        kept = {(SKOS.prefLabel, x) for x in main["prefLabel"]}
        kept |= {(SKOS.altLabel, x) for x in main["altLabel"]}
        kept |= {(SKOS.hiddenLabel, x) for x in main["hiddenLabel"]}
        kept |= {(SKOS.definition, x) for x in definitions[:1]}

        def skip(p, o, lang=lang, kept=kept, own_scheme=own_scheme, structural=structural):
            if p in structural or (p == RDF.type and o == SKOS.Concept):
                return True
            if p == SKOS.inScheme and str(o) == own_scheme:
                return True
            return getattr(o, "language", None) == lang and (p, str(o)) in kept

        concepts[iri] = Concept(
            iri=iri, label=main["prefLabel"][0], alt_labels=main["altLabel"],
            hidden_labels=main["hiddenLabel"],
            definition=definitions[0] if definitions else "", scheme=own_scheme,
            broader=sorted(c.broader), related=sorted(c.related - {iri}),
            language=lang or "", extra=_triples(graph, s, skip))
    for scheme in schemes:  # the scheme's own triples ride on its first concept
        carrier = next((c for c in concepts.values() if c.scheme == scheme), None)
        if carrier is not None:
            carrier.scheme_triples = _triples(graph, URIRef(scheme), lambda p, o: False)
    _check_iris(concepts, schemes, where)
    _check_labels(concepts, where)
    result = Scheme(scheme_iri, list(concepts.values()), str(path))
    result.warnings = [f.line(where) for f in findings if f.level == "warning"]
    return result


def _check_labels(concepts: dict[str, Concept], where) -> None:
    """Two concepts may not share a label (after normalisation) in one language: the linker
    could not tell them apart."""
    owner: dict[tuple, tuple[str, str]] = {}
    for iri, c in concepts.items():
        for label, lang in concept_labels(c):
            for key in label_keys(label):
                other = owner.get((key, lang))
                if other and other[0] != iri:
                    raise SchemeError(
                        f"{where(iri)}: concept {iri}: label {label!r} clashes with label "
                        f"{other[1]!r} of concept {other[0]} ({where(other[0])})")
                owner.setdefault((key, lang), (iri, label))
        if not label_keys(c.label):
            raise SchemeError(f"{where(iri)}: concept {iri}: prefLabel {c.label!r} has no words")


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
