"""What every benchmark here shares: timing several frameworks fairly on a shared machine, and the report.

The runners take turns (glassnet, PyTorch, ..., glassnet, ...) so that a slow spell of the machine hurts
all of them alike instead of whichever ran during it; each figure is the best of the repeats.

Between turns the machine settles for a moment (``SETTLE_SECONDS``): a BLAS or OpenMP thread pool keeps
its worker threads spinning for about 0.1 s after its last call, and on a 2-core machine those spinning
threads take a core from whichever framework runs next (measured here: PyTorch's LSTM inference took
14 ms a batch right after NumPy's matrix products, 8 ms after a 0.1 s pause; NumPy's products slowed
2.7x right after PyTorch in the same way).
"""

from __future__ import annotations

import time

SETTLE_SECONDS = 0.3


def best_rates(runners: dict, steps: int, repeats: int, per_step: int, warmup: int | None = None) -> dict:
    """Items per second of each runner (``run(steps)`` processes ``per_step`` items a step): the fastest of
    ``repeats`` timed runs, after a warm-up run of ``warmup`` steps (allocations, caches, thread pools)."""
    for run in runners.values():
        run(min(steps, 20 if warmup is None else warmup))
    best = dict.fromkeys(runners, float("inf"))
    for _ in range(repeats):
        for name, run in runners.items():
            time.sleep(SETTLE_SECONDS)  # the previous runner's spinning threads go to sleep first
            start = time.perf_counter()
            run(steps)
            best[name] = min(best[name], time.perf_counter() - start)
    return {name: steps * per_step / seconds for name, seconds in best.items()}


def available(factories, *args) -> dict:
    """``{name: factory(*args)}`` for the frameworks that are installed; the others are reported."""
    runners = {}
    for name, factory in factories:
        try:
            runners[name] = factory(*args)
        except ImportError as error:
            print(f"{name:>12}: not installed ({error.name})")
    return runners


def report(title: str, rates: dict, unit_scale: float = 1.0) -> None:
    """Print each rate and its ratio to PyTorch's."""
    print(title)
    for name, rate in rates.items():
        ratio = f"  {rate / rates['pytorch']:.2f}x PyTorch" if "pytorch" in rates else ""
        print(f"{name:>12}: {rate * unit_scale:10,.0f}{ratio}")
