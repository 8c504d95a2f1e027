"""Growing a user's scheme by one concept: a Turtle block appended to their file, so that
their comments and layout survive, after the whole file with the block has passed the same
checks as any scheme load. The shipped scheme is never edited.

The edit is one read-check-write under an exclusive lock on a lock file beside the scheme
(`.NAME.lock`), so that parallel `scheme add`s each see the others' concepts (without it,
five at once kept two); the new file replaces the old by an atomic rename, with the old
file's mode, and a symlinked scheme is edited at its target (the link stays a link)."""
from __future__ import annotations

import fcntl
import os
import re
import stat
import tempfile
from contextlib import contextmanager
from pathlib import Path
from typing import Mapping, Optional, Sequence

from citegraph.ontology.scheme import SHIPPED, SchemeError, load_scheme

SKOS = "http://www.w3.org/2004/02/skos/core#"


MAX_LABEL_CHARS = 500
_LANG = re.compile(r"[A-Za-z]{1,8}(?:-[A-Za-z0-9]{1,8})*")
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]")
_ABSOLUTE_IRI = re.compile(r"[A-Za-z][A-Za-z0-9+.-]*:")


def mint_iri(label: str, namespace: str, taken: set[str]) -> str:
    """`namespace` + the label in CamelCase (letters and digits of any script: IRIs hold
    them), made unique."""
    words = re.findall(r"[^\W_]+", label)
    if not words:
        raise SchemeError(f"LABEL {label[:80]!r}: no letter or digit to make an IRI of; "
                          "give --iri")
    local = "".join(w[:1].upper() + w[1:] for w in words)[:200]
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
    check_text("LABEL", label)
    for value in alt:
        check_text("--alt", value)
    if definition is not None:
        check_text("--definition", definition, limit=10 * MAX_LABEL_CHARS, lines=True)
    if lang and not _LANG.fullmatch(lang):
        raise SchemeError(f"--lang {lang[:40]!r}: not a language tag (en, en-GB, de)")
    if iri is not None:
        check_iri_option(iri)
    target = Path(os.path.realpath(path))  # a symlink is edited at its target
    with _locked(target, path):
        return _add(path, target, label, broader, alt, definition, lang, iri)


def check_text(what: str, value: str, limit: int = MAX_LABEL_CHARS, lines: bool = False) -> None:
    """A label (or definition) as one line of text: not blank, no control characters (a
    definition may hold line breaks), at most `limit` characters."""
    if not value.strip():
        raise SchemeError(f"{what}: empty")
    if len(value) > limit:
        raise SchemeError(f"{what}: {len(value):,} characters, over the {limit:,} limit")
    bad = _CONTROL.search(value.replace("\n", " ") if lines else value)
    if bad:
        raise SchemeError(f"{what}: holds a control character or line break "
                          f"(U+{ord(bad.group()):04X} at character {bad.start():,})")
    if any(0xD800 <= ord(ch) <= 0xDFFF for ch in value):
        raise SchemeError(f"{what}: holds a lone surrogate (not valid Unicode)")


def check_iri_option(iri: str) -> None:
    from citegraph.graph.rdf_vocab import VocabularyError, check_iri

    if len(iri) > 2000:
        raise SchemeError(f"--iri: {len(iri):,} characters, over the 2,000 limit")
    if not _ABSOLUTE_IRI.match(iri):
        raise SchemeError(f"--iri {iri[:80]!r}: not an absolute IRI (https://...)")
    try:
        check_iri(iri, "--iri")
    except VocabularyError as exc:
        raise SchemeError(str(exc)) from None


@contextmanager
def _locked(target: Path, path: Path):
    """The scheme, checked to be a regular file (a FIFO would block the read for ever),
    held under an exclusive lock on `.NAME.lock` beside it."""
    try:
        info = os.stat(target)
    except OSError as exc:
        raise SchemeError(f"{path}: {exc.strerror or exc}") from None
    if not stat.S_ISREG(info.st_mode):
        raise SchemeError(f"{path}: not a regular file")
    lock_path = target.parent / f".{target.name}.lock"
    try:
        handle = os.open(lock_path, os.O_RDWR | os.O_CREAT, 0o644)
    except OSError as exc:
        raise SchemeError(f"{path}: cannot edit: {exc.strerror or exc} "
                          f"({lock_path.name} beside it)") from None
    try:
        fcntl.flock(handle, fcntl.LOCK_EX)
        yield
    finally:
        os.close(handle)  # releases the lock


def _add(path: Path, target: Path, label, broader, alt, definition, lang, iri) -> str:
    scheme = load_scheme(target)
    unknown = [b for b in broader if b not in scheme.by_iri]
    if unknown:
        raise SchemeError(f"--broader {unknown[0]}: not a concept of {path}")
    if iri is None:
        base = namespace_of(broader[0] if broader else scheme.concepts[0].iri)
        iri = mint_iri(label, base, set(scheme.by_iri))
    elif iri in scheme.by_iri:
        raise SchemeError(f"--iri {iri}: already a concept of {path}")
    original = target.read_text(encoding="utf-8")
    joined = original + ("" if original.endswith("\n") else "\n") + "\n" + concept_block(
        iri, label.strip(), scheme.iri, broader, alt, definition, lang,
        file_prefixes(target))
    mode = stat.S_IMODE(os.stat(target).st_mode)
    try:
        handle, candidate = tempfile.mkstemp(prefix=".scheme-", suffix=".ttl",
                                             dir=target.parent)
    except OSError as exc:
        raise SchemeError(f"{path}: cannot edit: {exc.strerror or exc}") from None
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as out:
            out.write(joined)
        os.chmod(candidate, mode)  # mkstemp made it 0600
        try:
            load_scheme(candidate)
        except SchemeError as exc:  # name the user's file, not the candidate copy
            raise SchemeError(str(exc).replace(candidate, str(path))) from None
        os.replace(candidate, target)
    except OSError as exc:
        raise SchemeError(f"{path}: cannot write: {exc.strerror or exc}") from None
    finally:
        if os.path.exists(candidate):
            os.unlink(candidate)
    return iri
