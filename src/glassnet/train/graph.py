"""Graphs through the one training loop: which batches ``fit``, ``evaluate`` and ``predict`` make of a
``Graph`` (or a list of graphs, or a ``GraphLoader``), and which outputs the loss reads.

A graph model is called on a whole ``Graph`` (``model(graph)``: its layers read ``graph.x`` and
``graph.edge_index``). For node classification the loss reads only the nodes of a mask (the GCN paper's
140 labelled nodes of Cora), while every node's features flow through the layers: the batch's graph
carries ``output_mask`` and ``model_outputs`` keeps those rows. Nothing else in the loop changes.
"""

from __future__ import annotations

import numpy as np

from glassnet.autograd.grad_mode import no_grad
from glassnet.backend import get_default_dtype
from glassnet.data.graph import Graph, GraphLoader, batch_graphs

__all__ = ["graph_loader", "model_outputs", "predict_graph", "is_graph_data"]


def is_graph_data(data) -> bool:
    """A ``Graph``, a ``GraphLoader``, or a non-empty list of graphs."""
    if isinstance(data, (Graph, GraphLoader)):
        return True
    return isinstance(data, (list, tuple)) and bool(data) and all(isinstance(g, Graph) for g in data)


def graph_loader(model, data, mask: str, batch_size=None, shuffle: bool = False) -> GraphLoader:
    """``data`` as a ``GraphLoader`` in the model's dtype, the model built on its first batch. A bare
    ``Graph`` is read through ``mask`` ("train_mask" for fit, "val_mask" for validation, "test_mask" for
    evaluate), or through all its nodes when it has no such mask."""
    if isinstance(data, GraphLoader):
        loader = data
    elif isinstance(data, Graph):
        loader = GraphLoader(data, mask=mask if getattr(data, mask) is not None else None)
    else:
        loader = GraphLoader(data, batch_size=batch_size, shuffle=shuffle)
    parameters = model.parameters()
    loader = loader.astype(parameters[0].dtype if parameters else get_default_dtype())
    if not parameters:  # layers that size their weights on the first call (GCNConv(16) on Cora's 1433)
        graph = next(_unlabelled(loader))[0]
        was_training = model.training
        model.eval()
        with no_grad():
            model(graph)
        model.train(was_training)
    return loader


def model_outputs(model, x):
    """The model's outputs for the batch ``x``, only the masked nodes' rows for a graph with an
    ``output_mask`` (node classification)."""
    output = model(x)
    mask = getattr(x, "output_mask", None) if isinstance(x, Graph) else None
    return output if mask is None else output[mask]


def predict_graph(model, data) -> np.ndarray:
    """The outputs for every node of a graph (N, ...), or for a list of graphs their outputs in order,
    in evaluation mode without a graph of ops."""
    loader = graph_loader(model, data, "test_mask")
    if loader.single:
        loader = GraphLoader(loader.graphs)  # every node, not one mask's
    was_training = model.training
    model.eval()
    try:
        with no_grad():
            outputs = [model(graph).data for graph, _ in _unlabelled(loader)]
    finally:
        model.train(was_training)
    return np.concatenate(outputs)


def _unlabelled(loader: GraphLoader):
    """(graph, None) batches in order, whether or not the graphs carry labels."""
    if loader.single:
        yield loader.graphs, None
        return
    step = loader.batch_size or len(loader.graphs)
    for start in range(0, len(loader.graphs), step):
        yield batch_graphs(loader.graphs[start : start + step]), None
