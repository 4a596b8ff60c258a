"""The operators and methods of ``Tensor``, each a call of the op that computes it.

``autograd/tensor.py`` lists them as methods of ``Tensor``, each calling its entry of the table below, which
``install`` hands to it: the autograd layer never imports the ops layer above it.
"""

from __future__ import annotations

from glassnet.autograd.tensor import METHODS as TENSOR_METHODS
from glassnet.autograd.tensor import Tensor
from glassnet.backend import get_array_module
from glassnet.ops import activation, arithmetic, elementwise, linalg, reduction, shape
from glassnet.ops._util import as_operand


def _radd(self, other):
    """``other + self``, for a number or array on the left."""
    return arithmetic.Add.apply(as_operand(other, self), self)


def _rsub(self, other):
    """``other - self``, for a number or array on the left."""
    return arithmetic.Sub.apply(as_operand(other, self), self)


def _rmul(self, other):
    """``other * self``, for a number or array on the left."""
    return arithmetic.Mul.apply(as_operand(other, self), self)


def _rtruediv(self, other):
    """``other / self``, for a number or array on the left."""
    return arithmetic.Div.apply(as_operand(other, self), self)


def _rpow(self, other):
    """``other ** self``, for a number or array on the left."""
    return arithmetic.Pow.apply(as_operand(other, self), self)


def _rmatmul(self, other):
    """``other @ self``, for a number or array on the left."""
    return linalg.MatMul.apply(as_operand(other, self), self)


def _to(self, dtype):
    """The tensor converted to the float ``dtype`` (an op: the gradient is cast back)."""
    return elementwise.cast(self, dtype)


def _double(self):
    """The tensor as float64 (an op)."""
    return elementwise.cast(self, "float64")


def _float(self):
    """The tensor as float32 (an op)."""
    return elementwise.cast(self, "float32")


def _pos(self):
    """``+x``: the tensor itself."""
    return self


def _compare(ufunc_name: str):
    """A comparison: a boolean tensor, outside the graph (comparisons have no derivative)."""

    def compare(self, other):
        other = other.data if isinstance(other, Tensor) else other
        return Tensor(getattr(get_array_module(self.data), ufunc_name)(self.data, other))

    compare.__name__ = ufunc_name
    compare.__doc__ = f"Element-wise ``{ufunc_name}``: a boolean tensor, outside the graph (no derivative)."
    return compare


def _argmax(self, axis=None):
    """Indices of the maxima along ``axis`` (an integer tensor, outside the graph)."""
    return Tensor(self.data.argmax(axis=axis))


def _argmin(self, axis=None):
    """Indices of the minima along ``axis`` (an integer tensor, outside the graph)."""
    return Tensor(self.data.argmin(axis=axis))


METHODS = {
    "__add__": arithmetic.add,
    "__radd__": _radd,
    "__sub__": arithmetic.sub,
    "__rsub__": _rsub,
    "__mul__": arithmetic.mul,
    "__rmul__": _rmul,
    "__truediv__": arithmetic.div,
    "__rtruediv__": _rtruediv,
    "__pow__": arithmetic.pow,
    "__rpow__": _rpow,
    "__matmul__": linalg.matmul,
    "__rmatmul__": _rmatmul,
    "__neg__": arithmetic.neg,
    "__pos__": _pos,
    "__getitem__": shape.getitem,
    "matmul": linalg.matmul,
    "exp": elementwise.exp,
    "log": elementwise.log,
    "sqrt": elementwise.sqrt,
    "abs": elementwise.abs,
    "__abs__": elementwise.abs,
    "clip": elementwise.clip,
    "maximum": elementwise.maximum,
    "minimum": elementwise.minimum,
    "to": _to,
    "double": _double,
    "float": _float,
    "sum": reduction.sum,
    "mean": reduction.mean,
    "max": reduction.max,
    "min": reduction.min,
    "reshape": shape.reshape,
    "transpose": shape.transpose,
    "flatten": shape.flatten,
    "sigmoid": activation.sigmoid,
    "tanh": activation.tanh,
    "relu": activation.relu,
    "softmax": activation.softmax,
    "log_softmax": activation.log_softmax,
    "__lt__": _compare("less"),
    "__le__": _compare("less_equal"),
    "__gt__": _compare("greater"),
    "__ge__": _compare("greater_equal"),
    "argmax": _argmax,
    "argmin": _argmin,
}


def install() -> None:
    """Give ``Tensor``'s methods the ops they call, and their docstrings (idempotent)."""
    TENSOR_METHODS.update(METHODS)
    for name, function in METHODS.items():
        method = Tensor.__dict__[name]
        if not method.__doc__ and function.__doc__:
            method.__doc__ = function.__doc__
