"""The graph's data model: plain records shared by every store backend."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Optional

import numpy as np

# The width of every stored passage vector (all-MiniLM-L6-v2); stores and RDF import check it.
EMBEDDING_DIM = 384


def passage_id(article_id: str, ordinal: int) -> str:
    """A passage's id: `<article_id>#<ordinal>` (DESIGN.md). The one place the form is
    written or read: an article id may hold '#' itself, so the LAST '#' splits."""
    return f"{article_id}#{ordinal}"


def split_passage_id(pid: str) -> tuple[str, int]:
    """(article id, ordinal) of a passage id; ValueError when it has no `#<ordinal>`."""
    article_id, sep, ordinal = pid.rpartition("#")
    if not sep or not ordinal.isdigit():
        raise ValueError(f"passage id {pid!r}: not <article id>#<ordinal>")
    return article_id, int(ordinal)


def article_of(pid: str) -> str:
    """The article id of a passage id."""
    return pid.rpartition("#")[0]


@dataclass
class Article:
    id: str
    title: str
    text: str  # cleaned text; passage offsets point into it
    source: str = ""
    url: str = ""
    content_hash: str = ""
    ingested_at: str = ""
    author: Optional[str] = None  # as the source names it; None when unknown
    published: Optional[str] = None  # ISO 8601 date or datetime; None when unknown


class SentenceVectors:
    """Sentence spans of a passage (offsets into the passage text) and their vectors."""

    __slots__ = ("spans", "vectors")

    def __init__(self, spans: list[tuple[int, int]], vectors: np.ndarray):
        self.spans = spans
        self.vectors = vectors  # float16, one unit row per span

    def to_bytes(self) -> bytes:
        return np.asarray(self.vectors, dtype=np.float16).tobytes()

    @classmethod
    def from_bytes(cls, spans: list, blob: bytes) -> SentenceVectors:
        vectors = np.frombuffer(blob, dtype=np.float16).reshape(len(spans), -1)
        return cls([tuple(s) for s in spans], vectors)


@dataclass
class Passage:
    id: str
    article_id: str
    ordinal: int
    text: str
    start: int
    end: int
    embedding: Optional[np.ndarray] = None
    sentences: Optional[SentenceVectors] = None  # for extractive answers
    # the part of the article it lies in: "body" (the author's text) or "comment" (a
    # reader's, citegraph/text/comments.py); its author and date (ISO 8601): a comment's
    # own where its byline names them, else the article's, else None
    section: str = "body"
    author: Optional[str] = None
    date: Optional[str] = None
    page: Optional[int] = None  # the page it lies on (1-based), in a paged source (PDF)

    @staticmethod
    def make_id(article_id: str, ordinal: int) -> str:
        return passage_id(article_id, ordinal)


@dataclass
class Concept:
    iri: str
    label: str
    alt_labels: list[str] = field(default_factory=list)
    hidden_labels: list[str] = field(default_factory=list)
    definition: str = ""
    scheme: str = ""
    broader: list[str] = field(default_factory=list)  # IRIs
    related: list[str] = field(default_factory=list)  # IRIs
    # The language tag of label, alt/hidden labels and definition ("" untagged).
    language: str = ""
    # Every other triple of the concept, so that export loses nothing: [predicate, value,
    # tag] with tag "<>" (value is an IRI), "@xx" (language), "^^IRI" (datatype) or "".
    extra: list = field(default_factory=list)
    # The triples of the concept's scheme (title, creator, dates...) in the same form,
    # carried by one concept of each scheme (the first by IRI); empty on the others.
    scheme_triples: list = field(default_factory=list)


@dataclass
class Mention:
    passage_id: str
    iri: str
    score: float
    method: str  # label | alt_label | embedding
    start: Optional[int] = None  # span inside the passage text, lexical methods only
    end: Optional[int] = None
    surface: str = ""


@dataclass
class Hit:
    """One retrieval result before it is dressed for output."""
    passage_id: str
    score: float
