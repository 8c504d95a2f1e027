"""Faceted search: passages restricted by concept, article and the article's publication
date. The usual retriever is asked for a deeper list (a pool), which is then filtered, so
scores and ranks mean what they mean without the filter; Neo4j's vector index cannot filter
inside the index, so both backends are filtered the same way, after retrieval."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Optional

from citegraph.errors import CitegraphError
from citegraph.graph.base import GraphStore
from citegraph.graph.models import Hit, article_of
from citegraph.search.retrievers import Query, Retriever

POOL = 1000  # candidates examined; a matching passage ranked below this is not returned
MAX_MENTIONS = 100_000


class FilterError(CitegraphError):
    """A filter that cannot be applied: `field` names the parameter, `not_found` says
    whether it names nothing stored (a 404 over HTTP) rather than a bad value (a 400)."""

    def __init__(self, field: str, message: str, not_found: bool = False):
        super().__init__(message)
        self.field = field
        self.not_found = not_found


def parse_day(value: Optional[str], field: str) -> Optional[str]:
    """An ISO 8601 calendar date `YYYY-MM-DD` (a datetime's day is taken), or None."""
    if isinstance(value, date):  # a date or a datetime: its day
        return (value.date() if isinstance(value, datetime) else value).isoformat()
    if value is None or not str(value).strip():
        return None
    text = str(value).strip()
    try:
        day = date.fromisoformat(text[:10])
        if len(text) != 10:
            datetime.fromisoformat(text)  # a datetime, whole: its day counts
        return day.isoformat()
    except ValueError:
        raise FilterError(field, f"{field}: {text[:40]!r} is not an ISO 8601 date"
                                 " (YYYY-MM-DD)") from None


@dataclass(frozen=True)
class PassageFilter:
    """What a passage must satisfy; None: no restriction. `concept_iri`: mentions that
    concept; `article_id`: belongs to that article; `since`/`until`: its article's
    publication date (`YYYY-MM-DD`, both inclusive) lies in that range, so an article
    without a date is excluded by either bound."""
    concept_iri: Optional[str] = None
    article_id: Optional[str] = None
    since: Optional[str] = None
    until: Optional[str] = None

    def __bool__(self) -> bool:
        return any(v is not None for v in (self.concept_iri, self.article_id, self.since,
                                          self.until))

    def date_matches(self, published: Optional[str]) -> bool:
        if self.since is None and self.until is None:
            return True
        if not published:
            return False
        day = published[:10]
        return (self.since is None or day >= self.since) and \
            (self.until is None or day <= self.until)


class FilteredRetriever(Retriever):
    """The base retriever's pool, filtered by a PassageFilter."""

    name = "filter"

    def __init__(self, base: Retriever, store: GraphStore, criteria: PassageFilter,
                 pool: int = POOL):
        self.base = base
        self.store = store
        self.criteria = criteria
        self.pool = pool
        self.allowed: Optional[set[str]] = None  # passages mentioning the concept
        if criteria.concept_iri is not None:
            self.allowed = {m.passage_id for m in
                            store.concept_mentions(criteria.concept_iri, MAX_MENTIONS)}

    def _search(self, query: Query, k: int) -> list[Hit]:
        c = self.criteria
        if self.allowed is not None and not self.allowed:
            return []
        if c.since is not None and c.until is not None and c.since > c.until:
            return []
        hits = self.base.retrieve(query, max(k, self.pool))
        if self.allowed is not None:
            hits = [h for h in hits if h.passage_id in self.allowed]
        if c.article_id is not None:
            hits = [h for h in hits if article_of(h.passage_id) == c.article_id]
        if c.since is not None or c.until is not None:
            dates = {aid: a.published for aid, a in self.store.article_titles(
                {article_of(h.passage_id) for h in hits}).items()}
            hits = [h for h in hits if c.date_matches(dates.get(article_of(h.passage_id)))]
        return hits[:k]


class ConceptFilter(FilteredRetriever):
    """Only the passages that mention one concept (the earlier interface)."""

    def __init__(self, base: Retriever, store: GraphStore, iri: str, pool: int = POOL):
        super().__init__(base, store, PassageFilter(concept_iri=iri), pool)
