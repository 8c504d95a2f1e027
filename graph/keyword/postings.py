"""An in-memory BM25 index that ranks exactly as SQLite FTS5's bm25() with column weights.

FTS5's bm25() (fts5_aux.c), for a row D and query phrases q:
    score = sum_q idf(q) * f(q,D) * (k1 + 1) / (f(q,D) + k1 * (1 - b + b * |D| / avgdl))
with k1 = 1.2, b = 0.75; f(q,D) the column-weighted count of q's instances in D; |D| the
row's token count over all columns; avgdl the store's tokens over its rows; and
idf(q) = ln((N - n(q) + 0.5) / (n(q) + 0.5)), floored at 1e-6, with N live rows and n(q)
rows holding q. Terms are added in query order, so scores match FTS5's to the last bit.

Postings live in segments, each a term-major CSR (term -> document positions and weighted
frequencies). New documents form a small segment; a segment at least half the size of the
one before it is merged into it, so there are O(log n) segments and each posting is copied
O(log n) times. Deleted documents are tombstones until their segment is merged."""
from __future__ import annotations

import math
import threading
from dataclasses import dataclass
from typing import Optional, Sequence

import numpy as np
from scipy.sparse import coo_matrix, csr_matrix

from citegraph.graph.keyword.base import KeywordIndex
from citegraph.graph.keyword.scoring import B, K1, Corpus, TermPostings, top_k
from citegraph.graph.keyword.tokens import text_tokens, word_tokens


@dataclass(frozen=True)
class _Segment:
    # terms x document positions: indices ascend within a term, data are float32
    # column-weighted term frequencies
    matrix: csr_matrix
    documents: int  # positions added in it, for the merge policy
    first: int  # the positions it holds are first .. end - 1
    end: int
    dropped: int  # of those, deleted ones whose postings were left out when it was made

    def postings(self, term: int) -> tuple[np.ndarray, np.ndarray]:
        m = self.matrix
        if term >= m.shape[0]:
            return m.indices[:0], m.data[:0]
        lo, hi = m.indptr[term], m.indptr[term + 1]
        return m.indices[lo:hi], m.data[lo:hi]

    def deleted_since(self, alive: np.ndarray) -> bool:
        """Whether documents were deleted here since its postings were made (their
        postings are still in it, to be skipped)."""
        span = self.end - self.first
        return span - int(np.count_nonzero(alive[self.first:self.end])) > self.dropped

    @property
    def postings_count(self) -> int:
        return self.matrix.nnz


def _term_postings(segments: tuple[_Segment, ...], stale: list[bool], term: int, size: int,
                   alive: np.ndarray) -> Optional[TermPostings]:
    """A term's postings below `size` in every segment, with its live documents counted;
    None when it has none."""
    parts, hits = [], 0
    for segment, deleted in zip(segments, stale):
        docs, freqs = segment.postings(term)
        if len(docs) and docs[-1] >= size:  # added after this search began
            cut = np.searchsorted(docs, size)
            docs, freqs = docs[:cut], freqs[:cut]
        if len(docs):
            hits += int(np.count_nonzero(alive[docs])) if deleted else len(docs)
            parts.append((docs, freqs, deleted))
    return TermPostings(parts, hits) if hits else None


def _segment(terms: np.ndarray, docs: np.ndarray, freqs: np.ndarray, vocabulary: int,
             size: int, documents: int) -> _Segment:
    """Postings from (term, position, weight) triples; repeated pairs are summed."""
    matrix = coo_matrix((freqs, (terms, docs)), shape=(vocabulary, size)).tocsr()
    matrix.sum_duplicates()
    return _Segment(matrix, documents, size - documents, size, 0)


class PostingsIndex(KeywordIndex):
    kind = "postings"

    def __init__(self, weights: Sequence[float] = (1.0,)):
        self.weights = tuple(float(w) for w in weights)
        self._vocabulary: dict[str, int] = {}
        self._segments: tuple[_Segment, ...] = ()
        self._size = 0  # positions used; keys, lengths and alive are valid up to here
        self._keys = np.empty(0, dtype=np.int64)
        self._lengths = np.empty(0, dtype=np.float64)
        self._alive = np.empty(0, dtype=bool)
        self._live = 0
        self._tokens = 0  # tokens of live documents, all columns
        self._write_lock = threading.Lock()
        self._norms_cache: tuple[float, np.ndarray] = (math.nan, np.empty(0))

    # --- writing ---------------------------------------------------------------------
    def _reserve(self, extra: int) -> None:
        needed = self._size + extra
        if needed <= len(self._keys):
            return
        capacity = max(needed, 2 * len(self._keys), 1024)
        for name, dtype in (("_keys", np.int64), ("_lengths", np.float64), ("_alive", bool)):
            grown = np.zeros(capacity, dtype=dtype)
            grown[:self._size] = getattr(self, name)[:self._size]
            setattr(self, name, grown)

    def add(self, keys: np.ndarray, columns: Sequence[Sequence[str]]) -> None:
        keys = np.asarray(keys, dtype=np.int64)
        if len(keys) == 0:
            return
        if len(columns) != len(self.weights):
            raise ValueError(f"{len(columns)} columns for {len(self.weights)} weights")
        with self._write_lock:
            if self._size and keys[0] <= self._keys[self._size - 1]:
                raise ValueError("keyword index keys must increase")
            start = self._size
            tokens: list[str] = []
            counts: list[int] = []  # tokens per (document, column), documents major
            for i in range(len(keys)):
                for column in columns:
                    words = text_tokens(column[i])
                    tokens.extend(words)
                    counts.append(len(words))
            term_ids = self._term_ids(tokens)
            counts_arr = np.asarray(counts, dtype=np.int64)
            positions = np.repeat(np.arange(start, start + len(keys)),
                                  counts_arr.reshape(len(keys), -1).sum(axis=1))
            weights = np.repeat(np.tile(np.asarray(self.weights), len(keys)), counts_arr)
            end = start + len(keys)
            self._reserve(len(keys))
            lengths = counts_arr.reshape(len(keys), -1).sum(axis=1)
            self._keys[start:end] = keys
            self._lengths[start:end] = lengths
            self._alive[start:end] = True
            segment = _segment(term_ids, positions.astype(np.int32), weights.astype(np.float32),
                               len(self._vocabulary), end, len(keys))
            self._segments = self._merged(self._segments + (segment,))
            self._live += len(keys)
            self._tokens += int(lengths.sum())
            self._size = end

    def _term_ids(self, tokens: list[str]) -> np.ndarray:
        """Term ids of the tokens, new terms numbered first (set and dict operations at C
        speed, no Python loop per token)."""
        vocabulary = self._vocabulary
        for term in sorted(set(tokens).difference(vocabulary)):
            vocabulary[term] = len(vocabulary)
        return np.fromiter(map(vocabulary.__getitem__, tokens), dtype=np.int32,
                           count=len(tokens))

    def _merged(self, segments: tuple[_Segment, ...]) -> tuple[_Segment, ...]:
        merged = list(segments)
        while len(merged) > 1 and 2 * merged[-1].documents >= merged[-2].documents:
            newer = merged.pop()
            older = merged.pop()
            merged.append(self._merge(older, newer))
        return tuple(merged)

    def _merge(self, older: _Segment, newer: _Segment) -> _Segment:
        """One segment from two, deleted documents' postings dropped. The two hold
        disjoint positions, so their sum (a linear merge of each term's sorted postings in
        scipy's C++) is their union."""
        older.matrix.resize(newer.matrix.shape)  # adds empty terms and positions only
        merged = older.matrix + newer.matrix
        dead = ~self._alive[merged.indices]
        if dead.any():
            merged.data[dead] = 0
            merged.eliminate_zeros()
        return _Segment(merged, older.documents + newer.documents, older.first, newer.end,
                        int(np.count_nonzero(~self._alive[older.first:newer.end])))

    def remove(self, keys: np.ndarray) -> None:
        keys = np.asarray(keys, dtype=np.int64)
        if len(keys) == 0 or self._size == 0:
            return
        with self._write_lock:
            stored = self._keys[:self._size]
            at = np.searchsorted(stored, keys).clip(0, self._size - 1)
            at = at[(stored[at] == keys) & self._alive[at]]
            self._alive[at] = False
            self._live -= len(at)
            self._tokens -= int(self._lengths[at].sum())

    # --- reading ---------------------------------------------------------------------
    def search(self, terms: list[str], k: int) -> Optional[tuple[np.ndarray, np.ndarray]]:
        """BM25 over the query phrases as FTS5 would see them: each term one phrase, in
        order, repeats kept. A term the tokenizer splits in two is an FTS5 phrase query,
        which a bag of words cannot answer: None, and the caller asks FTS5."""
        phrases = [word_tokens(t) for t in terms]
        if any(len(p) > 1 for p in phrases):
            return None
        segments, size, live, tokens = self._segments, self._size, self._live, self._tokens
        empty = (np.empty(0, dtype=np.int64), np.empty(0, dtype=np.float64))
        if k <= 0 or live <= 0:
            return empty
        alive = self._alive[:size]
        stale = [s.deleted_since(alive) for s in segments]
        query: list[TermPostings] = []
        for phrase in phrases:
            term = self._vocabulary.get(phrase[0]) if phrase else None
            if term is not None and (found := _term_postings(segments, stale, term, size,
                                                              alive)):
                query.append(found)
        if not query:
            return empty
        corpus = Corpus(self._norms(size, tokens / live), alive, live)
        top, scores = top_k(corpus, query, k)
        return self._keys[top], scores

    def _norms(self, size: int, avgdl: float) -> np.ndarray:
        """Per position, k1 * (1 - b + b * |D| / avgdl): kept until a write changes avgdl
        (one pass over the lengths then, instead of one over every posting a search)."""
        cached_avgdl, norms = self._norms_cache
        if cached_avgdl != avgdl or len(norms) < size:
            lengths = self._lengths[:size]
            norms = K1 * (1 - B + B * lengths / avgdl)
            self._norms_cache = (avgdl, norms)
        return norms[:size]

    def keys(self) -> np.ndarray:
        size = self._size
        return self._keys[:size][self._alive[:size]]

    def __len__(self) -> int:
        return self._live

    def describe(self) -> dict:
        return {"kind": self.kind, "documents": self._live, "terms": len(self._vocabulary),
                "segments": len(self._segments),
                "postings": int(sum(s.postings_count for s in self._segments))}
