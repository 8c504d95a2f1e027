"""Articles and passages on Neo4j: bulk writes (one transaction per batch of articles, rows
sent with `UNWIND`) and the reads by id."""
from __future__ import annotations

import json
from typing import Iterable, Optional

from citegraph.graph import cypher
from citegraph.graph.base import StoreError
from citegraph.graph.cooccurrence import delta
from citegraph.graph.models import Article, Mention, Passage, SentenceVectors
from citegraph.graph.neo4j import records
from citegraph.graph.neo4j.cooccurrence import Neo4jCoOccurrence
from citegraph.graph.passage_details import PassageDetails

ArticleWrite = tuple[Article, list[Passage], list[Mention]]
# Removal log entries kept (cypher.log_passage_removal): a keyword index further behind
# (a process idle through that many removing writes) compares every key once instead
REMOVAL_LOG_KEEP = 10_000


def _batches(items: list[ArticleWrite]) -> list[list[ArticleWrite]]:
    """Consecutive runs without a repeated article id: a later write of the same article
    goes into the next transaction, so that it replaces the earlier one as it would alone."""
    runs: list[list[ArticleWrite]] = [[]]
    for item in items:
        if any(item[0].id == other[0].id for other in runs[-1]):
            runs.append([])
        runs[-1].append(item)
    return [run for run in runs if run]


class Neo4jArticles(Neo4jCoOccurrence):
    def article_hash(self, article_id: str) -> Optional[str]:
        rows = self._read(cypher.article_hash(), id=article_id)
        return rows[0]["content_hash"] if rows else None

    def upsert_article(self, article: Article, passages: list[Passage],
                       mentions: list[Mention]) -> None:
        self._write_articles([(article, passages, mentions)])

    def upsert_articles(self, items: list[ArticleWrite]) -> None:
        """Articles written a batch per transaction; when a batch fails, its articles are
        written one per transaction, so that every article before the failing one is stored
        whole, and the failure is raised as it would be alone."""
        for run in _batches(list(items)):
            try:
                self._write_articles(run)
            except StoreError:
                if len(run) == 1:
                    raise
                for item in run:
                    self._write_articles([item])

    def _write_articles(self, items: list[ArticleWrite]) -> None:
        for article, passages, _mentions in items:
            for p in passages:
                if p.embedding is None:
                    raise StoreError(f"passage {p.id}: no embedding")
        # everything is built before the transaction, so that a retry replays the same rows
        articles = [records.article_record(a) for a, _p, _m in items]
        article_ids = [a.id for a, _p, _m in items]
        rows = [dict(row, article_id=a.id)
                for a, passages, _m in items for row in records.passage_rows(a, passages)]
        mention_rows = records.mention_rows([m for _a, _p, ms in items for m in ms])
        touched = list(dict.fromkeys(m["passage_id"] for m in mention_rows))

        def work(tx):
            # the article nodes first: their write locks keep writers of these articles
            # apart while the co-occurrence before and after are read
            self._run(tx, cypher.merge_articles(), articles=articles)
            before = self._concept_sets(tx, article_ids, touched)
            self._remove_passages(tx, article_ids)
            if rows:
                first = self._run(tx, cypher.reserve_passage_seqs(), count=len(rows))[0]["first"]
                keyed = [dict(row, seq=first + i + 1) for i, row in enumerate(rows)]
                self._run(tx, cypher.create_passages(), rows=keyed)
                self._run(tx, cypher.link_passages(), article_ids=article_ids)
            if mention_rows:
                self._run(tx, cypher.create_mentions(), rows=mention_rows)
            after = self._concept_sets(tx, article_ids, touched) if mention_rows else {}
            self._add_cooccurrence(tx, delta(before, after))

        self._execute("write", work)

    def _remove_passages(self, tx, article_ids: list[str]) -> None:
        """The articles' passages go, their keys into the removal log that every process's
        keyword index reads (graph/neo4j/retrieval.py)."""
        seqs = self._run(tx, cypher.delete_articles_passages(), article_ids=article_ids)[0]["seqs"]
        if seqs:
            self._run(tx, cypher.log_passage_removal(), seqs=seqs, clear=False,
                      keep=REMOVAL_LOG_KEEP)

    def delete_article(self, article_id: str) -> bool:
        def work(tx):
            before = self._concept_sets(tx, [article_id], [])
            self._remove_passages(tx, [article_id])
            self._add_cooccurrence(tx, delta(before, {}))
            return self._run(tx, cypher.delete_article(), id=article_id)[0]["deleted"] > 0

        return self._execute("write", work)

    def get_article(self, article_id: str) -> Optional[Article]:
        rows = self._read(cypher.get_article(), id=article_id)
        return records.article(rows[0]["article"]) if rows else None

    def article_titles(self, article_ids: Iterable[str]) -> dict[str, Article]:
        ids = list(dict.fromkeys(article_ids))
        if not ids:
            return {}
        rows = self._read(cypher.article_titles(), ids=ids)
        return {r["article"]["id"]: records.article(r["article"]) for r in rows}

    def list_articles(self, limit: int = 20, offset: int = 0,
                      sort: str = "date") -> tuple[int, list[tuple[Article, int]]]:
        if sort not in ("date", "title"):
            raise ValueError(f"sort: {sort!r} is not one of date, title")
        row = self._read(cypher.article_listing(), by_title=sort == "title",
                         offset=max(0, int(offset)), limit=max(0, int(limit)))[0]
        return int(row["total"]), [(records.article(a), int(a["passages"]))
                                   for a in row["articles"]]

    def article_passages(self, article_id: str) -> list[Passage]:
        return [records.passage(r["passage"])
                for r in self._read(cypher.article_passages(), article_id=article_id)]

    def get_passages(self, passage_ids: list[str]) -> list[Passage]:
        if not passage_ids:
            return []
        found = {r["passage"]["id"]: records.passage(r["passage"])
                 for r in self._read(cypher.get_passages(), ids=list(dict.fromkeys(passage_ids)))}
        return [found[i] for i in passage_ids if i in found]

    def sentence_vectors(self, passage_ids: list[str]) -> dict[str, SentenceVectors]:
        if not passage_ids:
            return {}
        rows = self._read(cypher.sentence_vectors(), ids=list(passage_ids))
        return {r["id"]: SentenceVectors.from_bytes(json.loads(r["spans"]), bytes(r["vectors"]))
                for r in rows}

    def passage_details(self, passage_ids: list[str]) -> PassageDetails:
        """One read for everything a search result shows of its passages."""
        details = PassageDetails()
        if not passage_ids:
            return details
        rows = {r["passage"]["id"]: r for r in
                self._read(cypher.passage_details(), ids=list(dict.fromkeys(passage_ids)))}
        for pid in dict.fromkeys(passage_ids):
            row = rows.get(pid)
            if row is None:
                continue
            details.passages.append(records.passage(row["passage"]))
            if row["article"] is not None:
                details.articles[row["article"]["id"]] = records.article(row["article"])
            details.mentions[pid] = [records.mention(m["mention"]) for m in row["mentions"]]
            details.labels.update((m["mention"]["iri"], m["label"] or "")
                                  for m in row["mentions"])
            if row["vectors"] is not None:
                details.sentences[pid] = SentenceVectors.from_bytes(json.loads(row["spans"]),
                                                                    bytes(row["vectors"]))
        return details
