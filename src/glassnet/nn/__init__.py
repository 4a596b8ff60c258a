"""Neural-network modules (layer 3 of glassnet): Module, Parameter, Sequential, layers, activations,
losses, initializers and regularizers."""

from glassnet.nn import activations, functional, initializers, losses, regularizers
from glassnet.nn import initializers as init
from glassnet.nn.activations import (
    ELU,
    SELU,
    Identity,
    LeakyReLU,
    PReLU,
    ReLU,
    RReLU,
    Sigmoid,
    Softmax,
    Step,
    Tanh,
)
from glassnet.nn.containers import Sequential
from glassnet.nn.layers import BatchNorm, Dense, Dropout
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
    "Step",
    "Identity",
    "Sigmoid",
    "Tanh",
    "ReLU",
    "LeakyReLU",
    "RReLU",
    "PReLU",
    "ELU",
    "SELU",
    "Softmax",
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
]
