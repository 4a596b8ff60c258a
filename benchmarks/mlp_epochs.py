"""Full epochs of an MLP 784-256-128-10 (ReLU, He-normal weights as the notes advise for ReLU layers, Adam
lr 1e-3, batch 128, float32, shuffled every epoch) on
MNIST or Fashion-MNIST, in glassnet and in PyTorch in the same run: wall time per epoch, training samples
per second, the ratio, and the test accuracy after each epoch.

    python benchmarks/mlp_epochs.py --dataset fashion-mnist --epochs 1
    python benchmarks/mlp_epochs.py --dataset mnist --epochs 10

Data: ``--data DIR`` (a folder with mnist/ and fashion-mnist/), else ``GLASSNET_DATA``, ../shared/data
beside the checkout, or glassnet's cache (downloading when missing). Pixels are divided by 255.
"""

from __future__ import annotations

import argparse
import os
import time
from pathlib import Path

import numpy as np

SHARED = Path(__file__).resolve().parents[2] / "shared" / "data"


def load(dataset: str, data_dir):
    import glassnet as gn

    folder = Path(data_dir or os.environ.get("GLASSNET_DATA") or SHARED) / dataset
    loader = gn.data.load_mnist if dataset == "mnist" else gn.data.load_fashion_mnist
    (x, y), (xt, yt) = loader(path=folder if folder.exists() else None)
    scale = np.float32(255)
    return (x.reshape(len(x), -1) / scale, y), (xt.reshape(len(xt), -1) / scale, yt)


def run_glassnet(train, test, epochs: int, seed: int):
    import glassnet as gn
    from glassnet import nn, optim

    gn.manual_seed(seed)
    model = nn.Sequential(
        [
            nn.Dense(256, activation="relu", weight_init="he_normal"),
            nn.Dense(128, activation="relu", weight_init="he_normal"),
            nn.Dense(10, weight_init="he_normal"),
        ],
        input_shape=(784,),
    )
    model.compile(
        optimizer=optim.Adam(lr=1e-3),
        loss=nn.SparseCategoricalCrossEntropy(from_logits=True),
        metrics=["accuracy"],
    )
    for _ in range(epochs):
        start = time.perf_counter()
        model.fit(*train, epochs=1, batch_size=128, verbose=0)
        seconds = time.perf_counter() - start
        yield seconds, model.evaluate(*test, batch_size=1000)[1]


def run_torch(train, test, epochs: int, seed: int):
    import torch

    torch.manual_seed(seed)
    model = torch.nn.Sequential(
        torch.nn.Linear(784, 256),
        torch.nn.ReLU(),
        torch.nn.Linear(256, 128),
        torch.nn.ReLU(),
        torch.nn.Linear(128, 10),
    )
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    loss_fn = torch.nn.CrossEntropyLoss()
    x, y = torch.from_numpy(train[0]), torch.from_numpy(train[1])
    xt, yt = torch.from_numpy(test[0]), torch.from_numpy(test[1])
    for _ in range(epochs):
        start = time.perf_counter()
        model.train()
        order = torch.randperm(len(x))
        for i in range(0, len(x), 128):
            index = order[i : i + 128]
            loss = loss_fn(model(x[index]), y[index])
            opt.zero_grad()
            loss.backward()
            opt.step()
        seconds = time.perf_counter() - start
        model.eval()
        with torch.no_grad():
            accuracy = (model(xt).argmax(1) == yt).float().mean().item()
        yield seconds, accuracy


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--dataset", choices=["mnist", "fashion-mnist"], default="fashion-mnist")
    parser.add_argument("--epochs", type=int, default=1)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--data", help="folder holding mnist/ and fashion-mnist/")
    args = parser.parse_args()
    train, test = load(args.dataset, args.data)
    samples = len(train[0])
    runs, results = {}, {}
    for name, runner in (("glassnet", run_glassnet), ("pytorch", run_torch)):
        try:
            runs[name] = runner(train, test, args.epochs, args.seed)
            results[name] = [next(runs[name])]  # the first epoch (imports, allocations) runs here
        except ImportError as error:
            print(f"{name:>9}: not installed ({error.name})")
    # The frameworks take turns epoch by epoch, so that a slow spell of the machine hurts both alike.
    for _ in range(args.epochs - 1):
        for name, run in runs.items():
            results[name].append(next(run))
    for name, rows in results.items():
        for epoch, (seconds, accuracy) in enumerate(rows, 1):
            print(
                f"{name:>9} epoch {epoch:2d}: {seconds:6.2f}s  {samples / seconds:9,.0f} samples/s  "
                f"test accuracy {accuracy:.4f}"
            )
    print(f"\n{args.dataset}, MLP 784-256-128-10, Adam, batch 128, {args.epochs} epoch(s):")
    for name, rows in results.items():
        mean = sum(s for s, _ in rows) / len(rows)
        ratio = ""
        if "pytorch" in results and name != "pytorch":
            torch_mean = sum(s for s, _ in results["pytorch"]) / len(results["pytorch"])
            ratio = f"  {torch_mean / mean:.2f}x PyTorch's samples/s"
        print(
            f"{name:>9}: {mean:.2f}s per epoch, {samples / mean:,.0f} samples/s, "
            f"final test accuracy {rows[-1][1]:.4f}, best {max(a for _, a in rows):.4f}{ratio}"
        )


if __name__ == "__main__":
    main()
