"""Ingest speed: wall time of `citegraph ingest` over a bare fp32 encode of the same passage
texts, both whole processes, in paired runs (A B A B) so that a noisy machine moves both.

Both sides start in the same clean environment (`clean_env()`: no thread, BLAS or Citegraph
variable): Citegraph exactly as a user runs the command, the bare baseline as peers run it
(a fresh Python, plain `SentenceTransformer(...).encode`, batch 64, library defaults).

    python benchmarks/ingest_ratio.py --articles 2000 --rounds 3    # the first 2,000 SciFact abstracts
    python benchmarks/ingest_ratio.py --size 10000 --rounds 2        # SciFact scaled to 10k passages
    python benchmarks/ingest_ratio.py --articles 2000 --env CITEGRAPH_BACKEND=torch
"""
from __future__ import annotations

import argparse
import gzip
import json
import shutil
import statistics
import sys
import tempfile
from pathlib import Path

from _common import (CITEGRAPH, SCIFACT, build_corpus, clean_env, figure, run_timed)

HERE = Path(__file__).resolve().parent


def first_articles(count: int, path: Path) -> None:
    with gzip.open(SCIFACT / "corpus.jsonl.gz", "rt", encoding="utf-8") as f, \
            open(path, "w", encoding="utf-8") as out:
        for line in f:
            if count <= 0:
                break
            if line.strip():
                r = json.loads(line)
                out.write(json.dumps({"_id": r["_id"], "title": r["title"],
                                      "text": r["text"]}) + "\n")
                count -= 1


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    group = ap.add_mutually_exclusive_group()
    group.add_argument("--size", type=int, default=None, help="passages in the corpus")
    group.add_argument("--articles", type=int, default=None,
                       help="the first N SciFact articles as they are")
    ap.add_argument("--rounds", type=int, default=2, help="A B pairs")
    ap.add_argument("--env", action="append", default=[], metavar="NAME=VALUE",
                    help="a setting for the Citegraph side only (say, CITEGRAPH_BACKEND=torch)")
    ap.add_argument("--workdir", default=None)
    args = ap.parse_args()
    work = Path(args.workdir or tempfile.mkdtemp(prefix="cg-bench-ingest-"))
    work.mkdir(parents=True, exist_ok=True)
    corpus, passages, store = work / "corpus.jsonl", work / "passages.jsonl", work / "store"
    if args.articles:
        first_articles(args.articles, corpus)
        figure("articles", args.articles)
    else:
        figure("passages_target", args.size or 10_000)
        build_corpus(args.size or 10_000, corpus)
    ours = clean_env(**dict(kv.split("=", 1) for kv in args.env))
    bare_env = clean_env()
    if args.env:
        figure("citegraph_env", " ".join(args.env))
    ratios, ingest_times, bare_times = [], [], []
    count = 0
    for round_ in range(args.rounds):
        shutil.rmtree(store, ignore_errors=True)
        t_ingest, rss_ingest = run_timed([CITEGRAPH, "ingest", str(corpus), "--store", str(store)],
                                         ours)
        if round_ == 0:  # the exact passage texts the store holds, for the bare side
            with open(passages, "w") as out:
                run_timed([CITEGRAPH, "export", "--format", "passages-jsonl", "--store",
                           str(store)], ours, stdout=out)
            count = sum(1 for line in open(passages) if line.strip())
            figure("passages", count)
        t_bare, rss_bare = run_timed([sys.executable, str(HERE / "bare_encode.py"),
                                      str(passages)], bare_env)
        ratios.append(t_ingest / t_bare)
        ingest_times.append(t_ingest)
        bare_times.append(t_bare)
        figure(f"round{round_ + 1}_ingest_s", t_ingest, "s")
        figure(f"round{round_ + 1}_bare_s", t_bare, "s")
        figure(f"round{round_ + 1}_ratio", t_ingest / t_bare)
        figure(f"round{round_ + 1}_ingest_peak_rss", rss_ingest, "MiB")
        figure(f"round{round_ + 1}_bare_peak_rss", rss_bare, "MiB")
    figure("ingest_over_bare_median", statistics.median(ratios))
    figure("ingest_over_bare_spread", max(ratios) - min(ratios))
    figure("ingest_passages_per_s", count / statistics.median(ingest_times), "passages/s")
    figure("bare_passages_per_s", count / statistics.median(bare_times), "passages/s")
    if not args.workdir:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
