"""LSTM training and inference, glassnet against PyTorch in the same run, as samples per second.

    python benchmarks/lstm.py [--steps 20] [--repeats 5]

The task (issue 7): input 32, hidden 128, 50 time steps, batch 64, float32; training = forward, a loss
over the last hidden state through a Dense(10) and softmax cross-entropy, backward, Adam. Inference = the
forward pass without a graph. Each figure is the best of ``--repeats`` timed runs of ``--steps`` steps
after a warm-up, the frameworks taking turns, so that a slow spell of a shared machine hurts both alike.
"""

from __future__ import annotations

import argparse
import time

import numpy as np

BATCH, STEPS_IN_TIME, FEATURES, UNITS, CLASSES = 64, 50, 32, 128, 10


def make_data(steps: int, seed: int = 0):
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((steps, BATCH, STEPS_IN_TIME, FEATURES)).astype(np.float32)
    y = rng.integers(0, CLASSES, size=(steps, BATCH))
    return x, y


def best_rates(runners: dict, steps: int, repeats: int) -> dict:
    """Samples per second of each runner: the fastest of ``repeats`` timed runs, the runners taking turns."""
    for run in runners.values():
        run(min(steps, 3))  # warm-up
    best = dict.fromkeys(runners, float("inf"))
    for _ in range(repeats):
        for name, run in runners.items():
            start = time.perf_counter()
            run(steps)
            best[name] = min(best[name], time.perf_counter() - start)
    return {name: steps * BATCH / seconds for name, seconds in best.items()}


def glassnet_runners(x, y):
    import glassnet as gn
    from glassnet import nn, optim

    gn.manual_seed(0)
    model = nn.Sequential([nn.LSTM(UNITS), nn.Dense(CLASSES)], input_shape=(STEPS_IN_TIME, FEATURES))
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


def torch_runners(x, y):
    import torch

    torch.manual_seed(0)

    class Net(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.lstm = torch.nn.LSTM(FEATURES, UNITS, batch_first=True)
            self.out = torch.nn.Linear(UNITS, CLASSES)

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
    train, infer = {}, {}
    for name, factory in (("glassnet", glassnet_runners), ("pytorch", torch_runners)):
        try:
            train[name], infer[name] = factory(x, y)
        except ImportError as error:
            print(f"{name:>9}: not installed ({error.name})")
    for label, runners in (("training (Adam)", train), ("inference", infer)):
        rates = best_rates(runners, args.steps, args.repeats)
        print(
            f"LSTM {FEATURES}->{UNITS}, {STEPS_IN_TIME} steps, batch {BATCH}, float32, {label}: "
            f"samples/s (best of {args.repeats})"
        )
        for name, rate in rates.items():
            ratio = f"  {rate / rates['pytorch']:.2f}x PyTorch" if "pytorch" in rates else ""
            print(f"{name:>9}: {rate:10,.0f}{ratio}")


if __name__ == "__main__":
    main()
