"""The Neo4j 5 backend on the official driver (Bolt): the whole GraphStore contract, one
concern a module (articles, concepts, co-occurrence, retrieval, views). Every statement
comes from graph.cypher and takes parameters only."""
from __future__ import annotations

from typing import Optional

from citegraph.graph import cypher
from citegraph.graph.base import GraphStore, StoreError
from citegraph.graph.neo4j.articles import REMOVAL_LOG_KEEP, Neo4jArticles
from citegraph.graph.neo4j.concepts import SCHEME_REVISION, Neo4jConcepts
from citegraph.graph.neo4j.retrieval import Neo4jRetrieval
from citegraph.graph.neo4j.session import open_driver
from citegraph.graph.neo4j.views import PAGE, Neo4jViews

SCHEMA = (cypher.article_id_constraint, cypher.passage_id_constraint,
          cypher.concept_iri_constraint, cypher.cooccurrence_total_constraint,
          cypher.store_meta_constraint,
          cypher.passage_sequence_constraint, cypher.passage_seq_index,
          cypher.passage_removal_index,
          cypher.passage_article_index,
          cypher.passage_vector_index, cypher.passage_fulltext_index)
INDEX_WAIT_S = 300


class Neo4jStore(Neo4jArticles, Neo4jConcepts, Neo4jRetrieval, Neo4jViews, GraphStore):
    def __init__(self, uri: str, driver, database: Optional[str] = None,
                 create_schema: bool = True):
        super().__init__(uri, driver, database)
        if create_schema:
            self.create_schema()

    @classmethod
    def connect(cls, uri: str, user: str = "neo4j", password: Optional[str] = None,
                database: Optional[str] = None) -> "Neo4jStore":
        """Connect to `uri` (bolt:// one server, neo4j:// routed); no password: no
        authentication."""
        driver = open_driver(uri, user, password)
        try:
            return cls(uri, driver, database)
        except StoreError:
            driver.close()
            raise

    def create_schema(self) -> None:
        """Constraints and indexes, each created only when missing; waits until online."""
        for build in SCHEMA:
            self._write(build())
        self._write(cypher.await_indexes(), seconds=INDEX_WAIT_S)
        rows = self._read(cypher.cooccurrence_stale())
        if rows and rows[0]["stale"]:  # a graph written by an earlier version
            self.rebuild_cooccurrence()
        self._key_unkeyed_passages()
        rows = self._read(cypher.passages_without_section())
        if rows and rows[0]["found"]:  # passages of an earlier version: the body
            self._write(cypher.mark_body_passages(), section="body")

    def _key_unkeyed_passages(self) -> None:
        """Keyword-index keys for passages written by an earlier version."""
        while ids := [r["id"] for r in self._read(cypher.passages_without_seq(), limit=PAGE)]:
            def work(tx, ids=ids):
                first = self._run(tx, cypher.reserve_passage_seqs(), count=len(ids))[0]["first"]
                self._run(tx, cypher.set_passage_seqs(),
                          rows=[{"id": pid, "seq": first + i + 1} for i, pid in enumerate(ids)])
            self._execute("write", work)

    def clear(self) -> None:
        """Remove every article, passage and concept (the schema stays)."""
        def work(tx):
            # logged first: the sequence node's lock then keeps writers from committing
            # keys up to the logged bound that this clear would not delete
            self._run(tx, cypher.log_passage_removal(), seqs=[], clear=True,
                      keep=REMOVAL_LOG_KEEP)
            self._run(tx, cypher.clear_graph())
            # no concepts now: nothing derived from the old scheme may be used again
            self._run(tx, cypher.new_scheme_revision(), key=SCHEME_REVISION)

        self._execute("write", work)
