r"""Graph layers: GCN, GraphSAGE and GAT convolutions, and global pooling for graph-level readout.

A graph convolution takes node features ``x`` (N, F) and ``edge_index`` (2, E) (row 0 the source j, row 1
the target i, as in PyTorch Geometric and ``data.Graph``) and returns new node features (N, units): each
node mixes its own features with those of the nodes that send it an edge. They are built from the
message-passing ops (``ops.graph``): gather the sources' rows, reduce them into the targets.

A model calls them on a graph's arrays: ``conv(graph.x, graph.edge_index)``; ``fit`` hands the model the
whole ``Graph`` (see ``glassnet.train.graph``). Weights are (inputs, outputs) as in ``Dense``; PyTorch
Geometric's ``Linear`` stores the transpose.
"""

from __future__ import annotations

import numpy as np

from glassnet.autograd import Tensor
from glassnet.nn import initializers, regularizers
from glassnet.nn.module import Module
from glassnet.nn.serialization import serialize
from glassnet.ops import adjacency, graph
from glassnet.ops.activation import leaky_relu
from glassnet.ops.dropout import dropout
from glassnet.ops.linalg import matmul

__all__ = ["GCNConv", "SAGEConv", "GATConv", "GlobalSumPool", "GlobalMeanPool", "GlobalMaxPool"]


def _edges(layer, edge_index, num_nodes: int):
    """``edge_index`` as a checked (2, E) integer array of node numbers below ``num_nodes``."""
    edges = edge_index.data if isinstance(edge_index, Tensor) else np.asarray(edge_index)
    if edges.ndim != 2 or edges.shape[0] != 2 or (edges.size and edges.dtype.kind not in "iu"):
        raise ValueError(f"{type(layer).__name__} '{layer.name}' expects edge_index of shape (2, E) "
                         f"holding integers, got {edges.dtype} {edges.shape}")
    if edges.size and (edges.min() < 0 or edges.max() >= num_nodes):
        raise ValueError(f"{type(layer).__name__} '{layer.name}': edge_index holds node numbers from "
                         f"{edges.min()} to {edges.max()}, but x has {num_nodes} nodes")
    return edges


class _GraphConv(Module):
    """What the convolutions share: units, initializers, regularizer, config and the input check."""

    def __init__(self, units: int, use_bias=True, weight_init="xavier_uniform", bias_init="zeros",
                 weight_regularizer=None, name=None, dtype=None):
        super().__init__(name=name, dtype=dtype)
        if not isinstance(units, int) or units < 1:
            raise ValueError(f"{type(self).__name__}: units must be a positive integer, got {units!r}")
        self.units, self.use_bias = units, use_bias
        self.weight_init = weight_init if isinstance(weight_init, str) else initializers.get(weight_init)
        self.bias_init = bias_init if isinstance(bias_init, str) else initializers.get(bias_init)
        self.weight_regularizer = regularizers.get(weight_regularizer)

    def _inputs(self, input_shape) -> int:
        if input_shape is None or len(input_shape) != 2 or input_shape[-1] is None:
            raise ValueError(f"{type(self).__name__} '{self.name}' needs node features (N, F), "
                             f"got {input_shape}")
        return int(input_shape[-1])

    def _bias(self, size: int) -> None:
        if self.use_bias:
            self.add_weight("bias", (size,), self.bias_init)
        else:
            self.bias = None

    def _add_bias(self, out):
        return out if self.bias is None else out + self.bias

    def compute_output_shape(self, input_shape):
        return (input_shape[0], self.units)

    def get_config(self):
        return {
            **super().get_config(),
            "units": self.units,
            "use_bias": self.use_bias,
            "weight_init": serialize(self.weight_init),
            "bias_init": serialize(self.bias_init),
            "weight_regularizer": serialize(self.weight_regularizer),
        }


class GCNConv(_GraphConv):
    r"""Graph convolution (Kipf & Welling, 2017): each node's new features are the normalized sum of its
    neighbours' (and its own) transformed features.

        X' = D̃^{-1/2} Ã D̃^{-1/2} X W + b,   x'_i = Σ_{j ∈ N(i) ∪ {i}} w_ji / sqrt(d̃_j d̃_i) · x_j W + b

    with Ã = A + I (``add_self_loops``) and d̃_i = Σ_j Ã_ij the weighted in-degree (``ops.adjacency``).
    Without ``normalize`` the edges' weights are used as they are: x'_i = Σ_{j → i} w_ji x_j W + b (and no
    self-loops are added, as in PyTorch Geometric).

    Args:
        units: output features per node.
        add_self_loops: Ã = A + I (each node keeps its own features).
        normalize: the symmetric normalization D̃^{-1/2} Ã D̃^{-1/2}.
        use_bias, weight_init ("xavier_uniform": Glorot, as the paper and PyTorch Geometric),
            bias_init, weight_regularizer, name, dtype: as for ``Dense``.

    Shape:
        x (N, F), edge_index (2, E), edge_weight (E,) optional -> (N, units)

    Example:
        >>> import glassnet as gn
        >>> conv = GCNConv(2)
        >>> conv(gn.ones(3, 4), [[0, 1], [1, 2]]).shape
        (3, 2)
    """

    def __init__(self, units: int, add_self_loops: bool = True, normalize: bool = True, **kwargs):
        super().__init__(units, **kwargs)
        self.add_self_loops, self.normalize = add_self_loops, normalize

    def build(self, input_shape):
        self.add_weight("weight", (self._inputs(input_shape), self.units), self.weight_init,
                        regularizer=self.weight_regularizer)
        self._bias(self.units)
        super().build(input_shape)

    def call(self, x, edge_index, edge_weight=None):
        nodes = x.shape[0]
        edges = _edges(self, edge_index, nodes)
        weight = None if edge_weight is None else np.asarray(getattr(edge_weight, "data", edge_weight))
        if self.normalize:
            rows, cols, values = adjacency.gcn_normalization(edges, nodes, weight, self.add_self_loops,
                                                             dtype=x.dtype)
        else:
            values = np.ones(edges.shape[1], dtype=x.dtype) if weight is None else weight
            rows, cols = edges[1], edges[0]
        return self._add_bias(graph.sparse_matmul(rows, cols, values.astype(x.dtype), matmul(x, self.weight),
                                                  nodes))

    def get_config(self):
        return {**super().get_config(), "add_self_loops": self.add_self_loops, "normalize": self.normalize}


class SAGEConv(_GraphConv):
    r"""GraphSAGE (Hamilton, Ying & Leskovec, 2017) with the mean aggregator and a root weight: a node's
    own features and the mean of its neighbours' get separate weights.

        x'_i = W_r x_i + W_l · mean_{j → i} x_j + b

    (``aggregator`` "sum" or "max" replaces the mean). A node with no incoming edge aggregates 0.

    Args:
        units: output features per node.
        aggregator: "mean" (the paper's), "sum" or "max".
        root_weight: add W_r x_i (without it, only the neighbours count).
        use_bias, weight_init, bias_init, weight_regularizer, name, dtype: as for ``Dense``.

    Shape:
        x (N, F), edge_index (2, E) -> (N, units)
    """

    def __init__(self, units: int, aggregator: str = "mean", root_weight: bool = True, **kwargs):
        super().__init__(units, **kwargs)
        if aggregator not in ("mean", "sum", "max"):
            raise ValueError(f"SAGEConv: aggregator must be 'mean', 'sum' or 'max', got {aggregator!r}")
        self.aggregator, self.root_weight = aggregator, root_weight

    def build(self, input_shape):
        inputs = self._inputs(input_shape)
        self.add_weight("neighbor_weight", (inputs, self.units), self.weight_init,
                        regularizer=self.weight_regularizer)
        if self.root_weight:
            self.add_weight("self_weight", (inputs, self.units), self.weight_init,
                            regularizer=self.weight_regularizer)
        self._bias(self.units)
        super().build(input_shape)

    def call(self, x, edge_index):
        nodes = x.shape[0]
        edges = _edges(self, edge_index, nodes)
        reduce = getattr(graph, f"scatter_{self.aggregator}")
        aggregated = reduce(graph.gather_rows(x, edges[0]), edges[1], nodes)
        out = self._add_bias(matmul(aggregated, self.neighbor_weight))
        return out + matmul(x, self.self_weight) if self.root_weight else out

    def get_config(self):
        return {**super().get_config(), "aggregator": self.aggregator, "root_weight": self.root_weight}


class GATConv(_GraphConv):
    r"""Graph attention (Veličković et al., 2018): each node attends over its incoming edges, with
    ``heads`` independent attentions whose outputs are concatenated (or averaged).

        h_i = x_i W  (per head k: (N, units)),   e_ji = LeakyReLU_{0.2}(a_src · h_j + a_dst · h_i)
        α_ji = softmax over the edges into i of e_ji,   x'_i = ‖_k Σ_{j → i} α^k_ji h^k_j + b

    (‖ concatenation, or the mean over k with ``concat=False``). Self-loops are added first (each node
    attends to itself); the attention dropout zeroes α in training.

    Args:
        units: output features per head.
        heads: independent attention heads.
        concat: concatenate the heads (units · heads outputs) or average them (units outputs).
        negative_slope: the LeakyReLU's slope (0.2, the paper's).
        dropout: the attention coefficients' dropout rate in training (0.6 in the paper on Cora).
        add_self_loops: attend to the node itself.
        use_bias, weight_init, bias_init, weight_regularizer, name, dtype: as for ``Dense``.

    Shape:
        x (N, F), edge_index (2, E) -> (N, units · heads) or (N, units)
    """

    def __init__(self, units: int, heads: int = 1, concat: bool = True, negative_slope: float = 0.2,
                 dropout: float = 0.0, add_self_loops: bool = True, **kwargs):
        super().__init__(units, **kwargs)
        if not isinstance(heads, int) or heads < 1:
            raise ValueError(f"GATConv: heads must be a positive integer, got {heads!r}")
        if not 0 <= dropout < 1:
            raise ValueError(f"GATConv: dropout must be in [0, 1), got {dropout}")
        self.heads, self.concat, self.negative_slope = heads, concat, negative_slope
        self.dropout, self.add_self_loops = dropout, add_self_loops

    def build(self, input_shape):
        inputs = self._inputs(input_shape)
        self.add_weight("weight", (inputs, self.heads * self.units), self.weight_init,
                        regularizer=self.weight_regularizer)
        self.add_weight("attention_source", (self.heads, self.units), self.weight_init)
        self.add_weight("attention_target", (self.heads, self.units), self.weight_init)
        self._bias(self.heads * self.units if self.concat else self.units)
        super().build(input_shape)

    def call(self, x, edge_index):
        nodes, heads, units = x.shape[0], self.heads, self.units
        edges = _edges(self, edge_index, nodes)
        if self.add_self_loops:
            edges, _ = adjacency.add_remaining_self_loops(edges, nodes)  # one loop per node, old ones out
        sources, targets = edges[0], edges[1]
        h = matmul(x, self.weight)  # (N, heads · units)
        per_head = h.reshape((nodes, heads, units))
        score_source = (per_head * self.attention_source).sum(axis=-1)  # (N, heads)
        score_target = (per_head * self.attention_target).sum(axis=-1)
        scores = graph.gather_rows(score_source, sources) + graph.gather_rows(score_target, targets)
        alpha = graph.segment_softmax(leaky_relu(scores, self.negative_slope), targets, nodes)
        alpha = dropout(alpha, self.dropout, self.training)
        messages = graph.gather_rows(h, sources).reshape((-1, heads, units)) * alpha.reshape((-1, heads, 1))
        out = graph.scatter_sum(messages, targets, nodes)  # (N, heads, units)
        out = out.reshape((nodes, heads * units)) if self.concat else out.mean(axis=1)
        return self._add_bias(out)

    def compute_output_shape(self, input_shape):
        return (input_shape[0], self.units * self.heads if self.concat else self.units)

    def get_config(self):
        return {
            **super().get_config(),
            "heads": self.heads,
            "concat": self.concat,
            "negative_slope": self.negative_slope,
            "dropout": self.dropout,
            "add_self_loops": self.add_self_loops,
        }


class _GlobalPool(Module):
    """Readout: one row per graph from the rows of its nodes, by ``batch`` (N,) (None: one graph)."""

    reduce = "sum"

    def call(self, x, batch=None, num_graphs=None):
        if batch is None:
            batch, num_graphs = np.zeros(x.shape[0], dtype=np.int64), 1
        batch = np.asarray(getattr(batch, "data", batch))
        if batch.shape != (x.shape[0],):
            raise ValueError(f"{type(self).__name__} '{self.name}' expects batch of shape ({x.shape[0]},), "
                             f"one graph number per node, got {batch.shape}")
        count = int(batch.max()) + 1 if num_graphs is None else int(num_graphs)
        return getattr(graph, f"scatter_{self.reduce}")(x, batch, count)

    def compute_output_shape(self, input_shape):
        return (None,) + tuple(input_shape[1:])


class GlobalSumPool(_GlobalPool):
    """y_g = Σ_{i in graph g} x_i (PyTorch Geometric's ``global_add_pool``).

    Shape: x (N, F), batch (N,) -> (graphs, F)"""

    reduce = "sum"


class GlobalMeanPool(_GlobalPool):
    """y_g = (1/n_g) Σ_{i in graph g} x_i (``global_mean_pool``).

    Shape: x (N, F), batch (N,) -> (graphs, F)"""

    reduce = "mean"


class GlobalMaxPool(_GlobalPool):
    """y_g = max_{i in graph g} x_i, feature by feature (``global_max_pool``).

    Shape: x (N, F), batch (N,) -> (graphs, F)"""

    reduce = "max"
