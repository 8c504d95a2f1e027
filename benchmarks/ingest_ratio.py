"""Ingest speed: wall time of `citegraph ingest` over a bare fp32 encode of the same passage
texts, both whole processes, in paired runs (A B A B) so that a noisy machine moves both.

    python benchmarks/ingest_ratio.py --size 10000 --rounds 2 --threads 2
"""
from __future__ import annotations

import argparse
import shutil
import statistics
import sys
import tempfile
from pathlib import Path

from _common import (CITEGRAPH, build_corpus, figure, run_timed, thread_env)

HERE = Path(__file__).resolve().parent


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--size", type=int, default=10_000, help="passages in the corpus")
    ap.add_argument("--rounds", type=int, default=2, help="A B pairs")
    ap.add_argument("--threads", type=int, default=2, help="torch threads, both sides")
    ap.add_argument("--workdir", default=None)
    args = ap.parse_args()
    work = Path(args.workdir or tempfile.mkdtemp(prefix="cg-bench-ingest-"))
    work.mkdir(parents=True, exist_ok=True)
    corpus, passages, store = work / "corpus.jsonl", work / "passages.jsonl", work / "store"
    figure("passages_target", args.size)
    figure("passages_built", build_corpus(args.size, corpus))
    env = thread_env(args.threads)
    ratios, ingest_times, bare_times = [], [], []
    for round_ in range(args.rounds):
        shutil.rmtree(store, ignore_errors=True)
        t_ingest, rss_ingest = run_timed([CITEGRAPH, "ingest", str(corpus), "--store", str(store)],
                                         env)
        if round_ == 0:  # the exact passage texts the store holds, for the bare side
            with open(passages, "w") as out:
                run_timed([CITEGRAPH, "export", "--format", "passages-jsonl", "--store",
                           str(store)], env, stdout=out)
        t_bare, rss_bare = run_timed([sys.executable, str(HERE / "bare_encode.py"),
                                      str(passages)], env)
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
    figure("ingest_passages_per_s", args.size / statistics.median(ingest_times), "passages/s")
    figure("bare_passages_per_s", args.size / statistics.median(bare_times), "passages/s")
    if not args.workdir:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
