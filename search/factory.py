"""Retrievers by mode name: what `ask --mode`, `eval` and the web app choose from."""
from __future__ import annotations

from citegraph.graph.base import GraphStore
from citegraph.search.concept_signal import ConceptRetriever
from citegraph.search.retrievers import DenseRetriever, HybridRetriever, KeywordRetriever, Retriever

MODES = ("hybrid", "dense", "bm25", "hybrid-rrf")


def build_retriever(store: GraphStore, mode: str = "hybrid") -> Retriever:
    if mode == "dense":
        return DenseRetriever(store)
    if mode == "bm25":
        return KeywordRetriever(store)
    if mode == "hybrid":
        return HybridRetriever([DenseRetriever(store), KeywordRetriever(store),
                                ConceptRetriever(store)])
    if mode == "hybrid-rrf":  # the previous fusion, kept for comparison in `citegraph eval`
        return HybridRetriever([DenseRetriever(store), KeywordRetriever(store)], fusion="rrf")
    raise ValueError(f"mode: {mode!r} is not dense, bm25, hybrid or hybrid-rrf")
