"""Graphs as arrays: ``Graph`` (nodes, edges, labels, masks), batching small graphs into one, and the
loader that hands a graph to ``fit``.

The layout is PyTorch Geometric's, so that its users feel at home and its results can be compared:
``x`` (N, F) node features, ``edge_index`` (2, E) integer edges with row 0 the source j and row 1 the target
i (a message flows j -> i; an undirected graph lists both directions), ``edge_weight`` (E,) optional,
``y`` labels (one per node, or one per graph), boolean ``train_mask``, ``val_mask``, ``test_mask`` (N,).
Several graphs batched into one are a single graph of disconnected parts plus a ``batch`` vector (N,)
naming each node's graph; graph-level pooling reduces over it.
"""

from __future__ import annotations

import numpy as np

from glassnet.autograd import Tensor
from glassnet.backend import get_rng
from glassnet.ops import adjacency

__all__ = ["Graph", "batch_graphs", "GraphLoader", "MASKS"]

MASKS = ("train_mask", "val_mask", "test_mask")


def _array(value):
    return value.data if isinstance(value, Tensor) else np.asarray(value)


class Graph:
    """A graph: node features, edges, optional edge weights, labels and masks, checked once here.

    Args:
        x: node features (N, F), or None for a graph without features (then give ``num_nodes``).
        edge_index: integer array (2, E): sources in row 0, targets in row 1, each in [0, N).
        edge_weight: (E,) weights of the edges, or None (every edge weighs 1).
        y: labels: (N, ...) one per node, or for a graph-level label a scalar (or one per graph, with
            ``batch``).
        train_mask, val_mask, test_mask: boolean (N,) arrays selecting nodes.
        num_nodes: N when there is no ``x``.
        batch: (N,) the graph each node belongs to, for several graphs batched into one.

    Example:
        >>> g = Graph(np.eye(3), [[0, 1, 1, 2], [1, 0, 2, 1]], y=[0, 1, 1])
        >>> g.num_nodes, g.num_edges, g.add_self_loops().num_edges
        (3, 4, 7)
    """

    def __init__(self, x=None, edge_index=None, edge_weight=None, y=None, train_mask=None, val_mask=None,
                 test_mask=None, num_nodes=None, batch=None):
        self.x = None if x is None else _array(x)
        edges = np.zeros((2, 0), dtype=np.int64) if edge_index is None else _array(edge_index)
        if edges.ndim != 2 or edges.shape[0] != 2:
            raise ValueError(f"Graph: edge_index must have shape (2, E), got {edges.shape}")
        if edges.size and edges.dtype.kind not in "iu":
            raise ValueError(f"Graph: edge_index must hold integer node numbers, got dtype {edges.dtype}")
        self.edge_index = edges.astype(np.int64, copy=False)
        if self.x is not None:
            if self.x.ndim < 1:
                raise ValueError(f"Graph: x must be (num_nodes, features), got shape {self.x.shape}")
            if num_nodes is not None and num_nodes != len(self.x):
                raise ValueError(f"Graph: x has {len(self.x)} nodes but num_nodes={num_nodes}")
            num_nodes = len(self.x)
        elif num_nodes is None:
            num_nodes = int(self.edge_index.max()) + 1 if self.edge_index.size else 0
        self.num_nodes = int(num_nodes)
        self._check_edges()
        self.edge_weight = None if edge_weight is None else _array(edge_weight)
        if self.edge_weight is not None and self.edge_weight.shape != (self.num_edges,):
            raise ValueError(
                f"Graph: edge_weight must have one weight per edge, shape ({self.num_edges},), "
                f"got {self.edge_weight.shape}"
            )
        self.batch = None if batch is None else _array(batch).astype(np.int64, copy=False)
        if self.batch is not None and self.batch.shape != (self.num_nodes,):
            raise ValueError(
                f"Graph: batch must name the graph of each of the {self.num_nodes} nodes, got shape "
                f"{self.batch.shape}"
            )
        self.y = None if y is None else _array(y)
        self._check_labels()
        for name, mask in zip(MASKS, (train_mask, val_mask, test_mask)):
            setattr(self, name, None if mask is None else self._checked_mask(name, _array(mask)))
        self.output_mask = None  # the nodes whose outputs a loss reads (set by GraphLoader)

    # --- checks -------------------------------------------------------------------------------------
    def _check_edges(self) -> None:
        if not self.edge_index.size:
            return
        low, high = int(self.edge_index.min()), int(self.edge_index.max())
        if low < 0:
            edge = int(np.argwhere(self.edge_index < 0)[0][1])
            raise ValueError(f"Graph: edge_index holds a negative node number ({low}, at edge {edge})")
        if high >= self.num_nodes:
            edge = int(np.argwhere(self.edge_index >= self.num_nodes)[0][1])
            raise ValueError(
                f"Graph: edge_index refers to node {high} (at edge {edge}), but the graph has "
                f"{self.num_nodes} nodes, numbered 0 to {self.num_nodes - 1}"
            )

    def _check_labels(self) -> None:
        if self.y is None or self.y.ndim == 0:
            return
        allowed = {self.num_nodes} | ({self.num_graphs} if self.batch is not None else set())
        if len(self.y) not in allowed:
            raise ValueError(
                f"Graph: x has {self.num_nodes} nodes but y has {len(self.y)} labels; give one label per "
                "node (or one per graph, with batch)"
            )

    def _checked_mask(self, name: str, mask):
        if mask.dtype != bool:
            raise ValueError(f"Graph: {name} must be a boolean array of {self.num_nodes} entries, "
                             f"got dtype {mask.dtype}")
        if mask.shape != (self.num_nodes,):
            raise ValueError(
                f"Graph: {name} must have one entry per node, shape ({self.num_nodes},), got {mask.shape}"
            )
        return mask

    # --- sizes --------------------------------------------------------------------------------------
    @property
    def num_edges(self) -> int:
        return self.edge_index.shape[1]

    @property
    def num_features(self) -> int:
        return 0 if self.x is None else int(np.prod(self.x.shape[1:]))

    @property
    def num_graphs(self) -> int:
        return 1 if self.batch is None else (int(self.batch.max()) + 1 if self.batch.size else 0)

    def __len__(self) -> int:
        return self.num_nodes

    def __repr__(self) -> str:
        parts = [f"num_nodes={self.num_nodes}", f"num_edges={self.num_edges}"]
        if self.x is not None:
            parts.append(f"x={self.x.dtype}{list(self.x.shape)}")
        parts += [name for name in ("edge_weight", "y", *MASKS, "batch") if getattr(self, name) is not None]
        return f"Graph({', '.join(parts)})"

    # --- new graphs from this one --------------------------------------------------------------------
    def _with(self, **changes) -> Graph:
        fields = {name: getattr(self, name) for name in ("x", "edge_index", "edge_weight", "y", *MASKS,
                                                          "batch")}
        fields.update(changes)
        return Graph(num_nodes=self.num_nodes, **fields)

    def add_self_loops(self, fill_value=1.0) -> Graph:
        """Exactly one self-loop (i, i) on every node (an existing one keeps its weight, new ones weigh
        ``fill_value`` when the graph is weighted): Ã = A + I."""
        edges, weights = adjacency.add_remaining_self_loops(self.edge_index, self.num_nodes,
                                                            self.edge_weight, fill_value)
        return self._with(edge_index=edges, edge_weight=weights)

    def remove_self_loops(self) -> Graph:
        edges, weights = adjacency.remove_self_loops(self.edge_index, self.edge_weight)
        return self._with(edge_index=edges, edge_weight=weights)

    def to_undirected(self) -> Graph:
        """Every edge in both directions, each pair once (weights of repeated pairs add up)."""
        edges, weights = adjacency.to_undirected(self.edge_index, self.num_nodes, self.edge_weight)
        return self._with(edge_index=edges, edge_weight=weights)

    def is_undirected(self) -> bool:
        return self.to_undirected().num_edges == np.unique(self.edge_index, axis=1).shape[1]

    def normalized_adjacency(self, add_self_loops: bool = True) -> np.ndarray:
        """GCN's Â = D̃^{-1/2} (A + I) D̃^{-1/2} as a dense (N, N) array (for small graphs and worked
        examples; the layers keep it sparse). The rule is ``ops.adjacency.gcn_normalization``."""
        rows, cols, values = adjacency.gcn_normalization(self.edge_index, self.num_nodes, self.edge_weight,
                                                         add_self_loops)
        dense = np.zeros((self.num_nodes, self.num_nodes), dtype=values.dtype)
        np.add.at(dense, (rows, cols), values)
        return dense

    def astype(self, dtype) -> Graph:
        """The same graph with float features (and edge weights) in ``dtype``."""
        cast = {}
        for name in ("x", "edge_weight"):
            value = getattr(self, name)
            if value is not None and value.dtype.kind in "fiub":
                cast[name] = value.astype(dtype, copy=False)
        return self._with(**cast)

    # --- networkx (an optional extra) ----------------------------------------------------------------
    @classmethod
    def from_networkx(cls, graph, x=None, y=None, weight: str | None = None) -> Graph:
        """A ``Graph`` from a networkx graph, nodes numbered in ``graph.nodes`` order. An undirected
        networkx graph gives both directions of each edge. ``weight`` names an edge attribute to read as
        ``edge_weight``."""
        number = {node: k for k, node in enumerate(graph.nodes)}
        pairs = [(number[a], number[b]) for a, b in graph.edges]
        weights = [data[weight] for *_, data in graph.edges(data=True)] if weight else None
        edge_index = np.array(pairs, dtype=np.int64).reshape(-1, 2).T
        if not graph.is_directed():
            edge_index = np.concatenate([edge_index, edge_index[::-1]], axis=1)
            weights = None if weights is None else weights + weights
        return cls(x, edge_index, weights, y, num_nodes=len(number))

    def to_networkx(self, directed: bool = True):
        """A networkx ``DiGraph`` (or ``Graph`` with ``directed=False``) with nodes 0..N-1; edge weights
        become the attribute "weight"."""
        try:
            import networkx  # noqa: PLC0415 - an optional extra
        except ImportError as error:
            raise ImportError("to_networkx needs networkx: pip install networkx") from error
        graph = networkx.DiGraph() if directed else networkx.Graph()
        graph.add_nodes_from(range(self.num_nodes))
        weights = self.edge_weight if self.edge_weight is not None else [None] * self.num_edges
        for (source, target), w in zip(self.edge_index.T.tolist(), weights):
            graph.add_edge(source, target, **({} if w is None else {"weight": float(w)}))
        return graph


def batch_graphs(graphs) -> Graph:
    """Several graphs as one graph of disconnected parts: features and node labels stacked, each graph's
    node numbers shifted by the nodes before it, and ``batch`` naming each node's graph (0, 1, ...).
    Graph-level labels (a scalar ``y`` per graph) become one label per graph."""
    graphs = list(graphs)
    if not graphs:
        raise ValueError("batch_graphs needs at least one graph")
    offsets = np.cumsum([0] + [g.num_nodes for g in graphs[:-1]])
    edges = np.concatenate([g.edge_index + offset for g, offset in zip(graphs, offsets)], axis=1)
    batch = np.concatenate([np.full(g.num_nodes, k, dtype=np.int64) for k, g in enumerate(graphs)])

    def stacked(name, combine=np.concatenate):
        values = [getattr(g, name) for g in graphs]
        if all(v is None for v in values):
            return None
        if any(v is None for v in values):
            raise ValueError(f"batch_graphs: some graphs have {name} and some do not")
        return combine(values)

    labels = [g.y for g in graphs]
    graph_level = all(label is not None and label.ndim == 0 for label in labels)
    return Graph(stacked("x"), edges, stacked("edge_weight"), np.stack(labels) if graph_level else
                 stacked("y"), *(stacked(name) for name in MASKS), num_nodes=len(batch), batch=batch)


class GraphLoader:
    """Graphs for ``fit``, ``evaluate`` and ``predict``: batches of (graph, targets).

    Two tasks, as in the papers:

    - node classification on one graph (``mask`` names a node mask, or is a boolean array): one batch per
      epoch, the whole graph (full batch, as GCN and GAT train), with targets ``y[mask]``; the model sees
      every node and the loss and metrics read only the masked nodes' outputs (``graph.output_mask``).
    - graph classification on a list of graphs (each with a scalar ``y``): batches of ``batch_size`` graphs
      merged by ``batch_graphs``, targets one label per graph; ``shuffle`` draws a new order every epoch
      from the generator seeded by ``gn.manual_seed``.

    ``fit(graph)`` uses the graph's ``train_mask``, ``validation_data=graph`` its ``val_mask`` and
    ``evaluate(graph)`` its ``test_mask`` (all nodes where the mask is missing); a ``GraphLoader`` says so
    explicitly: ``model.evaluate(GraphLoader(graph, mask="val_mask"))``.
    """

    def __init__(self, graphs, mask=None, batch_size=32, shuffle: bool = False):
        self.single = isinstance(graphs, Graph)
        self.graphs = graphs if self.single else list(graphs)
        if self.single:
            self.mask = self._node_mask(graphs, mask)
            self.dataset = range(int(self.mask.sum()))  # the samples: the nodes the loss reads
            self.batch_size = None
        else:
            if mask is not None:
                raise ValueError("GraphLoader: a mask selects nodes of one graph; for a list of graphs give "
                                 "the graphs to use")
            self.dataset = self.graphs
            self.batch_size = None if batch_size in (None, "full") else int(batch_size)
        self.shuffle = bool(shuffle)

    @staticmethod
    def _node_mask(graph: Graph, mask):
        if mask is None:
            return np.ones(graph.num_nodes, dtype=bool)
        if isinstance(mask, str):
            if mask not in MASKS:
                raise ValueError(f"GraphLoader: mask must be one of {list(MASKS)} or a boolean array, "
                                 f"got {mask!r}")
            chosen = getattr(graph, mask)
            if chosen is None:
                raise ValueError(f"GraphLoader: the graph has no {mask}")
            return chosen
        return graph._checked_mask("mask", np.asarray(mask))

    def astype(self, dtype) -> GraphLoader:
        """The same loader over graphs whose features are ``dtype`` (``fit`` casts to the model's)."""
        graphs = self.graphs.astype(dtype) if self.single else [g.astype(dtype) for g in self.graphs]
        loader = GraphLoader.__new__(GraphLoader)
        loader.__dict__.update(self.__dict__, graphs=graphs)
        return loader

    def __len__(self) -> int:
        if self.single:
            return 1
        step = self.batch_size or max(len(self.graphs), 1)
        return -(-len(self.graphs) // step)

    def __iter__(self):
        if self.single:
            graph = self.graphs
            if graph.y is None:
                raise ValueError("GraphLoader: the graph has no labels y to train on")
            view = graph._with()
            view.output_mask = self.mask
            yield view, Tensor(graph.y[self.mask])
            return
        order = get_rng().permutation(len(self.graphs)) if self.shuffle else np.arange(len(self.graphs))
        step = self.batch_size or max(len(self.graphs), 1)
        for start in range(0, len(order), step):
            merged = batch_graphs([self.graphs[k] for k in order[start : start + step]])
            if merged.y is None:
                raise ValueError("GraphLoader: the graphs have no labels y to train on")
            yield merged, Tensor(merged.y)

    def __repr__(self) -> str:
        if self.single:
            what = f"one graph, {len(self.dataset)} nodes in the loss"
        else:
            what = f"{len(self.graphs)} graphs"
        return f"GraphLoader({what}, batch_size={self.batch_size}, shuffle={self.shuffle})"
