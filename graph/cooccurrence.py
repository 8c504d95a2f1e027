"""Concept co-occurrence as counts that every backend keeps up to date in the transaction of
each write that changes mentions, and the association weights computed from them when read.

Stored: for each pair of concepts (a < b) the passages mentioning both; for each concept the
passages mentioning it; and the passages with any mention at all (N). A write that changes
the mentions of some passages reads the concept sets of those passages before and after, and
adds the difference (`delta`), so an unchanged passage costs nothing and the counts always
equal a full recount (`counts_of`) of the committed mentions.

Weights (`association`): pointwise mutual information of the pair over passages,
PMI = log(n_ab * N / (n_a * n_b)), and its normalised form NPMI = PMI / -log(n_ab / N) in
[-1, 1] (1: the two concepts only ever occur together; 0: independent).
"""
from __future__ import annotations

import math
from collections import Counter
from dataclasses import dataclass, field
from itertools import combinations
from typing import Iterable, Mapping


@dataclass(frozen=True)
class CoOccurrence:
    """One concept co-occurring with another: the passages mentioning both, and weights."""
    other: str
    count: int  # passages mentioning both concepts
    passages: list[str]  # their ids, sorted
    pmi: float
    npmi: float


@dataclass
class CoOccurrenceCounts:
    """Counts (or signed differences of counts); zero entries are left out."""
    pairs: Counter = field(default_factory=Counter)  # (a, b), a < b -> passages with both
    concepts: Counter = field(default_factory=Counter)  # iri -> passages mentioning it
    passages: int = 0  # passages with any mention

    def add(self, iris: Iterable[str], sign: int = 1) -> None:
        """Count one passage whose mentions are of `iris`."""
        iris = sorted(set(iris))
        if not iris:
            return
        self.passages += sign
        for iri in iris:
            self.concepts[iri] += sign
        for pair in combinations(iris, 2):
            self.pairs[pair] += sign

    def prune(self) -> CoOccurrenceCounts:
        self.pairs = Counter({k: v for k, v in self.pairs.items() if v})
        self.concepts = Counter({k: v for k, v in self.concepts.items() if v})
        return self

    def __bool__(self) -> bool:
        return bool(self.pairs or self.concepts or self.passages)


def counts_of(concept_sets: Iterable[Iterable[str]]) -> CoOccurrenceCounts:
    """Full counts of passages given as the concept sets of their mentions."""
    counts = CoOccurrenceCounts()
    for iris in concept_sets:
        counts.add(iris)
    return counts.prune()


def delta(before: Mapping[str, Iterable[str]],
          after: Mapping[str, Iterable[str]]) -> CoOccurrenceCounts:
    """What to add to the counts when passages' concept sets go from `before` to `after`
    (passage id -> iris; a passage absent from a side has no mentions there)."""
    out = CoOccurrenceCounts()
    for pid in set(before) | set(after):
        old, new = set(before.get(pid, ())), set(after.get(pid, ()))
        if old != new:
            out.add(old, -1)
            out.add(new, +1)
    return out.prune()


def association(count: int, total_a: int, total_b: int, passages: int) -> tuple[float, float]:
    """(PMI, NPMI) of a pair seen in `count` passages, its concepts in `total_a` and
    `total_b`, out of `passages` passages with any mention. (0, 0) when undefined."""
    if count <= 0 or total_a <= 0 or total_b <= 0 or passages <= 0:
        return 0.0, 0.0
    pmi = math.log(count * passages / (total_a * total_b))
    joint = count / passages
    npmi = 1.0 if joint >= 1.0 else pmi / -math.log(joint)
    return pmi, max(-1.0, min(1.0, npmi))


def co_occurrence(other: str, count: int, passages: Iterable[str], total_a: int,
                  total_b: int, total: int) -> CoOccurrence:
    pmi, npmi = association(int(count), int(total_a or 0), int(total_b or 0), int(total or 0))
    return CoOccurrence(other, int(count), sorted(set(passages)), round(pmi, 6),
                        round(npmi, 6))
