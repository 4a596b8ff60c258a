"""Graph networks' speed, PyTorch Geometric's side: the workloads of graph_gcn.py (the same Cora arrays,
models, optimizers and random graphs), for suite.py to run in a process of its own.

    python benchmarks/graph_gcn_torch.py [--steps 20] [--edges 100000 300000 1000000] [--nodes 100000]

PyG's ``GCNConv`` and ``GATConv`` as PyG users write them (edge_index tensors, normalization recomputed each
call, ``cached=False`` as in glassnet); the ops workload with ``index_select``, ``torch_geometric.utils
.softmax`` and ``torch_geometric.utils.scatter``. Peak memory here is the process's resident set (PyTorch's
allocations are not NumPy's): suite.py reports it for both sides alike.
"""

from __future__ import annotations

import argparse
import resource

import numpy as np
from graph_gcn import FEATURES, OPS_NODES, cora, random_graph, timed


def epoch_runner(arrays, model: str):
    """run(steps): ``steps`` training epochs of the paper's ``model`` in PyTorch Geometric."""
    import torch
    import torch.nn.functional as F  # noqa: N812 - PyTorch's own name
    import torch_geometric.nn as pyg

    x, edge_index, y, train = arrays
    torch.manual_seed(0)
    x, edge_index = torch.from_numpy(x), torch.from_numpy(edge_index)
    y, train = torch.from_numpy(y), torch.from_numpy(train)
    classes = int(y.max()) + 1
    if model == "gcn":
        conv1, conv2, rate, activation = pyg.GCNConv(x.shape[1], 16), pyg.GCNConv(16, classes), 0.5, F.relu
        optimizer = torch.optim.Adam(
            [{"params": [conv1.lin.weight], "weight_decay": 5e-4},
             {"params": [conv1.bias, *conv2.parameters()]}], lr=0.01)  # fmt: skip
    else:
        conv1 = pyg.GATConv(x.shape[1], 8, heads=8, dropout=0.6)
        conv2 = pyg.GATConv(64, classes, heads=1, concat=False, dropout=0.6)
        rate, activation = 0.6, F.elu
        optimizer = torch.optim.Adam([*conv1.parameters(), *conv2.parameters()], lr=0.005, weight_decay=5e-4)
    conv1.train(), conv2.train()

    def run(steps):
        for _ in range(steps):
            hidden = activation(conv1(F.dropout(x, rate, True), edge_index))
            logits = conv2(F.dropout(hidden, rate, True), edge_index)
            loss = F.cross_entropy(logits[train], y[train])
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()

    return run


def ops_runner(arrays):
    """run(steps): gather, segment softmax and scatter-sum forward and backward, ``steps`` times."""
    import torch
    from torch_geometric.utils import scatter, softmax

    x, edge_index, scores = arrays
    nodes = len(x)
    features = torch.from_numpy(x).requires_grad_()
    score = torch.from_numpy(scores).requires_grad_()
    weights = torch.from_numpy(np.random.default_rng(1).standard_normal(x.shape, dtype=np.float32))
    sources, targets = torch.from_numpy(edge_index)

    def run(steps):
        for _ in range(steps):
            alpha = softmax(score, targets, num_nodes=nodes)
            messages = features.index_select(0, sources) * alpha.unsqueeze(1)
            out = scatter(messages, targets, dim=0, dim_size=nodes, reduce="sum")
            (out * weights).sum().backward()
            features.grad = score.grad = None

    return run


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
            print(f"PyG {model.upper()} epoch on Cora: {1000 * seconds:.1f} ms")
    for edges in args.edges:  # the resident peak only grows: run the edge counts from small to large
        seconds = timed(ops_runner(random_graph(args.nodes, edges)), max(1, args.steps // 4))
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        print(
            f"PyG message passing, {args.nodes:,} nodes, {edges:,} edges, {FEATURES} features: "
            f"{1000 * seconds:.1f} ms a step, process peak {peak:.0f} MB"
        )


if __name__ == "__main__":
    main()
