"""Concept linking: which concepts of the scheme each passage mentions.

Two methods, one `Mention` per (passage, concept):
- lexical: the scheme's pref/alt/hidden labels found by an Aho-Corasick matcher on
  normalised text (ontology/labels.py), with the exact surface span inside the passage;
- semantic: a passage whose embedding is close to a concept's embedding (label, alt labels
  and definition) gets a weaker `embedding` mention when no label of it occurs.
"""
from __future__ import annotations

from functools import cached_property

import numpy as np

from citegraph.graph.models import Concept, Mention, Passage
from citegraph.ontology.labels import LabelMatcher, entries_for

LEXICAL_SCORE = {"label": 1.0, "alt_label": 0.9, "hidden_label": 0.8}
# Cosine between passage and concept embeddings above which a concept is linked without a
# label in the text. Calibrated on tests/data/linker_gold.jsonl: below ~0.6 the added
# mentions are mostly wrong (sibling roles such as "chief experience officer" next to a
# passage about chief customer officers); at 0.65, top-1, they cost under one point of
# precision. The gold set is strict about what a passage names, so they add no recall there.
EMBEDDING_THRESHOLD = 0.65
EMBEDDING_MAX_PER_PASSAGE = 1
EMBEDDING_SCORE_SCALE = 0.8  # keeps embedding mentions below label mentions
# `suggest`: concepts scoring at least this (a label in the text scores 0.8-1.0; without a
# label, cosine x EMBEDDING_SCORE_SCALE, so 0.5 is a cosine of 0.625).
SUGGEST_THRESHOLD = 0.5
SUGGEST_LIMIT = 10


def concept_text(concept: Concept) -> str:
    """What a concept's embedding is computed from."""
    names = ", ".join([concept.label, *concept.alt_labels[:4]])
    return f"{names}: {concept.definition}" if concept.definition else names


class ConceptLinker:
    def __init__(self, concepts: list[Concept], embedder=None,
                 threshold: float = EMBEDDING_THRESHOLD,
                 max_per_passage: int = EMBEDDING_MAX_PER_PASSAGE):
        self.concepts = list(concepts)
        self.embedder = embedder
        self.threshold = threshold
        self.max_per_passage = max_per_passage
        self.matcher = LabelMatcher(entries_for(self.concepts))

    @cached_property
    def concept_vectors(self) -> np.ndarray:
        """Unit vectors, one row per concept, embedded once per linker."""
        texts = [concept_text(c) for c in self.concepts]
        return np.asarray(self.embedder.encode(texts), dtype=np.float32)

    def link(self, passages: list[Passage]) -> list[Mention]:
        mentions = []
        for p in passages:
            mentions += self.lexical(p)
        if self.embedder is not None and self.concepts:
            mentions += self.semantic(passages, mentions)
        return mentions

    def lexical(self, passage: Passage) -> list[Mention]:
        best: dict[str, Mention] = {}
        for m in self.matcher.find(passage.text):
            kind = "alt_label" if m.kind == "hidden_label" else m.kind
            mention = Mention(passage.id, m.iri, LEXICAL_SCORE[m.kind], kind, m.start, m.end,
                              passage.text[m.start:m.end])
            if m.iri not in best or mention.score > best[m.iri].score:
                best[m.iri] = mention  # the first occurrence of the strongest label
        return list(best.values())

    def similarities(self, passages: list[Passage]) -> np.ndarray:
        """Cosine of each passage embedding with each concept embedding."""
        matrix = np.stack([np.asarray(p.embedding, dtype=np.float32) for p in passages])
        return matrix @ self.concept_vectors.T

    def semantic(self, passages: list[Passage], lexical: list[Mention]) -> list[Mention]:
        usable = [p for p in passages if p.embedding is not None]
        if not usable:
            return []
        linked = {(m.passage_id, m.iri) for m in lexical}
        sims = self.similarities(usable)
        out = []
        for p, row in zip(usable, sims):
            order = np.argsort(-row)[: self.max_per_passage]
            for j in order:
                iri = self.concepts[j].iri
                if row[j] >= self.threshold and (p.id, iri) not in linked:
                    out.append(Mention(p.id, iri, round(float(row[j]) * EMBEDDING_SCORE_SCALE, 4),
                                       "embedding"))
        return out

    def suggest(self, text: str, limit: int = SUGGEST_LIMIT,
                threshold: float = SUGGEST_THRESHOLD) -> list[tuple[Concept, float]]:
        """The concepts `text` is about, best first: a label found in it scores as a lexical
        mention; every concept also scores its embedding similarity (scaled as an embedding
        mention) when an embedder is set; the higher of the two counts."""
        scores: dict[str, float] = {}
        probe = Passage("suggest#0", "suggest", 0, text, 0, len(text))
        for m in self.lexical(probe):
            scores[m.iri] = max(scores.get(m.iri, 0.0), m.score)
        if self.embedder is not None and self.concepts and text.strip():
            vector = np.asarray(self.embedder.encode([text]), dtype=np.float32)[0]
            sims = self.concept_vectors @ vector
            for c, sim in zip(self.concepts, sims):
                score = round(float(sim) * EMBEDDING_SCORE_SCALE, 4)
                if score > scores.get(c.iri, 0.0):
                    scores[c.iri] = score
        by_iri = {c.iri: c for c in self.concepts}
        ranked = sorted(((by_iri[i], s) for i, s in scores.items() if s >= threshold),
                        key=lambda cs: (-cs[1], cs[0].label))
        return ranked[:max(0, int(limit))]
