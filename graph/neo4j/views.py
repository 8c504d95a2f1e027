"""Whole-store views on Neo4j: store settings, counts, and keyset-paged iteration."""
from __future__ import annotations

from typing import Iterator, Optional

import numpy as np

from citegraph.graph import cypher
from citegraph.graph.models import Article, Mention, Passage
from citegraph.graph.neo4j import records
from citegraph.graph.neo4j.session import Neo4jSession

PAGE = 500  # rows a page when iterating over the whole graph


class Neo4jViews(Neo4jSession):
    def meta_value(self, key: str) -> Optional[str]:
        rows = self._read(cypher.meta_value(), key=key)
        return rows[0]["value"] if rows else None

    def put_meta_value(self, key: str, value: str, replace: bool = False) -> str:
        return self._write(cypher.put_meta_value(), key=key, value=value,
                           replace=replace)[0]["value"]

    def stats(self) -> dict[str, int]:
        row = self._read(cypher.stats())[0]
        return {name: int(row[name]) for name in ("articles", "passages", "concepts", "mentions")}

    def iter_articles(self) -> Iterator[Article]:
        after = ""
        while True:
            rows = self._read(cypher.articles_page(), after=after, limit=PAGE)
            for r in rows:
                yield records.article(r["article"])
            if len(rows) < PAGE:
                return
            after = rows[-1]["article"]["id"]

    def iter_passages(self, with_embeddings: bool = False) -> Iterator[Passage]:
        after_article, after_ordinal = "", -1
        while True:
            rows = self._read(cypher.passages_page(), after_article=after_article,
                              after_ordinal=after_ordinal, with_embeddings=with_embeddings,
                              limit=PAGE)
            for r in rows:
                p = records.passage(r["passage"])
                if with_embeddings:
                    p.embedding = np.asarray(r["embedding"], dtype=np.float32)
                yield p
            if len(rows) < PAGE:
                return
            last = rows[-1]["passage"]
            after_article, after_ordinal = last["article_id"], last["ordinal"]

    def iter_mentions(self) -> Iterator[Mention]:
        after = ""
        while True:
            rows = self._read(cypher.mentions_page(), after=after, limit=PAGE)
            # a passage without mentions comes as one row with a null iri
            yield from (records.mention(r) for r in rows if r["iri"] is not None)
            if len({r["passage_id"] for r in rows}) < PAGE:
                return
            after = rows[-1]["passage_id"]
