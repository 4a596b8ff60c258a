"""Converters of the attention family, built from MatMul, Softmax, Reshape and Transpose:
``MultiHeadAttention`` (self-attention, both conventions' weight layouts), ``PositionalEncoding``,
``PositionEmbedding``, ``TransformerEncoderLayer`` (post- and pre-norm), ``TransformerEncoder``, and
``TransformerDecoderLayer`` / ``TransformerDecoder`` on two inputs [target, memory] (cross-attention: the
keys and values projected from memory; tgt_is_causal as a Trilu mask of the run-time length, fixed
tgt_mask / memory_mask as constants; key padding masks, which differ per example, are refused).

Attention of one head: softmax(Q Kᵀ/√d_k + M) V, with M = -inf above the diagonal for a causal model
(``causal_mask``) and 0 elsewhere; heads are split by Reshape (N, L, h, d) + Transpose (N, h, L, d).
Dropout is the identity (evaluation).
"""

from __future__ import annotations

import math

import numpy as np

from glassnet import nn
from glassnet.io.onnx.graph import NotExportable, Value, convert, converts, describe
from glassnet.io.onnx.layers import activate

__all__ = ["self_attention", "causal_mask", "triangle_mask", "add_positions", "decoder_layer"]


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


def self_attention(b, layer, x: Value, mask: str | None = None, memory: Value | None = None) -> Value:
    """``layer(x)`` (query = key = value = x), or ``layer(x, memory, memory)`` (cross-attention), with an
    additive ``mask`` (L, S) or none."""
    heads = layer.num_heads
    parts = []
    for part in ("query", "key", "value"):
        weight, bias = layer._projection(part)
        source = x if part == "query" or memory is None else memory
        projected = _linear(b, source.name, _data(weight), _data(bias), part)
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


def triangle_mask(b, x: Value) -> str:
    """The causal mask (L, L) for any length L read from x at run time: -inf above the diagonal (Trilu)."""
    steps = b.op("Shape", [x.name], "length", start=1, end=2)
    square = b.op("Concat", [steps, steps], "square", axis=0)
    fill = b.helper.make_tensor("minus_inf", 1, [1], [-np.inf])
    full = b.op("ConstantOfShape", [square], "minus_inf", value=fill)
    return b.op("Trilu", [full, b.ints(1, "k")], "causal_mask", upper=1)


def constant_mask(b, layer, attention, mask, what: str) -> str | None:
    """A fixed attn_mask (L, S) as an additive constant: booleans in the attention's polarity, or floats
    added to the scores (PyTorch's convention)."""
    if mask is None:
        return None
    data = _data(mask)
    if data.ndim != 2:
        raise NotExportable(
            f"cannot export {describe(layer)} with {what} of shape {data.shape}: only a fixed (L, S) mask is "
            "a constant of the graph (a per-example one would be an input)"
        )
    if data.dtype == bool or attention.convention == "keras":
        blocked = data if attention.convention == "pytorch" else data == 0
        data = np.where(blocked, -np.inf, 0.0)
    return b.weight(data.astype(np.float32), what)


def _sum_masks(b, masks: list) -> str | None:
    masks = [m for m in masks if m is not None]
    if not masks:
        return None
    return masks[0] if len(masks) == 1 else b.op("Add", masks, "mask")


DECODER_OPTIONS = ("tgt_mask", "memory_mask", "tgt_is_causal")


def decoder_layer(b, layer, x: Value, memory: Value, options: dict) -> Value:
    """Masked self-attention, cross-attention to ``memory``, feed-forward, each a residual sublayer with
    its norm (pre- or post-norm); ``options``: tgt_mask, memory_mask (fixed (L, S) masks), tgt_is_causal."""
    unknown = sorted(set(options) - set(DECODER_OPTIONS))
    if unknown:
        raise NotExportable(
            f"cannot export {describe(layer)} called with {unknown}: a key padding mask differs per example, "
            "which the graph would need as an input; the export passes tgt_mask, memory_mask, tgt_is_causal"
        )
    self_mask = _sum_masks(b, [
        triangle_mask(b, x) if options.get("tgt_is_causal") else None,
        constant_mask(b, layer, layer.self_attn, options.get("tgt_mask"), "tgt_mask"),
    ])  # fmt: skip
    cross_mask = constant_mask(b, layer, layer.multihead_attn, options.get("memory_mask"), "memory_mask")
    h = _sublayer(b, layer, x, 0, lambda h: self_attention(b, layer.self_attn, h, self_mask))
    h = _sublayer(b, layer, h, 1, lambda h: self_attention(b, layer.multihead_attn, h, cross_mask, memory))
    return _sublayer(b, layer, h, 2, lambda h: _feed_forward(b, layer, h))


@converts(nn.TransformerDecoderLayer)
def transformer_decoder_layer(b, layer, inputs, **options):
    """``layer([x, memory])``: two inputs (a functional Model's list, or the exported layer's own)."""
    x, memory = _two(layer, inputs)
    return decoder_layer(b, layer, x, memory, options)


@converts(nn.TransformerDecoder)
def transformer_decoder(b, layer, inputs, **options):
    x, memory = _two(layer, inputs)
    for block in layer.layers:
        x = decoder_layer(b, block, x, memory, options)
    return x if layer.norm is None else convert(b, layer.norm, x)


transformer_decoder_layer.options = transformer_decoder.options = DECODER_OPTIONS + (
    "tgt_key_padding_mask", "memory_key_padding_mask")  # refused by name, with the reason


def _two(layer, inputs) -> tuple:
    if not isinstance(inputs, list) or len(inputs) != 2:
        raise NotExportable(f"cannot export {describe(layer)} on one input: it takes [target, memory]")
    return inputs[0], inputs[1]


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


def _sublayer(b, layer, h: Value, k: int, function) -> Value:
    """h + F(LN_k(h)) (pre-norm) or LN_k(h + F(h)) (post-norm)."""
    norm = getattr(layer, layer.norms[k])
    if layer.norm_first:
        return Value(b.op("Add", [h.name, function(convert(b, norm, h)).name], "residual"), h.shape)
    return convert(b, norm, Value(b.op("Add", [h.name, function(h).name], "residual"), h.shape))


def _feed_forward(b, layer, h: Value) -> Value:
    return convert(b, layer.linear2, activate(b, layer.activation, convert(b, layer.linear1, h)))


def encoder_layer(b, layer, x: Value, mask: str | None = None) -> Value:
    """x + SA(LN(x)) then + FF(LN(.)) (pre-norm), or LN(x + SA(x)) then LN(. + FF(.)) (post-norm)."""
    h = _sublayer(b, layer, x, 0, lambda h: self_attention(b, layer.self_attn, h, mask))
    return _sublayer(b, layer, h, 1, lambda h: _feed_forward(b, layer, h))


converts(nn.TransformerEncoderLayer)(lambda b, layer, x: encoder_layer(b, layer, x))


@converts(nn.TransformerEncoder)
def transformer_encoder(b, layer, x):
    for block in layer.layers:
        x = encoder_layer(b, block, x)
    return x if layer.norm is None else convert(b, layer.norm, x)
