r"""One graph convolution worked out with numbers, forward and backward: a GCN layer and one GAT attention
coefficient, on a graph small enough to write down (issue 18).

GCN (Kipf & Welling), nodes i = 1..N, edges listed both ways:

    A_ij = 1 if j sends i an edge;  Ã = A + I;  D̃_ii = Σ_j Ã_ij;  Â = D̃^{-1/2} Ã D̃^{-1/2}
    H = X W;  y_i = Σ_{j ∈ N(i) ∪ {i}} Â_ij h_j  (node i's aggregated message);  L = loss(Y, T)

Backward, with G = ∂L/∂Y: a weight W_ab reaches output b of every node, through each of its neighbours, so
its gradient is one term per node i, each the node's aggregated input (ÂX)_ia times its upstream gradient:

    ∂L/∂W_ab = Σ_i G_ib (ÂX)_ia = Σ_i G_ib Σ_j Â_ij X_ja

GAT (Veličković et al.), one head: h = X W, for an edge j → i (self-loops added)

    s_ij = a_src · h_j + a_dst · h_i;   e_ij = LeakyReLU_{0.2}(s_ij);
    α_ij = e^{e_ij} / Σ_{k ∈ N(i)} e^{e_ik}
    y_i = Σ_k α_ik h_k;   ∂L/∂α_ik = G_i · h_k;   ∂L/∂e_ij = α_ij (∂L/∂α_ij - Σ_k α_ik ∂L/∂α_ik)

Every forward value comes from glassnet's own layers (``nn.GCNConv``, ``nn.GATConv``) and their ops (Â
from ``ops.adjacency.gcn_normalization``); the written-out gradients are checked against autograd through
those layers (the GAT's from a ``record()`` trace of the backward pass).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from glassnet.autograd.tensor import Tensor
from glassnet.explain.document import (
    ChecksAutograd,
    Document,
    Equation,
    Expr,
    ShowsDocument,
    Sym,
    Table,
    Text,
)
from glassnet.explain.recorder import record
from glassnet.nn import losses as losses_module
from glassnet.nn.layers.graph import GATConv, GCNConv
from glassnet.ops import adjacency

__all__ = ["GCNSolution", "GATSolution", "worked_gcn", "worked_gat"]

_SUB = str.maketrans("0123456789", "₀₁₂₃₄₅₆₇₈₉")


_LATEX = {"Â": r"\hat{A}", "α": r"\alpha"}


def _entry(name: str, *index) -> Sym:
    """X₁₂ / X_{12}: indices counted from 1 as the notes write them."""
    joined = "".join(str(i + 1) for i in index)
    return Sym(f"{name}{joined.translate(_SUB)}", f"{_LATEX.get(name, name)}_{{{joined}}}")


def _matrix(text: str, latex: str | None = None) -> Sym:
    return Sym(text, latex or text)


def _edges(edges, nodes: int, directed: bool) -> np.ndarray:
    """Pairs [[j, i], ...] (or a (2, E) array) as a checked edge_index, both ways unless ``directed``."""
    array = np.asarray(edges, dtype=np.int64)
    if array.ndim == 2 and array.shape[1] == 2 and array.shape[0] != 2:
        array = array.T
    if array.ndim != 2 or array.shape[0] != 2:
        raise ValueError(
            f"the edges must be pairs [[j, i], ...] (source, target) or a (2, E) array, "
            f"got shape {np.shape(edges)}"
        )
    if array.size and (array.min() < 0 or array.max() >= nodes):
        raise ValueError(
            f"the edges name nodes from {array.min()} to {array.max()}, but x has {nodes} "
            f"rows (nodes 0 to {nodes - 1})"
        )
    return array if directed else adjacency.to_undirected(array, nodes)[0]


def _checked(x, weight, target, owner: str):
    x, weight, target = (np.asarray(a, dtype=np.float64) for a in (x, weight, target))
    if x.ndim != 2 or weight.ndim != 2 or weight.shape[0] != x.shape[1]:
        raise ValueError(
            f"{owner} expects x (N, F) and weight (F, H); got x {x.shape}, weight {weight.shape}"
        )
    if target.shape != (x.shape[0], weight.shape[1]):
        raise ValueError(
            f"{owner}: target must have the output's shape {(x.shape[0], weight.shape[1])}, got "
            f"{target.shape}"
        )
    return x, weight, target


def _index(owner: str, name: str, value: int, size: int) -> int:
    if not isinstance(value, (int, np.integer)) or not 0 <= value < size:
        raise ValueError(f"{owner}: {name} must be an index in [0, {size}), got {value!r}")
    return int(value)


def _sum_of(factors_per_term) -> list:
    """Expr items: a·b + c·d + ... from lists of numbers."""
    items = []
    for k, factors in enumerate(factors_per_term):
        items += ["+"] if k else []
        for m, number in enumerate(factors):
            items += (["*"] if m else []) + [float(number)]
    return items


@dataclass
class GCNSolution(ShowsDocument, ChecksAutograd):
    """The worked GCN layer (``document``), Â, the output, and the chosen weight's gradient: one term per
    node (``terms``: (node, factors, term)), their sum, and autograd's value."""

    document: Document
    normalized: np.ndarray
    output: np.ndarray
    loss: float
    weight: tuple
    terms: list
    total: float
    autograd: float


def worked_gcn(x, edges, weight, target, grad_weight=(0, 0), directed: bool = False, loss="mse",
               precision: int = 6) -> GCNSolution:  # fmt: skip
    """Write out one GCN layer Y = Â X W on node features ``x`` (N, F) over ``edges`` (pairs [j, i], made
    undirected unless ``directed``), its ``loss`` against ``target`` (N, H), and the gradient of the weight
    W[``grad_weight``] (row, column, from 0) as a sum over the nodes.

    Example:
        >>> solution = worked_gcn([[1.0, 0.0], [0.0, 1.0], [1.0, 1.0]], [[0, 1], [1, 2]],
        ...                       [[0.5, -0.2], [0.1, 0.4]], target=[[0.0, 0.0]] * 3)
        >>> solution.discrepancy() < 1e-9
        True
    """
    x, weight, target = _checked(x, weight, target, "worked_gcn")
    nodes, outputs = x.shape[0], weight.shape[1]
    row, column = (_index("worked_gcn", name, value, size) for name, value, size in
                   (("the weight's row", grad_weight[0], x.shape[1]),
                    ("the weight's column", grad_weight[1], outputs)))  # fmt: skip
    edge_index = _edges(edges, nodes, directed)
    loss_fn = losses_module.get(loss)

    layer = GCNConv(outputs, use_bias=False, dtype="float64")
    layer.build((None, x.shape[1]))
    layer.weight.data[...] = weight
    output = layer(Tensor(x), edge_index)
    value = loss_fn(output, target)
    value.backward()
    autograd = float(layer.weight.grad[row, column])
    y = output.data

    a = np.zeros((nodes, nodes))
    np.add.at(a, (edge_index[1], edge_index[0]), 1.0)  # A_ij: j -> i
    rows, cols, values = adjacency.gcn_normalization(edge_index, nodes)
    normalized = np.zeros((nodes, nodes))
    np.add.at(normalized, (rows, cols), values)
    looped = np.where(np.eye(nodes, dtype=bool), 1.0, a)  # Ã: one self-loop per node
    degree = looped.sum(axis=1)
    h = x @ weight
    g = value_gradient(loss_fn, y, target)
    aggregated = normalized @ x  # (ÂX)_ia, the input that reaches W_ab at node i

    terms = []
    for i in range(nodes):
        neighbours = np.flatnonzero(normalized[i])
        inner = [(normalized[i, j], x[j, row]) for j in neighbours]
        terms.append((i, inner, float(g[i, column]), float(aggregated[i, row] * g[i, column])))
    total = float(sum(term for *_, term in terms))

    document = Document(
        f"One GCN layer on a graph of {nodes} nodes, {edge_index.shape[1]} directed edges",
        precision=precision,
    )
    section = document.section("The graph")
    section.add(
        Text(
            "A_ij = 1 when node j sends node i an edge (undirected: both ways); Ã = A + I gives each "
            "node a self-loop; D̃ counts the edges into each node, its own included."
        )
    )
    section.add(Equation(_matrix("A"), a))
    section.add(Equation(_matrix("Ã", r"\tilde{A}"), _matrix("A + I"), looped))
    degree_formula = _matrix("diag(Σ_j Ã_ij)", r"\mathrm{diag}(\sum_j \tilde{A}_{ij})")
    section.add(Equation(_matrix("D̃", r"\tilde{D}"), degree_formula, np.diag(degree)))
    section.add(
        Equation(
            _matrix("Â", r"\hat{A}"),
            _matrix("D̃^-1/2 Ã D̃^-1/2", r"\tilde{D}^{-1/2} \tilde{A} \tilde{D}^{-1/2}"),
            normalized,
        )
    )
    section.add(Text("each entry Â_ij = 1/√(d̃_i d̃_j) for a neighbour j of i (or i itself), 0 elsewhere"))
    for i, j in (
        (0, 0),
        tuple(int(k) for k in np.argwhere((normalized > 0) & ~np.eye(nodes, dtype=bool))[0]),
    ):
        section.add(
            Equation(
                _entry("Â", i, j),
                Expr([Sym("1/√", r"1/\sqrt"), "(", float(degree[i]), "*", float(degree[j]), ")"]),
                normalized[i, j],
            )
        )
    section = document.section("Features, weights and each node's message")
    section.add(Table(["matrix", "value"], [["X", x], ["W", weight], ["T (target)", target]]))
    section.add(Equation(_matrix("H"), _matrix("X W"), h))
    for i in range(nodes):
        neighbours = np.flatnonzero(normalized[i])
        items = []
        for k, j in enumerate(neighbours):
            items += (["+"] if k else []) + [float(normalized[i, j]), "*", _entry("h", j)]
        section.add(Equation(_entry("y", i), Expr(items), y[i]))
    section.add(Text("y_i = Σ_j Â_ij h_j: node i's aggregated message, the layer's output row i"))
    section.add(Equation(_matrix("Y"), _matrix("Â X W", r"\hat{A} X W"), y))
    section.add(
        Equation(_matrix("L"), _matrix(f"{loss}(Y, T)", rf"\mathrm{{{loss}}}(Y, T)"), float(value.item()))
    )

    section = document.section("Backward")
    section.add(Equation(_matrix("G"), _matrix("∂L/∂Y", r"\frac{\partial L}{\partial Y}"), g))
    name = f"W[{row + 1},{column + 1}]"
    section = document.section(f"∂L/∂{name}: one term per node it reaches")
    section.add(
        Text(
            f"{name} reaches output {column + 1} of every node i through (ÂX)_i{row + 1} = Σ_j Â_ij "
            f"X_j{row + 1}, the node's neighbours' feature {row + 1}, normalized"
        )
    )
    table = []
    for i, inner, upstream, term in terms:
        table.append([_entry("y", i), Expr(_sum_of(inner)), float(aggregated[i, row]), upstream, term])
    section.add(
        Table(["node", f"(ÂX)_i{row + 1} = Σ_j Â_ij X_j{row + 1}", "(ÂX)", f"G_i{column + 1}", "term"], table)
    )
    lhs = Sym(f"∂L/∂{name}", rf"\frac{{\partial L}}{{\partial W_{{{row + 1}{column + 1}}}}}")
    section.add(
        Equation(
            lhs,
            Sym(
                f"Σ_i G_i{column + 1} (ÂX)_i{row + 1}",
                rf"\sum_i G_{{i{column + 1}}} (\hat{{A}}X)_{{i{row + 1}}}",
            ),
            total,
        )
    )
    section.add(Table(["", "value"], [["Σ of the terms", total], ["autograd", autograd],
                                      ["difference", abs(total - autograd)]]))  # fmt: skip
    return GCNSolution(document, normalized, y, float(value.item()), (row, column), terms, total, autograd)


def value_gradient(loss_fn, prediction: np.ndarray, target: np.ndarray) -> np.ndarray:
    """∂L/∂prediction by glassnet's own backward through the loss."""
    leaf = Tensor(prediction.copy(), requires_grad=True)
    loss_fn(leaf, target).backward()
    return leaf.grad.copy()


@dataclass
class GATSolution(ShowsDocument):
    """The worked attention coefficient α_ij (``document``), its value, ∂L/∂α_ij and ∂L/∂e_ij written out,
    and autograd's values of both."""

    document: Document
    alpha: float
    grad_alpha: float
    grad_score: float
    autograd_alpha: float
    autograd_score: float

    def discrepancy(self) -> float:
        return max(abs(self.grad_alpha - self.autograd_alpha), abs(self.grad_score - self.autograd_score))


def worked_gat(x, edges, weight, attention_source, attention_target, target, node: int = 0,
               neighbour: int | None = None, directed: bool = False, negative_slope: float = 0.2, loss="mse",
               precision: int = 6) -> GATSolution:  # fmt: skip
    """Write out the attention coefficient α of the edge ``neighbour`` → ``node`` in one GAT head
    (``weight`` (F, H), ``attention_source`` and ``attention_target`` (H,)) on ``x`` (N, F) over ``edges``,
    the softmax over the node's neighbourhood (itself included), its output, and the gradients of the
    ``loss`` against ``target`` (N, H) with respect to α and to its score e.

    Example:
        >>> solution = worked_gat([[1.0, 0.0], [0.0, 1.0], [1.0, 1.0]], [[0, 1], [1, 2]],
        ...                       [[0.5, -0.2], [0.1, 0.4]], [0.3, -0.7], [0.6, 0.2], [[0.0, 0.0]] * 3,
        ...                       node=1, neighbour=2)
        >>> solution.discrepancy() < 1e-9
        True
    """
    x, weight, target = _checked(x, weight, target, "worked_gat")
    nodes, units = x.shape[0], weight.shape[1]
    node = _index("worked_gat", "node", node, nodes)
    vectors = [np.asarray(v, dtype=np.float64).reshape(-1) for v in (attention_source, attention_target)]
    if any(v.shape != (units,) for v in vectors):
        raise ValueError(
            f"worked_gat: attention_source and attention_target need {units} values each, got "
            f"{vectors[0].shape} and {vectors[1].shape}"
        )
    edge_index = _edges(edges, nodes, directed)
    loss_fn = losses_module.get(loss)

    layer = GATConv(units, heads=1, negative_slope=negative_slope, use_bias=False, dtype="float64")
    layer.build((None, x.shape[1]))
    layer.weight.data[...] = weight
    layer.attention_source.data[...] = vectors[0]
    layer.attention_target.data[...] = vectors[1]
    with record() as trace:
        output = layer(Tensor(x), edge_index)
        value = loss_fn(output, target)
        value.backward()
    ops = {op.name: op for op in trace.ops}
    looped, _ = adjacency.add_remaining_self_loops(edge_index, nodes)  # the layer's edges, in its order
    into = np.flatnonzero(looped[1] == node)  # the edges k -> node, in the order of k
    into = into[np.argsort(looped[0, into], kind="stable")]
    sources = looped[0, into]
    neighbour = node if neighbour is None else _index("worked_gat", "neighbour", neighbour, nodes)
    if neighbour not in sources:
        raise ValueError(
            f"worked_gat: node {neighbour} sends no edge to node {node}; its neighbours (itself "
            f"included): {sources.tolist()}"
        )
    position = int(np.flatnonzero(sources == neighbour)[0])
    h = x @ weight
    scores = ops["leaky_relu"].inputs[0].reshape(-1)[into]
    e = ops["leaky_relu"].output.reshape(-1)[into]
    alpha = ops["segment_softmax"].output.reshape(-1)[into]
    autograd_score = float(ops["leaky_relu"].grad_output.reshape(-1)[into][position])
    autograd_alpha = float(ops["segment_softmax"].grad_output.reshape(-1)[into][position])
    y = output.data
    g = value_gradient(loss_fn, y, target)
    grad_alphas = np.array([g[node] @ h[k] for k in sources])
    weighted = float(alpha @ grad_alphas)
    grad_alpha = float(grad_alphas[position])
    grad_score = float(alpha[position] * (grad_alpha - weighted))

    i, j = node, neighbour
    document = Document(
        f"One GAT attention coefficient: α from node {j + 1} to node {i + 1}", precision=precision
    )
    section = document.section("Features, weights and the neighbourhood")
    section.add(Table(["matrix", "value"], [["X", x], ["W", weight], ["a_src", vectors[0]],
                                            ["a_dst", vectors[1]], ["T (target)", target]]))  # fmt: skip
    section.add(Equation(_matrix("H"), _matrix("X W"), h))
    section.add(
        Text(
            f"node {i + 1} attends over N({i + 1}) = {{{', '.join(str(k + 1) for k in sources)}}}: "
            "the nodes that send it an edge, itself included (a self-loop is added)"
        )
    )
    section = document.section("Scores e_ik = LeakyReLU(a_src · h_k + a_dst · h_i)")
    for k, s, ek in zip(sources, scores, e):
        items = _sum_of(zip(vectors[0], h[k])) + ["+"] + _sum_of(zip(vectors[1], h[i]))
        section.add(Equation(_entry("s", i, k), Expr(items), float(s)))
        branch = [float(s)] if s > 0 else [negative_slope, "*", float(s)]
        score = _entry("s", i, k)
        activation = Sym(f"LeakyReLU({score.text})", rf"\mathrm{{LeakyReLU}}({score.latex})")
        section.add(Equation(_entry("e", i, k), activation, Expr(branch), float(ek)))
    section.add(Text(f"LeakyReLU(s) = s if s > 0 else {negative_slope}·s"))
    section = document.section(f"Softmax over N({i + 1})")
    exps = np.exp(e - e.max())
    for k, a in zip(sources, alpha):
        section.add(
            Equation(
                _entry("α", i, k),
                Expr([float(np.exp(e[list(sources).index(k)] - e.max())), "/", float(exps.sum())]),
                float(a),
            )
        )
    section.add(Text("α_ik = e^(e_ik - max) / Σ_k' e^(e_ik' - max): the weights sum to 1"))
    items = []
    for m, (k, a) in enumerate(zip(sources, alpha)):
        items += (["+"] if m else []) + [float(a), "*", _entry("h", k)]
    section.add(Equation(_entry("y", i), Expr(items), y[i]))
    section.add(
        Equation(_matrix("L"), _matrix(f"{loss}(Y, T)", rf"\mathrm{{{loss}}}(Y, T)"), float(value.item()))
    )

    section = document.section(f"The gradient of α{str(i + 1).translate(_SUB)}{str(j + 1).translate(_SUB)}")
    section.add(
        Equation(
            _entry("G", i),
            _matrix(f"∂L/∂y{str(i + 1).translate(_SUB)}", rf"\frac{{\partial L}}{{\partial y_{{{i + 1}}}}}"),
            g[i],
        )
    )
    rows = [
        [_entry("α", i, k), float(a), Expr(_sum_of(zip(g[i], h[k]))), float(d)]
        for k, a, d in zip(sources, alpha, grad_alphas)
    ]
    section.add(Table(["coefficient", "value", "∂L/∂α = G_i · h_k", "∂L/∂α"], rows))
    lhs = Sym(
        f"∂L/∂e{str(i + 1).translate(_SUB)}{str(j + 1).translate(_SUB)}",
        rf"\frac{{\partial L}}{{\partial e_{{{i + 1}{j + 1}}}}}",
    )
    section.add(
        Equation(
            lhs,
            Sym(
                "α_ij (∂L/∂α_ij - Σ_k α_ik ∂L/∂α_ik)",
                r"\alpha_{ij} (\frac{\partial L}{\partial \alpha_{ij}} - \sum_k \alpha_{ik} "
                r"\frac{\partial L}{\partial \alpha_{ik}})",
            ),
            Expr([float(alpha[position]), "*", "(", grad_alpha, "-", weighted, ")"]),
            grad_score,
        )
    )
    section.add(Text("the softmax's Jacobian: raising one score takes weight from every other neighbour"))
    section.add(
        Table(
            ["", "written out", "autograd", "difference"],
            [
                ["∂L/∂α", grad_alpha, autograd_alpha, abs(grad_alpha - autograd_alpha)],
                ["∂L/∂e", grad_score, autograd_score, abs(grad_score - autograd_score)],
            ],
        )
    )
    return GATSolution(
        document, float(alpha[position]), grad_alpha, grad_score, autograd_alpha, autograd_score
    )
