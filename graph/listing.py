"""The article collection as the API (`GET /api/articles`), the pages (`/articles`, the
landing page) and the CLI (`citegraph articles`) list it: one envelope for all three."""
from __future__ import annotations

from citegraph.graph.base import GraphStore

SORTS = ("date", "title")
DEFAULT_LIMIT = 20
MAX_LIMIT = 200
MAX_OFFSET = 2**62  # past any collection, and inside a 64-bit database integer


def article_listing(store: GraphStore, limit: int = DEFAULT_LIMIT, offset: int = 0,
                    sort: str = "date") -> dict:
    """{"total": n, "limit", "offset", "sort", "articles": [{id, title, source, author, date,
    passages (a count)}]}; author and date are null where the article has none."""
    if sort not in SORTS:
        raise ValueError(f"sort: {sort!r} is not one of {', '.join(SORTS)}")
    limit = max(0, min(int(limit), MAX_LIMIT))
    offset = max(0, min(int(offset), MAX_OFFSET))
    total, page = store.list_articles(limit=limit, offset=offset, sort=sort)
    return {"total": total, "limit": limit, "offset": offset, "sort": sort,
            "articles": [{"id": a.id, "title": a.title, "source": a.source,
                          "author": a.author or None, "date": a.published or None,
                          "passages": passages} for a, passages in page]}
