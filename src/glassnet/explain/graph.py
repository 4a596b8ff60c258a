"""The computation graph of a tensor, drawn: DOT (Graphviz) and Mermaid text, and PNG/SVG through ``dot``.

One node per tensor: a leaf (an input or a parameter) shows its name, an op's output the op's name; each
node also shows its shape, its value and, where known, its gradient dL/d(node). An edge goes from each
input of an op to its output, so the picture reads as the forward pass, left to right.

Gradients come from two places: a tensor's ``.grad`` (leaves after ``backward``, and intermediates that
called ``retain_grad()``), and a ``record()`` trace of the backward pass, which keeps dL/d(output) of every
op, so that every node of the graph gets its gradient:

    >>> import glassnet as gn
    >>> from glassnet.explain import record
    >>> x = gn.tensor(0.5, dtype="float64", requires_grad=True)
    >>> with record() as trace:
    ...     y = (x * x).sigmoid()
    ...     y.backward()
    >>> print(to_mermaid(y, trace=trace, names={"x": x}, precision=3))
    flowchart LR
      n0(["x<br/>shape ()<br/>value 0.5<br/>grad 0.246"])
      n1["mul<br/>shape ()<br/>value 0.25<br/>grad 0.246"]
      n2["sigmoid<br/>shape ()<br/>value 0.562<br/>grad 1"]
      n0 --> n1
      n0 --> n1
      n1 --> n2

(x feeds ``mul`` twice, as a and as b: two edges; its gradient 2x·σ'(x²) = 1 · 0.246 sums both paths.)
``render_graph(y, "graph.svg")`` writes the picture when Graphviz's ``dot`` program is installed.
"""

from __future__ import annotations

import shutil
import subprocess
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from glassnet.autograd.engine import topological_order
from glassnet.autograd.tensor import Tensor
from glassnet.explain.document import format_number

__all__ = ["Graph", "GraphNode", "computation_graph", "to_dot", "to_mermaid", "render_graph"]


@dataclass
class GraphNode:
    """One tensor of the graph.

    Attributes:
        id: "n0", "n1", ... in topological order (inputs before the ops that use them).
        label: the op's name, or the leaf's name ("input" for an unnamed leaf, "constant" for a number or
            array an op took that is not a tensor, such as the 2 of x ** 2 or the targets of a loss).
        is_leaf: not made by an op (an input, a parameter, a constant).
        shape, value, grad: the tensor's shape, a copy of its value, and dL/d(tensor) where known (else None).
        tensor: the tensor itself (None for a constant).
    """

    id: str
    label: str
    is_leaf: bool
    shape: tuple
    value: np.ndarray
    grad: np.ndarray | None
    tensor: object = field(repr=False)


@dataclass
class Graph:
    """Nodes in topological order, the root (the tensor drawn) last; edges as (input id, output id) pairs,
    one per input of each op, in the op's order of inputs."""

    nodes: list
    edges: list

    @property
    def root(self) -> GraphNode:
        return self.nodes[-1]

    def node(self, label: str) -> GraphNode:
        """The first node with this label."""
        for node in self.nodes:
            if node.label == label:
                return node
        raise KeyError(f"no node labelled {label!r}; labels: {', '.join(n.label for n in self.nodes)}")


def computation_graph(tensor, trace=None, names=None) -> Graph:
    """The graph below ``tensor`` as data: nodes (with values and gradients) and edges.

    Args:
        tensor: the tensor to draw (usually a scalar loss).
        trace: a ``record()`` trace that saw the forward and backward passes, for the gradients of
            intermediate tensors (without it only ``.grad`` is shown: leaves, and retained intermediates).
        names: {name: tensor} for labels of your own ("x", "w", "z"); leaves are otherwise labelled with
            their ``name`` (parameters have one) or "input".

    Returns:
        A ``Graph``.
    """
    if not isinstance(tensor, Tensor):
        raise TypeError(f"computation_graph expects a Tensor, got {type(tensor).__name__}")
    given = {id(t): name for name, t in (names or {}).items()}
    recorded = {id(op.output_tensor): op for op in trace.ops} if trace is not None else {}
    ids, nodes, edges = {}, [], []

    def add(label, is_leaf, value, grad, t):
        node_id = f"n{len(nodes)}"
        value = np.array(value, copy=True)
        grad = None if grad is None else np.array(grad, copy=True)
        nodes.append(GraphNode(node_id, label, is_leaf, tuple(value.shape), value, grad, t))
        return node_id

    for t in topological_order(tensor, every_input=True):
        fn = t._ctx
        sources = []
        for value in fn.inputs if fn is not None else ():
            if isinstance(value, Tensor):
                sources.append(ids[id(value)])
            elif value is not None:  # a constant operand (a number, targets, labels): a node of its own
                sources.append(add("constant", True, value, None, None))
        if id(t) in given:
            label = given[id(t)]
        else:
            label = fn.name if fn is not None else t.name or "input"
        grad = t.grad
        if grad is None and id(t) in recorded:
            grad = recorded[id(t)].grad_output
        ids[id(t)] = add(label, fn is None, t.data, grad, t)
        edges += [(source, ids[id(t)]) for source in sources]
    return Graph(nodes, edges)


def _format_array(array, precision: int, max_elements: int) -> str:
    array = np.asarray(array)
    if array.ndim == 0:
        return format_number(array.item(), precision)
    if array.size > max_elements:
        return f"({array.size} values, mean {format_number(array.mean(), precision)})"
    if array.ndim == 1:
        return "[" + ", ".join(format_number(v, precision) for v in array) + "]"
    rows = array.reshape(array.shape[0], -1)
    return "[" + "; ".join(", ".join(format_number(v, precision) for v in row) for row in rows) + "]"


def _lines(node: GraphNode, precision: int, max_elements: int) -> list:
    shape = "(" + ", ".join(str(d) for d in node.shape) + ("," if len(node.shape) == 1 else "") + ")"
    lines = [node.label, f"shape {shape}", f"value {_format_array(node.value, precision, max_elements)}"]
    if node.grad is not None:
        lines.append(f"grad {_format_array(node.grad, precision, max_elements)}")
    return lines


def to_dot(tensor, trace=None, names=None, precision: int = 4, max_elements: int = 6) -> str:
    """The graph below ``tensor`` in Graphviz's DOT language (paste it into any Graphviz viewer).

    Leaves are ellipses, op outputs boxes, the root drawn with a double border. Arguments as in
    ``computation_graph``; ``precision`` digits after the point; arrays of more than ``max_elements``
    values are summarised by their mean.

    Example:
        >>> import glassnet as gn
        >>> x = gn.tensor([1.0, -2.0], requires_grad=True)
        >>> print(to_dot(x.relu(), names={"x": x}))
        digraph computation {
          rankdir=LR;
          node [fontname="Helvetica", fontsize=10];
          n0 [shape=ellipse, label="x\\nshape (2,)\\nvalue [1, -2]"];
          n1 [shape=box, peripheries=2, label="relu\\nshape (2,)\\nvalue [1, 0]"];
          n0 -> n1;
        }
    """
    graph = computation_graph(tensor, trace, names)
    lines = ["digraph computation {", "  rankdir=LR;", '  node [fontname="Helvetica", fontsize=10];']
    for node in graph.nodes:
        text = "\\n".join(
            line.replace("\\", "\\\\").replace('"', '\\"') for line in _lines(node, precision, max_elements)
        )
        shape = "shape=ellipse" if node.is_leaf else "shape=box"
        if node is graph.root:
            shape += ", peripheries=2"
        lines.append(f'  {node.id} [{shape}, label="{text}"];')
    lines += [f"  {source} -> {target};" for source, target in graph.edges]
    lines.append("}")
    return "\n".join(lines)


def to_mermaid(tensor, trace=None, names=None, precision: int = 4, max_elements: int = 6) -> str:
    """The graph below ``tensor`` as a Mermaid flowchart (GitHub, GitLab and many editors draw it).

    Leaves are stadium-shaped (``(["..."])``), op outputs rectangles (``["..."]``). Arguments as in
    ``to_dot``.
    """
    graph = computation_graph(tensor, trace, names)
    lines = ["flowchart LR"]
    for node in graph.nodes:
        text = "<br/>".join(line.replace('"', "#quot;") for line in _lines(node, precision, max_elements))
        lines.append(f'  {node.id}(["{text}"])' if node.is_leaf else f'  {node.id}["{text}"]')
    lines += [f"  {source} --> {target}" for source, target in graph.edges]
    return "\n".join(lines)


def render_graph(tensor, path, trace=None, names=None, precision: int = 4, max_elements: int = 6) -> Path:
    """Draw the graph below ``tensor`` into ``path`` with Graphviz's ``dot``; the format comes from the
    suffix (.png, .svg, .pdf). Arguments as in ``to_dot``.

    Raises:
        RuntimeError: when the ``dot`` program is not installed (or fails), saying how to get it.
    """
    path = Path(path)
    image_format = path.suffix.lstrip(".").lower()
    if not image_format:
        raise ValueError(f"render_graph needs a file suffix for the format (.png, .svg, .pdf), got {path}")
    dot = shutil.which("dot")
    if dot is None:
        raise RuntimeError(
            "render_graph needs Graphviz's `dot` program, which is not on the PATH: install Graphviz "
            "(apt-get install graphviz, brew install graphviz, conda install graphviz), or use to_dot() "
            "or to_mermaid() for the graph as text"
        )
    path.parent.mkdir(parents=True, exist_ok=True)
    source = to_dot(tensor, trace, names, precision, max_elements)
    finished = subprocess.run(
        [dot, f"-T{image_format}", "-o", str(path)], input=source, capture_output=True, text=True, check=False
    )
    if finished.returncode != 0:
        raise RuntimeError(f"dot could not write {path} (format {image_format!r}): {finished.stderr.strip()}")
    return path
