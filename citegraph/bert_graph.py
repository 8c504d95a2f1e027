"""The packaged BERT encoder (all-MiniLM-L6-v2) as an OpenVINO model, built from its
safetensors weights and config.json with OpenVINO's own graph operations.

Why not OpenVINO's PyTorch frontend: it needs torch to trace the model, and PyPI's torch
wheel for Linux is the CUDA build (2.7 GB of NVIDIA libraries it loads at import), which
the OpenVINO runtime never uses. Built this way, the default runtime installs without torch
(the `torch` backend and the tests still use sentence-transformers). The graph is BERT's
encoder as transformers computes it in eval mode: embeddings (word, position, token type)
and LayerNorm, then per layer self-attention with the padding mask, residual and LayerNorm,
the erf GELU feed-forward, residual and LayerNorm; the output is the last hidden state
(token embeddings, B x L x hidden), which the Embedder pools. tests/test_embedding.py
checks it against sentence-transformers' own vectors."""
from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np


def build_model(model_dir: Path):
    """An `openvino.Model` with inputs input_ids, attention_mask, token_type_ids (int64,
    dynamic B x L) and one output, the token embeddings (float32)."""
    import openvino as ov
    import openvino.opset13 as op
    from safetensors.numpy import load_file

    config = json.loads((Path(model_dir) / "config.json").read_text(encoding="utf-8"))
    if config.get("model_type") != "bert" or config.get("hidden_act") != "gelu" \
            or config.get("position_embedding_type", "absolute") != "absolute":
        raise RuntimeError(f"{model_dir}: not a BERT encoder this builder knows")
    weights = load_file(str(Path(model_dir) / "model.safetensors"))
    hidden, heads = config["hidden_size"], config["num_attention_heads"]
    head_size, eps = hidden // heads, config["layer_norm_eps"]

    def const(name: str):
        return op.constant(np.ascontiguousarray(weights[name], dtype=np.float32))

    def linear(x, name: str):  # x @ W.T + b, as torch.nn.Linear
        return op.add(op.matmul(x, const(f"{name}.weight"), False, True), const(f"{name}.bias"))

    def layer_norm(x, name: str):
        normed = op.mvn(x, op.constant(np.array([-1], dtype=np.int64)), True, eps, "inside_sqrt")
        return op.add(op.multiply(normed, const(f"{name}.weight")), const(f"{name}.bias"))

    ids = op.parameter([-1, -1], ov.Type.i64, name="input_ids")
    mask = op.parameter([-1, -1], ov.Type.i64, name="attention_mask")
    types = op.parameter([-1, -1], ov.Type.i64, name="token_type_ids")
    for port, name in ((ids, "input_ids"), (mask, "attention_mask"),
                       (types, "token_type_ids")):
        port.output(0).get_tensor().set_names({name})

    axis0 = op.constant(np.int64(0))
    length = op.gather(op.shape_of(ids), op.constant(np.int64(1)), axis0)
    positions = op.range(op.constant(np.int64(0)), length, op.constant(np.int64(1)),
                         ov.Type.i64)
    x = op.add(op.add(op.gather(const("embeddings.word_embeddings.weight"), ids, axis0),
                      op.gather(const("embeddings.token_type_embeddings.weight"), types, axis0)),
               op.unsqueeze(op.gather(const("embeddings.position_embeddings.weight"),
                                      positions, axis0), axis0))
    x = layer_norm(x, "embeddings.LayerNorm")

    # padding: a large negative score added before the softmax (B x 1 x 1 x L)
    keep = op.convert(op.unsqueeze(mask, op.constant(np.array([1, 2], dtype=np.int64))),
                      ov.Type.f32)
    bias = op.multiply(op.subtract(op.constant(np.float32(1.0)), keep),
                       op.constant(np.float32(np.finfo(np.float32).min)))
    split = op.constant(np.array([0, 0, heads, head_size], dtype=np.int64))
    merge = op.constant(np.array([0, 0, hidden], dtype=np.int64))
    to_heads = op.constant(np.array([0, 2, 1, 3], dtype=np.int64))
    scale = op.constant(np.float32(1.0 / math.sqrt(head_size)))

    def heads_of(t):
        return op.transpose(op.reshape(t, split, True), to_heads)

    for n in range(config["num_hidden_layers"]):
        prefix = f"encoder.layer.{n}"
        q = heads_of(linear(x, f"{prefix}.attention.self.query"))
        k = heads_of(linear(x, f"{prefix}.attention.self.key"))
        v = heads_of(linear(x, f"{prefix}.attention.self.value"))
        scores = op.add(op.multiply(op.matmul(q, k, False, True), scale), bias)
        context = op.matmul(op.softmax(scores, -1), v, False, False)
        context = op.reshape(op.transpose(context, to_heads), merge, True)
        x = layer_norm(op.add(linear(context, f"{prefix}.attention.output.dense"), x),
                       f"{prefix}.attention.output.LayerNorm")
        inner = op.gelu(linear(x, f"{prefix}.intermediate.dense"), "erf")
        x = layer_norm(op.add(linear(inner, f"{prefix}.output.dense"), x),
                       f"{prefix}.output.LayerNorm")
    x.output(0).get_tensor().set_names({"last_hidden_state"})
    return ov.Model([x], [ids, mask, types], "bert-encoder")
