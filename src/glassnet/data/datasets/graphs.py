"""Small graphs for tests and examples: a stochastic block model (communities with noisy features), and
Zachary's karate club from networkx (an optional extra)."""

from __future__ import annotations

import numpy as np

from glassnet.backend import get_rng
from glassnet.data.graph import Graph

__all__ = ["stochastic_block_model", "karate_club"]


def _split_masks(labels, per_class: int, validation: int, rng):
    """Planetoid-style masks: ``per_class`` training nodes of each class, then ``validation`` nodes, the
    rest for testing, all drawn from ``rng``."""
    order = rng.permutation(len(labels))
    train = np.zeros(len(labels), dtype=bool)
    for label in np.unique(labels):
        train[order[labels[order] == label][:per_class]] = True
    rest = order[~train[order]]
    val = np.zeros_like(train)
    val[rest[:validation]] = True
    return train, val, ~(train | val)


def stochastic_block_model(sizes=(30, 30, 30), p_in=0.2, p_out=0.02, features=8, noise=1.0,
                           train_per_class=5, validation=30) -> Graph:
    """A graph of ``len(sizes)`` communities: two nodes of one community are linked with probability
    ``p_in``, of two communities with ``p_out`` (undirected, no self-loops). Each node's features are
    its community's centre (a random unit-scale vector of length ``features``) plus Gaussian noise of
    scale ``noise``; its label is its community. Masks: ``train_per_class`` training nodes per class,
    ``validation`` validation nodes, the rest test. Draws from the generator seeded by ``gn.manual_seed``.

    Example:
        >>> import glassnet as gn
        >>> _ = gn.manual_seed(0)
        >>> g = stochastic_block_model((10, 10), p_in=0.5, p_out=0.0)
        >>> g.num_nodes, int(g.train_mask.sum()), bool((g.y[g.edge_index[0]] == g.y[g.edge_index[1]]).all())
        (20, 10, True)
    """
    rng = get_rng()
    sizes = [int(size) for size in sizes]
    if any(size < 1 for size in sizes) or not (0 <= p_out <= 1 and 0 <= p_in <= 1):
        raise ValueError(f"stochastic_block_model: sizes must be positive and p_in, p_out in [0, 1], got "
                         f"{sizes}, {p_in}, {p_out}")
    labels = np.repeat(np.arange(len(sizes)), sizes)
    probability = np.where(labels[:, None] == labels[None, :], p_in, p_out)
    linked = np.triu(rng.random(probability.shape) < probability, k=1)
    sources, targets = np.nonzero(linked)
    edge_index = np.concatenate([np.stack([sources, targets]), np.stack([targets, sources])], axis=1)
    centres = rng.standard_normal((len(sizes), features))
    x = centres[labels] + noise * rng.standard_normal((len(labels), features))
    train, val, test = _split_masks(labels, train_per_class, validation, rng)
    return Graph(x, edge_index, y=labels, train_mask=train, val_mask=val, test_mask=test)


def karate_club(labelled=(0, 33, 1, 32)) -> Graph:
    """Zachary's karate club (34 members, 78 friendships, both directions), from networkx: the label is
    the faction each member joined after the split (0: "Mr. Hi", 1: "Officer"), the features the identity
    (one-hot node numbers, as in Kipf & Welling's demonstration). ``train_mask`` marks the ``labelled``
    members (by default the two leaders and their closest allies, 1 and 32), ``test_mask`` everyone else."""
    try:
        import networkx  # noqa: PLC0415 - an optional extra
    except ImportError as error:
        raise ImportError("karate_club needs networkx: pip install networkx") from error
    club = networkx.karate_club_graph()
    y = np.array([0 if club.nodes[n]["club"] == "Mr. Hi" else 1 for n in club.nodes])
    train = np.zeros(len(y), dtype=bool)
    train[list(labelled)] = True
    graph = Graph.from_networkx(club, x=np.eye(len(y)), y=y)
    return Graph(graph.x, graph.edge_index, y=y, train_mask=train, test_mask=~train)
