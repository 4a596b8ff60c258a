"""The computation graph as data, DOT and Mermaid text, and pictures through Graphviz's dot."""

import re
import shutil

import numpy as np
import pytest

import glassnet as gn
from glassnet.explain import graph as graph_module
from glassnet.explain import record
from glassnet.explain.graph import computation_graph, render_graph, to_dot, to_mermaid


def sigmoid(z):
    return 1 / (1 + np.exp(-z))


@pytest.fixture
def neuron():
    """y = σ(x·w + b) with x = (2, 3), w = (0.5, -1), b = 0.25: z = -1.75."""
    x = gn.tensor([[2.0, 3.0]], dtype="float64")
    w = gn.tensor([[0.5], [-1.0]], dtype="float64", requires_grad=True)
    b = gn.tensor([0.25], dtype="float64", requires_grad=True)
    with record() as trace:
        y = (x @ w + b).sigmoid()
        y.backward()
    return x, w, b, y, trace


def test_the_graph_of_a_neuron_has_six_nodes_and_five_edges(neuron):
    x, w, b, y, trace = neuron
    graph = computation_graph(y, trace, names={"x": x, "w": w, "b": b})
    assert [(n.id, n.label, n.is_leaf) for n in graph.nodes] == [
        ("n0", "x", True),
        ("n1", "w", True),
        ("n2", "matmul", False),
        ("n3", "b", True),
        ("n4", "add", False),
        ("n5", "sigmoid", False),
    ]
    assert graph.edges == [("n0", "n2"), ("n1", "n2"), ("n2", "n4"), ("n3", "n4"), ("n4", "n5")]
    assert graph.root.tensor is y


def test_each_node_carries_its_value_and_gradient(neuron):
    x, w, b, y, trace = neuron
    graph = computation_graph(y, trace, names={"x": x, "w": w, "b": b})
    z = -1.75
    slope = sigmoid(z) * (1 - sigmoid(z))
    np.testing.assert_allclose(graph.node("add").value, [[z]])
    np.testing.assert_allclose(graph.node("sigmoid").value, [[sigmoid(z)]], rtol=1e-15)
    np.testing.assert_allclose(graph.node("sigmoid").grad, [[1.0]])
    np.testing.assert_allclose(graph.node("add").grad, [[slope]], rtol=1e-15)  # from the trace
    np.testing.assert_allclose(graph.node("matmul").grad, [[slope]], rtol=1e-15)
    np.testing.assert_allclose(graph.node("w").grad, [[2 * slope], [3 * slope]], rtol=1e-15)  # from .grad
    np.testing.assert_allclose(graph.node("b").grad, [slope], rtol=1e-15)
    assert graph.node("x").grad is None  # x needs no gradient


def test_without_a_trace_only_leaves_and_retained_tensors_show_a_gradient(float64):
    x = gn.tensor([1.5], requires_grad=True)
    z = (x * 2.0).retain_grad()
    y = (z * z).sum()
    y.backward()
    graph = computation_graph(y, names={"x": x, "z": z})
    grads = {node.label: node.grad for node in graph.nodes}
    assert grads["x"].tolist() == [12.0] and grads["z"].tolist() == [6.0]  # dy/dz = 2z, dy/dx = 4z
    assert grads["sum"] is None and grads["mul"] is None
    assert [node.label for node in graph.nodes] == ["x", "constant", "z", "mul", "sum"]
    assert graph.node("constant").value.tolist() == 2.0 and graph.node("constant").is_leaf


def test_dot_text_of_the_neuron(neuron):
    x, w, b, y, trace = neuron
    assert to_dot(y, trace, names={"x": x, "w": w, "b": b}, precision=4).splitlines() == [
        "digraph computation {",
        "  rankdir=LR;",
        '  node [fontname="Helvetica", fontsize=10];',
        r'  n0 [shape=ellipse, label="x\nshape (1, 2)\nvalue [2, 3]"];',
        r'  n1 [shape=ellipse, label="w\nshape (2, 1)\nvalue [0.5; -1]\ngrad [0.2523; 0.3784]"];',
        r'  n2 [shape=box, label="matmul\nshape (1, 1)\nvalue [-2]\ngrad [0.1261]"];',
        r'  n3 [shape=ellipse, label="b\nshape (1,)\nvalue [0.25]\ngrad [0.1261]"];',
        r'  n4 [shape=box, label="add\nshape (1, 1)\nvalue [-1.75]\ngrad [0.1261]"];',
        r'  n5 [shape=box, peripheries=2, label="sigmoid\nshape (1, 1)\nvalue [0.1480]\ngrad [1]"];',
        "  n0 -> n2;",
        "  n1 -> n2;",
        "  n2 -> n4;",
        "  n3 -> n4;",
        "  n4 -> n5;",
        "}",
    ]


def test_mermaid_text_is_a_flowchart_of_nodes_then_edges(neuron):
    x, w, b, y, trace = neuron
    lines = to_mermaid(y, trace, names={"x": x, "w": w, "b": b}, precision=3).splitlines()
    assert lines[0] == "flowchart LR"
    nodes, edges = lines[1:7], lines[7:]
    assert all(re.fullmatch(r'  n\d+(\(\["[^"]*"\]\)|\["[^"]*"\])', line) for line in nodes)
    assert edges == ["  n0 --> n2", "  n1 --> n2", "  n2 --> n4", "  n3 --> n4", "  n4 --> n5"]
    assert nodes[0] == '  n0(["x<br/>shape (1, 2)<br/>value [2, 3]"])'  # a leaf: stadium shape
    assert nodes[5] == '  n5["sigmoid<br/>shape (1, 1)<br/>value [0.148]<br/>grad [1]"]'


def test_quotes_in_names_are_escaped():
    x = gn.tensor([1.0], requires_grad=True)
    y = x.relu()
    assert r'label="the \"input\"\n' in to_dot(y, names={'the "input"': x})
    assert '(["the #quot;input#quot;<br/>' in to_mermaid(y, names={'the "input"': x})


def test_parameters_are_labelled_with_their_names_and_large_arrays_summarised():
    layer = gn.nn.Dense(8)
    loss = layer(gn.ones(1, 4)).sum()
    dot = to_dot(loss)
    assert f'label="{layer.weight.name}\\nshape (4, 8)\\nvalue (32 values, mean ' in dot
    assert 'label="input\\nshape (1, 4)\\nvalue [1, 1, 1, 1]"' in dot


def test_a_deep_chain_is_walked_without_recursion():
    x = gn.tensor([1.0], requires_grad=True)
    y = x
    for _ in range(3000):
        y = y * 1.0
    graph = computation_graph(y)
    assert len(graph.nodes) == 1 + 2 * 3000  # x, and per op its output and its constant 1.0
    assert len(graph.edges) == 2 * 3000


def test_a_leaf_alone_is_one_node():
    x = gn.tensor([3.0])
    assert to_mermaid(x) == 'flowchart LR\n  n0(["input<br/>shape (1,)<br/>value [3]"])'


def test_render_graph_says_how_to_get_graphviz_when_dot_is_missing(monkeypatch, tmp_path):
    monkeypatch.setattr(graph_module.shutil, "which", lambda name: None)
    with pytest.raises(RuntimeError, match="Graphviz's `dot` program.*apt-get install graphviz"):
        render_graph(gn.tensor([1.0]), tmp_path / "graph.png")
    with pytest.raises(ValueError, match="suffix"):
        render_graph(gn.tensor([1.0]), tmp_path / "graph")


@pytest.mark.skipif(shutil.which("dot") is None, reason="Graphviz's dot program is not installed")
def test_render_graph_writes_png_and_svg(neuron, tmp_path):
    x, w, b, y, trace = neuron
    png = render_graph(y, tmp_path / "neuron.png", trace, names={"x": x, "w": w, "b": b})
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and png.stat().st_size > 2000
    svg = render_graph(y, tmp_path / "neuron.svg", trace, names={"x": x, "w": w, "b": b})
    text = svg.read_text()
    assert "<svg" in text and "sigmoid" in text and "0.1480" in text
    assert text.count('class="node"') == 6 and text.count('class="edge"') == 5
