"""Open a store by its spec: a directory (embedded SQLite) or a Neo4j URI."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Optional

from citegraph.graph.base import GraphStore
from citegraph.graph.uri import NEO4J_SCHEMES, is_neo4j

__all__ = ["StoreOptions", "open_store", "store_exists", "is_neo4j", "NEO4J_SCHEMES"]


@dataclass(frozen=True)
class StoreOptions:
    """What a backend needs beyond the spec; the entry points fill it from Settings."""
    ann_threshold: Optional[int] = None  # embedded: None keeps the index's default
    index_threads: int = 0
    ann_precision: str = "i8"  # embedded: the HNSW graph's vectors (settings.ann_precision)
    neo4j_user: str = "neo4j"
    neo4j_password: Optional[str] = None
    neo4j_database: Optional[str] = None


def open_store(spec: str, readonly: bool = False,
               options: StoreOptions = StoreOptions()) -> GraphStore:
    if is_neo4j(spec):
        from citegraph.graph.neo4j import Neo4jStore  # the driver loads only when asked

        return Neo4jStore.connect(spec, options.neo4j_user, options.neo4j_password,
                                  options.neo4j_database)
    from citegraph.graph.sqlite.store import SQLiteStore

    return SQLiteStore(spec, readonly=readonly, ann_threshold=options.ann_threshold,
                       index_threads=options.index_threads,
                       ann_precision=options.ann_precision)


def store_exists(spec: str) -> bool:
    """Whether `spec` names a store already there (a Neo4j URI always does)."""
    if is_neo4j(spec):
        return True
    from pathlib import Path

    from citegraph.graph.sqlite.connection import DB_FILE

    return (Path(spec) / DB_FILE).exists()
