"""The graph benchmarks run (at tiny sizes; the timings are the lead's to take): each workload of
benchmarks/graph_gcn.py and its PyTorch Geometric twin, and their registration in the suite."""

from pathlib import Path

import numpy as np
import pytest

import glassnet as gn
from glassnet.data import stochastic_block_model

BENCHMARKS = Path(__file__).resolve().parents[1] / "benchmarks"


@pytest.fixture
def benchmarks(monkeypatch):
    monkeypatch.syspath_prepend(str(BENCHMARKS))
    import graph_gcn

    return graph_gcn


def small_graph():
    gn.manual_seed(0)
    graph = stochastic_block_model((10, 10), features=5)
    return graph.x.astype(np.float32), graph.edge_index, graph.y, graph.train_mask


@pytest.mark.parametrize("model", ["gcn", "gat"])
def test_epoch_runners_train(benchmarks, model):
    run = benchmarks.epoch_runner(small_graph(), model)
    run(2)
    assert benchmarks.timed(run, 1, repeats=1) > 0


def test_ops_runner_and_memory(benchmarks):
    x, edge_index, scores = benchmarks.random_graph(50, 400)
    assert x.shape == (50, benchmarks.FEATURES) and edge_index.shape == (2, 400) and edge_index.max() < 50
    run = benchmarks.ops_runner((x, edge_index, scores))
    assert 0 < benchmarks.numpy_peak_mb(run) < 50


def test_pyg_twins_run(benchmarks):
    pytest.importorskip(
        "torch_geometric", reason="the twin is PyTorch Geometric's: pip install torch-geometric"
    )
    import graph_gcn_torch

    for model in ("gcn", "gat"):
        graph_gcn_torch.epoch_runner(small_graph(), model)(1)
    graph_gcn_torch.ops_runner(benchmarks.random_graph(50, 400))(1)


def test_suite_registers_each_graph_workload(benchmarks):
    import suite

    for name in ("gcn_cora", "gat_cora", "graph_ops_100k", "graph_ops_300k", "graph_ops_1m"):
        assert suite.WORKLOADS[name].frameworks == ("glassnet", "pytorch")
