"""The attention op alone, forward and backward, at sequence lengths 64, 256 and 1,024: glassnet's fused
``ops.attention.scaled_dot_product_attention`` against ``torch.nn.functional.scaled_dot_product_attention``,
each framework alone in its own process.

    python benchmarks/attention.py [--lengths 64 256 1024] [--pairs 3]
    python benchmarks/attention.py --worker glassnet 256      one process, one JSON line

Queries, keys and values (4 sequences, 4 heads, head width 32: the baby GPT's shapes), float32, the causal
mask; one call is the forward pass and the backward pass of a random upstream gradient. The cost is
quadratic in the length L: the scores and the weights are (4, 4, L, L), which the op computes whole
(masked entries included) and keeps for the backward pass, so time per call and memory should grow about
16-fold from each length to the next, once the L² terms dominate. Per length, fresh processes alternate
(glassnet, PyTorch, ...) ``--pairs`` times; each reports its best time per call and how far the call
raised the process's peak resident memory above where it stood with the inputs made. The table gives
medians.
"""

from __future__ import annotations

import argparse
import json
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

BATCH, HEADS, HEAD_DIM = 4, 4, 32
LENGTHS = (64, 256, 1024)


def steps_for(length: int) -> int:
    """Calls per timed run: about the same work at every length."""
    return max(2, (256 // length) ** 2 * 10) if length < 256 else max(2, 10 * 256 // length)


def make_data(length: int, seed: int = 0) -> list:
    rng = np.random.default_rng(seed)
    return [rng.standard_normal((BATCH, HEADS, length, HEAD_DIM)).astype(np.float32) for _ in range(4)]


def glassnet_runner(length: int):
    from glassnet.autograd.tensor import Tensor
    from glassnet.ops.attention import scaled_dot_product_attention

    q, k, v, g = make_data(length)
    q, k, v = (Tensor(a, requires_grad=True) for a in (q, k, v))

    def run(steps):
        for _ in range(steps):
            scaled_dot_product_attention(q, k, v, is_causal=True).backward(g)
            q.grad = k.grad = v.grad = None

    return run


def torch_runner(length: int):
    import torch

    q, k, v, g = (torch.from_numpy(a) for a in make_data(length))
    q, k, v = (a.requires_grad_() for a in (q, k, v))

    def run(steps):
        for _ in range(steps):
            torch.nn.functional.scaled_dot_product_attention(q, k, v, is_causal=True).backward(g)
            q.grad = k.grad = v.grad = None

    return run


RUNNERS = {"glassnet": glassnet_runner, "pytorch": torch_runner}


def _peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def worker(framework: str, length: int, repeats: int = 3, steps: int | None = None) -> dict:
    """One framework at one length in this process: best milliseconds per call, added peak memory."""
    run = RUNNERS[framework](length)
    before = _peak_mb()
    run(1)  # warm-up: allocations, thread pools
    steps = steps or steps_for(length)
    best = float("inf")
    for _ in range(repeats):
        start = time.perf_counter()
        run(steps)
        best = min(best, (time.perf_counter() - start) / steps)
    return {"ms": best * 1e3, "added_mb": _peak_mb() - before}


def _spawn(framework: str, length: int, repeats: int) -> dict | None:
    command = [sys.executable, str(Path(__file__).resolve()), "--worker", framework, str(length)]
    result = subprocess.run(command + ["--repeats", str(repeats)], capture_output=True, text=True)
    if result.returncode != 0:
        print(f"  {framework} L={length}: failed ({(result.stderr.strip().splitlines() or ['?'])[-1]})")
        return None
    return json.loads(result.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--worker", nargs=2, metavar=("FRAMEWORK", "LENGTH"))
    parser.add_argument("--lengths", type=int, nargs="+", default=list(LENGTHS))
    parser.add_argument("--pairs", type=int, default=3)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--steps", type=int, default=None, help="calls per timed run (default: by length)")
    args = parser.parse_args()
    if args.worker:
        framework, length = args.worker[0], int(args.worker[1])
        print(json.dumps(worker(framework, length, args.repeats, args.steps)))
        return
    print(f"attention forward + backward, ({BATCH}, {HEADS}, L, {HEAD_DIM}) float32, causal; medians of "
          f"{args.pairs} alternating pairs of processes")  # fmt: skip
    print("     L  glassnet ms  PyTorch ms  speed g/t  glassnet +MB  PyTorch +MB")
    for length in args.lengths:
        runs = {name: [] for name in RUNNERS}
        for _ in range(args.pairs):
            for name in RUNNERS:
                outcome = _spawn(name, length, args.repeats)
                if outcome is not None:
                    runs[name].append(outcome)
        row = {name: {key: statistics.median(o[key] for o in done) for key in ("ms", "added_mb")}
               for name, done in runs.items() if done}  # fmt: skip
        if len(row) < 2:
            continue
        ours, theirs = row["glassnet"], row["pytorch"]
        print(
            f"{length:>6}  {ours['ms']:>11.2f}  {theirs['ms']:>10.2f}  {theirs['ms'] / ours['ms']:>9.2f}  "
            f"{ours['added_mb']:>12.1f}  {theirs['added_mb']:>11.1f}"
        )


if __name__ == "__main__":
    main()
