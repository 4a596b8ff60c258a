"""Node classification on the Planetoid citation graphs (Cora, Citeseer) with GCN, GAT or GraphSAGE, the
papers' setups, over several seeds; with ``--torch`` the same models in PyTorch Geometric on the same
split and the same seeds, for comparison.

    python examples/gcn_cora.py [--dataset cora|citeseer] [--model gcn|gat|sage] [--seeds 10] [--torch]
                                [--data DIR] [--no-glassnet] [--plot PREFIX]

Setups (the fixed Planetoid split: 20 labelled nodes per class, 500 validation, 1,000 test; features
divided by their row sums, as the GCN code does):

- GCN (Kipf & Welling, 2017): 2 layers, 16 hidden units, ReLU, dropout 0.5 on the input and hidden
  features, L2 penalty 5e-4 · ½‖W₁‖² on the first layer's weights (TensorFlow's l2_loss; PyTorch's
  weight_decay=5e-4 on them), Adam lr 0.01, at most 200 epochs, early stopping on the validation loss with
  patience 10 (the best epoch's weights kept).
- GAT (Veličković et al., 2018): 8 heads of 8 units (ELU), then 1 head of one unit per class; dropout 0.6 on
  the input, the hidden features and the attention coefficients; Adam lr 0.005, weight decay 5e-4 on every
  parameter; at most 200 epochs, early stopping with patience 100 (the paper's).
- GraphSAGE (mean aggregator, root weight): as GCN's setup.

Measured (test accuracy, mean ± standard deviation over seeds 0-9; PyTorch Geometric 2.8.1 on the same
split and seeds, its own random streams):

    GCN  Cora      glassnet 82.0 ± 0.3 %   PyG 82.0 ± 0.6 %   (paper 81.5 %)
    GCN  Citeseer  glassnet 71.1 ± 0.7 %   PyG 71.0 ± 0.8 %   (paper 70.3 %)
    GAT  Cora      glassnet 82.6 ± 0.6 %   PyG 82.8 ± 0.3 %   (paper 83.0 %, 100 runs, longer training)
    SAGE Cora      glassnet 80.8 ± 0.6 %   (GCN's setup; PyG not run)

The data: ``--data`` (a directory holding ``ind.cora.x`` ...), else ../shared/data/planetoid beside the
checkout when it is there, else ``$GLASSNET_DATA`` and the cache (downloaded on first use, checksummed).
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import numpy as np

import glassnet as gn
from glassnet import models, nn, optim
from glassnet.data import load_planetoid
from glassnet.train.callbacks import EarlyStopping

SHARED_COPY = Path(__file__).resolve().parents[2] / "shared" / "data" / "planetoid"
SETUPS = {
    "gcn": {"lr": 0.01, "patience": 10, "dropout": 0.5},
    "sage": {"lr": 0.01, "patience": 10, "dropout": 0.5},
    "gat": {"lr": 0.005, "patience": 100, "dropout": 0.6},
}


def run_glassnet(graph, kind: str, seed: int, epochs: int) -> tuple:
    """Test accuracy, epochs run and the trained model, for one seed."""
    gn.manual_seed(seed)
    classes, setup = int(graph.y.max()) + 1, SETUPS[kind]
    if kind == "gat":
        model = models.GAT(classes, dropout=setup["dropout"])
        optimizer = optim.Adam(lr=setup["lr"], weight_decay=5e-4, convention="pytorch")
    else:
        model = (models.GCN if kind == "gcn" else models.GraphSAGE)(classes, dropout=setup["dropout"])
        optimizer = optim.Adam(lr=setup["lr"], convention="pytorch")
    model.compile(optimizer, loss=nn.SparseCategoricalCrossEntropy(from_logits=True), metrics=["accuracy"])
    stop = EarlyStopping(monitor="val_loss", patience=setup["patience"], restore_best_weights=True)
    history = model.fit(graph, epochs=epochs, validation_data=graph, callbacks=[stop], verbose=0)
    return model.evaluate(graph, return_dict=True)["accuracy"], len(history.history["loss"]), model


def run_torch(graph, kind: str, seed: int, epochs: int) -> tuple:
    """The same model, split and early stopping in PyTorch Geometric (float32)."""
    import torch  # noqa: PLC0415 - only with --torch
    import torch.nn.functional as F  # noqa: PLC0415
    import torch_geometric.nn as pyg  # noqa: PLC0415

    torch.manual_seed(seed)
    setup, classes = SETUPS[kind], int(graph.y.max()) + 1
    x = torch.from_numpy(graph.x.astype(np.float32))
    edge_index, y = torch.from_numpy(graph.edge_index), torch.from_numpy(graph.y)
    masks = [torch.from_numpy(getattr(graph, name)) for name in ("train_mask", "val_mask", "test_mask")]
    p = setup["dropout"]
    if kind == "gat":
        conv1 = pyg.GATConv(x.shape[1], 8, heads=8, dropout=p)
        conv2 = pyg.GATConv(64, classes, heads=1, concat=False, dropout=p)
        activation = F.elu
    else:
        layer = pyg.GCNConv if kind == "gcn" else pyg.SAGEConv
        conv1, conv2, activation = layer(x.shape[1], 16), layer(16, classes), F.relu
    model = torch.nn.ModuleList([conv1, conv2])
    if kind == "gat":
        optimizer = torch.optim.Adam(model.parameters(), lr=setup["lr"], weight_decay=5e-4)
    else:
        first_weights = [w for name, w in conv1.named_parameters() if "weight" in name]
        rest = [w for w in model.parameters() if all(w is not f for f in first_weights)]
        optimizer = torch.optim.Adam([{"params": first_weights, "weight_decay": 5e-4}, {"params": rest}],
                                     lr=setup["lr"])

    def forward(training: bool):
        model.train(training)
        hidden = activation(conv1(F.dropout(x, p, training), edge_index))
        return conv2(F.dropout(hidden, p, training), edge_index)

    best, best_state, waited, ran = float("inf"), None, 0, 0
    for _ in range(epochs):
        ran += 1
        optimizer.zero_grad()
        F.cross_entropy(forward(True)[masks[0]], y[masks[0]]).backward()
        optimizer.step()
        with torch.no_grad():
            val_loss = F.cross_entropy(forward(False)[masks[1]], y[masks[1]]).item()
        if val_loss < best:
            best, waited = val_loss, 0
            best_state = {k: v.clone() for k, v in model.state_dict().items()}
        else:
            waited += 1
            if waited >= setup["patience"]:
                break
    model.load_state_dict(best_state)
    with torch.no_grad():
        predicted = forward(False).argmax(dim=1)
    return (predicted[masks[2]] == y[masks[2]]).double().mean().item(), ran, None


def plot(graph, model, prefix: str, name: str) -> None:
    """The graph coloured by true and predicted class, and the t-SNE of the hidden layer's embeddings."""
    from glassnet.explain import plot_graph, plot_node_embeddings  # noqa: PLC0415 - matplotlib, optional

    predicted = model.predict(graph).argmax(axis=1)
    print(f"wrote {plot_graph(graph, predicted, f'{prefix}-graph.png', title=name)}", flush=True)
    model.eval()
    with gn.no_grad():
        embedding = model.embed(graph.astype(model.parameters()[0].dtype)).data
    title = f"{name}: t-SNE of the hidden layer, test nodes"
    path = plot_node_embeddings(embedding[graph.test_mask], graph.y[graph.test_mask], f"{prefix}-tsne.png",
                                title=title)
    print(f"wrote {path}", flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--dataset", default="cora", choices=["cora", "citeseer"])
    parser.add_argument("--model", default="gcn", choices=sorted(SETUPS))
    parser.add_argument("--seeds", type=int, default=10)
    parser.add_argument("--epochs", type=int, default=200)
    parser.add_argument("--torch", action="store_true", help="also run PyTorch Geometric on the same seeds")
    parser.add_argument("--no-glassnet", action="store_true", help="with --torch: PyTorch Geometric only")
    parser.add_argument("--data", default=None, help="a directory holding the ind.NAME.* files")
    parser.add_argument("--plot", default=None, metavar="PREFIX",
                        help="draw seed 0's glassnet model: PREFIX-graph.png, PREFIX-tsne.png (matplotlib, "
                             "scikit-learn; networkx for the layout if installed)")
    args = parser.parse_args()
    path = args.data or (SHARED_COPY if SHARED_COPY.is_dir() else None)
    graph = load_planetoid(args.dataset, path=path, normalize_features=True)
    print(f"{args.dataset}: {graph}")
    runners = [] if args.no_glassnet else [("glassnet", run_glassnet)]
    runners += [("PyG", run_torch)] if args.torch else []
    for label, runner in runners:
        accuracies, started = [], time.perf_counter()
        for seed in range(args.seeds):
            accuracy, ran, model = runner(graph, args.model, seed, args.epochs)
            if args.plot and model is not None and seed == 0:
                plot(graph, model, args.plot, f"{args.model.upper()} on {args.dataset}")
            accuracies.append(accuracy)
            print(f"  {label} seed {seed}: test accuracy {accuracy:.3f} ({ran} epochs)", flush=True)
        scores = 100 * np.array(accuracies)
        print(f"{label} {args.model.upper()} on {args.dataset}: {scores.mean():.1f} ± {scores.std():.1f} % "
              f"over {args.seeds} seeds ({time.perf_counter() - started:.0f} s)", flush=True)


if __name__ == "__main__":
    main()
