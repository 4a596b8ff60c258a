"""How cost grows: glassnet against PyTorch over the sizes of the MLP and the LSTM, a table and a plot.

    python benchmarks/sweep.py [--pairs 3] [--only mlp_batch mlp_width lstm_length lstm_hidden]
                               [--out benchmarks/sweep]

Four axes, the others held at the suite's sizes (benchmarks/suite.py):
- ``mlp_batch``: MLP 784-256-128-10 training (SGD momentum), batch 1 to 1,024;
- ``mlp_width``: MLP 784-W-W-10 training, batch 128, width W from 64 to 2,048;
- ``lstm_length``: LSTM(128) training (Adam), batch 64, input 32, sequence length 10 to 400;
- ``lstm_hidden``: the same at length 50, hidden size 32 to 512.
Every point is measured as the suite measures: each framework alone in a fresh process, alternating,
``--pairs`` pairs, the median pair ratio. A worker runs for about ``--seconds`` a repeat (the step count is
calibrated on its own warm-up), so small and large points cost the same wall time. Writes ``OUT.md`` (the
table) and ``OUT.png`` (ratio against each axis; matplotlib).

A worker alone: ``python benchmarks/sweep.py --worker mlp_batch 64 glassnet`` prints one JSON line.
"""

from __future__ import annotations

import argparse
import json
import resource
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import lstm  # noqa: E402 - the benchmarks' own modules, found beside this file
import mlp  # noqa: E402
from suite import alternate  # noqa: E402

AXES = {
    "mlp_batch": ("MLP 784-256-128-10 train", "batch size", (1, 4, 16, 64, 128, 256, 1024)),
    "mlp_width": ("MLP 784-W-W-10 train, batch 128", "width W", (64, 128, 256, 512, 1024, 2048)),
    "lstm_length": ("LSTM(128) train, batch 64", "sequence length", (10, 25, 50, 100, 200, 400)),
    "lstm_hidden": ("LSTM train, length 50, batch 64", "hidden size", (32, 64, 128, 256, 512)),
}
POOL = 16  # distinct batches a worker cycles through: enough to defeat caches, small in memory


def _runner(axis: str, value: int, framework: str):
    """``(run(steps), items per step)`` for one point of one axis."""
    if axis.startswith("mlp"):
        batch, sizes = (value, mlp.SIZES) if axis == "mlp_batch" else (mlp.BATCH, (784, value, value, 10))
        x, y = mlp.make_data(POOL, batch=batch, sizes=sizes)
        factory = mlp.glassnet_runner if framework == "glassnet" else mlp.torch_runner
        # A small rate: at batch 1 the suite's 0.01 diverges within a hundred steps on these random
        # inputs, and overflowing numbers would time another computation.
        run_pool = factory(x, y, sizes=sizes, lr=1e-4)
        per_step = batch
    else:
        length, units = (value, lstm.UNITS) if axis == "lstm_length" else (lstm.STEPS_IN_TIME, value)
        x, y = lstm.make_data(POOL, length=length)
        factory = lstm.glassnet_runners if framework == "glassnet" else lstm.torch_runners
        run_pool = factory(x, y, units=units)[0]
        per_step = lstm.BATCH

    def run(steps: int) -> None:
        for start in range(0, steps, POOL):
            run_pool(min(POOL, steps - start))

    return run, per_step


def worker(axis: str, value: int, framework: str, seconds: float, repeats: int) -> dict:
    """Items/s of one framework at one point: calibrated steps, best of ``repeats``; peak memory."""
    run, per_step = _runner(axis, value, framework)
    run(2)  # warm-up: allocations, caches, thread pools
    start = time.perf_counter()
    run(2)
    per_call = (time.perf_counter() - start) / 2
    steps = max(2, round(seconds / max(per_call, 1e-6)))
    best = float("inf")
    for _ in range(repeats):
        start = time.perf_counter()
        run(steps)
        best = min(best, time.perf_counter() - start)
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return {"items_per_s": steps * per_step / best, "peak_mb": peak_mb}


def sweep(axes: list, pairs: int, seconds: float, repeats: int) -> dict:
    """``{axis: [row per value]}``, each row from :func:`suite.alternate`."""
    results = {}
    for axis in axes:
        title, _, values = AXES[axis]
        results[axis] = []
        for value in values:
            print(f"{axis} = {value} ...", file=sys.stderr, flush=True)

            def argv_for(framework: str, axis=axis, value=value) -> list:
                command = [str(Path(__file__).resolve()), "--worker", axis, str(value), framework]
                return command + ["--seconds", str(seconds), "--repeats", str(repeats)]

            row = alternate(argv_for, ("glassnet", "pytorch"), pairs, label=f"{axis}={value}")
            results[axis].append({"value": value, **row})
    return results


def markdown(results: dict, pairs: int) -> str:
    lines = [
        f"Each point: each framework alone in a fresh process, alternating, {pairs} pairs; median items/s "
        "and the median pair ratio glassnet/PyTorch (float32, 2 threads each).",
    ]
    for axis, rows in results.items():
        title, label, _ = AXES[axis]
        lines += ["", f"**{title}, over the {label}**", ""]
        lines += [f"| {label} | glassnet items/s | PyTorch items/s | ratio | peak MB (g / t) |"]
        lines += ["|---:|---:|---:|---:|---:|"]
        for row in rows:
            numbers = [row["glassnet"], row["pytorch"], row["ratio"]]
            if None in numbers:
                lines.append(f"| {row['value']} | - | - | - | - |")
                continue
            lines.append(
                f"| {row['value']} | {row['glassnet']:,.0f} | {row['pytorch']:,.0f} | {row['ratio']:.2f}x | "
                f"{row['glassnet_mb']:,.0f} / {row['pytorch_mb']:,.0f} |"
            )
    return "\n".join(lines) + "\n"


def plot(results: dict, path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    figure, axes = plt.subplots(1, len(results), figsize=(4 * len(results), 3.4), squeeze=False)
    for ax, (axis, rows) in zip(axes[0], results.items()):
        title, label, _ = AXES[axis]
        points = [(row["value"], row["ratio"]) for row in rows if row["ratio"] is not None]
        if points:
            ax.plot(*zip(*points), marker="o")
        ax.axhline(1.0, color="grey", linewidth=0.8, linestyle="--")
        ax.set_xscale("log", base=2)
        ax.set_xlabel(label)
        ax.set_ylabel("glassnet / PyTorch")
        ax.set_title(title, fontsize=9)
    figure.tight_layout()
    figure.savefig(path, dpi=110)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--worker", nargs=3, metavar=("AXIS", "VALUE", "FRAMEWORK"))
    parser.add_argument("--pairs", type=int, default=3)
    parser.add_argument("--seconds", type=float, default=1.0, help="time a worker spends per repeat")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--only", nargs="+", choices=list(AXES))
    parser.add_argument("--out", type=Path, default=HERE / "sweep")
    args = parser.parse_args()
    if args.worker:
        axis, value, framework = args.worker
        print(json.dumps(worker(axis, int(value), framework, args.seconds, args.repeats)))
        return
    if args.pairs < 3:
        parser.error("--pairs must be at least 3: a median of fewer pairs is one noisy draw")
    results = sweep(args.only or list(AXES), args.pairs, args.seconds, args.repeats)
    table = markdown(results, args.pairs)
    print(table)
    args.out.with_suffix(".md").write_text(table)
    plot(results, args.out.with_suffix(".png"))
    print(f"written to {args.out.with_suffix('.md')} and {args.out.with_suffix('.png')}", file=sys.stderr)


if __name__ == "__main__":
    main()
