"""An approximate index: usearch's HNSW graph, inner-product metric (vectors are unit length,
so inner product is cosine), at a recall that must be measured (see graph/vectors/adaptive.py)
before it replaces exact search.

The graph keeps its vectors as float16 (`f16`: half of float32, scores read from it) or int8
(`i8`: a quarter of float32). int8 alone ranks too coarsely (recall@10 0.91 on clustered unit
vectors, where float16 gives 0.9995), so an int8 index asks the graph for a few more
candidates than wanted and rescores them with their float32 vectors read from the store
(`exact_vectors`): recall@10 0.9995 again, with no float32 matrix held in memory."""
from __future__ import annotations

import os
from pathlib import Path
from typing import Callable, Optional

import numpy as np

from citegraph.graph.vectors.base import VectorIndex

CONNECTIVITY = 16
EXPANSION_ADD = 128
# an int8 graph picks each vector's neighbours from coarser distances: a wider beam when
# adding makes up for it (SciFact queries' recall@200 after rescoring 0.991 with 128, 0.997
# with 256; float16 0.996)
EXPANSION_ADD_I8 = 256
EXPANSION_SEARCH = 128
PRECISIONS = ("f16", "i8")
# candidates rescored for a top-k: 2k + 20 (top-10: 40, which gave recall@10 0.9995 on 50k
# clustered vectors; top-100, the hybrid fusion's depth: 220)
RESCORE_FACTOR = 2
RESCORE_EXTRA = 20

# float32 rows of the given keys, in their order; keys no longer stored are left out
ExactVectors = Callable[[np.ndarray], tuple[np.ndarray, np.ndarray]]


def rescore_candidates(k: int) -> int:
    return RESCORE_FACTOR * k + RESCORE_EXTRA


class HNSWIndex(VectorIndex):
    kind = "hnsw"

    def __init__(self, dim: int = 384, expansion_search: int = EXPANSION_SEARCH, index=None,
                 threads: int = 0, precision: str = "f16",
                 exact_vectors: Optional[ExactVectors] = None):
        """`exact_vectors`: where an int8 index reads the float32 vectors of its candidates
        (None: scores straight from the graph, which an int8 graph ranks coarsely)."""
        from usearch.index import Index

        if precision not in PRECISIONS:
            raise ValueError(f"HNSW precision {precision!r} is not one of {PRECISIONS}")
        self.dim = dim
        self.threads = threads  # usearch's own pool when adding; 0: every core
        self._index = index if index is not None else Index(
            ndim=dim, metric="ip", dtype=precision, connectivity=CONNECTIVITY,
            expansion_add=EXPANSION_ADD_I8 if precision == "i8" else EXPANSION_ADD,
            expansion_search=expansion_search)
        self.exact_vectors = exact_vectors
        self.recall_at_10: float | None = None

    @property
    def precision(self) -> str:
        return str(self._index.dtype).rsplit(".", 1)[-1].lower()

    @property
    def rescoring(self) -> bool:
        return self.exact_vectors is not None and self.precision == "i8"

    @property
    def expansion_search(self) -> int:
        return self._index.expansion_search

    @expansion_search.setter
    def expansion_search(self, value: int) -> None:
        self._index.expansion_search = value

    def add(self, keys: np.ndarray, vectors: np.ndarray) -> None:
        if len(keys) == 0:
            return
        keys = np.asarray(keys, dtype=np.uint64)
        vectors = np.asarray(vectors, dtype=np.float32).reshape(len(keys), self.dim)
        new = ~self._index.contains(keys) if len(self._index) else np.ones(len(keys), bool)
        if new.any():
            self._index.add(keys[new], vectors[new], threads=self.threads)

    def remove(self, keys: np.ndarray) -> None:
        if len(keys) and len(self._index):
            self._index.remove(np.asarray(keys, dtype=np.uint64))

    def search(self, vector: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
        if k <= 0 or len(self._index) == 0:
            return np.empty(0, dtype=np.int64), np.empty(0, dtype=np.float32)
        vector = np.asarray(vector, dtype=np.float32).reshape(self.dim)
        wanted = rescore_candidates(k) if self.rescoring else k
        # the graph search keeps `expansion` candidates: at least twice k, since a beam
        # barely wider than k misses several of a top-100 (hybrid search fuses 100 per list;
        # StackFAQ dense recall@100 0.992 with a beam of 128, 1.0 with 200)
        self._index.expansion_search = max(self._index.expansion_search, 2 * k, wanted)
        matches = self._index.search(vector, wanted)
        keys = np.asarray(matches.keys, dtype=np.int64)
        if not self.rescoring:
            return keys, (1.0 - np.asarray(matches.distances, dtype=np.float32))
        assert self.exact_vectors is not None  # rescoring says so
        keys, matrix = self.exact_vectors(keys)
        scores = matrix @ vector
        order = np.argsort(-scores, kind="stable")[:k]
        return keys[order], scores[order]

    def vectors(self, keys: np.ndarray) -> np.ndarray:
        got = self._index.get(np.asarray(keys, dtype=np.uint64), dtype=np.float32)
        return np.stack(got) if isinstance(got, tuple) else np.asarray(got)

    def keys(self) -> np.ndarray:
        return np.asarray(self._index.keys, dtype=np.int64)

    def __len__(self) -> int:
        return len(self._index)

    @property
    def memory_bytes(self) -> int:
        return int(self._index.memory_usage)

    def save(self, path: Path) -> None:
        tmp = path.with_suffix(path.suffix + ".tmp")
        self._index.save(str(tmp))
        os.replace(tmp, path)  # readers never see half a file

    @classmethod
    def load(cls, path: Path, dim: int, precision: Optional[str] = None,
             exact_vectors: Optional[ExactVectors] = None) -> "HNSWIndex":
        """The graph saved at `path`; ValueError if it is not of `dim` dimensions or, when
        `precision` is given, keeps its vectors at another precision."""
        from usearch.index import Index

        index = Index.restore(str(path))
        if index is None or index.ndim != dim:
            raise ValueError(f"{path}: not a {dim}-dimension usearch index")
        loaded = cls(dim, index=index, exact_vectors=exact_vectors)
        if precision is not None and loaded.precision != precision:
            raise ValueError(f"{path}: {loaded.precision} vectors, {precision} wanted")
        return loaded

    def describe(self) -> dict:
        return {"kind": self.kind, "vectors": len(self), "recall_at_10": self.recall_at_10,
                "expansion_search": self.expansion_search, "precision": self.precision,
                "rescored": self.rescoring}
