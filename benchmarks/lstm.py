"""LSTM training and inference, glassnet against PyTorch in the same run, as samples per second.

    python benchmarks/lstm.py [--steps 20] [--repeats 5]

The task (issue 7): input 32, hidden 128, 50 time steps, batch 64, float32; training = forward, a loss
over the last hidden state through a Dense(10) and softmax cross-entropy, backward, Adam. Inference = the
forward pass without a graph. Each figure is the best of ``--repeats`` timed runs of ``--steps`` steps
after a warm-up, the frameworks taking turns, so that a slow spell of a shared machine hurts both alike.
"""

from __future__ import annotations

import argparse

import numpy as np
from timing import available, best_rates, report

BATCH, STEPS_IN_TIME, FEATURES, UNITS, CLASSES = 64, 50, 32, 128, 10


def make_data(steps: int, seed: int = 0, length: int = STEPS_IN_TIME):
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((steps, BATCH, length, FEATURES)).astype(np.float32)
    y = rng.integers(0, CLASSES, size=(steps, BATCH))
    return x, y


def glassnet_runners(x, y, units: int = UNITS):
    import glassnet as gn
    from glassnet import nn, optim

    gn.manual_seed(0)
    model = nn.Sequential([nn.LSTM(units), nn.Dense(CLASSES)], input_shape=x.shape[2:])
    loss_fn = nn.SparseCategoricalCrossEntropy(from_logits=True)
    opt = optim.Adam(model.parameters(), lr=1e-3, convention="pytorch")
    inputs = [gn.tensor(batch) for batch in x]

    def train(steps):
        for i in range(steps):
            loss = loss_fn(model(inputs[i]), y[i])
            opt.zero_grad()
            loss.backward()
            opt.step()

    def infer(steps):
        with gn.no_grad():
            for i in range(steps):
                model(inputs[i])

    return train, infer


def torch_runners(x, y, units: int = UNITS):
    import torch

    torch.manual_seed(0)

    class Net(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.lstm = torch.nn.LSTM(FEATURES, units, batch_first=True)
            self.out = torch.nn.Linear(units, CLASSES)

        def forward(self, inputs):
            _, (h, _) = self.lstm(inputs)
            return self.out(h[-1])

    model = Net()
    loss_fn = torch.nn.CrossEntropyLoss()
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    inputs, labels = torch.from_numpy(x), torch.from_numpy(y)

    def train(steps):
        for i in range(steps):
            loss = loss_fn(model(inputs[i]), labels[i])
            opt.zero_grad()
            loss.backward()
            opt.step()

    def infer(steps):
        with torch.no_grad():
            for i in range(steps):
                model(inputs[i])

    return train, infer


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--steps", type=int, default=20)
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()
    x, y = make_data(args.steps)
    both = available((("glassnet", glassnet_runners), ("pytorch", torch_runners)), x, y)
    train = {name: runners[0] for name, runners in both.items()}
    infer = {name: runners[1] for name, runners in both.items()}
    for label, runners in (("training (Adam)", train), ("inference", infer)):
        rates = best_rates(runners, args.steps, args.repeats, BATCH, warmup=3)
        report(
            f"LSTM {FEATURES}->{UNITS}, {STEPS_IN_TIME} steps, batch {BATCH}, float32, {label}: "
            f"samples/s (best of {args.repeats})",
            rates,
        )


if __name__ == "__main__":
    main()
