"""The Neo4j backend (graph/neo4j/store.py), one concern a module."""
from citegraph.graph.neo4j.retrieval import lucene_query
from citegraph.graph.neo4j.store import Neo4jStore

__all__ = ["Neo4jStore", "lucene_query"]
