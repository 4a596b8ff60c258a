r"""Message passing: the ops a graph neural network is made of (CURRICULUM: graph NN).

A graph's edges are ``edge_index`` (2, E) as PyTorch Geometric stores them: row 0 the source node j, row 1
the target node i; a message flows from j to i. A layer gathers each edge's source row (``gather_rows``,
the embedding's op: x[index]), computes a message per edge, and reduces the messages arriving at each
node with a segment reduction over the targets:

    sum      y_i = Σ_{e: index_e = i} m_e
    mean     y_i = (1 / n_i) Σ_{e: index_e = i} m_e            (n_i the number of edges into i)
    max      y_i = max_{e: index_e = i} m_e
    softmax  α_e = exp(s_e) / Σ_{e': index_e' = index_e} exp(s_e')   (GAT's attention over incoming edges)

A node with no incoming edge gets 0 from sum, mean and max (PyTorch Geometric's convention). A fixed
adjacency (GCN's normalized D^-1/2 (A + I) D^-1/2) multiplies features through ``sparse_matmul``.

Every reduction runs on NumPy alone, with no Python loop over nodes or edges: sums go through one
``bincount`` per feature (``ops._util.segment_sum``); the max sorts the edges by segment once (a stable
argsort, made only when a max is asked for) and reduces each segment as one slice of ``ufunc.reduceat``.
"""

from __future__ import annotations

import functools

from glassnet.autograd.formula import Formula
from glassnet.autograd.function import Function, op_function
from glassnet.backend import get_array_module
from glassnet.ops._util import segment_sum, sorted_runs
from glassnet.ops.embedding import EmbeddingLookup

__all__ = [
    "Segments",
    "ScatterSum",
    "ScatterMean",
    "ScatterMax",
    "SegmentSoftmax",
    "SparseMatmul",
    "gather_rows",
    "scatter_sum",
    "scatter_mean",
    "scatter_max",
    "segment_softmax",
    "sparse_matmul",
]


class Segments:
    """Edges grouped by the segment (node) each belongs to: how many each segment has and, for the max,
    the sort order, where each segment starts and which segments are not empty (sorted on first use).
    Made once per index array; every reduction below runs through it.

    Args:
        index: integer array (E,) with values in [0, num_segments).
        num_segments: the number of segments (nodes, or graphs in a batch).
    """

    def __init__(self, index, num_segments: int):
        xp = get_array_module(index)
        index = xp.asarray(index)
        if index.ndim != 1 or index.dtype.kind not in "iu":
            raise ValueError(f"a segment index must be a 1-D integer array, got {index.dtype} {index.shape}")
        if index.size and (int(index.min()) < 0 or int(index.max()) >= num_segments):
            raise ValueError(
                f"a segment index must lie in [0, {num_segments}), got values from {int(index.min())} "
                f"to {int(index.max())}"
            )
        self.index, self.num_segments = index, int(num_segments)
        self.counts = xp.bincount(index, minlength=self.num_segments)

    @functools.cached_property
    def _sorted(self) -> tuple:
        """(order, starts, present): the stable sort of the edges by segment, where each run starts, and
        the segment of each run (``sorted_runs``)."""
        return sorted_runs(self.index)

    def reduce(self, ufunc, src, fill=0.0):
        """``ufunc`` (add, maximum) over each segment's rows of ``src`` (E, ...); ``fill`` for empty ones."""
        xp = get_array_module(src)
        out = xp.full((self.num_segments,) + src.shape[1:], fill, dtype=src.dtype)
        if self.index.size:
            order, starts, present = self._sorted
            out[present] = ufunc.reduceat(src[order], starts, axis=0)
        return out

    def sum(self, src):
        """Σ of each segment's rows of ``src`` (E, ...); 0 for an empty segment."""
        return segment_sum(src, self.index, self.num_segments)


def _counts_like(segments: Segments, like):
    """n_i, at least 1 (an empty segment's mean is 0), shaped to broadcast against (N, ...) rows."""
    xp = get_array_module(like)
    counts = xp.maximum(segments.counts, 1).astype(like.dtype)
    return counts.reshape((-1,) + (1,) * (like.ndim - 1))


class ScatterSum(Function):
    """The messages m (E, ...) summed into their target rows; rows with no message are 0. Each message
    reaches one output row, so its gradient is that row's upstream gradient: the gather."""

    name = "scatter_sum"
    formula = Formula(r"y_{i} = \sum_{e: \mathrm{index}_{e} = i} #m_{e}")
    derivative = Formula(
        r"\frac{\partial L}{\partial m_{e}} = \frac{\partial L}{\partial y_{\mathrm{index}_{e}}}"
    )

    def forward(self, src, index):
        self.saved["index"] = index
        return Segments(index, self.params["num_segments"]).sum(src)

    def backward(self, grad):
        return grad[self.saved["index"]], None


class ScatterMean(Function):
    """The mean of the messages into each row (n_i of them); rows with no message are 0."""

    name = "scatter_mean"
    formula = Formula(r"y_{i} = \frac{1}{n_{i}} \sum_{e: \mathrm{index}_{e} = i} #m_{e}")
    derivative = Formula(
        r"\frac{\partial L}{\partial m_{e}} = \frac{1}{n_{i}} \frac{\partial L}{\partial y_{i}},"
        r"\ i = \mathrm{index}_{e}"
    )

    def forward(self, src, index):
        segments = Segments(index, self.params["num_segments"])
        counts = _counts_like(segments, src)
        self.saved.update(index=index, counts=counts)
        return segments.sum(src) / counts

    def backward(self, grad):
        return (grad / self.saved["counts"])[self.saved["index"]], None


class ScatterMax(Function):
    """The largest message into each row, per feature; rows with no message are 0. The gradient goes to
    the message that was the max; k tied messages split it in k equal parts (as ``max`` does, and as
    PyTorch's ``scatter_reduce(..., "amax")``)."""

    name = "scatter_max"
    formula = Formula(r"y_{i} = \max_{e: \mathrm{index}_{e} = i} #m_{e}")
    derivative = Formula(
        r"\frac{\partial L}{\partial m_{e}} = \frac{1}{k_{i}} \frac{\partial L}{\partial y_{i}}"
        r"\text{ if }m_{e} = y_{i}\text{ else }0"
    )

    def forward(self, src, index):
        xp = get_array_module(src)
        segments = Segments(index, self.params["num_segments"])
        out = segments.reduce(xp.maximum, src, fill=-xp.inf)
        out[segments.counts == 0] = 0.0
        winners = (src == out[index]).astype(src.dtype)
        ties = segments.sum(winners)
        self.saved.update(index=index, winners=winners, ties=xp.maximum(ties, 1.0))
        return out

    def backward(self, grad):
        index = self.saved["index"]
        return self.saved["winners"] * (grad / self.saved["ties"])[index], None


class SegmentSoftmax(Function):
    """A softmax over each node's incoming edges: the scores s (E,) or (E, heads) of the edges that share
    a target are normalized together (GAT's attention coefficients). The segment's max is subtracted
    first, so exp never overflows; the gradient is taken from the saved output α."""

    name = "segment_softmax"
    formula = Formula(r"\alpha_{e} = \frac{e^{#s_{e}}}{\sum_{e' \to i} e^{#s_{e'}}},\ i = \mathrm{index}_{e}")
    derivative = Formula(
        r"\frac{\partial L}{\partial s_{e}} = \alpha_{e} (g_{e} - \sum_{e' \to i} \alpha_{e'} g_{e'})"
    )

    def forward(self, scores, index):
        xp = get_array_module(scores)
        segments = Segments(index, self.params["num_segments"])
        shifted = xp.exp(scores - segments.reduce(xp.maximum, scores, fill=0.0)[index])
        alpha = shifted / segments.sum(shifted)[index]
        self.saved.update(segments=segments, alpha=alpha)
        return alpha

    def backward(self, grad):
        segments, alpha = self.saved["segments"], self.saved["alpha"]
        weighted = alpha * grad
        return weighted - alpha * segments.sum(weighted)[segments.index], None


class SparseMatmul(Function):
    """A fixed sparse matrix A (rows, cols, values: one entry per edge, A[rows_e, cols_e] = values_e; a
    repeated position adds up) times dense features x (M, F), without building A: each entry scales one
    row of x into one output row. A is a constant (GCN's normalized adjacency); only x gets a gradient,
    Aᵀ g, the same product with rows and cols swapped."""

    name = "sparse_matmul"
    formula = Formula(r"y_{i} = \sum_{e: r_{e} = i} a_{e} #x_{c_{e}}")
    derivative = Formula(r"\frac{\partial L}{\partial x} = A^{T} \frac{\partial L}{\partial y}")

    def forward(self, x, rows, cols, values):
        by_row = Segments(rows, self.params["num_rows"])
        self.saved.update(cols=cols, rows=rows, values=values, num_cols=x.shape[0])
        return by_row.sum(_scaled(values, x[cols]))

    def backward(self, grad):
        saved = self.saved
        by_col = Segments(saved["cols"], saved["num_cols"])
        return by_col.sum(_scaled(saved["values"], grad[saved["rows"]])), None, None, None


def _scaled(values, rows):
    """values_e · rows_e, ``values`` (E,) broadcast along the feature axes of ``rows`` (E, ...)."""
    return values.reshape((-1,) + (1,) * (rows.ndim - 1)) * rows


def gather_rows(x, index):
    """x[index]: row index_e of ``x`` (N, F) for each edge e, as (E, F). The same op as the embedding
    lookup (one home for its derivative: the rows' gradients add up into the rows they came from)."""
    return EmbeddingLookup.apply(x, index)


@op_function(ScatterSum)
def scatter_sum(src, index, num_segments: int):
    """Sum the rows of ``src`` (E, ...) into ``num_segments`` rows by the integer ``index`` (E,)."""
    return ScatterSum.apply(src, index, num_segments=int(num_segments))


@op_function(ScatterMean)
def scatter_mean(src, index, num_segments: int):
    """Average the rows of ``src`` (E, ...) into ``num_segments`` rows by ``index`` (E,)."""
    return ScatterMean.apply(src, index, num_segments=int(num_segments))


@op_function(ScatterMax)
def scatter_max(src, index, num_segments: int):
    """The feature-wise max of the rows of ``src`` (E, ...) in each of ``num_segments`` segments."""
    return ScatterMax.apply(src, index, num_segments=int(num_segments))


@op_function(SegmentSoftmax)
def segment_softmax(scores, index, num_segments: int):
    """Softmax of ``scores`` (E,) or (E, H) over the entries that share a value of ``index`` (E,)."""
    return SegmentSoftmax.apply(scores, index, num_segments=int(num_segments))


@op_function(SparseMatmul)
def sparse_matmul(rows, cols, values, x, num_rows: int):
    """A @ x for A (num_rows, len(x)) given by its entries (``rows``, ``cols``, ``values``), x (M, F)."""
    return SparseMatmul.apply(x, rows, cols, values, num_rows=int(num_rows))
