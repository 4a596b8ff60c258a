"""Converters of the graph layers and models: ``GCNConv``, ``SAGEConv``, ``GATConv`` and the ready models
``GCN``, ``GraphSAGE`` and ``GAT``, as an ONNX graph of two inputs: node features ``x`` (N, F) float32 and
``edge_index`` (2, E) int64 (row 0 the sources j, row 1 the targets i), N and E dynamic, so one file runs
any graph.

Message passing is Gather (a source's row per edge) and ScatterElements(reduction="add") into the targets'
rows (opset 16 and later); the self-loops (``adjacency.add_remaining_self_loops``: old loops out, one per
node in) are Compress + Range + Concat, and GCN's degrees and D̃^{-1/2} Ã D̃^{-1/2} are computed inside the
graph as the layer does at run time. GAT's softmax over each node's incoming edges is exp(e - m_i) over
the scatter-added sum, m_i the segment's max (ScatterElements max, opset >= 18) or, at opset 17, each head's
max over all edges (the same softmax: any per-segment constant cancels). SAGEConv's "max" aggregator
and GlobalMaxPool need opset 18 (ScatterElements max). Edge weights are not an export input (the ready
models pass none). The global pools export as (x, batch): batch (N,) int64 the graph number of each
node, max(batch) + 1 output rows (an empty graph's row is 0, as glassnet's).
"""

from __future__ import annotations

import numpy as np

from glassnet import nn
from glassnet.io.onnx.graph import NotExportable, Value, convert, converts, describe
from glassnet.models.gnn import GAT, GCN, GraphSAGE

__all__ = ["takes_edges", "graph_input_shapes"]

_CONVS = (nn.GCNConv, nn.SAGEConv, nn.GATConv)
_MODELS = (GCN, GraphSAGE, GAT)
POOLS = (nn.GlobalSumPool, nn.GlobalMeanPool, nn.GlobalMaxPool)


def takes_edges(model) -> bool:
    """True for a model called as ``model(x, edge_index)`` (or a pool's ``pool(x, batch)``): the export's
    inputs are x and edge_index (or batch)."""
    return type(model) in _CONVS + _MODELS + POOLS


def _features(model):
    if type(model) in POOLS:
        return model.input_shape[-1] if model.built and model.input_shape else None
    first = model.conv1 if type(model) in _MODELS else model
    weight = first._parameters.get("weight", first._parameters.get("neighbor_weight"))
    return None if weight is None else int(weight.shape[0])


def graph_input_shapes(model, input_shape) -> list:
    """[(None, F), (2, None)]: F from ``input_shape`` ((F,) or (None, F)) or the built weights."""
    features = _features(model) if input_shape is None else input_shape[-1]
    if isinstance(input_shape, list) and input_shape and isinstance(input_shape[0], (list, tuple)):
        features = input_shape[0][-1]
    if not isinstance(features, (int, np.integer)) or isinstance(features, bool) or features < 1:
        raise ValueError(
            f"export_onnx: {describe(model)} takes (x, edge_index); give input_shape=(F,) (the features per "
            f"node) or build it first, got input_shape {input_shape!r}"
        )
    if not model.built:
        (model.conv1 if type(model) in _MODELS else model).build((None, int(features)))
        if type(model) in _MODELS:
            model.build((None, int(features)))
    return [(None, int(features)), (None,) if type(model) in POOLS else (2, None)]


def _row(b, edges: str, k: int) -> str:
    return b.op("Gather", [edges, b.ints(k, "row")], ("sources", "targets")[k], axis=0)


def _self_loops(b, edges: str, x: Value) -> str:
    """edge_index without its self-loops, then (i, i) for every node i."""
    keep = b.op("Not", [b.op("Equal", [_row(b, edges, 0), _row(b, edges, 1)])], "not_loop")
    kept = b.op("Compress", [edges, keep], "kept_edges", axis=1)
    count = b.op("Squeeze", [b.op("Shape", [x.name], "nodes", start=0, end=1)], "nodes")
    ids = b.op("Range", [b.ints(0, "zero"), count, b.ints(1, "one")], "node_ids")
    loops = b.op("Expand", [b.op("Unsqueeze", [ids, b.ints([0], "axes")]), b.ints([2, 1])], "loops")
    return b.op("Concat", [kept, loops], "edges", axis=1)


def _scatter(b, updates: str, index: str, like, rank: int, reduction: str = "add") -> str:
    """Rows of ``updates`` (E, ...) (``rank`` axes) reduced into len(like) rows (``like`` a Value; or
    the int64 count [R] itself) by ``index`` (E,); an empty row is 0."""
    if reduction == "max" and b.opset < 18:
        raise NotExportable(
            f"cannot export {' > '.join(b.path)} at opset 17: its max over a segment (a node's edges, a "
            "graph's nodes) is ScatterElements' max, opset 18; export with export_onnx(..., opset=18)"
        )
    shape = b.op("Shape", [updates], "updates_shape")
    nodes = b.op("Shape", [like.name], "nodes", start=0, end=1) if isinstance(like, Value) else like
    rest = b.op("Shape", [updates], "feature_shape", start=1)
    start = np.float32(-np.inf if reduction == "max" else 0.0)
    out_shape = b.op("Concat", [nodes, rest], "out_shape", axis=0)
    fill = b.helper.make_tensor("fill", 1, [1], [start])
    data = b.op("ConstantOfShape", [out_shape], "zeros", value=fill)
    wide = b.op("Reshape", [index, b.ints([-1] + [1] * (rank - 1))], "index")
    out = b.op("ScatterElements", [data, b.op("Expand", [wide, shape], "index"), updates], "scatter",
               axis=0, reduction=reduction)  # fmt: skip
    if reduction == "max":
        empty = b.op("IsInf", [out], "empty", detect_positive=0)
        out = b.op("Where", [empty, b.weight(np.float32(0), "zero"), out], "scatter_max")
    return out


def _linear(b, x: str, weight, hint: str) -> str:
    return b.op("MatMul", [x, b.weight(weight, f"{hint}_weight")], hint)


def _bias(b, layer, y: str) -> str:
    return y if layer.bias is None else b.op("Add", [y, b.weight(layer.bias, "bias")], "biased")


def _ones(b, index: str) -> str:
    fill = b.helper.make_tensor("one", 1, [1], [1.0])
    return b.op("ConstantOfShape", [b.op("Shape", [index], "edges")], "ones", value=fill)


@converts(nn.GCNConv)
def gcn_conv(b, layer, inputs):
    """Â x W + b: Â's entries w / sqrt(d̃_i d̃_j) from the degrees scattered over the (looped) edges."""
    x, edges = inputs
    h = _linear(b, x.name, layer.weight, "transform")
    edge_index = _self_loops(b, edges.name, x) if layer.normalize and layer.add_self_loops else edges.name
    sources, targets = _row(b, edge_index, 0), _row(b, edge_index, 1)
    values = _ones(b, targets)
    if layer.normalize:
        degree = _scatter(b, values, targets, x, 1)
        inverse = b.op("Reciprocal", [b.op("Sqrt", [degree])], "inv_sqrt")
        positive = b.op("Greater", [degree, b.weight(np.float32(0), "zero")], "positive")
        inverse = b.op("Where", [positive, inverse, b.weight(np.float32(0), "zero")], "inv_sqrt")
        values = b.op("Mul", [b.op("Gather", [inverse, targets], axis=0),
                              b.op("Gather", [inverse, sources], axis=0)], "norm")  # fmt: skip
    messages = b.op("Mul", [b.op("Gather", [h, sources], "messages", axis=0),
                            b.op("Unsqueeze", [values, b.ints([1], "axes")])], "messages")  # fmt: skip
    return Value(_bias(b, layer, _scatter(b, messages, targets, x, 2)), (None, layer.units))


@converts(nn.SAGEConv)
def sage_conv(b, layer, inputs):
    """W_l · aggregate_{j -> i} x_j + b (+ W_r x_i)."""
    x, edges = inputs
    sources, targets = _row(b, edges.name, 0), _row(b, edges.name, 1)
    rows = b.op("Gather", [x.name, sources], "neighbours", axis=0)
    aggregated = _scatter(b, rows, targets, x, 2, "max" if layer.aggregator == "max" else "add")
    if layer.aggregator == "mean":
        count = _scatter(b, _ones(b, targets), targets, x, 1)
        count = b.op("Max", [count, b.weight(np.float32(1), "one")], "count")
        aggregated = b.op("Div", [aggregated, b.op("Unsqueeze", [count, b.ints([1], "axes")])], "mean")
    out = _bias(b, layer, _linear(b, aggregated, layer.neighbor_weight, "neighbor"))
    if layer.root_weight:
        out = b.op("Add", [out, _linear(b, x.name, layer.self_weight, "self")], "with_root")
    return Value(out, (None, layer.units))


@converts(nn.GATConv)
def gat_conv(b, layer, inputs):
    """Per head: e_ji = LeakyReLU(a_src·h_j + a_dst·h_i), α softmax over i's edges, Σ α_ji h_j."""
    x, edges = inputs
    heads, units = layer.heads, layer.units
    edge_index = _self_loops(b, edges.name, x) if layer.add_self_loops else edges.name
    sources, targets = _row(b, edge_index, 0), _row(b, edge_index, 1)
    h = b.op("Reshape", [_linear(b, x.name, layer.weight, "transform"), b.ints([0, heads, units])], "heads")
    axes = b.ints([-1], "axes")
    scores = []
    for name, index in (("attention_source", sources), ("attention_target", targets)):
        score = b.op("ReduceSum", [b.op("Mul", [h, b.weight(getattr(layer, name), name)]), axes],
                     name, keepdims=0)  # fmt: skip
        scores.append(b.op("Gather", [score, index], name, axis=0))
    e = b.op("LeakyRelu", [b.op("Add", scores, "scores")], "scores", alpha=float(layer.negative_slope))
    if b.opset >= 18:
        top = b.op("Gather", [_scatter(b, e, targets, x, 2, "max"), targets], "segment_max", axis=0)
    else:
        top = b.op("ReduceMax", [e], "head_max", axes=[0], keepdims=1)
    e = b.op("Exp", [b.op("Sub", [e, top], "shifted")], "exp")
    total = b.op("Gather", [_scatter(b, e, targets, x, 2), targets], "segment_sum", axis=0)
    alpha = b.op("Div", [e, total], "alpha")
    messages = b.op("Mul", [b.op("Gather", [h, sources], "messages", axis=0),
                            b.op("Unsqueeze", [alpha, b.ints([2], "axes")])], "messages")  # fmt: skip
    out = _scatter(b, messages, targets, x, 3)
    if layer.concat:
        out = b.op("Reshape", [out, b.ints([0, heads * units])], "joined")
    else:
        out = b.reduce_mean(out, [1])
    return Value(_bias(b, layer, out), (None, units * heads if layer.concat else units))


@converts(*_MODELS)
def node_classifier(b, model, inputs):
    """conv2(activation(conv1(x, edge_index)), edge_index); dropout is the identity (evaluation)."""
    x, edges = inputs
    hidden = convert(b, model.conv1, [x, edges])
    if isinstance(model, GAT):
        hidden = convert(b, model.activation, hidden)
    else:
        hidden = Value(b.op("Relu", [hidden.name]), hidden.shape)
    return convert(b, model.conv2, [hidden, edges])


@converts(*POOLS)
def global_pool(b, layer, inputs):
    """Rows of x summed (averaged, max) into max(batch) + 1 rows by the graph number of each node."""
    x, batch = inputs
    if b.opset < 18:  # axes: an attribute up to opset 17, an input from 18
        last = b.op("ReduceMax", [batch.name], "last_graph", axes=[0], keepdims=1)
    else:
        last = b.op("ReduceMax", [batch.name, b.ints([0], "axes")], "last_graph", keepdims=1)
    count = b.op("Add", [last, b.ints([1], "one")], "graphs")
    reduction = "max" if isinstance(layer, nn.GlobalMaxPool) else "add"
    out = _scatter(b, x.name, batch.name, count, 2, reduction)
    if isinstance(layer, nn.GlobalMeanPool):
        nodes = _scatter(b, _ones(b, batch.name), batch.name, count, 1)
        nodes = b.op("Max", [nodes, b.weight(np.float32(1), "one")], "nodes")
        out = b.op("Div", [out, b.op("Unsqueeze", [nodes, b.ints([1], "axes")])], "mean")
    return Value(out, x.shape)
