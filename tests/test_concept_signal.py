"""The concept signal in search: real seed store linked with the shipped scheme, real model,
hand-judged seed questions (tests/data/concept_questions.jsonl)."""
from __future__ import annotations

import json
from pathlib import Path

import pytest

from citegraph.search.concept_signal import ConceptRetriever
from citegraph.search.metrics import mean, mrr_at_k, ndcg_at_k
from citegraph.search.factory import build_retriever
from citegraph.search.retrievers import DenseRetriever, HybridRetriever, KeywordRetriever, Query

QUESTIONS = Path(__file__).parent / "data" / "concept_questions.jsonl"
CX = "https://citegraph.org/scheme/cx/"


@pytest.fixture
def linked_store(seed_store, embedder):
    from citegraph.ingest.linker import ConceptLinker
    from citegraph.ontology.scheme import load_scheme
    from citegraph.ontology.sync import apply_scheme

    scheme = load_scheme()
    apply_scheme(seed_store, scheme, ConceptLinker(scheme.concepts, embedder))
    return seed_store


def test_a_named_concept_ranks_its_passages_and_spreads_to_narrower(linked_store, embedder):
    retriever = ConceptRetriever(linked_store)
    hits = retriever.retrieve(Query("Which call centres matter?", embedder), 10)
    direct = {m.passage_id for m in linked_store.concept_mentions(CX + "ContactCenter")}
    assert len(direct) == 3
    assert {h.passage_id for h in hits[:3]} == direct  # then related and narrower, weaker
    assert hits[2].score > hits[3].score
    weights = retriever.concept_weights("How good is our customer service?")
    assert weights[CX + "CustomerService"] == 1.0
    assert weights[CX + "ContactCenter"] == 0.5  # narrower
    assert weights[CX + "CustomerExperience"] == 0.3  # related


def test_a_question_naming_no_concept_adds_nothing(linked_store, embedder):
    assert ConceptRetriever(linked_store).retrieve(Query("what time is it?", embedder), 10) == []


def test_default_hybrid_includes_the_signal_and_it_helps_seed_questions(linked_store, embedder):
    hybrid = build_retriever(linked_store, "hybrid")
    assert any(isinstance(r, ConceptRetriever) for r in hybrid.retrievers)
    without = HybridRetriever([DenseRetriever(linked_store), KeywordRetriever(linked_store)])
    figures = {}
    for name, retriever in (("hybrid", without), ("hybrid+concepts", hybrid)):
        ndcg, mrr = [], []
        for line in QUESTIONS.read_text(encoding="utf-8").splitlines():
            record = json.loads(line)
            relevant = dict.fromkeys(record["relevant"], 1.0)
            ranking = [h.passage_id for h in retriever.retrieve(Query(record["question"],
                                                                      embedder), 10)]
            ndcg.append(ndcg_at_k(ranking, relevant))
            mrr.append(mrr_at_k(ranking, relevant))
        figures[name] = (mean(ndcg), mean(mrr))
    print("seed questions nDCG@10, MRR@10:", figures)
    assert figures["hybrid+concepts"][0] > figures["hybrid"][0]
    assert figures["hybrid+concepts"][1] > figures["hybrid"][1]
