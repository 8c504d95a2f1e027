"""The store's vector index: exact below a size threshold, HNSW above it, and only when the
HNSW index's measured recall@10 against exact search clears a floor.

An approximate index must never cost quality silently (DESIGN.md, Benchmarks): the switch
measures recall on sample stored vectors, widens the search beam until recall clears
`min_recall`, and otherwise stays exact. Either way the result is logged and kept in
`describe()`. The HNSW graph is cached beside the store, so a restart loads it instead of
rebuilding it."""
from __future__ import annotations

import json
import logging
from pathlib import Path
from typing import Callable, Optional

import numpy as np

from citegraph.graph.vectors.base import VectorIndex
from citegraph.graph.vectors.exact import ExactIndex
from citegraph.graph.vectors.hnsw import HNSWIndex  # usearch itself loads on first use

log = logging.getLogger("citegraph.vectors")

# Exact top-100 over 100k vectors took 10 ms p50 (2 cores, memory bound) against 1.6 ms for
# HNSW at recall@10 0.9985; SciFact nDCG@10 was the same either way (benchmarks/README.md)
ANN_THRESHOLD = 50_000
MIN_RECALL = 0.95
RECALL_QUERIES = 200
MAX_EXPANSION = 1024
SAVE_GROWTH = 0.02  # re-save the cached graph when it has grown by 2%


def measure_recall(exact: ExactIndex, ann: VectorIndex, queries: int = RECALL_QUERIES,
                   k: int = 10, seed: int = 0) -> float:
    """Mean recall@k of `ann` against `exact`, querying with sample stored vectors; each
    query's own vector is left out of both lists, so it cannot flatter the figure."""
    n = len(exact)
    if n <= k:
        return 1.0
    rows = np.random.default_rng(seed).choice(n, size=min(queries, n), replace=False)
    vectors = exact.matrix[rows]
    truth = exact.search_many(vectors, k + 1)
    total = 0.0
    for key, vector, (true_keys, _) in zip(exact.keys()[rows], vectors, truth):
        found, _ = ann.search(vector, k + 1)
        want = [t for t in true_keys.tolist() if t != key][:k]
        got = [f for f in found.tolist() if f != key][:k]
        total += len(set(want) & set(got)) / len(want)
    return total / len(rows)


class AdaptiveIndex(VectorIndex):
    def __init__(self, dim: int = 384, threshold: Optional[int] = None,
                 min_recall: float = MIN_RECALL, cache: Optional[Path] = None,
                 threads: int = 0):
        """`threshold`: vectors above which HNSW is tried (None: ANN_THRESHOLD; 0: always
        exact); `threads`: usearch's threads when building, and the parts of a large exact
        product (0: every core)."""
        self.dim = dim
        self.threshold = ANN_THRESHOLD if threshold is None else threshold
        self.threads = threads
        self.min_recall = min_recall
        self.cache = Path(cache) if cache else None
        self.last_recall: Optional[float] = None  # of the latest HNSW build, kept or not
        self._active: ExactIndex | HNSWIndex = ExactIndex(dim, threads)
        self._saved_size = 0
        self._load_cache()

    # --- cache --------------------------------------------------------------------------
    def _meta_path(self) -> Path:
        assert self.cache is not None  # only asked for with a cache
        return self.cache.with_suffix(".json")

    def _load_cache(self) -> None:
        if not (self.threshold and self.cache and self.cache.exists()):
            return
        try:
            index = HNSWIndex.load(self.cache, self.dim)
            index.threads = self.threads
            meta = json.loads(self._meta_path().read_text())
        except (OSError, ValueError, RuntimeError) as exc:
            log.warning("vector index cache %s unusable (%s): rebuilding", self.cache, exc)
            return
        index.recall_at_10 = self.last_recall = meta.get("recall_at_10")
        index.expansion_search = int(meta.get("expansion_search", index.expansion_search))
        self._active, self._saved_size = index, len(index)

    def resume(self, lookup: Callable[[int], Optional[np.ndarray]]) -> int:
        """After loading the cached graph: check that its newest vector is still the store's
        vector under that key (else the cache belongs to another store and is dropped) and
        return that key, the point to catch up from."""
        if not isinstance(self._active, HNSWIndex) or len(self._active) == 0:
            return 0
        newest = int(self._active.keys().max())
        stored = lookup(newest)
        cached = self._active.vectors(np.array([newest]))[0]
        if stored is not None and np.allclose(stored, cached, atol=2e-3):
            return newest
        log.warning("vector index cache %s does not match the store: rebuilding", self.cache)
        self._active, self._saved_size = ExactIndex(self.dim, self.threads), 0
        return 0

    def commit(self) -> None:
        """End of a batch of adds: switch to HNSW if the index has crossed the threshold,
        and save the cached graph if it has grown."""
        if isinstance(self._active, ExactIndex) and self.threshold \
                and len(self._active) >= self.threshold:
            self._upgrade()
        if not isinstance(self._active, HNSWIndex) or self.cache is None:
            return
        if len(self._active) - self._saved_size <= SAVE_GROWTH * max(self._saved_size, 1) \
                and self._saved_size:
            return
        try:
            self._active.save(self.cache)
            self._meta_path().write_text(json.dumps(self._active.describe()))
            self._saved_size = len(self._active)
        except OSError as exc:  # a read-only store directory: keep it in memory only
            log.warning("vector index cache %s not saved: %s", self.cache, exc)

    # --- switching ----------------------------------------------------------------------
    def _upgrade(self) -> None:
        exact = self._active
        assert isinstance(exact, ExactIndex)  # only exact search is upgraded
        log.info("building HNSW index over %d vectors", len(exact))
        ann = HNSWIndex(self.dim, threads=self.threads)
        ann.add(exact.keys(), exact.matrix)
        recall = measure_recall(exact, ann)
        while recall < self.min_recall and ann.expansion_search < MAX_EXPANSION:
            ann.expansion_search *= 2
            recall = measure_recall(exact, ann)
        self.last_recall = ann.recall_at_10 = recall
        if recall < self.min_recall:
            log.warning("HNSW recall@10 %.3f below %.3f: keeping exact search over %d vectors",
                        recall, self.min_recall, len(exact))
            self.threshold = 0  # do not rebuild on every add
            return
        log.info("HNSW index: recall@10 %.3f against exact (expansion %d)", recall,
                 ann.expansion_search)
        self._active = ann

    # --- VectorIndex --------------------------------------------------------------------
    def add(self, keys: np.ndarray, vectors: np.ndarray) -> None:
        self._active.add(keys, vectors)

    def remove(self, keys: np.ndarray) -> None:
        self._active.remove(keys)

    def search(self, vector: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
        return self._active.search(vector, k)

    def keys(self) -> np.ndarray:
        return self._active.keys()

    def __len__(self) -> int:
        return len(self._active)

    @property
    def kind(self) -> str:
        return self._active.kind

    def describe(self) -> dict:
        out = self._active.describe()
        out.update(threshold=self.threshold, min_recall=self.min_recall)
        if self.last_recall is not None:
            out["recall_at_10"] = self.last_recall
        return out
