"""The embedded default store: one SQLite file (WAL, one transaction per article), FTS5 for
BM25, embeddings as float32 blobs searched by a vector index kept in memory. FTS5 keeps the
analysed text on disk; BM25 is answered by an in-memory postings index scoring exactly as
FTS5's bm25() (an FTS5 OR-query costs ~50-400 ms at 100k passages).

Other processes may write to the same file (an ingest while the server runs): every write
bumps a version number in `meta`, and the in-memory indexes catch up before a search.

One part per concern of the contract (graph/base.py), each in its own module: connection
and settings (connection.py), articles and passages (articles.py), concepts and mentions
(concepts.py), co-occurrence (cooccurrence.py), vector and keyword search (indexes.py).
"""
from __future__ import annotations

import os
from typing import Optional

from citegraph.graph.base import GraphStore
from citegraph.graph.sqlite.articles import SQLiteArticles
from citegraph.graph.sqlite.concepts import SQLiteConcepts
from citegraph.graph.sqlite.connection import SQLiteConnection, reporting_file_faults
from citegraph.graph.sqlite.cooccurrence import SQLiteCoOccurrence
from citegraph.graph.sqlite.indexes import SQLiteIndexes


class SQLiteStore(SQLiteArticles, SQLiteConcepts, SQLiteCoOccurrence, SQLiteIndexes,
                  GraphStore):
    def __init__(self, directory: str | os.PathLike, readonly: bool = False,
                 ann_threshold: Optional[int] = None, index_threads: int = 0,
                 ann_precision: str = "i8"):
        """`ann_threshold`: vectors above which HNSW may replace exact search (None: the
        index's default; 0: always exact); `index_threads`: usearch's threads (0: all);
        `ann_precision`: the HNSW graph's vectors, `f16` or `i8` (graph/vectors/hnsw.py)."""
        self._open(directory, readonly)
        self._open_indexes(ann_threshold, index_threads, ann_precision)
        self._create_schema()

    def stats(self) -> dict[str, int]:
        c = self._conn()
        return {name: c.execute(f"SELECT COUNT(*) FROM {table}").fetchone()[0]
                for name, table in (("articles", "articles"), ("passages", "passages"),
                                    ("concepts", "concepts"), ("mentions", "mentions"))}


# every public method of every part reports SQLite's file faults as one line
for _part in (SQLiteConnection, SQLiteArticles, SQLiteConcepts, SQLiteCoOccurrence,
              SQLiteIndexes, SQLiteStore):
    reporting_file_faults(_part)
