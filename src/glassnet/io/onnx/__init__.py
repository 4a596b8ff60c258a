"""ONNX export: a glassnet model as an ONNX file that ONNX Runtime (or any ONNX backend) runs.

``model.export_onnx("model.onnx", input_shape=(1, 28, 28))`` (or ``export_onnx(model, path, ...)``, or
``glassnet export MODEL_FILE --onnx OUT``) writes the model's forward pass in evaluation mode (Dropout the
identity, BatchNorm on its running statistics) as an ONNX graph of opset ``OPSET``, float32 weights, with
a dynamic batch axis ("batch"); the file passes ``onnx.checker.check_model(full_check=True)`` before it is
written. Needs the ``onnx`` extra (``pip install glassnet[onnx]``).

Each layer class has one converter (``graph.CONVERTERS``, filled by ``layers``, ``recurrent``,
``attention``, ``gnn`` and ``models``); a graph network's file takes (x, edge_index) (``gnn``), a decoder's
[target, memory]; the recurrent layers become ONNX's own RNN, LSTM and GRU ops (their gate
orders in ``recurrent``'s table). A layer without one raises ``NotExportable`` naming it, and no file is
written; ``graph.NOT_EXPORTABLE`` says why for the public ones.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from glassnet.io.onnx import attention, gnn, layers, models, recurrent  # noqa: F401 - they fill CONVERTERS
from glassnet.io.onnx.graph import CONVERTERS, NOT_EXPORTABLE, GraphBuilder, NotExportable, Value, convert
from glassnet.train.model import _takes_token_ids as _takes_ids  # the rule fit and predict follow

__all__ = ["export_onnx", "to_onnx", "write_onnx", "NotExportable", "CONVERTERS", "NOT_EXPORTABLE", "OPSET"]

OPSET = 17  # the default and the oldest: LayerNormalization's first opset (onnxruntime >= 1.18 runs 17-21)

_UNBUILT = (
    "{what} was never built, so its input shape is unknown: give input_shape (one example's shape, "
    "without the batch axis), e.g. export_onnx(path, input_shape=(1, 28, 28)), or call the model once"
)


def _onnx():
    try:
        import onnx  # noqa: PLC0415 - an optional extra, imported where it is needed
    except ImportError as error:
        raise ImportError("ONNX export needs the onnx package: pip install 'glassnet[onnx]'") from error
    return onnx


def _input_shapes(model, input_shape) -> list:
    """One shape per model input, batch axis first (None)."""
    what = f"{type(model).__name__} '{model.name}'"
    if input_shape is None:
        known = getattr(model, "input_shape", None)
        if known is None or not model.built:
            raise ValueError(_UNBUILT.format(what=what))
        shapes = known if isinstance(known, list) else [known]
        return [tuple(shape) for shape in shapes]
    several = isinstance(input_shape, list) and input_shape and isinstance(input_shape[0], (list, tuple))
    shapes = [tuple(s) for s in input_shape] if several else [tuple(input_shape)]
    for shape in shapes:
        if not all(d is None or (isinstance(d, (int, np.integer)) and d > 0) for d in shape):
            raise ValueError(
                f"export_onnx: input_shape must be positive sizes (None for a dynamic one) without the batch "
                f"axis, got {input_shape!r}"
            )
    return [(None, *(None if d is None else int(d) for d in shape)) for shape in shapes]


def _dims(shape, position: int) -> list:
    return ["batch"] + [f"input{position}_dim{a}" if d is None else d for a, d in enumerate(shape) if a > 0]


def to_onnx(model, input_shape=None, opset: int = OPSET):
    """The model as an ``onnx.ModelProto`` (checked with ``full_check=True``); see ``export_onnx``."""
    onnx = _onnx()
    from onnx import helper, numpy_helper  # noqa: PLC0415 - an optional extra

    graph_model = gnn.takes_edges(model)
    shapes = gnn.graph_input_shapes(model, input_shape) if graph_model else _input_shapes(model, input_shape)
    if not model.built:
        model.build(shapes[0] if len(shapes) == 1 else shapes)
    newest = onnx.defs.onnx_opset_version()
    if isinstance(opset, bool) or not isinstance(opset, int) or not OPSET <= opset <= newest:
        raise ValueError(
            f"export_onnx: opset must be an integer from {OPSET} to {newest} (the installed onnx's newest), "
            f"got {opset!r}"
        )
    builder = GraphBuilder(helper, numpy_helper, opset)
    builder.used.update(["output", *(f"output{k}" for k in range(64))])  # the graph's output names
    inputs, values = [], []
    for position, shape in enumerate(shapes):
        name, kind, dims = _input_spec(onnx, model, shapes, position, graph_model)
        inputs.append(helper.make_tensor_value_info(name, kind, dims))
        builder.used.add(name)
        values.append(Value(name, shape))
    result = convert(builder, model, values if len(values) > 1 else values[0])
    results = _flatten(result)
    outputs = []
    for position, value in enumerate(results):
        name = "output" if len(results) == 1 else f"output{position}"
        builder.nodes.append(helper.make_node("Identity", [value.name], [name], name=f"{name}#node"))
        first = ("graphs" if type(model) in gnn.POOLS else "nodes") if graph_model else "batch"
        dims = [first] + [
            f"output{position}_dim{a}" if d is None else d for a, d in enumerate(value.shape) if a
        ]
        outputs.append(helper.make_tensor_value_info(name, onnx.TensorProto.FLOAT, dims))
    graph = helper.make_graph(builder.nodes, model.name or "glassnet", inputs, outputs, builder.initializers)
    opsets = [helper.make_opsetid("", opset)]
    ir_version = helper.find_min_ir_version_for(opsets)  # the oldest IR that opset allows: older runtimes
    proto = helper.make_model(graph, opset_imports=opsets, producer_name="glassnet", ir_version=ir_version)
    if not graph_model:
        _dry_run(model, shapes)
    try:
        onnx.checker.check_model(proto, full_check=True)
    except Exception as error:  # onnx's ValidationError and InferenceError: a converter's mistake
        reason = " ".join(str(error).split())[:400]
        raise NotExportable(
            f"the ONNX graph of {type(model).__name__} '{model.name}' fails onnx.checker ({reason}); this "
            "is a bug in glassnet's export, please report it"
        ) from error
    return proto


def _dry_run(model, shapes) -> None:
    """One evaluation-mode call of the model on zeros of the export's shapes (batch 1), so that an input
    shape the model cannot take gets glassnet's own message (naming the layer), not onnx.checker's."""
    if any(d is None for shape in shapes for d in shape[1:]):
        return
    from glassnet.autograd.grad_mode import no_grad  # noqa: PLC0415 - kept beside its one use

    arrays = [
        np.zeros((1, *shape[1:]), dtype=np.int64 if _takes_ids(model, k) else np.float32)
        for k, shape in enumerate(shapes)
    ]
    was_training = model.training
    model.eval()
    try:
        with no_grad():
            model(arrays if len(arrays) > 1 else arrays[0])
    finally:
        model.train(was_training)


def _input_spec(onnx, model, shapes, position: int, graph_model: bool) -> tuple:
    """(name, element type, dims) of input ``position``: a graph model's x (nodes, F) float32 and
    edge_index (2, edges) int64; else "input" (or the model's input names), int64 for token ids."""
    if graph_model:
        if position == 0:
            return "x", onnx.TensorProto.FLOAT, ["nodes", shapes[0][1]]
        if len(shapes[1]) == 1:  # a global pool's graph number of each node
            return "batch", onnx.TensorProto.INT64, ["nodes"]
        return "edge_index", onnx.TensorProto.INT64, [2, "edges"]
    names = getattr(model, "input_names", [f"input{k}" for k in range(len(shapes))])
    name = "input" if len(shapes) == 1 else names[position]
    kind = onnx.TensorProto.INT64 if _takes_ids(model, position) else onnx.TensorProto.FLOAT
    return name, kind, _dims(shapes[position], position)


def _flatten(result) -> list:
    if isinstance(result, Value):
        return [result]
    return [value for item in result for value in _flatten(item)]


def export_onnx(model, path, input_shape=None, opset: int = OPSET):
    """Write ``model`` as an ONNX file at ``path`` (evaluation mode, float32, a dynamic batch axis).

    Args:
        model: a glassnet model: a ``Sequential``, a functional ``Model``, a ready model (LeNet-5,
            ResNet, CharRNN, TransformerLM, ViT, GCN, GraphSAGE, GAT) or a single layer, built or given
            ``input_shape``; a graph network's inputs are x (nodes, F) and edge_index (2, edges) int64.
        path: the .onnx file to write (written only when the whole model converted and passed
            ``onnx.checker``).
        input_shape: one example's shape without the batch axis, e.g. (1, 28, 28) (a list of shapes for
            a model of several inputs); None takes the built model's. A None size stays dynamic where
            the layers allow it (a sequence's length).
        opset: the ONNX opset, from ``OPSET`` (17, the default) to the installed onnx's newest (tested:
            17 and 21).

    Token-id inputs (a model that starts with an Embedding) are int64, every other input float32. The
    outputs are named "output" (or "output0", "output1", ... for several).

    Raises:
        NotExportable: (a ValueError) a layer ONNX cannot express, named with the reason.
        ValueError: a model never built and no input_shape.
        ImportError: the onnx package is missing.

    Example:
        >>> from glassnet import nn
        >>> model = nn.Sequential([nn.Dense(4, activation="relu"), nn.Dense(2)], input_shape=(3,))
        >>> proto = to_onnx(model)
        >>> [node.op_type for node in proto.graph.node][:3], proto.opset_import[0].version
        (['MatMul', 'Add', 'Relu'], 17)
    """
    return write_onnx(to_onnx(model, input_shape, opset), path)


def write_onnx(proto, path) -> Path:
    """Write a ``to_onnx`` result at ``path`` (returned as a Path)."""
    path = Path(path)
    _onnx().save(proto, str(path))
    return path
