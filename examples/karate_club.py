"""Zachary's karate club: the two factions of the split recovered from 4 labelled members by a GCN.

    python examples/karate_club.py [--labelled 0 33 1 32] [--epochs 200] [--seed 0] [--plot karate.png]

34 members, 78 friendships; after a quarrel the club split between the instructor (member 0, "Mr. Hi")
and the administrator (member 33, "Officer"). The network knows only who is friends with whom (the
features are one-hot member numbers, as in Kipf & Welling's demonstration) and the faction of 4 members;
it predicts the faction of the 30 others. With the defaults it places 29 of 30: member 8, whose friends
are mostly on the administrator's side but who followed the instructor (Zachary's own model misplaced
him too). Model: GCNConv(4) -> tanh -> GCNConv(2) -> tanh -> GCNConv(2)
(logits), Adam lr 0.01. With ``--plot karate.png`` (matplotlib) the graph is drawn twice, coloured by the
true and by the predicted faction (karate.png), and each member at the 2-D embedding the last hidden layer
gives it, coloured by faction (karate-embedding.png).
Needs networkx (``pip install glassnet[graph]``).
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np

import glassnet as gn
from glassnet import nn, optim
from glassnet.data import karate_club


class ClubGCN(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv1, self.conv2, self.conv3 = nn.GCNConv(4), nn.GCNConv(2), nn.GCNConv(2)

    def embed(self, graph):
        hidden = self.conv1(graph.x, graph.edge_index).tanh()
        return self.conv2(hidden, graph.edge_index).tanh()

    def forward(self, graph):
        return self.conv3(self.embed(graph), graph.edge_index)


def plot(graph, predicted, embedding, path: str) -> None:
    """The club drawn twice (true and predicted faction) and the members' 2-D embedding, by faction."""
    from glassnet.explain import plot_graph, plot_node_embeddings  # noqa: PLC0415 - matplotlib, optional

    stem = Path(path)
    embedding_path = stem.with_name(f"{stem.stem}-embedding{stem.suffix or '.png'}")
    print(f"wrote {plot_graph(graph, predicted, path, title='Karate club: the two factions')}")
    title = "Karate club: GCN embedding (hidden layer, 2-D)"
    print(f"wrote {plot_node_embeddings(embedding, graph.y, embedding_path, title=title)}")


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--labelled", type=int, nargs="+", default=[0, 33, 1, 32])
    parser.add_argument("--epochs", type=int, default=200)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--plot", default=None, help="write the embedding plot to this file")
    args = parser.parse_args()

    gn.manual_seed(args.seed)
    graph = karate_club(labelled=args.labelled)
    model = ClubGCN()
    model.compile(optim.Adam(lr=0.01), loss=nn.SparseCategoricalCrossEntropy(from_logits=True),
                  metrics=["accuracy"])
    model.fit(graph, epochs=args.epochs, verbose=0)
    predicted = model.predict(graph).argmax(axis=1)
    others = graph.test_mask
    correct = int((predicted[others] == graph.y[others]).sum())
    print(f"labelled members {args.labelled}: {correct} of the {int(others.sum())} others placed in their "
          f"faction ({100 * correct / others.sum():.0f} %)")
    wrong = np.flatnonzero(others & (predicted != graph.y)).tolist()
    print(f"misplaced: {wrong or 'none'}")
    if args.plot:
        with gn.no_grad():
            model.eval()
            embedding = model.embed(graph).data
        plot(graph, predicted, embedding, args.plot)


if __name__ == "__main__":
    main()
