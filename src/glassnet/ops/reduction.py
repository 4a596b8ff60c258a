"""Reductions: sum, mean, max, min over all elements or over given axes."""

from __future__ import annotations

from glassnet.autograd.formula import Formula
from glassnet.autograd.function import Function, op_function
from glassnet.backend import get_array_module

__all__ = ["Sum", "Mean", "Max", "Min", "sum", "mean", "max", "min"]


def _normalize_axis(axis, ndim: int):
    if axis is None:
        return tuple(range(ndim))
    axes = (axis,) if isinstance(axis, int) else tuple(axis)
    for a in axes:
        if not -ndim <= a < (ndim or 1):
            raise ValueError(f"axis {a} is out of range for a tensor with {ndim} dimensions")
    return tuple(sorted(a % ndim for a in axes)) if ndim else ()


def _expand(grad, shape, axes, keepdims: bool):
    """Put back the reduced axes (as size 1) so that ``grad`` broadcasts against the input."""
    if not keepdims:
        for a in axes:
            grad = get_array_module(grad).expand_dims(grad, a)
    return grad


class Sum(Function):
    """Sum over ``axis``: each input gets the upstream gradient."""

    name = "sum"
    formula = Formula(r"\sum_i #x_i")
    derivative = Formula(r"\frac{\partial y}{\partial x_i} = 1")

    def forward(self, x):
        axes = _normalize_axis(self.params["axis"], x.ndim)
        self.saved.update(shape=x.shape, axes=axes)
        return x.sum(axis=axes, keepdims=self.params["keepdims"])

    def backward(self, grad):
        shape, axes = self.saved["shape"], self.saved["axes"]
        grad = _expand(grad, shape, axes, self.params["keepdims"])
        return get_array_module(grad).broadcast_to(grad, shape)


class Mean(Function):
    """Mean over ``axis`` (n elements)."""

    name = "mean"
    formula = Formula(r"\frac{1}{n} \sum_i #x_i")
    derivative = Formula(r"\frac{\partial y}{\partial x_i} = \frac{1}{n}")

    def forward(self, x):
        axes = _normalize_axis(self.params["axis"], x.ndim)
        count = 1
        for a in axes:
            count *= x.shape[a]
        self.saved.update(shape=x.shape, axes=axes, count=count)
        return x.mean(axis=axes, keepdims=self.params["keepdims"])

    def backward(self, grad):
        shape, axes = self.saved["shape"], self.saved["axes"]
        grad = _expand(grad, shape, axes, self.params["keepdims"]) / self.saved["count"]
        return get_array_module(grad).broadcast_to(grad, shape)


class Max(Function):
    """Maximum over ``axis``; the gradient is shared equally among ties (as ``torch.amax``)."""

    name = "max"
    formula = Formula(r"\max_i #x_i")
    derivative = Formula(r"\frac{\partial y}{\partial x_i} = \frac{[x_i = y]}{\text{ties}}")

    reduce = "max"

    def forward(self, x):
        axes = _normalize_axis(self.params["axis"], x.ndim)
        y = getattr(x, self.reduce)(axis=axes, keepdims=True)
        self.saved.update(x=x, y=y, axes=axes)
        return y if self.params["keepdims"] else y.squeeze(axis=axes)

    def backward(self, grad):
        x, y, axes = self.saved["x"], self.saved["y"], self.saved["axes"]
        grad = _expand(grad, x.shape, axes, self.params["keepdims"])
        hits = x == y
        return grad * hits / hits.sum(axis=axes, keepdims=True)


class Min(Max):
    """Minimum over ``axis``; the gradient is shared equally among ties."""

    name = "min"
    formula = Formula(r"\min_i #x_i")
    derivative = Formula(r"\frac{\partial y}{\partial x_i} = \frac{[x_i = y]}{\text{ties}}")
    reduce = "min"


@op_function(Sum)
def sum(x, axis=None, keepdims: bool = False):  # noqa: A001 - the field's word
    """Sum over ``axis`` (an int, a tuple, or None for all), keeping reduced axes if ``keepdims``."""
    return Sum.apply(x, axis=axis, keepdims=keepdims)


@op_function(Mean)
def mean(x, axis=None, keepdims: bool = False):
    """Mean over ``axis`` (an int, a tuple, or None for all), keeping reduced axes if ``keepdims``."""
    return Mean.apply(x, axis=axis, keepdims=keepdims)


@op_function(Max)
def max(x, axis=None, keepdims: bool = False):  # noqa: A001
    """Maximum over ``axis`` (an int, a tuple, or None for all), keeping reduced axes if ``keepdims``."""
    return Max.apply(x, axis=axis, keepdims=keepdims)


@op_function(Min)
def min(x, axis=None, keepdims: bool = False):  # noqa: A001
    """Minimum over ``axis`` (an int, a tuple, or None for all), keeping reduced axes if ``keepdims``."""
    return Min.apply(x, axis=axis, keepdims=keepdims)
