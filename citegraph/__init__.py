"""Citegraph: a knowledge graph and semantic search over collections of articles.

The folders graph/, ingest/, ontology/, search/ and webapp/ install as citegraph.graph, … (see
pyproject.toml); this package also holds the settings, the shared text utilities, the
embedder and the command line."""

__version__ = "0.1.0"
