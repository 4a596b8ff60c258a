"""Shape ops: reshape, transpose, indexing, concatenation, stacking. Their derivatives move gradients
back to where the values came from; no arithmetic happens."""

from __future__ import annotations

from glassnet.autograd.formula import Formula
from glassnet.autograd.function import Function, op_function
from glassnet.autograd.tensor import Tensor
from glassnet.backend import get_array_module

__all__ = [
    "Reshape",
    "Transpose",
    "GetItem",
    "Concatenate",
    "Stack",
    "Unbind",
    "reshape",
    "transpose",
    "getitem",
    "concatenate",
    "stack",
    "unbind",
    "flatten",
]


class Reshape(Function):
    """A new shape for the same elements (row-major order); the gradient is reshaped back."""

    name = "reshape"
    formula = Formula(r"\mathrm{reshape}(#x)")
    derivative = Formula(
        r"\frac{\partial L}{\partial x} = \mathrm{reshape}(\frac{\partial L}{\partial y}, \text{shape of }x)"
    )

    def forward(self, x):
        self.saved["shape"] = x.shape
        try:
            return x.reshape(self.params["shape"])
        except ValueError:
            raise ValueError(
                f"cannot reshape a tensor of shape {x.shape} ({x.size} elements) into {self.params['shape']}"
            ) from None

    def backward(self, grad):
        return grad.reshape(self.saved["shape"])


class Transpose(Function):
    """The axes permuted (reversed when ``axes`` is None); the gradient is permuted back."""

    name = "transpose"
    formula = Formula(r"#x^{\top}")
    derivative = Formula(r"\frac{\partial L}{\partial x} = (\frac{\partial L}{\partial y})^{\top}")

    def forward(self, x):
        axes = self.params["axes"]
        self.saved["axes"] = tuple(range(x.ndim))[::-1] if axes is None else tuple(a % x.ndim for a in axes)
        return x.transpose(self.saved["axes"])

    def backward(self, grad):
        inverse = get_array_module(grad).argsort(self.saved["axes"])
        return grad.transpose(tuple(int(a) for a in inverse))


class GetItem(Function):
    """Indexing; the gradient is scattered back into zeros of x's shape (summed where an index repeats,
    as in an embedding lookup)."""

    name = "getitem"
    formula = Formula(r"#x[\mathrm{index}]")
    derivative = Formula(
        r"\frac{\partial L}{\partial x} = \text{scatter-add of }\frac{\partial L}{\partial y}\text{ at index}"
    )

    def forward(self, x):
        self.saved.update(shape=x.shape, dtype=x.dtype)
        return x[self.params["index"]]

    def backward(self, grad):
        xp = get_array_module(grad)
        index = self.params["index"]
        out = xp.zeros(self.saved["shape"], dtype=grad.dtype)
        if _is_basic(index):
            out[index] = grad
        else:
            xp.add.at(out, index, grad)
        return out


def _is_basic(index) -> bool:
    """True for an index of ints, slices, None and Ellipsis only (each element picked at most once)."""
    items = index if isinstance(index, tuple) else (index,)
    return all(isinstance(i, (int, slice)) or i is None or i is Ellipsis for i in items)


class Concatenate(Function):
    """Inputs joined along ``axis``; each input gets its slice of the gradient back."""

    name = "concatenate"
    formula = Formula(r"[x_1, \ldots, x_k]")
    derivative = Formula(
        r"\frac{\partial L}{\partial x_k} = \frac{\partial L}{\partial y}[\text{slice of }x_k]"
    )

    def forward(self, *xs):
        axis = self.params["axis"]
        self.saved["sizes"] = [x.shape[axis] for x in xs]
        return get_array_module(*xs).concatenate(xs, axis=axis)

    def backward(self, grad):
        xp = get_array_module(grad)
        bounds = xp.cumsum(self.saved["sizes"])[:-1]
        return tuple(xp.split(grad, [int(b) for b in bounds], axis=self.params["axis"]))


class Stack(Function):
    """Inputs stacked along a new ``axis``; each input gets its slice back."""

    name = "stack"
    formula = Formula(r"\mathrm{stack}(x_1, \ldots, x_k)")
    derivative = Formula(r"\frac{\partial L}{\partial x_k} = \frac{\partial L}{\partial y}[k]")

    def forward(self, *xs):
        return get_array_module(*xs).stack(xs, axis=self.params["axis"])

    def backward(self, grad):
        xp = get_array_module(grad)
        return tuple(xp.moveaxis(grad, self.params["axis"], 0))


class Unbind(Function):
    """The slices of x along ``axis``, one output each (``torch.unbind``): views, no copy. The gradient
    stacks the slices' gradients back along that axis, zeros for a slice that no path from the loss
    reached: one array written once, where indexing each slice would scatter each gradient into its own
    array of zeros of x's shape and then sum them (a Transformer splitting its fused Q, K, V projection
    spent 3 % of a step there)."""

    name = "unbind"
    formula = Formula(r"(#x_{[0]}, \ldots, #x_{[k-1]})")
    derivative = Formula(
        r"\frac{\partial L}{\partial x} = \mathrm{stack}(\frac{\partial L}{\partial y_0}, \ldots, "
        r"\frac{\partial L}{\partial y_{k-1}})"
    )

    def forward(self, x):
        axis = self.params["axis"]
        if not -x.ndim <= axis < x.ndim:
            raise ValueError(f"unbind: axis {axis} is out of range for a tensor of shape {x.shape}")
        self.saved.update(shape=x.shape, dtype=x.dtype)
        self.output_names = tuple(str(i) for i in range(x.shape[axis]))  # one output per slice
        return tuple(get_array_module(x).moveaxis(x, axis, 0))

    def backward(self, grad):
        xp = get_array_module(*(g for g in grad.values() if g is not None))
        shape, axis = self.saved["shape"], self.params["axis"] % len(self.saved["shape"])
        zeros = None
        parts = []
        for name in self.output_names:
            part = grad[name]
            if part is None:  # one array of zeros for every slice that fed nothing
                if zeros is None:
                    zeros = xp.zeros(shape[:axis] + shape[axis + 1 :], dtype=self.saved["dtype"])
                part = zeros
            parts.append(part)
        return xp.stack(parts, axis=axis)


@op_function(Reshape)
def reshape(x, *shape):
    """``x`` with a new ``shape`` (given as numbers or one tuple; one entry may be -1)."""
    if len(shape) == 1 and isinstance(shape[0], (tuple, list)):
        shape = tuple(shape[0])
    return Reshape.apply(x, shape=tuple(shape))


def flatten(x, start_axis: int = 1):
    """Merge the axes from ``start_axis`` on into one: (N, C, H, W) -> (N, C*H*W)."""
    return Reshape.apply(x, shape=tuple(x.shape[:start_axis]) + (-1,))


@op_function(Transpose)
def transpose(x, *axes):
    """``x`` with its ``axes`` permuted (numbers or one tuple; reversed when none are given)."""
    if len(axes) == 1 and isinstance(axes[0], (tuple, list)):
        axes = tuple(axes[0])
    return Transpose.apply(x, axes=tuple(axes) if axes else None)


@op_function(GetItem)
def getitem(x, index):
    """``x[index]``: integers, slices, None, Ellipsis, or integer and boolean arrays."""
    if isinstance(index, Tensor):
        index = index.data
    elif isinstance(index, tuple):
        index = tuple(i.data if isinstance(i, Tensor) else i for i in index)
    elif isinstance(index, list):
        index = get_array_module(x.data).asarray(index)
    return GetItem.apply(x, index=index)


def _tensors(xs):
    xs = list(xs)
    if not xs:
        raise ValueError("concatenate/stack need at least one tensor")
    like = next((x for x in xs if isinstance(x, Tensor)), None)
    if like is None:
        raise TypeError("concatenate/stack need tensors")
    return xs


def concatenate(xs, axis: int = 0):
    """Join tensors along an existing axis (``torch.cat``)."""
    return Concatenate.apply(*_tensors(xs), axis=axis)


def stack(xs, axis: int = 0):
    """Stack tensors of equal shape along a new axis."""
    return Stack.apply(*_tensors(xs), axis=axis)


@op_function(Unbind)
def unbind(x, axis: int = 0) -> tuple:
    """The slices of ``x`` along ``axis`` as a tuple of tensors, that axis removed (``torch.unbind``):
    ``q, k, v = unbind(qkv, 0)``."""
    return Unbind.apply(x, axis=axis)
