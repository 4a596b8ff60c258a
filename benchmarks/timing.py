"""What every benchmark here shares: timing several frameworks fairly on a shared machine, and the report.

The runners take turns (glassnet, PyTorch, ..., glassnet, ...) so that a slow spell of the machine hurts
all of them alike instead of whichever ran during it; each figure is the best of the repeats.
"""

from __future__ import annotations

import time


def best_rates(runners: dict, steps: int, repeats: int, per_step: int, warmup: int | None = None) -> dict:
    """Items per second of each runner (``run(steps)`` processes ``per_step`` items a step): the fastest of
    ``repeats`` timed runs, after a warm-up run of ``warmup`` steps (allocations, caches, thread pools)."""
    for run in runners.values():
        run(min(steps, 20 if warmup is None else warmup))
    best = dict.fromkeys(runners, float("inf"))
    for _ in range(repeats):
        for name, run in runners.items():
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
