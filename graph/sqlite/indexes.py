"""The SQLite store's searches: its embeddings in an in-memory vector index (exact or HNSW)
and its FTS5 text in an in-memory BM25 postings index, both brought up to the file's
committed state before a search (another process may have written since)."""
from __future__ import annotations

import threading
from typing import Iterator, Optional

import numpy as np

from citegraph.graph.analysis import match_expression, query_terms
from citegraph.graph.base import KeywordSearch, VectorSearch
from citegraph.graph.keyword import PostingsIndex
from citegraph.graph.models import EMBEDDING_DIM as DIM, Hit
from citegraph.graph.sqlite.articles import vector
from citegraph.graph.sqlite.connection import SQLiteConnection
from citegraph.graph.sqlite.counts import marks
from citegraph.graph.vectors import AdaptiveIndex
from citegraph.graph.vectors.adaptive import RECALL_QUERIES

TITLE_WEIGHT = 2.0  # BM25 weight of the article title column against the passage body
SYNC_CHUNK = 20_000  # embedding rows read per step when loading the vector index
LOOKUP_CHUNK = 500  # rowids an IN (...) lookup names, well under SQLite's variable limit
PASSAGE_ID_CACHE = 200_000  # rowid -> id pairs kept (some 30 MB at most)


class SQLiteIndexes(SQLiteConnection, VectorSearch, KeywordSearch):
    def _open_indexes(self, ann_threshold: Optional[int], index_threads: int,
                      ann_precision: str = "i8") -> None:
        # one vector search at a time: a readers-writer lock letting searches overlap gained
        # nothing on 2 cores (most of a search holds the GIL; benchmarks/README.md)
        self._index_lock = threading.Lock()
        # exact below a size threshold, HNSW above it once its recall is measured; an int8
        # graph's candidates are rescored with their float32 vectors read from the file
        self._index = AdaptiveIndex(DIM, threshold=ann_threshold,
                                    cache=self.directory / "vectors.usearch",
                                    threads=index_threads, precision=ann_precision,
                                    exact_vectors=self._stored_vectors)
        self._index_version: Optional[str] = None
        # the passage ids of index rows, looked up once: two SQL lookups of 100 rowids cost
        # a tenth of a search at 10k passages
        self._passage_ids: dict[int, str] = {}
        self._index_last_rowid = 0
        self._keywords = PostingsIndex((TITLE_WEIGHT, 1.0))  # columns of passage_fts
        self._keywords_last_rowid = 0

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
            newer = present[present > self._index_last_rowid]
            if self._index.wants_build(len(newer)):  # straight into HNSW, chunk by chunk
                self._index.build(lambda: self._vector_chunks(0), self._samples(present))
                self._index_last_rowid = int(newer.max())
            self._keywords.remove(np.setdiff1d(self._keywords.keys(), present,
                                               assume_unique=True))
            for keys, matrix in self._vector_chunks(self._index_last_rowid):
                self._index.add(keys, matrix)
                self._index_last_rowid = int(keys[-1])
            self._index.commit()
            rows = c.execute("SELECT rowid, title, body FROM passage_fts WHERE rowid > ?"
                             " ORDER BY rowid", (self._keywords_last_rowid,))
            while chunk := rows.fetchmany(SYNC_CHUNK):
                self._keywords.add(np.array([r[0] for r in chunk], dtype=np.int64),
                                   ([r[1] for r in chunk], [r[2] for r in chunk]))
                self._keywords_last_rowid = int(chunk[-1][0])
            self._index_version = version

    def _vector_chunks(self, after: int) -> Iterator[tuple[np.ndarray, np.ndarray]]:
        """Stored vectors with rowids above `after`, SYNC_CHUNK rows a step (bounded memory
        on large stores)."""
        rows = self._conn().execute("SELECT rowid, embedding FROM passages WHERE rowid > ?"
                                    " ORDER BY rowid", (after,))
        while chunk := rows.fetchmany(SYNC_CHUNK):
            keys = np.array([r[0] for r in chunk], dtype=np.int64)
            matrix = np.frombuffer(b"".join(r[1] for r in chunk), dtype=np.float32)
            yield keys, matrix.reshape(len(chunk), DIM)

    def _samples(self, present: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Sample stored vectors, the queries of an index build's recall check."""
        rng = np.random.default_rng(0)
        keys = np.sort(rng.choice(present, size=min(RECALL_QUERIES, len(present)),
                                  replace=False))
        return self._stored_vectors(keys)

    def _stored_vectors(self, rowids: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """The float32 vectors of the given rowids, in their order; rowids no longer stored
        are left out."""
        found: dict[int, bytes] = {}
        ids: dict[int, str] = {}
        wanted = [int(r) for r in rowids]
        for i in range(0, len(wanted), LOOKUP_CHUNK):
            part = wanted[i:i + LOOKUP_CHUNK]
            for rowid, passage_id, embedding in self._conn().execute(
                    f"SELECT rowid, id, embedding FROM passages WHERE rowid IN ({marks(part)})",
                    part):
                found[rowid], ids[rowid] = embedding, passage_id
        # the rows are read anyway: their passage ids spare _hits a second lookup of them
        if len(self._passage_ids) + len(ids) <= PASSAGE_ID_CACHE:
            self._passage_ids.update(ids)
        keys = np.array([r for r in wanted if r in found], dtype=np.int64)
        matrix = np.frombuffer(b"".join(found[r] for r in keys.tolist()), dtype=np.float32)
        return keys, matrix.reshape(len(keys), DIM)

    def _stored_vector(self, rowid: int) -> Optional[np.ndarray]:
        row = self._conn().execute("SELECT embedding FROM passages WHERE rowid=?",
                                   (rowid,)).fetchone()
        return vector(row[0]) if row else None

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
        found = self._keywords.search(query_terms(query), k)
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
                f"SELECT rowid, id FROM passages WHERE rowid IN ({marks(missing)})", missing))
        # a row deleted since the index answered is dropped later, with its passage
        return [Hit(known[r], float(s)) for r, s in zip(rowids, scores) if r in known]
