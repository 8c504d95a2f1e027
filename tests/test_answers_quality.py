"""Answer quality gates: over the demo corpus, gold questions (tests/data/demo_answers.jsonl)
are answered, first quote first, and never abstained on; off-topic questions
(tests/data/offtopic_answers.jsonl) abstain. The same figures on the seed articles are extra
checks where ../shared is here. benchmarks/answers.py prints these figures and the calibration
of the abstain threshold."""
from __future__ import annotations

import re
from pathlib import Path

import pytest

from conftest import DEMO_QUESTIONS, needs_seeds
from citegraph.search.answer_evaluation import (abstain_rate, answer_figures, contains_gold,
                                                first_quote, load_gold, quotes)

DATA = Path(__file__).resolve().parent / "data"


@pytest.fixture(scope="module")
def demo_service(demo_store_dir, embedder):
    from citegraph.graph.sqlite_store import SQLiteStore
    from citegraph.search.factory import build_retriever
    from citegraph.search.service import SearchService

    store = SQLiteStore(demo_store_dir)
    yield SearchService(store, embedder, build_retriever(store, "hybrid"))
    store.close()


@pytest.fixture(scope="module")
def seed_service(seed_store_dir, embedder):
    from citegraph.graph.sqlite_store import SQLiteStore
    from citegraph.search.factory import build_retriever
    from citegraph.search.service import SearchService

    store = SQLiteStore(seed_store_dir)
    yield SearchService(store, embedder, build_retriever(store, "hybrid"))
    store.close()


def answers(service, questions):
    return [service.search(q, 10).answer.__dict__ for q in questions]


def test_evaluator_pure_functions():
    assert contains_gold("The CCO owns “it”  here. [1]", ["owns \"it\" here"])
    assert quotes("A b. [1] C d. [3]") == ["A b.", "C d."]
    assert first_quote("") == ""
    gold = load_gold(DATA / "demo_answers.jsonl")[:2]
    figures = answer_figures(gold, [{"text": "x [1]", "abstained": False},
                                    {"text": "", "abstained": True}])
    assert figures["false_abstain"] == 0.5 and figures["answer_contains"] == 0.0
    assert abstain_rate([{"abstained": True}, {"abstained": False}]) == 0.5


def test_demo_gold_questions(demo_service):
    gold = load_gold(DATA / "demo_answers.jsonl")
    figures = answer_figures(gold, answers(demo_service, [g.question for g in gold]))
    # measured 0.867 / 0.833 / 0 (benchmarks/answers.py); before answers read the question's
    # kind and neighbours: 0.80 / 0.77; before sentence choice: 0.73 / 0.40
    assert figures["answer_contains"] >= 0.83
    assert figures["first_contains"] >= 0.80
    assert figures["false_abstain"] == 0.0
    assert figures["quotes"] <= 2.5  # as many as are good, not always three


def test_demo_questions_never_abstain(demo_service):
    questions = [q for q in DEMO_QUESTIONS.read_text(encoding="utf-8").splitlines() if q.strip()]
    assert abstain_rate(answers(demo_service, questions)) == 0.0


def test_off_topic_questions_abstain(demo_service):
    questions = [g.question for g in load_gold(DATA / "offtopic_answers.jsonl")]
    out = answers(demo_service, questions)
    assert abstain_rate(out) >= 0.9
    for a in out:
        if a["abstained"]:
            assert a["text"] == "" and a["citations"] == []


def test_capital_of_france_abstains_but_lists_nearest_passages(demo_service):
    result = demo_service.search("What is the capital of France?", 5).to_dict()
    answer = result["answer"]
    assert answer == {"text": "", "citations": [], "abstained": True, "sources": [],
                      "confidence": answer["confidence"]}
    assert answer["confidence"] < demo_service.abstain_below
    assert result["results"]


@needs_seeds
def test_seed_gold_questions(seed_service):
    gold = load_gold(DATA / "seed_answers.jsonl")
    figures = answer_figures(gold, answers(seed_service, [g.question for g in gold]))
    assert figures["first_contains"] >= 0.90  # measured 0.917; before 0.875, 0.67
    assert figures["false_abstain"] == 0.0
    questions = [g.question for g in load_gold(DATA / "offtopic_answers.jsonl")]
    assert abstain_rate(answers(seed_service, questions)) >= 0.9


def test_answer_json_carries_confidence_and_lists_each_source_once(demo_service):
    """`answer.confidence` in the result JSON (what `ask --json` and /api/search print), and
    a passage quoted twice is one citation and one source."""
    quoted_twice = 0
    for question in [g.question for g in load_gold(DATA / "demo_answers.jsonl")]:
        answer = demo_service.search(question, 10).to_dict()["answer"]
        assert answer["confidence"] >= demo_service.abstain_below
        marks = [int(n) for n in re.findall(r"\[(\d+)\]", answer["text"])]
        assert answer["citations"] == list(dict.fromkeys(marks))
        assert [s["number"] for s in answer["sources"]] == answer["citations"]
        quoted_twice += len(marks) > len(set(marks))
    assert quoted_twice  # the case is met: some answer quotes one passage twice
