"""Rows of the op table for message passing (src/glassnet/ops/graph.py): gathering rows by an index,
segment sum, mean, max and softmax over the edges into each node, and a fixed sparse matrix times dense
features. PyTorch's side: ``torch.index_select``, ``Tensor.scatter_reduce`` (include_self=False on a zero
base, so that an empty segment is 0, as in PyTorch Geometric), a softmax written with them, and
``torch.sparse.mm``.

Every index row leaves segment 2 of 5 empty, so the rule for nodes without incoming edges is checked too.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from op_table import Row, distinct, normal

from glassnet.ops import graph

SEGMENTS = 5  # segment 2 never occurs in an index


@dataclass(frozen=True)
class SegmentIndex:
    """An integer index of ``edges`` entries over SEGMENTS segments, 2 left out, every other one used."""

    edges: int

    def __call__(self, draw):
        used = np.array([0, 1, 3, 4])
        return np.concatenate([used, draw.rng.choice(used, self.edges - len(used))]).astype(np.int64)


@dataclass(frozen=True)
class SparseEntries:
    """(rows, cols, values) of a SEGMENTS x ``columns`` sparse matrix with ``edges`` entries, row 2 empty,
    some positions repeated (they add up)."""

    edges: int
    columns: int

    def __call__(self, draw):
        rows = SegmentIndex(self.edges)(draw)
        cols = draw.rng.integers(0, self.columns, self.edges).astype(np.int64)
        return rows, cols, draw.rng.uniform(0.2, 1.5, self.edges)


@dataclass(frozen=True)
class ScatterCall:
    """graph.scatter_<reduce>(src, index, SEGMENTS) for glassnet, or ``scatter_reduce`` for PyTorch."""

    reduce: str
    torch_side: bool = False

    def __call__(self, src, index):
        if not self.torch_side:
            return getattr(graph, f"scatter_{self.reduce}")(src, index, SEGMENTS)
        import torch

        torch_reduce = {"sum": "sum", "mean": "mean", "max": "amax"}[self.reduce]
        expanded = index.reshape((-1,) + (1,) * (src.ndim - 1)).expand_as(src)
        base = torch.zeros((SEGMENTS,) + tuple(src.shape[1:]), dtype=src.dtype)
        return base.scatter_reduce(0, expanded, src, torch_reduce, include_self=False)


def segment_softmax(scores, index):
    return graph.segment_softmax(scores, index, SEGMENTS)


def torch_segment_softmax(scores, index):
    """exp(s - max) / Σ exp(s - max) per segment, from PyTorch's scatter_reduce (as PyTorch Geometric's
    ``softmax`` computes it, without its 1e-16)."""
    largest = ScatterCall("max", True)(scores.detach(), index)
    shifted = (scores - largest[index]).exp()
    return shifted / ScatterCall("sum", True)(shifted, index)[index]


def sparse_matmul(x, rows, cols, values):
    return graph.sparse_matmul(rows, cols, values, x, SEGMENTS)


def torch_sparse_matmul(x, rows, cols, values):
    import torch

    matrix = torch.sparse_coo_tensor(torch.stack([rows, cols]), values, (SEGMENTS, x.shape[0]),
                                     check_invariants=True)
    return torch.sparse.mm(matrix, x)


def torch_index_select(x, index):
    import torch

    return torch.index_select(x, 0, index)


ROWS = [
    Row("gather_rows", (normal(SEGMENTS, "F"), SegmentIndex(7)), graph.gather_rows, torch_index_select),
    Row("scatter_sum", (normal(9, "F"), SegmentIndex(9)), ScatterCall("sum"), ScatterCall("sum", True)),
    Row("scatter_sum_3d", (normal(8, "H", "F"), SegmentIndex(8)), ScatterCall("sum"),
        ScatterCall("sum", True)),
    Row("scatter_mean", (normal(9, "F"), SegmentIndex(9)), ScatterCall("mean"), ScatterCall("mean", True)),
    Row("scatter_max", (distinct(9, "F"), SegmentIndex(9)), ScatterCall("max"), ScatterCall("max", True)),
    Row("segment_softmax", (normal(9), SegmentIndex(9)), segment_softmax, torch_segment_softmax),
    Row("segment_softmax_heads", (normal(9, "H"), SegmentIndex(9)), segment_softmax, torch_segment_softmax),
    Row("sparse_matmul", (normal(6, "F"), SparseEntries(11, 6)), sparse_matmul, torch_sparse_matmul,
        constants=(3,)),
]
