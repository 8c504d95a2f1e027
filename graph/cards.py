"""Read models composed from the store contract, the same for every caller (API, pages,
CLI): an article with its passages and their concept mentions, and a concept with its
relations and the passages that mention it (built by graph/neighbourhood.py). Each is a typed
record; `as_dict()` is its JSON, field for field."""
from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any, Optional, cast

from citegraph.graph.base import GraphStore


class _Record:
    def as_dict(self) -> dict[str, Any]:
        return asdict(cast(Any, self))  # every subclass is a dataclass


# --- an article ----------------------------------------------------------------------------
@dataclass
class LabelledMention(_Record):
    """A mention in a passage, with its concept's label; `start`/`end` are offsets into the
    passage text (None for an embedding mention)."""
    iri: str
    label: str
    start: Optional[int]
    end: Optional[int]
    surface: str
    method: str
    score: float


@dataclass
class ArticlePassage(_Record):
    """A passage of an article card; `start`/`end` are offsets into the article text."""
    passage_id: str
    ordinal: int
    start: int
    end: int
    section: str
    author: Optional[str]
    date: Optional[str]
    page: Optional[int]  # the page it lies on (1-based), in a paged source (PDF)
    mentions: list[LabelledMention]


@dataclass
class ArticleCard(_Record):
    id: str
    title: str
    source: str
    url: str
    author: Optional[str]
    date: Optional[str]
    ingested_at: str
    text: str
    passages: list[ArticlePassage]


def article_card(store: GraphStore, article_id: str) -> Optional[ArticleCard]:
    """The cleaned article, its passages (offsets into `text`) and each passage's mentions
    with their concept labels; None when the article is not stored."""
    article = store.get_article(article_id)
    if article is None:
        return None
    passages = store.article_passages(article_id)
    mentions = store.passage_mentions([p.id for p in passages])
    labels = store.concept_labels(m.iri for ms in mentions.values() for m in ms)
    return ArticleCard(
        id=article.id, title=article.title, source=article.source, url=article.url,
        author=article.author or None, date=article.published or None,
        ingested_at=article.ingested_at, text=article.text,
        passages=[ArticlePassage(
            passage_id=p.id, ordinal=p.ordinal, start=p.start, end=p.end,
            section=p.section or "body", author=p.author, date=p.date, page=p.page,
            mentions=[LabelledMention(iri=m.iri, label=labels[m.iri], start=m.start,
                                      end=m.end, surface=m.surface, method=m.method,
                                      score=m.score)
                      for m in mentions.get(p.id, [])])
            for p in passages])


# --- a concept -----------------------------------------------------------------------------
@dataclass
class ConceptRef(_Record):
    """Another concept as a link: its short id (graph/neighbourhood.py), IRI and label."""
    id: str
    iri: str
    label: str


@dataclass
class CoOccurringRef(_Record):
    """A concept mentioned in the same passages: `weight` = `count` (shared passages), with
    PMI and NPMI (graph/cooccurrence.py) and the shared passages' ids."""
    id: str
    iri: str
    label: str
    weight: float
    count: int
    pmi: float
    npmi: float
    passages: list[str]


@dataclass
class MentionSpan(_Record):
    """A mention of the card's concept; `start`/`end`: offsets into the passage text."""
    start: Optional[int]
    end: Optional[int]
    surface: str
    score: float
    method: str


@dataclass
class ConceptPassage(_Record):
    """A passage that mentions the concept, with its article's title and its strongest
    mention's score; `start`/`end`: offsets into the article text."""
    passage_id: str
    article_id: str
    ordinal: int
    title: str
    text: str
    start: int
    end: int
    section: str
    author: Optional[str]
    date: Optional[str]
    score: float
    mentions: list[MentionSpan]


@dataclass
class ConceptCard(_Record):
    id: str
    iri: str
    label: str
    alt_labels: list[str]
    definition: str
    scheme: str
    broader: list[ConceptRef]
    narrower: list[ConceptRef]
    related: list[ConceptRef]
    co_occurring: list[CoOccurringRef]
    passages: list[ConceptPassage]
