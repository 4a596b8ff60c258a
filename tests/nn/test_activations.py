"""Activation modules and names: every name builds the right op; PReLU and RReLU in detail."""

import numpy as np
import pytest

import glassnet as gn
from glassnet import nn

NAMES = {
    "step": lambda x: (x > 0).astype(float),
    "identity": lambda x: x,
    "linear": lambda x: x,
    "sigmoid": lambda x: 1 / (1 + np.exp(-x)),
    "tanh": np.tanh,
    "relu": lambda x: np.maximum(x, 0),
    "leaky_relu": lambda x: np.where(x > 0, x, 0.01 * x),
    "elu": lambda x: np.where(x > 0, x, np.exp(x) - 1),
    "selu": lambda x: 1.0507009873554805 * np.where(x > 0, x, 1.6732632423543772 * (np.exp(x) - 1)),
    "softmax": lambda x: np.exp(x) / np.exp(x).sum(-1, keepdims=True),
}


@pytest.mark.parametrize("name", sorted(NAMES))
def test_activation_names_compute_their_formula(float64, name):
    x = np.linspace(-3, 3, 12).reshape(3, 4)
    layer = nn.Dense(4, activation=name, weight_init="zeros", bias_init="zeros")
    layer(gn.zeros(1, 4))
    module = nn.activations.get(name)
    np.testing.assert_allclose(module(gn.tensor(x)).data, NAMES[name](x), rtol=1e-12)
    np.testing.assert_allclose(layer.activation(gn.tensor(x)).data, NAMES[name](x), rtol=1e-12)


def test_prelu_learns_slopes_matching_torch(float64):
    torch = pytest.importorskip(
        "torch", reason="PyTorch 2.13 is needed for parity: pip install torch==2.13.0"
    )
    for slopes in (1, 4):
        layer = nn.PReLU(num_parameters=slopes)
        x = gn.randn(6, 4, requires_grad=True)
        out = layer(x)
        assert layer.slope.data.tolist() == [0.25] * slopes
        tx = torch.tensor(x.data, requires_grad=True)
        tw = torch.full((slopes,), 0.25, dtype=torch.float64, requires_grad=True)
        expected = torch.nn.functional.prelu(tx, tw)
        np.testing.assert_allclose(out.data, expected.detach().numpy(), rtol=1e-12)
        weights = np.random.default_rng(slopes).standard_normal(out.shape)
        (out * gn.tensor(weights)).sum().backward()
        (expected * torch.tensor(weights)).sum().backward()
        np.testing.assert_allclose(layer.slope.grad, tw.grad.numpy(), rtol=1e-10)
        np.testing.assert_allclose(x.grad, tx.grad.numpy(), rtol=1e-10)


def test_prelu_channel_mismatch_is_reported():
    with pytest.raises(ValueError, match=r"PReLU 'p' has 3 slopes but its input of shape \(None, 4\)"):
        nn.PReLU(3, name="p")(gn.ones(2, 4))


def test_rrelu_random_slopes_in_training_mean_slope_in_eval(float64):
    layer = nn.RReLU(lower=0.1, upper=0.3)
    x = -gn.ones(1000)
    slopes = -layer(x).data
    assert slopes.min() >= 0.1 and slopes.max() <= 0.3 and abs(slopes.mean() - 0.2) < 0.01
    assert len(np.unique(slopes)) > 900
    layer.eval()
    np.testing.assert_allclose(layer(x).data, -0.2)
    np.testing.assert_allclose(layer(gn.ones(3)).data, 1.0)


def test_rrelu_gradient_uses_the_drawn_slopes(float64):
    layer = nn.RReLU()
    x = gn.tensor([-2.0, -1.0, 3.0], requires_grad=True)
    y = layer(x)
    y.sum().backward()
    np.testing.assert_allclose(x.grad, y.data / x.data, rtol=1e-12)


def test_no_overflow_warnings_in_float32():
    x = gn.tensor(np.array([-1e4, -50.0, 0.0, 50.0, 1e4], dtype=np.float32), requires_grad=True)
    with np.errstate(over="raise", divide="raise", invalid="raise"):  # underflow to 0 is exact enough
        for name in ("sigmoid", "tanh", "elu", "selu", "softmax", "relu", "leaky_relu"):
            x.grad = None
            y = nn.activations.get(name)(x)
            y.sum().backward()
            assert np.isfinite(y.data).all() and np.isfinite(x.grad).all(), name


@pytest.mark.parametrize("alpha", [0.0, 0.01, 0.2, 1.0, 1.5, -0.3])
def test_leaky_relu_matches_pytorch_for_every_slope(alpha):
    """The branch-free path (0 <= α <= 1: max(x, αx) and slope max([x > 0], α)) and the masked one."""
    torch = pytest.importorskip("torch")
    x = np.random.default_rng(2).normal(size=(4, 5, 6))
    x[0, 0, :3] = 0.0  # the kink: slope α, as PyTorch
    xt = torch.tensor(x, requires_grad=True)
    upstream = np.random.default_rng(3).normal(size=x.shape)
    torch.nn.functional.leaky_relu(xt, alpha).backward(torch.tensor(upstream))
    xg = gn.tensor(x, requires_grad=True)
    y = nn.LeakyReLU(alpha)(xg)
    y.backward(gn.tensor(upstream))
    np.testing.assert_array_equal(y.numpy(), torch.nn.functional.leaky_relu(torch.tensor(x), alpha).numpy())
    np.testing.assert_array_equal(xg.grad, xt.grad.numpy())
