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

    def ready_for(self, k: int) -> bool:
        """Whether a top-k search leaves the index as it is (searches that do can share it
        between threads); else `widen_for(k)` first, with the index to oneself."""
        return True

    def widen_for(self, k: int) -> None:
        """Make the index ready for top-k searches (see ready_for)."""

    def __len__(self) -> int:
        return len(self.keys())

    def describe(self) -> dict:
        """What the index is and, for an approximate one, its measured recall."""
        return {"kind": type(self).__name__, "vectors": len(self)}
