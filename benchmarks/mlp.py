"""One training step of an MLP 784-256-128-10 (batch 128, float32, ReLU, softmax cross-entropy, SGD with
momentum): glassnet, PyTorch and scikit-learn's MLPClassifier in the same run, as samples per second.

    python benchmarks/mlp.py [--steps 300] [--repeats 5]

PyTorch and scikit-learn are optional: a peer that is not installed is reported as missing.
Each figure is the best of ``--repeats`` timed runs of ``--steps`` steps, after a warm-up; the
frameworks take turns, so that a slow spell of the machine hurts them alike.
"""

from __future__ import annotations

import argparse

import numpy as np
from timing import available, best_rates, report

BATCH, SIZES = 128, (784, 256, 128, 10)


def make_data(steps: int, seed: int = 0, batch: int = BATCH, sizes: tuple = SIZES):
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((steps, batch, sizes[0])).astype(np.float32)
    y = rng.integers(0, sizes[-1], size=(steps, batch))
    return x, y


def glassnet_runner(x, y, sizes: tuple = SIZES, lr: float = 0.01):
    import glassnet as gn
    from glassnet import nn, optim

    gn.manual_seed(0)
    hidden = [nn.Dense(units, activation="relu") for units in sizes[1:-1]]
    model = nn.Sequential([*hidden, nn.Dense(sizes[-1])], input_shape=(sizes[0],))
    loss_fn = nn.SparseCategoricalCrossEntropy(from_logits=True)
    opt = optim.SGD(model.parameters(), lr=lr, momentum=0.9, convention="pytorch")
    inputs = [gn.tensor(batch) for batch in x]

    def run(steps):
        for i in range(steps):
            loss = loss_fn(model(inputs[i]), y[i])
            opt.zero_grad()
            loss.backward()
            opt.step()

    return run


def torch_runner(x, y, sizes: tuple = SIZES, lr: float = 0.01):
    import torch

    torch.manual_seed(0)
    layers = []
    for fan_in, fan_out in zip(sizes[:-2], sizes[1:-1]):
        layers += [torch.nn.Linear(fan_in, fan_out), torch.nn.ReLU()]
    model = torch.nn.Sequential(*layers, torch.nn.Linear(sizes[-2], sizes[-1]))
    loss_fn = torch.nn.CrossEntropyLoss()
    opt = torch.optim.SGD(model.parameters(), lr=lr, momentum=0.9)
    inputs, labels = torch.from_numpy(x), torch.from_numpy(y)

    def run(steps):
        for i in range(steps):
            loss = loss_fn(model(inputs[i]), labels[i])
            opt.zero_grad()
            loss.backward()
            opt.step()

    return run


def sklearn_runner(x, y):
    import warnings

    from sklearn.exceptions import ConvergenceWarning
    from sklearn.neural_network import MLPClassifier

    def run(steps):
        model = MLPClassifier(
            hidden_layer_sizes=SIZES[1:-1],
            solver="sgd",
            learning_rate_init=0.01,
            momentum=0.9,
            nesterovs_momentum=False,
            batch_size=BATCH,
            max_iter=1,
            shuffle=False,
            alpha=0.0,
            random_state=0,
        )
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)
            model.fit(x[:steps].reshape(-1, SIZES[0]), y[:steps].reshape(-1))

    return run


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--steps", type=int, default=300)
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()
    x, y = make_data(args.steps)
    runners = available(
        (("glassnet", glassnet_runner), ("pytorch", torch_runner), ("scikit-learn", sklearn_runner)), x, y
    )
    rates = best_rates(runners, args.steps, args.repeats, BATCH)
    report(
        f"MLP 784-256-128-10, batch {BATCH}, float32, SGD momentum: samples/s (best of {args.repeats})", rates
    )


if __name__ == "__main__":
    main()
