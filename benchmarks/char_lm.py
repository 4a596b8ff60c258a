"""Character-LM training speed, glassnet against PyTorch in the same run, as characters per second.

    python benchmarks/char_lm.py [--steps 5] [--repeats 3]

The model of ``examples/char_lm.py``: Embedding(67, 64) -> LSTM(256) -> LSTM(256) -> Dense(67), windows
of 100 characters, batch 64, float32, softmax cross-entropy over every position, Adam. Random ids (the
speed does not depend on the text). Best of ``--repeats`` timed runs, the frameworks taking turns.
"""

from __future__ import annotations

import argparse

import numpy as np
from timing import available, best_rates, report

VOCAB, EMBEDDING, UNITS, BATCH, SEQ_LEN = 67, 64, 256, 64, 100


def make_data(steps: int, seed: int = 0):
    rng = np.random.default_rng(seed)
    return rng.integers(0, VOCAB, (steps, BATCH, SEQ_LEN)), rng.integers(0, VOCAB, (steps, BATCH, SEQ_LEN))


def glassnet_runner(x, y):
    import glassnet as gn
    from glassnet import nn, optim
    from glassnet.models import CharRNN

    gn.manual_seed(0)
    model = CharRNN(VOCAB, EMBEDDING, UNITS, num_layers=2)
    loss_fn = nn.SparseCategoricalCrossEntropy(from_logits=True)
    opt = optim.Adam(model.parameters(), lr=2e-3, convention="pytorch")

    def run(steps):
        for i in range(steps):
            loss = loss_fn(model(x[i]), y[i])
            opt.zero_grad()
            loss.backward()
            opt.step()

    return run


def torch_runner(x, y):
    import torch

    torch.manual_seed(0)

    class Net(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.embedding = torch.nn.Embedding(VOCAB, EMBEDDING)
            self.lstm = torch.nn.LSTM(EMBEDDING, UNITS, num_layers=2, batch_first=True)
            self.head = torch.nn.Linear(UNITS, VOCAB)

        def forward(self, ids):
            return self.head(self.lstm(self.embedding(ids))[0])

    model = Net()
    loss_fn = torch.nn.CrossEntropyLoss()
    opt = torch.optim.Adam(model.parameters(), lr=2e-3)
    inputs, labels = torch.from_numpy(x), torch.from_numpy(y)

    def run(steps):
        for i in range(steps):
            loss = loss_fn(model(inputs[i]).reshape(-1, VOCAB), labels[i].reshape(-1))
            opt.zero_grad()
            loss.backward()
            opt.step()

    return run


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--steps", type=int, default=5)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    x, y = make_data(args.steps)
    runners = available((("glassnet", glassnet_runner), ("pytorch", torch_runner)), x, y)
    rates = best_rates(runners, args.steps, args.repeats, BATCH * SEQ_LEN, warmup=1)
    report(
        f"char-LM training (2 x LSTM {UNITS}, seq {SEQ_LEN}, batch {BATCH}, float32, Adam): "
        f"characters/s (best of {args.repeats})",
        rates,
    )


if __name__ == "__main__":
    main()
