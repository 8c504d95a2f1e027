"""The article collection as the API (`GET /api/articles`), the pages (`/articles`, the
landing page) and the CLI (`citegraph articles`) list it: one envelope for all three; and the
concepts a page at a time (`GET /api/concepts`, `/concepts`)."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable, Optional, Sequence, TypeVar

from citegraph.graph.base import GraphStore
from citegraph.graph.cards import _Record
from citegraph.graph.models import Concept
from citegraph.graph.scheme_cache import per_scheme

T = TypeVar("T")

SORTS = ("date", "title")
DEFAULT_LIMIT = 20
MAX_LIMIT = 200
MAX_OFFSET = 2**62  # past any collection, and inside a 64-bit database integer


@dataclass
class ListedArticle(_Record):
    """An article of a listing: `author` and `date` are None where it has none; `passages`
    is its number of passages."""
    id: str
    title: str
    source: str
    author: Optional[str]
    date: Optional[str]
    passages: int


@dataclass
class ArticleListing(_Record):
    total: int
    limit: int
    offset: int
    sort: str
    articles: list[ListedArticle]


def article_listing(store: GraphStore, limit: int = DEFAULT_LIMIT, offset: int = 0,
                    sort: str = "date") -> ArticleListing:
    """One page of the collection (`total`: every article), sorted by `sort`."""
    if sort not in SORTS:
        raise ValueError(f"sort: {sort!r} is not one of {', '.join(SORTS)}")
    limit = max(0, min(int(limit), MAX_LIMIT))
    offset = max(0, min(int(offset), MAX_OFFSET))
    total, page = store.list_articles(limit=limit, offset=offset, sort=sort)
    return ArticleListing(total=total, limit=limit, offset=offset, sort=sort,
                          articles=[ListedArticle(id=a.id, title=a.title, source=a.source,
                                                  author=a.author or None,
                                                  date=a.published or None,
                                                  passages=passages)
                                    for a, passages in page])


def concepts_in_order(store: GraphStore, name: str = "by_label",
                      order: Optional[Callable[[list[Concept]], list[T]]] = None) -> list:
    """Every concept, in the store's label order or as `order` sorts them, kept per scheme
    revision under `name` (graph/scheme_cache.py): a page of a large scheme then costs a
    slice and one count of that page's mentions, not a walk of the whole scheme."""
    def build():
        concepts = [c for c, _count in store.list_concepts()]
        return order(concepts) if order else concepts

    return per_scheme(store, f"concepts:{name}", build)


def concepts_by_iri(store: GraphStore) -> dict[str, Concept]:
    """iri → concept, kept per scheme revision as `concepts_in_order` is."""
    return per_scheme(store, "concepts:by_iri",
                      lambda: {c.iri: c for c in concepts_in_order(store)})


def page_with_mentions(store: GraphStore, rows: Sequence[T], offset: int, limit: int,
                       iri: Callable[[T], str]) -> list[tuple[T, int]]:
    """rows[offset:offset + limit], each with its concept's number of mentions now."""
    page = list(rows[offset:offset + limit])
    counts = store.mention_counts(iri(row) for row in page)
    return [(row, counts.get(iri(row), 0)) for row in page]
