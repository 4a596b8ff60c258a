"""Every differentiable op, forward and backward together, one family per file (layer 2 of glassnet).

Importing this package also gives ``Tensor`` its operators and methods (``x + y``, ``x @ w``,
``x.sum()``, ``x.relu()`` ...), each a thin call of the op's function, listed in ``tensor_methods``.
"""

from glassnet.ops import activation, arithmetic, dropout, elementwise, linalg, loss, reduction, shape
from glassnet.ops.activation import *  # noqa: F403 - every activation function, listed once in its __all__
from glassnet.ops.arithmetic import add, div, mul, neg, pow, sub
from glassnet.ops.dropout import dropout as dropout_fn
from glassnet.ops.elementwise import abs, cast, clip, exp, log, maximum, minimum, sqrt, where
from glassnet.ops.linalg import linear, matmul
from glassnet.ops.reduction import max, mean, min, sum
from glassnet.ops.shape import concatenate, flatten, getitem, reshape, stack, transpose, unbind
from glassnet.ops.tensor_methods import install as _install

_install()

__all__ = [
    "activation",
    "arithmetic",
    "dropout",
    "elementwise",
    "linalg",
    "loss",
    "reduction",
    "shape",
    "add",
    "sub",
    "mul",
    "div",
    "neg",
    "pow",
    "exp",
    "log",
    "sqrt",
    "abs",
    "clip",
    "where",
    "maximum",
    "minimum",
    "cast",
    "sum",
    "mean",
    "max",
    "min",
    "reshape",
    "transpose",
    "getitem",
    "concatenate",
    "stack",
    "unbind",
    "flatten",
    "matmul",
    "linear",
    *(name for name in activation.__all__ if name.islower() and not name.endswith("_")),
    "dropout_fn",
]
