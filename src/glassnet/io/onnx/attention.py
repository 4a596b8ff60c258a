"""Converters of the attention family, built from MatMul, Softmax, Reshape and Transpose:
``MultiHeadAttention`` (self-attention, both conventions' weight layouts), ``PositionalEncoding``,
``PositionEmbedding``, ``TransformerEncoderLayer`` (post- and pre-norm) and ``TransformerEncoder``.

Attention of one head: softmax(Q Kᵀ/√d_k + M) V, with M = -inf above the diagonal for a causal model
(``causal_mask``) and 0 elsewhere; heads are split by Reshape (N, L, h, d) + Transpose (N, h, L, d).
Dropout is the identity (evaluation).
"""

from __future__ import annotations

import math

import numpy as np

from glassnet import nn
from glassnet.io.onnx.graph import Value, convert, converts
from glassnet.io.onnx.layers import activate

__all__ = ["self_attention", "causal_mask", "add_positions"]


def _linear(b, x: str, weight, bias, hint: str) -> str:
    y = b.op("MatMul", [x, b.weight(weight, f"{hint}_weight")], hint)
    return y if bias is None else b.op("Add", [y, b.weight(bias, f"{hint}_bias")], hint)


def _data(value):
    return None if value is None else np.asarray(getattr(value, "data", value))


def causal_mask(b, length: int, x: Value) -> str:
    """The additive mask (L, L) of a causal model, sliced to x's length at run time: 0 where query i may
    see key j <= i, -inf above the diagonal."""
    table = np.triu(np.full((length, length), -np.inf, dtype=np.float32), k=1)
    steps = b.op("Shape", [x.name], "length", start=1, end=2)
    zero = b.ints([0, 0], "starts")
    ends = b.op("Concat", [steps, steps], "ends", axis=0)
    return b.op("Slice", [b.weight(table, "causal_mask"), zero, ends, b.ints([0, 1], "axes")], "mask")


def self_attention(b, layer, x: Value, mask: str | None = None) -> Value:
    """``layer(x)`` (query = key = value = x), with an additive ``mask`` (L, L) or none."""
    heads = layer.num_heads
    parts = []
    for part in ("query", "key", "value"):
        weight, bias = layer._projection(part)
        projected = _linear(b, x.name, _data(weight), _data(bias), part)
        split = b.op("Reshape", [projected, b.ints([0, 0, heads, -1])], f"{part}_heads")
        parts.append(b.op("Transpose", [split], f"{part}_heads", perm=[0, 2, 1, 3]))
    q, k, v = parts
    depth = _data(layer._projection("query")[0]).shape[1] // heads
    scores = b.op("MatMul", [q, b.op("Transpose", [k], "key_t", perm=[0, 1, 3, 2])], "scores")
    scores = b.op("Mul", [scores, b.weight(np.float32(1 / math.sqrt(depth)), "scale")], "scores")
    if mask is not None:
        scores = b.op("Add", [scores, mask], "masked_scores")
    weights = b.op("Softmax", [scores], "weights", axis=-1)
    out = b.op("Transpose", [b.op("MatMul", [weights, v], "heads_out")], "joined", perm=[0, 2, 1, 3])
    joined = b.op("Reshape", [out, b.ints([0, 0, -1])], "joined")
    weight, bias = layer._output_projection()
    y = _linear(b, joined, _data(weight), _data(bias), "output")
    return Value(y, x.shape[:-1] + (_data(weight).shape[1],))


@converts(nn.MultiHeadAttention)
def multi_head_attention(b, layer, x):
    """Self-attention, as a single-input container calls the layer."""
    return self_attention(b, layer, x)


def add_positions(b, table, x: Value) -> Value:
    """x + the table's first L rows, L read from x at run time."""
    steps = b.op("Shape", [x.name], "length", start=1, end=2)
    starts, axes = b.ints([0], "starts"), b.ints([0], "axes")
    rows = b.op("Slice", [b.weight(table, "table"), starts, steps, axes], "rows")
    return Value(b.op("Add", [x.name, rows], "positioned"), x.shape)


@converts(nn.PositionalEncoding)
def positional_encoding(b, layer, x):
    return add_positions(b, layer.table, x)


@converts(nn.PositionEmbedding)
def position_embedding(b, layer, x):
    return add_positions(b, layer.weight, x)


def encoder_layer(b, layer, x: Value, mask: str | None = None) -> Value:
    """x + SA(LN(x)) then + FF(LN(.)) (pre-norm), or LN(x + SA(x)) then LN(. + FF(.)) (post-norm)."""

    def sublayer(h: Value, k: int, function) -> Value:
        norm = getattr(layer, layer.norms[k])
        if layer.norm_first:
            return Value(b.op("Add", [h.name, function(convert(b, norm, h)).name], "residual"), h.shape)
        return convert(b, norm, Value(b.op("Add", [h.name, function(h).name], "residual"), h.shape))

    def feed_forward(h: Value) -> Value:
        return convert(b, layer.linear2, activate(b, layer.activation, convert(b, layer.linear1, h)))

    h = sublayer(x, 0, lambda h: self_attention(b, layer.self_attn, h, mask))
    return sublayer(h, 1, feed_forward)


converts(nn.TransformerEncoderLayer)(lambda b, layer, x: encoder_layer(b, layer, x))


@converts(nn.TransformerEncoder)
def transformer_encoder(b, layer, x):
    for block in layer.layers:
        x = encoder_layer(b, block, x)
    return x if layer.norm is None else convert(b, layer.norm, x)
