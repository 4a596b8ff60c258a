"""The graph drawn by class and the node embeddings in 2-D: the figures' data (a colour per node from its
true or predicted class, a segment per undirected edge, a cross per wrong node, a point per embedding),
the layout with and without networkx, and the examples' --plot."""

import numpy as np
import pytest

import glassnet as gn
from glassnet.data import Graph, stochastic_block_model
from glassnet.explain import graph_plots
from glassnet.explain.graph_plots import (
    class_colours,
    graph_layout,
    plot_graph,
    plot_node_embeddings,
    spring_layout,
)


@pytest.fixture
def pyplot():
    pytest.importorskip("matplotlib", reason="plots need matplotlib: pip install 'glassnet[plot]'")
    import matplotlib.pyplot as plt

    yield plt
    plt.close("all")


@pytest.fixture
def communities():
    gn.manual_seed(0)
    return stochastic_block_model((8, 8, 8), p_in=0.5, p_out=0.05, features=3)


def test_nodes_are_coloured_by_true_and_predicted_class(pyplot, communities):
    predicted = communities.y.copy()
    predicted[[0, 9, 20]] = (predicted[[0, 9, 20]] + 1) % 3  # three nodes wrong
    figure = plot_graph(communities, predicted, position=spring_layout(communities.edge_index, 24))
    truth_axis, predicted_axis = figure.axes
    for axis, labels in ((truth_axis, communities.y), (predicted_axis, predicted)):
        edges, nodes = axis.collections[:2]
        np.testing.assert_allclose(nodes.get_facecolors()[:, :3], class_colours(labels), atol=1e-6)
        pairs = {tuple(sorted(pair)) for pair in communities.edge_index.T.tolist()}
        assert len(edges.get_segments()) == len(pairs)  # each friendship drawn once
    crosses = predicted_axis.collections[2].get_offsets()
    np.testing.assert_allclose(crosses, predicted_axis.collections[1].get_offsets()[[0, 9, 20]])
    assert "3 wrong" in predicted_axis.get_title()
    rings = truth_axis.collections[1].get_edgecolors()
    assert (rings[communities.train_mask, 3] == 1).all() and (rings[~communities.train_mask, 3] == 0).all()


def test_class_colours_differ_between_classes():
    colours = class_colours([0, 1, 2, 0, 12])
    assert (colours[0] == colours[3]).all() and not (colours[0] == colours[1]).all()
    assert (colours[4] == colours[2]).all()  # tab10 cycles


def test_embeddings_get_one_point_per_node_coloured_by_class(pyplot):
    labels = np.repeat([0, 1, 2], 10)
    embedding = np.random.default_rng(0).normal(size=(30, 2)) + 5 * labels[:, None]
    axis = plot_node_embeddings(embedding, labels).axes[0]
    points = axis.collections[0]
    np.testing.assert_allclose(points.get_offsets(), embedding)  # 2-D: drawn as it is
    np.testing.assert_allclose(points.get_facecolors()[:, :3], class_colours(labels), atol=1e-6)


def test_higher_dimensional_embeddings_go_through_tsne(pyplot):
    pytest.importorskip("sklearn", reason="t-SNE needs scikit-learn")
    labels = np.repeat([0, 1], 15)
    embedding = np.random.default_rng(1).normal(size=(30, 8)) + 10 * labels[:, None]
    points = plot_node_embeddings(embedding, labels, perplexity=5).axes[0].collections[0].get_offsets()
    assert points.shape == (30, 2)
    centres = [points[labels == k].mean(axis=0) for k in (0, 1)]
    spread = max(np.linalg.norm(points[labels == k] - centres[k], axis=1).mean() for k in (0, 1))
    assert np.linalg.norm(centres[0] - centres[1]) > 2 * spread  # two classes, two clusters


def test_own_spring_layout_pulls_linked_nodes_together():
    # two cliques of 6 joined by one edge: a node is nearer its own clique than the other
    pairs = [(i, j) for group in (range(6), range(6, 12)) for i in group for j in group if i < j] + [(0, 6)]
    edges = np.array(pairs).T
    position = spring_layout(np.concatenate([edges, edges[::-1]], axis=1), 12, seed=3)
    assert position.shape == (12, 2) and np.abs(position).max() == pytest.approx(1.0)
    first, second = position[:6].mean(axis=0), position[6:].mean(axis=0)
    assert all(np.linalg.norm(p - first) < np.linalg.norm(p - second) for p in position[1:6])
    np.testing.assert_array_equal(
        position, spring_layout(np.concatenate([edges, edges[::-1]], 1), 12, seed=3)
    )


def test_layout_uses_networkx_when_installed_and_its_own_without(monkeypatch, communities):
    networkx = pytest.importorskip("networkx", reason="the networkx layout needs networkx")
    expected = networkx.spring_layout(communities.to_networkx(directed=False), seed=0, iterations=100)
    np.testing.assert_allclose(graph_layout(communities), [expected[n] for n in range(24)])
    monkeypatch.setitem(__import__("sys").modules, "networkx", None)  # as if not installed
    np.testing.assert_array_equal(graph_layout(communities), spring_layout(communities.edge_index, 24))


def test_bad_input_is_named(pyplot, communities):
    with pytest.raises(ValueError, match="predicted must be one integer class per node \\(24\\)"):
        plot_graph(communities, np.zeros(5, dtype=int))
    with pytest.raises(ValueError, match="needs a graph with labels y"):
        plot_graph(Graph(np.eye(2), [[0], [1]]))
    with pytest.raises(ValueError, match="spring_layout draws 1 to"):
        graph_plots.spring_layout([[0], [1]], 10**6)


def test_karate_club_example_writes_both_pictures(pyplot, tmp_path, capsys):
    pytest.importorskip("networkx", reason="the karate club comes from networkx")
    import runpy
    import sys
    from pathlib import Path

    example = Path(__file__).resolve().parents[2] / "examples" / "karate_club.py"
    argv, sys.argv = sys.argv, ["karate_club.py", "--epochs", "20", "--plot", str(tmp_path / "club.png")]
    try:
        runpy.run_path(str(example), run_name="__main__")
    finally:
        sys.argv = argv
    assert (tmp_path / "club.png").stat().st_size > 10_000
    assert (tmp_path / "club-embedding.png").stat().st_size > 10_000
    assert "wrote" in capsys.readouterr().out
