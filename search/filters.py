"""Search restricted to the passages that mention one concept: the usual retriever asked for a
deeper list, then filtered, so scores and ranks mean what they mean without the filter."""
from __future__ import annotations

from citegraph.graph.base import GraphStore
from citegraph.graph.models import Hit
from citegraph.search.retrievers import Query, Retriever

POOL = 1000  # candidates examined; a mentioned passage ranked below this is not returned
MAX_MENTIONS = 100_000


class ConceptFilter(Retriever):
    name = "concept"

    def __init__(self, base: Retriever, store: GraphStore, iri: str, pool: int = POOL):
        self.base = base
        self.pool = pool
        self.allowed = {m.passage_id for m in store.concept_mentions(iri, MAX_MENTIONS)}

    def _search(self, query: Query, k: int) -> list[Hit]:
        if not self.allowed:
            return []
        hits = self.base.retrieve(query, max(k, self.pool))
        return [h for h in hits if h.passage_id in self.allowed][:k]
