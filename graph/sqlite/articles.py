"""The SQLite store's articles and passages: each article written whole in one transaction
with its passages, their full-text rows and mentions."""
from __future__ import annotations

import json
import sqlite3
from typing import Iterable, Iterator, Optional

import numpy as np

from citegraph.graph.analysis import analysed_text
from citegraph.graph.base import ArticleStore, StoreError
from citegraph.graph.cooccurrence import delta
from citegraph.graph.models import Article, Mention, Passage, SentenceVectors
from citegraph.graph.sqlite.concepts import insert_mentions
from citegraph.graph.sqlite.connection import SQLiteConnection
from citegraph.graph.sqlite.counts import add_cooccurrence, chunks, concept_sets, marks


def blob(vector: np.ndarray) -> bytes:
    return np.asarray(vector, dtype=np.float32).tobytes()


def vector(data: bytes) -> np.ndarray:
    return np.frombuffer(data, dtype=np.float32)


class SQLiteArticles(SQLiteConnection, ArticleStore):
    def article_hash(self, article_id: str) -> Optional[str]:
        row = self._conn().execute(
            "SELECT content_hash FROM articles WHERE id=?", (article_id,)).fetchone()
        return row[0] if row else None

    def upsert_article(self, article: Article, passages: list[Passage],
                       mentions: list[Mention]) -> None:
        with self._write() as c:
            old_ids = [r[0] for r in c.execute("SELECT id FROM passages WHERE article_id=?",
                                               (article.id,))]
            touched = list(dict.fromkeys(
                [*old_ids, *(p.id for p in passages), *(m.passage_id for m in mentions)]))
            before = concept_sets(c, touched)
            self._delete_article(c, article.id)
            c.execute(
                "INSERT INTO articles(id, title, source, url, content_hash, ingested_at, text,"
                " author, published) VALUES (?,?,?,?,?,?,?,?,?)",
                (article.id, article.title, article.source, article.url,
                 article.content_hash, article.ingested_at, article.text,
                 article.author or None, article.published or None))
            title_terms = analysed_text(article.title)
            for p in passages:
                if p.embedding is None:
                    raise StoreError(f"passage {p.id}: no embedding")
                sv = p.sentences
                cur = c.execute(
                    "INSERT INTO passages(id, article_id, ordinal, text, start_char, end_char,"
                    " embedding, sentence_spans, sentence_vectors, section, author, date, page)"
                    " VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?)",
                    (p.id, article.id, p.ordinal, p.text, p.start, p.end, blob(p.embedding),
                     json.dumps(sv.spans if sv else []), sv.to_bytes() if sv else None,
                     p.section or "body", p.author or None, p.date or None, p.page))
                c.execute("INSERT INTO passage_fts(rowid, title, body) VALUES (?,?,?)",
                          (cur.lastrowid, title_terms, analysed_text(p.text)))
            insert_mentions(c, mentions)
            add_cooccurrence(c, delta(before, concept_sets(c, touched)))
            self._bump_version(c)

    def delete_article(self, article_id: str) -> bool:
        with self._write() as c:
            ids = [r[0] for r in c.execute("SELECT id FROM passages WHERE article_id=?",
                                           (article_id,))]
            before = concept_sets(c, ids)
            found = self._delete_article(c, article_id)
            if found:
                add_cooccurrence(c, delta(before, {}))
                self._bump_version(c)
        return found

    @staticmethod
    def _delete_article(c: sqlite3.Connection, article_id: str) -> bool:
        c.execute("DELETE FROM passage_fts WHERE rowid IN"
                  " (SELECT rowid FROM passages WHERE article_id=?)", (article_id,))
        # passages and their mentions go by ON DELETE CASCADE
        return c.execute("DELETE FROM articles WHERE id=?", (article_id,)).rowcount > 0

    def get_article(self, article_id: str) -> Optional[Article]:
        row = self._conn().execute(
            "SELECT id, title, text, source, url, content_hash, ingested_at,"
            f" {self._ARTICLE_META} FROM articles WHERE id=?", (article_id,)).fetchone()
        return Article(*row) if row else None

    def article_titles(self, article_ids: Iterable[str]) -> dict[str, Article]:
        ids = list(dict.fromkeys(article_ids))
        out: dict[str, Article] = {}
        for chunk in chunks(ids):
            rows = self._conn().execute(
                "SELECT id, title, '', source, url, content_hash, ingested_at,"
                f" {self._ARTICLE_META} FROM articles WHERE id IN ({marks(chunk)})", chunk)
            out.update((r[0], Article(*r)) for r in rows)
        return out

    # by date: the publication date, newest first, articles without one last (newest
    # ingested first among them)
    _ARTICLE_ORDER = {"date": "published IS NULL, published DESC, a.ingested_at DESC, a.id",
                      "title": "lower(a.title), a.id"}

    def list_articles(self, limit: int = 20, offset: int = 0,
                      sort: str = "date") -> tuple[int, list[tuple[Article, int]]]:
        if sort not in self._ARTICLE_ORDER:
            raise ValueError(f"sort: {sort!r} is not one of {', '.join(self._ARTICLE_ORDER)}")
        c = self._conn()
        total = c.execute("SELECT COUNT(*) FROM articles").fetchone()[0]
        rows = c.execute(
            "SELECT a.id, a.title, '', a.source, a.url, a.content_hash, a.ingested_at,"
            f" {self._ARTICLE_META},"
            " (SELECT COUNT(*) FROM passages p WHERE p.article_id = a.id) FROM articles a"
            f" ORDER BY {self._ARTICLE_ORDER[sort]} LIMIT ? OFFSET ?",
            (max(0, int(limit)), max(0, int(offset))))
        return total, [(Article(*r[:9]), r[9]) for r in rows]

    @property
    def _PASSAGE_COLS(self) -> str:
        """Passage columns read into `_passage`; a store of schema version 4 or below opened
        read-only has no section, author or date yet: the body, by the article's author."""
        cols = getattr(self, "_passage_cols", None)
        if cols is None:
            have = {r[1] for r in self._conn().execute("PRAGMA table_info(passages)")}
            article = "(SELECT a.{} FROM articles a WHERE a.id = passages.article_id)"
            meta = ("section, author, date" if {"section", "author", "date"} <= have else
                    "'body' AS section, "
                    + ((article.format("author") + " AS author, "
                        + article.format("published") + " AS date")
                       if not self._ARTICLE_META.startswith("NULL") else
                       "NULL AS author, NULL AS date"))
            meta += ", page" if "page" in have else ", NULL AS page"
            cols = "id, article_id, ordinal, text, start_char, end_char, " + meta
            self._passage_cols = cols
        return cols

    @staticmethod
    def _passage(row) -> Passage:
        pid, article_id, ordinal, text, start, end = row[:6]
        return Passage(pid, article_id, ordinal, text, start, end, section=row[6] or "body",
                       author=row[7] or None, date=row[8] or None, page=row[9])

    def article_passages(self, article_id: str) -> list[Passage]:
        rows = self._conn().execute(
            f"SELECT {self._PASSAGE_COLS} FROM passages WHERE article_id=? ORDER BY ordinal",
            (article_id,))
        return [self._passage(r) for r in rows]

    def get_passages(self, passage_ids: list[str]) -> list[Passage]:
        found: dict[str, Passage] = {}
        for chunk in chunks(list(passage_ids)):
            rows = self._conn().execute(
                f"SELECT {self._PASSAGE_COLS} FROM passages WHERE id IN ({marks(chunk)})", chunk)
            found.update((r[0], self._passage(r)) for r in rows)
        return [found[i] for i in passage_ids if i in found]

    def sentence_vectors(self, passage_ids: list[str]) -> dict[str, SentenceVectors]:
        out: dict[str, SentenceVectors] = {}
        for chunk in chunks(list(passage_ids)):
            rows = self._conn().execute(
                "SELECT id, sentence_spans, sentence_vectors FROM passages"
                f" WHERE id IN ({marks(chunk)}) AND sentence_vectors IS NOT NULL", chunk)
            out.update((pid, SentenceVectors.from_bytes(json.loads(spans), blob))
                       for pid, spans, blob in rows)
        return out


    @property
    def _ARTICLE_META(self) -> str:
        """The author and published columns; a store of schema version 3 or below opened
        read-only has neither yet (NULLs are read in their place)."""
        cols = getattr(self, "_article_meta", None)
        if cols is None:
            have = {r[1] for r in self._conn().execute("PRAGMA table_info(articles)")}
            cols = ("author, published" if {"author", "published"} <= have
                    else "NULL AS author, NULL AS published")
            self._article_meta = cols
        return cols


    def iter_articles(self) -> Iterator[Article]:
        rows = self._conn().execute(
            "SELECT id, title, text, source, url, content_hash, ingested_at,"
            f" {self._ARTICLE_META} FROM articles ORDER BY id")
        for r in rows:
            yield Article(*r)

    def iter_passages(self, with_embeddings: bool = False) -> Iterator[Passage]:
        cols = self._PASSAGE_COLS + (", embedding" if with_embeddings else "")
        for r in self._conn().execute(f"SELECT {cols} FROM passages ORDER BY article_id, ordinal"):
            p = self._passage(r)
            if with_embeddings:
                p.embedding = vector(r[10])
            yield p
