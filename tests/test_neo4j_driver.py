"""The Neo4j backend's driver layer against FakeNeo4jDriver, a named fake of the `neo4j`
driver (no Neo4j server can run on these machines). The fake records every statement with
its parameters, checks that each statement comes from graph/cypher.py with exactly its
declared parameters in Bolt-native types, and replays a transaction after a transient error
the way the real driver's `execute_write` does. Real driver connection failures are tested
against a closed local port."""
from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from neo4j.exceptions import (AuthError, ClientError, ServiceUnavailable, SessionExpired,
                              TransientError)

from citegraph.graph import cypher
from citegraph.graph.base import StoreError
from citegraph.graph.factory import open_store
from citegraph.graph.models import Article, Concept, Mention, Passage, SentenceVectors
from citegraph.graph.neo4j import Neo4jStore, lucene_query, retrieval, views

from conftest import free_port

URI = "bolt://fake:7687"
BY_TEXT = {build().text: name for name, build in cypher.STATEMENTS.items()}
BOLT_SCALARS = (type(None), bool, int, float, str, bytes)


def bolt_native(value) -> bool:
    if isinstance(value, (list, tuple)):
        return all(bolt_native(v) for v in value)
    if isinstance(value, dict):
        return all(isinstance(k, str) and bolt_native(v) for k, v in value.items())
    return type(value) in BOLT_SCALARS


class FakeRecord(dict):
    def values(self):
        return list(super().values())


class FakeResult:
    def __init__(self, rows):
        self._rows = rows

    def __iter__(self):
        return iter([FakeRecord(r) for r in self._rows])

    def data(self):
        return [dict(r) for r in self._rows]

    def consume(self):
        return None


class FakeTransaction:
    def __init__(self, driver):
        self.driver = driver
        self.calls: list[tuple[str, dict]] = []

    def run(self, query, parameters=None, **kwargs):
        assert query in BY_TEXT, f"statement not from graph/cypher.py: {query}"
        name = BY_TEXT[query]
        parameters = dict(parameters or {}, **kwargs)
        assert set(parameters) == set(cypher.STATEMENTS[name]().parameters), name
        assert bolt_native(parameters), f"{name}: parameters not Bolt types"
        self.calls.append((name, parameters))
        failures = self.driver.failures.get(name)
        if failures:
            raise failures.pop(0)
        response = self.driver.responses.get(name, [])
        return FakeResult(response(parameters) if callable(response) else response)


class FakeSession:
    MAX_ATTEMPTS = 3

    def __init__(self, driver, database):
        self.driver = driver
        self.database = database

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.driver.open_sessions -= 1

    def _managed(self, access, work):
        # like the driver: retry the whole work function on retryable errors
        for attempt in range(1, self.MAX_ATTEMPTS + 1):
            tx = FakeTransaction(self.driver)
            try:
                result = work(tx)
            except (TransientError, SessionExpired, ServiceUnavailable) as exc:
                self.driver.rolled_back.append((access, tx.calls))
                if attempt == self.MAX_ATTEMPTS or not exc.is_retryable():
                    raise
                continue
            except Exception:
                self.driver.rolled_back.append((access, tx.calls))
                raise
            self.driver.committed.append((access, self.database, tx.calls))
            return result

    def execute_write(self, work):
        return self._managed("write", work)

    def execute_read(self, work):
        return self._managed("read", work)


class FakeNeo4jDriver:
    """A fake of neo4j.Driver: sessions, managed transactions, programmed responses."""

    def __init__(self, responses=None, failures=None, connect_error=None):
        self.responses = {"reserve_passage_seqs": [{"first": 0}],
                          "delete_articles_passages": [{"seqs": []}], **(responses or {})}
        self.failures = failures or {}
        self.connect_error = connect_error
        self.committed: list[tuple[str, str, list]] = []
        self.rolled_back: list[tuple[str, list]] = []
        self.open_sessions = 0
        self.bookmark_managers: set = set()
        self.closed = False

    def session(self, database=None, bookmark_manager=None):
        self.open_sessions += 1
        self.bookmark_managers.add(bookmark_manager)
        return FakeSession(self, database)

    def verify_connectivity(self):
        if self.connect_error:
            raise self.connect_error

    def close(self):
        self.closed = True

    def statements(self, access=None):
        return [name for a, _db, calls in self.committed if access in (None, a)
                for name, _ in calls]

    def parameters(self, name):
        return [params for _a, _db, calls in self.committed for n, params in calls if n == name]


def open_fake(**kwargs) -> tuple[Neo4jStore, FakeNeo4jDriver]:
    driver = FakeNeo4jDriver(**kwargs)
    store = Neo4jStore(URI, driver, database="citegraph")
    driver.committed.clear()
    return store, driver


def article_with_passages(n=3) -> tuple[Article, list[Passage], list[Mention]]:
    rng = np.random.default_rng(0)
    article = Article("doc-1", "A title", "one. two. three.", "doc.txt", "http://x", "h1",
                      "2024-01-01T00:00:00+00:00")
    passages = []
    for i in range(n):
        vector = rng.normal(size=384).astype(np.float32)
        sentences = SentenceVectors([(0, 4)], rng.normal(size=(1, 384)).astype(np.float16))
        passages.append(Passage(f"doc-1#{i}", "doc-1", np.int64(i), f"p{i}.", i * 5, i * 5 + 3,
                                vector / np.linalg.norm(vector), sentences))
    mentions = [Mention("doc-1#0", "http://ex.org/a", np.float32(0.9), "label", 0, 2, "p0")]
    return article, passages, mentions


# --- schema, sessions and transactions ------------------------------------------------------
def test_schema_is_created_on_open_one_write_each():
    driver = FakeNeo4jDriver()
    Neo4jStore(URI, driver, database="citegraph")
    assert driver.statements("write") == [
        "article_id_constraint", "passage_id_constraint", "concept_iri_constraint",
        "cooccurrence_total_constraint", "store_meta_constraint",
        "passage_sequence_constraint", "passage_seq_index", "passage_removal_index",
        "passage_article_index", "passage_vector_index", "passage_fulltext_index",
        "await_indexes"]
    assert driver.statements("read") == ["cooccurrence_stale", "passages_without_seq",
                                         "passages_without_section"]
    assert len(driver.committed) == 15  # schema changes may not share a transaction
    assert all("IF NOT EXISTS" in cypher.STATEMENTS[n]().text
               for n in driver.statements("write")[:-1])
    assert "384" in cypher.passage_vector_index().text
    assert "'cosine'" in cypher.passage_vector_index().text


def test_sessions_use_the_configured_database_and_are_closed():
    store, driver = open_fake(responses={"article_hash": [{"content_hash": "h1"}]})
    assert store.article_hash("doc-1") == "h1"
    assert driver.committed == [("read", "citegraph", [("article_hash", {"id": "doc-1"})])]
    assert driver.open_sessions == 0
    # every session shares one bookmark manager: a routed read sees this store's writes
    (manager,) = driver.bookmark_managers
    assert manager is not None
    store.close()
    assert driver.closed


def test_upsert_article_is_one_write_transaction_with_batched_rows():
    store, driver = open_fake()
    article, passages, mentions = article_with_passages(3)
    store.upsert_article(article, passages, mentions)
    assert len(driver.committed) == 1
    access, _db, calls = driver.committed[0]
    assert access == "write"
    assert [name for name, _ in calls] == ["merge_articles", "passage_concepts",
                                           "delete_articles_passages", "reserve_passage_seqs",
                                           "create_passages",
                                           "link_passages", "create_mentions",
                                           "passage_concepts"]
    # co-occurrence read before and after, in the same transaction; no change, no write
    assert driver.parameters("passage_concepts") == [{"article_ids": ["doc-1"],
                                                      "ids": ["doc-1#0"]}] * 2
    rows = dict(calls)["create_passages"]["rows"]
    assert [r["id"] for r in rows] == ["doc-1#0", "doc-1#1", "doc-1#2"]  # one UNWIND batch
    assert [r["seq"] for r in rows] == [1, 2, 3]  # keyword-index keys reserved in the write
    assert driver.parameters("reserve_passage_seqs") == [{"count": 3}]
    assert [a["content_hash"] for a in dict(calls)["merge_articles"]["articles"]] == ["h1"]
    first = rows[0]
    assert isinstance(first["embedding"], list) and len(first["embedding"]) == 384
    assert all(type(x) is float for x in first["embedding"])
    np.testing.assert_allclose(first["embedding"], passages[0].embedding, rtol=1e-6)
    assert type(first["ordinal"]) is int
    assert json.loads(first["sentence_spans"]) == [[0, 4]]
    assert first["sentence_vectors"] == passages[0].sentences.to_bytes()
    assert dict(calls)["create_mentions"]["rows"] == [
        {"passage_id": "doc-1#0", "iri": "http://ex.org/a", "score": pytest.approx(0.9),
         "method": "label", "start": 0, "end": 2, "surface": "p0"}]


def renamed(item, article_id):
    article, passages, mentions = item
    moved = [Passage(p.id.replace("doc-1", article_id), article_id, p.ordinal, p.text, p.start,
                     p.end, p.embedding, p.sentences) for p in passages]
    return (Article(article_id, article.title, article.text, article.source, article.url,
                    article.content_hash, article.ingested_at), moved,
            [Mention(m.passage_id.replace("doc-1", article_id), m.iri, m.score, m.method,
                     m.start, m.end, m.surface) for m in mentions])


def test_upsert_articles_writes_a_batch_in_one_transaction():
    store, driver = open_fake(responses={"reserve_passage_seqs": [{"first": 10}]})
    items = [renamed(article_with_passages(2), f"doc-{i}") for i in range(3)]
    store.upsert_articles(items)
    assert len(driver.committed) == 1
    params = dict(driver.committed[0][2])
    assert [a["id"] for a in params["merge_articles"]["articles"]] == ["doc-0", "doc-1", "doc-2"]
    assert params["delete_articles_passages"] == {"article_ids": ["doc-0", "doc-1", "doc-2"]}
    assert params["link_passages"] == {"article_ids": ["doc-0", "doc-1", "doc-2"]}
    rows = params["create_passages"]["rows"]
    assert [(r["id"], r["article_id"], r["seq"]) for r in rows] == [
        (f"doc-{i}#{o}", f"doc-{i}", 11 + 2 * i + o) for i in range(3) for o in range(2)]
    assert [r["passage_id"] for r in params["create_mentions"]["rows"]] == [
        "doc-0#0", "doc-1#0", "doc-2#0"]


def test_upsert_articles_writes_a_repeated_article_in_a_later_transaction():
    store, driver = open_fake()
    first, again = article_with_passages(2), article_with_passages(1)
    store.upsert_articles([first, renamed(first, "doc-2"), again])
    assert [[a["id"] for a in dict(calls)["merge_articles"]["articles"]]
            for _a, _db, calls in driver.committed] == [["doc-1", "doc-2"], ["doc-1"]]


def test_a_failing_batch_is_written_an_article_a_transaction():
    # the batch fails (a constraint, say); then each article alone: the first goes in, the
    # second fails again and is raised, the third is not written, as one by one
    def create_passages(params):
        if any(r["article_id"] == "doc-2" for r in params["rows"]):
            raise ClientError("doc-2 refused")
        return []

    store, driver = open_fake(responses={"create_passages": create_passages})
    items = [renamed(article_with_passages(1), f"doc-{i}") for i in (1, 2, 3)]
    with pytest.raises(StoreError, match="doc-2 refused"):
        store.upsert_articles(items)
    assert [[a["id"] for a in dict(calls)["merge_articles"]["articles"]]
            for _a, _db, calls in driver.committed] == [["doc-1"]]
    assert len(driver.rolled_back) == 2


def test_upsert_without_passages_or_mentions_skips_empty_batches():
    store, driver = open_fake()
    article, _, _ = article_with_passages(0)
    store.upsert_article(article, [], [])
    assert driver.statements() == ["merge_articles", "passage_concepts",
                                   "delete_articles_passages"]


def concept_sets_before_then_after(before: list[dict], after: list[dict]):
    """A passage_concepts response: `before` on the first read of a transaction, `after`
    on the second (and so on, for replays)."""
    calls = []

    def respond(params):
        calls.append(params)
        return before if len(calls) % 2 else after
    return respond


def test_upsert_adds_the_cooccurrence_difference_in_its_transaction():
    a, b, c = "http://ex.org/a", "http://ex.org/b", "http://ex.org/c"
    store, driver = open_fake(responses={"passage_concepts": concept_sets_before_then_after(
        [{"id": "doc-1#0", "iris": [a, b]}, {"id": "doc-1#1", "iris": [c]},
         {"id": "doc-1#2", "iris": [a]}],
        [{"id": "doc-1#0", "iris": [a, c]}, {"id": "doc-1#1", "iris": [c]},
         {"id": "doc-1#2", "iris": []}])})
    article, passages, mentions = article_with_passages(3)
    store.upsert_article(article, passages, mentions)
    (_access, _db, calls), = driver.committed
    assert [n for n, _ in calls][-3:] == ["add_cooccurrence_pairs", "add_concept_passages",
                                          "add_mentioned_passages"]
    params = dict(calls)
    assert sorted(map(tuple, (r.values() for r in params["add_cooccurrence_pairs"]["rows"]))) == [
        (a, b, -1), (a, c, 1)]
    assert sorted((r["iri"], r["n"]) for r in params["add_concept_passages"]["rows"]) == [
        (a, -1), (b, -1), (c, 1)]
    assert params["add_mentioned_passages"] == {"n": -1}  # doc-1#2 has no mention left


def test_passage_without_embedding_is_refused_before_any_write():
    store, driver = open_fake()
    article, passages, _ = article_with_passages(1)
    passages[0].embedding = None
    with pytest.raises(StoreError, match="doc-1#0: no embedding"):
        store.upsert_article(article, passages, [])
    assert driver.committed == [] and driver.rolled_back == []


def test_transient_error_replays_the_whole_transaction():
    store, driver = open_fake(
        failures={"add_mentioned_passages": [TransientError("deadlock")]},
        responses={"passage_concepts": concept_sets_before_then_after(
            [], [{"id": "doc-1#0", "iris": ["http://ex.org/a"]}])})
    article, passages, mentions = article_with_passages(2)
    store.upsert_article(article, passages, mentions)
    assert len(driver.rolled_back) == 1 and len(driver.committed) == 1
    failed = driver.rolled_back[0][1]
    committed = driver.committed[0][2]
    assert [n for n, _ in committed] == [n for n, _ in failed]  # replayed whole
    assert committed == failed  # with the very same rows


def test_persistent_transient_error_becomes_one_line():
    errors = [TransientError("deadlock detected")] * FakeSession.MAX_ATTEMPTS
    store, driver = open_fake(failures={"delete_concept_links": list(errors)})
    with pytest.raises(StoreError) as info:
        store.replace_concepts([Concept("http://ex.org/a", "A")])
    assert str(info.value) == f"Neo4j at {URI}: deadlock detected"
    assert driver.committed == []


@pytest.mark.parametrize("error, message", [
    (ServiceUnavailable("Couldn't connect to fake:7687"),
     f"cannot reach Neo4j at {URI}: Couldn't connect to fake:7687"),
    (SessionExpired("session expired"), f"cannot reach Neo4j at {URI}: session expired"),
    (AuthError("The client is unauthorized due to authentication failure."),
     f"cannot reach Neo4j at {URI}: The client is unauthorized due to authentication failure."),
    (ClientError("Invalid input 'x'\nline 2"), f"Neo4j at {URI}: Invalid input 'x'"),
])
def test_driver_errors_map_to_one_line(error, message):
    store, driver = open_fake(failures={"stats": [error] * FakeSession.MAX_ATTEMPTS})
    with pytest.raises(StoreError) as info:
        store.stats()
    assert str(info.value) == message
    assert "\n" not in str(info.value)


# --- reads and their parameters -----------------------------------------------------------
def test_delete_article_removes_passages_then_article():
    store, driver = open_fake(responses={"delete_article": [{"deleted": 1}]})
    assert store.delete_article("doc-1") is True
    assert driver.committed[0][2] == [("passage_concepts",
                                       {"article_ids": ["doc-1"], "ids": []}),
                                      ("delete_articles_passages", {"article_ids": ["doc-1"]}),
                                      ("delete_article", {"id": "doc-1"})]
    driver.responses["delete_article"] = [{"deleted": 0}]
    assert store.delete_article("nope") is False


def test_articles_and_passages_from_rows():
    row = {"id": "doc-1", "title": "T", "text": "body", "source": "s", "url": "",
           "content_hash": "h", "ingested_at": "now"}
    p = {"id": "doc-1#0", "article_id": "doc-1", "ordinal": 0, "text": "body", "start": 0,
         "end": 4}
    q = dict(p, id="doc-1#1", ordinal=1)
    store, driver = open_fake(responses={
        "get_article": [{"article": row}], "article_titles": [{"article": row}],
        "article_passages": [{"passage": p}, {"passage": q}],
        "get_passages": [{"passage": p}, {"passage": q}]})
    assert store.get_article("doc-1") == Article("doc-1", "T", "body", "s", "", "h", "now")
    assert store.article_titles(["doc-1", "doc-1"])["doc-1"].title == "T"
    assert driver.parameters("article_titles") == [{"ids": ["doc-1"]}]
    assert [x.ordinal for x in store.article_passages("doc-1")] == [0, 1]
    got = store.get_passages(["doc-1#1", "missing", "doc-1#0"])
    assert [x.id for x in got] == ["doc-1#1", "doc-1#0"]  # asked order, unknown skipped
    assert store.get_passages([]) == [] and store.article_titles([]) == {}


def test_sentence_vectors_round_trip_bytes():
    sv = SentenceVectors([(0, 3), (4, 9)], np.ones((2, 384), dtype=np.float16))
    store, driver = open_fake(responses={"sentence_vectors": [
        {"id": "doc-1#0", "spans": json.dumps(sv.spans), "vectors": bytearray(sv.to_bytes())}]})
    got = store.sentence_vectors(["doc-1#0"])["doc-1#0"]
    assert got.spans == [(0, 3), (4, 9)]
    np.testing.assert_array_equal(got.vectors, sv.vectors)


def test_replace_concepts_batches_concepts_broader_and_symmetric_related():
    store, driver = open_fake()
    store.replace_concepts([
        Concept("http://ex.org/b", "B", ["bee"], broader=["http://ex.org/a"],
                related=["http://ex.org/c", "http://ex.org/b"]),
        Concept("http://ex.org/c", "C", related=["http://ex.org/b"]),
        Concept("http://ex.org/a", "A")])
    (access, _db, calls), = driver.committed
    assert [n for n, _ in calls] == ["passages_mentioning_concepts_except",
                                     "delete_concepts_except", "delete_concept_links",
                                     "merge_concepts", "create_broader", "create_related",
                                     "new_scheme_revision"]
    params = dict(calls)
    assert params["delete_concepts_except"]["iris"] == [
        "http://ex.org/b", "http://ex.org/c", "http://ex.org/a"]
    assert params["merge_concepts"]["rows"][0]["alt_labels"] == ["bee"]
    assert params["create_broader"]["rows"] == [
        {"narrower": "http://ex.org/b", "broader": "http://ex.org/a"}]
    assert params["create_related"]["rows"] == [{"a": "http://ex.org/b", "b": "http://ex.org/c"}]


def test_a_graph_of_an_earlier_version_is_recounted_on_open():
    driver = FakeNeo4jDriver(responses={"cooccurrence_stale": [{"stale": True}]})
    Neo4jStore(URI, driver)
    assert driver.statements()[-7:] == ["cooccurrence_stale", "delete_cooccurrence",
                                        "build_cooccurrence", "build_concept_passages",
                                        "build_mentioned_passages", "passages_without_seq",
                                        "passages_without_section"]


def test_passages_of_an_earlier_version_get_keyword_keys_on_open():
    pages = [[{"id": "doc-1#0"}, {"id": "doc-1#1"}], []]
    driver = FakeNeo4jDriver(responses={"passages_without_seq": lambda p: pages.pop(0),
                                        "reserve_passage_seqs": [{"first": 7}]})
    Neo4jStore(URI, driver)
    assert driver.parameters("set_passage_seqs") == [
        {"rows": [{"id": "doc-1#0", "seq": 8}, {"id": "doc-1#1", "seq": 9}]}]


def test_cooccurrence_counts_from_rows():
    store, driver = open_fake(responses={"cooccurrence_counts": [{
        "passages": 3, "pairs": [["http://ex.org/a", "http://ex.org/b", 2]],
        "concepts": [["http://ex.org/a", 3], ["http://ex.org/b", 2]]}]})
    counts = store.cooccurrence_counts()
    assert counts.passages == 3
    assert counts.pairs == {("http://ex.org/a", "http://ex.org/b"): 2}
    assert counts.concepts == {"http://ex.org/a": 3, "http://ex.org/b": 2}


def test_concepts_mentions_and_cooccurrence_reads():
    concept = {"iri": "http://ex.org/a", "label": "A", "alt_labels": ["aa"],
               "hidden_labels": [], "definition": "d", "scheme": "s"}
    mention = {"passage_id": "doc-1#0", "iri": "http://ex.org/a", "score": 0.5,
               "method": "embedding", "start": None, "end": None, "surface": None}
    store, driver = open_fake(responses={
        "list_concepts": [{"concept": concept, "broader": ["http://ex.org/z"],
                           "related": ["http://ex.org/c", "http://ex.org/b"], "mentions": 4}],
        "get_concept": [{"concept": concept, "broader": [], "related": [], "mentions": 0}],
        "narrower": [{"iri": "http://ex.org/n"}],
        "passage_mentions": [{"mention": mention}],
        "concept_mentions": [{"mention": mention}],
        "co_occurring": [{"iri": "http://ex.org/c", "count": 2, "concept_passages": 4,
                          "other_passages": 2, "passages_total": 8,
                          "passages": ["doc-2#0", "doc-1#0", "doc-1#0"]}]})
    (listed, count), = store.list_concepts()
    assert count == 4 and listed.related == ["http://ex.org/b", "http://ex.org/c"]
    assert store.get_concept("http://ex.org/a").alt_labels == ["aa"]
    assert store.narrower("http://ex.org/a") == ["http://ex.org/n"]
    got = store.passage_mentions(["doc-1#0", "doc-9#0"])
    assert got["doc-9#0"] == [] and got["doc-1#0"][0].start is None
    assert got["doc-1#0"][0].surface == ""
    assert store.concept_mentions("http://ex.org/a", limit=5)[0].method == "embedding"
    assert driver.parameters("concept_mentions") == [{"iri": "http://ex.org/a", "limit": 5}]
    assert store.co_occurring("http://ex.org/a") == [
        ("http://ex.org/c", 2.0, ["doc-1#0", "doc-2#0"])]
    (got,) = store.co_occurrences("http://ex.org/a")
    assert (got.count, got.passages) == (2, ["doc-1#0", "doc-2#0"])
    assert got.pmi == pytest.approx(np.log(2 * 8 / (4 * 2)))  # log(n_ab N / (n_a n_b))
    assert got.npmi == pytest.approx(np.log(2) / np.log(4))
    store.rebuild_cooccurrence()
    assert driver.statements()[-4:] == ["delete_cooccurrence", "build_cooccurrence",
                                        "build_concept_passages", "build_mentioned_passages"]
    store.replace_mentions(["doc-1#0"], [Mention("doc-1#0", "http://ex.org/a", 1.0, "label")])
    assert driver.statements()[-4:] == ["passage_concepts", "delete_passage_mentions",
                                        "create_mentions", "passage_concepts"]
    assert driver.parameters("create_mentions")[-1]["rows"][0]["start"] is None


def test_passage_details_is_one_read_in_the_order_asked():
    blob = SentenceVectors([(0, 4)], np.ones((1, 384), np.float32)).to_bytes()
    head = {"id": "doc-1", "title": "T", "source": "s", "url": "", "content_hash": "h",
            "ingested_at": "now", "author": None, "published": None}
    mention = {"passage_id": "doc-1#1", "iri": "http://ex.org/a", "score": 0.9,
               "method": "label", "start": 0, "end": 2, "surface": "p1"}
    rows = [{"passage": {"id": f"doc-1#{o}", "article_id": "doc-1", "ordinal": o, "text": "t",
                         "start": 0, "end": 1}, "article": head,
             "spans": "[[0, 4]]", "vectors": blob if o else None,
             "mentions": [{"mention": mention, "label": "A"}] if o else []} for o in (0, 1)]
    store, driver = open_fake(responses={"passage_details": rows})
    details = store.passage_details(["doc-1#1", "gone", "doc-1#0"])
    assert len(driver.committed) == 1
    assert driver.parameters("passage_details") == [{"ids": ["doc-1#1", "gone", "doc-1#0"]}]
    assert [p.id for p in details.passages] == ["doc-1#1", "doc-1#0"]
    assert details.articles["doc-1"].title == "T"
    assert details.mentions == {"doc-1#1": [Mention("doc-1#1", "http://ex.org/a", 0.9, "label",
                                                    0, 2, "p1")], "doc-1#0": []}
    assert details.labels == {"http://ex.org/a": "A"}
    assert list(details.sentences) == ["doc-1#1"]
    assert details.sentences["doc-1#1"].spans == [(0, 4)]
    assert store.passage_details([]).passages == [] and len(driver.committed) == 1


def vector_row(hits, next=0, passages=0, removals=0, revision=None):
    """A vector_search response: the hits as one list, with the keyword sync state and the
    scheme revision."""
    return [{"hits": [list(h) for h in hits], "next": next, "removals": removals,
             "passages": passages, "revision": revision}]


def test_a_search_takes_the_scheme_revision_its_vector_query_read(monkeypatch):
    """The concept signal of a hybrid search asks for the scheme revision (its label index is
    cached per revision): the vector query, run just before in the same thread, read it."""
    store, driver = open_fake(responses={
        "vector_search": vector_row([("doc-1#0", 0.9)], revision="r1"),
        "meta_value": [{"value": "r2"}]})
    query = np.full(384, 1 / np.sqrt(384), dtype=np.float32)
    store.vector_search(query, 5)
    assert driver.parameters("vector_search")[0]["revision_key"] == "scheme_revision"
    assert store.scheme_revision() == "r1"
    assert "meta_value" not in driver.statements()
    assert store.scheme_revision() == "r2"  # taken once: then read
    store.vector_search(query, 5)  # and not used long after
    clock = retrieval.time.monotonic() + retrieval.OBSERVED_FRESH_S + 1
    monkeypatch.setattr(retrieval.time, "monotonic", lambda: clock)
    assert store.scheme_revision() == "r2"
    assert driver.statements().count("meta_value") == 2


def test_vector_search_sends_floats_and_reports_cosine():
    store, driver = open_fake(responses={"vector_search": vector_row(
        [("doc-1#0", 1.0), ("doc-1#1", 0.5)])})
    query = np.full(384, 1 / np.sqrt(384), dtype=np.float32)
    hits = store.vector_search(query, 2)
    assert [(h.passage_id, h.score) for h in hits] == [("doc-1#0", 1.0), ("doc-1#1", 0.0)]
    assert [h.passage_id for h in store.vector_search(query, 1)] == ["doc-1#0"]
    (params, _) = driver.parameters("vector_search")
    # the approximate index is asked for more candidates than wanted: better recall
    assert params["k"] == retrieval.VECTOR_CANDIDATES and len(params["vector"]) == 384
    assert all(type(x) is float for x in params["vector"])
    assert store.vector_search(query, 0) == []


def test_keyword_search_scores_as_the_embedded_store_from_synced_rows():
    from citegraph.graph.keyword import PostingsIndex

    rows = [{"seq": 1, "id": "doc-1#0", "title": "Churn", "text": "customer churn fell"},
            {"seq": 2, "id": "doc-2#0", "title": "Brand", "text": "brand awareness grew"}]
    state = {"next": 2, "removals": 0, "passages": 2}
    log = []  # the removal log: {"at", "seqs", "upto"}
    store, driver = open_fake(responses={
        "keyword_sync_state": lambda p: [dict(state)],
        "passage_removals": lambda p: [e for e in log if e["at"] > p["after"]][:p["limit"]],
        "keyword_rows": lambda p: [r for r in rows if r["seq"] > p["after"]][:p["limit"]]})
    hits = store.keyword_search("customer churn", 5)
    reference = PostingsIndex((2.0, 1.0))
    reference.add(np.array([1, 2]), (["churn", "brand"], ["custom churn fell", "brand awar grew"]))
    keys, scores = reference.search(["custom", "churn"], 5)
    assert [h.passage_id for h in hits] == ["doc-1#0"] and keys.tolist() == [1]
    assert hits[0].score == pytest.approx(float(scores[0]))
    rows.pop(0)  # another process deleted a passage (logging its key) and wrote one
    log.append({"at": 1, "seqs": [1], "upto": None})
    rows.append({"seq": 3, "id": "doc-3#0", "title": "Churn again", "text": "churn rose"})
    state.update(next=3, removals=1, passages=2)
    assert [h.passage_id for h in store.keyword_search("churn", 5)] == ["doc-3#0"]
    assert driver.parameters("passage_removals") == [{"after": 0, "limit": retrieval.SYNC_PAGE}]
    assert "passage_seqs" not in driver.statements()  # not every key read: the log's entry
    calls = len(driver.parameters("keyword_rows"))
    store.keyword_search("churn", 5)  # nothing changed: no rows read again
    assert len(driver.parameters("keyword_rows")) == calls
    # a clear (every key up to 3) and a new passage
    rows[:] = [{"seq": 4, "id": "doc-4#0", "title": "Churn", "text": "churn once more"}]
    log.append({"at": 2, "seqs": [], "upto": 3})
    state.update(next=4, removals=2, passages=1)
    assert [h.passage_id for h in store.keyword_search("churn", 5)] == ["doc-4#0"]


def test_a_keyword_index_the_removal_log_was_pruned_past_compares_every_key():
    rows = [{"seq": i, "id": f"doc-{i}#0", "title": "Churn", "text": "churn"} for i in (1, 2, 3)]
    state = {"next": 3, "removals": 0, "passages": 3}
    log = []
    store, driver = open_fake(responses={
        "keyword_sync_state": lambda p: [dict(state)],
        "passage_removals": lambda p: [e for e in log if e["at"] > p["after"]][:p["limit"]],
        "passage_seqs": lambda p: [{"removals": state["removals"],
                                    "seqs": [r["seq"] for r in rows]}],
        "keyword_rows": lambda p: [r for r in rows if r["seq"] > p["after"]][:p["limit"]]})
    assert len(store.keyword_search("churn", 5)) == 3
    del rows[0:2]  # two removals logged, the first pruned since
    log.append({"at": 2, "seqs": [2], "upto": None})
    state.update(removals=2, passages=1)
    assert [h.passage_id for h in store.keyword_search("churn", 5)] == ["doc-3#0"]
    assert driver.statements("read")[-3:] == ["passage_removals", "passage_seqs",
                                              "keyword_rows"]


def test_a_hybrid_search_reads_the_keyword_sync_state_with_its_vector_search(monkeypatch):
    rows = [{"seq": 1, "id": "doc-1#0", "title": "Churn", "text": "customer churn fell"}]
    store, driver = open_fake(responses={
        "vector_search": lambda p: vector_row([("doc-1#0", 0.9)], next=len(rows),
                                              passages=len(rows)),
        "keyword_sync_state": lambda p: [{"next": len(rows), "removals": 0,
                                          "passages": len(rows)}],
        "keyword_rows": lambda p: [r for r in rows if r["seq"] > p["after"]][:p["limit"]]})
    query = np.full(384, 1 / np.sqrt(384), dtype=np.float32)
    store.vector_search(query, 5)
    assert [h.passage_id for h in store.keyword_search("churn", 5)] == ["doc-1#0"]
    assert driver.statements("read")[-3:] == ["vector_search", "keyword_rows",
                                              "keyword_rows"]  # no keyword_sync_state
    # another process writes a passage; the next vector search sees it, so do the keywords
    rows.append({"seq": 2, "id": "doc-2#0", "title": "Churn", "text": "churn rose"})
    store.vector_search(query, 5)
    assert len(store.keyword_search("churn", 5)) == 2
    assert "keyword_sync_state" not in driver.statements("read")
    # taken once: a keyword search alone reads the state itself
    store.keyword_search("churn", 5)
    assert driver.statements("read")[-1] == "keyword_sync_state"
    # and so does one long after the vector search
    store.vector_search(query, 5)
    clock = retrieval.time.monotonic() + retrieval.OBSERVED_FRESH_S + 1
    monkeypatch.setattr(retrieval.time, "monotonic", lambda: clock)
    store.keyword_search("churn", 5)
    assert driver.statements("read")[-1] == "keyword_sync_state"


def test_a_server_start_runs_the_search_statements_to_warm_the_server(monkeypatch):
    """load_indexes (the server's start) runs a search's two statements for WARM_SECONDS:
    a JVM that has not run them since it started compiles their path during the first
    searches (benchmarks/README.md)."""
    monkeypatch.setattr(retrieval, "WARM_SECONDS", 0.05)
    rows = [{"seq": 1, "id": "doc-1#0", "title": "Churn", "text": "customer churn fell"}]
    state = {"next": 1, "removals": 0, "passages": 1}
    store, driver = open_fake(responses={
        "vector_search": vector_row([("doc-1#0", 0.9)], **state),
        "keyword_sync_state": lambda p: [dict(state)],
        "keyword_rows": lambda p: [r for r in rows if r["seq"] > p["after"]][:p["limit"]]})
    store.load_indexes()
    reads = driver.statements("read")
    assert reads.count("vector_search") >= 1
    assert reads.count("passage_details") == reads.count("vector_search")
    assert driver.parameters("passage_details")[0] == {"ids": ["doc-1#0"]}
    vectors = [np.asarray(p["vector"]) for p in driver.parameters("vector_search")]
    assert all(p["k"] == retrieval.VECTOR_CANDIDATES for p in driver.parameters("vector_search"))
    assert np.allclose([np.linalg.norm(v) for v in vectors], 1.0)
    # an empty store: nothing to warm
    rows.clear()
    state.update(next=0, passages=0)
    empty, driver = open_fake(responses={
        "keyword_sync_state": lambda p: [dict(state)], "keyword_rows": [],
        "vector_search": vector_row([], **state)})
    empty.load_indexes()
    assert driver.statements("read") == ["keyword_sync_state", "keyword_rows", "vector_search"]


def test_fulltext_search_passes_an_escaped_lucene_query_as_a_parameter():
    store, driver = open_fake(responses={"keyword_search": [{"id": "doc-1#0", "score": 3.5}]})
    hits = store.fulltext_search('C++ AND title:"x" (OR) NOT*', 5)
    assert hits[0].passage_id == "doc-1#0" and hits[0].score == 3.5
    (params,) = driver.parameters("keyword_search")
    terms = r'c\+\+ OR and OR title\:\"x\" OR \(or\) OR not\*'
    assert params == {"query": f"text:({terms}) OR title:({terms})^2", "k": 5}
    assert store.fulltext_search("   ", 5) == []
    assert len(driver.parameters("keyword_search")) == 1


def test_lucene_query_escapes_every_special_character():
    special = '\\+-!():^[]"{}~*?|&/'
    query = lucene_query(special)
    body = query[len("text:("):query.index(")", len("text:(") + 2 * len(special))]
    assert body == "".join("\\" + ch for ch in special)


def test_stats_and_paged_iterators(monkeypatch):
    monkeypatch.setattr(views, "PAGE", 2)
    article = {"id": "", "title": "T", "text": "", "source": "", "url": "",
               "content_hash": "", "ingested_at": ""}
    articles = [dict(article, id=i) for i in ("a", "b", "c")]

    def passages(params):
        rows = [{"passage": {"id": f"{a}#{o}", "article_id": a, "ordinal": o, "text": "t",
                             "start": 0, "end": 1}, "embedding": [0.5] * 384}
                for a in ("a", "b") for o in (0, 1)]
        after = (params["after_article"], params["after_ordinal"])
        return [r for r in rows
                if (r["passage"]["article_id"], r["passage"]["ordinal"]) > after][:2]

    def mentions(params):
        rows = [{"passage_id": "a#0", "iri": "x", "score": 1.0, "method": "label",
                 "start": 0, "end": 1, "surface": "t"},
                {"passage_id": "a#0", "iri": "y", "score": 1.0, "method": "label",
                 "start": 0, "end": 1, "surface": "t"},
                {"passage_id": "a#1", "iri": None, "score": None, "method": None,
                 "start": None, "end": None, "surface": None},
                {"passage_id": "b#0", "iri": "x", "score": 0.5, "method": "embedding",
                 "start": None, "end": None, "surface": ""}]
        ids = sorted({r["passage_id"] for r in rows if r["passage_id"] > params["after"]})[:2]
        return [r for r in rows if r["passage_id"] in ids]

    store, driver = open_fake(responses={
        "stats": [{"articles": 3, "passages": 4, "concepts": 2, "mentions": 3}],
        "articles_page": lambda p: [{"article": a} for a in articles if a["id"] > p["after"]][:2],
        "passages_page": passages, "mentions_page": mentions})
    assert store.stats() == {"articles": 3, "passages": 4, "concepts": 2, "mentions": 3}
    assert [a.id for a in store.iter_articles()] == ["a", "b", "c"]
    assert [p["after"] for p in driver.parameters("articles_page")] == ["", "b"]
    got = list(store.iter_passages(with_embeddings=True))
    assert [p.id for p in got] == ["a#0", "a#1", "b#0", "b#1"]
    assert got[0].embedding.dtype == np.float32 and got[0].embedding.shape == (384,)
    assert driver.parameters("passages_page")[1]["after_article"] == "a"
    assert [(m.passage_id, m.iri) for m in store.iter_mentions()] == [
        ("a#0", "x"), ("a#0", "y"), ("b#0", "x")]
    assert [p["after"] for p in driver.parameters("mentions_page")] == ["", "a#1"]
    store.clear()
    assert driver.statements()[-2:] == ["clear_graph", "new_scheme_revision"]


def test_article_listing_pages_with_passage_counts():
    head = {"id": "b", "title": "B", "source": "s", "url": "", "content_hash": "h",
            "ingested_at": "2024-01-01T00:00:00Z", "passages": 3}
    store, driver = open_fake(responses={
        "article_listing": [{"total": 5, "articles": [head]}]})
    total, page = store.list_articles(limit=1, offset=1, sort="title")
    assert total == 5 and [(a.id, a.title, a.text, n) for a, n in page] == [("b", "B", "", 3)]
    assert driver.parameters("article_listing") == [
        {"by_title": True, "offset": 1, "limit": 1}]
    store.list_articles(limit=-3, offset=-1)
    assert driver.parameters("article_listing")[-1] == {"by_title": False, "offset": 0,
                                                        "limit": 0}
    with pytest.raises(ValueError):
        store.list_articles(sort="size")


def test_every_statement_is_exercised_by_this_file():
    """Run each store method once against the fake: together they use every statement."""
    driver = FakeNeo4jDriver(responses={
        "delete_article": [{"deleted": 1}],
        "cooccurrence_stale": [{"stale": True}],
        "passage_concepts": concept_sets_before_then_after(
            [], [{"id": "doc-1#0", "iris": ["http://ex.org/a", "http://ex.org/b"]}]),
        "passages_mentioning_concepts_except": [{"id": "doc-1#0"}],
        "passages_without_seq": (lambda pages: lambda p: pages.pop(0) if pages else [])(
            [[{"id": "doc-0#0"}]]),
        "delete_articles_passages": [{"seqs": [1]}],
        # the second keyword search finds the log pruned past it: every key compared
        "keyword_sync_state": (lambda calls: lambda p: [
            {"next": 1, "removals": 2 * len(calls.append(1) or calls) - 2, "passages": 1}])([]),
        "vector_search": vector_row([("doc-1#0", 1.0)], next=1, passages=1),
        "passage_seqs": [{"removals": 2, "seqs": [1]}],
        "keyword_rows": lambda p: [{"seq": 1, "id": "doc-1#0", "title": "T",
                                    "text": "customer"}] if p["after"] < 1 else [],
        "stats": [{"articles": 0, "passages": 0, "concepts": 0, "mentions": 0}],
        "passages_without_section": [{"found": True}],
        "put_meta_value": [{"value": "https://citegraph.invalid/x/"}],
        "article_listing": [{"total": 0, "articles": []}]})
    store = Neo4jStore(URI, driver)  # the schema statements too
    article, passages, mentions = article_with_passages(2)
    store.upsert_article(article, passages, mentions)
    store.article_hash("doc-1")
    store.delete_article("doc-1")
    store.get_article("doc-1")
    store.article_titles(["doc-1"])
    store.article_passages("doc-1")
    store.concept_names()
    store.mention_counts(["http://ex.org/a"])
    store.most_mentioned(5)
    store.list_articles()
    store.get_passages(["doc-1#0"])
    store.sentence_vectors(["doc-1#0"])
    store.passage_details(["doc-1#0"])
    store.replace_concepts([Concept("http://ex.org/a", "A", broader=["http://ex.org/b"],
                                    related=["http://ex.org/b"]), Concept("http://ex.org/b", "B")])
    store.list_concepts()
    store.get_concept("http://ex.org/a")
    store.concept_labels(["http://ex.org/a"])
    store.narrower("http://ex.org/a")
    store.replace_mentions(["doc-1#0"], mentions)
    store.passage_mentions(["doc-1#0"])
    store.concept_mentions("http://ex.org/a")
    store.rebuild_cooccurrence()
    store.cooccurrence_counts()
    store.co_occurring("http://ex.org/a")
    store.keyword_search("customer", 3)
    store.keyword_search("customer", 3)
    store.vector_search(passages[0].embedding, 3)
    store.fulltext_search("customer", 3)
    store.stats()
    store.meta_value("base_iri")
    store.put_meta_value("base_iri", "https://citegraph.invalid/x/")
    list(store.iter_articles())
    list(store.iter_passages())
    list(store.iter_mentions())
    store.clear()
    assert set(driver.statements()) == set(cypher.STATEMENTS)


def test_store_settings_read_and_put_with_their_parameters():
    store, driver = open_fake(responses={"meta_value": [],
                                         "put_meta_value": [{"value": "https://a/"}]})
    assert store.meta_value("base_iri") is None
    assert store.put_meta_value("base_iri", "https://b/") == "https://a/"  # the kept one
    store.put_meta_value("base_iri", "https://c/", replace=True)
    assert driver.parameters("meta_value") == [{"key": "base_iri"}]
    assert driver.parameters("put_meta_value") == [
        {"key": "base_iri", "value": "https://b/", "replace": False},
        {"key": "base_iri", "value": "https://c/", "replace": True}]
    assert driver.statements("write") == ["put_meta_value", "put_meta_value"]


# --- connecting ------------------------------------------------------------------------------
@pytest.mark.parametrize("scheme", ["bolt", "neo4j"])
def test_real_driver_connection_failure_is_one_line(scheme):
    uri = f"{scheme}://127.0.0.1:{free_port()}"
    with pytest.raises(StoreError) as info:
        open_store(uri)
    assert str(info.value).startswith(f"cannot reach Neo4j at {uri}: ")
    assert "\n" not in str(info.value)


def test_settings_from_the_environment_reach_the_driver(monkeypatch):
    from citegraph.runtime import Runtime
    from citegraph.settings import load_settings

    import neo4j

    made = {}

    def fake_driver(uri, auth=None, **config):
        made.update(uri=uri, auth=auth, driver=FakeNeo4jDriver(
            responses={"stats": [{"articles": 0, "passages": 0, "concepts": 0,
                                  "mentions": 0}]}))
        return made["driver"]

    monkeypatch.setattr(neo4j.GraphDatabase, "driver", fake_driver)
    settings = load_settings(environ={"NEO4J_USER": "reader", "NEO4J_PASSWORD": "s3cret",
                                      "NEO4J_DATABASE": "papers",
                                      "CITEGRAPH_STORE": "neo4j+s://db.example:7687"})
    store = Runtime(settings).store
    store.stats()
    assert made["uri"] == "neo4j+s://db.example:7687" and made["auth"] == ("reader", "s3cret")
    assert {db for _a, db, _c in made["driver"].committed} == {"papers"}


def test_auth_failure_is_one_line_and_closes_the_driver(monkeypatch):
    import neo4j

    driver = FakeNeo4jDriver(connect_error=AuthError("The client is unauthorized"))
    monkeypatch.setattr(neo4j.GraphDatabase, "driver", lambda uri, auth=None, **config: driver)
    with pytest.raises(StoreError, match=r"^cannot reach Neo4j at bolt://h:7687: The client is"
                                         r" unauthorized$"):
        Neo4jStore.connect("bolt://h:7687", "neo4j", "wrong")
    assert driver.closed


def test_invalid_uri_is_one_line():
    with pytest.raises(StoreError, match="^invalid Neo4j URI http://h:7474: expected one of"):
        Neo4jStore.connect("http://h:7474")


def test_cli_reports_unreachable_neo4j_in_one_line():
    uri = f"bolt://127.0.0.1:{free_port()}"
    citegraph = Path(sys.executable).parent / "citegraph"
    proc = subprocess.run([str(citegraph), "stats", "--store", uri],
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 2
    assert proc.stderr.strip().startswith(f"citegraph: cannot reach Neo4j at {uri}: ")
    assert len(proc.stderr.strip().splitlines()) == 1


def test_article_author_and_date_are_written_and_read():
    row = {"id": "doc-1", "title": "T", "text": "body", "source": "s", "url": "",
           "content_hash": "h", "ingested_at": "now", "author": "Ana Ruiz",
           "published": "2024-03-01"}
    store, driver = open_fake(responses={"get_article": [{"article": row}],
                                         "article_titles": [{"article": dict(row, text="")}]})
    got = store.get_article("doc-1")
    assert (got.author, got.published) == ("Ana Ruiz", "2024-03-01")
    head = store.article_titles(["doc-1"])["doc-1"]
    assert (head.author, head.published) == ("Ana Ruiz", "2024-03-01")
    bare = {k: v for k, v in row.items() if k not in ("author", "published")}
    driver.responses["get_article"] = [{"article": bare}]
    assert store.get_article("doc-1").author is None
    assert store.get_article("doc-1").published is None


# --- passages' section (body or comment), author and date ------------------------------------
def test_passage_section_author_and_date_are_written_and_read():
    store, driver = open_fake()
    article, passages, mentions = article_with_passages(2)
    passages[1].section, passages[1].author, passages[1].date = (
        "comment", "Mitch Lieberman", "2011-10-24T07:31:00")
    store.upsert_article(article, passages, mentions)
    rows = driver.parameters("create_passages")[0]["rows"]
    assert [(r["section"], r["author"], r["date"]) for r in rows] == [
        ("body", None, None), ("comment", "Mitch Lieberman", "2011-10-24T07:31:00")]
    assert "section: row.section" in cypher.create_passages().text
    row = {"id": "doc-1#1", "article_id": "doc-1", "ordinal": 1, "text": "p1.", "start": 5,
           "end": 8, "section": "comment", "author": "Mitch Lieberman",
           "date": "2011-10-24T07:31:00"}
    old = {k: v for k, v in row.items() if k not in ("section", "author", "date")}
    driver.responses["get_passages"] = [{"passage": row}, {"passage": dict(old, id="doc-1#0")}]
    got = store.get_passages(["doc-1#1", "doc-1#0"])
    assert (got[0].section, got[0].author, got[0].date) == (
        "comment", "Mitch Lieberman", "2011-10-24T07:31:00")
    assert (got[1].section, got[1].author, got[1].date) == ("body", None, None)


def test_passages_of_an_earlier_version_are_marked_body_on_open():
    driver = FakeNeo4jDriver(responses={"passages_without_section": [{"found": True}]})
    Neo4jStore(URI, driver)
    assert driver.statements()[-2:] == ["passages_without_section", "mark_body_passages"]
    text = cypher.mark_body_passages().text
    assert "p.section IS NULL" in text and "p.author = a.author" in text
    quiet = FakeNeo4jDriver(responses={"passages_without_section": [{"found": False}]})
    Neo4jStore(URI, quiet)
    assert "mark_body_passages" not in quiet.statements()
