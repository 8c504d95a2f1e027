"""Export the graph: RDF (Turtle, JSON-LD, N-Triples) or passages as JSON Lines, streamed.

`export(store, fmt, out)` writes to a text or binary stream; `iter_export(...)` gives the
same text piece by piece (for an HTTP response). Options are checked before anything is
written, so a bad request fails before the first byte.
"""
from __future__ import annotations

import io
import json
from typing import IO, Iterator

from citegraph.errors import CitegraphError
from citegraph.graph.base import GraphStore
from citegraph.graph.rdf_describe import WHAT, describe, describe_scheme
from citegraph.graph.rdf_vocab import IriMinter, VocabularyError, store_base_iri
from citegraph.graph.rdf_writers import JSON_LINE_BREAKS, WRITERS

FORMATS = ("turtle", "json-ld", "nt", "passages-jsonl")
RDF_FORMATS = ("turtle", "json-ld", "nt")
MEDIA_TYPES = {
    "turtle": "text/turtle; charset=utf-8",
    "json-ld": "application/ld+json",
    "nt": "application/n-triples",
    "passages-jsonl": "application/jsonl",
}
FILE_EXTENSIONS = {"turtle": ".ttl", "json-ld": ".jsonld", "nt": ".nt",
                   "passages-jsonl": ".jsonl"}
WRITE_BUFFER = 1 << 16  # characters gathered before each write


class ExportError(CitegraphError, ValueError):
    """A bad export request, reported as one line."""


def iter_export(store: GraphStore, fmt: str, what: str = "all", base_iri: str | None = None,
                  with_embeddings: bool = False) -> Iterator[str]:
    if fmt not in FORMATS:
        raise ExportError(f"format: {fmt!r} is not one of {', '.join(FORMATS)}")
    if what not in WHAT:
        raise ExportError(f"what: {what!r} is not one of {', '.join(WHAT)}")
    if fmt == "passages-jsonl":
        if what == "concepts":
            raise ExportError("format passages-jsonl holds passages: use --what articles or all")
        return passages_jsonl(store, with_embeddings)
    # raises on a bad base IRI, before anything is written
    minter = IriMinter(base_iri or _own_base_iri(store))
    _check_scheme(store, minter)
    return _in_snapshot(store, _rdf_chunks(store, WRITERS[fmt](), minter, what,
                                           with_embeddings))


def _check_scheme(store: GraphStore, minter: IriMinter) -> None:
    """Every concept description is made once before the first byte, so that a stored
    concept that cannot be written as RDF (an IRI holding a '"', say: a store filled before
    schemes were checked for it) refuses the export instead of cutting it short."""
    try:
        for _description in describe_scheme(store.iter_concepts(), minter):
            pass
    except VocabularyError as exc:
        raise ExportError(f"the stored scheme cannot be written as RDF: {exc}; relink with a "
                          "scheme whose IRIs are valid") from None


def _in_snapshot(store: GraphStore, chunks: Iterator[str]) -> Iterator[str]:
    """The chunks read inside one read snapshot of the store (GraphStore.read_snapshot):
    writes that go on meanwhile are not seen half-way."""
    with store.read_snapshot():
        yield from chunks


def _own_base_iri(store: GraphStore) -> str:
    """The store's own base IRI, made and kept on first use; a store made before stores had
    one cannot get it while it is open read-only."""
    try:
        return store_base_iri(store)
    except CitegraphError:
        raise ExportError("this store has no base IRI of its own yet and cannot be written "
                          "now: give one with --base-iri or the base_iri setting") from None


def _rdf_chunks(store, writer, minter, what, with_embeddings) -> Iterator[str]:
    yield writer.header()
    for subject, pairs in describe(store, minter, what, with_embeddings):
        yield writer.description(subject, pairs)
    yield writer.footer()


def passages_jsonl(store: GraphStore, with_embeddings: bool = False) -> Iterator[str]:
    """One line per passage: {passage_id, article_id, start, end, text, section, author,
    date[, embedding]}."""
    return _in_snapshot(store, _passage_lines(store, with_embeddings))


def _passage_lines(store: GraphStore, with_embeddings: bool) -> Iterator[str]:
    for p in store.iter_passages(with_embeddings=with_embeddings):
        record = {"passage_id": p.id, "article_id": p.article_id, "start": p.start,
                  "end": p.end, "text": p.text, "section": p.section or "body",
                  "author": p.author, "date": p.date}
        if with_embeddings and p.embedding is not None:
            record["embedding"] = [float(x) for x in p.embedding]
        yield json.dumps(record, ensure_ascii=False).translate(JSON_LINE_BREAKS) + "\n"


def export(store: GraphStore, fmt: str, out: IO, what: str = "all",
           base_iri: str | None = None, with_embeddings: bool = False) -> None:
    """Write the export to `out`, a text stream or a binary one (UTF-8)."""
    write_chunks(iter_export(store, fmt, what, base_iri, with_embeddings), out)


def write_chunks(chunks: Iterator[str], out: IO) -> None:
    """Write what iter_export gives to `out`, in pieces of WRITE_BUFFER characters."""
    binary = not isinstance(out, io.TextIOBase)
    buffer, size = [], 0
    for chunk in chunks:
        buffer.append(chunk)
        size += len(chunk)
        if size >= WRITE_BUFFER:
            _write(out, "".join(buffer), binary)
            buffer, size = [], 0
    _write(out, "".join(buffer), binary)
    out.flush()


def _write(out: IO, text: str, binary: bool) -> None:
    out.write(text.encode("utf-8") if binary else text)
