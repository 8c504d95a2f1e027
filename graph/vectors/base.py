"""The vector index interface: integer keys to normalised float32 vectors."""
from __future__ import annotations

from abc import ABC, abstractmethod

import numpy as np


class VectorIndex(ABC):
    @abstractmethod
    def add(self, keys: np.ndarray, vectors: np.ndarray) -> None:
        """Add vectors under integer keys (keys not already present)."""

    @abstractmethod
    def remove(self, keys: np.ndarray) -> None: ...

    @abstractmethod
    def search(self, vector: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
        """(keys, cosine scores) of the k nearest vectors, best first."""

    @abstractmethod
    def keys(self) -> np.ndarray: ...

    def __len__(self) -> int:
        return len(self.keys())

    def describe(self) -> dict:
        """What the index is and, for an approximate one, its measured recall."""
        return {"kind": type(self).__name__, "vectors": len(self)}
