"""Co-occurrence counts on Neo4j (graph/cooccurrence.py), kept by every write that changes
mentions: the concept sets of the passages it touches are read before and after, in its own
transaction, and the difference is added to the counts."""
from __future__ import annotations

from typing import Iterable

from citegraph.graph import cypher
from citegraph.graph.cooccurrence import CoOccurrence, CoOccurrenceCounts, co_occurrence
from citegraph.graph.neo4j.session import Neo4jSession


class Neo4jCoOccurrence(Neo4jSession):
    def _concept_sets(self, tx, article_ids: Iterable[str],
                      passage_ids: Iterable[str]) -> dict[str, set[str]]:
        rows = self._run(tx, cypher.passage_concepts(), article_ids=list(article_ids),
                         ids=list(passage_ids))
        return {r["id"]: set(r["iris"]) for r in rows if r["iris"]}

    def _add_cooccurrence(self, tx, change: CoOccurrenceCounts) -> None:
        if change.pairs:
            self._run(tx, cypher.add_cooccurrence_pairs(),
                      rows=[{"a": a, "b": b, "n": int(n)} for (a, b), n in change.pairs.items()])
        if change.concepts:
            self._run(tx, cypher.add_concept_passages(),
                      rows=[{"iri": iri, "n": int(n)} for iri, n in change.concepts.items()])
        if change.passages:
            self._run(tx, cypher.add_mentioned_passages(), n=int(change.passages))

    def rebuild_cooccurrence(self) -> None:
        def work(tx):
            self._run(tx, cypher.delete_cooccurrence())
            self._run(tx, cypher.build_cooccurrence())
            self._run(tx, cypher.build_concept_passages())
            self._run(tx, cypher.build_mentioned_passages())

        self._execute("write", work)

    def cooccurrence_counts(self) -> CoOccurrenceCounts:
        rows = self._read(cypher.cooccurrence_counts())
        counts = CoOccurrenceCounts()
        if rows:
            counts.passages = int(rows[0]["passages"] or 0)
            counts.pairs.update({(a, b): int(n) for a, b, n in rows[0]["pairs"]})
            counts.concepts.update({iri: int(n) for iri, n in rows[0]["concepts"]})
        return counts.prune()

    def co_occurrences(self, iri: str, limit: int = 20) -> list[CoOccurrence]:
        rows = self._read(cypher.co_occurring(), iri=iri, limit=int(limit))
        return [co_occurrence(r["iri"], r["count"], r["passages"], r["concept_passages"],
                              r["other_passages"], r["passages_total"]) for r in rows]
