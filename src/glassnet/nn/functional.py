"""Functions of tensors, for models written PyTorch-style (``nn.functional``): activations, dropout,
the dense product, scaled dot-product attention, and losses as functions. Each is the op's own function;
no formula lives here."""

from glassnet.ops import activation as _activation
from glassnet.ops.activation import *  # noqa: F403 - every activation function, listed once in its __all__
from glassnet.ops.attention import scaled_dot_product_attention
from glassnet.ops.dropout import dropout
from glassnet.ops.linalg import linear

__all__ = [
    *(name for name in _activation.__all__ if name.islower() and not name.endswith("_")),
    "dropout",
    "linear",
    "scaled_dot_product_attention",
]
