"""Exact cosine search: one contiguous float32 matrix, a matrix-vector product, argpartition."""
from __future__ import annotations

import numpy as np

from graph.vectors.base import VectorIndex


class ExactIndex(VectorIndex):
    def __init__(self, dim: int = 384):
        self.dim = dim
        self._keys = np.empty(0, dtype=np.int64)
        self._matrix = np.empty((0, dim), dtype=np.float32)

    def add(self, keys: np.ndarray, vectors: np.ndarray) -> None:
        if len(keys) == 0:
            return
        vectors = np.asarray(vectors, dtype=np.float32).reshape(len(keys), self.dim)
        self._keys = np.concatenate([self._keys, np.asarray(keys, dtype=np.int64)])
        self._matrix = np.concatenate([self._matrix, vectors])

    def remove(self, keys: np.ndarray) -> None:
        if len(keys) == 0 or len(self._keys) == 0:
            return
        keep = ~np.isin(self._keys, np.asarray(keys, dtype=np.int64))
        self._keys = self._keys[keep]
        self._matrix = np.ascontiguousarray(self._matrix[keep])

    def search(self, vector: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
        n = len(self._keys)
        if n == 0 or k <= 0:
            return np.empty(0, dtype=np.int64), np.empty(0, dtype=np.float32)
        scores = self._matrix @ np.asarray(vector, dtype=np.float32)
        k = min(k, n)
        top = np.argpartition(-scores, k - 1)[:k] if k < n else np.arange(n)
        top = top[np.argsort(-scores[top], kind="stable")]
        return self._keys[top], scores[top]

    def keys(self) -> np.ndarray:
        return self._keys
