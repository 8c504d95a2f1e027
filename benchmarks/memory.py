"""Peak RSS of the server at several store sizes (synthetic stores, built if missing) and of
`citegraph ingest` over real SciFact corpora at two sizes (streaming ingest: flat in size).

    python benchmarks/memory.py --sizes 10000 100000 1000000 --ingest-sizes 1000 5000
"""
from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from _common import CITEGRAPH, Server, build_corpus, clean_env, figure, run_timed

HERE = Path(__file__).resolve().parent


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sizes", type=int, nargs="*", default=[10_000, 100_000])
    ap.add_argument("--ingest-sizes", type=int, nargs="*", default=[1000, 5000])
    ap.add_argument("--workdir", default="/tmp/cg-bench")
    args = ap.parse_args()
    work = Path(args.workdir)
    work.mkdir(parents=True, exist_ok=True)
    for size in args.sizes:
        store = work / f"syn{size}"
        if not store.exists():
            subprocess.run([sys.executable, str(HERE / "synthetic_store.py"), "--size", str(size),
                            "--store", str(store)], check=True, stdout=subprocess.DEVNULL)
        with Server(str(store)) as server:
            figure(f"server_{size}_peak_rss", server.peak_rss_mib(), "MiB")
    for size in args.ingest_sizes:
        tmp = Path(tempfile.mkdtemp(prefix="cg-bench-mem-", dir=work))
        build_corpus(size, tmp / "corpus.jsonl")
        _, rss = run_timed([CITEGRAPH, "ingest", str(tmp / "corpus.jsonl"), "--store",
                            str(tmp / "store")], clean_env())
        figure(f"ingest_{size}_peak_rss", rss, "MiB")
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
