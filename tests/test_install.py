"""What a newcomer's install needs (issue 27): the default runtime (OpenVINO) builds and runs
the model without torch, whose PyPI wheel brings 2.7 GB of CUDA libraries it loads at import."""
from __future__ import annotations

import json
import subprocess
import sys

import numpy as np
import pytest

from citegraph.embedding import openvino_suits

needs_openvino = pytest.mark.skipif(not openvino_suits(),
                                    reason="OpenVINO is not installed or the CPU does not suit it")

TEXTS = ["Who should own customer analytics?",
         "The contact centre hears customers every day; what it hears is insight. " * 6,
         "客户分析应该由谁负责"]

# A process in which torch, transformers and sentence-transformers cannot be imported, as in
# the demo's install: it builds the OpenVINO model into a fresh cache and encodes TEXTS.
WITHOUT_TORCH = """
import json, sys
for name in ("torch", "transformers", "sentence_transformers"):
    sys.modules[name] = None  # import fails as if not installed
from citegraph.embedding import Embedder
emb = Embedder("fp32", threads=1, backend="openvino", cache_dir=sys.argv[1])
texts = json.loads(sys.stdin.read())
print(json.dumps(emb.encode(texts).tolist()))
print(json.dumps(emb.encode_query(texts[0]).tolist()))
"""


@needs_openvino
def test_the_openvino_model_is_built_without_torch_and_matches_it(tmp_path, embedder):
    proc = subprocess.run([sys.executable, "-c", WITHOUT_TORCH, str(tmp_path)],
                          input=json.dumps(TEXTS), capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stderr
    assert "Warning" not in proc.stderr, proc.stderr  # no tracer or future warnings
    batch, query = (np.array(json.loads(line), dtype=np.float32)
                    for line in proc.stdout.splitlines())
    from citegraph.embedding import Embedder

    reference = Embedder("fp32", threads=1, backend="torch").encode(TEXTS)
    assert np.min(np.sum(batch * reference, axis=1)) > 0.99999
    assert float(query @ reference[0]) > 0.99999


def test_the_torch_backend_without_torch_is_one_line(tmp_path):
    code = ("import sys; sys.modules['torch'] = None\n"
            "from citegraph.cli import main\n"
            "main(['--config', sys.argv[1], 'stats'])")
    config = tmp_path / "c.toml"
    store = tmp_path / "store"
    from citegraph.graph.sqlite_store import SQLiteStore

    SQLiteStore(store).close()
    config.write_text(f'store = "{store}"\nbackend = "torch"\n', encoding="utf-8")
    article = tmp_path / "a.txt"
    article.write_text("A title\n\nSome text about churn.", encoding="utf-8")
    code = code.replace("'stats'", f"'ingest', {str(article)!r}")
    proc = subprocess.run([sys.executable, "-c", code, str(config)], capture_output=True,
                          text=True, timeout=600)
    assert proc.returncode == 2 and "Traceback" not in proc.stderr, proc.stderr
    assert "PyTorch is not installed" in proc.stderr


def test_a_setup_step_says_what_and_how_long(tmp_path):
    from conftest import REPO

    step = REPO / "tools" / "setup" / "step.sh"
    ok = subprocess.run(["bash", str(step), "installing nothing", "sh", "-c", "echo noise"],
                        capture_output=True, text=True, timeout=60)
    assert ok.returncode == 0
    lines = ok.stdout.splitlines()
    assert lines[0] == "setup: installing nothing ..."
    assert lines[1].startswith("setup: installing nothing: done in ") and lines[1].endswith(" s")
    assert "noise" not in ok.stdout + ok.stderr  # a quiet step's output stays aside
    bad = subprocess.run(["bash", str(step), "failing", "sh", "-c", "echo why >&2; exit 3"],
                         capture_output=True, text=True, timeout=60)
    assert bad.returncode == 3
    assert "why" in bad.stderr and "setup: failing: failed after" in bad.stderr
    assert "(exit 3)" in bad.stderr
