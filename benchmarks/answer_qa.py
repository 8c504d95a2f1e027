"""Answer quality on text nobody tuned for: a public extractive QA set of Wikipedia
paragraphs (SQuAD format), the demo corpus and its hard-wrapped copy. One figure a line.

The QA set is XQuAD's English file (48 Wikipedia articles, 240 paragraphs, 1,190 questions;
CC BY-SA 4.0): `xquad.en.json` of the github.com/google-deepmind/xquad repository, put at
/tmp/xquad.en.json (or `--qa FILE`, any SQuAD v1.1-format file) before the run; nothing of it
is committed. Each article's paragraphs are ingested as one article (blank lines between
them), all 48 in one store. The articles are split in two halves by their place in the file:
`tune` (even places) is what search/answer.py's weights were chosen on, `report` (odd places)
was only measured; the two halves share no article and no question.

    qa.<half>.first_contains    share whose first quoted sentence holds a gold answer
    qa.<half>.answer_contains   share whose answer holds one anywhere
    qa.<half>.top5_contains     share whose top five passages hold one (retrieval's ceiling)
    qa.<half>.false_abstain     share of these (answerable) questions abstained on
    qa.offtopic_abstain         tests/data/offtopic_wiki.jsonl (40 everyday questions no
                                article answers), abstained on
    demo.<plain|wrapped>.*      demo gold questions on demo/corpus and on its copy
                                hard-wrapped at 72 columns; demo.same_answers: share of
                                questions whose quotes are the same on both
    qa.api_p50_ms / p95         with --latency: GET /api/search on `citegraph serve` over the
                                QA store, the report half's questions, warm, one at a time

    python benchmarks/answer_qa.py [--qa FILE] [--cache DIR] [--latency] [--show tune|report]
"""
from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import quote

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))
os.environ.setdefault("CITEGRAPH_THREADS", "1")

from citegraph.settings import prepare_process  # noqa: E402

prepare_process()
from _common import Server, http_get, percentile  # noqa: E402

from citegraph.embedding import Embedder  # noqa: E402
from citegraph.graph.sqlite_store import SQLiteStore  # noqa: E402
from citegraph.ingest.pipeline import Pipeline  # noqa: E402
from citegraph.search.answer_evaluation import (abstain_rate, answer_figures,  # noqa: E402
                                                contains_gold, first_quote, hard_wrap_corpus,
                                                load_gold, quotes, GoldQuestion)
from citegraph.search.factory import build_retriever  # noqa: E402
from citegraph.search.service import SearchService  # noqa: E402

REPO = Path(__file__).resolve().parent.parent
DATA = REPO / "tests" / "data"
DEMO = REPO / "demo" / "corpus"


def figure(name, value):
    print(f"{name} {value:.4g}" if isinstance(value, float) else f"{name} {value}", flush=True)


def qa_halves(path: Path, corpus: Path) -> dict[str, list[GoldQuestion]]:
    """Writes the articles as one JSONL file under `corpus`; the questions of each half."""
    data = json.loads(path.read_text(encoding="utf-8"))["data"]
    corpus.mkdir(parents=True, exist_ok=True)
    halves: dict[str, list[GoldQuestion]] = {"tune": [], "report": []}
    with open(corpus / "articles.jsonl", "w", encoding="utf-8") as out:
        for place, article in enumerate(data):
            title = article["title"].replace("_", " ")
            text = "\n\n".join(p["context"].strip() for p in article["paragraphs"])
            out.write(json.dumps({"id": article["title"], "title": title, "text": text},
                                 ensure_ascii=False) + "\n")
            half = halves["tune" if place % 2 == 0 else "report"]
            for paragraph in article["paragraphs"]:
                for qa in paragraph["qas"]:
                    half.append(GoldQuestion(qa["id"], qa["question"],
                                             sorted({a["text"] for a in qa["answers"]})))
    return halves


def open_store(directory: Path, corpus: Path, embedder) -> SQLiteStore:
    store = SQLiteStore(directory)
    report = Pipeline(store, embedder).ingest_paths([str(corpus)])
    if report.failed:
        sys.exit(f"ingest failed: {report.failed[:3]}")
    return store


def ask_all(service: SearchService, gold: list[GoldQuestion]) -> list:
    return [service.search(g.question, 10) for g in gold]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--qa", default="/tmp/xquad.en.json")
    parser.add_argument("--cache", help="keep the stores here (reused when present)")
    parser.add_argument("--latency", action="store_true")
    parser.add_argument("--show", choices=("tune", "report"))
    args = parser.parse_args()
    qa_path = Path(args.qa)
    if not qa_path.is_file():
        sys.exit(f"{qa_path}: not here (see this file's docstring for where it comes from)")
    embedder = Embedder(threads=1)
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(args.cache or tmp)
        halves = qa_halves(qa_path, root / "qa-corpus")
        store = open_store(root / "qa-store", root / "qa-corpus", embedder)
        service = SearchService(store, embedder, build_retriever(store, "hybrid"))
        for name, gold in halves.items():
            results = ask_all(service, gold)
            answers = [r.answer.__dict__ for r in results]
            for key, value in answer_figures(gold, answers).items():
                figure(f"qa.{name}.{key}", value)
            figure(f"qa.{name}.top5_contains", sum(
                contains_gold(" ".join(x.text for x in r.results[:5]), g.gold)
                for r, g in zip(results, gold)) / len(gold))
            conf = sorted(a["confidence"] for a in answers if a.get("confidence") is not None)
            figure(f"qa.{name}.conf_p1", percentile(conf, 1) if conf else 0.0)
            if args.show == name:
                for g, a in zip(gold, answers):
                    mark = ("ok " if contains_gold(first_quote(a["text"]), g.gold) else
                            "in " if contains_gold(a["text"], g.gold) else "NO ")
                    print(f"{mark}{a.get('confidence')} {g.question} {g.gold}\n     {a['text'][:500]}")
        off = [g.question for g in load_gold(DATA / "offtopic_wiki.jsonl")]
        off_answers = [service.search(q, 10).answer.__dict__ for q in off]
        figure("qa.offtopic_abstain", abstain_rate(off_answers))
        conf = sorted(a["confidence"] for a in off_answers if a.get("confidence") is not None)
        figure("qa.offtopic_conf_max", conf[-1] if conf else 0.0)
        if args.show:
            for q, a in zip(off, off_answers):
                if not a["abstained"]:
                    print(f"OFF {a.get('confidence')} {q}\n     {a['text'][:300]}")
        if args.latency:
            store.close()
            questions = [g.question for g in halves["report"]]
            with Server(str(root / "qa-store")) as server:
                times = []
                for question in questions:
                    start = time.perf_counter()
                    status, _ = http_get(f"{server.url}/api/search?q={quote(question)}&k=10")
                    times.append((time.perf_counter() - start) * 1000)
                    if status != 200:
                        sys.exit(f"/api/search answered {status}")
            times.sort()
            figure("qa.api_p50_ms", percentile(times, 50))
            figure("qa.api_p95_ms", percentile(times, 95))
        else:
            store.close()
        # the demo corpus and its copy hard-wrapped at 72 columns
        hard_wrap_corpus(DEMO, root / "demo-wrapped")
        gold = load_gold(DATA / "demo_answers.jsonl")
        texts = {}
        for name, corpus in (("plain", DEMO), ("wrapped", root / "demo-wrapped")):
            with open_store(root / f"demo-{name}-store", corpus, embedder) as demo_store:
                demo = SearchService(demo_store, embedder, build_retriever(demo_store, "hybrid"))
                answers = [r.answer.__dict__ for r in ask_all(demo, gold)]
                for key in ("first_contains", "answer_contains", "false_abstain"):
                    figure(f"demo.{name}.{key}", answer_figures(gold, answers)[key])
                texts[name] = [quotes(a["text"]) for a in answers]
        figure("demo.same_answers", sum(a == b for a, b in zip(texts["plain"], texts["wrapped"]))
               / len(gold))


if __name__ == "__main__":
    main()
