"""Retrieval evaluation on BEIR-format folders: `corpus.jsonl` (or `.jsonl.gz`) of
`{_id, title, text}`, `queries.jsonl` of `{_id, text}`, `qrels/<split>.tsv` with the header
`query-id corpus-id score`.

Results are passages; relevance is judged per article, so each ranking is folded to articles
(an article takes the rank of its best passage) before the metrics of `search.metrics`."""
from __future__ import annotations

import csv
import gzip
import json
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Iterator, Optional

from citegraph.errors import CitegraphError
from citegraph.graph.models import article_of
from citegraph.text.cleaning import clean_text
from citegraph.ingest.readers import ArticleDraft
from citegraph.search.metrics import fold_to_articles, mean, mrr_at_k, ndcg_at_k, recall_at_k
from citegraph.search.retrievers import Query, Retriever

MODES = ("dense", "bm25", "hybrid")
NDCG_K, RECALL_K, MRR_K = 10, 100, 10
PASSAGE_DEPTH = 200  # passages asked for, so that ≥ RECALL_K articles survive the folding


class EvalDataError(CitegraphError):
    """A BEIR folder that cannot be read; the message names the file."""


@dataclass
class BeirSet:
    directory: Path
    corpus: Path
    queries: dict[str, str]  # only the queries judged in the split
    qrels: dict[str, dict[str, float]]  # query id → {doc id: grade}


def _corpus_file(directory: Path) -> Path:
    for name in ("corpus.jsonl", "corpus.jsonl.gz"):
        if (directory / name).is_file():
            return directory / name
    raise EvalDataError(f"{directory}: no corpus.jsonl or corpus.jsonl.gz")


def _read_qrels(path: Path) -> dict[str, dict[str, float]]:
    if not path.is_file():
        raise EvalDataError(f"{path}: no such qrels file")
    qrels: dict[str, dict[str, float]] = {}
    with open(path, encoding="utf-8", newline="") as f:
        for number, row in enumerate(csv.reader(f, delimiter="\t"), start=1):
            if not row or (number == 1 and row[0] == "query-id"):
                continue
            try:
                qid, doc, grade = row[0], row[1], float(row[2])
            except (IndexError, ValueError):
                raise EvalDataError(f"{path}:{number}: expected query-id, corpus-id, score"
                                    " separated by tabs") from None
            if grade > 0:
                qrels.setdefault(qid, {})[doc] = grade
    return qrels


def _read_jsonl(path: Path) -> Iterator[tuple[int, dict]]:
    opener = gzip.open if path.suffix == ".gz" else open
    try:
        with opener(path, "rt", encoding="utf-8") as f:
            for number, line in enumerate(f, start=1):
                if not line.strip():
                    continue
                try:
                    record = json.loads(line)
                except json.JSONDecodeError as exc:
                    raise EvalDataError(f"{path}:{number}: invalid JSON ({exc.msg})") from None
                if not isinstance(record, dict) or "_id" not in record:
                    raise EvalDataError(f"{path}:{number}: expected a JSON object with '_id'")
                yield number, record
    except (OSError, EOFError, UnicodeDecodeError) as exc:
        raise EvalDataError(f"{path}: {getattr(exc, 'strerror', None) or exc}") from None


def load_beir(directory: str | Path, split: str = "test") -> BeirSet:
    directory = Path(directory)
    if not directory.is_dir():
        raise EvalDataError(f"{directory}: not a folder")
    corpus = _corpus_file(directory)
    qrels = _read_qrels(directory / "qrels" / f"{split}.tsv")
    queries_path = directory / "queries.jsonl"
    if not queries_path.is_file():
        raise EvalDataError(f"{queries_path}: no such file")
    queries = {}
    for number, record in _read_jsonl(queries_path):
        text = record.get("text")
        if not isinstance(text, str):
            raise EvalDataError(f"{queries_path}:{number}: missing field 'text'")
        if str(record["_id"]) in qrels:
            queries[str(record["_id"])] = text
    if not queries:
        raise EvalDataError(f"{queries_path}: no query judged in qrels/{split}.tsv")
    return BeirSet(directory, corpus, queries, {q: qrels[q] for q in queries})


def corpus_drafts(beir: BeirSet) -> Iterator[ArticleDraft]:
    """Corpus records as articles; a record without text keeps its title as its text."""
    for _number, record in _read_jsonl(beir.corpus):
        title = record["title"] if isinstance(record.get("title"), str) else ""
        body = record["text"] if isinstance(record.get("text"), str) else ""
        text = clean_text(body) if body.strip() else title.strip()
        if text:
            yield ArticleDraft(str(record["_id"]), title.strip(), text, source=str(beir.corpus))


def ingest_corpus(pipeline, beir: BeirSet):
    from citegraph.ingest.pipeline import IngestReport

    report = IngestReport()
    pipeline.ingest_drafts(corpus_drafts(beir), report, where=str(beir.corpus))
    return report


article_id = article_of  # the article id of a passage id (graph/models.py)


def rank_articles(retriever: Retriever, query: Query, depth: int = PASSAGE_DEPTH) -> list[str]:
    hits = retriever.retrieve(query, depth)
    return fold_to_articles([article_id(h.passage_id) for h in hits])


@dataclass
class ModeResult:
    mode: str
    ndcg: list[float] = field(default_factory=list)
    recall: list[float] = field(default_factory=list)
    mrr: list[float] = field(default_factory=list)
    seconds: float = 0.0

    def summary(self) -> dict:
        n = len(self.ndcg)
        return {"queries": n, f"ndcg@{NDCG_K}": round(mean(self.ndcg), 4),
                f"recall@{RECALL_K}": round(mean(self.recall), 4),
                f"mrr@{MRR_K}": round(mean(self.mrr), 4),
                "ms_per_query": round(1000 * self.seconds / n, 2) if n else 0.0}


def score_ranking(ranking: list[str], relevant: dict[str, float]) -> tuple[float, float, float]:
    return (ndcg_at_k(ranking, relevant, NDCG_K), recall_at_k(ranking, relevant, RECALL_K),
            mrr_at_k(ranking, relevant, MRR_K))


def evaluate(beir: BeirSet, retrievers: dict[str, Retriever], embedder,
             query_ids: Optional[list[str]] = None,
             progress: Optional[Callable] = None) -> dict[str, ModeResult]:
    """Every query answered by every retriever; the query is embedded once and shared."""
    ids = list(query_ids) if query_ids is not None else list(beir.queries)
    results = {mode: ModeResult(mode) for mode in retrievers}
    for qid in (progress(ids) if progress else ids):
        query = Query(beir.queries[qid], embedder)
        query.vector  # embed outside the timed retrieval, once for all modes
        for mode, retriever in retrievers.items():
            started = time.perf_counter()
            ranking = rank_articles(retriever, query)
            results[mode].seconds += time.perf_counter() - started
            ndcg, recall, mrr = score_ranking(ranking, beir.qrels[qid])
            results[mode].ndcg.append(ndcg)
            results[mode].recall.append(recall)
            results[mode].mrr.append(mrr)
    return results


def tuning_halves(query_ids) -> tuple[list[str], list[str]]:
    """A fixed split of a query set: ids in natural order, alternately to the tuning half and
    the held-out half. Weights are tuned on the first; figures are reported on both."""
    ordered = sorted(query_ids, key=lambda q: (len(q), q))
    return ordered[0::2], ordered[1::2]
