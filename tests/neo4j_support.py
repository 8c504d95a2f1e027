"""Fixtures for the tests that need a live Neo4j (marked `neo4j`). Owned by the Neo4j work;
conftest.py loads this module as a plugin."""
from __future__ import annotations
