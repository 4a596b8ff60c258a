"""Reshaping layers: Flatten, the bridge from feature maps to dense layers."""

from __future__ import annotations

import math

from glassnet.nn.module import Module
from glassnet.ops.shape import flatten

__all__ = ["Flatten"]


class Flatten(Module):
    """Merge every axis after the batch axis into one, in row-major (C, H, W) order, as PyTorch's
    ``nn.Flatten`` (and Keras's with channels first): (N, C, H, W) -> (N, C·H·W). No parameters.

    Shape:
        (N, d1, d2, ...) -> (N, d1·d2·...)

    Example:
        >>> import glassnet as gn
        >>> Flatten()(gn.zeros(2, 32, 22, 22)).shape
        (2, 15488)
    """

    def build(self, input_shape):
        self._check(input_shape)
        super().build(input_shape)

    def _check(self, shape) -> None:
        if shape is None or len(shape) < 2:
            raise ValueError(
                f"Flatten '{self.name}' needs inputs with a batch axis and at least one more, got {shape}"
            )

    def compute_output_shape(self, input_shape):
        self._check(input_shape)
        dims = input_shape[1:]
        return (input_shape[0], None if None in dims else math.prod(dims))

    def forward(self, x):
        self._check(x.shape)
        return flatten(x)

    def explain_shape(self, input_shape) -> str:
        """The product of the non-batch sizes: "C·H·W = 32·22·22 = 15,488; params = 0"."""
        dims = tuple(input_shape[1:])
        size = self.compute_output_shape(input_shape)[1]
        result = "unknown" if size is None else f"{size:,}"
        if len(dims) == 1:
            return f"already flat: {result}; params = 0"
        names = "C·H·W" if len(dims) == 3 else "·".join(f"d{i}" for i in range(1, len(dims) + 1))
        values = "·".join(str(d) for d in dims)
        return f"{names} = {values} = {result}; params = 0"
