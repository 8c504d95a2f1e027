"""Read models composed from the store contract, the same for every caller (API, pages,
CLI): an article with its passages and their concept mentions."""
from __future__ import annotations

from typing import Optional

from citegraph.graph.base import GraphStore


def article_card(store: GraphStore, article_id: str) -> Optional[dict]:
    """The cleaned article, its passages (offsets into `text`) and each passage's mentions
    with their concept labels; None when the article is not stored."""
    article = store.get_article(article_id)
    if article is None:
        return None
    passages = store.article_passages(article_id)
    mentions = store.passage_mentions([p.id for p in passages])
    labels = store.concept_labels(m.iri for ms in mentions.values() for m in ms)
    return {"id": article.id, "title": article.title, "source": article.source,
            "url": article.url, "author": article.author or None,
            "date": article.published or None, "ingested_at": article.ingested_at,
            "text": article.text,
            "passages": [{"passage_id": p.id, "ordinal": p.ordinal, "start": p.start,
                          "end": p.end, "section": p.section or "body",
                          "author": p.author, "date": p.date, "page": p.page,
                          "mentions": [{"iri": m.iri, "label": labels[m.iri], "start": m.start,
                                        "end": m.end, "surface": m.surface,
                                        "method": m.method, "score": m.score}
                                       for m in mentions.get(p.id, [])]}
                         for p in passages]}
