"""The concept signal in search: a real store linked with the shipped scheme, the real model,
hand-judged questions: on the demo corpus (tests/data/concept_questions_demo.jsonl), and on
the seed articles where ../shared is there (tests/data/concept_questions.jsonl)."""
from __future__ import annotations

import json
from pathlib import Path

import pytest

from citegraph.search.concept_signal import ConceptRetriever
from citegraph.search.metrics import mean, mrr_at_k, ndcg_at_k
from citegraph.search.factory import build_retriever
from citegraph.search.retrievers import DenseRetriever, HybridRetriever, KeywordRetriever, Query

from conftest import needs_seeds

DATA = Path(__file__).parent / "data"
QUESTIONS = {"demo": DATA / "concept_questions_demo.jsonl",
             "seeds": DATA / "concept_questions.jsonl"}
CX = "https://citegraph.org/scheme/cx/"
# passages that name a contact centre (contact centre, contact center, call centre), by
# reading the text: four of the contact centre article's, and one each in four others
CONTACT_CENTRE_PASSAGES = {"demo": 8, "seeds": 3}


def link(store, embedder):
    from citegraph.ingest.linker import ConceptLinker
    from citegraph.ontology.scheme import load_scheme
    from citegraph.ontology.sync import apply_scheme

    scheme = load_scheme()
    apply_scheme(store, scheme, ConceptLinker(scheme.concepts, embedder))
    return store


@pytest.fixture(params=["demo", pytest.param("seeds", marks=needs_seeds)])
def linked(request, embedder):
    """(corpus name, a private copy of its store linked with the shipped scheme)."""
    store = request.getfixturevalue("demo_store" if request.param == "demo" else "seed_store")
    return request.param, link(store, embedder)


def test_a_named_concept_ranks_its_passages_and_spreads_to_narrower(linked, embedder):
    name, linked_store = linked
    retriever = ConceptRetriever(linked_store)
    hits = retriever.retrieve(Query("Which call centres matter?", embedder), 20)
    direct = {m.passage_id for m in linked_store.concept_mentions(CX + "ContactCenter")}
    n = CONTACT_CENTRE_PASSAGES[name]
    assert len(direct) == n
    assert {h.passage_id for h in hits[:n]} == direct  # then related and narrower, weaker
    assert len(hits) > n and hits[n - 1].score > hits[n].score
    weights = retriever.concept_weights("How good is our customer service?")
    assert weights[CX + "CustomerService"] == 1.0
    assert weights[CX + "ContactCenter"] == 0.5  # narrower
    assert weights[CX + "CustomerExperience"] == 0.3  # related


def test_a_question_naming_no_concept_adds_nothing(linked, embedder):
    _name, linked_store = linked
    assert ConceptRetriever(linked_store).retrieve(Query("what time is it?", embedder), 10) == []


def test_default_hybrid_includes_the_signal_and_its_effect_on_the_questions(linked, embedder):
    name, linked_store = linked
    hybrid = build_retriever(linked_store, "hybrid")
    assert any(isinstance(r, ConceptRetriever) for r in hybrid.retrievers)
    without = HybridRetriever([DenseRetriever(linked_store), KeywordRetriever(linked_store)])
    passages = {p.id for p in linked_store.iter_passages()}
    figures = {}
    for label, retriever in (("hybrid", without), ("hybrid+concepts", hybrid)):
        ndcg, mrr = [], []
        for line in QUESTIONS[name].read_text(encoding="utf-8").splitlines():
            record = json.loads(line)
            assert set(record["relevant"]) <= passages, record["question"]
            relevant = dict.fromkeys(record["relevant"], 1.0)
            ranking = [h.passage_id for h in retriever.retrieve(Query(record["question"],
                                                                      embedder), 10)]
            ndcg.append(ndcg_at_k(ranking, relevant))
            mrr.append(mrr_at_k(ranking, relevant))
        figures[label] = (mean(ndcg), mean(mrr))
    print(f"{name} questions nDCG@10, MRR@10:", figures)
    (ndcg_with, mrr_with), (ndcg_without, mrr_without) = (figures["hybrid+concepts"],
                                                          figures["hybrid"])
    if name == "seeds":  # the signal helps
        assert ndcg_with > ndcg_without and mrr_with > mrr_without
    else:
        # On the small demo corpus dense + BM25 alone are near the ceiling (nDCG@10 0.962,
        # MRR@10 0.917 when this was written) and the signal does not help: 0.955 and 0.917.
        # The gate here is that it costs at most 0.01 nDCG and no MRR.
        assert ndcg_without > 0.9
        assert ndcg_with >= ndcg_without - 0.01 and mrr_with >= mrr_without
