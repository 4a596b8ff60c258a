"""Where a glassnet step's wall time goes, op by op: each op's forward and backward, and the rest (the
optimizer, the fit loop, Python between ops), for a workload of the suite.

    python benchmarks/op_profile.py dcgan_train [lenet_train ...] [--steps N] [--top 15] [--torch]

Every ``Function`` subclass's ``forward`` and ``backward`` is wrapped with a clock for the timed steps
(after one warm-up run); an op nested inside another op's forward is counted in both, so the shares add
to a little more than 100 % where ops call ops. Wall time, one process, glassnet only: where the step's
time goes, not a comparison with PyTorch (that is ``benchmarks/suite.py``). Run it on a quiet machine.

``--torch`` profiles the suite's PyTorch side of the same workload instead (glassnet does not run), with
``torch.profiler``: each ATen op's self CPU time a step (its own time, without the ops it calls), so that
an op of one framework can be set beside the other's (Conv2D's forward and backward beside
``aten::mkldnn_convolution`` and ``aten::convolution_backward``). The profiler's own cost makes the step
slower than the suite's; the shares are what to compare.
"""

from __future__ import annotations

import argparse
import collections
import functools
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from suite import WORKLOADS  # noqa: E402 - the suite's workloads, found beside this file


def _subclasses(cls):
    for sub in cls.__subclasses__():
        yield sub
        yield from _subclasses(sub)


def instrument(totals: dict):
    """Wrap every op's forward and backward so that their wall time adds into ``totals[(op, phase)]``;
    returns a function that puts the originals back."""
    from glassnet.autograd.function import Function

    def timed(method, key):
        @functools.wraps(method)
        def wrapper(self, *args, **kwargs):
            start = time.perf_counter()
            try:
                return method(self, *args, **kwargs)
            finally:
                totals[key] += time.perf_counter() - start

        return wrapper

    # Each op gets its own clock around the method it runs, its own or inherited (LayerNorm's backward
    # comes from a mixin), all looked up before any is wrapped, so that nothing is counted twice.
    ops = set(_subclasses(Function))
    originals = [
        (op, phase, getattr(op, phase), phase in vars(op)) for op in ops for phase in ("forward", "backward")
    ]
    for op, phase, method, _ in originals:
        setattr(op, phase, timed(method, (op.__name__, phase)))

    def restore():
        for op, phase, method, own in originals:
            if own:
                setattr(op, phase, method)
            else:
                delattr(op, phase)

    return restore


def profile(name: str, steps: int) -> tuple:
    """(wall seconds of ``steps`` steps of the workload, {(op, phase): seconds}), after a warm-up."""
    totals = collections.defaultdict(float)
    run, _ = WORKLOADS[name].build("glassnet", steps)
    run(min(steps, 5))  # warm-up
    restore = instrument(totals)
    try:
        start = time.perf_counter()
        run(steps)
        return time.perf_counter() - start, totals
    finally:
        restore()


def profile_torch(name: str, steps: int, top: int) -> None:
    """Print the ATen ops of the PyTorch side of a workload, ranked by self CPU time a step."""
    import torch  # noqa: PLC0415 - only for --torch
    from torch.profiler import ProfilerActivity  # noqa: PLC0415

    run, _ = WORKLOADS[name].build("pytorch", steps)
    run(min(steps, 5))  # warm-up
    with torch.profiler.profile(activities=[ProfilerActivity.CPU]) as prof:
        start = time.perf_counter()
        run(steps)
        wall = time.perf_counter() - start
    events = [event for event in prof.key_averages() if event.self_cpu_time_total > 0]
    events.sort(key=lambda event: -event.self_cpu_time_total)
    print(f"\n{name} (PyTorch {torch.__version__}, {torch.get_num_threads()} threads, profiled): "
          f"{wall / steps * 1e3:.2f} ms a step over {steps} steps")
    print("| ATen op | calls a step | self ms a step | share |")
    print("|---|---:|---:|---:|")
    for event in events[:top]:
        seconds = event.self_cpu_time_total / 1e6  # microseconds
        share = seconds / wall
        print(f"| {event.key} | {event.count / steps:g} | {seconds / steps * 1e3:.2f} | {share:.0%} |")


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("workloads", nargs="+", choices=sorted(WORKLOADS))
    parser.add_argument("--steps", type=int, default=20)
    parser.add_argument("--top", type=int, default=15)
    parser.add_argument("--torch", action="store_true", help="profile the PyTorch side instead")
    args = parser.parse_args()
    for name in args.workloads:
        if args.torch:
            profile_torch(name, args.steps, args.top)
            continue
        wall, totals = profile(name, args.steps)
        print(f"\n{name}: {wall / args.steps * 1e3:.2f} ms a step over {args.steps} steps")
        print("| op | phase | ms a step | share |")
        print("|---|---|---:|---:|")
        ranked = sorted(totals.items(), key=lambda item: -item[1])
        for (op, phase), seconds in ranked[: args.top]:
            print(f"| {op} | {phase} | {seconds / args.steps * 1e3:.2f} | {seconds / wall:.0%} |")
        outside = wall - sum(seconds for (op, phase), seconds in totals.items())
        print(
            f"| (outside ops: optimizer, loop, Python; less where ops nest) | | "
            f"{outside / args.steps * 1e3:.2f} | {outside / wall:.0%} |"
        )


if __name__ == "__main__":
    main()
