"""Merge layers: several tensors in, one out (the joints of a functional model's graph).

Each is built from existing ops (addition, multiplication, concatenation), so its gradient is theirs:
Add sends the upstream gradient unchanged to every input, Multiply sends it times the product of the
other inputs, Average sends 1/n of it, Concatenate cuts it back into the inputs' pieces.

Called on a list: ``nn.Add()([a, b])``, on symbolic tensors (functional API) or on real ones.
"""

from __future__ import annotations

from glassnet.autograd.tensor import Tensor, tensor
from glassnet.nn.module import Module
from glassnet.nn.symbolic import is_symbolic
from glassnet.ops.shape import concatenate

__all__ = ["Add", "Multiply", "Average", "Concatenate"]


def _shape_text(shape) -> str:
    return "(" + ", ".join("None" if d is None else str(d) for d in shape) + ")"


class _Merge(Module):
    """What the merge layers share: a list of at least two inputs, checked shapes, no parameters."""

    def __call__(self, inputs, **kwargs):
        if is_symbolic(inputs):
            return super().__call__(inputs, **kwargs)
        if not isinstance(inputs, (list, tuple)):
            raise TypeError(
                f"{type(self).__name__} '{self.name}' takes a list of tensors ([a, b, ...]), got {inputs!r}"
            )
        inputs = [item if isinstance(item, Tensor) else tensor(item) for item in inputs]
        if not self.built:
            self.build([(None,) + tuple(item.shape[1:]) for item in inputs])
        return self.forward(inputs)

    def _check(self, shapes) -> list:
        if (
            not isinstance(shapes, (list, tuple))
            or len(shapes) < 2
            or not all(isinstance(shape, (list, tuple)) for shape in shapes)
        ):
            raise ValueError(
                f"{type(self).__name__} '{self.name}' merges a list of at least two tensors, got {shapes!r}"
            )
        return [tuple(shape) for shape in shapes]

    def build(self, input_shape):
        self.compute_output_shape(input_shape)
        super().build(input_shape)

    def compute_output_shape(self, input_shape):
        """Elementwise merges need the same shape everywhere (the batch axis may be unknown)."""
        shapes = self._check(input_shape)
        first = shapes[0]
        for shape in shapes[1:]:
            same = len(shape) == len(first) and all(
                a is None or b is None or a == b for a, b in zip(shape[1:], first[1:])
            )
            if not same:
                raise ValueError(
                    f"{type(self).__name__} '{self.name}' needs inputs of one shape, got "
                    + ", ".join(_shape_text(s) for s in shapes)
                )
        return first

    def forward(self, inputs):
        self.compute_output_shape([tuple(item.shape) for item in inputs])
        return self.merge(inputs)

    def merge(self, inputs):
        raise NotImplementedError

    def explain_shape(self, input_shape) -> str:
        return f"{type(self).__name__.lower()} of {len(input_shape)} inputs of one shape; params = 0"


class Add(_Merge):
    """The elementwise sum y = x₁ + x₂ + ... + xₙ of inputs of one shape (a residual connection).

    Example:
        >>> import glassnet as gn
        >>> Add()([gn.ones(1, 2), gn.ones(1, 2)]).tolist()
        [[2.0, 2.0]]
    """

    def merge(self, inputs):
        total = inputs[0]
        for item in inputs[1:]:
            total = total + item
        return total


class Multiply(_Merge):
    """The elementwise product y = x₁ · x₂ · ... · xₙ of inputs of one shape (gating).

    Example:
        >>> import glassnet as gn
        >>> Multiply()([gn.tensor([[2.0, 3.0]]), gn.tensor([[4.0, 5.0]])]).tolist()
        [[8.0, 15.0]]
    """

    def merge(self, inputs):
        product = inputs[0]
        for item in inputs[1:]:
            product = product * item
        return product


class Average(Add):
    """The elementwise mean y = (x₁ + ... + xₙ)/n of inputs of one shape (an ensemble's answer).

    Example:
        >>> import glassnet as gn
        >>> Average()([gn.tensor([[2.0]]), gn.tensor([[4.0]]), gn.tensor([[9.0]])]).tolist()
        [[5.0]]
    """

    def merge(self, inputs):
        return super().merge(inputs) * (1.0 / len(inputs))


class Concatenate(_Merge):
    """Join the inputs along ``axis`` (default -1, the features; 1 is the channels of NCHW images); every
    other size must agree. The gradient is the upstream gradient cut back into the pieces.

    Args:
        axis: the axis to join along (not the batch axis 0).

    Example:
        >>> import glassnet as gn
        >>> Concatenate()([gn.zeros(2, 3), gn.ones(2, 4)]).shape
        (2, 7)
    """

    def __init__(self, axis: int = -1, name=None):
        super().__init__(name=name)
        if isinstance(axis, bool) or not isinstance(axis, int) or axis == 0:
            raise ValueError(
                f"Concatenate '{self.name}': axis must be an int other than 0 (the batch axis), got {axis!r}"
            )
        self.axis = axis

    def compute_output_shape(self, input_shape):
        shapes = self._check(input_shape)
        rank = len(shapes[0])
        axis = self.axis + rank if self.axis < 0 else self.axis
        mismatch = not 0 < axis < rank or any(len(shape) != rank for shape in shapes)
        for position in range(1, rank):
            sizes = {shape[position] for shape in shapes if len(shape) == rank} - {None}
            mismatch = mismatch or (position != axis and len(sizes) > 1)
        if mismatch:
            raise ValueError(
                f"Concatenate '{self.name}' joins along axis {self.axis} inputs whose other sizes agree, got "
                + ", ".join(_shape_text(s) for s in shapes)
            )
        sizes = [shape[axis] for shape in shapes]
        joined = None if None in sizes else sum(sizes)
        return shapes[0][:axis] + (joined,) + shapes[0][axis + 1 :]

    def merge(self, inputs):
        return concatenate(inputs, axis=self.axis)

    def explain_shape(self, input_shape) -> str:
        sizes = [shape[self.axis] for shape in input_shape]
        total = None if None in sizes else sum(sizes)
        return f"axis {self.axis}: {' + '.join(str(s) for s in sizes)} = {total}; params = 0"

    def get_config(self):
        return {**super().get_config(), "axis": self.axis}

    def extra_repr(self):
        return f"axis={self.axis}"
