"""Exact cosine search: one contiguous float32 matrix, a matrix-vector product, argpartition.

The matrix grows by doubling its capacity, so loading a large store in chunks and adding
passages one article at a time both cost amortised O(1) copies per vector."""
from __future__ import annotations

import os
import threading
from concurrent.futures import ThreadPoolExecutor

import numpy as np

from citegraph.graph.vectors.base import VectorIndex

# Above this many stored floats (64 MB of float32) the product is bound by memory bandwidth,
# which a second core nearly doubles (100k x 384 on 2 cores: 12.7 ms on one thread, 7.5 ms on
# two); below it splitting gained nothing measurable (10k x 384 in the server: 1.43 vs 1.47 ms).
SPLIT_FLOATS = 16_000_000

_pool_lock = threading.Lock()
_pools: dict[int, ThreadPoolExecutor] = {}


def _pool(workers: int) -> ThreadPoolExecutor:
    with _pool_lock:
        if workers not in _pools:
            _pools[workers] = ThreadPoolExecutor(max_workers=workers,
                                                 thread_name_prefix="citegraph-exact")
        return _pools[workers]


class ExactIndex(VectorIndex):
    kind = "exact"

    def __init__(self, dim: int = 384, threads: int = 0):
        """`threads`: how many parts a large product is split into, each on a thread of its
        own (numpy releases the GIL while it multiplies); 0: one per core. numpy's BLAS
        itself is kept to one thread by the entry point (citegraph/settings.py)."""
        self.dim = dim
        self.threads = threads or os.cpu_count() or 1
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
        scores = self._scores(np.asarray(vectors, dtype=np.float32))
        k = min(k, n)
        out = []
        for row in scores:
            # the k largest without negating a copy of every score first
            top = np.argpartition(row, n - k)[n - k:] if k < n else np.arange(n)
            top = top[np.argsort(-row[top], kind="stable")]
            out.append((self.keys()[top], row[top]))
        return out

    def _scores(self, vectors: np.ndarray) -> np.ndarray:
        matrix = self.matrix
        parts = min(self.threads, matrix.size // SPLIT_FLOATS + 1)
        if parts < 2:
            return vectors @ matrix.T
        scores = np.empty((len(vectors), len(matrix)), dtype=np.float32)
        bounds = np.linspace(0, len(matrix), parts + 1).astype(int)

        def part(i: int) -> None:
            lo, hi = bounds[i], bounds[i + 1]
            np.matmul(vectors, matrix[lo:hi].T, out=scores[:, lo:hi])

        list(_pool(parts).map(part, range(parts)))
        return scores

    def keys(self) -> np.ndarray:
        return self._keys_buf[:self._size]

    def __len__(self) -> int:
        return self._size

    def describe(self) -> dict:
        return {"kind": self.kind, "vectors": self._size}
