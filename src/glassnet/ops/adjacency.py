r"""Edge lists as arrays: self-loops, undirected edges, and GCN's symmetric normalization.

Plain functions on constant arrays (no gradient flows through a graph's structure): ``data.Graph`` and
the graph layers (``nn.GCNConv``, ``nn.GATConv``) both call them, so each rule lives here once. Edges are
``edge_index`` (2, E), row 0 the source j, row 1 the target i (PyTorch Geometric's layout), with optional
``edge_weight`` (E,).

GCN's propagation matrix (Kipf & Welling, 2017, eq. 2), with Ã = A + I (a self-loop on every node) and
D̃_ii = Σ_j Ã_ij (the weighted in-degree, self-loop included):

    Â = D̃^{-1/2} Ã D̃^{-1/2},   Â_ij = w_ji / sqrt(d̃_i d̃_j)

A node of degree 0 (possible only without self-loops) gets 0 where 1/sqrt(0) would stand, as in PyTorch
Geometric's ``gcn_norm``.
"""

from __future__ import annotations

from glassnet.backend import get_array_module

__all__ = ["add_remaining_self_loops", "remove_self_loops", "to_undirected", "gcn_normalization"]


def _weights(edge_index, edge_weight, dtype=None):
    xp = get_array_module(edge_index)
    if edge_weight is not None:
        return xp.asarray(edge_weight)
    return xp.ones(edge_index.shape[1], dtype=dtype or xp.float64)


def remove_self_loops(edge_index, edge_weight=None):
    """The edges with source != target (and their weights, or None)."""
    keep = edge_index[0] != edge_index[1]
    return edge_index[:, keep], None if edge_weight is None else edge_weight[keep]


def add_remaining_self_loops(edge_index, num_nodes: int, edge_weight=None, fill_value=1.0):
    """Exactly one self-loop (i, i) per node: the edges' own self-loops are taken out and one loop per
    node is appended, in node order, weighing ``fill_value`` or, where the node had a self-loop, that
    loop's weight (the last one's, if it had several), as PyTorch Geometric's ``add_remaining_self_loops``.
    Returns (edge_index, edge_weight), the weights None when none were given."""
    xp = get_array_module(edge_index)
    looped = edge_index[0] == edge_index[1]
    nodes = xp.arange(num_nodes, dtype=edge_index.dtype)
    edges = xp.concatenate([edge_index[:, ~looped], xp.stack([nodes, nodes])], axis=1)
    if edge_weight is None:
        return edges, None
    edge_weight = xp.asarray(edge_weight)
    loops = xp.full(num_nodes, fill_value, dtype=edge_weight.dtype)
    loops[edge_index[0, looped]] = edge_weight[looped]
    return edges, xp.concatenate([edge_weight[~looped], loops])


def to_undirected(edge_index, num_nodes: int, edge_weight=None):
    """Every edge in both directions, each (source, target) pair once, sorted by source then target;
    weights of a pair that occurs more than once are added (PyTorch Geometric's ``to_undirected``)."""
    xp = get_array_module(edge_index)
    both = xp.concatenate([edge_index, edge_index[::-1]], axis=1)
    keys = both[0].astype(xp.int64) * num_nodes + both[1]
    unique, inverse = xp.unique(keys, return_inverse=True)
    edges = xp.stack([unique // num_nodes, unique % num_nodes]).astype(edge_index.dtype)
    if edge_weight is None:
        return edges, None
    weights = xp.concatenate([edge_weight, edge_weight])
    summed = xp.bincount(inverse.reshape(-1), weights=weights, minlength=len(unique))
    return edges, summed.astype(weights.dtype)


def gcn_normalization(edge_index, num_nodes: int, edge_weight=None, add_self_loops=True, dtype=None):
    """The entries of Â = D̃^{-1/2} Ã D̃^{-1/2} as (rows, cols, values): row = target i, col = source j,
    value w_ji / sqrt(d̃_i d̃_j), ready for ``ops.graph.sparse_matmul`` (y = Â x). Without
    ``add_self_loops``, Ã = A. The degree d̃_i sums the weights of the edges into i."""
    xp = get_array_module(edge_index)
    weight = _weights(edge_index, edge_weight, dtype)
    if add_self_loops:
        edge_index, weight = add_remaining_self_loops(edge_index, num_nodes, weight)
    sources, targets = edge_index[0], edge_index[1]
    degree = xp.bincount(targets, weights=weight, minlength=num_nodes).astype(weight.dtype)
    inv_sqrt = xp.zeros_like(degree)
    positive = degree > 0
    inv_sqrt[positive] = 1 / xp.sqrt(degree[positive])
    return targets, sources, inv_sqrt[targets] * weight * inv_sqrt[sources]
