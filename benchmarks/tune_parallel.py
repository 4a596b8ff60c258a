"""Where the trials of a search run, timed: 8 equal trials (an MLP 64-64-10 on scikit-learn's digits,
Adam, batch 32, ``--epochs`` each) in this process, in local worker processes, and on a local Ray.

    python benchmarks/tune_parallel.py                # serial and 2 worker processes
    python benchmarks/tune_parallel.py --ray          # and Ray: its start-up, and its overhead per trial

Reports each executor's wall time (the best of ``--repeats``), the parallel/serial ratio (the issue asks
<= 0.65 on a 2-core machine), and for Ray, the time ``ray.init`` took and (Ray time with one trial at a
time - serial time) / trials: what Ray adds to each trial. Figures need a quiet machine.
"""

from __future__ import annotations

import argparse
import os
import time

import numpy as np


def problem():
    from sklearn.datasets import load_digits

    x, y = load_digits(return_X_y=True)
    return (x / 16.0).astype(np.float32), y


def build(hp):
    from glassnet import nn, optim

    model = nn.Sequential([nn.Dense(64, activation="relu"), nn.Dense(10)], input_shape=(64,))
    loss = nn.SparseCategoricalCrossEntropy(from_logits=True)
    model.compile(optimizer=optim.Adam(lr=0.003), loss=loss, metrics=["accuracy"])
    return model


def timed(executor: str, trials: int, epochs: int, workers: int, repeats: int) -> tuple:
    from glassnet import tune

    x, y = problem()
    space = {"trial": tune.grid(list(range(trials)))}  # equal trials: the build ignores the value
    best, result = float("inf"), None
    for _ in range(repeats):
        search = tune.GridSearch(build, space, executor=executor, n_workers=workers, refit=False, verbose=0)
        start = time.perf_counter()
        result = search.search(x, y, epochs=epochs, validation_split=0.2)
        best = min(best, time.perf_counter() - start)
    return best, result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--trials", type=int, default=8)
    parser.add_argument("--epochs", type=int, default=10)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--repeats", type=int, default=2)
    parser.add_argument("--ray", action="store_true", help="time Ray Tune too (pip install 'glassnet[tune]')")
    args = parser.parse_args()
    print(
        f"{args.trials} equal trials of {args.epochs} epochs; {os.cpu_count()} cores, load {os.getloadavg()}"
    )
    serial, result = timed("serial", args.trials, args.epochs, 1, args.repeats)
    print(f"serial:            {serial:7.2f} s   ({serial / args.trials:.2f} s a trial)")
    parallel, parallel_result = timed("processes", args.trials, args.epochs, args.workers, args.repeats)
    same = [t.scores for t in parallel_result.trials] == [t.scores for t in result.trials]
    ratio = parallel / serial
    print(f"{args.workers} processes:       {parallel:7.2f} s   {ratio:.2f}x serial (same scores: {same})")
    if args.ray:
        import ray

        start = time.perf_counter()
        ray.init(num_cpus=args.workers, include_dashboard=False, log_to_driver=False)
        print(f"ray.init:          {time.perf_counter() - start:7.2f} s")
        one, _ = timed("ray", args.trials, args.epochs, 1, args.repeats)
        print(f"ray, 1 at a time:  {one:7.2f} s   overhead {(one - serial) / args.trials:.2f} s a trial")
        both, _ = timed("ray", args.trials, args.epochs, args.workers, args.repeats)
        print(f"ray, {args.workers} at a time:  {both:7.2f} s   {both / serial:.2f}x serial")
        ray.shutdown()


if __name__ == "__main__":
    main()
