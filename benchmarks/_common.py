"""What the benchmark scripts share: the SciFact corpus scaled to a passage count, timing of
whole child processes (wall time and peak RSS from wait4), percentiles, figure printing."""
from __future__ import annotations

import gzip
import json
import os
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
SCIFACT = REPO.parent / "shared" / "eval" / "scifact"
BIN = Path(sys.executable).parent
CITEGRAPH = str(BIN / "citegraph")


def figure(name: str, value, unit: str = "") -> None:
    """One figure a line: `name value unit`."""
    text = f"{value:.4g}" if isinstance(value, float) else str(value)
    print(f"{name} {text}{(' ' + unit) if unit else ''}", flush=True)


def percentile(values, q: float) -> float:
    import numpy as np

    return float(np.percentile(np.asarray(values, dtype=float), q))


def scifact_records() -> list[dict]:
    if not SCIFACT.is_dir():
        sys.exit(f"benchmarks: {SCIFACT} is not here")
    with gzip.open(SCIFACT / "corpus.jsonl.gz", "rt", encoding="utf-8") as f:
        return [json.loads(line) for line in f if line.strip()]


def scifact_queries() -> list[str]:
    with open(SCIFACT / "queries.jsonl", encoding="utf-8") as f:
        return [json.loads(line)["text"] for line in f if line.strip()]


def build_corpus(size: int, path: Path) -> int:
    """A JSONL corpus of SciFact articles reaching `size` passages, as Citegraph's splitter
    cuts them; past SciFact's own size the articles repeat under new ids (`<id>~r2`, ...).
    Returns the passage count."""
    sys.path.insert(0, str(REPO))
    from citegraph.embedding import Embedder  # the tokenizer only; no model weights load
    from citegraph.text.splitter import Splitter

    splitter = Splitter(token_count=Embedder("fp32").token_count)
    records = scifact_records()
    counts = [len(splitter.split(r["text"])) for r in records]
    total, copy = 0, 1
    with open(path, "w", encoding="utf-8") as out:
        while total < size:
            for record, count in zip(records, counts):
                if total >= size:
                    break
                if count == 0:
                    continue
                rid = record["_id"] if copy == 1 else f"{record['_id']}~r{copy}"
                out.write(json.dumps({"_id": rid, "title": record["title"],
                                      "text": record["text"]}) + "\n")
                total += count
            copy += 1
    return total


def run_timed(argv: list[str], env: dict | None = None, stdout=subprocess.DEVNULL) -> tuple[float, int]:
    """Run a whole process in `env` (default: `clean_env()`); its wall seconds and peak RSS in
    MiB (wait4's ru_maxrss)."""
    start = time.perf_counter()
    proc = subprocess.Popen(argv, env=clean_env() if env is None else env, stdout=stdout,
                            stderr=subprocess.PIPE)
    # read stderr in the background so a chatty child cannot block on a full pipe
    import threading
    err: list[bytes] = []
    reader = threading.Thread(target=lambda: err.append(proc.stderr.read()))
    reader.start()
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - start
    reader.join()
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode != 0:
        sys.exit(f"benchmarks: {' '.join(argv[:3])} failed ({proc.returncode}):"
                 f" {err[0].decode(errors='replace')[-800:] if err else ''}")
    return wall, usage.ru_maxrss // 1024


# Variables that Citegraph's entry point sets for itself or that a benchmark could use to
# tilt either side: thread counts, BLAS and OpenMP settings, our own settings.
_OURS = ("OMP_NUM_THREADS", "OMP_WAIT_POLICY", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS",
         "NUMEXPR_NUM_THREADS", "VECLIB_MAXIMUM_THREADS", "TOKENIZERS_PARALLELISM",
         "HF_HUB_OFFLINE", "TRANSFORMERS_OFFLINE")


def clean_env(**extra: str) -> dict:
    """The environment a user or a peer starts a process in: this one without any thread,
    BLAS or Citegraph variable, plus `extra` (given explicitly, named in the figures). Both
    sides of every ratio run in it: the bare baseline with library defaults, Citegraph as its
    command line sets itself up."""
    env = {k: v for k, v in os.environ.items()
           if k not in _OURS and not k.startswith("CITEGRAPH_")}
    env.update(extra)
    return env


def free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def http_get(url: str, timeout: float = 30.0) -> tuple[int, bytes]:
    import urllib.error
    import urllib.request

    try:
        with urllib.request.urlopen(url, timeout=timeout) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read()


class Server:
    """`citegraph serve` as a child process on a free port, the production path, started as
    a user starts it (`clean_env()`: the server picks its own threads) unless `threads` or
    `env` say otherwise. Records seconds to /healthz answering (`ready_s`) and to the first
    search answered (`first_search_s`: the model and the vector index loaded)."""

    def __init__(self, store: str, threads: int = 0, server_threads: int = 8,
                 env: dict | None = None):
        self.store, self.threads, self.server_threads = store, threads, server_threads
        self.env = env or {}
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"

    def __enter__(self) -> "Server":
        from urllib.parse import quote

        env = clean_env(**self.env)
        if self.threads:
            env["CITEGRAPH_THREADS"] = str(self.threads)
        start = time.perf_counter()
        self.proc = subprocess.Popen(
            [CITEGRAPH, "serve", "--store", self.store, "--port", str(self.port),
             "--threads", str(self.server_threads)],
            env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        while True:
            if self.proc.poll() is not None:
                sys.exit(f"benchmarks: citegraph serve exited: {self.proc.stderr.read().decode()[-800:]}")
            try:
                if http_get(self.url + "/healthz", timeout=2)[0] == 200:
                    break
            except OSError:
                time.sleep(0.1)
        self.ready_s = time.perf_counter() - start
        status, body = http_get(self.url + "/api/search?q=" + quote("warm up the index") + "&k=10",
                                timeout=900)
        if status != 200:
            sys.exit(f"benchmarks: first /api/search answered {status}: {body[:300]!r}")
        self.first_search_s = time.perf_counter() - start
        return self

    def peak_rss_mib(self) -> int:
        for line in open(f"/proc/{self.proc.pid}/status"):
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) // 1024
        return 0

    def __exit__(self, *exc) -> None:
        self.proc.terminate()
        try:
            self.proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
