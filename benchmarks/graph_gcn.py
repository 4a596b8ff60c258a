"""Graph networks' speed, glassnet's side (the PyTorch Geometric twin is graph_gcn_torch.py; suite.py runs
each alone in its own process: ``python benchmarks/suite.py --only gcn_cora gat_cora graph_ops_1m``).

    python benchmarks/graph_gcn.py [--steps 20] [--edges 100000 300000 1000000] [--nodes 100000]

Workloads, float32:

- a GCN epoch on Cora, the paper's model (2 layers, 16 hidden, dropout 0.5): forward on the whole graph in
  training mode, the cross-entropy of the 140 training nodes plus the L2 penalty on W₁, backward, one Adam
  step (what ``fit`` does each epoch, without its bookkeeping);
- a GAT epoch on Cora, the GAT paper's model (8 heads of 8, dropout 0.6 on features and attention);
- the message-passing ops alone on a random graph (``--nodes`` nodes, each of ``--edges`` edges drawn
  uniformly, 16 features): gather the sources' rows, a softmax of one score per edge over each target's
  incoming edges, the weighted rows summed into the targets; forward and backward. Time per step and the
  peak memory NumPy allocated (tracemalloc, in a separate untimed step), to show how both grow with E.

The Cora files: ../shared/data/planetoid beside the checkout, else $GLASSNET_DATA and the cache.
"""

from __future__ import annotations

import argparse
import time
import tracemalloc
from pathlib import Path

import numpy as np

SHARED_COPY = Path(__file__).resolve().parents[2] / "shared" / "data" / "planetoid"
FEATURES = 16  # message width in the ops workload: GCN's hidden size
OPS_NODES = 100_000


def cora():
    """Cora as arrays: x (float32, row-normalized), edge_index, y, train_mask."""
    from glassnet.data import load_planetoid

    graph = load_planetoid(
        "cora", path=SHARED_COPY if SHARED_COPY.is_dir() else None, normalize_features=True
    )
    return graph.x.astype(np.float32), graph.edge_index, graph.y, graph.train_mask


def random_graph(nodes: int, edges: int, seed: int = 0):
    """x (nodes, FEATURES), edge_index (2, edges) drawn uniformly, one score per edge: float32."""
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((nodes, FEATURES), dtype=np.float32)
    edge_index = rng.integers(0, nodes, (2, edges), dtype=np.int64)
    return x, edge_index, rng.standard_normal(edges, dtype=np.float32)


def epoch_runner(arrays, model: str):
    """run(steps): ``steps`` training epochs of the paper's ``model`` ("gcn" or "gat") on ``arrays``."""
    import glassnet as gn
    from glassnet import models, nn, optim
    from glassnet.data import Graph

    x, edge_index, y, train = arrays
    gn.manual_seed(0)
    graph = Graph(x, edge_index, y=y, train_mask=train)
    classes = int(y.max()) + 1
    if model == "gcn":
        network, opt = models.GCN(classes, num_features=x.shape[1]), optim.Adam(lr=0.01, convention="pytorch")
    else:
        network = models.GAT(classes, num_features=x.shape[1])
        opt = optim.Adam(lr=0.005, weight_decay=5e-4, convention="pytorch")
    opt.bind(network.parameters())
    loss_fn = nn.SparseCategoricalCrossEntropy(from_logits=True)
    targets = y[train]

    def run(steps):
        for _ in range(steps):
            loss = loss_fn(network(graph)[train], targets) + network.regularization_loss()
            opt.zero_grad()
            loss.backward()
            opt.step()

    return run


def ops_runner(arrays):
    """run(steps): gather, segment softmax and scatter-sum forward and backward, ``steps`` times."""
    import glassnet as gn
    from glassnet.ops.graph import gather_rows, scatter_sum, segment_softmax

    x, edge_index, scores = arrays
    nodes = len(x)
    features = gn.tensor(x, requires_grad=True)
    score = gn.tensor(scores, requires_grad=True)
    weights = gn.tensor(np.random.default_rng(1).standard_normal(x.shape, dtype=np.float32))
    sources, targets = edge_index

    def run(steps):
        for _ in range(steps):
            alpha = segment_softmax(score, targets, nodes)
            out = scatter_sum(gather_rows(features, sources) * alpha.reshape((-1, 1)), targets, nodes)
            (out * weights).sum().backward()
            features.grad = score.grad = None

    return run


def timed(run, steps: int, repeats: int = 3) -> float:
    """Seconds per step: the best of ``repeats`` runs of ``steps``, after one warm-up step."""
    run(1)
    best = float("inf")
    for _ in range(repeats):
        start = time.perf_counter()
        run(steps)
        best = min(best, time.perf_counter() - start)
    return best / steps


def numpy_peak_mb(run) -> float:
    """The most memory NumPy held at once during one step (tracemalloc sees NumPy's allocations)."""
    tracemalloc.start()
    run(1)
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    return peak / 2**20


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--steps", type=int, default=20)
    parser.add_argument("--nodes", type=int, default=OPS_NODES)
    parser.add_argument("--edges", type=int, nargs="+", default=[100_000, 300_000, 1_000_000])
    parser.add_argument("--no-cora", action="store_true", help="only the ops on random graphs")
    args = parser.parse_args()
    if not args.no_cora:
        arrays = cora()
        for model in ("gcn", "gat"):
            seconds = timed(epoch_runner(arrays, model), args.steps)
            print(f"glassnet {model.upper()} epoch on Cora: {1000 * seconds:.1f} ms")
    for edges in args.edges:
        run = ops_runner(random_graph(args.nodes, edges))
        seconds = timed(run, max(1, args.steps // 4))
        print(
            f"glassnet message passing, {args.nodes:,} nodes, {edges:,} edges: "
            f"{1000 * seconds:.1f} ms a step, NumPy peak {numpy_peak_mb(run):.0f} MB"
        )


if __name__ == "__main__":
    main()
