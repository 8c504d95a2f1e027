"""The one GraphStore contract suite, run against every backend: the embedded SQLite store
always, Neo4j whenever NEO4J_URI points at a live server (`make test-neo4j`).

The data is real: the ten articles of the demo corpus with their passages, embeddings and
sentence vectors from the session's demo store, plus a small concept scheme whose mentions are found
by matching labels in the passage text."""
from __future__ import annotations

import os
import re
from collections import defaultdict

import numpy as np
import pytest

from citegraph.graph.base import GraphStore
from citegraph.graph.models import Article, Concept, Mention, Passage

from conftest import DEMO_ARTICLES

EX = "http://example.org/concepts/"
CONCEPTS = [
    Concept(EX + "marketing", "marketing", ["marketer"], definition="Promoting and selling.",
            scheme=EX),
    Concept(EX + "cmo", "CMO", ["chief marketing officer"], broader=[EX + "marketing"],
            related=[EX + "cco"], scheme=EX),
    Concept(EX + "cco", "chief customer officer", ["CCO"], scheme=EX),
    Concept(EX + "crm", "CRM", ["customer relationship management"], related=[EX + "cco"],
            scheme=EX),
]
NEO4J_SKIP = ("NEO4J_URI is not set: the Neo4j run of the contract suite needs a live Neo4j "
              "(`make test-neo4j` starts one with docker compose and sets it)")


def find_mentions(passages: list[Passage]) -> list[Mention]:
    """Label matches, scored by how early they come, so that scores differ."""
    out = []
    for p in passages:
        for c in CONCEPTS:
            for label in [c.label] + c.alt_labels:
                for m in re.finditer(r"\b" + re.escape(label) + r"\b", p.text, re.IGNORECASE):
                    out.append(Mention(p.id, c.iri, round(1.0 - m.start() / 10_000, 4),
                                       "label" if label == c.label else "alt_label",
                                       m.start(), m.end(), m.group(0)))
                    break
    return out


@pytest.fixture(scope="session")
def demo_records(demo_store_dir):
    """[(article, passages with embeddings and sentence vectors)] of the demo articles."""
    from citegraph.graph.sqlite_store import SQLiteStore

    with SQLiteStore(demo_store_dir, readonly=True) as source:
        by_article = defaultdict(list)
        for p in source.iter_passages(with_embeddings=True):
            by_article[p.article_id].append(p)
        records = []
        for article in source.iter_articles():
            passages = by_article[article.id]
            sentences = source.sentence_vectors([p.id for p in passages])
            for p in passages:
                p.sentences = sentences.get(p.id)
            records.append((article, passages))
    assert len(records) == DEMO_ARTICLES and all(ps for _, ps in records)
    return records


@pytest.fixture(params=["sqlite", pytest.param("neo4j", marks=pytest.mark.neo4j)])
def store(request, tmp_path):
    if request.param == "sqlite":
        from citegraph.graph.sqlite_store import SQLiteStore

        s = SQLiteStore(tmp_path / "store")
        yield s
        s.close()
        return
    uri = os.environ.get("NEO4J_URI")
    if not uri:
        pytest.skip(NEO4J_SKIP)
    from conftest import open_neo4j

    s = open_neo4j(uri)
    s.clear()
    yield s
    s.clear()
    s.close()


@pytest.fixture
def loaded(store: GraphStore, demo_records):
    """The store with the concept scheme, the demo articles and their label mentions."""
    store.replace_concepts(CONCEPTS)
    mentions = {}
    for article, passages in demo_records:
        mentions[article.id] = find_mentions(passages)
        store.upsert_article(article, passages, mentions[article.id])
    store.rebuild_cooccurrence()
    store.expected_mentions = mentions  # what the tests compare against
    return store


def all_mentions(loaded) -> list[Mention]:
    return [m for ms in loaded.expected_mentions.values() for m in ms]


def key(m: Mention):
    return (m.passage_id, m.iri, m.start, m.method, m.surface, round(m.score, 4))


# --- articles and passages -------------------------------------------------------------------
def test_upsert_then_get(loaded, demo_records):
    article, passages = demo_records[0]
    assert loaded.get_article(article.id) == article
    assert loaded.article_hash(article.id) == article.content_hash
    assert loaded.article_hash("no-such-article") is None
    assert loaded.get_article("no-such-article") is None
    got = loaded.article_passages(article.id)
    assert [(p.id, p.ordinal, p.text, p.start, p.end) for p in got] == [
        (p.id, p.ordinal, p.text, p.start, p.end) for p in passages]
    assert all(p.embedding is None for p in got)
    assert article.text[got[1].start:got[1].end] == got[1].text


def test_passage_pages_round_trip(store, demo_records):
    """A paged source's passages keep their page; other passages have none."""
    import dataclasses

    article, passages = demo_records[0]
    paged = [dataclasses.replace(p, page=i + 4) for i, p in enumerate(passages)]
    store.upsert_article(article, paged, [])
    assert [p.page for p in store.article_passages(article.id)] == \
        [i + 4 for i in range(len(passages))]
    assert [p.page for p in store.get_passages([paged[-1].id])] == [len(passages) + 3]
    store.upsert_article(article, passages, [])
    assert {p.page for p in store.article_passages(article.id)} == {None}


def test_get_passages_keeps_asked_order_and_skips_unknown(loaded, demo_records):
    a, b = demo_records[0][1][0], demo_records[3][1][2]
    got = loaded.get_passages([b.id, "nope#0", a.id])
    assert [(p.id, p.article_id, p.text) for p in got] == [(b.id, b.article_id, b.text),
                                                           (a.id, a.article_id, a.text)]
    assert loaded.get_passages([]) == []


def test_article_titles_leave_text_empty(loaded, demo_records):
    ids = [a.id for a, _ in demo_records[:2]]
    titles = loaded.article_titles(ids + ["missing"])
    assert set(titles) == set(ids)
    for article, _ in demo_records[:2]:
        assert titles[article.id].title == article.title
        assert titles[article.id].text == ""
        assert titles[article.id].content_hash == article.content_hash


def test_sentence_vectors_round_trip(loaded, demo_records):
    passages = demo_records[1][1]
    got = loaded.sentence_vectors([p.id for p in passages] + ["missing#0"])
    assert set(got) == {p.id for p in passages}
    for p in passages:
        assert got[p.id].spans == p.sentences.spans
        np.testing.assert_array_equal(got[p.id].vectors, p.sentences.vectors)


def test_upsert_replaces_passages_and_mentions(loaded, demo_records):
    article, passages = demo_records[4]
    before = loaded.stats()
    changed = Article(article.id, article.title + " (revised)", article.text, article.source,
                      article.url, "another-hash", article.ingested_at)
    kept = passages[:2]
    loaded.upsert_article(changed, kept, find_mentions(kept))
    assert loaded.article_hash(article.id) == "another-hash"
    assert loaded.get_article(article.id).title.endswith("(revised)")
    assert [p.id for p in loaded.article_passages(article.id)] == [p.id for p in kept]
    assert loaded.get_passages([p.id for p in passages[2:]]) == []
    after = loaded.stats()
    old_mentions = len(loaded.expected_mentions[article.id])
    assert after["articles"] == before["articles"]
    assert after["passages"] == before["passages"] - len(passages) + len(kept)
    assert after["mentions"] == before["mentions"] - old_mentions + len(find_mentions(kept))
    gone = {p.id for p in passages[2:]}
    assert not gone & {h.passage_id for h in loaded.vector_search(passages[3].embedding, 50)}


def test_upsert_articles_stores_a_batch_as_one_by_one(store, demo_records):
    store.replace_concepts(CONCEPTS)
    items = [(a, ps, find_mentions(ps)) for a, ps in demo_records]
    bad_article, bad_passages = demo_records[1]
    broken = [Passage(p.id, p.article_id, p.ordinal, p.text, p.start, p.end) for p in bad_passages]
    from citegraph.graph.base import StoreError

    # an article that cannot be stored: those before it are stored whole, it and those after
    # are not, as when written one by one
    with pytest.raises(StoreError, match="no embedding"):
        store.upsert_articles([items[0], (bad_article, broken, []), items[2]])
    assert [a.id for a in store.iter_articles()] == [items[0][0].id]
    store.upsert_articles(items + [items[0]])  # a repeated article: written again, later
    assert store.stats()["articles"] == len(items)
    assert store.stats()["mentions"] == sum(len(ms) for _a, _p, ms in items)
    article, passages = demo_records[3]
    assert [p.id for p in store.article_passages(article.id)] == [p.id for p in passages]
    assert store.vector_search(passages[1].embedding, 1)[0].passage_id == passages[1].id
    counted = store.cooccurrence_counts()
    store.rebuild_cooccurrence()  # the counts kept by the batch are the recount's
    assert store.cooccurrence_counts() == counted


def test_passage_details_are_the_separate_reads(loaded, demo_records):
    ids = [demo_records[3][1][1].id, "nope#0", demo_records[0][1][0].id,
           demo_records[5][1][0].id]
    ids += [m.passage_id for m in all_mentions(loaded)][:3]
    ids = list(dict.fromkeys(ids))
    details = loaded.passage_details(ids)
    passages = loaded.get_passages(ids)
    assert details.passages == passages
    known = [p.id for p in passages]
    assert details.articles == loaded.article_titles(p.article_id for p in passages)
    mentions = loaded.passage_mentions(known)
    assert {pid: sorted(map(key, ms)) for pid, ms in details.mentions.items()} == {
        pid: sorted(map(key, ms)) for pid, ms in mentions.items()}
    assert any(details.mentions.values())
    assert details.labels == loaded.concept_labels(m.iri for ms in mentions.values() for m in ms)
    vectors = loaded.sentence_vectors(known)
    assert details.sentences.keys() == vectors.keys()
    for pid, sv in vectors.items():
        assert details.sentences[pid].spans == sv.spans
        np.testing.assert_array_equal(details.sentences[pid].vectors, sv.vectors)
    assert loaded.passage_details([]).passages == []


def test_delete_leaves_no_orphans(loaded, demo_records):
    article, passages = demo_records[2]
    ids = [p.id for p in passages]
    before = loaded.stats()
    assert loaded.delete_article("no-such-article") is False
    assert loaded.delete_article(article.id) is True
    assert loaded.delete_article(article.id) is False
    after = loaded.stats()
    assert after == {"articles": before["articles"] - 1,
                     "passages": before["passages"] - len(passages),
                     "concepts": before["concepts"],
                     "mentions": before["mentions"] - len(loaded.expected_mentions[article.id])}
    assert loaded.get_article(article.id) is None and loaded.article_passages(article.id) == []
    assert loaded.get_passages(ids) == [] and loaded.sentence_vectors(ids) == {}
    assert all(ms == [] for ms in loaded.passage_mentions(ids).values())
    assert not set(ids) & {m.passage_id for m in loaded.iter_mentions()}
    assert not set(ids) & {p.id for p in loaded.iter_passages()}
    assert not set(ids) & {h.passage_id for h in loaded.vector_search(passages[0].embedding, 100)}
    assert not set(ids) & {h.passage_id for h in loaded.keyword_search(passages[0].text, 100)}
    for concept in CONCEPTS:
        assert not set(ids) & {m.passage_id for m in loaded.concept_mentions(concept.iri, 1000)}


# --- retrieval ----------------------------------------------------------------------------------
def test_vector_search_finds_a_passage_by_its_own_embedding(loaded, demo_records):
    for article, passages in demo_records:
        p = passages[len(passages) // 2]
        hits = loaded.vector_search(p.embedding, 5)
        assert len(hits) == 5
        assert hits[0].passage_id == p.id
        assert hits[0].score == pytest.approx(1.0, abs=1e-3)
        scores = [h.score for h in hits]
        assert scores == sorted(scores, reverse=True)
        assert all(-1.0 - 1e-6 <= s <= 1.0 + 1e-6 for s in scores)


def test_vector_search_scores_are_cosine_similarities(loaded, demo_records):
    query = demo_records[0][1][0].embedding
    embeddings = {p.id: p.embedding for _, ps in demo_records for p in ps}
    for hit in loaded.vector_search(query, 10):
        assert hit.score == pytest.approx(float(np.dot(query, embeddings[hit.passage_id])),
                                          abs=1e-3)


def test_vector_search_with_k_beyond_the_store(loaded, demo_records):
    total = sum(len(ps) for _, ps in demo_records)
    hits = loaded.vector_search(demo_records[0][1][0].embedding, total + 50)
    assert len(hits) == total and len({h.passage_id for h in hits}) == total


@pytest.mark.parametrize("store", ["sqlite"], indirect=True)  # the embedded store's own cache
def test_search_ids_stay_right_past_the_passage_id_cache(loaded, demo_records, monkeypatch):
    """The embedded store remembers which passage id an index row has; past its bound it
    starts a new table (never clearing one another search may be reading), and a replaced
    article's passages, which take new rows, come back under their own ids."""
    from citegraph.graph.sqlite import indexes
    from citegraph.graph.sqlite.store import SQLiteStore

    assert isinstance(loaded, SQLiteStore)
    monkeypatch.setattr(indexes, "PASSAGE_ID_CACHE", 7)
    embeddings = {p.id: p.embedding for _, ps in demo_records for p in ps}

    def right_ids(query, k):  # each hit's score is its own passage's cosine
        hits = loaded.vector_search(query, k)
        assert len(hits) == min(k, len(embeddings))
        for hit in hits:
            assert hit.score == pytest.approx(float(np.dot(query, embeddings[hit.passage_id])),
                                              abs=1e-3)
        return hits

    for article, passages in demo_records:
        for p in passages[:2]:
            right_ids(p.embedding, 5)
            assert len(loaded._passage_ids) <= 7
    article, passages = demo_records[0]
    loaded.delete_article(article.id)
    assert all(h.passage_id not in {p.id for p in passages}
               for h in loaded.vector_search(passages[0].embedding, 50))
    loaded.upsert_article(article, passages, loaded.expected_mentions[article.id])
    for p in passages:  # new rows, the same ids
        assert p.id in {h.passage_id for h in right_ids(p.embedding, 3)}


def test_keyword_search_ranks_matching_passages(loaded, demo_records):
    # titles are indexed with each passage
    texts = {p.id: (a.title + " " + p.text).lower() for a, ps in demo_records for p in ps}
    hits = loaded.keyword_search("CRM loyalty", 10)
    assert hits, "both words occur in the demo articles"
    assert all("crm" in texts[h.passage_id] or "loyal" in texts[h.passage_id] for h in hits)
    scores = [h.score for h in hits]
    assert scores == sorted(scores, reverse=True) and all(s > 0 for s in scores)
    assert len(loaded.keyword_search("marketing", 3)) == 3


def test_keyword_search_survives_query_syntax(loaded):
    for query in ['C++ "unbalanced (', "AND OR NOT", "title:x*~ -y^2 [a TO b]", "\\", "{}"]:
        assert isinstance(loaded.keyword_search(query, 5), list)
    assert loaded.keyword_search("", 5) == []
    assert loaded.keyword_search("the and of", 5) == []  # stop words only


# --- concepts and mentions -----------------------------------------------------------------------
def test_concepts_with_hierarchy_and_counts(loaded):
    counts = defaultdict(int)
    for m in all_mentions(loaded):
        counts[m.iri] += 1
    listed = loaded.list_concepts()
    assert [c.label for c, _ in listed] == sorted(c.label for c in CONCEPTS)
    assert {c.iri: n for c, n in listed} == {c.iri: counts[c.iri] for c in CONCEPTS}
    cmo = loaded.get_concept(EX + "cmo")
    assert cmo.label == "CMO" and cmo.alt_labels == ["chief marketing officer"]
    assert cmo.broader == [EX + "marketing"] and cmo.related == [EX + "cco"]
    assert loaded.get_concept(EX + "cco").related == [EX + "cmo", EX + "crm"]  # symmetric
    assert loaded.get_concept(EX + "marketing").definition == "Promoting and selling."
    assert loaded.narrower(EX + "marketing") == [EX + "cmo"]
    assert loaded.narrower(EX + "cmo") == []
    assert loaded.get_concept(EX + "nothing") is None
    assert {c.iri for c in loaded.iter_concepts()} == {c.iri for c in CONCEPTS}


def test_mention_counts_and_most_mentioned_agree_with_the_listing(loaded):
    """What the paged concept index and the landing page read instead of the whole listing."""
    listed = {c.iri: n for c, n in loaded.list_concepts()}
    assert sorted(loaded.concept_names()) == sorted((c.iri, c.label) for c in CONCEPTS)
    asked = [EX + "cmo", EX + "nothing", EX + "marketing", EX + "cmo"]
    assert loaded.mention_counts(iter(asked)) == {EX + "cmo": listed[EX + "cmo"],
                                                  EX + "nothing": 0,
                                                  EX + "marketing": listed[EX + "marketing"]}
    assert loaded.mention_counts([]) == {}
    ranked = sorted(((iri, n) for iri, n in listed.items() if n), key=lambda p: (-p[1], p[0]))
    assert len(ranked) >= 2 and ranked[0][1] > 0
    assert loaded.most_mentioned(2) == ranked[:2]
    assert loaded.most_mentioned(100) == ranked


def test_concept_labels_in_one_call(loaded):
    labels = loaded.concept_labels(iter([EX + "cmo", EX + "nothing", EX + "cmo"]))
    assert labels == {EX + "cmo": "CMO", EX + "nothing": EX + "nothing"}
    assert loaded.concept_labels([]) == {}


def test_replace_concepts_drops_mentions_of_removed_concepts(loaded):
    removed = EX + "crm"
    crm_mentions = [m for m in all_mentions(loaded) if m.iri == removed]
    assert crm_mentions
    before = loaded.stats()
    kept = [Concept(c.iri, c.label + "!", c.alt_labels, definition=c.definition, scheme=c.scheme,
                    broader=c.broader, related=[r for r in c.related if r != removed])
            for c in CONCEPTS if c.iri != removed]
    loaded.replace_concepts(kept)
    assert loaded.stats() == dict(before, concepts=before["concepts"] - 1,
                                  mentions=before["mentions"] - len(crm_mentions))
    assert loaded.get_concept(removed) is None
    assert loaded.concept_mentions(removed) == []
    assert loaded.get_concept(EX + "cmo").label == "CMO!"  # kept ones are updated
    assert loaded.get_concept(EX + "cco").related == [EX + "cmo"]
    assert all(other != removed for other, _, _ in loaded.co_occurring(EX + "cco"))


def test_scheme_revision_is_new_after_every_scheme_replacement(store):
    """What is derived from the scheme (short ids, the label index) is built once per
    revision (graph/scheme_cache.py): each replacement, even of the same scheme, and a
    cleared graph give a revision not seen before, in every backend."""
    from citegraph.graph.scheme_cache import per_scheme

    seen = [store.scheme_revision()]
    for _ in range(2):
        store.replace_concepts(CONCEPTS)
        seen.append(store.scheme_revision())
    assert None not in seen and len(set(seen)) == 3, seen
    builds = []
    build = lambda: builds.append(1) or len(store.list_concepts())  # noqa: E731
    assert per_scheme(store, "count", build) == per_scheme(store, "count", build) == len(CONCEPTS)
    assert len(builds) == 1  # built once for this revision
    store.replace_concepts([Concept(EX + "one", "One"), Concept(EX + "two", "Two")])
    assert per_scheme(store, "count", build) == 2 and len(builds) == 2
    if hasattr(store, "clear"):  # Neo4j: an emptied graph has no concepts to remember
        store.clear()
        assert store.scheme_revision() not in seen
        assert per_scheme(store, "count", build) == 0


def test_passage_and_concept_mentions(loaded, demo_records):
    expected = defaultdict(list)
    for m in all_mentions(loaded):
        expected[m.passage_id].append(m)
    ids = [p.id for p in demo_records[0][1]] + ["missing#0"]
    got = loaded.passage_mentions(ids)
    assert set(got) == set(ids) and got["missing#0"] == []
    for pid in ids:
        assert sorted(map(key, got[pid])) == sorted(map(key, expected[pid]))
        scores = [m.score for m in got[pid]]
        assert scores == sorted(scores, reverse=True)
    cmo = sorted((m for m in all_mentions(loaded) if m.iri == EX + "cmo"),
                 key=lambda m: (-m.score, m.passage_id))
    top = loaded.concept_mentions(EX + "cmo", limit=3)
    assert [key(m) for m in top] == [key(m) for m in cmo[:3]]


def test_replace_mentions_relinks_passages(loaded, demo_records):
    passages = demo_records[1][1]
    ids = [p.id for p in passages]
    before = loaded.stats()
    old = sum(len(ms) for ms in loaded.passage_mentions(ids).values())
    new = [Mention(ids[0], EX + "crm", 0.42, "embedding")]
    loaded.replace_mentions(ids, new)
    assert loaded.stats()["mentions"] == before["mentions"] - old + 1
    (only,) = loaded.passage_mentions([ids[0]])[ids[0]]
    assert (only.iri, only.method, only.start, only.end) == (EX + "crm", "embedding", None, None)
    assert only.score == pytest.approx(0.42)


def test_cooccurrence_is_derived_from_mentions(loaded):
    by_passage = defaultdict(set)
    for m in all_mentions(loaded):
        by_passage[m.passage_id].add(m.iri)
    expected = defaultdict(set)
    for pid, iris in by_passage.items():
        for a in iris:
            for b in iris - {a}:
                expected[(a, b)].add(pid)
    got = loaded.co_occurring(EX + "cmo", limit=10)
    assert got, "CMO co-occurs with other concepts in the demo articles"
    assert {o: (w, ps) for o, w, ps in got} == {
        b: (float(len(ps)), sorted(ps)) for (a, b), ps in expected.items() if a == EX + "cmo"}
    weights = [w for _, w, _ in got]
    assert weights == sorted(weights, reverse=True)
    assert len(loaded.co_occurring(EX + "cmo", limit=1)) == 1


# --- whole-store views ---------------------------------------------------------------------------
def test_stats(loaded, demo_records, store):
    assert loaded.stats() == {"articles": DEMO_ARTICLES,
                              "passages": sum(len(ps) for _, ps in demo_records),
                              "concepts": len(CONCEPTS),
                              "mentions": len(all_mentions(loaded))}


def test_empty_store(store):
    assert store.stats() == {"articles": 0, "passages": 0, "concepts": 0, "mentions": 0}
    assert list(store.iter_articles()) == [] and list(store.iter_passages()) == []
    assert list(store.iter_mentions()) == [] and store.list_concepts() == []
    assert store.vector_search(np.ones(384, dtype=np.float32) / np.sqrt(384), 5) == []
    assert store.keyword_search("marketing", 5) == []


def test_iterators_return_everything(loaded, demo_records):
    articles = list(loaded.iter_articles())
    assert articles == sorted((a for a, _ in demo_records), key=lambda a: a.id)
    passages = list(loaded.iter_passages(with_embeddings=True))
    expected = sorted((p for _, ps in demo_records for p in ps),
                      key=lambda p: (p.article_id, p.ordinal))
    assert [p.id for p in passages] == [p.id for p in expected]
    for got, want in zip(passages, expected):
        assert got.embedding.dtype == np.float32
        np.testing.assert_allclose(got.embedding, want.embedding, atol=1e-6)
    assert all(p.embedding is None for p in loaded.iter_passages())
    assert sorted(map(key, loaded.iter_mentions())) == sorted(map(key, all_mentions(loaded)))


def test_store_settings_are_kept_and_replaced_only_when_asked(store):
    assert store.meta_value("base_iri") is None
    assert store.put_meta_value("base_iri", "https://citegraph.invalid/a/") == \
        "https://citegraph.invalid/a/"
    assert store.put_meta_value("base_iri", "https://citegraph.invalid/b/") == \
        "https://citegraph.invalid/a/"  # the first stays
    assert store.put_meta_value("base_iri", "https://kb.example.org/", replace=True) == \
        "https://kb.example.org/"
    assert store.meta_value("base_iri") == "https://kb.example.org/"
