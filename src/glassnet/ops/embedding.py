"""The embedding lookup: rows of a weight matrix picked by integer ids."""

from __future__ import annotations

from glassnet.autograd.formula import Formula
from glassnet.autograd.function import Function
from glassnet.ops._util import segment_sum

__all__ = ["EmbeddingLookup", "embedding"]


class EmbeddingLookup(Function):
    """A row of W per id: rows add up in the gradient for a token that repeats; rows of tokens that do not
    occur get 0.

    Equivalent to one-hot(ids) @ W, without building the one-hot matrix.

    Shape: W (vocab_size, dim), ids (...) integers in [0, vocab_size) -> y (..., dim).
    """

    name = "embedding"
    formula = Formula(r"#W[\mathrm{ids}]")
    derivative = Formula(
        r"\frac{\partial L}{\partial W[v]} = \sum_{p:\ \mathrm{ids}_p = v} \frac{\partial L}{\partial y_p}"
    )

    def forward(self, weight, ids):
        self.saved.update(ids=ids, shape=weight.shape)
        return weight[ids]

    def backward(self, grad):
        ids, (vocab, dim) = self.saved["ids"], self.saved["shape"]
        return segment_sum(grad.reshape(-1, dim), ids.reshape(-1), vocab), None


def embedding(weight, ids):
    """The rows of ``weight`` (vocab_size, dim) picked by the integer array ``ids``."""
    return EmbeddingLookup.apply(weight, ids)
