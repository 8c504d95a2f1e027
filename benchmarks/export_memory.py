"""Peak memory of `citegraph export` as the store grows: it should stay flat, because every
format is written one record at a time.

A synthetic store (no model needed): articles of 10 passages of ~80 words with random unit
vectors, written through SQLiteStore.upsert_article, a 50-concept scheme, two mentions per
passage and the co-occurrence derived from them. Each export runs as a whole child process
(`python -m citegraph export ... -o /dev/null`); its peak RSS comes from wait4. The baseline
is the same command exporting only the concept scheme (interpreter, imports, store open).

    python benchmarks/export_memory.py [--sizes 10000 100000] [--formats nt turtle ...]

Prints one figure a line: export_peak_rss_mib.<format>.<passages>, export_seconds.<...>,
export_mib.<...> (output size), and export_rss_growth.<format> (peak at the largest size
over peak at the smallest).
"""
from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
from citegraph.graph.models import Article, Concept, Mention, Passage  # noqa: E402
from citegraph.graph.sqlite_store import SQLiteStore  # noqa: E402

DIM = 384
PASSAGES_PER_ARTICLE = 10
WORDS_PER_PASSAGE = 80
CONCEPTS = 50
FORMATS = ("nt", "turtle", "json-ld", "passages-jsonl")
SCHEME = "https://example.org/bench/scheme"


def figure(name: str, value, unit: str = "") -> None:
    text = f"{value:.4g}" if isinstance(value, float) else str(value)
    print(f"{name} {text}{(' ' + unit) if unit else ''}", flush=True)


def concepts() -> list[Concept]:
    iri = [f"https://example.org/bench/concept/{i}" for i in range(CONCEPTS)]
    return [Concept(iri[i], f"topic{i}", [f"subject{i}"], [], f"Concept number {i}.", SCHEME,
                    broader=[iri[i // 5]] if i >= 5 else [],
                    related=[iri[i + 1]] if i % 5 == 3 and i + 1 < CONCEPTS else [])
            for i in range(CONCEPTS)]


def passage_text(rng, vocabulary: list[str], labels: tuple[str, str]) -> tuple[str, list]:
    """~80 words with two concept labels in them, and the labels' spans."""
    words = list(rng.choice(vocabulary, WORDS_PER_PASSAGE))
    words[5], words[40] = labels
    text = " ".join(words) + "."
    first = len(" ".join(words[:5])) + 1
    second = len(" ".join(words[:40])) + 1
    return text, [(first, first + len(labels[0])), (second, second + len(labels[1]))]


def build(store_dir: Path, size: int, seed: int = 0) -> int:
    """Extend the store at `store_dir` to `size` passages."""
    rng = np.random.default_rng(seed + size)
    vocabulary = [f"word{i}" for i in range(5000)]
    scheme = concepts()
    with SQLiteStore(store_dir) as store:
        if not store.stats()["concepts"]:
            store.replace_concepts(scheme)
        have = store.stats()["passages"]
        n = have // PASSAGES_PER_ARTICLE
        while have < size:
            aid = f"bench/{n:07d}"
            vectors = rng.standard_normal((PASSAGES_PER_ARTICLE, DIM)).astype(np.float32)
            vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
            text, passages, mentions = "", [], []
            for i in range(PASSAGES_PER_ARTICLE):
                a, b = rng.choice(CONCEPTS, 2, replace=False)
                body, spans = passage_text(rng, vocabulary, (scheme[a].label, scheme[b].label))
                pid = Passage.make_id(aid, i)
                passages.append(Passage(pid, aid, i, body, len(text), len(text) + len(body),
                                        embedding=vectors[i]))
                for c, (s, e) in zip((a, b), spans):
                    mentions.append(Mention(pid, scheme[c].iri, float(rng.uniform(0.5, 1)),
                                            "label", s, e, body[s:e]))
                text += body + "\n\n"
            store.upsert_article(Article(aid, f"Article {n}", text, "synthetic", "", aid,
                                         "2025-01-01T00:00:00+00:00"), passages, mentions)
            have += PASSAGES_PER_ARTICLE
            n += 1
        store.rebuild_cooccurrence()
    return have


def run_export(store_dir: Path, fmt: str, what: str = "all") -> tuple[float, int, int]:
    """(seconds, peak RSS in MiB, output bytes) of one export as a whole process."""
    out = store_dir.parent / f"export.{fmt}"
    env = {**os.environ, "CITEGRAPH_THREADS": "1", "OPENBLAS_NUM_THREADS": "1",
           "OMP_NUM_THREADS": "1"}
    start = time.perf_counter()
    proc = subprocess.Popen([sys.executable, "-m", "citegraph", "export", "--store",
                             str(store_dir), "--format", fmt, "--what", what, "-o", str(out)],
                            cwd=REPO, env=env, stderr=subprocess.PIPE)
    _, status, usage = os.wait4(proc.pid, 0)
    seconds = time.perf_counter() - start
    if os.waitstatus_to_exitcode(status) != 0:
        sys.exit(f"export_memory: export --format {fmt} failed: {proc.stderr.read().decode()}")
    size = out.stat().st_size
    out.unlink()
    return seconds, usage.ru_maxrss // 1024, size


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000])
    ap.add_argument("--formats", nargs="+", choices=FORMATS, default=list(FORMATS))
    ap.add_argument("--workdir", default=None, help="keep the store here (default: temporary)")
    args = ap.parse_args()
    with tempfile.TemporaryDirectory(prefix="cg-export-") as tmp:
        store_dir = Path(args.workdir or tmp) / "store"
        peaks: dict[str, list[int]] = {fmt: [] for fmt in args.formats}
        for size in sorted(args.sizes):
            start = time.perf_counter()
            figure(f"synthetic_passages.{size}", build(store_dir, size))
            figure(f"synthetic_build_s.{size}", time.perf_counter() - start, "s")
            _, baseline, _ = run_export(store_dir, "nt", what="concepts")
            figure(f"export_baseline_rss_mib.{size}", baseline, "MiB")
            for fmt in args.formats:
                seconds, peak, size_bytes = run_export(store_dir, fmt)
                peaks[fmt].append(peak)
                figure(f"export_peak_rss_mib.{fmt}.{size}", peak, "MiB")
                figure(f"export_seconds.{fmt}.{size}", seconds, "s")
                figure(f"export_mib.{fmt}.{size}", size_bytes / 2**20, "MiB")
        if len(args.sizes) > 1:
            for fmt, values in peaks.items():
                figure(f"export_rss_growth.{fmt}", values[-1] / values[0])


if __name__ == "__main__":
    main()
