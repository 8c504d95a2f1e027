"""Exact cosine search: one contiguous float32 matrix, a matrix-vector product, argpartition.

The matrix grows by doubling its capacity, so loading a large store in chunks and adding
passages one article at a time both cost amortised O(1) copies per vector."""
from __future__ import annotations

import threading
from contextlib import contextmanager

import numpy as np

from citegraph.graph.vectors.base import VectorIndex

_blas_lock = threading.Lock()
_blas_state: dict = {"controller": None, "users": 0, "limiter": None}


@contextmanager
def single_threaded_blas():
    """numpy's BLAS on one thread for the enclosed product only (threadpoolctl), instead of
    process-wide BLAS variables: on a small machine a threaded product fought the model's own
    threads for the cores and multiplied query latency, while a process-wide MKL limit halved
    the model. Counted, so that concurrent searches restore the original limit once, last."""
    with _blas_lock:
        state = _blas_state
        if state["users"] == 0:
            if state["controller"] is None:
                from threadpoolctl import ThreadpoolController

                state["controller"] = ThreadpoolController()
            state["limiter"] = state["controller"].limit(limits=1, user_api="blas")
        state["users"] += 1
    try:
        yield
    finally:
        with _blas_lock:
            state["users"] -= 1
            if state["users"] == 0:
                state["limiter"].restore_original_limits()
                state["limiter"] = None


class ExactIndex(VectorIndex):
    kind = "exact"

    def __init__(self, dim: int = 384):
        self.dim = dim
        self._size = 0
        self._keys_buf = np.empty(0, dtype=np.int64)
        self._matrix_buf = np.empty((0, dim), dtype=np.float32)

    @property
    def matrix(self) -> np.ndarray:
        """The stored vectors, rows in the order of `keys()` (a view, not a copy)."""
        return self._matrix_buf[:self._size]

    def _reserve(self, extra: int) -> None:
        needed = self._size + extra
        if needed <= len(self._keys_buf):
            return
        capacity = max(needed, 2 * len(self._keys_buf), 1024)
        keys = np.empty(capacity, dtype=np.int64)
        matrix = np.empty((capacity, self.dim), dtype=np.float32)
        keys[:self._size] = self._keys_buf[:self._size]
        matrix[:self._size] = self._matrix_buf[:self._size]
        self._keys_buf, self._matrix_buf = keys, matrix

    def add(self, keys: np.ndarray, vectors: np.ndarray) -> None:
        if len(keys) == 0:
            return
        vectors = np.asarray(vectors, dtype=np.float32).reshape(len(keys), self.dim)
        self._reserve(len(keys))
        end = self._size + len(keys)
        self._keys_buf[self._size:end] = np.asarray(keys, dtype=np.int64)
        self._matrix_buf[self._size:end] = vectors
        self._size = end

    def remove(self, keys: np.ndarray) -> None:
        if len(keys) == 0 or self._size == 0:
            return
        keep = ~np.isin(self.keys(), np.asarray(keys, dtype=np.int64))
        kept = int(keep.sum())
        self._keys_buf[:kept] = self.keys()[keep]
        self._matrix_buf[:kept] = self.matrix[keep]
        self._size = kept

    def search(self, vector: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
        return self.search_many(np.asarray(vector, dtype=np.float32).reshape(1, self.dim), k)[0]

    def search_many(self, vectors: np.ndarray, k: int) -> list[tuple[np.ndarray, np.ndarray]]:
        """Exact top-k for a batch of queries: one matrix product for all of them."""
        n = self._size
        if n == 0 or k <= 0:
            empty = (np.empty(0, dtype=np.int64), np.empty(0, dtype=np.float32))
            return [empty for _ in range(len(vectors))]
        with single_threaded_blas():
            scores = np.asarray(vectors, dtype=np.float32) @ self.matrix.T
        k = min(k, n)
        out = []
        for row in scores:
            top = np.argpartition(-row, k - 1)[:k] if k < n else np.arange(n)
            top = top[np.argsort(-row[top], kind="stable")]
            out.append((self.keys()[top], row[top]))
        return out

    def keys(self) -> np.ndarray:
        return self._keys_buf[:self._size]

    def __len__(self) -> int:
        return self._size

    def describe(self) -> dict:
        return {"kind": self.kind, "vectors": self._size}
