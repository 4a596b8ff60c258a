"""Reshaping layers: Flatten, the bridge from feature maps to dense layers, and Reshape."""

from __future__ import annotations

import math

from glassnet.nn.module import Module
from glassnet.ops.shape import flatten, reshape

__all__ = ["Flatten", "Reshape"]


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


class Reshape(Module):
    """Give each example a new shape with the same number of values (Keras's ``Reshape``): (N, 6) with
    ``target_shape=(3, 2)`` gives (N, 3, 2), for example to read features as a sequence. -1 stands for
    the one size that makes the count right. No parameters.

    Example:
        >>> import glassnet as gn
        >>> Reshape((3, 2))(gn.zeros(4, 6)).shape
        (4, 3, 2)
    """

    def __init__(self, target_shape, name=None):
        super().__init__(name=name)
        self.target_shape = tuple(int(d) for d in target_shape)
        if sum(1 for d in self.target_shape if d == -1) > 1 or any(
            d == 0 or d < -1 for d in self.target_shape
        ):
            raise ValueError(
                f"Reshape: target_shape must have positive sizes and at most one -1, got {self.target_shape}"
            )

    def compute_output_shape(self, input_shape):
        count = math.prod(input_shape[1:]) if None not in input_shape[1:] else None
        known = math.prod(d for d in self.target_shape if d != -1)
        if count is not None and (count % known or (-1 not in self.target_shape and count != known)):
            raise ValueError(
                f"Reshape '{self.name}' cannot put {count} values per example (input shape "
                f"{tuple(input_shape)}) into {self.target_shape}"
            )
        shape = tuple(count // known if d == -1 and count is not None else d for d in self.target_shape)
        return (input_shape[0],) + shape

    def build(self, input_shape):
        self.compute_output_shape(input_shape)
        super().build(input_shape)

    def forward(self, x):
        self.compute_output_shape((x.shape[0],) + tuple(x.shape[1:]))
        return reshape(x, (x.shape[0],) + self.target_shape)

    def explain_shape(self, input_shape) -> str:
        return (
            f"{math.prod(input_shape[1:])} values per example rearranged as {self.target_shape}; params = 0"
        )

    def get_config(self):
        return {**super().get_config(), "target_shape": list(self.target_shape)}
