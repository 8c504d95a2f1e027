"""Growing a user's scheme by one concept: a Turtle block appended to their file, so that
their comments and layout survive, after the whole file with the block has passed the same
checks as any scheme load. The shipped scheme is never edited."""
from __future__ import annotations

import os
import re
import tempfile
from pathlib import Path
from typing import Mapping, Optional, Sequence

from citegraph.ontology.scheme import SHIPPED, SchemeError, load_scheme

SKOS = "http://www.w3.org/2004/02/skos/core#"


def mint_iri(label: str, namespace: str, taken: set[str]) -> str:
    """`namespace` + the label in CamelCase (ASCII letters and digits), made unique."""
    words = re.findall(r"[A-Za-z0-9]+", label)
    local = "".join(w[:1].upper() + w[1:] for w in words) or "Concept"
    iri, n = namespace + local, 2
    while iri in taken:
        iri, n = f"{namespace}{local}{n}", n + 1
    return iri


def namespace_of(iri: str) -> str:
    cut = max(iri.rfind("#"), iri.rfind("/"))
    return iri[:cut + 1]


# a local name written after a prefix: a safe subset of Turtle's PN_LOCAL (no dots, no
# escapes), so a prefixed name is only used where it reads back as the same IRI
_LOCAL_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_-]*\Z")


def file_prefixes(path: str | Path) -> dict[str, str]:
    """namespace IRI -> prefix, for the prefixes the Turtle file itself declares."""
    from rdflib import Graph

    graph = Graph(bind_namespaces="none")
    graph.parse(str(path), format="turtle")
    return {str(namespace): prefix for prefix, namespace in graph.namespaces()}


def concept_block(iri: str, label: str, scheme_iri: str, broader: Sequence[str] = (),
                  alt: Sequence[str] = (), definition: Optional[str] = None,
                  lang: str = "en", prefixes: Mapping[str, str] = {}) -> str:
    """The concept as Turtle, with the file's own prefixed names where `prefixes` (namespace
    -> prefix, file_prefixes) has one for an IRI, else the full IRI; literals and IRIs are
    written by rdflib, so quotes and escapes are always right."""
    from rdflib import Literal, URIRef

    def ref(value: str) -> str:
        for namespace in sorted(prefixes, key=len, reverse=True):
            local = value[len(namespace):]
            if value.startswith(namespace) and _LOCAL_NAME.match(local):
                return f"{prefixes[namespace]}:{local}"
        return URIRef(value).n3()

    def text(value: str) -> str:
        return Literal(value, lang=lang or None).n3()

    lines = [f"{ref(iri)} a {ref(SKOS + 'Concept')} ;",
             f"    {ref(SKOS + 'prefLabel')} {text(label)} ;"]
    lines += [f"    {ref(SKOS + 'altLabel')} {text(a)} ;" for a in alt]
    if definition:
        lines.append(f"    {ref(SKOS + 'definition')} {text(definition)} ;")
    lines += [f"    {ref(SKOS + 'broader')} {ref(b)} ;" for b in broader]
    lines.append(f"    {ref(SKOS + 'inScheme')} {ref(scheme_iri)} .")
    return "\n".join(lines) + "\n"


def add_concept(path: str | Path, label: str, broader: Sequence[str] = (),
                alt: Sequence[str] = (), definition: Optional[str] = None, lang: str = "en",
                iri: Optional[str] = None) -> str:
    """Append a concept to the Turtle file at `path` and return its IRI. The file with the
    block must load as a valid scheme (SchemeError otherwise, the file untouched)."""
    path = Path(path)
    if path.resolve() == SHIPPED.resolve():
        raise SchemeError(f"{path}: the shipped scheme is not edited; copy it and pass "
                          "--scheme with your copy")
    if path.suffix.lower() not in (".ttl", ".turtle"):
        raise SchemeError(f"{path}: scheme add appends Turtle; give a .ttl file")
    if not label.strip():
        raise SchemeError("LABEL: empty")
    scheme = load_scheme(path)
    unknown = [b for b in broader if b not in scheme.by_iri]
    if unknown:
        raise SchemeError(f"--broader {unknown[0]}: not a concept of {path}")
    if iri is None:
        base = namespace_of(broader[0] if broader else scheme.concepts[0].iri)
        iri = mint_iri(label, base, set(scheme.by_iri))
    elif iri in scheme.by_iri:
        raise SchemeError(f"--iri {iri}: already a concept of {path}")
    original = path.read_text(encoding="utf-8")
    joined = original + ("" if original.endswith("\n") else "\n") + "\n" + concept_block(
        iri, label.strip(), scheme.iri, broader, alt, definition, lang, file_prefixes(path))
    handle, candidate = tempfile.mkstemp(prefix=".scheme-", suffix=".ttl", dir=path.parent)
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as out:
            out.write(joined)
        try:
            load_scheme(candidate)
        except SchemeError as exc:  # name the user's file, not the candidate copy
            raise SchemeError(str(exc).replace(candidate, str(path))) from None
        os.replace(candidate, path)
    finally:
        if os.path.exists(candidate):
            os.unlink(candidate)
    return iri
