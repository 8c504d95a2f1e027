"""Concepts (the stored scheme) and mentions on Neo4j."""
from __future__ import annotations

import json
from typing import Callable, Optional

from citegraph.graph import cypher
from citegraph.graph.cooccurrence import delta
from citegraph.graph.models import Concept, Mention
from citegraph.graph.neo4j import records
from citegraph.graph.neo4j.cooccurrence import Neo4jCoOccurrence

SCHEME_REVISION = "scheme_revision"  # StoreMeta key: a new token per scheme replacement


class Neo4jConcepts(Neo4jCoOccurrence):
    meta_value: Callable[[str], Optional[str]]  # Neo4jViews's, beside it in Neo4jStore
    _take_observed_revision: Callable[[], tuple[bool, Optional[str]]]  # Neo4jRetrieval's

    def replace_concepts(self, concepts: list[Concept]) -> None:
        iris = [c.iri for c in concepts]
        rows = [{"iri": c.iri, "label": c.label, "alt_labels": list(c.alt_labels),
                 "hidden_labels": list(c.hidden_labels), "definition": c.definition,
                 "scheme": c.scheme, "language": c.language,
                 "extra": json.dumps(c.extra, ensure_ascii=False),
                 "scheme_triples": json.dumps(c.scheme_triples, ensure_ascii=False)}
                for c in concepts]
        broader = [{"narrower": c.iri, "broader": b} for c in concepts for b in c.broader]
        related = [dict(zip("ab", pair)) for pair in sorted(
            {tuple(sorted((c.iri, r))) for c in concepts for r in c.related if r != c.iri})]

        def work(tx):
            # passages losing mentions with the concepts that go
            touched = [r["id"] for r in self._run(
                tx, cypher.passages_mentioning_concepts_except(), iris=iris)]
            before = self._concept_sets(tx, [], touched) if touched else {}
            self._run(tx, cypher.delete_concepts_except(), iris=iris)
            if touched:
                self._add_cooccurrence(tx, delta(before, self._concept_sets(tx, [], touched)))
            self._run(tx, cypher.delete_concept_links())
            if rows:
                self._run(tx, cypher.merge_concepts(), rows=rows)
            if broader:
                self._run(tx, cypher.create_broader(), rows=broader)
            if related:
                self._run(tx, cypher.create_related(), rows=related)
            # what is derived from the scheme (graph/scheme_cache.py) is built again
            self._run(tx, cypher.new_scheme_revision(), key=SCHEME_REVISION)

        self._execute("write", work)

    def scheme_revision(self) -> str:
        # a search's concept signal: the revision its vector query has just read with its hits
        observed, revision = self._take_observed_revision()
        if not observed:
            revision = self.meta_value(SCHEME_REVISION)
        return revision or "0"  # "0": no scheme written since

    def list_concepts(self) -> list[tuple[Concept, int]]:
        return [(records.concept(r), r["mentions"]) for r in self._read(cypher.list_concepts())]

    def concept_names(self) -> list[tuple[str, str]]:
        return [(r["iri"], r["label"] or "") for r in self._read(cypher.concept_names())]

    def mention_counts(self, iris) -> dict[str, int]:
        wanted = list(dict.fromkeys(iris))
        counts = dict.fromkeys(wanted, 0)
        if wanted:
            counts.update((r["iri"], r["mentions"])
                          for r in self._read(cypher.mention_counts(), iris=wanted))
        return counts

    def most_mentioned(self, limit: int) -> list[tuple[str, int]]:
        return [(r["iri"], r["mentions"])
                for r in self._read(cypher.most_mentioned(), limit=limit)]

    def get_concept(self, iri: str) -> Optional[Concept]:
        rows = self._read(cypher.get_concept(), iri=iri)
        return records.concept(rows[0]) if rows else None

    def concept_labels(self, iris) -> dict[str, str]:
        """One query for all of them (the contract's default asks once per IRI)."""
        wanted = list(dict.fromkeys(iris))
        if not wanted:
            return {}
        found = {r["iri"]: r["label"] or "" for r in
                 self._read(cypher.concept_labels(), iris=wanted)}
        return {iri: found.get(iri, iri) for iri in wanted}

    def narrower(self, iri: str) -> list[str]:
        return [r["iri"] for r in self._read(cypher.narrower(), iri=iri)]

    def replace_mentions(self, passage_ids: list[str], mentions: list[Mention]) -> None:
        ids = list(passage_ids)
        rows = records.mention_rows(mentions)
        touched = list(dict.fromkeys([*ids, *(m.passage_id for m in mentions)]))

        def work(tx):
            before = self._concept_sets(tx, [], touched) if touched else {}
            if ids:
                self._run(tx, cypher.delete_passage_mentions(), ids=ids)
            if rows:
                self._run(tx, cypher.create_mentions(), rows=rows)
            after = self._concept_sets(tx, [], touched) if rows else {}
            self._add_cooccurrence(tx, delta(before, after))

        self._execute("write", work)

    def passage_mentions(self, passage_ids: list[str]) -> dict[str, list[Mention]]:
        out: dict[str, list[Mention]] = {pid: [] for pid in passage_ids}
        if passage_ids:
            for r in self._read(cypher.passage_mentions(), ids=list(passage_ids)):
                out[r["mention"]["passage_id"]].append(records.mention(r["mention"]))
        return out

    def concept_mentions(self, iri: str, limit: int = 50) -> list[Mention]:
        return [records.mention(r["mention"])
                for r in self._read(cypher.concept_mentions(), iri=iri, limit=int(limit))]
