"""The embedded default store: one SQLite file (WAL, one transaction per article), FTS5 for
BM25, embeddings as float32 blobs searched by a vector index kept in memory. FTS5 keeps the
analysed text on disk; BM25 is answered by an in-memory postings index scoring exactly as
FTS5's bm25() (an FTS5 OR-query costs ~50-400 ms at 100k passages).

Other processes may write to the same file (an ingest while the server runs): every write
bumps a version number in `meta`, and the in-memory indexes catch up before a search.
"""
from __future__ import annotations

import functools
import inspect
import json
import os
import sqlite3
import threading
import time
from contextlib import contextmanager
from pathlib import Path
from typing import Iterable, Iterator, Optional

import numpy as np

from citegraph.graph.analysis import analyse, analysed_text, match_expression
from citegraph.graph.base import GraphStore, StoreError, StoreFileError
from citegraph.graph.cooccurrence import (CoOccurrence, CoOccurrenceCounts, co_occurrence,
                                          delta)
from citegraph.graph.models import (EMBEDDING_DIM as DIM, Article, Concept, Hit, Mention,
                                    Passage, SentenceVectors)
from citegraph.graph.sqlite_schema import COOCCUR_PASSAGES, MIGRATIONS, SCHEMA, SCHEMA_VERSION
from citegraph.graph.keyword import PostingsIndex
from citegraph.graph.vectors import AdaptiveIndex

DB_FILE = "citegraph.sqlite3"
TITLE_WEIGHT = 2.0  # BM25 weight of the article title column against the passage body
SYNC_CHUNK = 20_000  # embedding rows read per step when loading the vector index
SCHEME_REVISION = "scheme_revision"  # meta key: bumped by every replace_concepts
ID_SCHEME = "path-with-extension"  # meta `id_scheme` of stores made since ids kept the extension


def _read_only_file_system(directory: Path) -> bool:
    """Whether `directory` (or, when it does not exist yet, its nearest parent) lies on a
    file system mounted read-only."""
    for place in (directory, *directory.absolute().parents):
        try:
            return bool(os.statvfs(place).f_flag & os.ST_RDONLY)
        except OSError:
            continue
    return False


def _blob(vector: np.ndarray) -> bytes:
    return np.asarray(vector, dtype=np.float32).tobytes()


def _vector(blob: bytes) -> np.ndarray:
    return np.frombuffer(blob, dtype=np.float32)


PASSAGE_ID_CACHE = 200_000  # rowid -> id pairs kept (some 30 MB at most)


class SQLiteStore(GraphStore):
    def __init__(self, directory: str | os.PathLike, readonly: bool = False,
                 ann_threshold: Optional[int] = None, index_threads: int = 0):
        """`ann_threshold`: vectors above which HNSW may replace exact search (None: the
        index's default; 0: always exact); `index_threads`: usearch's threads (0: all)."""
        self.directory = Path(directory)
        if self.directory.exists() and not self.directory.is_dir():
            raise StoreError(f"store {self.directory}: not a directory")
        # a store on a read-only file system is opened read-only whatever was asked: reads
        # work, writes fail with one line (StoreFileError)
        self.immutable = _read_only_file_system(self.directory)
        self.readonly = readonly or self.immutable
        if not self.readonly:
            try:
                self.directory.mkdir(parents=True, exist_ok=True)
            except OSError as exc:
                raise StoreError(f"store {self.directory}: {exc.strerror or exc}") from None
        self.path = self.directory / DB_FILE
        if self.readonly and not self.path.exists():
            raise StoreError(f"store {self.directory}: no Citegraph store there")
        self._local = threading.local()
        self._index_lock = threading.Lock()
        # exact below a size threshold, HNSW above it once its recall is measured
        self._index = AdaptiveIndex(DIM, threshold=ann_threshold,
                                    cache=self.directory / "vectors.usearch",
                                    threads=index_threads)
        self._index_version: Optional[str] = None
        # the passage ids of index rows, looked up once: two SQL lookups of 100 rowids cost
        # a tenth of a search at 10k passages
        self._passage_ids: dict[int, str] = {}
        self._index_last_rowid = 0
        self._keywords = PostingsIndex((TITLE_WEIGHT, 1.0))  # columns of passage_fts
        self._keywords_last_rowid = 0
        self._legacy_cooccurrence = False  # a version-1 store opened read-only
        self._create_schema()

    # --- connections ------------------------------------------------------------
    def _conn(self) -> sqlite3.Connection:
        conn = getattr(self._local, "conn", None)
        if conn is None:
            target, uri = self.path, False
            if self.readonly:
                # mode=ro: this connection cannot write. On a read-only file system SQLite
                # could not make the WAL index (-shm) a reader needs: immutable=1 reads the
                # file as it is, without locks, since nothing can change it there
                target = self.path.resolve().as_uri() + "?mode=ro" + (
                    "&immutable=1" if self.immutable else "")
                uri = True
            try:
                conn = sqlite3.connect(target, timeout=30, isolation_level=None,
                                       check_same_thread=False, uri=uri)
            except sqlite3.Error as exc:
                raise (_file_fault(exc, self.directory)
                       or StoreError(f"store {self.directory}: {exc}")) from None
            conn.execute("PRAGMA busy_timeout=30000")
            if not self.readonly:  # a read-only connection reads the file in its own mode
                self._enable_wal(conn)
            conn.execute("PRAGMA synchronous=NORMAL")
            conn.execute("PRAGMA foreign_keys=ON")
            self._local.conn = conn
        return conn

    def _enable_wal(self, conn: sqlite3.Connection, wait_s: float = 30.0) -> None:
        """Switching a new file to WAL needs it to itself and SQLite does not wait for that
        (no busy handler), so two processes opening a new store retry here."""
        deadline = time.monotonic() + wait_s
        while True:
            try:
                conn.execute("PRAGMA journal_mode=WAL")
                return
            except sqlite3.OperationalError as exc:
                if "locked" not in str(exc) or time.monotonic() > deadline:
                    raise StoreError(f"store {self.path}: {exc}") from None
                time.sleep(0.05)

    @contextmanager
    def read_snapshot(self):
        """One read transaction on this thread's connection: in WAL mode it sees the file as
        of its first read while writers go on (SQLite's snapshot isolation)."""
        conn = self._conn()
        if conn.in_transaction:  # already inside one: it is the snapshot
            yield
            return
        conn.execute("BEGIN")
        try:
            yield
        finally:
            if conn.in_transaction:
                conn.execute("COMMIT")

    def _write(self):
        """A write transaction: BEGIN IMMEDIATE takes the write lock up front, so two
        writers serialise instead of failing half-way."""
        return _Transaction(self._conn())

    def _create_schema(self) -> None:
        conn = self._conn()
        try:
            version = conn.execute(
                "SELECT value FROM meta WHERE key='schema'").fetchone()
        except sqlite3.OperationalError:
            version = None
        except sqlite3.DatabaseError as exc:
            raise StoreError(f"store {self.path}: {exc}") from None
        if version is not None:
            if version[0] != SCHEMA_VERSION:
                self._migrate(conn, version[0])
            return
        if self.readonly:
            raise StoreError(f"store {self.directory}: no Citegraph store there")
        # one write transaction, so that two processes opening a new store cannot interleave
        conn.executescript(
            "BEGIN IMMEDIATE;" + SCHEMA
            + f"INSERT OR IGNORE INTO meta(key, value) VALUES ('schema', '{SCHEMA_VERSION}');"
            "INSERT OR IGNORE INTO meta(key, value) VALUES ('version', '0');"
            # article ids of files keep their extension (ingest/readers.py); stores made
            # before that have no such row and may hold ids without it
            f"INSERT OR IGNORE INTO meta(key, value) VALUES ('id_scheme', '{ID_SCHEME}');"
            " COMMIT;")

    def _migrate(self, conn: sqlite3.Connection, version: str) -> None:
        """Bring a store made by an earlier version to this one, in one write transaction
        (another process may be doing the same: the version is read again inside it). A
        read-only open leaves the file alone and derives co-occurrence from the mentions."""
        if version not in MIGRATIONS:
            raise StoreError(f"store {self.directory}: schema version {version} is not one"
                             f" this Citegraph knows (it writes version {SCHEMA_VERSION})")
        if self.readonly:
            self._legacy_cooccurrence = True
            return
        with self._write() as c:
            while True:
                version = c.execute("SELECT value FROM meta WHERE key='schema'").fetchone()[0]
                if version == SCHEMA_VERSION:
                    break
                for statement in MIGRATIONS[version]:
                    c.execute(statement)
                version = str(int(version) + 1)
                c.execute("UPDATE meta SET value=? WHERE key='schema'", (version,))
                if version == SCHEMA_VERSION:
                    self._recount_cooccurrence(c)

    @staticmethod
    def _bump_version(c: sqlite3.Connection) -> None:
        c.execute("UPDATE meta SET value = CAST(value AS INTEGER) + 1 WHERE key='version'")

    def ingest_lock(self, wait=None, notify=None):
        """An advisory lock on a file in the store's directory (graph/lock.py)."""
        from citegraph.graph.lock import directory_lock

        if self.readonly:  # the lock file could not be made: say why the ingest cannot run
            what = "on a read-only file system" if self.immutable else "opened read-only"
            raise StoreFileError(f"store {self.directory}: {what}: reads work; a write needs"
                                 " a writable store", "read-only")
        return directory_lock(self.directory, wait, **({"notify": notify} if notify else {}))

    def close(self) -> None:
        conn = getattr(self._local, "conn", None)
        if conn is not None:
            conn.close()
            self._local.conn = None

    # --- articles and passages ----------------------------------------------------
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
            before = self._concept_sets(c, touched)
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
                    " embedding, sentence_spans, sentence_vectors, section, author, date)"
                    " VALUES (?,?,?,?,?,?,?,?,?,?,?,?)",
                    (p.id, article.id, p.ordinal, p.text, p.start, p.end, _blob(p.embedding),
                     json.dumps(sv.spans if sv else []), sv.to_bytes() if sv else None,
                     p.section or "body", p.author or None, p.date or None))
                c.execute("INSERT INTO passage_fts(rowid, title, body) VALUES (?,?,?)",
                          (cur.lastrowid, title_terms, analysed_text(p.text)))
            self._insert_mentions(c, mentions)
            self._add_cooccurrence(c, delta(before, self._concept_sets(c, touched)))
            self._bump_version(c)

    def delete_article(self, article_id: str) -> bool:
        with self._write() as c:
            ids = [r[0] for r in c.execute("SELECT id FROM passages WHERE article_id=?",
                                           (article_id,))]
            before = self._concept_sets(c, ids)
            found = self._delete_article(c, article_id)
            if found:
                self._add_cooccurrence(c, delta(before, {}))
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
        for chunk in _chunks(ids):
            rows = self._conn().execute(
                "SELECT id, title, '', source, url, content_hash, ingested_at,"
                f" {self._ARTICLE_META} FROM articles WHERE id IN ({_marks(chunk)})", chunk)
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
            cols = "id, article_id, ordinal, text, start_char, end_char, " + meta
            self._passage_cols = cols
        return cols

    @staticmethod
    def _passage(row) -> Passage:
        return Passage(*row[:6], section=row[6] or "body", author=row[7] or None,
                       date=row[8] or None)

    def article_passages(self, article_id: str) -> list[Passage]:
        rows = self._conn().execute(
            f"SELECT {self._PASSAGE_COLS} FROM passages WHERE article_id=? ORDER BY ordinal",
            (article_id,))
        return [self._passage(r) for r in rows]

    def get_passages(self, passage_ids: list[str]) -> list[Passage]:
        found: dict[str, Passage] = {}
        for chunk in _chunks(list(passage_ids)):
            rows = self._conn().execute(
                f"SELECT {self._PASSAGE_COLS} FROM passages WHERE id IN ({_marks(chunk)})", chunk)
            found.update((r[0], self._passage(r)) for r in rows)
        return [found[i] for i in passage_ids if i in found]

    def sentence_vectors(self, passage_ids: list[str]) -> dict[str, SentenceVectors]:
        out: dict[str, SentenceVectors] = {}
        for chunk in _chunks(list(passage_ids)):
            rows = self._conn().execute(
                "SELECT id, sentence_spans, sentence_vectors FROM passages"
                f" WHERE id IN ({_marks(chunk)}) AND sentence_vectors IS NOT NULL", chunk)
            out.update((pid, SentenceVectors.from_bytes(json.loads(spans), blob))
                       for pid, spans, blob in rows)
        return out

    # --- concepts and mentions -----------------------------------------------------
    def replace_concepts(self, concepts: list[Concept]) -> None:
        with self._write() as c:
            keep = [k.iri for k in concepts]
            c.execute("CREATE TEMP TABLE IF NOT EXISTS keep_iri(iri TEXT PRIMARY KEY)")
            c.execute("DELETE FROM keep_iri")
            c.executemany("INSERT OR IGNORE INTO keep_iri VALUES (?)", [(i,) for i in keep])
            # passages losing mentions with the concepts that go (ON DELETE CASCADE)
            touched = [r[0] for r in c.execute(
                "SELECT DISTINCT passage_id FROM mentions"
                " WHERE iri NOT IN (SELECT iri FROM keep_iri)")]
            before = self._concept_sets(c, touched)
            c.execute("DELETE FROM concepts WHERE iri NOT IN (SELECT iri FROM keep_iri)")
            self._add_cooccurrence(c, delta(before, self._concept_sets(c, touched)))
            c.execute("DELETE FROM broader")
            c.execute("DELETE FROM related")
            c.executemany(
                "INSERT INTO concepts(iri, label, alt_labels, hidden_labels, definition, scheme,"
                " language, extra, scheme_triples) VALUES (?,?,?,?,?,?,?,?,?)"
                " ON CONFLICT(iri) DO UPDATE SET label=excluded.label,"
                " alt_labels=excluded.alt_labels, hidden_labels=excluded.hidden_labels,"
                " definition=excluded.definition, scheme=excluded.scheme,"
                " language=excluded.language, extra=excluded.extra,"
                " scheme_triples=excluded.scheme_triples",
                [(k.iri, k.label, json.dumps(k.alt_labels), json.dumps(k.hidden_labels),
                  k.definition, k.scheme, k.language, json.dumps(k.extra, ensure_ascii=False),
                  json.dumps(k.scheme_triples, ensure_ascii=False)) for k in concepts])
            c.executemany("INSERT OR IGNORE INTO broader(narrower, broader) VALUES (?,?)",
                          [(k.iri, b) for k in concepts for b in k.broader])
            c.executemany("INSERT OR IGNORE INTO related(a, b) VALUES (?,?)",
                          [tuple(sorted((k.iri, r))) for k in concepts for r in k.related
                           if r != k.iri])
            # what is derived from the scheme (graph/scheme_cache.py) is built again
            c.execute("INSERT INTO meta(key, value) VALUES (?, '1') ON CONFLICT(key)"
                      " DO UPDATE SET value = CAST(value AS INTEGER) + 1", (SCHEME_REVISION,))
            self._bump_version(c)

    def scheme_revision(self) -> str:
        return self.meta_value(SCHEME_REVISION) or "0"  # no replace_concepts wrote a scheme

    def _concept(self, row, links: Optional[tuple[dict, dict]] = None) -> Concept:
        """A concept from its row; `links`: (narrower → broader list, iri → related list)
        of every concept, read once for a whole listing, else read here for this one."""
        iri, label, alt, hidden, definition, scheme, language, extra, scheme_triples = row
        if links is not None:
            broader, related = links[0].get(iri, []), links[1].get(iri, [])
        else:
            c = self._conn()
            broader = [r[0] for r in c.execute("SELECT broader FROM broader WHERE narrower=?",
                                               (iri,))]
            related = [r[0] for r in c.execute(
                "SELECT b FROM related WHERE a=? UNION SELECT a FROM related WHERE b=?",
                (iri, iri))]
        return Concept(iri, label, json.loads(alt), json.loads(hidden), definition, scheme,
                       sorted(broader), sorted(set(related)), language or "",
                       json.loads(extra or "[]"), json.loads(scheme_triples or "[]"))

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

    @property
    def _CONCEPT_COLS(self) -> str:
        """The concept columns; a store of schema version 2 opened read-only has no
        language, extra or scheme_triples column yet (defaults are read in their place)."""
        cols = getattr(self, "_concept_cols", None)
        if cols is None:
            have = {r[1] for r in self._conn().execute("PRAGMA table_info(concepts)")}
            cols = "iri, label, alt_labels, hidden_labels, definition, scheme, " + ", ".join(
                name if name in have else f"{default} AS {name}" for name, default in
                (("language", "''"), ("extra", "'[]'"), ("scheme_triples", "'[]'")))
            self._concept_cols = cols
        return cols

    def list_concepts(self) -> list[tuple[Concept, int]]:
        rows = self._conn().execute(
            f"SELECT {self._CONCEPT_COLS}, (SELECT COUNT(*) FROM mentions m WHERE m.iri=c.iri)"
            " FROM concepts c ORDER BY label").fetchall()
        broader: dict[str, list[str]] = {}
        related: dict[str, list[str]] = {}
        for narrower, wider in self._conn().execute("SELECT narrower, broader FROM broader"):
            broader.setdefault(narrower, []).append(wider)
        for a, b in self._conn().execute("SELECT a, b FROM related"):
            related.setdefault(a, []).append(b)
            if a != b:
                related.setdefault(b, []).append(a)
        return [(self._concept(r[:9], (broader, related)), r[9]) for r in rows]

    def concept_names(self) -> list[tuple[str, str]]:
        return self._conn().execute("SELECT iri, label FROM concepts").fetchall()

    def mention_counts(self, iris) -> dict[str, int]:
        wanted = list(dict.fromkeys(iris))
        counts = dict.fromkeys(wanted, 0)
        for chunk in _chunks(wanted):
            counts.update(self._conn().execute(
                f"SELECT iri, COUNT(*) FROM mentions WHERE iri IN ({_marks(chunk)})"
                " GROUP BY iri", chunk))
        return counts

    def get_concept(self, iri: str) -> Optional[Concept]:
        row = self._conn().execute(
            f"SELECT {self._CONCEPT_COLS} FROM concepts WHERE iri=?", (iri,)).fetchone()
        return self._concept(row) if row else None

    def concept_labels(self, iris) -> dict[str, str]:
        wanted = list(dict.fromkeys(iris))
        out = dict(zip(wanted, wanted))
        for chunk in _chunks(wanted):  # one query, not three per concept as get_concept
            out.update(self._conn().execute(
                f"SELECT iri, label FROM concepts WHERE iri IN ({_marks(chunk)})", chunk))
        return out

    def narrower(self, iri: str) -> list[str]:
        return sorted(r[0] for r in self._conn().execute(
            "SELECT narrower FROM broader WHERE broader=?", (iri,)))

    @staticmethod
    def _insert_mentions(c: sqlite3.Connection, mentions: list[Mention]) -> None:
        c.executemany(
            "INSERT INTO mentions(passage_id, iri, score, method, start_char, end_char, surface)"
            " VALUES (?,?,?,?,?,?,?)",
            [(m.passage_id, m.iri, float(m.score), m.method, m.start, m.end, m.surface)
             for m in mentions])

    def replace_mentions(self, passage_ids: list[str], mentions: list[Mention]) -> None:
        touched = list(dict.fromkeys([*passage_ids, *(m.passage_id for m in mentions)]))
        with self._write() as c:
            before = self._concept_sets(c, touched)
            for chunk in _chunks(list(passage_ids)):
                c.execute(f"DELETE FROM mentions WHERE passage_id IN ({_marks(chunk)})", chunk)
            self._insert_mentions(c, mentions)
            self._add_cooccurrence(c, delta(before, self._concept_sets(c, touched)))
            self._bump_version(c)

    _MENTION_COLS = "passage_id, iri, score, method, start_char, end_char, surface"

    def passage_mentions(self, passage_ids: list[str]) -> dict[str, list[Mention]]:
        out: dict[str, list[Mention]] = {pid: [] for pid in passage_ids}
        for chunk in _chunks(list(passage_ids)):
            rows = self._conn().execute(
                f"SELECT {self._MENTION_COLS} FROM mentions WHERE passage_id IN ({_marks(chunk)})"
                " ORDER BY score DESC", chunk)
            for r in rows:
                out[r[0]].append(Mention(*r))
        return out

    def concept_mentions(self, iri: str, limit: int = 50) -> list[Mention]:
        rows = self._conn().execute(
            f"SELECT {self._MENTION_COLS} FROM mentions WHERE iri=? ORDER BY score DESC,"
            " passage_id LIMIT ?", (iri, limit))
        return [Mention(*r) for r in rows]

    # --- co-occurrence: counts kept by the writes above (graph/cooccurrence.py) -----------
    @staticmethod
    def _concept_sets(c: sqlite3.Connection, passage_ids: list[str]) -> dict[str, set[str]]:
        """passage id -> the concepts its mentions are of (passages without any left out)."""
        out: dict[str, set[str]] = {}
        for chunk in _chunks(passage_ids):
            for pid, iri in c.execute("SELECT passage_id, iri FROM mentions"
                                      f" WHERE passage_id IN ({_marks(chunk)})", chunk):
                out.setdefault(pid, set()).add(iri)
        return out

    @staticmethod
    def _add_cooccurrence(c: sqlite3.Connection, change: CoOccurrenceCounts) -> None:
        if not change:
            return
        c.executemany("INSERT INTO cooccur_pairs(a, b, n) VALUES (?,?,?)"
                      " ON CONFLICT(a, b) DO UPDATE SET n = n + excluded.n",
                      [(a, b, n) for (a, b), n in change.pairs.items()])
        c.executemany("DELETE FROM cooccur_pairs WHERE a=? AND b=? AND n <= 0",
                      [pair for pair, n in change.pairs.items() if n < 0])
        c.executemany("INSERT INTO cooccur_concepts(iri, n) VALUES (?,?)"
                      " ON CONFLICT(iri) DO UPDATE SET n = n + excluded.n",
                      list(change.concepts.items()))
        c.executemany("DELETE FROM cooccur_concepts WHERE iri=? AND n <= 0",
                      [(iri,) for iri, n in change.concepts.items() if n < 0])
        if change.passages:
            c.execute("UPDATE meta SET value = CAST(value AS INTEGER) + ? WHERE key=?",
                      (change.passages, COOCCUR_PASSAGES))

    @staticmethod
    def _recount_cooccurrence(c: sqlite3.Connection) -> None:
        c.execute("DELETE FROM cooccur_pairs")
        c.execute("DELETE FROM cooccur_concepts")
        c.execute("INSERT INTO cooccur_pairs(a, b, n)"
                  " SELECT m1.iri, m2.iri, COUNT(DISTINCT m1.passage_id)"
                  " FROM mentions m1 JOIN mentions m2"
                  " ON m1.passage_id = m2.passage_id AND m1.iri < m2.iri"
                  " GROUP BY m1.iri, m2.iri")
        c.execute("INSERT INTO cooccur_concepts(iri, n)"
                  " SELECT iri, COUNT(DISTINCT passage_id) FROM mentions GROUP BY iri")
        c.execute("INSERT OR REPLACE INTO meta(key, value)"
                  " SELECT ?, CAST(COUNT(DISTINCT passage_id) AS TEXT) FROM mentions",
                  (COOCCUR_PASSAGES,))

    def rebuild_cooccurrence(self) -> None:
        with self._write() as c:
            self._recount_cooccurrence(c)

    def cooccurrence_counts(self) -> CoOccurrenceCounts:
        c = self._conn()
        if self._legacy_cooccurrence:
            return self._derived_counts(c)
        counts = CoOccurrenceCounts()
        counts.pairs.update({(a, b): n for a, b, n in c.execute(
            "SELECT a, b, n FROM cooccur_pairs")})
        counts.concepts.update(dict(c.execute("SELECT iri, n FROM cooccur_concepts")))
        counts.passages = int(c.execute("SELECT value FROM meta WHERE key=?",
                                        (COOCCUR_PASSAGES,)).fetchone()[0])
        return counts.prune()

    @staticmethod
    def _derived_counts(c: sqlite3.Connection) -> CoOccurrenceCounts:
        """Counts straight from the mentions (a version-1 store opened read-only)."""
        counts = CoOccurrenceCounts()
        counts.pairs.update({(a, b): n for a, b, n in c.execute(
            "SELECT m1.iri, m2.iri, COUNT(DISTINCT m1.passage_id) FROM mentions m1"
            " JOIN mentions m2 ON m1.passage_id = m2.passage_id AND m1.iri < m2.iri"
            " GROUP BY m1.iri, m2.iri")})
        counts.concepts.update(dict(c.execute(
            "SELECT iri, COUNT(DISTINCT passage_id) FROM mentions GROUP BY iri")))
        counts.passages = c.execute(
            "SELECT COUNT(DISTINCT passage_id) FROM mentions").fetchone()[0]
        return counts.prune()

    def co_occurrences(self, iri: str, limit: int = 20) -> list[CoOccurrence]:
        c = self._conn()
        if self._legacy_cooccurrence:
            counts = self._derived_counts(c)
            rows = sorted(((b if a == iri else a, n) for (a, b), n in counts.pairs.items()
                           if iri in (a, b)), key=lambda r: (-r[1], r[0]))[:limit]
            totals, total = counts.concepts, counts.passages
        else:
            rows = c.execute(
                "SELECT o, n FROM (SELECT b AS o, n FROM cooccur_pairs WHERE a=?"
                " UNION ALL SELECT a, n FROM cooccur_pairs WHERE b=?)"
                " ORDER BY n DESC, o LIMIT ?", (iri, iri, limit)).fetchall()
            if not rows:
                return []
            wanted = [iri, *(o for o, _n in rows)]
            totals = {}
            for chunk in _chunks(wanted):
                totals.update(c.execute("SELECT iri, n FROM cooccur_concepts"
                                        f" WHERE iri IN ({_marks(chunk)})", chunk))
            total = int(c.execute("SELECT value FROM meta WHERE key=?",
                                  (COOCCUR_PASSAGES,)).fetchone()[0])
        passages: dict[str, set[str]] = {}
        for chunk in _chunks([o for o, _n in rows]):
            for other, pid in c.execute(
                    "SELECT m2.iri, m1.passage_id FROM mentions m1 JOIN mentions m2"
                    " ON m2.passage_id = m1.passage_id"
                    f" WHERE m1.iri = ? AND m2.iri IN ({_marks(chunk)})", [iri, *chunk]):
                passages.setdefault(other, set()).add(pid)
        return [co_occurrence(other, n, passages.get(other, ()), totals.get(iri, 0),
                              totals.get(other, 0), total) for other, n in rows]

    # --- retrieval ---------------------------------------------------------------
    def _sync_index(self) -> None:
        """Bring the in-memory vector and keyword indexes up to the committed state of the
        file: rows deleted since go, rows added since (higher rowids) come in."""
        c = self._conn()
        version = c.execute("SELECT value FROM meta WHERE key='version'").fetchone()[0]
        if version == self._index_version:
            return
        with self._index_lock:
            if version == self._index_version:
                return
            if self._index_version is None:  # first sync: a cached graph may cover most rows
                self._index_last_rowid = self._index.resume(self._stored_vector)
            present = np.fromiter((r[0] for r in c.execute("SELECT rowid FROM passages")),
                                  dtype=np.int64)
            gone = np.setdiff1d(self._index.keys(), present, assume_unique=True)
            self._index.remove(gone)
            self._keywords.remove(np.setdiff1d(self._keywords.keys(), present,
                                               assume_unique=True))
            rows = c.execute("SELECT rowid, embedding FROM passages WHERE rowid > ?"
                             " ORDER BY rowid", (self._index_last_rowid,))
            while chunk := rows.fetchmany(SYNC_CHUNK):  # bounded memory on large stores
                keys = np.array([r[0] for r in chunk], dtype=np.int64)
                matrix = np.frombuffer(b"".join(r[1] for r in chunk), dtype=np.float32)
                self._index.add(keys, matrix.reshape(len(chunk), DIM))
                self._index_last_rowid = int(keys[-1])
            self._index.commit()
            rows = c.execute("SELECT rowid, title, body FROM passage_fts WHERE rowid > ?"
                             " ORDER BY rowid", (self._keywords_last_rowid,))
            while chunk := rows.fetchmany(SYNC_CHUNK):
                self._keywords.add(np.array([r[0] for r in chunk], dtype=np.int64),
                                   ([r[1] for r in chunk], [r[2] for r in chunk]))
                self._keywords_last_rowid = int(chunk[-1][0])
            self._index_version = version

    def _stored_vector(self, rowid: int) -> Optional[np.ndarray]:
        row = self._conn().execute("SELECT embedding FROM passages WHERE rowid=?",
                                   (rowid,)).fetchone()
        return _vector(row[0]) if row else None

    def load_indexes(self) -> None:
        self._sync_index()

    def vector_index_info(self) -> dict:
        """The vector index in use: exact or HNSW, and HNSW's measured recall@10."""
        self._sync_index()
        return self._index.describe()

    def vector_search(self, vector: np.ndarray, k: int) -> list[Hit]:
        self._sync_index()
        with self._index_lock:  # a sync in another thread moves rows while they are read
            keys, scores = self._index.search(vector, k)
        return self._hits(keys.tolist(), scores.tolist())

    def keyword_index_info(self) -> dict:
        self._sync_index()
        return self._keywords.describe()

    def keyword_search(self, query: str, k: int) -> list[Hit]:
        """BM25 over title (weight TITLE_WEIGHT) and body, from the in-memory index; the
        FTS5 table answers the rare query the index cannot answer exactly."""
        self._sync_index()
        found = self._keywords.search(list(dict.fromkeys(analyse(query))), k)
        if found is None:
            return self.fts_keyword_search(query, k)
        return self._hits(found[0].tolist(), found[1].tolist())

    def fts_keyword_search(self, query: str, k: int) -> list[Hit]:
        """The same BM25 ranking straight from the FTS5 table: the on-disk reference."""
        expression = match_expression(query)
        if not expression:
            return []
        rows = self._conn().execute(
            "SELECT p.id, -bm25(passage_fts, ?, 1.0) FROM passage_fts"
            " JOIN passages p ON p.rowid = passage_fts.rowid"
            " WHERE passage_fts MATCH ? ORDER BY bm25(passage_fts, ?, 1.0) LIMIT ?",
            (TITLE_WEIGHT, expression, TITLE_WEIGHT, k)).fetchall()
        return [Hit(pid, float(score)) for pid, score in rows]

    def _hits(self, rowids: list[int], scores: list[float]) -> list[Hit]:
        if not rowids:
            return []
        known = self._passage_ids  # rowid -> id; AUTOINCREMENT never gives a rowid twice
        missing = [r for r in rowids if r not in known]
        if missing:
            if len(known) + len(missing) > PASSAGE_ID_CACHE:
                # a new dict holding this search's rows, never clear(): another thread may
                # be reading the old one
                self._passage_ids = known = {r: known[r] for r in rowids if r in known}
            known.update(self._conn().execute(
                f"SELECT rowid, id FROM passages WHERE rowid IN ({_marks(missing)})", missing))
        # a row deleted since the index answered is dropped later, with its passage
        return [Hit(known[r], float(s)) for r, s in zip(rowids, scores) if r in known]

    # --- store settings ------------------------------------------------------------
    def meta_value(self, key: str) -> Optional[str]:
        row = self._conn().execute("SELECT value FROM meta WHERE key=?", (key,)).fetchone()
        return row[0] if row else None

    def put_meta_value(self, key: str, value: str, replace: bool = False) -> str:
        if self.readonly:
            raise StoreError(f"store {self.directory}: opened read-only")
        with self._write() as c:
            c.execute("INSERT OR REPLACE INTO meta(key, value) VALUES (?, ?)" if replace else
                      "INSERT OR IGNORE INTO meta(key, value) VALUES (?, ?)", (key, value))
            return c.execute("SELECT value FROM meta WHERE key=?", (key,)).fetchone()[0]

    # --- whole-store views ---------------------------------------------------------
    def stats(self) -> dict[str, int]:
        c = self._conn()
        return {name: c.execute(f"SELECT COUNT(*) FROM {table}").fetchone()[0]
                for name, table in (("articles", "articles"), ("passages", "passages"),
                                    ("concepts", "concepts"), ("mentions", "mentions"))}

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
                p.embedding = _vector(r[9])
            yield p

    def iter_mentions(self) -> Iterator[Mention]:
        for r in self._conn().execute(
                f"SELECT {self._MENTION_COLS} FROM mentions ORDER BY passage_id, iri, start_char"):
            yield Mention(*r)


# SQLite result codes (the primary code, the low byte of an extended one) that mean the file
# or its disk, not the statement, is at fault: reported as one line (a StoreError) wherever
# they arise, at open or in the middle of a read or a write, which is rolled back.
_DAMAGED = ("damaged", "damaged database file ({}): restore a backup, or ingest again into a"
                       " new store")
_FILE_FAULTS = {
    sqlite3.SQLITE_CORRUPT: _DAMAGED,
    sqlite3.SQLITE_NOTADB: _DAMAGED,
    sqlite3.SQLITE_FULL: ("disk full", "disk full ({}): this write was not stored; free space"
                                       " and run it again"),
    sqlite3.SQLITE_READONLY: ("read-only", "read-only ({}): reads work; a write needs a"
                                           " writable store"),
    sqlite3.SQLITE_IOERR: ("I/O error", "disk I/O error ({})"),
    sqlite3.SQLITE_CANTOPEN: ("cannot open", "cannot open the database file ({})"),
    sqlite3.SQLITE_PERM: ("permission denied", "permission denied ({})"),
}


def _file_fault(exc: sqlite3.Error, where) -> Optional[StoreFileError]:
    code = getattr(exc, "sqlite_errorcode", None)
    fault = _FILE_FAULTS.get(code & 0xFF) if isinstance(code, int) else None
    if fault is None:
        return None
    kind, template = fault
    return StoreFileError(f"store {where}: {template.format(exc)}", kind)


def _reporting_file_faults(cls):
    """Every public method of `cls` (and __init__) reports a file fault (see _FILE_FAULTS)
    as a StoreFileError naming the store, wherever SQLite raises it: at open, in a statement,
    or while a generator's rows are read. (Here, not in sqlite3 Connection and Cursor
    subclasses: Python 3.11 could crash collecting those.)"""
    for name, member in list(vars(cls).items()):
        if inspect.isfunction(member) and (not name.startswith("_") or name == "__init__"):
            setattr(cls, name, _translated(member))
    return cls


def _translated(method):
    def fault(self, exc: sqlite3.Error):
        found = _file_fault(exc, getattr(self, "directory", "?"))
        if found is None:
            raise exc
        raise found from None

    if inspect.isgeneratorfunction(method):
        @functools.wraps(method)
        def rows(self, *args, **kwargs):
            try:
                yield from method(self, *args, **kwargs)
            except sqlite3.Error as exc:
                fault(self, exc)
        return rows

    @functools.wraps(method)
    def call(self, *args, **kwargs):
        try:
            return method(self, *args, **kwargs)
        except sqlite3.Error as exc:
            fault(self, exc)
    return call


class _Transaction:
    def __init__(self, conn: sqlite3.Connection):
        self.conn = conn

    def __enter__(self) -> sqlite3.Connection:
        self.conn.execute("BEGIN IMMEDIATE")
        return self.conn

    def __exit__(self, exc_type, exc, tb):
        if exc_type is not None:
            self._rollback()
            return False
        try:
            self.conn.execute("COMMIT")
        except BaseException:
            # a COMMIT that fails (disk full while the WAL grows) leaves the transaction
            # open: undo it, so that the connection is not stuck inside it
            self._rollback()
            raise
        return False

    def _rollback(self) -> None:
        if self.conn.in_transaction:
            self.conn.execute("ROLLBACK")


def _marks(values: list) -> str:
    return ",".join("?" * len(values))


def _chunks(values: list, size: int = 500):
    for i in range(0, len(values), size):
        yield values[i:i + size]


_reporting_file_faults(SQLiteStore)
