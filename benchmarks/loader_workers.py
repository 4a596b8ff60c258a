"""Does ``DataLoader(num_workers=...)`` make an augmented LeNet-5 epoch faster? Each setting alone in its
own process, alternating, median seconds per epoch.

    python benchmarks/loader_workers.py [--pairs 3] [--samples 6000] [--augment full|shift]

The epoch: LeNet-5 on ``--samples`` random 28x28 images (the speed does not depend on the pixels), batch
64, Adam, each batch augmented as it is drawn: ``--augment full`` (the default), a usual MNIST pipeline,
rotation by up to 10 degrees, zoom by up to 10 % and a shift by up to 2 pixels (``data.augmentation``,
bilinear); ``--augment shift``, the shift alone (cheap next to a LeNet step). Settings:

- ``workers=N``: the augmentation in N worker processes (0: in the training process, between steps);
  with workers, the DataLoader's default ``trainer_threads="auto"`` limits the training process's BLAS to
  the cores the workers leave (one here);
- ``... untouched``: ``trainer_threads=None``: BLAS keeps its threads while the workers run;
- ``... blas-timeout``: ``OPENBLAS_THREAD_TIMEOUT=4``, so OpenBLAS's second thread sleeps right after each
  product instead of spinning for about 0.1 s and holding the core a worker wants;
- ``... blas-1``: ``OPENBLAS_NUM_THREADS=1``: the products on one core, the other free for the workers.

A worker alone: ``python benchmarks/loader_workers.py --worker 2 default`` prints one JSON line.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from suite import spawn  # noqa: E402 - the suite's process runner, beside this file

ENVIRONMENTS = {
    "default": {},
    "blas-timeout": {"OPENBLAS_THREAD_TIMEOUT": "4"},
    "blas-1": {"OPENBLAS_NUM_THREADS": "1"},
    "untouched": {},
}
SETTINGS = [
    (0, "default"), (2, "untouched"), (2, "default"), (1, "default"), (0, "blas-timeout"), (0, "blas-1")
]


def worker(workers: int, samples: int, epochs: int, trainer_threads="auto", augment: str = "full") -> dict:
    import numpy as np

    import glassnet as gn
    from glassnet import data, models, nn, optim
    from glassnet.data import augmentation

    gn.manual_seed(0)
    rng = np.random.default_rng(0)
    x = rng.random((samples, 1, 28, 28), dtype=np.float32)
    y = rng.integers(0, 10, samples)
    model = models.LeNet5(input_shape=(1, 28, 28))
    model.compile(optimizer=optim.Adam(lr=1e-3, convention="pytorch"),
                  loss=nn.SparseCategoricalCrossEntropy(from_logits=True))
    transform = augmentation.RandomShift(2)
    if augment == "full":
        transform = augmentation.Compose(
            [augmentation.RandomRotation(10), augmentation.RandomZoom(0.1), augmentation.RandomShift(2)]
        )
    loader = data.DataLoader((x, y), batch_size=64, shuffle=True, transform=transform,
                             num_workers=workers, trainer_threads=trainer_threads)
    model.fit(loader, epochs=1, verbose=0)  # warm-up
    start = time.perf_counter()
    model.fit(loader, epochs=epochs, verbose=0)
    return {"seconds_per_epoch": (time.perf_counter() - start) / epochs}


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--worker", nargs=2, metavar=("WORKERS", "ENVIRONMENT"))
    parser.add_argument("--pairs", type=int, default=3)
    parser.add_argument("--samples", type=int, default=6000)
    parser.add_argument("--epochs", type=int, default=2)
    parser.add_argument("--augment", choices=["full", "shift"], default="full")
    args = parser.parse_args()
    if args.worker:
        threads = None if args.worker[1] == "untouched" else "auto"
        print(json.dumps(worker(int(args.worker[0]), args.samples, args.epochs, threads, args.augment)))
        return
    times = {setting: [] for setting in SETTINGS}
    for _ in range(args.pairs):
        for workers, environment in SETTINGS:
            os.environ.update(ENVIRONMENTS[environment])
            argv = [str(Path(__file__).resolve()), "--worker", str(workers), environment]
            options = ["--samples", str(args.samples), "--epochs", str(args.epochs)]
            outcome = spawn(argv + options + ["--augment", args.augment],
                            f"workers={workers} {environment}")
            for key in ENVIRONMENTS[environment]:
                del os.environ[key]
            if outcome:
                times[workers, environment].append(outcome["seconds_per_epoch"])
    print(f"augment={args.augment}")
    print(f"| setting | s per epoch ({args.samples} images, median of {args.pairs}) | vs workers=0 |")
    print("|---|---:|---:|")
    base = statistics.median(times[0, "default"]) if times[0, "default"] else None
    for (workers, environment), values in times.items():
        if not values:
            print(f"| workers={workers} {environment} | failed | |")
            continue
        median = statistics.median(values)
        ratio = f"{base / median:.2f}x" if base else "-"
        print(f"| workers={workers} {environment} | {median:.2f} | {ratio} |")


if __name__ == "__main__":
    main()
