"""Open the store named by `--store` / CITEGRAPH_STORE: a directory or a Neo4j URI."""
from __future__ import annotations

import os

from graph.base import GraphStore

DEFAULT_STORE = "./citegraph-data"
NEO4J_SCHEMES = ("neo4j://", "neo4j+s://", "neo4j+ssc://", "bolt://", "bolt+s://", "bolt+ssc://")


def store_spec(spec: str | None = None) -> str:
    return spec or os.environ.get("CITEGRAPH_STORE") or DEFAULT_STORE


def is_neo4j(spec: str) -> bool:
    return spec.startswith(NEO4J_SCHEMES)


def open_store(spec: str | None = None, readonly: bool = False) -> GraphStore:
    spec = store_spec(spec)
    if is_neo4j(spec):
        from graph.neo4j_store import Neo4jStore  # imported only when asked for

        return Neo4jStore.from_env(spec)
    from graph.sqlite_store import SQLiteStore

    return SQLiteStore(spec, readonly=readonly)
