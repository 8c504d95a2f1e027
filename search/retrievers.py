"""Retrievers share one template: `retrieve(query, k)` → ranked passage hits.

Dense and keyword retrievers ask the store; the hybrid one fuses the others."""
from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass, field
from typing import Any, Optional

import numpy as np

from citegraph.graph.base import GraphStore
from citegraph.graph.models import Hit
from citegraph.search.fusion import normalised_score_sum, reciprocal_rank_fusion


@dataclass
class Query:
    text: str
    embedder: Any = field(repr=False, default=None)  # citegraph.embedding.Embedder
    _vector: Optional[np.ndarray] = field(default=None, repr=False)
    # explain: every signal retriever (dense, bm25, concept) records the raw scores of the
    # list it returned here, signal -> passage id -> score, for "why this result"
    explain: bool = False
    signals: dict[str, dict[str, float]] = field(default_factory=dict, repr=False)

    @property
    def vector(self) -> np.ndarray:
        """Embedded once, on first use, and shared by every retriever."""
        if self._vector is None:
            self._vector = self.embedder.encode_query(self.text)
        return self._vector


class Retriever(ABC):
    name = "base"
    signal: Optional[str] = None  # the name its list's scores are explained under

    def retrieve(self, query: Query, k: int) -> list[Hit]:
        if k <= 0 or not query.text.strip():
            return []
        hits = self._search(query, k)
        if query.explain and self.signal is not None:
            query.signals[self.signal] = {h.passage_id: h.score for h in hits}
        return hits

    @abstractmethod
    def _search(self, query: Query, k: int) -> list[Hit]: ...


class DenseRetriever(Retriever):
    name = "dense"
    signal = "dense"  # cosine similarity

    def __init__(self, store: GraphStore):
        self.store = store

    def _search(self, query: Query, k: int) -> list[Hit]:
        return self.store.vector_search(query.vector, k)


class KeywordRetriever(Retriever):
    name = "bm25"
    signal = "bm25"  # BM25

    def __init__(self, store: GraphStore):
        self.store = store

    def _search(self, query: Query, k: int) -> list[Hit]:
        return self.store.keyword_search(query.text, k)


# Weights of the score-normalised sum, tuned on the tuning half of SciFact train
# (search.evaluation.tuning_halves): BM25 carries SciFact's exact terminology, dense the
# paraphrases. A signal not tuned here gets a modest share, so it reorders near-ties.
FUSION_WEIGHTS = {"dense": 0.4, "bm25": 0.6}
OTHER_SIGNAL_WEIGHT = 0.2
FUSION_DEPTH = 100  # hits per list that are normalised and fused


class HybridRetriever(Retriever):
    """Fusion of several retrievers' ranked lists: a weighted sum of min-max-normalised
    scores (`fusion="score"`, the default) or reciprocal-rank fusion (`fusion="rrf"`).
    With `query.explain`, each list's raw scores are kept on the query (Retriever.retrieve);
    the ranking is the same either way."""

    name = "hybrid"

    def __init__(self, retrievers: list[Retriever], weights: Optional[list[float]] = None,
                 depth: int = FUSION_DEPTH, rrf_k: int = 60, fusion: str = "score"):
        if fusion not in ("score", "rrf"):
            raise ValueError(f"fusion: {fusion!r} is not score or rrf")
        self.retrievers = retrievers
        self.weights = weights or [FUSION_WEIGHTS.get(r.name, OTHER_SIGNAL_WEIGHT)
                                   if fusion == "score" else 1.0 for r in retrievers]
        self.depth = depth
        self.rrf_k = rrf_k
        self.fusion = fusion

    def _search(self, query: Query, k: int) -> list[Hit]:
        depth = max(self.depth, k)
        lists = [r.retrieve(query, depth) for r in self.retrievers]
        if self.fusion == "rrf":
            return reciprocal_rank_fusion(lists, self.weights, self.rrf_k)[:k]
        return normalised_score_sum(lists, self.weights, self.depth)[:k]
