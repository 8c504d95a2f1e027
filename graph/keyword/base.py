"""The keyword index interface: integer keys to documents of analysed text columns, searched
with BM25 over a list of query terms."""
from __future__ import annotations

from abc import ABC, abstractmethod
from typing import Optional, Sequence

import numpy as np


class KeywordIndex(ABC):
    @abstractmethod
    def add(self, keys: np.ndarray, columns: Sequence[Sequence[str]]) -> None:
        """Add documents under increasing integer keys; `columns[c][i]` is the analysed
        text of column c of document i."""

    @abstractmethod
    def remove(self, keys: np.ndarray) -> None: ...

    @abstractmethod
    def search(self, terms: list[str], k: int) -> Optional[tuple[np.ndarray, np.ndarray]]:
        """(keys, BM25 scores) of the k best documents matching any term, best first; None
        when the query cannot be answered exactly here (the caller asks the FTS5 table)."""

    @abstractmethod
    def keys(self) -> np.ndarray: ...

    def __len__(self) -> int:
        return len(self.keys())

    def describe(self) -> dict:
        return {"kind": type(self).__name__, "documents": len(self)}
