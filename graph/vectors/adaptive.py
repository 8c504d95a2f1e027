"""The store's vector index: exact below a size threshold, HNSW above it, and only when the
HNSW index's measured recall@10 against exact search clears a floor.

An approximate index must never cost quality silently (DESIGN.md, Benchmarks): the switch
measures recall on sample stored vectors, widens the search beam until recall clears
`min_recall`, and otherwise stays exact. Either way the result is logged and kept in
`describe()`. The HNSW graph is cached beside the store, so a restart loads it instead of
rebuilding it.

A store past the threshold when it is first opened is built straight into HNSW from chunks
of its vectors (`build`), its recall checked against exact top-k computed over the same
chunks: no float32 matrix of every vector is held on the way (1.5 GB at a million)."""
from __future__ import annotations

import json
import logging
from pathlib import Path
from typing import Callable, Iterable, Iterator, Optional

import numpy as np

from citegraph.graph.vectors.base import VectorIndex
from citegraph.graph.vectors.exact import ExactIndex
from citegraph.graph.vectors.hnsw import ExactVectors, HNSWIndex  # usearch loads on first use

log = logging.getLogger("citegraph.vectors")

# Exact top-100 over 100k vectors took 10 ms p50 (2 cores, memory bound) against 1.6 ms for
# HNSW at recall@10 0.9985; SciFact nDCG@10 was the same either way (benchmarks/README.md)
ANN_THRESHOLD = 50_000
MIN_RECALL = 0.95
RECALL_QUERIES = 200
MAX_EXPANSION = 1024
SAVE_GROWTH = 0.02  # re-save the cached graph when it has grown by 2%


Chunks = Iterable[tuple[np.ndarray, np.ndarray]]  # (keys, float32 rows) a step


def measure_recall(exact: ExactIndex, ann: VectorIndex, queries: int = RECALL_QUERIES,
                   k: int = 10, seed: int = 0) -> float:
    """Mean recall@k of `ann` against `exact`, querying with sample stored vectors; each
    query's own vector is left out of both lists, so it cannot flatter the figure."""
    n = len(exact)
    if n <= k:
        return 1.0
    rows = np.random.default_rng(seed).choice(n, size=min(queries, n), replace=False)
    vectors = exact.matrix[rows]
    truth = [keys for keys, _ in exact.search_many(vectors, k + 1)]
    return recall_against(truth, exact.keys()[rows], vectors, ann, k)


def recall_against(truth: list[np.ndarray], query_keys: np.ndarray, queries: np.ndarray,
                   ann: VectorIndex, k: int = 10) -> float:
    """Mean recall@k of `ann` for stored vectors as queries, given their exact top-(k+1)."""
    total = 0.0
    for key, vector, true_keys in zip(query_keys.tolist(), queries, truth):
        found, _ = ann.search(vector, k + 1)
        want = [t for t in true_keys.tolist() if t != key][:k]
        got = [f for f in found.tolist() if f != key][:k]
        total += len(set(want) & set(got)) / max(len(want), 1)
    return total / max(len(query_keys), 1)


def streamed_top_k(queries: np.ndarray, chunks: Chunks, k: int,
                   consume: Callable[[np.ndarray, np.ndarray], None]) -> list[np.ndarray]:
    """Exact top-k keys of each query over vectors arriving in chunks (each chunk is also
    handed to `consume`), holding one chunk and k candidates a query at a time."""
    best_keys = np.empty((len(queries), 0), dtype=np.int64)
    best_scores = np.empty((len(queries), 0), dtype=np.float32)
    for keys, matrix in chunks:
        consume(keys, matrix)
        keys_all = np.concatenate([best_keys, np.broadcast_to(keys, (len(queries), len(keys)))],
                                  axis=1)
        scores = np.concatenate([best_scores, queries @ matrix.T], axis=1)
        if scores.shape[1] > k:
            top = np.argpartition(-scores, k - 1, axis=1)[:, :k]
            keys_all = np.take_along_axis(keys_all, top, axis=1)
            scores = np.take_along_axis(scores, top, axis=1)
        best_keys, best_scores = keys_all, scores
    order = np.argsort(-best_scores, axis=1, kind="stable")
    return list(np.take_along_axis(best_keys, order, axis=1))


class AdaptiveIndex(VectorIndex):
    def __init__(self, dim: int = 384, threshold: Optional[int] = None,
                 min_recall: float = MIN_RECALL, cache: Optional[Path] = None,
                 threads: int = 0, precision: str = "f16",
                 exact_vectors: Optional[ExactVectors] = None):
        """`threshold`: vectors above which HNSW is tried (None: ANN_THRESHOLD; 0: always
        exact); `threads`: usearch's threads when building, and the parts of a large exact
        product (0: every core); `precision`: the HNSW graph's vectors, `f16` or `i8`
        (rescored with `exact_vectors`, see graph/vectors/hnsw.py)."""
        self.dim = dim
        self.precision = precision
        self.exact_vectors = exact_vectors
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
            index = HNSWIndex.load(self.cache, self.dim, self.precision, self.exact_vectors)
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
        # cosine, not closeness: an int8 copy is a few per cent off in every component
        if stored is not None and float(stored @ cached) >= 0.99 * np.linalg.norm(cached):
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
    def _new_hnsw(self) -> HNSWIndex:
        return HNSWIndex(self.dim, threads=self.threads, precision=self.precision,
                         exact_vectors=self.exact_vectors)

    def _upgrade(self) -> None:
        exact = self._active
        assert isinstance(exact, ExactIndex)  # only exact search is upgraded
        log.info("building HNSW index over %d vectors", len(exact))
        ann = self._new_hnsw()
        ann.add(exact.keys(), exact.matrix)
        rows = np.random.default_rng(0).choice(len(exact), size=min(RECALL_QUERIES, len(exact)),
                                               replace=False)
        truth = [keys for keys, _ in exact.search_many(exact.matrix[rows], 11)]
        self._adopt(ann, truth, exact.keys()[rows], exact.matrix[rows])

    def wants_build(self, count: int) -> bool:
        """Whether `count` vectors, arriving in an empty index, go straight into HNSW."""
        return bool(self.threshold) and len(self._active) == 0 and count >= self.threshold

    def build(self, chunks: Callable[[], Iterator[tuple[np.ndarray, np.ndarray]]],
              samples: tuple[np.ndarray, np.ndarray]) -> None:
        """Fill an empty index with every vector, read in chunks (`chunks()` starts a fresh
        pass): into HNSW, recall measured with `samples` (stored keys and their vectors) as
        queries against their exact top-k over the same chunks; if recall stays below the
        floor, a second pass fills exact search instead."""
        assert len(self._active) == 0  # see wants_build
        ann = self._new_hnsw()
        sample_keys, sample_vectors = samples
        log.info("building HNSW index from chunks of stored vectors")
        truth = streamed_top_k(sample_vectors, chunks(), 11, ann.add)
        if not self._adopt(ann, truth, sample_keys, sample_vectors):
            for keys, matrix in chunks():
                self._active.add(keys, matrix)

    def _adopt(self, ann: HNSWIndex, truth: list[np.ndarray], query_keys: np.ndarray,
               queries: np.ndarray) -> bool:
        """Widen `ann`'s beam until its recall@10 clears the floor, then search with it;
        False (and exact search kept) if it never does."""
        recall = recall_against(truth, query_keys, queries, ann) if len(ann) > 10 else 1.0
        while recall < self.min_recall and ann.expansion_search < MAX_EXPANSION:
            ann.expansion_search *= 2
            recall = recall_against(truth, query_keys, queries, ann)
        self.last_recall = ann.recall_at_10 = recall
        if recall < self.min_recall:
            log.warning("HNSW recall@10 %.3f below %.3f: keeping exact search over %d vectors",
                        recall, self.min_recall, len(ann))
            self.threshold = 0  # do not rebuild on every add
            return False
        log.info("HNSW index: recall@10 %.3f against exact (expansion %d, %s vectors%s)",
                 recall, ann.expansion_search, ann.precision,
                 ", rescored" if ann.rescoring else "")
        self._active = ann
        return True

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
