"""Every row of the layer and loss table (tests/nn/layer_table.py): output shape against
``compute_output_shape`` and ``summary()``, the ``get_config`` round trip, the save/load round trip, gradcheck
through the layer in float64, PyTorch 2.13 parity (float64, 1e-10) where a counterpart exists; and a row for
every public layer and loss."""

import json

import numpy as np
import pytest
from layer_table import BATCH, LAYERS, LOSSES, NOT_LAYERS

import glassnet as gn
from glassnet import nn
from glassnet.nn.losses import Loss
from glassnet.nn.module import Module

RTOL, ATOL = 1e-10, 1e-12
# Where public layers and losses are exported: glassnet.nn, and the families it re-exports from.
PUBLIC_MODULES = (nn, nn.activations, nn.layers, nn.losses)
PARITY_LAYERS = [row for row in LAYERS if row.torch is not None]


def row_id(row):
    return row.name


def built(row):
    """A fresh layer of the row, built by a first call on the row's input; and that input."""
    layer, x = row.make(), row.draw()
    run(row, layer, gn.tensor(x))
    return layer, x


def run(row, layer, x):
    if row.seeded:
        gn.manual_seed(0)
    return layer(x)


def test_every_public_layer_and_loss_has_a_row():
    public = {
        getattr(module, name).__name__  # aliases (GlobalAveragePooling2D) are their class's row
        for module in PUBLIC_MODULES
        for name in module.__all__
        if isinstance(getattr(module, name), type) and issubclass(getattr(module, name), (Module, Loss))
    }
    covered = {type(row.make()).__name__ for row in LAYERS + LOSSES}
    missing = public - covered - set(NOT_LAYERS)
    assert not missing, f"public layers or losses with no row in tests/nn/layer_table.py: {sorted(missing)}"
    assert not set(NOT_LAYERS) - public, "NOT_LAYERS names a class glassnet.nn no longer exports"
    names = [row.name for row in LAYERS + LOSSES]
    assert len(set(names)) == len(names), "row names must be unique"


def test_every_row_without_pytorch_says_why():
    assert [row.name for row in LAYERS if row.torch is None and not row.no_torch] == []


# --- layers -------------------------------------------------------------------------------------------------
@pytest.mark.parametrize("row", LAYERS, ids=row_id)
def test_output_shape_is_the_computed_and_the_summarized_one(float64, row):
    layer, x = built(row)
    out = run(row, layer, gn.tensor(x))
    expected = layer.compute_output_shape((None,) + row.shape)
    assert expected[0] is None and out.shape == (BATCH,) + tuple(expected[1:]), row.name
    model = nn.Sequential([row.make()], input_shape=row.shape)
    assert model.summary_rows()[0][2] == expected
    assert model.summary_rows()[0][3] == layer.count_params()


@pytest.mark.parametrize("row", LAYERS, ids=row_id)
def test_get_config_round_trip(float64, row):
    layer, x = built(row)
    config = layer.get_config()
    clone = type(layer).from_config(json.loads(json.dumps(config)))
    assert clone.get_config() == config
    clone(gn.tensor(x))
    clone.load_state_dict(layer.state_dict())
    layer.eval(), clone.eval()
    np.testing.assert_array_equal(clone(gn.tensor(x)).data, layer(gn.tensor(x)).data)


@pytest.mark.parametrize("row", LAYERS, ids=row_id)
def test_save_and_load_predict_identically(float64, row, tmp_path):
    model = nn.Sequential([row.make()], input_shape=row.shape)
    x = row.draw(1)
    for parameter in model.parameters():  # away from the initial values (zeros, ones)
        parameter.data[...] = np.random.default_rng(2).uniform(0.5, 1.5, parameter.shape)
    loaded = nn.load_model(model.save(tmp_path / "model.glassnet"))
    assert type(loaded[0]) is type(model[0]) and loaded[0].get_config() == model[0].get_config()
    predictions = model.predict(x)
    assert np.abs(predictions).max() > 0
    np.testing.assert_array_equal(loaded.predict(x), predictions)


@pytest.mark.parametrize("row", LAYERS, ids=row_id)
def test_gradients_through_the_layer_match_finite_differences(float64, row):
    layer, x = built(row)
    layer.train(row.training)
    parameters = [p for p in layer.parameters() if p.requires_grad]
    if row.labels:
        inputs, call = parameters, lambda *_: run(row, layer, gn.tensor(x))
    else:
        inputs, call = [gn.tensor(x, requires_grad=True), *parameters], lambda x, *_: run(row, layer, x)
    assert inputs, f"{row.name}: nothing to differentiate"
    assert gn.gradcheck(call, inputs) is True


@pytest.mark.parametrize("row", PARITY_LAYERS, ids=row_id)
def test_layer_matches_pytorch(float64, row):
    torch = pytest.importorskip(
        "torch", reason="PyTorch 2.13 is needed for parity: pip install torch==2.13.0"
    )
    layer, x = built(row)
    module, pairs = row.torch(layer)
    layer.train(row.training)
    module.train(row.training)
    ours = gn.tensor(x, requires_grad=not row.labels)
    theirs = torch.from_numpy(x.copy()).requires_grad_(not row.labels)
    out, expected = run(row, layer, ours), module(theirs)
    np.testing.assert_allclose(out.data, expected.detach().numpy(), rtol=RTOL, atol=ATOL, err_msg=row.name)
    weights = np.random.default_rng(5).standard_normal(out.shape)
    out.backward(weights)
    expected.backward(torch.from_numpy(weights))
    if not row.labels:
        np.testing.assert_allclose(ours.grad, theirs.grad.numpy(), rtol=RTOL, atol=ATOL, err_msg="dL/dx")
    for parameter, torch_parameter, transpose in pairs:
        expected_grad = torch_parameter.grad.numpy()
        np.testing.assert_allclose(
            parameter.grad,
            expected_grad.T if transpose else expected_grad,
            rtol=RTOL,
            atol=ATOL,
            err_msg=f"{row.name}: {parameter.name}",
        )


# --- losses -------------------------------------------------------------------------------------------------
@pytest.mark.parametrize("row", LOSSES, ids=row_id)
def test_loss_value_shape_and_config_round_trip(float64, row):
    loss = row.make()
    prediction, target = row.draw()
    value = loss(gn.tensor(prediction), target)
    assert value.shape == (() if loss.reduction != "none" else prediction.shape[:1])
    config = loss.get_config()
    clone = type(loss)(**json.loads(json.dumps(config)))
    assert clone.get_config() == config
    assert clone(gn.tensor(prediction), target).item() == value.item()


@pytest.mark.parametrize("row", LOSSES, ids=row_id)
def test_loss_survives_save_and_load(float64, row, tmp_path):
    prediction, target = row.draw()
    # PReLU with slope 1 is the identity, with a parameter for the optimizer
    model = nn.Sequential([nn.PReLU(init=1.0)], input_shape=prediction.shape[1:])
    model.compile(optimizer=gn.optim.SGD(lr=0.1), loss=row.make())
    loaded = nn.load_model(model.save(tmp_path / "model.glassnet"))
    assert type(loaded.loss) is type(model.loss) and loaded.loss.get_config() == model.loss.get_config()
    assert loaded.evaluate(prediction, target) == model.evaluate(prediction, target)


@pytest.mark.parametrize("row", LOSSES, ids=row_id)
def test_loss_gradient_matches_finite_differences(float64, row):
    loss = row.make()
    prediction, target = row.draw()
    assert gn.gradcheck(lambda p: loss(p, target), [gn.tensor(prediction, requires_grad=True)]) is True


@pytest.mark.parametrize("row", [row for row in LOSSES if row.torch is not None], ids=row_id)
def test_loss_matches_pytorch(float64, row):
    torch = pytest.importorskip(
        "torch", reason="PyTorch 2.13 is needed for parity: pip install torch==2.13.0"
    )
    loss = row.make()
    prediction, target = row.draw()
    ours, theirs = gn.tensor(prediction, requires_grad=True), torch.tensor(prediction, requires_grad=True)
    value, expected = loss(ours, target), row.torch(theirs, torch.from_numpy(target))
    np.testing.assert_allclose(value.data, expected.detach().numpy(), rtol=RTOL, atol=ATOL)
    value.backward()
    expected.backward()
    np.testing.assert_allclose(ours.grad, theirs.grad.numpy(), rtol=RTOL, atol=ATOL)
