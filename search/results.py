"""Typed search results: what the search service returns. The edges (CLI, API, pages)
serialise them with `to_dict()`, which gives the result JSON of DESIGN.md."""
from __future__ import annotations

from dataclasses import dataclass, field, fields, is_dataclass
from typing import Optional


@dataclass
class ConceptRef:
    iri: str
    label: str


@dataclass
class Span:
    start: int  # offsets into the passage text
    end: int


@dataclass
class ResultItem:
    rank: int
    score: float
    passage_id: str
    article_id: str
    title: str
    source: str
    start: int  # offsets into the article's cleaned text
    end: int
    text: str
    highlight: Span
    # the passage's: a comment's own author and date where its byline names them, else the
    # article's author and publication date (ISO 8601); None when unknown
    author: Optional[str] = None
    date: Optional[str] = None
    section: str = "body"  # "body" (the article's author) or "comment" (a reader's comment)
    page: Optional[int] = None  # the page it lies on in a paged source (PDF); None elsewhere
    concepts: list[ConceptRef] = field(default_factory=list)
    # with explain: the raw score of each retriever list ("dense", "bm25", "concept"; None
    # where the passage was not in that list) and the fused score; absent otherwise
    signals: Optional[dict[str, Optional[float]]] = None


@dataclass
class CitedSource:
    """Who a cited passage speaks for: the author's body or a reader's comment."""
    number: int  # the citation number (the result's rank)
    passage_id: str
    section: str
    author: Optional[str]
    date: Optional[str]


@dataclass
class Answer:
    text: str = ""
    citations: list[int] = field(default_factory=list)  # cited result ranks, each once
    abstained: bool = False  # nothing answers: text and citations are empty
    # one per cited passage, in citations' order (a passage quoted twice is listed once)
    sources: list[CitedSource] = field(default_factory=list)
    # how well the best quote matches the question (search/answer.py); it abstains below
    # the abstain_below setting; None when no answer was sought or no passage was found
    confidence: Optional[float] = None


@dataclass
class SearchResult:
    query: str
    answer: Answer
    results: list[ResultItem]

    def to_dict(self) -> dict:
        out = _plain(self)
        for item in out["results"]:
            if item["signals"] is None:
                del item["signals"]
        return out


def _plain(value):
    """Dataclasses as dicts, recursively, sharing the (immutable) leaf values: what
    `dataclasses.asdict` gives without its deep copy of every string, which took a tenth of
    a search's time in the server."""
    if is_dataclass(value):
        return {f.name: _plain(getattr(value, f.name)) for f in fields(value)}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    return value
