"""The benchmark suite as users see it: each framework alone in its own process, one table.

    python benchmarks/suite.py [--pairs 3] [--only mlp_train lstm_train dcgan_train ...] [--markdown FILE]

For every workload the runner starts one fresh process per framework and turn, alternating (glassnet,
PyTorch, glassnet, PyTorch, ...), at least three pairs. Inside a process, the framework warms up and then
runs its steps ``--repeats`` times; the process reports its best items/s and its peak resident memory. The
table gives each side's median items/s, the median of the pair ratios glassnet/PyTorch, and each side's
median peak memory, and is written as Markdown for the README: to ``benchmarks/RESULTS.md`` when the whole
suite ran, and with ``--only`` only where ``--markdown`` says (a subset does not replace the whole table).

Why separate processes: in one process, whichever framework runs second inherits the first one's thread
pools (OpenBLAS or OpenMP workers still spinning) and allocator state, so same-process figures measure the
interaction (PyTorch's MLP did 105k samples/s alone on this machine and 46-80k beside glassnet). The older
scripts here (mlp.py, lenet.py, lstm.py, char_lm.py) still run both in one process for quick looks; their
output says so.

A worker alone: ``python benchmarks/suite.py --worker mlp_train glassnet --steps 300 --repeats 3`` prints one
JSON line.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

HERE = Path(__file__).resolve().parent


@dataclass(frozen=True)
class Workload:
    """One row of the table: ``build(framework, steps)`` returns (run(steps), items per step)."""

    title: str
    unit: str
    build: object
    steps: int
    repeats: int = 3
    frameworks: tuple = ("glassnet", "pytorch")


def _mlp(framework: str, steps: int):
    import mlp

    x, y = mlp.make_data(steps)
    factory = {
        "glassnet": mlp.glassnet_runner,
        "pytorch": mlp.torch_runner,
        "scikit-learn": mlp.sklearn_runner,
    }
    return factory[framework](x, y), mlp.BATCH


def _lenet(mode: int):
    def build(framework: str, steps: int):
        import lenet

        train = lenet.make_data(steps, lenet.TRAIN_BATCH)
        infer = lenet.make_data(steps, lenet.INFER_BATCH, seed=1)
        factory = lenet.glassnet_runners if framework == "glassnet" else lenet.torch_runners
        return factory(train, infer)[mode], (lenet.TRAIN_BATCH, lenet.INFER_BATCH)[mode]

    return build


def _lstm(mode: int):
    def build(framework: str, steps: int):
        import lstm

        x, y = lstm.make_data(steps)
        factory = lstm.glassnet_runners if framework == "glassnet" else lstm.torch_runners
        return factory(x, y)[mode], lstm.BATCH

    return build


def _char_lm(framework: str, steps: int):
    import char_lm

    x, y = char_lm.make_data(steps)
    factory = char_lm.glassnet_runner if framework == "glassnet" else char_lm.torch_runner
    return factory(x, y), char_lm.BATCH * char_lm.SEQ_LEN


def _gpt(framework: str, steps: int):
    import gpt

    x, y = gpt.make_data(steps)
    factory = gpt.glassnet_runner if framework == "glassnet" else gpt.torch_runner
    return factory(x, y), gpt.BATCH * gpt.CONTEXT


def _attention(length: int):
    """The attention op alone (benchmarks/attention.py) at one sequence length: queries per second."""

    def build(framework: str, steps: int):
        import attention

        return attention.RUNNERS[framework](length), attention.BATCH * length

    return build


def _dcgan(mode: int):
    def build(framework: str, steps: int):
        import dcgan

        data = dcgan.make_data(steps)
        factory = dcgan.glassnet_runners if framework == "glassnet" else dcgan.torch_runners
        return factory(data)[mode], dcgan.BATCH

    return build


def _fashion_fit(framework: str, steps: int):
    """A Keras-style fit of the Fashion-MNIST MLP (softmax output, sparse categorical cross-entropy, Adam
    1e-3, batch 128); ``steps`` epochs run first, and the timed run is two more epochs (5 and 6 for the
    default 4): the speed a user sees once training is under way."""
    import mlp_epochs

    train, test = mlp_epochs.load("fashion-mnist", None)
    if framework == "glassnet":
        epochs = _glassnet_keras_fit(train)
    else:
        epochs = (seconds for seconds, _ in mlp_epochs.run_torch(train, test, 10**6, seed=0))
    for _ in range(steps):
        next(epochs)

    def run(count):
        for _ in range(count):
            next(epochs)

    return run, len(train[0])


def _glassnet_keras_fit(train):
    import glassnet as gn
    from glassnet import nn, optim

    gn.manual_seed(0)
    model = nn.Sequential(
        [
            nn.Dense(256, activation="relu"),
            nn.Dense(128, activation="relu"),
            nn.Dense(10, activation="softmax"),
        ],
        input_shape=(784,),
    )
    model.compile(optimizer=optim.Adam(lr=1e-3), loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    while True:
        model.fit(*train, epochs=1, batch_size=128, verbose=0)
        yield


def _graph_twin(framework: str):
    """graph_gcn.py for glassnet, its PyTorch Geometric twin graph_gcn_torch.py for "pytorch"."""
    import graph_gcn

    if framework == "glassnet":
        return graph_gcn
    import graph_gcn_torch

    return graph_gcn_torch


def _graph_epoch(model: str):
    def build(framework: str, steps: int):
        import graph_gcn

        return _graph_twin(framework).epoch_runner(graph_gcn.cora(), model), 1

    return build


def _graph_ops(edges: int):
    def build(framework: str, steps: int):
        import graph_gcn

        arrays = graph_gcn.random_graph(graph_gcn.OPS_NODES, edges)
        return _graph_twin(framework).ops_runner(arrays), edges

    return build


WORKLOADS = {
    "mlp_train": Workload(
        "MLP 784-256-128-10 train, batch 128, SGD momentum",
        "samples/s",
        _mlp,
        300,
        frameworks=("glassnet", "pytorch", "scikit-learn"),
    ),
    "fashion_fit": Workload(
        "Keras-style Fashion-MNIST MLP fit, epochs 5-6 (Adam, batch 128)", "samples/s", _fashion_fit, 4, 1
    ),
    "lenet_train": Workload("LeNet-5 train, batch 64, SGD momentum", "samples/s", _lenet(0), 60),
    "lenet_infer": Workload("LeNet-5 inference, batch 256", "samples/s", _lenet(1), 30),
    "lstm_train": Workload(
        "LSTM in 32, hidden 128, 50 steps, batch 64, Adam, train", "samples/s", _lstm(0), 20
    ),
    "lstm_infer": Workload("LSTM inference, batch 64", "samples/s", _lstm(1), 20),
    "char_lm": Workload("Char-LM 2xLSTM(256), 100 chars, batch 64, Adam", "chars/s", _char_lm, 4, 2),
    "gpt_train": Workload(
        "Baby GPT 4x128, 4 heads, context 64, batch 12, AdamW, train", "tokens/s", _gpt, 10
    ),
    **{
        f"attention_{length}": Workload(
            f"Attention op forward+backward, (4, 4, {length}, 32), causal",
            "queries/s",
            _attention(length),
            steps,
        )
        for length, steps in ((64, 160), (256, 10), (1024, 2))
    },
    "dcgan_train": Workload("DCGAN (width 64) train, D + G step, batch 64, Adam", "images/s", _dcgan(0), 10),
    "conv_transpose": Workload(
        "Conv2DTranspose x2 fwd+bwd at the DCGAN's shapes, batch 64", "images/s", _dcgan(1), 20
    ),
    # Graphs: the "pytorch" side is PyTorch Geometric (benchmarks/graph_gcn_torch.py).
    "gcn_cora": Workload(
        "GCN epoch on Cora, full batch, train mode, Adam (vs PyG)", "epochs/s", _graph_epoch("gcn"), 20
    ),
    "gat_cora": Workload(
        "GAT epoch on Cora, 8 heads, full batch, train mode, Adam (vs PyG)",
        "epochs/s",
        _graph_epoch("gat"),
        10,
    ),
    "graph_ops_100k": Workload(
        "message passing fwd+bwd, 100k nodes, 100k edges (vs PyG)", "edges/s", _graph_ops(100_000), 10
    ),
    "graph_ops_300k": Workload(
        "message passing fwd+bwd, 100k nodes, 300k edges (vs PyG)", "edges/s", _graph_ops(300_000), 10
    ),
    "graph_ops_1m": Workload(
        "message passing fwd+bwd, 100k nodes, 1M edges (vs PyG)", "edges/s", _graph_ops(1_000_000), 5
    ),
}


def _perf_control(command: bytes) -> None:
    """Tell ``perf record --control`` (benchmarks/cpu_profile.py) to sample only the timed steps."""
    fifo = os.environ.get("GLASSNET_PERF_CONTROL")
    if fifo:
        descriptor = os.open(fifo, os.O_WRONLY)
        os.write(descriptor, command)
        os.close(descriptor)


def worker(name: str, framework: str, steps: int, repeats: int) -> dict:
    """Run one framework on one workload in this process: best items/s of ``repeats`` runs, peak memory."""
    sys.path.insert(0, str(HERE))
    workload = WORKLOADS[name]
    run, per_step = workload.build(framework, steps)
    if name != "fashion_fit":
        run(min(steps, 10))  # warm-up: allocations, caches, thread pools
        timed_steps = steps
    else:
        timed_steps = 2
    best = float("inf")
    _perf_control(b"enable\n")
    for _ in range(repeats):
        start = time.perf_counter()
        run(timed_steps)
        best = min(best, time.perf_counter() - start)
    _perf_control(b"disable\n")
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return {"items_per_s": timed_steps * per_step / best, "peak_mb": peak_mb}


def spawn(argv: list, label: str) -> dict | None:
    """Run one worker process (``python argv...``) and return the JSON line it printed last, or None (the
    failure is reported on stderr) when it failed."""
    result = subprocess.run([sys.executable, *argv], capture_output=True, text=True)
    if result.returncode != 0:
        last = (result.stderr.strip().splitlines() or ["no output"])[-1]
        print(f"  {label}: failed ({last})", file=sys.stderr)
        return None
    return json.loads(result.stdout.strip().splitlines()[-1])


def alternate(argv_for, frameworks: tuple, pairs: int, label: str = "") -> dict:
    """Start a fresh process per framework and turn, alternating (glassnet, PyTorch, glassnet, ...),
    ``pairs`` times; ``argv_for(framework)`` is the worker's command line, whose JSON has ``items_per_s``
    and ``peak_mb``. Returns each framework's median items/s and peak MB, and the median pair ratio of the
    first framework to the second."""
    runs = {framework: [] for framework in frameworks}
    for _ in range(pairs):
        for framework in frameworks:
            runs[framework].append(spawn(argv_for(framework), f"{label} {framework}"))
    row = {}
    for framework, outcomes in runs.items():
        done = [o for o in outcomes if o is not None]
        row[framework] = statistics.median(o["items_per_s"] for o in done) if done else None
        row[f"{framework}_mb"] = statistics.median(o["peak_mb"] for o in done) if done else None
    first, second = frameworks[:2]
    ratios = [a["items_per_s"] / b["items_per_s"] for a, b in zip(runs[first], runs[second]) if a and b]
    row["ratio"] = statistics.median(ratios) if ratios else None
    row["pairs"] = len(ratios)
    return row


def measure(name: str, pairs: int) -> dict:
    """Alternate fresh processes (glassnet, PyTorch, ...) ``pairs`` times: medians, median pair ratio."""
    workload = WORKLOADS[name]

    def argv_for(framework: str) -> list:
        command = [str(Path(__file__).resolve()), "--worker", name, framework]
        return command + ["--steps", str(workload.steps), "--repeats", str(workload.repeats)]

    row = {"workload": name, "title": workload.title, "unit": workload.unit}
    row.update(alternate(argv_for, workload.frameworks, pairs, label=name))
    return row


def _number(value, digits: int = 0) -> str:
    return "-" if value is None else f"{value:,.{digits}f}"


def table_path(markdown: Path | None, only: list | None) -> Path | None:
    """Where the table goes: ``--markdown`` if given, else RESULTS.md for the whole suite and nowhere for a
    subset (``--only``), which must not replace the whole suite's table that the README quotes."""
    if markdown is not None:
        return markdown
    return None if only else HERE / "RESULTS.md"


def markdown(rows: list, pairs: int) -> str:
    lines = [
        f"Each framework alone in its own process, alternating, {pairs} pairs per workload; medians, and the "
        "median of the pair ratios (glassnet/PyTorch). Peak memory: resident set of the whole process.",
        "",
        "| workload | glassnet | PyTorch | ratio | glassnet peak MB | PyTorch peak MB | scikit-learn |",
        "|---|---:|---:|---:|---:|---:|---:|",
    ]
    for row in rows:
        lines.append(
            f"| {row['title']} ({row['unit']}) | {_number(row['glassnet'])} | {_number(row['pytorch'])} | "
            f"{_number(row['ratio'], 2)}x | {_number(row['glassnet_mb'])} | {_number(row['pytorch_mb'])} | "
            f"{_number(row.get('scikit-learn'))} |"
        )
    return "\n".join(lines) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--worker", nargs=2, metavar=("WORKLOAD", "FRAMEWORK"))
    parser.add_argument("--steps", type=int)
    parser.add_argument("--repeats", type=int)
    parser.add_argument("--pairs", type=int, default=3)
    parser.add_argument("--only", nargs="+", choices=list(WORKLOADS))
    parser.add_argument(
        "--markdown", type=Path, help="write the table here (default: RESULTS.md for the whole suite only)"
    )
    args = parser.parse_args()
    if args.worker:
        name, framework = args.worker
        workload = WORKLOADS[name]
        steps, repeats = args.steps or workload.steps, args.repeats or workload.repeats
        print(json.dumps(worker(name, framework, steps, repeats)))
        return
    if args.pairs < 3:
        parser.error("--pairs must be at least 3: a median of fewer pairs is one noisy draw")
    rows = []
    for name in args.only or WORKLOADS:
        print(f"{name}: {WORKLOADS[name].title} ...", file=sys.stderr, flush=True)
        rows.append(measure(name, args.pairs))
    table = markdown(rows, args.pairs)
    print(table)
    target = table_path(args.markdown, args.only)
    if target is not None:
        target.write_text(table)
        print(f"written to {target}", file=sys.stderr)


if __name__ == "__main__":
    main()
