"""Keyword (BM25) indexes behind one small interface. The FTS5 table in the SQLite file stays
the source of truth on disk; the in-memory postings index scores exactly as FTS5's bm25()."""
from citegraph.graph.keyword.base import KeywordIndex
from citegraph.graph.keyword.postings import PostingsIndex

__all__ = ["KeywordIndex", "PostingsIndex"]
