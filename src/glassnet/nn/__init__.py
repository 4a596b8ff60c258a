"""Neural-network modules (layer 3 of glassnet): Module, Parameter, Sequential, layers, activations,
losses, initializers and regularizers."""

from glassnet.nn import activations, functional, initializers, losses, regularizers, utils
from glassnet.nn import initializers as init
from glassnet.nn.activations import *  # noqa: F403 - every activation module, listed once in its __all__
from glassnet.nn.containers import Sequential
from glassnet.nn.layers import (
    GRU,
    LSTM,
    AvgPool2D,
    BatchNorm,
    Bidirectional,
    Conv2D,
    Dense,
    Dropout,
    Embedding,
    Flatten,
    GlobalAvgPool2D,
    MaxPool2D,
    Reshape,
    SimpleRNN,
    TimeDistributed,
)
from glassnet.nn.losses import (
    MAE,
    MSE,
    BinaryCrossEntropy,
    CategoricalCrossEntropy,
    Huber,
    Loss,
    SparseCategoricalCrossEntropy,
)
from glassnet.nn.module import Module, Parameter
from glassnet.nn.regularizers import L1, L1L2, L2

__all__ = [
    "Module",
    "Parameter",
    "Sequential",
    "Dense",
    "Dropout",
    "BatchNorm",
    "Conv2D",
    "MaxPool2D",
    "AvgPool2D",
    "GlobalAvgPool2D",
    "Flatten",
    "Reshape",
    "Embedding",
    "SimpleRNN",
    "LSTM",
    "GRU",
    "Bidirectional",
    "TimeDistributed",
    *(name for name in activations.__all__ if name not in ("Activation", "get", "registry")),
    "Loss",
    "MSE",
    "MAE",
    "Huber",
    "BinaryCrossEntropy",
    "CategoricalCrossEntropy",
    "SparseCategoricalCrossEntropy",
    "L1",
    "L2",
    "L1L2",
    "activations",
    "functional",
    "initializers",
    "init",
    "losses",
    "regularizers",
    "utils",
]
