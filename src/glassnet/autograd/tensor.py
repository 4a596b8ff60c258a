"""``Tensor``: an array that remembers the op that made it, so that ``backward()`` can apply the chain rule.

A tensor holds ``data`` (a NumPy or CuPy array), ``grad`` (an array of the same shape once a backward pass
reached it, else ``None``), ``requires_grad`` and the op that produced it. Operators (``+ - * / @ **``),
reductions, elementwise math, shapes and activations are listed in the class below, each one line that
calls its op (one home per op) through a table that ``glassnet.ops`` fills, so that the arrow of imports
still points down.
"""

from __future__ import annotations

import math

import numpy as np

from glassnet import backend
from glassnet.autograd import engine

__all__ = ["Tensor", "tensor", "zeros", "ones", "randn", "rand"]

# Method name -> the function of glassnet.ops that computes it (``ops/tensor_methods.py`` fills it).
METHODS: dict = {}


class Tensor:
    """An n-dimensional array with reverse-mode automatic differentiation.

    Args:
        data: the array (kept as is: use ``gn.tensor`` to build one from lists or scalars).
        requires_grad: record ops on this tensor so that ``backward()`` fills its ``.grad``.

    Example:
        >>> import glassnet as gn
        >>> x = gn.tensor([2.0, 3.0], requires_grad=True)
        >>> (x * x).sum().backward(); x.grad
        array([4., 6.], dtype=float32)
    """

    # ``_slot``: which output of its op this tensor is (0 unless the op has several outputs).
    __slots__ = ("data", "grad", "requires_grad", "_ctx", "_slot", "_retains_grad", "name", "__weakref__")
    # Make NumPy defer to Tensor's reflected operators in ``ndarray + Tensor``.
    __array_priority__ = 1000

    def __init__(self, data, requires_grad: bool = False, name: str | None = None):
        if requires_grad and data.dtype.kind != "f":
            raise TypeError(f"only floating-point tensors can require gradients, got dtype {data.dtype}")
        self.data = data
        self.grad = None
        self.requires_grad = bool(requires_grad)
        self._ctx = None
        self._slot = 0
        self._retains_grad = False
        self.name = name

    @classmethod
    def _from_op(cls, data, fn, slot: int = 0) -> Tensor:
        """Output ``slot`` of an op: requires a gradient exactly when the op was recorded."""
        out = cls.__new__(cls)
        out.data = data
        out.grad = None
        out.requires_grad = fn is not None
        out._ctx = fn
        out._slot = slot
        out._retains_grad = False
        out.name = None
        return out

    # --- what it is ---
    @property
    def shape(self) -> tuple:
        return self.data.shape

    @property
    def dtype(self):
        return self.data.dtype

    @property
    def ndim(self) -> int:
        return self.data.ndim

    @property
    def size(self) -> int:
        return self.data.size

    @property
    def is_leaf(self) -> bool:
        """True for tensors made by the user (parameters, inputs), not by an op."""
        return self._ctx is None

    @property
    def op(self):
        """The op (a ``Function``) that produced this tensor, or ``None`` for a leaf."""
        return self._ctx

    def __len__(self) -> int:
        return len(self.data)

    def __repr__(self) -> str:
        body = np.array2string(backend_to_numpy(self.data), precision=6, separator=", ", prefix="tensor(")
        extras = [f"dtype={self.dtype.name}"]
        if self._ctx is not None:
            names = self._ctx.output_names
            extras.append(f"op={self._ctx.name}" + (f".{names[self._slot]}" if names else ""))
        elif self.requires_grad:
            extras.append("requires_grad=True")
        return f"tensor({body}, {', '.join(extras)})"

    # --- leaving the graph ---
    def numpy(self):
        """The data as a NumPy array (shared, not copied, for CPU tensors)."""
        return backend_to_numpy(self.data)

    def item(self) -> float:
        """The value of a one-element tensor as a Python number."""
        if self.data.size != 1:
            raise ValueError(f"item() needs a tensor with one element, got shape {self.shape}")
        return self.data.item()

    def tolist(self):
        """The data as nested Python lists."""
        return self.data.tolist()

    def detach(self) -> Tensor:
        """The same data, cut from the graph (no gradient flows through it)."""
        return Tensor(self.data)

    def requires_grad_(self, requires_grad: bool = True) -> Tensor:
        """Switch gradient recording for this leaf on (or off), in place; returns the tensor."""
        if self._ctx is not None and not requires_grad:
            raise RuntimeError("requires_grad can only be switched off on a leaf tensor; use detach()")
        if requires_grad and self.data.dtype.kind != "f":
            raise TypeError(f"only floating-point tensors can require gradients, got dtype {self.dtype}")
        self.requires_grad = bool(requires_grad)
        return self

    def retain_grad(self) -> Tensor:
        """Keep ``.grad`` on this intermediate tensor after backward (leaves always keep theirs)."""
        self._retains_grad = True
        return self

    def zero_grad(self) -> None:
        """Set ``.grad`` to zero in place (keeping its buffer), or leave ``None`` as it is."""
        if self.grad is not None:
            self.grad.fill(0)

    # --- the chain rule ---
    def backward(self, gradient=None, retain_graph: bool = False) -> None:
        """Accumulate d(self)/d(leaf) into the ``.grad`` of every leaf that requires a gradient.

        Args:
            gradient: dL/d(self); may be omitted for a one-element tensor (then 1).
            retain_graph: keep saved values so that backward can run through the graph again.

        Raises:
            FloatingPointError: when this one-element tensor (a loss) is NaN or infinite, because
                backpropagating it would silently fill every weight with NaN.
        """
        if not self.requires_grad:
            raise RuntimeError(
                "backward() on a tensor that does not require a gradient: no input had requires_grad=True, "
                "or the graph was built inside no_grad()"
            )
        xp = backend.get_array_module(self.data)
        if gradient is None:
            if self.data.size != 1:
                raise RuntimeError(
                    f"backward() without a gradient needs a one-element tensor (a loss), "
                    f"got shape {self.shape}; "
                    "pass gradient= of the same shape"
                )
            value = float(self.data.reshape(()))
            if not math.isfinite(value):
                raise FloatingPointError(
                    f"the loss is {value} before backward; backpropagating it would turn every weight "
                    "into NaN. "
                    "Look for log(0) or division by zero in the loss, a learning rate that diverged, or "
                    "non-finite inputs"
                )
            gradient = xp.ones_like(self.data)
        else:
            gradient = (
                gradient.data if isinstance(gradient, Tensor) else xp.asarray(gradient, dtype=self.dtype)
            )
            if gradient.shape != self.shape:
                raise ValueError(f"backward(gradient) needs shape {self.shape}, got {gradient.shape}")
        engine.run_backward(self, gradient, retain_graph=retain_graph)

    # --- operators and methods: each calls its op in glassnet.ops, looked up in ``METHODS`` (filled by
    # ``glassnet.ops.tensor_methods`` on import), so that this layer imports nothing from the layers above ---
    def __add__(self, b):
        return METHODS["__add__"](self, b)

    def __radd__(self, other):
        return METHODS["__radd__"](self, other)

    def __sub__(self, b):
        return METHODS["__sub__"](self, b)

    def __rsub__(self, other):
        return METHODS["__rsub__"](self, other)

    def __mul__(self, b):
        return METHODS["__mul__"](self, b)

    def __rmul__(self, other):
        return METHODS["__rmul__"](self, other)

    def __truediv__(self, b):
        return METHODS["__truediv__"](self, b)

    def __rtruediv__(self, other):
        return METHODS["__rtruediv__"](self, other)

    def __pow__(self, b):
        return METHODS["__pow__"](self, b)

    def __rpow__(self, other):
        return METHODS["__rpow__"](self, other)

    def __matmul__(self, b):
        return METHODS["__matmul__"](self, b)

    def __rmatmul__(self, other):
        return METHODS["__rmatmul__"](self, other)

    def __neg__(self):
        return METHODS["__neg__"](self)

    def __pos__(self):
        return METHODS["__pos__"](self)

    def __getitem__(self, index):
        return METHODS["__getitem__"](self, index)

    def matmul(self, b):
        return METHODS["matmul"](self, b)

    def exp(self):
        return METHODS["exp"](self)

    def log(self):
        return METHODS["log"](self)

    def sqrt(self):
        return METHODS["sqrt"](self)

    def abs(self):
        return METHODS["abs"](self)

    def __abs__(self):
        return METHODS["__abs__"](self)

    def clip(self, low=None, high=None):
        return METHODS["clip"](self, low, high)

    def maximum(self, b):
        return METHODS["maximum"](self, b)

    def minimum(self, b):
        return METHODS["minimum"](self, b)

    def to(self, dtype):
        return METHODS["to"](self, dtype)

    def double(self):
        return METHODS["double"](self)

    def float(self):
        return METHODS["float"](self)

    def sum(self, axis=None, keepdims: bool = False):
        return METHODS["sum"](self, axis, keepdims)

    def mean(self, axis=None, keepdims: bool = False):
        return METHODS["mean"](self, axis, keepdims)

    def max(self, axis=None, keepdims: bool = False):
        return METHODS["max"](self, axis, keepdims)

    def min(self, axis=None, keepdims: bool = False):
        return METHODS["min"](self, axis, keepdims)

    def reshape(self, *shape):
        return METHODS["reshape"](self, *shape)

    def transpose(self, *axes):
        return METHODS["transpose"](self, *axes)

    def flatten(self, start_axis: int = 1):
        return METHODS["flatten"](self, start_axis)

    def sigmoid(self):
        return METHODS["sigmoid"](self)

    def tanh(self):
        return METHODS["tanh"](self)

    def relu(self):
        return METHODS["relu"](self)

    def softmax(self, axis: int = -1):
        return METHODS["softmax"](self, axis)

    def log_softmax(self, axis: int = -1):
        return METHODS["log_softmax"](self, axis)

    def __lt__(self, other):
        return METHODS["__lt__"](self, other)

    def __le__(self, other):
        return METHODS["__le__"](self, other)

    def __gt__(self, other):
        return METHODS["__gt__"](self, other)

    def __ge__(self, other):
        return METHODS["__ge__"](self, other)

    def argmax(self, axis=None):
        return METHODS["argmax"](self, axis)

    def argmin(self, axis=None):
        return METHODS["argmin"](self, axis)

    @property
    def T(self) -> Tensor:  # noqa: N802 - NumPy's and PyTorch's name
        """The transpose (all axes reversed), an op in the graph."""
        return METHODS["transpose"](self)


def backend_to_numpy(array):
    """A NumPy view of a NumPy array, or a host copy of a GPU array."""
    return array.get() if hasattr(array, "get") and not isinstance(array, np.ndarray) else array


def tensor(data, requires_grad: bool = False, dtype=None) -> Tensor:
    """Make a tensor from a list, scalar or array (copied).

    Floats from Python lists and scalars take the default dtype (float32 unless changed); float arrays keep
    their dtype, as ``torch.tensor`` does; integers and booleans stay as they are (labels, masks).

    Example:
        >>> import glassnet as gn
        >>> gn.tensor([[2., 3., 5., 6.]]).shape
        (1, 4)
    """
    if isinstance(data, Tensor):
        data = data.data
    xp = backend.get_array_module(data)
    from_array = hasattr(data, "dtype")
    array = xp.array(data, copy=True)
    if dtype is not None:
        array = array.astype(np.dtype(dtype) if not isinstance(dtype, str) else dtype, copy=False)
    elif array.dtype.kind == "f" and not from_array:
        array = array.astype(backend.get_default_dtype(), copy=False)
    elif array.dtype.kind not in "fiub":
        raise TypeError(f"cannot make a tensor from data of dtype {array.dtype}")
    return Tensor(array, requires_grad=requires_grad)


def _dtype(dtype):
    return backend.get_default_dtype() if dtype is None else backend.as_dtype(dtype)


def zeros(*shape, dtype=None, requires_grad: bool = False) -> Tensor:
    """A tensor of zeros, of the default float dtype unless ``dtype`` is given."""
    return Tensor(np.zeros(_shape(shape), dtype=_dtype(dtype)), requires_grad=requires_grad)


def ones(*shape, dtype=None, requires_grad: bool = False) -> Tensor:
    """A tensor of ones, of the default float dtype unless ``dtype`` is given."""
    return Tensor(np.ones(_shape(shape), dtype=_dtype(dtype)), requires_grad=requires_grad)


def randn(*shape, dtype=None, requires_grad: bool = False) -> Tensor:
    """Standard normal draws from the generator seeded by ``gn.manual_seed``."""
    data = backend.get_rng().standard_normal(_shape(shape)).astype(_dtype(dtype))
    return Tensor(data, requires_grad=requires_grad)


def rand(*shape, dtype=None, requires_grad: bool = False) -> Tensor:
    """Uniform draws on [0, 1) from the generator seeded by ``gn.manual_seed``."""
    data = backend.get_rng().random(_shape(shape)).astype(_dtype(dtype))
    return Tensor(data, requires_grad=requires_grad)


def _shape(shape) -> tuple:
    if len(shape) == 1 and isinstance(shape[0], (tuple, list)):
        return tuple(shape[0])
    return tuple(shape)
