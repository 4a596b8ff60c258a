"""Run files for graphs: a graph source (Planetoid, karate club, stochastic block model) and a ready graph
network (models.GCN, GAT, GraphSAGE) trained full-batch by `glassnet train`, the masks doing the split."""

import re
from pathlib import Path

import numpy as np
import pytest

import glassnet as gn
from glassnet import models, nn
from glassnet.cli.main import main
from glassnet.data import Graph, stochastic_block_model
from glassnet.io import load_model
from glassnet.io.config import load_config, parse_config

EXAMPLE_RUN = Path(__file__).resolve().parents[2] / "examples" / "runs" / "cora_gcn.toml"
SHARED_DATA = Path(__file__).resolve().parents[3] / "shared" / "data"

BLOCKS_RUN = """
name = "blocks"
seed = 0
[data]
source = "stochastic_block_model"
sizes = [30, 30, 30]
p_in = 0.25
p_out = 0.02
features = 6
noise = 2.0
[model]
architecture = "{architecture}"
{model}
[compile]
optimizer = {{ type = "Adam", lr = 0.05, convention = "pytorch" }}
loss = {{ type = "SparseCategoricalCrossEntropy", from_logits = true }}
metrics = ["accuracy"]
[fit]
epochs = 60
verbose = 0
{fit}
"""


def blocks(architecture="GCN", model="dropout = 0.0", fit="") -> str:
    return BLOCKS_RUN.format(architecture=architecture, model=model, fit=fit)


def test_models_gcn_is_the_papers_two_layers():
    model = models.GCN(num_classes=7, num_features=1433)
    assert [p.shape for p in model.parameters()] == [(1433, 16), (16,), (16, 7), (7,)]
    assert model.drop_input.rate == model.drop_hidden.rate == 0.5
    assert model.conv1.weight_regularizer.l2 == pytest.approx(5e-4 / 2)  # 5e-4 · ½‖W₁‖², W₁ alone
    assert model.conv2.weight_regularizer is None
    gat = models.GAT(num_classes=7, num_features=1433)
    assert gat.conv1.heads == 8 and gat.conv1.units == 8 and gat.conv1.dropout == 0.6
    assert gat.conv2.heads == 1 and not gat.conv2.concat
    assert gat.count_params() == 1433 * 64 + 2 * 64 + 64 + 64 * 7 + 2 * 7 + 7  # the GAT paper's 92,373
    with pytest.raises(ValueError, match="GCN: hidden must be a positive integer, got 0"):
        models.GCN(3, hidden=0)


def test_models_take_a_graph_or_its_arrays_and_embed():
    gn.manual_seed(0)
    graph = stochastic_block_model((5, 5), features=3)
    for model in (models.GCN(2), models.GAT(2, hidden=2, heads=2), models.GraphSAGE(2)):
        model.eval()
        logits = model(graph).data
        np.testing.assert_array_equal(model(graph.x, graph.edge_index).data, logits)
        assert logits.shape == (10, 2) and model.embed(graph).shape[0] == 10
    with pytest.raises(TypeError, match="on a Graph or on \\(x, edge_index\\)"):
        models.GCN(2)(np.ones((3, 2)))


@pytest.mark.parametrize(
    "architecture, model",
    [
        ("GCN", "dropout = 0.0"),
        ("GAT", "hidden = 4\nheads = 2\ndropout = 0.0"),
        ("GraphSAGE", "dropout = 0.0"),
    ],
)
def test_glassnet_train_learns_the_communities(tmp_path, capsys, architecture, model):
    run = tmp_path / "blocks.toml"
    run.write_text(blocks(architecture, model))
    assert main(["train", str(run), "--output", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    assert "a graph of 90 nodes" in out and "15 training nodes, 30 validation nodes, 45 test nodes" in out
    accuracy = float(out.split("test: ")[1].split("accuracy ")[1].split()[0])
    assert accuracy > 0.85  # 3 communities from 5 labels each
    saved = load_model(tmp_path / "blocks.glassnet")
    config = load_config(run)
    (graph, _), _ = config.load_data()
    assert isinstance(saved, getattr(models, architecture))
    assert saved.evaluate(graph, return_dict=True)["accuracy"] == pytest.approx(accuracy, abs=1e-4)


def test_early_stopping_and_validation_come_from_the_masks(tmp_path, capsys):
    config = parse_config(blocks(fit="early_stopping = { patience = 2, restore_best_weights = true }"))
    (graph, label), test = config.load_data()
    assert isinstance(graph, Graph) and label is None and test[0] is graph
    arguments = config.fit_arguments()
    assert arguments["callbacks"][0].patience == 2 and arguments["callbacks"][0].monitor == "val_loss"
    run = tmp_path / "blocks.toml"
    run.write_text(blocks(fit="early_stopping = { patience = 2, restore_best_weights = true }"))
    assert main(["train", str(run), "--output", str(tmp_path), "--epochs", "500"]) == 0
    assert "done in" in capsys.readouterr().out  # stopped by the validation loss, long before 500


@pytest.mark.parametrize(
    "text, message",
    [
        (
            blocks().replace('architecture = "GCN"', 'layers = [{ type = "Dense", units = 3 }]'),
            'a graph source \\(stochastic_block_model\\) needs a graph network: architecture = "GCN"',
        ),
        (
            blocks()
            .replace("stochastic_block_model", "sklearn")
            .replace("sizes = [30, 30, 30]", 'name = "iris"')
            .replace("p_in = 0.25\np_out = 0.02\nfeatures = 6\nnoise = 2.0", ""),
            "architecture GCN is a graph network: it needs a graph source",
        ),
        (
            blocks(fit="validation_split = 0.2"),
            "validated on its own validation mask; remove validation_split",
        ),
        (
            blocks().replace("noise = 2.0", "noise = 2.0\nlayers = 3"),
            "unknown \\[data\\] keys \\['layers'\\] for a stochastic_block_model source",
        ),
        (blocks(fit="early_stopping = { patience = -1 }"), "patience"),
    ],
)
def test_bad_graph_runs_are_named(tmp_path, capsys, text, message):
    run = tmp_path / "bad.toml"
    run.write_text(text)
    assert main(["train", str(run), "--output", str(tmp_path), "--epochs", "1"]) != 0
    error = capsys.readouterr().err
    assert re.search(message, error) and str(run) in error and len(error.strip().splitlines()) == 1


def test_the_example_cora_run_trains(tmp_path, capsys, monkeypatch):
    if not (SHARED_DATA / "planetoid" / "ind.cora.x").is_file():
        pytest.skip(
            f"the Planetoid files are not at {SHARED_DATA / 'planetoid'} (../shared/data beside the checkout)"
        )
    monkeypatch.setenv("GLASSNET_DATA", str(SHARED_DATA))
    assert main(["train", str(EXAMPLE_RUN), "--output", str(tmp_path), "--epochs", "3"]) == 0
    out = capsys.readouterr().out
    assert (
        "a graph of 2708 nodes, 10556 edges, 1433 features; 140 training nodes, 500 validation nodes, "
        "1000 test nodes" in out
    )
    assert "conv1 (GCNConv)         22,944" in out
    accuracy = float(out.split("test: ")[1].split("accuracy ")[1].split()[0])
    assert 0.3 < accuracy <= 1.0  # three epochs: well above the 1/7 of chance, far from the paper's 81.5 %
    model = load_model(tmp_path / "cora-gcn.glassnet")
    assert isinstance(model, nn.Module) and model.conv1.weight.shape == (1433, 16)


def test_summary_of_a_graph_run(tmp_path, capsys):
    run = tmp_path / "blocks.toml"
    run.write_text(blocks())
    assert main(["summary", str(run)]) == 0
    assert "conv1 (GCNConv)" in capsys.readouterr().out


def test_tune_refuses_a_graph_source_by_name(tmp_path, capsys):
    run = tmp_path / "blocks.toml"
    search = '\n[search]\nn_trials = 2\n[search.space]\n"compile.optimizer.lr" = [0.01, 0.1]\n'
    run.write_text(blocks() + search)
    assert main(["tune", str(run), "--output", str(tmp_path / "search")]) != 0
    assert "a graph source (stochastic_block_model) is not supported" in capsys.readouterr().err
