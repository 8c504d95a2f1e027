"""The in-memory keyword index against SQLite FTS5's bm25(): same scores and same ranking
(up to ties) on the demo store (and the seed store, where ../shared is there) and on generated
stores (our synthetic articles; SciFact abstracts where ../shared/eval is there), through
inserts, deletes and writes from a second store object on the same file (another process, as
far as the store knows)."""
from __future__ import annotations

import gzip
import json
import math
import random
from collections import Counter

import numpy as np
import pytest

from citegraph.graph.keyword import PostingsIndex
from citegraph.graph.keyword.tokens import FTS_TOKENIZE, text_tokens, word_tokens
from citegraph.graph.models import Article, Passage
from citegraph.graph.sqlite_schema import SCHEMA
from citegraph.graph.sqlite_store import SQLiteStore

import synthetic
from conftest import DEMO_QUESTIONS, EVAL, needs_seeds

SCIFACT = EVAL / "scifact"
ODD_WORDS = ["café", "Café", "naïve", "Ørsted", "Straße", "ελληνικά", "東京", "façade",
             "aᦰb"]  # the last one unicode61 splits in two: an FTS5 phrase


def assert_same_ranking(store: SQLiteStore, query: str, k: int) -> None:
    """Equal scores, and equal ids wherever the score is not tied with a neighbour or with
    the last hit (documents tied at the cut may be left out in either order)."""
    got, want = store.keyword_search(query, k), store.fts_keyword_search(query, k)
    assert len(got) == len(want), query
    for g, w in zip(got, want):
        assert math.isclose(g.score, w.score, rel_tol=1e-12, abs_tol=1e-12), query
    scores = [round(w.score, 9) for w in want]
    for i, (g, w) in enumerate(zip(got, want)):
        if scores.count(scores[i]) == 1 and scores[i] != scores[-1]:
            assert g.passage_id == w.passage_id, (query, i)
    by_score = lambda hits: Counter((round(h.score, 9), h.passage_id) for h in hits
                                    if round(h.score, 9) != scores[-1])
    assert by_score(got) == by_score(want), query


def unit_vectors(rng: np.random.Generator, n: int) -> np.ndarray:
    # keyword ranking never reads embeddings; the store only requires one per passage
    rows = rng.standard_normal((n, 384)).astype(np.float32)
    return rows / np.linalg.norm(rows, axis=1, keepdims=True)


def add_article(store: SQLiteStore, article_id: str, title: str, texts: list[str],
                rng: np.random.Generator) -> None:
    passages, start = [], 0
    for ordinal, (text, vector) in enumerate(zip(texts, unit_vectors(rng, len(texts)))):
        passages.append(Passage(Passage.make_id(article_id, ordinal), article_id, ordinal, text,
                                start, start + len(text), vector))
        start += len(text) + 1
    store.upsert_article(Article(article_id, title, " ".join(texts), content_hash=article_id,
                                 ingested_at="2024-01-01T00:00:00Z"), passages, [])


def synthetic_records() -> tuple[list[dict], list[str]]:
    """1,200 records of one to six synthetic articles each (uneven lengths), with questions
    of the demo and the synthetic module as queries."""
    rng = random.Random(11)
    pool = synthetic.articles(3000, seed=11)
    records = []
    for n in range(1200):
        parts = rng.sample(pool, rng.randrange(1, 7))
        records.append({"_id": f"gen-{n:04d}", "title": parts[0]["title"],
                        "text": " ".join(part["text"] for part in parts)})
    questions = [q for q in DEMO_QUESTIONS.read_text(encoding="utf-8").splitlines() if q]
    return records, synthetic.QUERIES + questions + [r["title"] for r in records[:20]]


def scifact_records() -> tuple[list[dict], list[str]]:
    if not SCIFACT.is_dir():
        pytest.skip("../shared/eval/scifact is not here")
    with gzip.open(SCIFACT / "corpus.jsonl.gz", "rt", encoding="utf-8") as f:
        records = [json.loads(line) for _, line in zip(range(1200), f)]
    with open(SCIFACT / "queries.jsonl", encoding="utf-8") as f:
        queries = [json.loads(line)["text"] for _, line in zip(range(80), f)]
    return records, queries


@pytest.fixture(scope="module", params=["synthetic", "scifact"])
def generated(request):
    """(records, queries) of a generated store: ours always, SciFact's where it is here."""
    return synthetic_records() if request.param == "synthetic" else scifact_records()


@pytest.fixture
def generated_store(tmp_path, generated):
    """1,200 records cut into passages of 40 words, with odd words sprinkled in."""
    records, _ = generated
    rng, words_rng = np.random.default_rng(3), random.Random(3)
    store = SQLiteStore(tmp_path / "generated")
    for r in records:
        words = r["text"].split()
        for _ in range(words_rng.randrange(3)):
            words.insert(words_rng.randrange(len(words) + 1), words_rng.choice(ODD_WORDS))
        texts = [" ".join(words[i:i + 40]) for i in range(0, len(words), 40)] or [r["title"]]
        add_article(store, str(r["_id"]), r["title"], texts, rng)
    yield store
    store.close()


@pytest.mark.parametrize("store_fixture", ["demo_store",
                                           pytest.param("seed_store", marks=needs_seeds)])
def test_real_store_ranks_as_fts5(store_fixture, request):
    store = request.getfixturevalue(store_fixture)
    titles = [a.title for a in store.iter_articles()]
    texts = [p.text[:80] for p in store.iter_passages()][::3]
    queries = titles + texts + ["who owns the data platform", "customer churn and loyalty",
                                "the of and", "zzzz unknownword", ""]
    for query in queries:
        for k in (1, 10, 50):
            assert_same_ranking(store, query, k)
    assert store.keyword_index_info()["documents"] == store.stats()["passages"]


def test_generated_store_ranks_as_fts5_through_deletes(generated_store, generated):
    records, queries = generated
    queries = queries + ODD_WORDS + ["cafe facade", "Ørsted straße 東京 cell"]
    for query in queries:
        assert_same_ranking(generated_store, query, 10)
    for r in records[::4]:  # deletes change N, avgdl and document frequencies
        assert generated_store.delete_article(str(r["_id"]))
    for query in queries:
        assert_same_ranking(generated_store, query, 20)
    hits = generated_store.keyword_search(" ".join(ODD_WORDS[:3]), 1000)
    gone = {str(r["_id"]) for r in records[::4]}
    assert hits and not any(h.passage_id.split("#")[0] in gone for h in hits)


def test_writes_from_another_process_are_searchable_without_restart(demo_store):
    server = SQLiteStore(demo_store.directory, readonly=True)  # the serving process
    rng = np.random.default_rng(0)
    assert server.keyword_search("quokkawombat", 5) == []
    add_article(demo_store, "new-1", "Quokkawombat habits",
                ["The quokkawombat sleeps all day.", "It eats leaves."], rng)
    hits = server.keyword_search("quokkawombat", 5)
    assert [h.passage_id for h in hits] == ["new-1#0", "new-1#1"]  # title counts for both
    assert_same_ranking(server, "quokkawombat leaves", 5)
    add_article(demo_store, "new-1", "Other title", ["Leaves only now."], rng)  # replaced
    assert server.keyword_search("quokkawombat", 5) == []
    assert [h.passage_id for h in server.keyword_search("leaves only", 1)] == ["new-1#0"]
    assert demo_store.delete_article("new-1")
    assert server.keyword_search("leaves only now", 5) == server.fts_keyword_search(
        "leaves only now", 5)
    assert all(not h.passage_id.startswith("new-1") for h in server.keyword_search("leav", 50))
    server.close()


def brute_force_bm25(docs: dict[int, tuple[str, str]], terms: list[str], weight: float):
    """BM25 as the FTS5 documentation writes it, one document at a time."""
    tokens = {key: (text_tokens(t), text_tokens(b)) for key, (t, b) in docs.items()}
    n = len(docs)
    avgdl = sum(len(t) + len(b) for t, b in tokens.values()) / n
    scores = {}
    for key, (title, body) in tokens.items():
        score, matched = 0.0, False
        for term in terms:
            hits = sum(term in t or term in b for t, b in tokens.values())
            freq = weight * title.count(term) + body.count(term)
            if not freq:
                continue
            matched = True
            idf = max(math.log((n - hits + 0.5) / (hits + 0.5)), 0.0) or 1e-6
            size = len(title) + len(body)
            score += idf * freq * 2.2 / (freq + 1.2 * (0.25 + 0.75 * size / avgdl))
        if matched:
            scores[key] = score
    return sorted(scores.items(), key=lambda kv: (-kv[1], kv[0]))


def test_postings_index_matches_the_formula_through_merges_and_tombstones():
    rng = random.Random(5)
    vocabulary = [f"w{i}" for i in range(60)] + ["cafe"]
    doc = lambda: (" ".join(rng.choices(vocabulary[:20], k=rng.randrange(0, 4))),
                   " ".join(rng.choices(vocabulary, weights=range(61, 0, -1),
                                        k=rng.randrange(1, 30))))
    index, docs, key = PostingsIndex((2.0, 1.0)), {}, 100
    for batch in [1, 1, 1, 5, 2, 40, 3, 1, 100, 7]:  # uneven batches force merges
        keys = list(range(key, key + batch))
        texts = [doc() for _ in keys]
        index.add(np.array(keys), ([t for t, _ in texts], [b for _, b in texts]))
        docs.update(zip(keys, texts))
        key += batch + rng.randrange(3)  # gaps, as deleted rowids leave
        gone = rng.sample(sorted(docs), k=len(docs) // 10)
        index.remove(np.array(sorted(gone)))
        for g in gone:
            del docs[g]
        assert len(index) == len(docs) and sorted(index.keys().tolist()) == sorted(docs)
        for terms in (["w0"], ["w3", "w17", "w40"], ["w1", "w1"], ["cafe", "nothere"]):
            want = brute_force_bm25(docs, terms, 2.0)[:15]
            got_keys, got_scores = index.search(terms, 15)
            assert got_keys.tolist() == [k for k, _ in want]
            np.testing.assert_allclose(got_scores, [s for _, s in want], rtol=1e-12)
    assert index.describe()["segments"] < 6
    with pytest.raises(ValueError, match="increase"):
        index.add(np.array([1]), (["w1"], ["w2"]))


def test_tokens_follow_fts5():
    assert FTS_TOKENIZE in SCHEMA
    assert word_tokens("café") == ("cafe",) and word_tokens("cell") == ("cell",)
    assert text_tokens("naïv cell façad") == ["naiv", "cell", "facad"]
    index = PostingsIndex((1.0,))
    index.add(np.array([1]), (["ab"],))
    assert index.search(["aᦰb"], 5) is None  # a phrase: the store asks FTS5 instead


def reference_bm25(docs: dict[int, tuple[str, str]], terms: list[str], weight: float):
    """FTS5's bm25() with its operations in its order (so equal to the last bit), every
    document scored; best first, older (smaller) keys first among equal scores."""
    tokens = {key: (text_tokens(t), text_tokens(b)) for key, (t, b) in docs.items()}
    avgdl = sum(len(t) + len(b) for t, b in tokens.values()) / len(docs)
    hits = {term: sum(term in t or term in b for t, b in tokens.values()) for term in terms}
    scores = {}
    for key, (title, body) in tokens.items():
        score, matched, size = 0.0, False, len(title) + len(body)
        for term in terms:
            idf = math.log((len(docs) - hits[term] + 0.5) / (hits[term] + 0.5))
            idf = idf if idf > 0.0 else 1e-6
            freq = weight * title.count(term) + body.count(term)
            matched = matched or freq > 0
            score += idf * ((freq * 2.2) / (freq + 1.2 * (1 - 0.75 + 0.75 * size / avgdl)))
        if matched:
            scores[key] = score
    return sorted(scores.items(), key=lambda kv: (-kv[1], kv[0]))


def test_ties_at_the_cut_go_to_the_oldest_documents_through_deletes():
    """2,140 documents holding one term, 1,500 of them identical: the k best are chosen
    without ranking every match, and among equal scores the oldest win, before and after
    deletes (whose postings stay in their segments until merged)."""
    docs, key = {}, 10
    for i in range(2140):
        if i % 50 == 7 and len([d for d in docs.values() if "zeta" in d[1]]) < 40:
            docs[key] = ("", "zeta alpha alpha")
        elif i % 3:
            docs[key] = ("", "alpha beta")
        else:
            docs[key] = ("", "alpha gamma delta")
        key += 1
    keys = sorted(docs)
    index = PostingsIndex((2.0, 1.0))
    for start in range(0, len(keys), 700):  # three segments, the last one small
        batch = keys[start:start + 700]
        index.add(np.array(batch), ([docs[k][0] for k in batch], [docs[k][1] for k in batch]))
    queries = (["alpha"], ["zeta", "beta"], ["beta", "gamma", "alpha"], ["alpha", "alpha"])
    for round_ in range(2):
        for terms in queries:
            for k in (1, 60, 100, 1500):
                want = reference_bm25(docs, terms, 2.0)[:k]
                got_keys, got_scores = index.search(terms, k)
                assert got_keys.tolist() == [k_ for k_, _ in want], (round_, terms, k)
                assert got_scores.tolist() == [s for _, s in want], (round_, terms, k)
        # delete the oldest tied documents and a zeta one: the next oldest move up
        gone = [k_ for k_ in keys if docs.get(k_, ("", ""))[1] == "alpha beta"][:30]
        gone += [k_ for k_ in keys if "zeta" in docs.get(k_, ("", ""))[1]][:1]
        index.remove(np.array(sorted(gone)))
        for g in gone:
            del docs[g]
