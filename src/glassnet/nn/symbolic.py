"""Symbolic tensors: the placeholders of the functional API, which record a graph of layer calls.

``nn.Input(shape)`` gives a ``SymbolicTensor``: a shape (batch axis None) and no values. Calling a layer on
it does not compute: the layer is built for that shape and a ``Node`` (one call of one layer: the layer, the
symbolic tensors it was given, its outputs) is recorded; the result is a new symbolic tensor whose shape is
the layer's ``compute_output_shape``. ``nn.Model(inputs, outputs)`` then walks the nodes from the outputs
back to the inputs and runs them in that order on real tensors. A layer called twice has two nodes and
one set of weights (a shared layer).

This file knows no ``Module``: ``Module.__call__`` hands symbolic inputs to ``call_symbolic`` here.
"""

from __future__ import annotations

__all__ = ["SymbolicTensor", "Node", "is_symbolic", "call_symbolic"]


class Node:
    """One call of ``layer`` in a graph: its symbolic ``inputs`` (a list), whether they were passed as a
    list (merge layers) or as one tensor, the keyword arguments of the call, and its ``outputs``."""

    def __init__(self, layer, inputs: list, as_list: bool, kwargs: dict):
        self.layer, self.inputs, self.as_list, self.kwargs = layer, list(inputs), as_list, dict(kwargs)
        self.outputs: list = []

    def __repr__(self) -> str:
        sources = ", ".join(t.label() for t in self.inputs)
        return f"Node({self.layer.name}({sources}))"


class SymbolicTensor:
    """A placeholder with a shape and no values, made by ``nn.Input`` or by calling a layer on one.

    ``shape`` has None for the batch axis (and any size not known before the data); ``node`` is the call
    that made it and ``index`` its place among that call's outputs; ``dtype`` is an input's declared dtype
    (None otherwise: layers choose their own).
    """

    is_symbolic = True

    def __init__(self, shape, node: Node, index: int = 0, dtype=None):
        self.shape, self.node, self.index, self.dtype = tuple(shape), node, index, dtype

    @property
    def ndim(self) -> int:
        return len(self.shape)

    def label(self) -> str:
        """Keras's "layer[call][output]" reference, as the summary's "Connected to" column prints it."""
        layer = self.node.layer
        return f"{layer.name}[{call_index(self.node)}][{self.index}]"

    def __repr__(self) -> str:
        return f"SymbolicTensor(shape={self.shape}, from {self.label()})"

    def __array__(self, *args, **kwargs):
        raise TypeError(
            f"{self!r} has no values: it stands for the data of nn.Input; build nn.Model(inputs, outputs) "
            "and call the model on arrays"
        )


def call_index(node: Node) -> int:
    """Which call of its layer ``node`` is (0 for the first)."""
    return node.layer._nodes.index(node)


def is_symbolic(x) -> bool:
    """True for a symbolic tensor, or a non-empty list or tuple of them."""
    if isinstance(x, (list, tuple)):
        return bool(x) and all(isinstance(item, SymbolicTensor) for item in x)
    return isinstance(x, SymbolicTensor)


def call_symbolic(layer, x, kwargs: dict):
    """Record the call ``layer(x, **kwargs)`` on symbolic ``x``: build the layer for x's shape (once), and
    return symbolic outputs of its ``compute_output_shape`` (a list when the layer gives several)."""
    as_list = isinstance(x, (list, tuple))
    inputs = list(x) if as_list else [x]
    shapes = [t.shape for t in inputs] if as_list else inputs[0].shape
    if not layer.built:
        layer.build(shapes)
    node = Node(layer, inputs, as_list, kwargs)
    if "_nodes" not in layer.__dict__:
        layer._nodes = []
    layer._nodes.append(node)
    out_shape = layer.compute_output_shape(shapes)
    several = isinstance(out_shape, list)
    shapes_out = out_shape if several else [out_shape]
    node.outputs = [SymbolicTensor(shape, node, index) for index, shape in enumerate(shapes_out)]
    return node.outputs if several else node.outputs[0]
