"""fit, evaluate and predict on graphs (train/graph.py): node classification on one graph through masks,
graph classification on batches of graphs, all through the one training loop."""

import numpy as np
import pytest

import glassnet as gn
from glassnet import nn, optim
from glassnet.data import Graph, GraphLoader, stochastic_block_model


class NodeClassifier(nn.Module):
    def __init__(self, classes):
        super().__init__()
        self.conv1, self.conv2 = nn.GCNConv(16), nn.GCNConv(classes)

    def forward(self, graph):
        return self.conv2(self.conv1(graph.x, graph.edge_index).relu(), graph.edge_index)


class GraphClassifier(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv, self.pool, self.out = nn.SAGEConv(8, aggregator="sum"), nn.GlobalMeanPool(), nn.Dense(2)

    def forward(self, graph):
        hidden = self.conv(graph.x, graph.edge_index).relu()
        return self.out(self.pool(hidden, graph.batch, graph.num_graphs))


def compiled(model, lr=0.05):
    model.compile(optim.Adam(lr=lr), loss=nn.SparseCategoricalCrossEntropy(from_logits=True),
                  metrics=["accuracy"])
    return model


@pytest.fixture
def communities():
    gn.manual_seed(0)
    return stochastic_block_model((30, 30, 30), p_in=0.25, p_out=0.02, features=6, noise=2.0)


def test_node_classification_learns_the_communities_from_five_labels_each(communities):
    gn.manual_seed(1)
    model = compiled(NodeClassifier(3))
    history = model.fit(communities, epochs=60, validation_data=communities, verbose=0)
    assert history.params["samples"] == 15  # the loss reads the 15 training nodes only
    assert {"loss", "accuracy", "val_loss", "val_accuracy"} <= set(history.history)
    assert model.evaluate(communities, return_dict=True)["accuracy"] > 0.9  # the test mask's nodes


def test_the_loss_reads_only_the_masked_nodes(communities):
    gn.manual_seed(2)
    model = compiled(NodeClassifier(3))
    loss = model.evaluate(GraphLoader(communities, mask="val_mask"), return_dict=True)["loss"]
    logits = model.predict(communities)
    rows = logits[communities.val_mask]
    log_softmax = rows - np.log(np.exp(rows - rows.max(1, keepdims=True)).sum(1, keepdims=True)) - rows.max(
        1, keepdims=True)
    expected = -log_softmax[np.arange(len(rows)), communities.y[communities.val_mask]].mean()
    assert loss == pytest.approx(expected, rel=1e-5)
    assert logits.shape == (90, 3)


def _ring_or_star(kind: int, nodes: int) -> Graph:
    """A ring (label 0) or a star (label 1) of ``nodes`` nodes, features all ones: only the degrees
    (which the sum aggregator sees) tell them apart."""
    if kind == 0:
        sources = np.arange(nodes)
        targets = (sources + 1) % nodes
    else:
        sources, targets = np.zeros(nodes - 1, dtype=int), np.arange(1, nodes)
    edges = np.concatenate([np.stack([sources, targets]), np.stack([targets, sources])], axis=1)
    return Graph(np.ones((nodes, 1)), edges, y=np.array(kind))


def test_graph_classification_on_batches_of_graphs():
    graphs = [_ring_or_star(k % 2, 4 + k % 5) for k in range(24)]
    gn.manual_seed(3)
    model = compiled(GraphClassifier(), lr=0.05)
    history = model.fit(graphs, epochs=40, batch_size=6, verbose=0)
    assert history.params["steps"] == 4 and history.params["samples"] == 24
    predicted = model.predict(graphs).argmax(axis=1)
    assert (predicted == np.arange(24) % 2).all()


def test_fit_refuses_a_graph_with_separate_labels(communities):
    with pytest.raises(ValueError, match="got a graph and y \\(or weights\\): the labels are the graph's y"):
        compiled(NodeClassifier(3)).fit(communities, communities.y, verbose=0)
