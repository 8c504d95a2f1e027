"""Hard-wrapped text (a line break every ~72 columns, as many editors write) is answered as
the same text with one line per paragraph: the demo corpus and its hard-wrapped copy, each
ingested into a real store, give the same answer quotes to the same questions."""
from __future__ import annotations

from pathlib import Path

import pytest

from conftest import DEMO, DEMO_ARTICLES, DEMO_QUESTIONS
from citegraph.search.answer_evaluation import (hard_wrap_corpus, hard_wrapped, load_gold,
                                                quotes)
from citegraph.text.splitter import sentence_spans

DATA = Path(__file__).resolve().parent / "data"


@pytest.fixture(scope="module")
def wrapped_service(tmp_path_factory, embedder):
    from citegraph.graph.sqlite_store import SQLiteStore
    from citegraph.ingest.pipeline import Pipeline
    from citegraph.search.factory import build_retriever
    from citegraph.search.service import SearchService

    corpus = tmp_path_factory.mktemp("wrapped") / "corpus"
    hard_wrap_corpus(DEMO, corpus)
    store = SQLiteStore(tmp_path_factory.mktemp("wrapped-store"))
    report = Pipeline(store, embedder).ingest_paths([str(corpus)])
    assert report.new == DEMO_ARTICLES and not report.failed
    yield SearchService(store, embedder, build_retriever(store, "hybrid"))
    store.close()


@pytest.fixture(scope="module")
def plain_service(demo_store_dir, embedder):
    from citegraph.graph.sqlite_store import SQLiteStore
    from citegraph.search.factory import build_retriever
    from citegraph.search.service import SearchService

    store = SQLiteStore(demo_store_dir)
    yield SearchService(store, embedder, build_retriever(store, "hybrid"))
    store.close()


def questions() -> list[str]:
    gold = [g.question for g in load_gold(DATA / "demo_answers.jsonl")]
    asked = [q for q in DEMO_QUESTIONS.read_text(encoding="utf-8").splitlines() if q.strip()]
    return gold + asked


def test_the_copy_is_really_wrapped():
    text = (DEMO / "customer-journey-mapping.md").read_text(encoding="utf-8")
    wrapped = hard_wrapped(text)
    assert max(len(line) for line in wrapped.split("\n")) <= 72
    assert wrapped.count("\n") > text.count("\n") + 20
    assert " ".join(wrapped.split()) == " ".join(text.split())


def test_a_hard_wrap_is_a_space_a_meant_line_break_ends_a_sentence():
    sentence = ("Who should own the customer feedback loop? The product team should own the"
                " customer feedback loop and report it to the board every month.")
    text = "Feedback\n" + hard_wrapped(sentence) + "\n\nTwo habits:\nListen\nAct\n• one\n• two"
    pieces = [" ".join(text[s.start:s.end].split()) for s in sentence_spans(text)]
    assert pieces == ["Feedback", "Who should own the customer feedback loop?",
                      "The product team should own the customer feedback loop and report it"
                      " to the board every month.", "Two habits:", "Listen", "Act", "• one",
                      "• two"]


def test_wrapped_and_unwrapped_corpus_give_the_same_answers(plain_service, wrapped_service):
    asked = questions()
    assert len(asked) >= 20
    differ = []
    for question in asked:
        plain = plain_service.search(question, 10)
        wrapped = wrapped_service.search(question, 10)
        a, b = plain.answer, wrapped.answer
        assert a.abstained == b.abstained, question
        same = quotes(a.text) == quotes(b.text) and [
            plain.results[n - 1].article_id for n in a.citations] == [
            wrapped.results[n - 1].article_id for n in b.citations]
        if not same:
            differ.append((question, a.text, b.text))
    assert not differ, differ
    assert any("\n" in r.text[r.highlight.start:r.highlight.end]
               for q in asked[:5] for r in wrapped_service.search(q, 5).results)
