"""LeNet-5 on 32x32 grey images, float32: training steps (batch 64, softmax cross-entropy, SGD with
momentum) and inference (batch 256, no graph) in glassnet and PyTorch in the same run, as samples/s.

    python benchmarks/lenet.py [--steps 100] [--repeats 5] [--threads N] [--profile]

The frameworks take turns (glassnet, PyTorch, glassnet, ...), so that a slow spell of a shared machine hurts
both alike; each figure is the best of ``--repeats`` timed runs after a warm-up. ``--profile`` prints where
glassnet's training time goes (cProfile, sorted by own time). ``--threads N`` gives both frameworks the same
number of threads (NumPy's BLAS through threadpoolctl, PyTorch's intra-op pool); on a machine shared with
other jobs, one thread each avoids timing the thread pools' waits instead of the frameworks.
Targets (issue 5): training at least 0.7x PyTorch's samples/s, inference at least 0.8x.
"""

from __future__ import annotations

import argparse

import numpy as np
from timing import best_rates, report

TRAIN_BATCH, INFER_BATCH, CLASSES = 64, 256, 10


def make_data(steps: int, batch: int, seed: int = 0):
    rng = np.random.default_rng(seed)
    x = rng.random((steps, batch, 1, 32, 32), dtype=np.float32)
    y = rng.integers(0, CLASSES, size=(steps, batch))
    return x, y


def glassnet_runners(train_data, infer_data):
    import glassnet as gn
    from glassnet import models, nn, optim

    gn.manual_seed(0)
    model = models.LeNet5()
    loss_fn = nn.SparseCategoricalCrossEntropy(from_logits=True)
    opt = optim.SGD(model.parameters(), lr=0.01, momentum=0.9, convention="pytorch")
    (x, y), (x_infer, _) = train_data, infer_data
    inputs, infer_inputs = [gn.Tensor(b) for b in x], [gn.Tensor(b) for b in x_infer]

    def train(steps):
        model.train()
        for i in range(steps):
            loss = loss_fn(model(inputs[i]), y[i])
            opt.zero_grad()
            loss.backward()
            opt.step()

    def infer(steps):
        model.eval()
        with gn.no_grad():
            for i in range(steps):
                model(infer_inputs[i])

    return train, infer


def torch_runners(train_data, infer_data):
    import torch

    torch.manual_seed(0)
    t = torch.nn
    model = t.Sequential(
        t.Conv2d(1, 6, 5),
        t.ReLU(),
        t.MaxPool2d(2),
        t.Conv2d(6, 16, 5),
        t.ReLU(),
        t.MaxPool2d(2),
        t.Conv2d(16, 120, 5),
        t.ReLU(),
        t.Flatten(),
        t.Linear(120, 84),
        t.ReLU(),
        t.Linear(84, CLASSES),
    )
    loss_fn = t.CrossEntropyLoss()
    opt = torch.optim.SGD(model.parameters(), lr=0.01, momentum=0.9)
    (x, y), (x_infer, _) = train_data, infer_data
    inputs, labels, infer_inputs = torch.from_numpy(x), torch.from_numpy(y), torch.from_numpy(x_infer)

    def train(steps):
        model.train()
        for i in range(steps):
            loss = loss_fn(model(inputs[i]), labels[i])
            opt.zero_grad()
            loss.backward()
            opt.step()

    def infer(steps):
        model.eval()
        with torch.no_grad():
            for i in range(steps):
                model(infer_inputs[i])

    return train, infer


def profile(train, steps: int) -> None:
    import cProfile
    import pstats

    profiler = cProfile.Profile()
    profiler.runcall(train, steps)
    pstats.Stats(profiler).sort_stats("tottime").print_stats(15)


def limit_threads(count: int) -> None:
    """The same thread count for NumPy's BLAS and PyTorch, for the rest of the process."""
    from threadpoolctl import threadpool_limits  # noqa: PLC0415 - only with --threads

    threadpool_limits(limits=count, user_api="blas")
    try:
        import torch  # noqa: PLC0415

        torch.set_num_threads(count)
    except ImportError:
        pass


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--steps", type=int, default=100)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--profile", action="store_true")
    parser.add_argument("--threads", type=int, help="threads for both frameworks (default: their own)")
    args = parser.parse_args()
    if args.threads is not None:
        limit_threads(args.threads)
    train_data = make_data(args.steps, TRAIN_BATCH)
    infer_data = make_data(args.steps, INFER_BATCH, seed=1)
    runners = {"glassnet": glassnet_runners(train_data, infer_data)}
    try:
        runners["pytorch"] = torch_runners(train_data, infer_data)
    except ImportError as error:
        print(f"     pytorch: not installed ({error.name})")
    if args.profile:
        profile(runners["glassnet"][0], args.steps)
    for label, which, batch in (("training", 0, TRAIN_BATCH), ("inference", 1, INFER_BATCH)):
        runners_of_kind = {name: pair[which] for name, pair in runners.items()}
        rates = best_rates(runners_of_kind, args.steps, args.repeats, batch, warmup=10)
        report(f"LeNet-5 {label}, batch {batch}, float32: samples/s (best of {args.repeats})", rates)


if __name__ == "__main__":
    main()
