"""A small problem and model-building functions shared by the search tests (and their subprocesses)."""

from __future__ import annotations

import os
import signal
import time

import numpy as np

from glassnet import nn, optim

FOLDER = os.path.dirname(os.path.abspath(__file__))


def blobs(n: int = 300):
    """``n`` points of 8 features in 3 Gaussian classes: a trial of a few epochs takes milliseconds."""
    rng = np.random.default_rng(0)
    centers = rng.normal(0, 1.5, (3, 8))
    y = rng.integers(0, 3, n)
    x = centers[y] + rng.normal(0, 1.0, (n, 8))
    return x.astype(np.float32), y


def build_mlp(hp: dict):
    """An MLP of ``hp["layers"]`` Dense layers (units, units_2, ...) on 8 features and 3 classes.

    Faults on request: activation "nope" does not build; ``hp["sleep"]`` seconds pass before building;
    units == 13 kills its own process with SIGKILL (a worker's death).
    """
    time.sleep(hp.get("sleep", 0))
    if hp.get("units") == 13:
        os.kill(os.getpid(), signal.SIGKILL)
    layers = []
    for k in range(1, hp.get("layers", 1) + 1):
        units = hp.get("units" if k == 1 else f"units_{k}", 8)
        layers.append(nn.Dense(units, activation=hp.get("activation", "relu")))
    layers.append(nn.Dense(3))
    model = nn.Sequential(layers, input_shape=(8,))
    optimizer = {"adam": optim.Adam, "sgd": optim.SGD}[hp.get("optimizer", "adam")](lr=hp.get("lr", 0.01))
    loss = nn.SparseCategoricalCrossEntropy(from_logits=True)
    model.compile(optimizer=optimizer, loss=loss, metrics=["accuracy"])
    return model
