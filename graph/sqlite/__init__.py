"""The embedded SQLite backend, one module per concern: the store is graph/sqlite/store.py
(imported from there: graph/keyword reads this package's schema, so nothing is imported
here)."""
