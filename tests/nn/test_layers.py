"""Dense, Sequential, Dropout, freezing and state: values, gradients and errors."""

import numpy as np
import pytest

import glassnet as gn
from glassnet import nn, optim


def test_dense_gradcheck_with_and_without_bias(float64):
    for use_bias in (True, False):
        layer = nn.Dense(3, activation="tanh", use_bias=use_bias)
        x = gn.randn(5, 4, requires_grad=True)
        layer(x)
        params = [layer.weight] + ([layer.bias] if use_bias else [])
        assert gn.gradcheck(lambda x, *_, layer=layer: layer(x), [x, *params])


def test_gradcheck_batch_size_one(float64):
    model = nn.Sequential([nn.Dense(3, activation="elu"), nn.BatchNorm(), nn.Dense(2)], input_shape=(4,))
    model.eval()
    x = gn.randn(1, 4, requires_grad=True)
    assert gn.gradcheck(lambda x, *_: model(x), [x, *model.parameters()])


def test_dense_matches_torch_linear(float64):
    torch = pytest.importorskip(
        "torch", reason="PyTorch 2.13 is needed for parity: pip install torch==2.13.0"
    )
    layer = nn.Dense(3, activation="relu")
    x = gn.randn(6, 4, requires_grad=True)
    out = layer(x)
    weight = torch.tensor(layer.weight.data.T.copy(), requires_grad=True)
    bias = torch.tensor(layer.bias.data.copy(), requires_grad=True)
    tx = torch.tensor(x.data, requires_grad=True)
    expected = torch.relu(tx @ weight.T + bias)
    np.testing.assert_allclose(out.data, expected.detach().numpy(), rtol=1e-12)
    seed = np.random.default_rng(1).standard_normal(out.shape)
    (out * gn.tensor(seed)).sum().backward()
    (expected * torch.tensor(seed)).sum().backward()
    np.testing.assert_allclose(layer.weight.grad, weight.grad.numpy().T, rtol=1e-10)
    np.testing.assert_allclose(layer.bias.grad, bias.grad.numpy(), rtol=1e-10)
    np.testing.assert_allclose(x.grad, tx.grad.numpy(), rtol=1e-10)


def test_dense_shape_error_names_layer_and_shapes():
    model = nn.Sequential([nn.Dense(128, name="dense_a"), nn.Dense(10, name="dense_b")], input_shape=(784,))
    with pytest.raises(
        ValueError, match=r"Dense 'dense_a' expects input with last dimension 784, got shape \(32, 100\)"
    ):
        model(gn.zeros(32, 100))


def test_dense_casts_float64_input_to_its_dtype():
    layer = nn.Dense(2)
    x = np.random.default_rng(0).standard_normal((3, 4))
    out = layer(x)  # a float64 NumPy array into a float32 layer, as Keras does
    assert out.dtype == np.float32 and layer.weight.dtype == np.float32
    np.testing.assert_array_equal(out.data, layer(x.astype(np.float32)).data)


def test_dense_rejects_bad_units():
    with pytest.raises(ValueError, match="units must be a positive integer"):
        nn.Dense(0)


def test_unknown_activation_lists_valid_names():
    with pytest.raises(ValueError, match=r"unknown activation 'relu6'; valid names: .*leaky_relu.*sigmoid"):
        nn.Dense(3, activation="relu6")


def test_sequential_builds_lazily_and_counts_parameters():
    model = nn.Sequential([nn.Dense(3, activation="sigmoid"), nn.Dense(1)])
    assert not model.built
    with pytest.raises(RuntimeError, match="needs the input shape"):
        model.summary_rows()
    model(gn.ones(2, 4))
    assert model.built and model.count_params() == 4 * 3 + 3 + 3 + 1
    rows = model.summary_rows()
    assert [(r[2], r[3]) for r in rows] == [((None, 3), 15), ((None, 1), 4)]


def test_summary_text_has_shapes_counts_and_totals():
    model = nn.Sequential(
        [nn.Dense(256, activation="relu", name="hidden"), nn.Dense(10, name="out")], input_shape=(784,)
    )
    model[1].trainable = False
    lines = model.format_summary().splitlines()
    assert any("hidden (Dense)" in line and "(None, 256)" in line and "200,960" in line for line in lines)
    assert any("out (Dense)" in line and "(None, 10)" in line and "2,570" in line for line in lines)
    assert lines[-3:] == ["Total params: 203,530", "Trainable params: 200,960", "Non-trainable params: 2,570"]


def test_sequential_add_after_build():
    model = nn.Sequential([nn.Dense(3)], input_shape=(4,))
    model.add(nn.Dense(2))
    assert model[1].weight.shape == (3, 2)
    x = np.random.default_rng(0).standard_normal((2, 4)).astype(np.float32)
    hidden = x @ model[0].weight.data + model[0].bias.data
    np.testing.assert_allclose(
        model(x).data, hidden @ model[1].weight.data + model[1].bias.data, rtol=1e-6, atol=1e-6
    )


def test_state_dict_round_trip_and_errors():
    a = nn.Sequential([nn.Dense(3), nn.BatchNorm(), nn.Dense(1)], input_shape=(4,))
    b = nn.Sequential([nn.Dense(3), nn.BatchNorm(), nn.Dense(1)], input_shape=(4,))
    state = a.state_dict()
    assert list(state) == [
        "0.weight",
        "0.bias",
        "1.gamma",
        "1.beta",
        "1.running_mean",
        "1.running_var",
        "2.weight",
        "2.bias",
    ]
    state["0.weight"][0, 0] = 123.0  # a copy: the model is untouched
    assert a[0].weight.data[0, 0] != 123.0
    b.load_state_dict(state)
    assert b[0].weight.data[0, 0] == 123.0
    x = gn.randn(5, 4)
    a.load_state_dict(state)
    np.testing.assert_array_equal(a.eval()(x).data, b.eval()(x).data)
    with pytest.raises(KeyError, match=r"missing keys \['2.bias'\]"):
        b.load_state_dict({k: v for k, v in state.items() if k != "2.bias"})
    state["2.weight"] = np.zeros((5, 1))
    with pytest.raises(ValueError, match=r"'2.weight' has shape \(3, 1\) .* but \(5, 1\)"):
        b.load_state_dict(state)


def test_freezing_a_layer_stops_its_gradient_and_updates():
    model = nn.Sequential([nn.Dense(3), nn.Dense(1)], input_shape=(4,))
    model[0].trainable = False
    frozen = model[0].weight.data.copy()
    opt = optim.SGD(model.parameters(), lr=0.1)
    loss = nn.MSE()(model(gn.randn(8, 4)), gn.randn(8, 1))
    loss.backward()
    assert model[0].weight.grad is None and model[1].weight.grad is not None
    opt.step()
    np.testing.assert_array_equal(model[0].weight.data, frozen)
    assert not model[0].trainable and model[1].trainable
    assert len(model.trainable_parameters()) == 2


def test_freezing_a_single_parameter():
    layer = nn.Dense(2)
    layer(gn.ones(1, 3))
    layer.bias.trainable = False
    (layer(gn.ones(1, 3)).sum()).backward()
    assert layer.bias.grad is None and layer.weight.grad is not None


def test_dropout_training_and_eval(float64):
    layer = nn.Dropout(0.25)
    x = gn.ones(200, 100, requires_grad=True)
    y = layer(x)
    kept = y.data != 0
    assert abs(kept.mean() - 0.75) < 0.01
    np.testing.assert_allclose(y.data[kept], 1 / 0.75)
    y.sum().backward()
    np.testing.assert_allclose(x.grad, kept / 0.75)
    assert layer.eval()(x) is x
    gn.manual_seed(3)
    first = nn.Dropout(0.5)(x).data
    gn.manual_seed(3)
    np.testing.assert_array_equal(nn.Dropout(0.5)(x).data, first)  # seeded: repeats exactly
    with pytest.raises(ValueError, match=r"rate must be in \[0, 1\)"):
        nn.Dropout(1.0)


def test_train_eval_modes_reach_children():
    model = nn.Sequential([nn.Dense(3), nn.Dropout(0.5)])
    model.eval()
    assert all(not m.training for m in model.modules())
    model.train()
    assert all(m.training for m in model.modules())


def test_custom_module_pytorch_style(float64):
    class Net(nn.Module):
        def __init__(self):
            super().__init__()
            self.hidden = nn.Dense(3, activation="relu")
            self.out = nn.Dense(1)

        def forward(self, x):
            return self.out(self.hidden(x))

    net = Net()
    net(gn.ones(2, 4))
    assert [name for name, _ in net.named_parameters()] == [
        "hidden.weight",
        "hidden.bias",
        "out.weight",
        "out.bias",
    ]


def test_regularization_loss_values_and_gradients(float64):
    layer = nn.Dense(3, weight_regularizer=nn.L2(0.1))
    other = nn.Dense(1, weight_regularizer="l1")
    model = nn.Sequential([layer, other], input_shape=(4,))
    expected = 0.1 * np.sum(layer.weight.data**2) + 0.01 * np.sum(np.abs(other.weight.data))
    penalty = model.regularization_loss()
    assert penalty.item() == pytest.approx(expected, rel=1e-12)
    penalty.backward()
    np.testing.assert_allclose(layer.weight.grad, 0.2 * layer.weight.data, rtol=1e-12)
    np.testing.assert_allclose(other.weight.grad, 0.01 * np.sign(other.weight.data), rtol=1e-12)


@pytest.mark.parametrize("regularizer", [nn.L1(0.3), nn.L2(0.2), nn.L1L2(0.1, 0.4)], ids=repr)
def test_penalties_gradcheck(float64, regularizer):
    w = gn.tensor(np.array([[0.5, -1.2], [2.0, -0.3]]), requires_grad=True)
    assert gn.gradcheck(regularizer, [w])


def test_non_finite_loss_is_refused_before_backward():
    model = nn.Sequential([nn.Dense(1)], input_shape=(2,))
    loss = nn.MSE()(model(gn.tensor([[np.inf, 1.0]])), gn.zeros(1, 1))
    with pytest.raises(FloatingPointError, match="loss is (nan|inf)"):
        loss.backward()
    assert model[0].weight.grad is None


@pytest.mark.parametrize(
    "layer",
    [nn.Dropout(0.3), nn.RReLU(), nn.PReLU(), nn.LeakyReLU(0.2), nn.SELU()],
    ids=lambda layer: type(layer).__name__,
)
def test_random_and_parametric_layers_gradcheck_in_training(float64, layer):
    x = gn.tensor(np.array([[0.7, -1.3, 2.1], [-0.4, 0.9, -2.2]]), requires_grad=True)
    layer(x)

    def run(x, *_):
        gn.manual_seed(5)  # the same dropout mask / RReLU slopes at every evaluation
        return layer(x)

    assert gn.gradcheck(run, [x, *layer.parameters()])


def test_sequential_dtype_reaches_its_layers():
    model = nn.Sequential([nn.Dense(3), nn.Dense(2, dtype="float32")], input_shape=(4,), dtype="float64")
    assert model[0].weight.dtype == np.float64 and model[1].weight.dtype == np.float32
