"""`citegraph eval` and search.evaluation on a tiny BEIR folder written from our own sentences,
with the real model and the real SQLite store."""
from __future__ import annotations

import gzip
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from citegraph.evaluation import (EvalDataError, article_id, evaluate, ingest_corpus, load_beir,
                               rank_articles)
from citegraph.search.retrievers import Query
from citegraph.search.factory import build_retriever

DOCS = {
    "bees": ("Honey bees and pollination",
             "Honey bees carry pollen between flowers while they collect nectar. Orchards rent "
             "hives in spring so that apple and cherry blossoms are pollinated."),
    "tides": ("Why the sea has tides",
              "The gravity of the moon pulls the oceans towards it. Twice a day the water rises "
              "and falls along the coast, and spring tides follow the full and new moon."),
    "bread": ("Baking sourdough bread",
              "A sourdough starter is a culture of wild yeast and lactic bacteria. The dough "
              "rises slowly overnight and the crust browns in a very hot oven."),
    "volcano": ("How volcanoes erupt",
                "Molten rock collects in a chamber below the crust. When the pressure of the "
                "dissolved gas is high enough, magma and ash burst out of the vent."),
    "chess": ("Opening principles in chess",
              "Control the centre with pawns, develop knights before bishops, and castle early "
              "to keep the king safe before the middle game begins."),
}
QUERIES = {
    "q1": "Which insects pollinate fruit trees?",
    "q2": "What makes the ocean water rise and fall each day?",
    "q3": "How is a sourdough loaf leavened?",
    "q4": "What happens when magma pressure builds up?",
    "q5": "How should I start a game of chess?",
    "q9": "A query with no judgement in the split is left out.",
}
CITEGRAPH = Path(sys.executable).with_name("citegraph")  # the installed command
QRELS = {"q1": "bees", "q2": "tides", "q3": "bread", "q4": "volcano", "q5": "chess"}


def write_beir(directory: Path, gz: bool = False) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    lines = "".join(json.dumps({"_id": i, "title": t, "text": x}) + "\n"
                    for i, (t, x) in DOCS.items())
    if gz:
        with gzip.open(directory / "corpus.jsonl.gz", "wt", encoding="utf-8") as f:
            f.write(lines)
    else:
        (directory / "corpus.jsonl").write_text(lines, encoding="utf-8")
    (directory / "queries.jsonl").write_text(
        "".join(json.dumps({"_id": q, "text": t}) + "\n" for q, t in QUERIES.items()),
        encoding="utf-8")
    (directory / "qrels").mkdir(exist_ok=True)
    (directory / "qrels" / "test.tsv").write_text(
        "query-id\tcorpus-id\tscore\n" + "".join(f"{q}\t{d}\t1\n" for q, d in QRELS.items())
        + "q1\tchess\t0\n", encoding="utf-8")
    return directory


def test_load_beir_reads_judged_queries_only(tmp_path):
    beir = load_beir(write_beir(tmp_path / "set", gz=True), "test")
    assert beir.corpus.name == "corpus.jsonl.gz"
    assert sorted(beir.queries) == ["q1", "q2", "q3", "q4", "q5"]
    assert beir.qrels["q1"] == {"bees": 1.0}  # grade 0 is not relevant


@pytest.mark.parametrize("breakage, message", [
    (lambda d: (d / "corpus.jsonl").unlink(), "no corpus.jsonl"),
    (lambda d: (d / "qrels" / "test.tsv").unlink(), "test.tsv: no such qrels file"),
    (lambda d: (d / "qrels" / "test.tsv").write_text("q1 bees\n"), "test.tsv:1: expected"),
    (lambda d: (d / "queries.jsonl").write_text('{"_id": "q1", "text": "x"}\n{oops\n'),
     "queries.jsonl:2: invalid JSON"),
])
def test_load_beir_names_the_bad_file(tmp_path, breakage, message):
    directory = write_beir(tmp_path / "set")
    breakage(directory)
    with pytest.raises(EvalDataError, match=message):
        load_beir(directory, "test")


def test_article_id_of_passage_id():
    assert article_id("doc-1#0") == "doc-1"
    assert article_id("a#b#12") == "a#b"


def test_every_mode_ranks_the_judged_article_first(tmp_path, embedder, empty_store):
    from citegraph.ingest.pipeline import Pipeline

    beir = load_beir(write_beir(tmp_path / "set"), "test")
    report = ingest_corpus(Pipeline(empty_store, embedder), beir)
    assert report.new == len(DOCS) and not report.failed
    retrievers = {m: build_retriever(empty_store, m) for m in ("dense", "bm25", "hybrid")}
    ranking = rank_articles(retrievers["hybrid"], Query(QUERIES["q3"], embedder))
    assert ranking[0] == "bread" and len(ranking) == len(set(ranking)) == len(DOCS)
    results = evaluate(beir, retrievers, embedder)
    for mode in ("dense", "hybrid"):
        summary = results[mode].summary()
        assert summary["queries"] == 5
        assert summary["ndcg@10"] == 1.0 and summary["mrr@10"] == 1.0, (mode, summary)
        assert summary["recall@100"] == 1.0
    # BM25 matches words only: "insects pollinate fruit trees" shares a stem with the bees
    # article, "ocean ... rise and fall" with the tides one; it must still find most
    assert results["bm25"].summary()["mrr@10"] >= 0.6


def _cli(*args, cwd: Path) -> subprocess.CompletedProcess:
    env = dict(os.environ, CITEGRAPH_THREADS="1")
    return subprocess.run([str(CITEGRAPH), *args], cwd=cwd, env=env,
                          capture_output=True, text=True, timeout=600)


def test_cli_eval_json_and_errors(tmp_path):
    directory = write_beir(tmp_path / "set")
    store = tmp_path / "store"
    run = _cli("eval", str(directory), "--json", "--store", str(store), "--modes",
               "dense,hybrid", cwd=tmp_path)
    assert run.returncode == 0, run.stderr
    out = json.loads(run.stdout)
    assert out["dataset"] == "set" and out["queries"] == 5 and out["articles"] == 5
    assert set(out["modes"]) == {"dense", "hybrid"}
    assert out["modes"]["hybrid"]["ndcg@10"] == 1.0
    assert (store / "citegraph.sqlite3").is_file()  # --store keeps the ingested corpus

    missing = _cli("eval", str(directory), "--split", "train", cwd=tmp_path)
    assert missing.returncode == 2
    assert missing.stderr.strip().endswith("qrels/train.tsv: no such qrels file")
    assert "Traceback" not in missing.stderr
    bad_mode = _cli("eval", str(directory), "--modes", "psychic", "--store", str(store),
                    cwd=tmp_path)
    assert bad_mode.returncode == 2 and "--modes" in bad_mode.stderr


# --- a quality floor on a fixed slice of SciFact train ------------------------------------
SCIFACT = Path(__file__).resolve().parent.parent.parent / "shared" / "eval" / "scifact"
FLOOR_QUERIES = 100  # the first held-out queries of search.evaluation.tuning_halves
FLOOR_DISTRACTORS = 400  # corpus records in file order, besides the judged ones


def write_scifact_slice(directory: Path) -> Path:
    """The judged articles of FLOOR_QUERIES held-out queries plus fixed distractors, as a
    BEIR folder in tmp (the data stays in ../shared/eval)."""
    from citegraph.evaluation import _read_jsonl, tuning_halves

    beir = load_beir(SCIFACT, "train")
    chosen = tuning_halves(beir.queries)[1][:FLOOR_QUERIES]
    wanted = {doc for q in chosen for doc in beir.qrels[q]}
    directory.mkdir(parents=True)
    (directory / "qrels").mkdir()
    kept = 0
    with open(directory / "corpus.jsonl", "w", encoding="utf-8") as out:
        for _n, record in _read_jsonl(beir.corpus):
            if record["_id"] in wanted or kept < FLOOR_DISTRACTORS:
                kept += record["_id"] not in wanted
                out.write(json.dumps(record) + "\n")
    (directory / "queries.jsonl").write_text(
        "".join(json.dumps({"_id": q, "text": beir.queries[q]}) + "\n" for q in chosen),
        encoding="utf-8")
    (directory / "qrels" / "test.tsv").write_text(
        "query-id\tcorpus-id\tscore\n"
        + "".join(f"{q}\t{d}\t1\n" for q in chosen for d in beir.qrels[q]), encoding="utf-8")
    return directory


@pytest.mark.skipif(not SCIFACT.is_dir(), reason="../shared/eval/scifact is not here")
def test_quality_floor_on_scifact_slice(tmp_path, embedder, empty_store):
    """Measured when the weights were set: nDCG@10 hybrid 0.894, dense 0.846, BM25 0.875 on
    this slice. The floors sit a little under, so a real regression fails."""
    from citegraph.ingest.pipeline import Pipeline

    beir = load_beir(write_scifact_slice(tmp_path / "slice"), "test")
    assert len(beir.queries) == FLOOR_QUERIES
    report = ingest_corpus(Pipeline(empty_store, embedder), beir)
    assert not report.failed
    modes = ("dense", "bm25", "hybrid")
    results = evaluate(beir, {m: build_retriever(empty_store, m) for m in modes}, embedder)
    ndcg = {m: results[m].summary()["ndcg@10"] for m in modes}
    assert ndcg["hybrid"] >= 0.875, ndcg
    assert ndcg["dense"] >= 0.83 and ndcg["bm25"] >= 0.86, ndcg
    assert ndcg["hybrid"] >= max(ndcg["dense"], ndcg["bm25"]) + 0.01, ndcg
    assert results["hybrid"].summary()["recall@100"] >= 0.97, results["hybrid"].summary()
