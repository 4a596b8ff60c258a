"""Where each layer's parameters and buffers go in PyTorch's state dict and in Keras's ``get_weights()``.

One row per layer family (``LAYOUTS``): the PyTorch module and the Keras layer that hold the same weights,
and for each a function of the built layer giving its ``Slot`` s: which foreign arrays (PyTorch's
state-dict names, Keras's weights in ``get_weights()`` order) are made from which glassnet arrays, and how
(a transpose, a reordering of the gate blocks, a sum of two biases). ``glassnet.io.weights`` walks a model
through this table; a row reads the layer's options (``convention``, ``use_bias``, a GRU without
``recurrent_bias``), so a new option changes the slots in one place.

``layout_table()`` renders the table as Markdown (the README's "Weights in and out" shows it).

Both conventions of a recurrent layer or of ``MultiHeadAttention`` move either way: a Keras-convention
LSTM writes PyTorch's bias_hh as zeros (and reads b_ih + b_hh back), a PyTorch-convention GRU reorders its
gate blocks for Keras, a PyTorch-convention attention splits in_proj_weight into Keras's per-head kernels.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from glassnet import nn
from glassnet.nn.layers import (
    attention,
    conv,
    conv_transpose,
    dense,
    embedding,
    graph,
    normalization,
    recurrent,
    transformer,
    wrappers,
)

__all__ = ["Slot", "Row", "LAYOUTS", "FOREIGN", "row_for", "attribute", "layout_table"]

FOREIGN = ("pytorch", "keras")


@dataclass(frozen=True)
class Slot:
    """Foreign arrays ``theirs`` (names relative to the layer) made from glassnet arrays ``ours`` (names of
    the layer's parameters and buffers): ``out(*ours) -> tuple of theirs``, ``back(*theirs) -> tuple of
    ours``."""

    theirs: tuple
    ours: tuple
    out: Callable
    back: Callable


@dataclass(frozen=True)
class Row:
    """A layer family: its PyTorch and Keras counterparts (for the documentation) and the functions of a
    built layer that give its slots in each layout (None: no counterpart, glassnet's own arrays go by their
    names); ``claims``: the children whose arrays the slots already cover."""

    torch_name: str
    keras_name: str
    pytorch: Callable | None = None
    keras: Callable | None = None
    claims: tuple = ()


def same(theirs: str, ours: str) -> Slot:
    """The array as it is, under another name."""
    return Slot((theirs,), (ours,), lambda a: (a,), lambda v: (v,))


def moved(theirs: str, ours: str, axes: tuple) -> Slot:
    """The array with its axes permuted (``axes`` as for ``np.transpose``)."""
    inverse = tuple(int(i) for i in np.argsort(axes))
    return Slot((theirs,), (ours,), lambda a: (a.transpose(axes),), lambda v: (v.transpose(inverse),))


def attribute(module, dotted: str):
    """``module``'s array at the dotted path ("forward_layer.kernel"), or None."""
    for part in dotted.split("."):
        children = getattr(module, "_modules", {})
        module = children[part] if part in children else getattr(module, part, None)  # ModuleList's "0"
    return module


def _present(layer, slots: list) -> list:
    """The slots whose glassnet arrays the layer has (no bias slot without a bias)."""
    return [s for s in slots if all(attribute(layer, name) is not None for name in s.ours)]


# --- dense, convolutions, normalization, embeddings ---
def _dense_torch(layer):
    return _present(layer, [moved("weight", "weight", (1, 0)), same("bias", "bias")])


def _dense_keras(layer):
    return _present(layer, [same("kernel", "weight"), same("bias", "bias")])


def _conv_torch(layer):
    return _present(layer, [same("weight", "weight"), same("bias", "bias")])


def _conv_keras(layer):
    """glassnet keeps PyTorch's kernel (out, in, k...) [(in, out, k...) transposed]; Keras (k..., in, out)
    [(k..., out, in) transposed], so both move their two channel axes behind the spatial ones."""
    rank = layer.weight.ndim - 2
    axes = tuple(range(2, 2 + rank)) + (1, 0)
    return _present(layer, [moved("kernel", "weight", axes), same("bias", "bias")])


def _batch_norm_torch(layer):
    """PyTorch's num_batches_tracked goes out as 0 and is not read back: glassnet does not count batches
    (it matters to PyTorch only with momentum=None, its cumulative average)."""
    counter = Slot(("num_batches_tracked",), (), lambda: (np.zeros((), np.int64),), lambda v: ())
    names = {"weight": "gamma", "bias": "beta", "running_mean": "running_mean", "running_var": "running_var"}
    return [same(theirs, ours) for theirs, ours in names.items()] + [counter]


def _batch_norm_keras(layer):
    names = {"gamma": "gamma", "beta": "beta", "moving_mean": "running_mean"}
    return [same(theirs, ours) for theirs, ours in names.items()] + [same("moving_variance", "running_var")]


def _layer_norm(weight: str, bias: str):
    return lambda layer: _present(layer, [same(weight, "gamma"), same(bias, "beta")])


# --- recurrent layers ---
def _blocks(array, order: tuple, axis: int = -1):
    """The gate blocks of ``array`` along ``axis`` in the order ``order`` (indices of the blocks)."""
    parts = np.split(array, len(order), axis=axis)
    return np.concatenate([parts[k] for k in order], axis=axis)


def _gate_order(layer, target: str) -> tuple:
    """Which of the layer's gate blocks comes k-th in ``target``'s order: only a GRU differs (r, z, n in
    PyTorch against z, r, h in Keras; LSTM's i, f, g, o is Keras's i, f, c, o)."""
    if isinstance(layer, recurrent.GRU) and layer.convention != target:
        return (1, 0, 2)
    return tuple(range(layer.gates))


def _recurrent_torch(layer, suffix: str = "_l0"):
    if isinstance(layer, recurrent.GRU) and not getattr(layer, "reset_after", True):
        raise ValueError(
            f"GRU '{layer.name}' has reset_after=False (the reset gate applied before the recurrent "
            "product), which torch.nn.GRU does not compute; move it with get_weights() (Keras) or "
            "layout='glassnet'"
        )
    order = _gate_order(layer, "pytorch")

    def kernel(theirs, ours):
        return Slot(
            (theirs + suffix,), (ours,), lambda a: (_blocks(a, order).T,), lambda v: (_blocks(v.T, order),)
        )

    slots = [kernel("weight_ih", "kernel"), kernel("weight_hh", "recurrent_kernel")]
    if not layer.use_bias:
        return slots
    names = ("bias_ih" + suffix, "bias_hh" + suffix)
    if getattr(layer, "recurrent_bias", None) is not None:
        slots.append(Slot(names, ("bias", "recurrent_bias"),
                          lambda b, r: (_blocks(b, order), _blocks(r, order)),
                          lambda b, r: (_blocks(b, order), _blocks(r, order))))  # fmt: skip
    else:  # one bias (Keras's LSTM and SimpleRNN): b_hh = 0 going out, b_ih + b_hh coming in
        slots.append(Slot(names, ("bias",), lambda b: (_blocks(b, order), np.zeros_like(b)),
                          lambda b, r: (_blocks(b + r, order),)))  # fmt: skip
    return slots


def _gated(theirs: str, ours: str, order: tuple) -> Slot:
    """The array with its gate blocks (last axis) in ``order``; ``order`` is its own inverse (a swap)."""
    return Slot((theirs,), (ours,), lambda a: (_blocks(a, order),), lambda v: (_blocks(v, order),))


def _recurrent_keras(layer):
    order = _gate_order(layer, "keras")
    slots = [_gated("kernel", "kernel", order), _gated("recurrent_kernel", "recurrent_kernel", order)]
    if not layer.use_bias:
        return slots
    two = getattr(layer, "recurrent_bias", None) is not None
    reset_after = getattr(layer, "reset_after", True)
    if isinstance(layer, recurrent.GRU) and two and reset_after:  # Keras's bias (2, 3·units)
        slots.append(Slot(("bias",), ("bias", "recurrent_bias"),
                          lambda b, r: (np.stack([_blocks(b, order), _blocks(r, order)]),),
                          lambda v: (_blocks(v[0], order), _blocks(v[1], order))))  # fmt: skip
    elif two:  # PyTorch's SimpleRNN/LSTM (a GRU with reset_after=False): b_ih + b_hh, Keras keeps the sum
        slots.append(Slot(("bias",), ("bias", "recurrent_bias"), lambda b, r: (_blocks(b + r, order),),
                          lambda v: (_blocks(v, order), np.zeros_like(v))))  # fmt: skip
    else:
        slots.append(_gated("bias", "bias", order))
    return slots


def _prefixed(slot: Slot, theirs: str, ours: str, suffix: str = "") -> Slot:
    return Slot(tuple(theirs + t + suffix for t in slot.theirs), tuple(ours + o for o in slot.ours),
                slot.out, slot.back)  # fmt: skip


def _bidirectional_torch(layer):
    return [_prefixed(s, "", "forward_layer.") for s in _recurrent_torch(layer.forward_layer)] + [
        _prefixed(s, "", "backward_layer.") for s in _recurrent_torch(layer.backward_layer, "_l0_reverse")
    ]


def _bidirectional_keras(layer):
    return [
        _prefixed(s, "forward_layer/", "forward_layer.") for s in _recurrent_keras(layer.forward_layer)
    ] + [_prefixed(s, "backward_layer/", "backward_layer.") for s in _recurrent_keras(layer.backward_layer)]


# --- attention ---
def _attention_torch(layer):
    if layer.convention == "pytorch":
        return _present(
            layer,
            [
                same("in_proj_weight", "in_proj_weight"),
                same("in_proj_bias", "in_proj_bias"),
                same("out_proj.weight", "out_proj_weight"),
                same("out_proj.bias", "out_proj_bias"),
            ],
        )
    dim, heads = layer.output_kernel.shape[-1], layer.num_heads
    shapes = {layer.query_kernel.shape, layer.key_kernel.shape, layer.value_kernel.shape}
    if shapes != {(dim, heads, dim // heads)}:
        raise ValueError(
            f"MultiHeadAttention '{layer.name}' (convention 'keras') has heads of key_dim {layer.key_dim}, "
            f"value_dim {layer.value_dim} over inputs of {sorted(s[0] for s in shapes)} features: PyTorch's "
            f"nn.MultiheadAttention needs key_dim = value_dim = embed_dim / num_heads = {dim // heads} and "
            "one input size; build it with those, or save with layout='glassnet'"
        )
    width = dim // heads
    slots = [
        Slot(
            ("in_proj_weight",),
            ("query_kernel", "key_kernel", "value_kernel"),
            lambda q, k, v: (np.concatenate([w.reshape(dim, dim).T for w in (q, k, v)]),),
            lambda w: tuple(part.T.reshape(dim, heads, width) for part in np.split(w, 3)),
        ),
        Slot(
            ("out_proj.weight",),
            ("output_kernel",),
            lambda w: (w.reshape(dim, dim).T,),
            lambda v: (v.T.reshape(heads, width, dim),),
        ),
    ]
    if layer.use_bias:
        slots += [
            Slot(
                ("in_proj_bias",),
                ("query_bias", "key_bias", "value_bias"),
                lambda q, k, v: (np.concatenate([b.reshape(dim) for b in (q, k, v)]),),
                lambda b: tuple(part.reshape(heads, width) for part in np.split(b, 3)),
            ),
            same("out_proj.bias", "output_bias"),
        ]
    return slots


def _attention_keras_of_torch(layer, dim: int, heads: int) -> list:
    """Keras's slots of a PyTorch-convention attention: in_proj_weight's three (E, E) blocks, transposed, as
    (E, heads, E/heads) kernels (in_proj_bias's as (heads, E/heads)); out_proj_weight (E, E) transposed as
    (heads, E/heads, E)."""
    width, parts = dim // heads, ("query", "key", "value")
    if layer.use_bias:

        def out(w, b):
            return tuple(
                a
                for k, v in zip(np.split(w, 3), np.split(b, 3))
                for a in (k.T.reshape(dim, heads, width), v.reshape(heads, width))
            )

        def back(*arrays):
            kernels, biases = arrays[0::2], arrays[1::2]
            return (
                np.concatenate([k.reshape(dim, dim).T for k in kernels]),
                np.concatenate([b.reshape(dim) for b in biases]),
            )

        names = tuple(f"{p}/{kind}" for p in parts for kind in ("kernel", "bias"))
        slots = [Slot(names, ("in_proj_weight", "in_proj_bias"), out, back)]
    else:
        slots = [
            Slot(
                tuple(f"{p}/kernel" for p in parts),
                ("in_proj_weight",),
                lambda w: tuple(k.T.reshape(dim, heads, width) for k in np.split(w, 3)),
                lambda *ks: (np.concatenate([k.reshape(dim, dim).T for k in ks]),),
            )
        ]
    slots.append(
        Slot(
            ("attention_output/kernel",),
            ("out_proj_weight",),
            lambda w: (w.T.reshape(heads, width, dim),),
            lambda v: (v.reshape(dim, dim).T,),
        )
    )
    if layer.use_bias:
        slots.append(same("attention_output/bias", "out_proj_bias"))
    return slots  # fmt: skip


def _attention_keras(layer):
    if layer.convention == "keras":
        keras_part = {"query": "query", "key": "key", "value": "value", "output": "attention_output"}
        return _present(layer, [same(f"{keras_part[part]}/{kind}", f"{part}_{kind}")
                                for part in keras_part for kind in ("kernel", "bias")])  # fmt: skip
    return _attention_keras_of_torch(layer, layer.embed_dim, layer.num_heads)


def _prelu_torch(layer):
    """PyTorch's slopes: one, or one per channel (axis 1); Keras's per-element slopes have no such form
    unless every axis but the channels' is shared."""
    shape = layer.slope.shape
    if len(shape) > 1 and any(size != 1 for size in shape[1:]):
        raise ValueError(
            f"PReLU '{layer.name}' has slopes of shape {shape} (Keras's, one per element); torch.nn.PReLU "
            "keeps one slope or one per channel: share the other axes (shared_axes) or save with "
            "layout='glassnet'"
        )
    return [Slot(("weight",), ("slope",), lambda a: (a.reshape(-1),), lambda v: (v.reshape(shape),))]


def _graph(pairs):
    """PyTorch Geometric's names: (theirs, ours, transposed)."""
    return lambda layer: _present(
        layer, [moved(t, o, (1, 0)) if flip else same(t, o) for t, o, flip in pairs]
    )


def _gat_torch(layer):
    heads, units = layer.heads, layer.units
    attention_slots = [
        Slot((t,), (o,), lambda a: (a.reshape(1, heads, units),), lambda v: (v.reshape(heads, units),))
        for t, o in (("att_src", "attention_source"), ("att_dst", "attention_target"))
    ]
    return _present(layer, [moved("lin.weight", "weight", (1, 0)), *attention_slots, same("bias", "bias")])


def _container(torch: str) -> Row:
    return Row(torch, "(no Keras 3 layer: its sublayers' weights, in order)")


_NO_TORCH = "(no PyTorch module: glassnet's names, {})"
_RECURRENT_TORCH = "nn.{}: weight_ih_l0 (G·u, in), weight_hh_l0 (G·u, u), bias_ih_l0, bias_hh_l0; gates {}"
_RECURRENT_KERAS = "{}: kernel (in, G·u), recurrent_kernel (u, G·u), bias {}; gates {}"

LAYOUTS: dict = {
    dense.Dense: Row("nn.Linear: weight = Wᵀ (out, in), bias", "Dense: kernel W (in, out), bias",
                     _dense_torch, _dense_keras),
    conv.Conv1D: Row("nn.Conv1d: weight (out, in, k), bias", "Conv1D: kernel (k, in, out), bias",
                     _conv_torch, _conv_keras),
    conv.Conv2D: Row("nn.Conv2d: weight (out, in, kh, kw), bias", "Conv2D: kernel (kh, kw, in, out), bias",
                     _conv_torch, _conv_keras),
    conv_transpose.Conv2DTranspose: Row(
        "nn.ConvTranspose2d: weight (in, out, kh, kw), bias",
        "Conv2DTranspose: kernel (kh, kw, out, in), bias", _conv_torch, _conv_keras),
    normalization.BatchNorm: Row(
        "nn.BatchNorm1d/2d: weight, bias, running_mean, running_var, num_batches_tracked (written 0, "
        "not read)", "BatchNormalization: gamma, beta, moving_mean, moving_variance",
        _batch_norm_torch, _batch_norm_keras),
    normalization.LayerNorm: Row("nn.LayerNorm: weight, bias", "LayerNormalization: gamma, beta",
                                 _layer_norm("weight", "bias"), _layer_norm("gamma", "beta")),
    embedding.Embedding: Row("nn.Embedding: weight (vocab, dim)", "Embedding: embeddings (vocab, dim)",
                             lambda layer: [same("weight", "weight")],
                             lambda layer: [same("embeddings", "weight")]),
    attention.PositionEmbedding: Row(_NO_TORCH.format("weight (max_len, dim)"),
                                     "keras_hub PositionEmbedding: embeddings (max_len, dim)",
                                     None, lambda layer: [same("embeddings", "weight")]),
    attention.PositionalEncoding: Row(_NO_TORCH.format("table (a constant buffer)"),
                                      "(none: a constant, no weights)", None, lambda layer: []),
    nn.PReLU: Row("nn.PReLU: weight (1 or channels,)", "PReLU: alpha (the example's shape, 1 on shared_axes)",
                  _prelu_torch, lambda layer: [same("alpha", "slope")]),
    recurrent.SimpleRNN: Row(_RECURRENT_TORCH.format("RNN", "-"),
                             _RECURRENT_KERAS.format("SimpleRNN", "(u,) = b_ih + b_hh", "-"),
                             _recurrent_torch, _recurrent_keras),
    recurrent.LSTM: Row(_RECURRENT_TORCH.format("LSTM", "i, f, g, o"),
                        _RECURRENT_KERAS.format("LSTM", "(4u,) = b_ih + b_hh", "i, f, c, o"),
                        _recurrent_torch, _recurrent_keras),
    recurrent.GRU: Row(_RECURRENT_TORCH.format("GRU", "r, z, n"),
                       _RECURRENT_KERAS.format("GRU", "(2, 3u) = [b_ih; b_hh] (reset_after=True)",
                                               "z, r, h"), _recurrent_torch, _recurrent_keras),
    wrappers.Bidirectional: Row(
        "nn.RNN/LSTM/GRU(bidirectional=True): the forward layer's, then the same names + _reverse",
        "Bidirectional: forward_layer's weights, then backward_layer's",
        _bidirectional_torch, _bidirectional_keras, ("forward_layer", "backward_layer")),
    attention.MultiHeadAttention: Row(
        "nn.MultiheadAttention: in_proj_weight (3E, E), in_proj_bias (3E,), out_proj.weight (E, E), "
        "out_proj.bias", "MultiHeadAttention: query kernel (E, h, d), query bias (h, d), key ..., value ..., "
        "output kernel (h, d, E), output bias (E,)", _attention_torch, _attention_keras),
    transformer.TransformerEncoderLayer: _container(
        "nn.TransformerEncoderLayer: self_attn.*, linear1.*, linear2.*, norm1.*, norm2.*"),
    transformer.TransformerDecoderLayer: _container(
        "nn.TransformerDecoderLayer: self_attn.*, multihead_attn.*, linear1.*, linear2.*, norm1..3.*"),
    transformer.TransformerEncoder: _container("nn.TransformerEncoder: layers.k.*, norm.*"),
    transformer.TransformerDecoder: _container("nn.TransformerDecoder: layers.k.*, norm.*"),
    wrappers.TimeDistributed: Row("(no PyTorch module: the wrapped layer's names, under layer.)",
                                  "TimeDistributed: the wrapped layer's weights"),
    graph.GCNConv: Row("PyG GCNConv: lin.weight = Wᵀ, bias", "(no Keras layer: glassnet's arrays, in order)",
                       _graph([("lin.weight", "weight", True), ("bias", "bias", False)])),
    graph.SAGEConv: Row(
        "PyG SAGEConv: lin_l.weight = W_neighborᵀ, lin_l.bias, lin_r.weight = W_selfᵀ",
        "(no Keras layer: glassnet's arrays, in order)",
        _graph([("lin_l.weight", "neighbor_weight", True), ("lin_l.bias", "bias", False),
                ("lin_r.weight", "self_weight", True)])),
    graph.GATConv: Row("PyG GATConv: lin.weight = Wᵀ, att_src (1, h, u), att_dst (1, h, u), bias",
                       "(no Keras layer: glassnet's arrays, in order)", _gat_torch),
}  # fmt: skip


def layout_table() -> str:
    """The table as Markdown: one line per glassnet layer, its PyTorch and its Keras 3 layout.

    Example:
        >>> print(layout_table().splitlines()[2])
        | Dense | nn.Linear: weight = Wᵀ (out, in), bias | Dense: kernel W (in, out), bias |
    """
    lines = ["| glassnet | PyTorch (state dict names, shapes) | Keras 3 (`get_weights()` order, shapes) |",
             "|---|---|---|"]  # fmt: skip
    for cls, row in LAYOUTS.items():
        lines.append(f"| {cls.__name__} | {row.torch_name} | {row.keras_name} |")
    return "\n".join(lines)


def row_for(module) -> Row | None:
    """The row of ``module``'s class, or of the nearest class above it that has one; None if none."""
    for cls in type(module).__mro__:
        if cls in LAYOUTS:
            return LAYOUTS[cls]
    return None
