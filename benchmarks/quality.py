"""Retrieval quality on the BEIR sets in ../shared/eval: nDCG@10, recall@100 and MRR@10 per
retrieval mode, at article level, plus the mean retrieval time per query (the query embedding
excluded, it is shared by every mode). One figure a line: `<set>.<split>[.half].<mode>.<metric>
<value>`.

SciFact has only its train split here; its weights were tuned on the tuning half of
`search.evaluation.tuning_halves`, so the held-out half is printed as well.

    python benchmarks/quality.py [--cache DIR] [--sets scifact,stackfaq] [--ann-threshold 1]
                                 [--ann-precision f16]

With --cache, each set's store is kept in DIR/<set> and re-used (a second run only checks
content hashes); without it the sets are ingested into a temporary folder."""
from __future__ import annotations

import argparse
import os
import sys
import tempfile
from pathlib import Path
from typing import Optional

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("CITEGRAPH_THREADS", "1")

from citegraph.settings import prepare_process  # noqa: E402

prepare_process()  # what the command line sets for itself (offline, C++ runtime)
from citegraph.graph.sqlite_store import SQLiteStore  # noqa: E402
from citegraph.embedding import Embedder  # noqa: E402
from citegraph.ingest.pipeline import Pipeline  # noqa: E402
from citegraph.evaluation import (MODES, evaluate, ingest_corpus, load_beir,  # noqa: E402
                               tuning_halves)
from citegraph.search.factory import build_retriever  # noqa: E402

EVAL = Path(__file__).resolve().parent.parent.parent / "shared" / "eval"
SETS = {"scifact": "train", "stackfaq": "test"}
HELD_OUT = {"scifact"}  # sets whose weights were tuned on the other half
BENCH_MODES = MODES + ("hybrid-rrf",)  # the previous fusion, for comparison


def run_set(name: str, split: str, store_dir: Path, embedder,
            ann_threshold: Optional[int] = None, ann_precision: str = "i8") -> None:
    beir = load_beir(EVAL / name, split)
    with SQLiteStore(store_dir, ann_threshold=ann_threshold,
                     ann_precision=ann_precision) as store:
        report = ingest_corpus(Pipeline(store, embedder), beir)
        if report.failed:
            print(f"# {name}: {len(report.failed)} corpus records failed", file=sys.stderr)
        print(f"# {name}: vector index {store.vector_index_info()}", file=sys.stderr)
        retrievers = {mode: build_retriever(store, mode) for mode in BENCH_MODES}
        results = evaluate(beir, retrievers, embedder)
    ids = list(beir.queries)
    groups = {f"{name}.{split}": None}
    if name in HELD_OUT:
        groups[f"{name}.{split}.heldout"] = set(tuning_halves(ids)[1])
    for label, keep in groups.items():
        chosen = [i for i, q in enumerate(ids) if keep is None or q in keep]
        for mode, r in results.items():
            n = len(chosen)
            print(f"{label}.{mode}.ndcg@10 {sum(r.ndcg[i] for i in chosen) / n:.4f}")
            print(f"{label}.{mode}.recall@100 {sum(r.recall[i] for i in chosen) / n:.4f}")
            print(f"{label}.{mode}.mrr@10 {sum(r.mrr[i] for i in chosen) / n:.4f}")
            if keep is None:
                print(f"{label}.{mode}.ms_per_query {1000 * r.seconds / n:.2f}")
        sys.stdout.flush()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--cache", type=Path, help="keep each set's store in CACHE/<set>")
    parser.add_argument("--sets", default=",".join(SETS), help="comma-separated set names")
    parser.add_argument("--backend", default="auto", help="auto, torch or openvino")
    parser.add_argument("--precision", default="auto", help="auto, fp32 or bf16")
    parser.add_argument("--ann-threshold", type=int, default=None,
                        help="vectors above which the store tries HNSW (1: HNSW at any size;"
                             " default: the store's own)")
    parser.add_argument("--ann-precision", default="i8", choices=("i8", "f16"),
                        help="the HNSW index's vectors (i8: rescored with float32)")
    args = parser.parse_args()
    names = [s.strip() for s in args.sets.split(",") if s.strip()]
    unknown = [s for s in names if s not in SETS]
    if unknown:
        parser.error(f"--sets: unknown set {unknown[0]!r} (known: {', '.join(SETS)})")
    embedder = Embedder(args.precision, backend=args.backend)
    print(f"# model: {embedder.backend} {embedder.precision}", file=sys.stderr)
    with tempfile.TemporaryDirectory(prefix="citegraph-quality-") as tmp:
        root = args.cache or Path(tmp)
        for name in names:
            run_set(name, SETS[name], root / name, embedder, args.ann_threshold,
                    args.ann_precision)


if __name__ == "__main__":
    main()
