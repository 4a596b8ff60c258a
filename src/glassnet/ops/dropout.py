"""Dropout: zero each element with probability p in training, scale the survivors by 1/(1 - p)."""

from __future__ import annotations

import numpy as np

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
        # The draws stay float64 whatever x's dtype, so that a seed gives the same mask in float32 and in
        # float64 (and the results measured before stay reproducible); the mask is scaled straight into
        # x's dtype, without the float64 copy a division would make.
        keep = get_rng().random(x.shape) >= rate
        scale = np.multiply(keep, 1 / (1 - rate), dtype=x.dtype)
        self.saved["scale"] = scale
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
