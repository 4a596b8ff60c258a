"""The graph layers (nn/layers/graph.py): finite differences, and PyTorch Geometric 2.8 in float64 with the
weights copied (outputs, the gradient of x and of every parameter, to 1e-10 relative).

The test graph has 7 nodes and 16 random directed edges, one self-loop, one repeated edge, and node 6
receives no edge (so that self-loops, degree 0 and empty neighbourhoods all matter).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pytest

import glassnet as gn
from glassnet import nn

NODES, FEATURES = 7, 5
RTOL, ATOL = 1e-10, 1e-12


def small_graph(seed: int = 0):
    rng = np.random.default_rng(seed)
    sources = rng.integers(0, NODES, 14)
    targets = rng.integers(0, NODES - 1, 14)  # node 6 receives nothing
    edge_index = np.stack([np.r_[sources, 2, sources[0]], np.r_[targets, 2, targets[0]]]).astype(np.int64)
    return rng.standard_normal((NODES, FEATURES)), edge_index, rng.uniform(0.5, 2.0, edge_index.shape[1])


@dataclass(frozen=True)
class Case:
    """A glassnet layer, its PyTorch Geometric twin, and how their parameters correspond."""

    name: str
    make: object  # () -> glassnet layer
    make_torch: object  # (torch_geometric.nn) -> module
    params: tuple  # (ours, theirs, how): how is "T" (transposed) or a shape to reshape ours to, or None
    weighted: bool = False

    def torch_module(self, layer):
        import torch
        import torch_geometric.nn as pyg

        module = self.make_torch(pyg).double()
        named = dict(module.named_parameters())
        assert set(named) == {theirs for _, theirs, _ in self.params}, f"{self.name}: {sorted(named)}"
        # The weights go over through glassnet's layout table (glassnet.io.layouts), strictly; ``params``
        # says how the gradients correspond.
        state = {name: torch.from_numpy(value) for name, value in layer.to_torch_state_dict().items()}
        module.load_state_dict(state, strict=True)
        return module, named


GCN_PARAMS = (("weight", "lin.weight", "T"), ("bias", "bias", None))
SAGE_PARAMS = (("neighbor_weight", "lin_l.weight", "T"), ("bias", "lin_l.bias", None),
               ("self_weight", "lin_r.weight", "T"))


def gat_params(heads, units):
    return (("weight", "lin.weight", "T"), ("attention_source", "att_src", (1, heads, units)),
            ("attention_target", "att_dst", (1, heads, units)), ("bias", "bias", None))


CASES = [
    Case("gcn", lambda: nn.GCNConv(3), lambda g: g.GCNConv(FEATURES, 3), GCN_PARAMS),
    Case("gcn_edge_weights", lambda: nn.GCNConv(3), lambda g: g.GCNConv(FEATURES, 3), GCN_PARAMS, True),
    Case("gcn_no_self_loops", lambda: nn.GCNConv(3, add_self_loops=False),
         lambda g: g.GCNConv(FEATURES, 3, add_self_loops=False), GCN_PARAMS, True),
    Case("gcn_no_normalization", lambda: nn.GCNConv(3, normalize=False),
         lambda g: g.GCNConv(FEATURES, 3, normalize=False), GCN_PARAMS, True),
    Case("gcn_no_normalization_unweighted", lambda: nn.GCNConv(3, normalize=False, use_bias=False),
         lambda g: g.GCNConv(FEATURES, 3, normalize=False, bias=False), GCN_PARAMS[:1]),
    Case("sage_mean", lambda: nn.SAGEConv(4), lambda g: g.SAGEConv(FEATURES, 4), SAGE_PARAMS),
    Case("sage_max", lambda: nn.SAGEConv(4, aggregator="max"), lambda g: g.SAGEConv(FEATURES, 4, aggr="max"),
         SAGE_PARAMS),
    Case("sage_sum_no_root", lambda: nn.SAGEConv(4, aggregator="sum", root_weight=False),
         lambda g: g.SAGEConv(FEATURES, 4, aggr="sum", root_weight=False), SAGE_PARAMS[:2]),
    Case("gat_one_head", lambda: nn.GATConv(3), lambda g: g.GATConv(FEATURES, 3), gat_params(1, 3)),
    Case("gat_heads_concat", lambda: nn.GATConv(3, heads=4),
         lambda g: g.GATConv(FEATURES, 3, heads=4), gat_params(4, 3)),
    Case("gat_heads_mean", lambda: nn.GATConv(2, heads=3, concat=False),
         lambda g: g.GATConv(FEATURES, 2, heads=3, concat=False), gat_params(3, 2)),
    Case("gat_no_self_loops", lambda: nn.GATConv(2, heads=2, add_self_loops=False),
         lambda g: g.GATConv(FEATURES, 2, heads=2, add_self_loops=False), gat_params(2, 2)),
]


def built_layer(case: Case, seed: int):
    gn.manual_seed(seed)
    layer = case.make()
    layer.build((None, FEATURES))
    for parameter in layer.parameters():  # not zeros: the bias's place shows
        parameter.data[...] = np.random.default_rng(seed + 7).standard_normal(parameter.shape)
    return layer


def call(layer_or_module, case, x, edge_index, weights):
    return layer_or_module(x, edge_index, weights) if case.weighted else layer_or_module(x, edge_index)


@pytest.fixture(autouse=True)
def _float64():
    previous = gn.get_default_dtype()
    gn.set_default_dtype("float64")
    yield
    gn.set_default_dtype(previous)


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.name)
def test_gradients_match_finite_differences(case):
    layer = built_layer(case, 0)
    x_array, edge_index, weights = small_graph(1)
    x = gn.Tensor(x_array, requires_grad=True)
    assert gn.gradcheck(lambda x, *_: call(layer, case, x, edge_index, weights), [x, *layer.parameters()])


@pytest.mark.parametrize("seed", [0, 1, 2])
@pytest.mark.parametrize("case", CASES, ids=lambda c: c.name)
def test_matches_pytorch_geometric(case, seed):
    torch = pytest.importorskip("torch")
    pytest.importorskip("torch_geometric", reason="PyTorch Geometric is needed: pip install torch-geometric")
    layer = built_layer(case, seed)
    module, named = case.torch_module(layer)
    x_array, edge_index, weights = small_graph(seed)
    x = gn.Tensor(x_array, requires_grad=True)
    x_torch = torch.tensor(x_array, requires_grad=True)
    ours = call(layer, case, x, edge_index, weights)
    theirs = call(module, case, x_torch, torch.from_numpy(edge_index), torch.from_numpy(weights))
    np.testing.assert_allclose(ours.data, theirs.detach().numpy(), rtol=RTOL, atol=ATOL, err_msg="output")

    upstream = np.random.default_rng(100 + seed).standard_normal(ours.shape)
    ours.backward(upstream)
    theirs.backward(torch.from_numpy(upstream))
    np.testing.assert_allclose(x.grad, x_torch.grad.numpy(), rtol=RTOL, atol=ATOL, err_msg="dL/dx")
    for mine, their_name, how in case.params:
        expected = named[their_name].grad.numpy()
        expected = expected.T if how == "T" else expected.reshape(getattr(layer, mine).shape)
        np.testing.assert_allclose(getattr(layer, mine).grad, expected, rtol=RTOL, atol=ATOL,
                                   err_msg=f"dL/d{mine}")


@dataclass(frozen=True)
class PoolCase:
    layer: type
    torch_name: str
    extra: dict = field(default_factory=dict)


POOLS = [PoolCase(nn.GlobalSumPool, "global_add_pool"), PoolCase(nn.GlobalMeanPool, "global_mean_pool"),
         PoolCase(nn.GlobalMaxPool, "global_max_pool")]
BATCH = np.array([0, 0, 0, 1, 1, 2, 2, 2, 2], dtype=np.int64)


@pytest.mark.parametrize("pool", POOLS, ids=lambda p: p.torch_name)
def test_global_pooling_matches_pytorch_geometric_and_finite_differences(pool):
    torch = pytest.importorskip("torch")
    pyg = pytest.importorskip("torch_geometric.nn", reason="PyTorch Geometric is needed")
    x_array = np.random.default_rng(3).permutation(27).reshape(9, 3) * 0.1  # distinct: no ties for max
    x = gn.Tensor(x_array, requires_grad=True)
    ours = pool.layer()(x, BATCH)
    x_torch = torch.tensor(x_array, requires_grad=True)
    theirs = getattr(pyg, pool.torch_name)(x_torch, torch.from_numpy(BATCH))
    np.testing.assert_allclose(ours.data, theirs.detach().numpy(), rtol=RTOL, atol=ATOL)
    upstream = np.random.default_rng(4).standard_normal(ours.shape)
    ours.backward(upstream)
    theirs.backward(torch.from_numpy(upstream))
    np.testing.assert_allclose(x.grad, x_torch.grad.numpy(), rtol=RTOL, atol=ATOL)
    assert gn.gradcheck(lambda t: pool.layer()(t, BATCH), [gn.Tensor(x_array, requires_grad=True)])


def test_pooling_without_batch_reads_one_graph():
    x = gn.Tensor(np.array([[1.0, 4.0], [3.0, 2.0]]))
    np.testing.assert_array_equal(nn.GlobalMeanPool()(x).data, [[2.0, 3.0]])
    np.testing.assert_array_equal(nn.GlobalMaxPool()(x).data, [[3.0, 4.0]])


def test_gcn_layer_equals_the_dense_normalized_adjacency_product():
    """X' = D̃^{-1/2} (A + I) D̃^{-1/2} X W + b with the matrices written out (a 4-node path 0-1-2-3)."""
    edge_index = np.array([[0, 1, 1, 2, 2, 3], [1, 0, 2, 1, 3, 2]])
    a_tilde = np.array([[1, 1, 0, 0], [1, 1, 1, 0], [0, 1, 1, 1], [0, 0, 1, 1]], dtype=float)
    d = np.diag(1 / np.sqrt(a_tilde.sum(axis=1)))
    layer = built_layer(CASES[0], 0)
    x = np.arange(4 * FEATURES, dtype=float).reshape(4, FEATURES) / 10
    expected = d @ a_tilde @ d @ x @ layer.weight.data + layer.bias.data
    np.testing.assert_allclose(layer(gn.Tensor(x), edge_index).data, expected, rtol=1e-13)


@pytest.mark.parametrize("edge_index, message", [
    (np.array([[0, 1, 2]]), r"expects edge_index of shape \(2, E\)"),
    (np.array([[0, 9], [1, 0]]), "node numbers from 0 to 9, but x has 7 nodes"),
])
def test_a_layer_refuses_bad_edges_in_one_line(edge_index, message):
    with pytest.raises(ValueError, match=message):
        nn.GCNConv(2)(gn.Tensor(np.ones((NODES, 3))), edge_index)


def test_attention_dropout_acts_in_training_only_and_repeats_with_the_seed():
    x_array, edge_index, _ = small_graph(0)
    layer = built_layer(Case("gat", lambda: nn.GATConv(3, heads=2, dropout=0.5), None, ()), 0)
    plain = built_layer(Case("gat", lambda: nn.GATConv(3, heads=2), None, ()), 0)
    x = gn.Tensor(x_array)
    layer.eval()
    np.testing.assert_array_equal(layer(x, edge_index).data, plain(x, edge_index).data)
    layer.train()
    gn.manual_seed(5)
    first = layer(x, edge_index).data
    gn.manual_seed(5)
    np.testing.assert_array_equal(layer(x, edge_index).data, first)
    assert not np.allclose(first, plain(x, edge_index).data)
