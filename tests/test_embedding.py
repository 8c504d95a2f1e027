"""The Embedder: sentence vectors by vectorised segment means equal the per-token loop they
replaced; every backend agrees with plain sentence-transformers fp32 on passage vectors and
sentence spans; a converted model is kept in the cache folder and re-used."""
from __future__ import annotations

import random

import numpy as np
import pytest

from citegraph.embedding import (Embedder, openvino_model, openvino_suits, resolve_backend,
                                 segment_means)
from citegraph.errors import SettingsError
from citegraph.text.splitter import Span, sentence_spans

WORDS = ("the customer analytics team owns CRM data; marketing, sales and support share it "
         "although nobody agrees who pays. Dr. Smith's 3.5% uplift (p<0.05) was measured "
         "in Q3 e.g. across e-mail campaigns — naïve attribution overstates it").split()


def generated_texts(n: int, seed: int = 7) -> list[str]:
    rng = random.Random(seed)
    texts = []
    for _ in range(n):
        sentences = []
        for _ in range(rng.randint(1, 6)):
            words = [rng.choice(WORDS) for _ in range(rng.randint(1, 25))]
            end = rng.choice([".", "?", "!", ".", ""])
            sentences.append(" ".join(words).capitalize() + end)
        texts.append(rng.choice([" ", "  ", "\n", "\n\n"]).join(sentences))
    return texts


def loop_sentence_vectors(tokens, offsets, spans, shift):
    """The per-token loop the Embedder used before (kept here as the reference)."""
    offsets = [(a - shift, b - shift) if a >= shift else (0, 0) for a, b in offsets]
    starts = np.array([s[0] for s in spans])
    sums = np.zeros((len(spans), tokens.shape[1]), dtype=np.float32)
    counts = np.zeros(len(spans), dtype=np.float32)
    for i, (a, b) in enumerate(offsets):
        if b <= a or i >= len(tokens):
            continue
        j = int(np.searchsorted(starts, a, side="right")) - 1
        if j >= 0 and a < spans[j][1]:
            sums[j] += tokens[i]
            counts[j] += 1
    sums /= np.maximum(counts, 1)[:, None]
    sums /= np.maximum(np.linalg.norm(sums, axis=1, keepdims=True), 1e-12)
    return sums


@pytest.mark.parametrize("prefix", ["", "A title of the article\n"])
def test_segment_means_equal_the_per_token_loop(embedder, prefix):
    rng = np.random.default_rng(3)
    for text in generated_texts(300):
        spans = [(s.start, s.end) for s in (sentence_spans(text) or [Span(0, len(text))])]
        encoding = embedder.model_tokenizer.encode(prefix + text)
        tokens = rng.standard_normal((len(encoding.ids), 384)).astype(np.float32)
        want = loop_sentence_vectors(tokens, encoding.offsets, spans, len(prefix))
        got = segment_means(tokens, np.asarray(encoding.offsets), spans, len(prefix))
        np.testing.assert_allclose(got, want, atol=1e-6)


def test_segment_means_edge_cases():
    tokens = np.eye(4, dtype=np.float32)
    # [CLS] tok tok [SEP]; the second span has no token, the third starts after the text
    offsets = np.array([(0, 0), (0, 3), (4, 7), (0, 0)])
    got = segment_means(tokens, offsets, [(0, 3), (3, 4), (4, 9), (20, 30)])
    np.testing.assert_allclose(got[0], tokens[1])
    np.testing.assert_allclose(got[1], 0)
    np.testing.assert_allclose(got[2], tokens[2])
    np.testing.assert_allclose(got[3], 0)
    assert segment_means(tokens[:0], offsets[:0], [(0, 3)]).shape == (1, 4)


def test_one_tokenisation_matches_sentence_transformers(embedder):
    """The tokenizer the Embedder feeds the model cuts and numbers tokens exactly as
    sentence-transformers' own does (max_seq_length 256)."""
    from sentence_transformers import SentenceTransformer

    from citegraph.embedding import model_dir

    st = SentenceTransformer(str(model_dir()), device="cpu", local_files_only=True)
    st.max_seq_length = 256
    texts = generated_texts(50) + [" ".join(WORDS * 12)]  # the last is over 256 tokens
    theirs = st.tokenize(texts)
    for i, encoding in enumerate(embedder.model_tokenizer.encode_batch(texts)):
        n = int(theirs["attention_mask"][i].sum())
        assert encoding.ids == theirs["input_ids"][i][:n].tolist()


@pytest.fixture(scope="module")
def reference():
    """Plain sentence-transformers, PyTorch fp32, as peers run it."""
    from sentence_transformers import SentenceTransformer

    from citegraph.embedding import model_dir

    st = SentenceTransformer(str(model_dir()), device="cpu", local_files_only=True)
    st.max_seq_length = 256
    return st


def _backends():
    out = [("torch", "fp32"), ("torch", "auto")]
    if openvino_suits():
        out += [("openvino", "fp32"), ("openvino", "auto")]
    return out


@pytest.mark.parametrize("backend,precision", _backends())
def test_backends_agree_with_fp32_torch(reference, tmp_path_factory, backend, precision):
    cache = tmp_path_factory.getbasetemp() / "model-cache"
    texts = generated_texts(40, seed=11)
    emb = Embedder(precision, threads=1, backend=backend, cache_dir=cache)
    want = reference.encode(texts, normalize_embeddings=True, convert_to_numpy=True)
    got, sentences = emb.encode_passages(texts)
    cosine = np.sum(got * want, axis=1)
    floor = 0.99999 if emb.precision == "fp32" else 0.999
    assert cosine.min() >= floor, (backend, emb.precision, cosine.min())
    np.testing.assert_allclose(np.linalg.norm(got, axis=1), 1, atol=1e-5)
    query = emb.encode_query(texts[0])
    assert float(query @ want[0]) >= floor
    # sentence spans and vectors: same spans as the splitter's, unit rows, and each row the
    # mean of the reference model's own token embeddings over that sentence
    ref_tokens = reference.encode(texts, output_value="token_embeddings", convert_to_numpy=False)
    for text, sv, tokens in zip(texts, sentences, ref_tokens):
        spans = [(s.start, s.end) for s in (sentence_spans(text) or [Span(0, len(text))])]
        assert sv.spans == spans
        offsets = np.asarray(emb.model_tokenizer.encode(text).offsets)
        ref = segment_means(tokens.float().numpy(), offsets, spans)
        live = np.linalg.norm(ref, axis=1) > 0
        agree = np.sum(ref[live] * sv.vectors[live].astype(np.float32), axis=1)
        assert agree.min() >= (0.999 if emb.precision == "fp32" else 0.995), agree.min()


@pytest.mark.skipif(not openvino_suits(), reason="OpenVINO is not installed or the CPU does not suit it")
def test_converted_model_is_cached_once_and_reused(tmp_path):
    first = openvino_model(tmp_path)
    stamp = first.stat().st_mtime_ns
    entries = sorted(p.name for p in tmp_path.iterdir())
    assert entries == [first.parent.name]  # no temporary folder left behind
    again = openvino_model(tmp_path)
    assert again == first and again.stat().st_mtime_ns == stamp
    # two embedders (two stores) share the one converted model
    a = Embedder("fp32", threads=1, backend="openvino", cache_dir=tmp_path)
    b = Embedder("fp32", threads=1, backend="openvino", cache_dir=tmp_path)
    np.testing.assert_allclose(a.encode(["one cache"]), b.encode(["one cache"]), atol=1e-6)
    assert sorted(p.name for p in tmp_path.iterdir()) == entries


def test_backend_names():
    assert resolve_backend("torch") == "torch"
    assert resolve_backend("auto") in ("torch", "openvino")
    with pytest.raises(SettingsError):
        resolve_backend("tensorflow")


@pytest.mark.skipif(not openvino_suits(), reason="OpenVINO is not installed or the CPU does not suit it")
def test_query_compilation_agrees_with_batches_from_many_threads(tmp_path_factory):
    """Queries run on a compilation of their own (one stream over the cores); from several
    server threads at once they give the vectors the batch path gives."""
    from concurrent.futures import ThreadPoolExecutor

    emb = Embedder("auto", backend="openvino", cache_dir=tmp_path_factory.getbasetemp() / "model-cache")
    texts = generated_texts(24, seed=3)
    want = emb.encode(texts)
    with ThreadPoolExecutor(4) as pool:
        got = np.stack(list(pool.map(emb.encode_query, texts * 2)))
    assert emb.runner.query_compiled is not emb.runner.compiled
    floor = 0.99999 if emb.precision == "fp32" else 0.999
    assert np.sum(got * np.concatenate([want, want]), axis=1).min() >= floor


def test_entry_points_keep_numpy_blas_on_one_thread():
    """numpy's OpenBLAS workers spin after each product; in a server answering every few
    milliseconds one never slept and took a core from the model. prepare_process() keeps
    that BLAS to one thread (the process's own choice wins if it set one)."""
    import subprocess
    import sys

    code = ("from citegraph.settings import prepare_process; prepare_process()\n"
            "import numpy, threadpoolctl\n"
            "print(max(i['num_threads'] for i in threadpoolctl.threadpool_info()"
            " if i['internal_api'] == 'openblas'))")
    import os

    env = {k: v for k, v in os.environ.items() if k != "OPENBLAS_NUM_THREADS"}
    run = lambda env: subprocess.run([sys.executable, "-c", code], env=env, text=True,  # noqa: E731
                                     capture_output=True, check=True).stdout.strip()
    assert run(env) == "1"
    if (os.cpu_count() or 1) > 1:
        assert run({**env, "OPENBLAS_NUM_THREADS": "2"}) == "2"
