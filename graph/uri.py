"""Which store specs name a Neo4j server."""
from __future__ import annotations

NEO4J_SCHEMES = ("neo4j://", "neo4j+s://", "neo4j+ssc://", "bolt://", "bolt+s://", "bolt+ssc://")


def is_neo4j(spec: str) -> bool:
    return spec.startswith(NEO4J_SCHEMES)
