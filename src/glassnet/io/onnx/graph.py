"""The graph under construction: ``Value`` (a tensor's name and shape), ``GraphBuilder`` (nodes, weights as
initializers, constants, fresh names) and the table of converters, one per layer class.

A converter is ``function(builder, layer, x) -> Value`` (or a list of Values for a layer that returns
several); ``x`` is a Value, or a list of Values for the merge layers. Shapes are glassnet's, the batch axis
first and None (the ONNX graph's dynamic "batch" dimension); other None sizes are dynamic too, and a
converter that needs one known raises ``NotExportable`` saying so.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

__all__ = ["NotExportable", "Value", "GraphBuilder", "CONVERTERS", "converts", "convert", "NOT_EXPORTABLE"]

# Public layers with no converter, and why: ``convert`` names the reason when one of them is met.
NOT_EXPORTABLE = {
    "Module": "the base class: a subclass's forward() is Python, not a graph; build the model from layers",
    "Activation": "the base of the activation modules (each one has its converter)",
    "ModuleList": "holds modules for a model's own forward(), which is not a graph ONNX can read",
    "ModuleDict": "holds modules for a model's own forward(), which is not a graph ONNX can read",
}


class NotExportable(ValueError):
    """A layer (or a use of one) that the ONNX export cannot express: the message names it and says why."""


@dataclass(frozen=True)
class Value:
    """One tensor of the graph: its ONNX name and glassnet shape (batch axis first, None where dynamic)."""

    name: str
    shape: tuple


class GraphBuilder:
    """Collects the nodes and initializers of one ONNX graph (float32 weights)."""

    def __init__(self, helper, numpy_helper, opset: int):
        self.helper, self.numpy_helper, self.opset = helper, numpy_helper, opset
        self.nodes, self.initializers, self.used = [], [], set()
        self.path: list[str] = []  # the layers being converted, outermost first (for error messages)

    def fresh(self, hint: str) -> str:
        """A new unique tensor name from ``hint`` ("dense/MatMul", "dense/MatMul_1", ...)."""
        base = "/".join([*self.path, hint]) if self.path else hint
        name, k = base, 0
        while name in self.used:
            k += 1
            name = f"{base}_{k}"
        self.used.add(name)
        return name

    def weight(self, array, hint: str, dtype=np.float32) -> str:
        """An initializer holding ``array`` (a Tensor or array; float weights become float32)."""
        data = np.asarray(getattr(array, "data", array))
        value = data.astype(dtype if data.dtype.kind == "f" or dtype != np.float32 else data.dtype)
        name = self.fresh(hint)
        self.initializers.append(self.numpy_helper.from_array(np.array(value, order="C"), name))
        return name

    def ints(self, values, hint: str = "shape") -> str:
        """An int64 constant (shapes, axes, pads)."""
        return self.weight(np.asarray(values, dtype=np.int64), hint, dtype=np.int64)

    def op(self, op_type: str, inputs: list, hint: str | None = None, outputs: int = 1, **attributes):
        """Add one node; returns its output name (or the list of names when ``outputs`` > 1). An input
        given as "" is an omitted optional input."""
        names = [self.fresh(f"{hint or op_type}" + (f":{k}" if outputs > 1 else "")) for k in range(outputs)]
        node_name = self.fresh(f"{hint or op_type}#node")
        self.nodes.append(self.helper.make_node(op_type, list(inputs), names, name=node_name, **attributes))
        return names[0] if outputs == 1 else names

    def reduce_mean(self, x: str, axes: list, keepdims: int = 0) -> str:
        """ReduceMean over ``axes`` (an attribute up to opset 17, an input from 18)."""
        if self.opset >= 18:
            return self.op("ReduceMean", [x, self.ints(axes, "axes")], keepdims=keepdims)
        return self.op("ReduceMean", [x], axes=axes, keepdims=keepdims)

    def batch_shape(self, x: Value, rest) -> str:
        """An int64 shape [N, *rest], N read from x at run time (the dynamic batch size)."""
        shape = self.op("Shape", [x.name], "batch_size", start=0, end=1)
        return self.op("Concat", [shape, self.ints(list(rest), "rest")], "batch_shape", axis=0)


CONVERTERS: dict = {}


def converts(*classes):
    """Register the decorated function as the converter of ``classes`` (exact classes: a subclass may
    compute something else in its own forward, so it needs its own row)."""

    def register(function):
        for cls in classes:
            CONVERTERS[cls] = function
        return function

    return register


def describe(layer) -> str:
    """"Dense 'dense_1'": how the error messages name a layer."""
    return f"{type(layer).__name__} '{getattr(layer, 'name', '?')}'"


def convert(builder: GraphBuilder, layer, x, **options):
    """The Value(s) of ``layer`` applied to ``x``, through its row of ``CONVERTERS``; ``options`` are a
    functional Model's keyword arguments of the call, for a converter that lists them in its
    ``options`` attribute (any other is refused)."""
    kind = type(layer).__name__
    function = CONVERTERS.get(type(layer))
    if function is None:
        where = " (in " + " > ".join(builder.path) + ")" if builder.path else ""
        reason = NOT_EXPORTABLE.get(kind, "no ONNX converter for this class (a custom module's forward() is "
                                          "Python, not a graph; build it from glassnet's layers)")
        raise NotExportable(f"cannot export {describe(layer)}{where} to ONNX: {reason}")
    if getattr(layer, "stateful", False):
        raise NotExportable(
            f"cannot export {describe(layer)} to ONNX: a stateful layer carries its state between calls, "
            "which an ONNX graph does not; export a copy built with stateful=False"
        )
    unknown = sorted(set(options) - set(getattr(function, "options", ())))
    if unknown:
        raise NotExportable(
            f"cannot export {describe(layer)}: it is called with arguments {unknown}, which the ONNX export "
            "does not pass"
        )
    builder.path.append(getattr(layer, "name", kind))
    try:
        return function(builder, layer, x, **options)
    finally:
        builder.path.pop()


def known(layer, shape, axes, what: str) -> tuple:
    """The sizes of ``axes`` of ``shape``, which this converter needs known (not None); else a
    ``NotExportable`` asking for an input_shape."""
    sizes = tuple(shape[a] for a in axes)
    if any(s is None for s in sizes):
        raise NotExportable(
            f"cannot export {describe(layer)} to ONNX with {what} unknown (input shape {shape}): give "
            "export_onnx an input_shape with every size but the batch's"
        )
    return sizes
