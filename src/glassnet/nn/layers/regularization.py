"""Regularization layers: dropout."""

from __future__ import annotations

from glassnet.nn.module import Module
from glassnet.ops.dropout import dropout

__all__ = ["Dropout"]


class Dropout(Module):
    """Dropout (CURRICULUM section 8): in training, each input is zeroed with probability ``rate`` and the
    rest scaled by 1/(1 - rate), so that evaluation (where the layer is the identity) sees the same
    expected values.

    Example:
        >>> import glassnet as gn
        >>> Dropout(0.5).eval()(gn.ones(2, 3)).tolist()
        [[1.0, 1.0, 1.0], [1.0, 1.0, 1.0]]
    """

    def __init__(self, rate: float, name=None):
        super().__init__(name=name)
        if not 0 <= rate < 1:
            raise ValueError(f"Dropout: rate must be in [0, 1), got {rate}")
        self.rate = rate

    def forward(self, x):
        return dropout(x, self.rate, training=self.training)

    def get_config(self):
        return {**super().get_config(), "rate": self.rate}

    def extra_repr(self):
        return f"rate={self.rate}"
