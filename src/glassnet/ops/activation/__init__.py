"""Activation functions, each with its local derivative, written to stay finite for any input: one family per
file (threshold, logistic, rectifier, gaussian, softmax), every name re-exported here.

The functions (``relu(x)``, ``sigmoid(x)``, ...) are what layers, ``nn.functional`` and ``Tensor`` methods
call; ``nn.activations`` wraps them as modules and string names.
"""

from glassnet.ops.activation.gaussian import GELU, gelu
from glassnet.ops.activation.logistic import (
    Sigmoid,
    SiLU,
    Tanh,
    sigmoid,
    sigmoid_,
    silu,
    tanh,
)
from glassnet.ops.activation.rectifier import (
    ELU,
    SELU,
    SELU_ALPHA,
    SELU_SCALE,
    LeakyReLU,
    PReLU,
    ReLU,
    RReLU,
    elu,
    leaky_relu,
    prelu,
    relu,
    rrelu,
    selu,
)
from glassnet.ops.activation.softmax import LogSoftmax, Softmax, log_softmax, softmax
from glassnet.ops.activation.threshold import Identity, Step, identity, step

__all__ = [
    "Identity",
    "Step",
    "Sigmoid",
    "Tanh",
    "ReLU",
    "LeakyReLU",
    "RReLU",
    "PReLU",
    "ELU",
    "SELU",
    "SiLU",
    "GELU",
    "Softmax",
    "LogSoftmax",
    "step",
    "identity",
    "sigmoid",
    "sigmoid_",
    "tanh",
    "relu",
    "leaky_relu",
    "rrelu",
    "prelu",
    "elu",
    "selu",
    "silu",
    "gelu",
    "softmax",
    "log_softmax",
    "SELU_ALPHA",
    "SELU_SCALE",
]
