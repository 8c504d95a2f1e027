"""The SQLite store's schema: defined in graph/sqlite/schema.py; this module keeps the name
existing callers import it by."""
from citegraph.graph.sqlite.schema import (COOCCUR_PASSAGES, FTS_TOKENIZE, MIGRATIONS, SCHEMA,
                                           SCHEMA_VERSION)

__all__ = ["COOCCUR_PASSAGES", "FTS_TOKENIZE", "MIGRATIONS", "SCHEMA", "SCHEMA_VERSION"]
