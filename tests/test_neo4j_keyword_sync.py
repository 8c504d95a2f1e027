"""The Neo4j store's in-memory keyword index follows other store objects' and processes'
writes through the graph's removal log (graph/cypher.py log_passage_removal), without
reading every passage key after each write: deletes, re-ingests of the same article, a
clear, a log pruned past a reader, and writers racing a reader. Live Neo4j."""
from __future__ import annotations

import subprocess
import sys
import threading

import numpy as np
import pytest

from citegraph.graph.models import Article, Passage
from conftest import REPO, open_neo4j

pytestmark = pytest.mark.neo4j


def article(aid: str, words: str, passages: int = 2, seed: int = 0):
    rng = np.random.default_rng(seed)
    vectors = rng.standard_normal((passages, 384)).astype(np.float32)
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    text = f"{words} filler"
    return (Article(aid, f"Title {aid}", text),
            [Passage(Passage.make_id(aid, i), aid, i, text, 0, len(text), embedding=vec)
             for i, vec in enumerate(vectors)], [])


def statement_names(store) -> list[str]:
    """The names of the statements the store reads from now on (its own reads, recorded)."""
    names: list[str] = []
    read = store._read

    def recording(statement, **parameters):
        names.append(statement.name)
        return read(statement, **parameters)

    store._read = recording
    return names


def found(store, query: str) -> set[str]:
    return {h.passage_id for h in store.keyword_search(query, 50)}


def graph_passage_ids(store) -> list[str]:
    return sorted(p.id for p in store.iter_passages())


@pytest.fixture
def stores(neo4j_uri):
    reader, writer = open_neo4j(neo4j_uri), open_neo4j(neo4j_uri)
    writer.clear()
    yield reader, writer
    writer.clear()
    reader.close()
    writer.close()


def test_another_store_objects_delete_and_reingest_are_seen_from_the_log(stores):
    reader, writer = stores
    writer.upsert_articles([article("a0", "zebra"), article("a1", "okapi"),
                            article("a2", "zebra okapi")])
    assert found(reader, "zebra") == {"a0#0", "a0#1", "a2#0", "a2#1"}
    names = statement_names(reader)
    writer.delete_article("a0")
    writer.upsert_article(*article("a2", "giraffe", passages=3))  # the same article again
    assert found(reader, "zebra") == set()
    assert found(reader, "okapi") == {"a1#0", "a1#1"}
    assert found(reader, "giraffe") == {"a2#0", "a2#1", "a2#2"}
    assert "passage_removals" in names
    assert "passage_seqs" not in names  # not every key of the graph read again
    assert sorted(reader._keyword_ids.values()) == graph_passage_ids(writer)


def test_a_delete_in_another_process_is_seen(stores, neo4j_uri):
    reader, writer = stores
    writer.upsert_articles([article("a0", "zebra"), article("a1", "zebra")])
    assert len(found(reader, "zebra")) == 4
    names = statement_names(reader)
    code = ("import sys; sys.path.insert(0, 'tests'); from conftest import open_neo4j; "
            f"s = open_neo4j({neo4j_uri!r}); assert s.delete_article('a1'); s.close()")
    subprocess.run([sys.executable, "-c", code], cwd=REPO, check=True, timeout=120)
    assert found(reader, "zebra") == {"a0#0", "a0#1"}
    assert "passage_seqs" not in names


def test_a_clear_by_another_store_removes_every_older_key(stores):
    reader, writer = stores
    writer.upsert_articles([article("a0", "zebra"), article("a1", "zebra")])
    assert len(found(reader, "zebra")) == 4
    names = statement_names(reader)
    writer.clear()
    writer.upsert_article(*article("a0", "zebra", passages=1))
    assert found(reader, "zebra") == {"a0#0"}
    assert "passage_seqs" not in names
    assert sorted(reader._keyword_ids.values()) == ["a0#0"]


def test_a_reader_the_log_was_pruned_past_compares_every_key_once(stores, monkeypatch):
    from citegraph.graph.neo4j import articles

    reader, writer = stores
    writer.upsert_articles([article(f"a{n}", "zebra") for n in range(6)])
    assert len(found(reader, "zebra")) == 12
    monkeypatch.setattr(articles, "REMOVAL_LOG_KEEP", 2)  # the writer keeps two entries
    names = statement_names(reader)
    for n in range(4):
        writer.delete_article(f"a{n}")
    assert found(reader, "zebra") == {"a4#0", "a4#1", "a5#0", "a5#1"}
    assert names.count("passage_seqs") == 1
    writer.delete_article("a4")  # caught up: the log again
    assert found(reader, "zebra") == {"a5#0", "a5#1"}
    assert names.count("passage_seqs") == 1


def test_writers_racing_a_reader_leave_it_equal_to_the_graph(stores, neo4j_uri):
    """Two store objects re-ingest and delete the same articles in threads while a third
    syncs over and over; afterwards its index holds exactly the graph's passages."""
    reader, writer = stores
    other = open_neo4j(neo4j_uri)
    errors: list[BaseException] = []

    def write(store, seed):
        rng = np.random.default_rng(seed)
        try:
            for _ in range(25):
                aid = f"a{rng.integers(0, 5)}"
                if rng.random() < 0.3:
                    store.delete_article(aid)
                else:
                    store.upsert_article(*article(aid, "zebra", int(rng.integers(1, 4)), seed))
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    threads = [threading.Thread(target=write, args=(s, i)) for i, s in enumerate((writer, other))]
    for t in threads:
        t.start()
    try:
        while any(t.is_alive() for t in threads):
            reader.keyword_search("zebra", 50)
    finally:
        for t in threads:
            t.join()
        other.close()
    assert not errors, errors
    reader.keyword_search("zebra", 50)
    assert sorted(reader._keyword_ids.values()) == graph_passage_ids(writer)
    assert len(reader._keywords) == len(reader._keyword_ids)
