"""The k best documents by BM25 over a postings index's segments, scored as FTS5 scores.

Every posting of the query's terms is scored, in one vectorised pass a term, and added to a
per-position total in query order, so each score is FTS5's to the last bit. What is not
done is ranking every matched document (half a million at 1M passages for a common
query): θ, a score at least k live documents reach, is taken first from the rarest terms'
best documents scored exactly, and only the documents scoring θ or more are ranked.

Pruning the scoring itself (MaxScore: skip the commonest terms' postings once their bounds
cannot lift a document into the top k) was tried on 1M passages of SciFact text and was
slower: the bounds from a term's largest frequency and shortest document were too loose
to leave few candidates, and looking each candidate up cost more than scoring in full."""
from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

K1 = 1.2
B = 0.75
MIN_IDF = 1e-6
# θ is taken from at most this many of a term's documents (more: better θ, slower)
THETA_POOL = 1024


@dataclass
class TermPostings:
    """One query term's postings in a snapshot of the index, per segment: positions
    (ascending, below the snapshot's size), weighted frequencies, and whether the segment
    has deleted documents whose postings are still there."""
    parts: list[tuple[np.ndarray, np.ndarray, bool]]
    hits: int  # live documents holding the term
    idf: float = 0.0


@dataclass(frozen=True)
class Corpus:
    """What scores depend on besides the postings: per position whether the document is
    alive and its length normalisation k1 * (1 - b + b * |D| / avgdl), the double FTS5
    computes for it; and the live documents' count."""
    norms: np.ndarray
    alive: np.ndarray
    live: int

    def idf(self, hits: int) -> float:
        idf = math.log((self.live - hits + 0.5) / (hits + 0.5))
        return idf if idf > 0.0 else MIN_IDF

    def share(self, weights: np.ndarray, docs: np.ndarray) -> np.ndarray:
        """f * (k1 + 1) / (f + norm) for postings of frequencies `weights` in `docs`, in
        doubles and in fts5Bm25Function's order; its idf multiplies it."""
        f = weights.astype(np.float64)
        share = f * (K1 + 1.0)
        f += self.norms[docs]
        share /= f
        return share

    def dense(self, terms: list[TermPostings]) -> np.ndarray:
        """Every position's score, each summed in query order: ufunc.at adds in the
        order given, and a term holds a document once."""
        total = np.zeros(len(self.norms))
        for term in terms:
            for held, weights, _ in term.parts:
                added = self.share(weights, held)
                added *= term.idf
                np.add.at(total, held, added)
        return total

    def exact(self, terms: list[TermPostings], docs: np.ndarray) -> np.ndarray:
        """The same scores for the given positions only (ascending), each term's postings
        searched for them; a term a document lacks adds nothing, as FTS5 adds 0.0."""
        total = np.zeros(len(docs))
        for term in terms:
            added = np.zeros(len(docs))
            for held, weights, _ in term.parts:
                at = np.searchsorted(held, docs).clip(max=len(held) - 1)
                found = held[at] == docs
                added[found] = term.idf * self.share(weights[at[found]], docs[found])
            total += added
        return total

    def own_best(self, term: TermPostings, n: int) -> np.ndarray:
        """The term's n best live documents by its own contribution (all of them when it
        has no more), ascending."""
        docs = np.concatenate([held for held, _, _ in term.parts])
        weights = np.concatenate([w for _, w, _ in term.parts])
        if any(stale for _, _, stale in term.parts):
            live = self.alive[docs]
            docs, weights = docs[live], weights[live]
        if len(docs) <= n:
            return docs
        share = self.share(weights, docs)  # the idf is the same for all
        return np.sort(docs[np.argpartition(-share, n - 1)[:n]])


def _best(docs: np.ndarray, scores: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
    """The k best, best first, older positions first among equal scores."""
    order = np.lexsort((docs, -scores))[:k]
    return docs[order], scores[order]


def _theta_pool(corpus: Corpus, terms: list[TermPostings], k: int) -> np.ndarray:
    """Live documents to take θ from: every document of the rarest terms while they hold
    fewer than k, then the next term's best by its own contribution. Fewer than k only
    when fewer than k documents match at all; then it holds every one."""
    pool = np.empty(0, dtype=np.int64)
    for term in sorted(terms, key=lambda t: t.hits):
        pool = np.union1d(pool, corpus.own_best(term, max(THETA_POOL, k)))
        if len(pool) >= k:
            break
    return pool


def top_k(corpus: Corpus, terms: list[TermPostings], k: int) -> tuple[np.ndarray, np.ndarray]:
    """(positions, scores) of the k best live documents, best first, older first among
    equal scores; `terms` in query order, each with its live hits counted."""
    for term in terms:
        term.idf = corpus.idf(term.hits)
    pool = _theta_pool(corpus, terms, k)
    pool_scores = corpus.exact(terms, pool)
    if len(pool) < k:  # every matched document
        return _best(pool, pool_scores, k)
    theta = np.partition(pool_scores, len(pool) - k)[len(pool) - k]
    scores = corpus.dense(terms)
    chosen = np.flatnonzero(scores >= theta)
    chosen = chosen[corpus.alive[chosen]]
    return _best(chosen, scores[chosen], k)
