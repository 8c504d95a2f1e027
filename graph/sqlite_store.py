"""The embedded SQLite store: its code lives in the package graph/sqlite/; this module keeps
the name the callers and existing scripts import it by."""
from citegraph.graph.sqlite.connection import DB_FILE
from citegraph.graph.sqlite.store import SQLiteStore

__all__ = ["DB_FILE", "SQLiteStore"]
