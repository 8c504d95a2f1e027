"""Co-occurrence kept by the store itself (graph/cooccurrence.py): after any sequence of
writes that change mentions (upserts, replacements, deletes, relinks, scheme changes) the
incrementally kept counts equal a full recount of the mentions, and what `co_occurring` /
`co_occurrences` answer follows from them. Property-style on small generated data with
hand-made mentions (no model), on SQLite always and on Neo4j when NEO4J_URI is set."""
from __future__ import annotations

import math
import random
import sqlite3
from collections import Counter

import numpy as np
import pytest

from citegraph.graph.cooccurrence import CoOccurrenceCounts, association, counts_of, delta
from citegraph.graph.models import Article, Concept, Mention, Passage

EX = "http://example.org/co/"
IRIS = [EX + f"c{i}" for i in range(6)]
CONCEPTS = [Concept(iri, f"concept {i}", scheme=EX) for i, iri in enumerate(IRIS)]
RNG_VECTORS = np.random.default_rng(7)
VECTORS = RNG_VECTORS.normal(size=(64, 384)).astype(np.float32)
VECTORS /= np.linalg.norm(VECTORS, axis=1, keepdims=True)


# --- the pure counting ---------------------------------------------------------------------
def test_counts_and_delta():
    counts = counts_of([{"a", "b", "c"}, {"a", "b"}, set(), {"c"}])
    assert counts.passages == 3
    assert counts.concepts == {"a": 2, "b": 2, "c": 2}
    assert counts.pairs == {("a", "b"): 2, ("a", "c"): 1, ("b", "c"): 1}
    change = delta({"p1": {"a", "b"}, "p2": {"c"}, "p3": {"a"}},
                   {"p1": {"a", "b"}, "p2": {"a", "c"}, "p4": {"b"}})
    # p1 unchanged: nothing; p2 gains a; p3 loses its only mention; p4 is new
    assert change.passages == 0
    assert change.concepts == {"b": 1}
    assert change.pairs == {("a", "c"): 1}
    assert not delta({"p": ["x", "x"]}, {"p": {"x"}})


def test_association_weights():
    pmi, npmi = association(2, 4, 2, 8)
    assert pmi == pytest.approx(math.log(2 * 8 / (4 * 2)))
    assert npmi == pytest.approx(pmi / -math.log(2 / 8))
    assert association(3, 3, 3, 3) == (0.0, 1.0)  # always together in every passage
    assert association(5, 5, 5, 10)[1] == pytest.approx(1.0)  # only ever together
    assert association(0, 3, 3, 10) == (0.0, 0.0)
    assert association(1, 5, 5, 9)[1] < 0  # rarer together than apart


# --- stores ------------------------------------------------------------------------------------
from test_store_contract import store  # noqa: E402,F401  (the contract suite's backends)


class Model:
    """What the store should hold: passages per article and mentions per passage."""

    def __init__(self):
        self.articles: dict[str, list[str]] = {}
        self.mentions: dict[str, list[Mention]] = {}
        self.concepts = set(IRIS)

    def concept_sets(self) -> dict[str, set[str]]:
        out = {}
        for pids in self.articles.values():
            for pid in pids:
                iris = {m.iri for m in self.mentions.get(pid, []) if m.iri in self.concepts}
                if iris:
                    out[pid] = iris
        return out

    def expected(self) -> CoOccurrenceCounts:
        return counts_of(self.concept_sets().values())


def random_mentions(rng: random.Random, pid: str, concepts: list[str]) -> list[Mention]:
    out = []
    for iri in rng.sample(concepts, rng.randint(0, min(4, len(concepts)))):
        for k in range(rng.choice([1, 1, 2])):  # a concept mentioned twice counts once
            out.append(Mention(pid, iri, round(rng.random(), 3),
                               rng.choice(["label", "alt_label", "embedding"]),
                               k * 5, k * 5 + 3, "text"))
    return out


def upsert(store, model: Model, rng: random.Random, article_id: str) -> None:
    n = rng.randint(0, 4)
    text = " ".join(f"passage{i}" for i in range(n))
    article = Article(article_id, f"title {article_id}", text, "gen.txt", "",
                      f"h{rng.random()}", "2024-01-01T00:00:00")
    passages, mentions = [], []
    for i in range(n):
        pid = Passage.make_id(article_id, i)
        start = i * 9
        passages.append(Passage(pid, article_id, i, f"passage{i}", start, start + 8,
                                VECTORS[rng.randrange(len(VECTORS))]))
        mentions += random_mentions(rng, pid, sorted(model.concepts))
    store.upsert_article(article, passages, mentions)
    for pid in model.articles.get(article_id, []):
        model.mentions.pop(pid, None)
    model.articles[article_id] = [p.id for p in passages]
    for p in passages:
        model.mentions[p.id] = [m for m in mentions if m.passage_id == p.id]


def step(store, model: Model, rng: random.Random) -> str:
    op = rng.choices(["upsert", "delete", "relink", "scheme"], weights=[6, 2, 3, 1])[0]
    ids = sorted(model.articles)
    if op == "upsert" or not ids:
        upsert(store, model, rng, f"a{rng.randrange(8)}")  # new or replacing
    elif op == "delete":
        article_id = rng.choice(ids + ["unknown"])
        assert store.delete_article(article_id) == (article_id in model.articles)
        for pid in model.articles.pop(article_id, []):
            model.mentions.pop(pid, None)
    elif op == "relink":
        pids = [p for a in ids for p in model.articles[a]]
        chosen = rng.sample(pids, rng.randint(0, len(pids)))
        new = [m for pid in chosen for m in random_mentions(rng, pid, sorted(model.concepts))]
        store.replace_mentions(chosen, new)
        for pid in chosen:
            model.mentions[pid] = [m for m in new if m.passage_id == pid]
    else:  # a scheme change: one concept leaves (with its mentions), or all come back
        if len(model.concepts) < len(IRIS) and rng.random() < 0.5:
            model.concepts = set(IRIS)
        else:
            model.concepts.discard(rng.choice(sorted(model.concepts)))
        store.replace_concepts([c for c in CONCEPTS if c.iri in model.concepts])
        for pid, ms in model.mentions.items():
            model.mentions[pid] = [m for m in ms if m.iri in model.concepts]
    return op


def check(store, model: Model, where: str) -> None:
    expected = model.expected()
    got = store.cooccurrence_counts()
    assert (got.pairs, got.concepts, got.passages) == (
        expected.pairs, expected.concepts, expected.passages), where
    sets = model.concept_sets()
    for iri in sorted(model.concepts):
        want = []
        for other in sorted(model.concepts - {iri}):
            pids = sorted(p for p, s in sets.items() if iri in s and other in s)
            if pids:
                want.append((other, float(len(pids)), pids))
        want.sort(key=lambda r: (-r[1], r[0]))
        assert store.co_occurring(iri, limit=100) == want, (where, iri)
        assert store.co_occurring(iri, limit=2) == want[:2], (where, iri)
        for c in store.co_occurrences(iri, limit=100):
            pmi, npmi = association(c.count, expected.concepts[iri],
                                    expected.concepts[c.other], expected.passages)
            assert (c.pmi, c.npmi) == (pytest.approx(pmi, abs=1e-5),
                                       pytest.approx(npmi, abs=1e-5)), (where, iri)


@pytest.mark.parametrize("seed", range(4))
def test_incremental_counts_equal_a_full_recount(store, seed):
    rng = random.Random(seed)
    steps = 50 if store.__class__.__name__ == "SQLiteStore" else 25
    model = Model()
    store.replace_concepts(CONCEPTS)
    ops = Counter()
    for i in range(steps):
        ops[step(store, model, rng)] += 1
        if i % 5 == 4:
            check(store, model, f"seed {seed}, step {i}")
    check(store, model, f"seed {seed}, end")
    store.rebuild_cooccurrence()  # the repair tool finds nothing to repair
    check(store, model, f"seed {seed}, after rebuild")
    assert len(ops) >= 3, ops


def test_a_failed_write_leaves_the_counts_untouched(store):
    rng = random.Random(11)
    model = Model()
    store.replace_concepts(CONCEPTS)
    for i in range(4):
        upsert(store, model, rng, f"a{i}")
    before = store.cooccurrence_counts()
    article = Article("a0", "t", "passage0", "gen.txt", "", "changed", "2024-01-01T00:00:00")
    passage = Passage("a0#0", "a0", 0, "passage0", 0, 8)  # no embedding: refused
    with pytest.raises(Exception):
        store.upsert_article(article, [passage], [Mention("a0#0", IRIS[0], 1.0, "label")])
    assert store.cooccurrence_counts() == before
    check(store, model, "after the refused write")


def test_clear_empties_the_counts(store):
    if not hasattr(store, "clear"):
        pytest.skip("the embedded store has no clear()")
    rng = random.Random(3)
    model = Model()
    store.replace_concepts(CONCEPTS)
    for i in range(3):
        upsert(store, model, rng, f"a{i}")
    store.clear()
    assert not store.cooccurrence_counts()
    store.replace_concepts(CONCEPTS)
    check(store, Model(), "after clear")


# --- stores written by an earlier version ----------------------------------------------------------
def make_version_one(path) -> None:
    """Turn a store file into what schema version 1 wrote: the old table, stale rows."""
    conn = sqlite3.connect(path / "citegraph.sqlite3", isolation_level=None)
    conn.executescript("""
        DROP VIEW cooccurs; DROP TABLE cooccur_pairs; DROP TABLE cooccur_concepts;
        DELETE FROM meta WHERE key = 'cooccur_passages';
        CREATE TABLE cooccurs (a TEXT NOT NULL, b TEXT NOT NULL, weight REAL NOT NULL,
            passages TEXT NOT NULL, PRIMARY KEY (a, b));
        CREATE INDEX cooccurs_by_b ON cooccurs(b);
        INSERT INTO cooccurs VALUES ('x', 'y', 9.0, '["stale#0"]');
        ALTER TABLE concepts DROP COLUMN language; ALTER TABLE concepts DROP COLUMN extra;
        ALTER TABLE concepts DROP COLUMN scheme_triples;
        DROP INDEX articles_by_published; ALTER TABLE articles DROP COLUMN author;
        ALTER TABLE articles DROP COLUMN published;
        ALTER TABLE passages DROP COLUMN section; ALTER TABLE passages DROP COLUMN author;
        ALTER TABLE passages DROP COLUMN date;
        ALTER TABLE passages DROP COLUMN page;
        UPDATE meta SET value = '1' WHERE key = 'schema';
    """)
    conn.close()


def test_a_version_one_store_is_migrated_on_open(tmp_path):
    from citegraph.graph.sqlite_schema import SCHEMA_VERSION
    from citegraph.graph.sqlite_store import SQLiteStore

    rng = random.Random(5)
    model = Model()
    with SQLiteStore(tmp_path / "s") as s:
        s.replace_concepts(CONCEPTS)
        for i in range(6):
            upsert(s, model, rng, f"a{i}")
    make_version_one(tmp_path / "s")
    with SQLiteStore(tmp_path / "s", readonly=True) as s:  # read-only: the file stays as it is
        check(s, model, "read-only version 1")
    conn = sqlite3.connect(tmp_path / "s" / "citegraph.sqlite3")
    assert conn.execute("SELECT value FROM meta WHERE key='schema'").fetchone() == ("1",)
    conn.close()
    with SQLiteStore(tmp_path / "s") as s:
        check(s, model, "migrated")
        for _ in range(10):
            step(s, model, rng)
        check(s, model, "written after migration")
    conn = sqlite3.connect(tmp_path / "s" / "citegraph.sqlite3")
    assert conn.execute("SELECT value FROM meta WHERE key='schema'").fetchone() == (SCHEMA_VERSION,)
    # the version-1 columns stay readable, as a view over the counts
    rows = conn.execute("SELECT a, b, weight, passages FROM cooccurs").fetchall()
    assert {(a, b): w for a, b, w, _ in rows} == {
        k: float(v) for k, v in model.expected().pairs.items()}
    conn.close()


def test_an_unknown_schema_version_is_refused(tmp_path):
    from citegraph.graph.base import StoreError
    from citegraph.graph.sqlite_store import SQLiteStore

    SQLiteStore(tmp_path / "s").close()
    conn = sqlite3.connect(tmp_path / "s" / "citegraph.sqlite3", isolation_level=None)
    conn.execute("UPDATE meta SET value = '99' WHERE key = 'schema'")
    conn.close()
    with pytest.raises(StoreError, match="schema version 99"):
        SQLiteStore(tmp_path / "s")
