"""The concept signal: a question that names a concept (by any of its labels) ranks the
passages that mention it, and more weakly those mentioning its narrower and related concepts.
It is one more ranked list for `HybridRetriever`; a question that names no concept gives an
empty list and leaves the fusion as it was."""
from __future__ import annotations

from functools import cached_property

from citegraph.graph.base import GraphStore
from citegraph.graph.models import Hit
from citegraph.ontology.labels import LabelMatcher, entries_for
from citegraph.search.retrievers import Query, Retriever

NARROWER_WEIGHT = 0.5
RELATED_WEIGHT = 0.3
MENTIONS_PER_CONCEPT = 1000  # strongest mentions read per concept


class ConceptRetriever(Retriever):
    name = "concepts"
    signal = "concept"  # Σ weight × mention score over the concepts the question names

    def __init__(self, store: GraphStore, narrower_weight: float = NARROWER_WEIGHT,
                 related_weight: float = RELATED_WEIGHT):
        self.store = store
        self.narrower_weight = narrower_weight
        self.related_weight = related_weight

    @cached_property
    def matcher(self) -> LabelMatcher:
        """The stored scheme's labels, read once per retriever."""
        return LabelMatcher(entries_for(self.store.iter_concepts()))

    def concept_weights(self, text: str) -> dict[str, float]:
        """Concepts a question names (weight 1) and their narrower and related concepts."""
        named = {m.iri for m in self.matcher.find(text)}
        weights = dict.fromkeys(named, 1.0)
        for iri in named:
            concept = self.store.get_concept(iri)
            spread = [(n, self.narrower_weight) for n in self.store.narrower(iri)]
            spread += [(r, self.related_weight) for r in (concept.related if concept else [])]
            for other, weight in spread:
                weights[other] = max(weights.get(other, 0.0), weight)
        return weights

    def _search(self, query: Query, k: int) -> list[Hit]:
        weights = self.concept_weights(query.text)
        scores: dict[str, float] = {}
        for iri, weight in weights.items():
            for m in self.store.concept_mentions(iri, MENTIONS_PER_CONCEPT):
                scores[m.passage_id] = scores.get(m.passage_id, 0.0) + weight * m.score
        ranked = sorted(scores.items(), key=lambda item: (-item[1], item[0]))[:k]
        return [Hit(pid, score) for pid, score in ranked]
