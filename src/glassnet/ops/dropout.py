"""Dropout: zero each element with probability p in training, scale the survivors by 1/(1 - p)."""

from __future__ import annotations

from glassnet.autograd.formula import Formula
from glassnet.autograd.function import Function
from glassnet.backend import get_rng

__all__ = ["Dropout", "dropout"]


class Dropout(Function):
    """Inverted dropout: m_i ~ Bernoulli(1 - p), so evaluation needs no rescaling."""

    name = "dropout"
    formula = Formula(r"\frac{#x \odot m}{1 - p}")
    derivative = Formula(r"\frac{dy}{dx} = \frac{m}{1 - p}")

    def forward(self, x):
        rate = self.params["rate"]
        keep = get_rng().random(x.shape) >= rate
        self.saved["scale"] = scale = (keep / (1 - rate)).astype(x.dtype)
        return x * scale

    def backward(self, grad):
        return grad * self.saved["scale"]


def dropout(x, rate: float, training: bool = True):
    """Dropout in training; the identity when ``training`` is False or ``rate`` is 0."""
    if not 0 <= rate < 1:
        raise ValueError(f"dropout rate must be in [0, 1), got {rate}")
    if not training or rate == 0:
        return x
    return Dropout.apply(x, rate=rate)
