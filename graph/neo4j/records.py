"""Records from the rows the Cypher statements return, and rows from records."""
from __future__ import annotations

import json

import numpy as np

from citegraph.graph.models import Article, Concept, Mention, Passage


def floats(vector) -> list[float]:
    """A vector as a list of Python floats, the Bolt type the vector index takes."""
    return np.asarray(vector, dtype=np.float64).ravel().tolist()


def article(row: dict) -> Article:
    return Article(id=row["id"], title=row.get("title") or "", text=row.get("text") or "",
                   source=row.get("source") or "", url=row.get("url") or "",
                   content_hash=row.get("content_hash") or "",
                   ingested_at=row.get("ingested_at") or "",
                   author=row.get("author") or None, published=row.get("published") or None)


def passage(row: dict) -> Passage:
    return Passage(row["id"], row["article_id"], row["ordinal"], row["text"], row["start"],
                   row["end"], section=row.get("section") or "body",
                   author=row.get("author") or None, date=row.get("date") or None,
                   page=row.get("page"))


def concept(row: dict) -> Concept:
    c = row["concept"]
    return Concept(iri=c["iri"], label=c.get("label") or "",
                   alt_labels=list(c.get("alt_labels") or []),
                   hidden_labels=list(c.get("hidden_labels") or []),
                   definition=c.get("definition") or "", scheme=c.get("scheme") or "",
                   broader=sorted(row["broader"]), related=sorted(set(row["related"])),
                   language=c.get("language") or "", extra=json.loads(c.get("extra") or "[]"),
                   scheme_triples=json.loads(c.get("scheme_triples") or "[]"))


def mention(row: dict) -> Mention:
    return Mention(row["passage_id"], row["iri"], float(row["score"]), row["method"],
                   row.get("start"), row.get("end"), row.get("surface") or "")


def mention_rows(mentions: list[Mention]) -> list[dict]:
    return [{"passage_id": m.passage_id, "iri": m.iri, "score": float(m.score),
             "method": m.method, "start": None if m.start is None else int(m.start),
             "end": None if m.end is None else int(m.end), "surface": m.surface}
            for m in mentions]


def article_record(a: Article) -> dict:
    return {"id": a.id, "title": a.title, "text": a.text, "source": a.source, "url": a.url,
            "content_hash": a.content_hash, "ingested_at": a.ingested_at,
            "author": a.author or None, "published": a.published or None}


def passage_rows(a: Article, passages: list[Passage]) -> list[dict]:
    return [{"id": p.id, "ordinal": int(p.ordinal), "title": a.title, "text": p.text,
             "start": int(p.start), "end": int(p.end), "embedding": floats(p.embedding),
             "sentence_spans": json.dumps([list(s) for s in p.sentences.spans])
             if p.sentences else "[]",
             "sentence_vectors": p.sentences.to_bytes() if p.sentences else None,
             "section": p.section or "body", "author": p.author or None,
             "date": p.date or None, "page": p.page}
            for p in passages]
