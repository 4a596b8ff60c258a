"""Pictures of a graph network's work (matplotlib, an optional extra): the graph drawn with its nodes
coloured by their true and their predicted class, and the nodes' learned embeddings in 2-D (t-SNE, as the
notes' lab does) coloured by class.

The numbers behind each picture need no matplotlib: ``graph_layout`` places the nodes (networkx's spring
layout when networkx is installed, ``spring_layout`` below otherwise), ``class_colours`` gives each node
its colour, and ``plots.tsne_2d`` maps embeddings to 2-D.
"""

from __future__ import annotations

import numpy as np

from glassnet.autograd.tensor import Tensor
from glassnet.explain.plots import _pyplot, _save, tsne_2d

__all__ = ["graph_layout", "spring_layout", "class_colours", "plot_graph", "plot_node_embeddings"]

# tab10's colours (matplotlib's default cycle), so that colours are known without matplotlib
TAB10 = np.array([
    (0.122, 0.467, 0.706), (1.000, 0.498, 0.055), (0.173, 0.627, 0.173), (0.839, 0.153, 0.157),
    (0.580, 0.404, 0.741), (0.549, 0.337, 0.294), (0.890, 0.467, 0.761), (0.498, 0.498, 0.498),
    (0.737, 0.741, 0.133), (0.090, 0.745, 0.812),
])  # fmt: skip
_LAYOUT_LIMIT = 20_000  # nodes: the layout's forces are computed between every pair
_LABELLED_LIMIT = 60  # nodes: up to this many, each is drawn with its number


def _labels(values, nodes: int, what: str) -> np.ndarray:
    array = np.asarray(values.data if isinstance(values, Tensor) else values)
    if array.ndim == 2 and array.shape[1] > 1:  # one-hot rows or logits
        array = array.argmax(axis=1)
    array = array.reshape(-1)
    if array.shape != (nodes,) or array.dtype.kind not in "iub":
        raise ValueError(
            f"{what} must be one integer class per node ({nodes}), got {array.dtype} {np.shape(values)}"
        )
    return array.astype(np.int64)


def class_colours(labels) -> np.ndarray:
    """An RGB colour (N, 3) per node from its class: tab10's colours, cycling after 10 classes."""
    return TAB10[np.asarray(labels, dtype=np.int64) % len(TAB10)]


def spring_layout(edge_index, num_nodes: int, iterations: int = 100, seed: int = 0) -> np.ndarray:
    """Fruchterman & Reingold's force-directed layout in NumPy: every pair of nodes repels with force k²/d,
    the two ends of an edge attract with d²/k (k = 1/√N), each step moving a node at most a temperature
    that cools linearly to 0; positions (N, 2) scaled into [-1, 1]. Used when networkx is not installed.

    Example:
        >>> spring_layout([[0, 1], [1, 2]], 3).shape
        (3, 2)
    """
    edges = np.asarray(edge_index, dtype=np.int64).reshape(2, -1)
    if not 0 < num_nodes <= _LAYOUT_LIMIT:
        raise ValueError(f"spring_layout draws 1 to {_LAYOUT_LIMIT:,} nodes, got {num_nodes}")
    edges = edges[:, edges[0] != edges[1]]
    rng = np.random.default_rng(seed)
    position = rng.random((num_nodes, 2))
    k = 1 / np.sqrt(num_nodes)
    temperature = 0.1
    for _ in range(iterations):
        delta = position[:, None, :] - position[None, :, :]
        distance = np.maximum(np.linalg.norm(delta, axis=-1), 1e-2)
        shift = (delta * (k * k / distance**2)[..., None]).sum(axis=1)  # repulsion: k²/d along the unit
        along = position[edges[0]] - position[edges[1]]
        length = np.maximum(np.linalg.norm(along, axis=1, keepdims=True), 1e-2)
        pull = along * length / k  # attraction: d²/k along the unit vector
        np.add.at(shift, edges[1], pull)
        np.add.at(shift, edges[0], -pull)
        size = np.maximum(np.linalg.norm(shift, axis=1, keepdims=True), 1e-9)
        position += shift / size * np.minimum(size, temperature)
        temperature -= 0.1 / (iterations + 1)
    position -= position.mean(axis=0)
    return position / max(np.abs(position).max(), 1e-12)


def graph_layout(graph, seed: int = 0, iterations: int = 100) -> np.ndarray:
    """Node positions (N, 2) for drawing ``graph``: networkx's ``spring_layout`` (same seed, same picture)
    when networkx is installed, else ``spring_layout`` here."""
    try:
        import networkx  # noqa: PLC0415 - an optional extra
    except ImportError:
        return spring_layout(graph.edge_index, graph.num_nodes, iterations, seed)
    placed = networkx.spring_layout(graph.to_networkx(directed=False), seed=seed, iterations=iterations)
    return np.array([placed[node] for node in range(graph.num_nodes)], dtype=np.float64)


def _edge_segments(graph, position) -> np.ndarray:
    """One segment (2, 2) per undirected edge (a pair listed both ways is drawn once), self-loops left out."""
    edges = np.sort(graph.edge_index, axis=0)
    edges = np.unique(edges[:, edges[0] != edges[1]], axis=1)
    return np.stack([position[edges[0]], position[edges[1]]], axis=1)


def plot_graph(graph, predicted=None, path=None, position=None, title: str | None = None, seed: int = 0,
               node_size: float | None = None):  # fmt: skip
    """The graph drawn with its nodes coloured by true class (``graph.y``) and, given ``predicted`` (a class
    or the logits per node), a second panel coloured by the predicted class with the wrong nodes crossed
    (×). Training nodes (``graph.train_mask``) are ringed in black; small graphs show each node's number.

    Args:
        graph: a ``Graph`` with labels ``y``.
        predicted: the model's class per node (or its outputs (N, classes)), or None for one panel.
        path: where to write the picture; without it the figure is returned.
        position: node positions (N, 2); default ``graph_layout(graph, seed)``.
        title: above the panels.
        node_size: the markers' area (default smaller for bigger graphs).

    Returns:
        The path written, or the matplotlib figure (each panel holds the edges as ``collections[0]``, the
        nodes as ``collections[1]``, and on the predicted panel the crosses as ``collections[2]``).
    """
    if graph.y is None:
        raise ValueError("plot_graph needs a graph with labels y, to colour the nodes by class")
    truth = _labels(graph.y, graph.num_nodes, "graph.y")
    panels = [("true class", truth)]
    if predicted is not None:
        panels.append(("predicted class", _labels(predicted, graph.num_nodes, "predicted")))
    position = graph_layout(graph, seed) if position is None else np.asarray(position, dtype=np.float64)
    if position.shape != (graph.num_nodes, 2):
        raise ValueError(
            f"plot_graph: position must be (N, 2) = ({graph.num_nodes}, 2), got {position.shape}"
        )
    from matplotlib.collections import LineCollection  # noqa: PLC0415 - an optional extra

    plt = _pyplot()
    figure, axes = plt.subplots(1, len(panels), figsize=(5.5 * len(panels), 5.2), squeeze=False)
    size = node_size if node_size is not None else float(np.clip(4000 / graph.num_nodes, 4, 160))
    segments = _edge_segments(graph, position)
    for axis, (name, labels) in zip(axes.flat, panels):
        axis.add_collection(LineCollection(segments, colors="0.8", linewidths=0.5, zorder=1))
        rings = np.zeros((graph.num_nodes, 4))  # transparent: no ring
        if graph.train_mask is not None and labels is truth:
            rings[graph.train_mask] = (0, 0, 0, 1)
        axis.scatter(
            position[:, 0],
            position[:, 1],
            c=class_colours(labels),
            s=size,
            edgecolors=rings,
            linewidths=1.2,
            zorder=2,
        )
        wrong = labels != truth
        if labels is not truth:
            axis.scatter(
                position[wrong, 0],
                position[wrong, 1],
                marker="x",
                c="black",
                s=size * 0.6,
                linewidths=0.8,
                zorder=3,
            )
        if graph.num_nodes <= _LABELLED_LIMIT:
            for node, (u, v) in enumerate(position):
                axis.annotate(str(node), (u, v), fontsize=6, ha="center", va="center", zorder=4)
        detail = f", {int(wrong.sum())} wrong (×)" if labels is not truth else ""
        ringed = ", training nodes ringed" if graph.train_mask is not None and labels is truth else ""
        axis.set_title(f"{name}{detail}{ringed}", fontsize=9)
        axis.set_xticks([])
        axis.set_yticks([])
        axis.autoscale()
    figure.suptitle(title or f"a graph of {graph.num_nodes} nodes, coloured by class")
    return _save(plt, figure, path)


def plot_node_embeddings(embeddings, labels, path=None, perplexity: float = 30.0, seed: int = 0,
                         title: str | None = None):  # fmt: skip
    """Each node's learned features (N, d) in 2-D, coloured by class: as they are when d = 2, else by
    t-SNE (``plots.tsne_2d``).

    Args:
        embeddings: the hidden layer's features of every node (``model.embed(graph)``), (N, d).
        labels: the class of each node (N,).
        path: where to write the picture; without it the figure is returned.
        perplexity, seed: t-SNE's.
        title: above the picture.

    Returns:
        The path written, or the matplotlib figure (its scatter is ``axes[0].collections[0]``).
    """
    features = np.asarray(embeddings.data if isinstance(embeddings, Tensor) else embeddings, dtype=np.float64)
    features = features.reshape(len(features), -1)
    classes = _labels(labels, len(features), "labels")
    points = features if features.shape[1] == 2 else tsne_2d(features, perplexity, seed)
    plt = _pyplot()
    figure, axis = plt.subplots(figsize=(5.5, 4.8))
    axis.scatter(
        points[:, 0], points[:, 1], c=class_colours(classes), s=float(np.clip(3000 / len(points), 3, 60))
    )
    for label in np.unique(classes):
        axis.scatter([], [], color=class_colours([label])[0], label=str(label))
    axis.legend(title="class", fontsize=7, markerscale=1.5)
    how = "the embedding" if features.shape[1] == 2 else f"t-SNE of the {features.shape[1]}-D embeddings"
    axis.set_title(title or f"{how} of {len(points)} nodes, coloured by class", fontsize=9)
    axis.set_xticks([])
    axis.set_yticks([])
    return _save(plt, figure, path)
