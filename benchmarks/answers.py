"""Answer quality: gold questions over demo/corpus (tests/data/demo_answers.jsonl) and, where
../shared is there, over the seed articles (tests/data/seed_answers.jsonl); off-topic questions
(tests/data/offtopic_answers.jsonl, plus SciFact and StackFAQ queries from ../shared/eval) that
the collections cannot answer. One figure a line:

    <set>.answer_contains    share of answers containing a gold string
    <set>.first_contains     share whose first quote contains it
    <set>.false_abstain      share of answerable questions abstained on
    <set>.quotes / .chars    mean quotes per answer, mean answer length
    <set>.offtopic_abstain   share of off-topic questions abstained on
    <set>.first_from_comment share of answers whose first quote is a reader's comment
    <set>.conf.*             answer confidence: lowest in-domain, off-topic quantiles and
                             highest (calibration; benchmarks/answer_qa.py adds public QA)

    python benchmarks/answers.py [--cache DIR] [--baseline] [--abstain-below X] [--show]
                                 [--comment-penalty X]

--baseline: the answer as it was before (the best sentence of each of the top five passages by
dense score alone, three of them, never abstaining), for before/after figures."""
from __future__ import annotations

import argparse
import json
import math
import os
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("CITEGRAPH_THREADS", "1")

from citegraph.settings import prepare_process  # noqa: E402

prepare_process()
import numpy as np  # noqa: E402

from citegraph.embedding import Embedder  # noqa: E402
from citegraph.graph.sqlite_store import SQLiteStore  # noqa: E402
from citegraph.ingest.pipeline import Pipeline  # noqa: E402
from citegraph.search.answer import (ANSWER_FROM, Evidence, best_sentence, choose,  # noqa: E402
                                     compose)
from citegraph.search.answer_evaluation import (abstain_rate, answer_figures,  # noqa: E402
                                                contains_gold, first_quote, load_gold)
from citegraph.search.factory import build_retriever  # noqa: E402
from citegraph.search.service import SearchService  # noqa: E402
from citegraph.settings import Settings  # noqa: E402

REPO = Path(__file__).resolve().parent.parent
DATA = REPO / "tests" / "data"
SHARED = REPO.parent / "shared"
SETS = {"demo": (REPO / "demo" / "corpus", DATA / "demo_answers.jsonl"),
        "seeds": (SHARED / "corpus" / "seeds", DATA / "seed_answers.jsonl")}
EVAL_QUERIES = 100  # from each of SciFact and StackFAQ


def figure(name, value):
    print(f"{name} {value:.4g}" if isinstance(value, float) else f"{name} {value}", flush=True)


def off_topic_questions() -> list[str]:
    questions = [g.question for g in load_gold(DATA / "offtopic_answers.jsonl")]
    for name in ("scifact", "stackfaq"):
        path = SHARED / "eval" / name / "queries.jsonl"
        if path.is_file():
            lines = [json.loads(x)["text"] for x in path.read_text().splitlines() if x.strip()]
            step = max(1, len(lines) // EVAL_QUERIES)
            questions += lines[::step][:EVAL_QUERIES]
    return questions


def baseline_answer(service: SearchService, question: str) -> dict:
    result = service.search(question, 10, with_answer=False)
    qv = service.embedder.encode_query(question)
    sv = service.store.sentence_vectors([r.passage_id for r in result.results[:ANSWER_FROM]])
    quotes = []
    for r in result.results[:ANSWER_FROM]:
        h = best_sentence(qv, r.text, sv.get(r.passage_id))
        quotes.append((r.rank, r.text[h.start:h.end], h.score))
    answer = compose(quotes)
    return {"text": answer.text, "citations": answer.citations, "abstained": False}


def confidence(service: SearchService, question: str, result) -> float:
    qv = service.embedder.encode_query(question)
    top = result.results[:ANSWER_FROM]
    sv = service.store.sentence_vectors([r.passage_id for r in top])
    return choose(question, qv, [Evidence(r.rank, r.text, sv.get(r.passage_id))
                                 for r in top]).confidence


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--cache")
    parser.add_argument("--baseline", action="store_true")
    parser.add_argument("--abstain-below", type=float, default=Settings().abstain_below)
    parser.add_argument("--show", action="store_true", help="print each question and answer")
    parser.add_argument("--comment-penalty", type=float, default=None,
                        help="score taken off a reader's comment (search/answer.py); "
                             "default: the module's")
    args = parser.parse_args()
    if args.comment_penalty is not None:
        import citegraph.search.answer as answer_module

        answer_module.COMMENT_PENALTY = args.comment_penalty
    embedder = Embedder(threads=1)
    off_topic = off_topic_questions()
    with tempfile.TemporaryDirectory() as tmp:
        for name, (corpus, gold_path) in SETS.items():
            if not corpus.is_dir():
                print(f"# {name}: {corpus} is not here, skipped", file=sys.stderr)
                continue
            directory = Path(args.cache or tmp) / name
            store = SQLiteStore(directory)
            with store:
                Pipeline(store, embedder).ingest_paths([str(corpus)])
                service = SearchService(store, embedder, build_retriever(store, "hybrid"),
                                        abstain_below=args.abstain_below)

                def ask(question):
                    if args.baseline:
                        return baseline_answer(service, question), math.inf
                    result = service.search(question, 10)
                    return result.answer.__dict__, confidence(service, question, result)

                gold = load_gold(gold_path)
                in_domain = [ask(g.question) for g in gold]
                extra = []
                if name == "demo":
                    extra = [ask(q) for q in
                             (REPO / "demo" / "questions.txt").read_text().splitlines() if q.strip()]
                outside = [ask(q) for q in off_topic]
                for key, value in answer_figures(gold, [a for a, _ in in_domain]).items():
                    figure(f"{name}.{key}", value)
                if extra:
                    figure(f"{name}.demo_questions_abstain", abstain_rate([a for a, _ in extra]))
                figure(f"{name}.offtopic_abstain", abstain_rate([a for a, _ in outside]))
                if not args.baseline:  # answers whose first quote is a reader's comment
                    answered = [a for a, _ in in_domain + extra if a.get("sources")]
                    figure(f"{name}.first_from_comment",
                           sum(a["sources"][0].section == "comment" for a in answered)
                           / max(1, len(answered)))
                if not args.baseline:
                    inside_conf = [c for _, c in in_domain + extra]
                    outside_conf = np.array([c for _, c in outside if c > -math.inf])
                    figure(f"{name}.conf.in_domain_min", min(inside_conf))
                    for q in (50, 90, 95, 99):
                        figure(f"{name}.conf.offtopic_p{q}",
                               float(np.percentile(outside_conf, q)) if len(outside_conf) else 0.0)
                    figure(f"{name}.conf.offtopic_max",
                           float(outside_conf.max()) if len(outside_conf) else 0.0)
                if args.show:
                    for g, (a, c) in zip(gold, in_domain):
                        ok = "ok " if contains_gold(first_quote(a["text"]), g.gold) else (
                            "in " if contains_gold(a["text"], g.gold) else "NO ")
                        print(f"{ok}{c:.3f} {g.id} {g.question}\n     {a['text'][:400]}")
                    for q, (a, c) in zip(off_topic, outside):
                        if not a["abstained"]:
                            print(f"OFF {c:.3f} {q}\n     {a['text'][:200]}")


if __name__ == "__main__":
    main()
