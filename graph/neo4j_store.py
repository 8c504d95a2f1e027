"""The Neo4j backend's former module path, kept for its importers: graph/neo4j/ holds it now."""
from citegraph.graph.neo4j import Neo4jStore, lucene_query

__all__ = ["Neo4jStore", "lucene_query"]
