"""Functions of tensors, for models written PyTorch-style (``nn.functional``): activations, dropout,
the dense product, and losses as functions. Each is the op's own function; no formula lives here."""

from glassnet.ops.activation import (
    elu,
    identity,
    leaky_relu,
    log_softmax,
    prelu,
    relu,
    rrelu,
    selu,
    sigmoid,
    softmax,
    step,
    tanh,
)
from glassnet.ops.dropout import dropout
from glassnet.ops.linalg import linear

__all__ = [
    "elu",
    "identity",
    "leaky_relu",
    "log_softmax",
    "prelu",
    "relu",
    "rrelu",
    "selu",
    "sigmoid",
    "softmax",
    "step",
    "tanh",
    "dropout",
    "linear",
]
