"""BatchNorm for dense features: PyTorch parity (pytorch convention), the Keras rule, gradcheck."""

import numpy as np
import pytest

import glassnet as gn
from glassnet import nn


def run_steps(layer, batches):
    outputs = []
    for batch in batches:
        out = layer(gn.tensor(batch, requires_grad=True))
        outputs.append(out)
    return outputs


def test_batchnorm_pytorch_convention_matches_torch(float64):
    torch = pytest.importorskip(
        "torch", reason="PyTorch 2.13 is needed for parity: pip install torch==2.13.0"
    )
    rng = np.random.default_rng(0)
    batches = [rng.normal(2.0, 3.0, size=(8, 5)) for _ in range(3)]
    ours = nn.BatchNorm(convention="pytorch")
    ours(gn.tensor(batches[0][:1].repeat(2, 0)))  # build
    ours.running_mean[:] = 0.0
    ours.running_var[:] = 1.0
    gamma, beta = rng.normal(size=5), rng.normal(size=5)
    ours.gamma.data[:] = gamma
    ours.beta.data[:] = beta
    theirs = torch.nn.BatchNorm1d(5, dtype=torch.float64)
    with torch.no_grad():
        theirs.weight.copy_(torch.tensor(gamma))
        theirs.bias.copy_(torch.tensor(beta))
    weights = rng.normal(size=(8, 5))
    for batch in batches:  # train mode: batch statistics, running update with unbiased variance
        x = gn.tensor(batch, requires_grad=True)
        tx = torch.tensor(batch, requires_grad=True)
        out, expected = ours(x), theirs(tx)
        np.testing.assert_allclose(out.data, expected.detach().numpy(), rtol=1e-10, atol=1e-12)
        (out * gn.tensor(weights)).sum().backward()
        (expected * torch.tensor(weights)).sum().backward()
        np.testing.assert_allclose(x.grad, tx.grad.numpy(), rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(ours.gamma.grad, theirs.weight.grad.numpy(), rtol=1e-10)
    np.testing.assert_allclose(ours.beta.grad, theirs.bias.grad.numpy(), rtol=1e-10)
    np.testing.assert_allclose(ours.running_mean, theirs.running_mean.numpy(), rtol=1e-10)
    np.testing.assert_allclose(ours.running_var, theirs.running_var.numpy(), rtol=1e-10)
    ours.eval()
    theirs.eval()
    test = rng.normal(size=(4, 5))
    np.testing.assert_allclose(
        ours(gn.tensor(test)).data, theirs(torch.tensor(test)).detach().numpy(), rtol=1e-10
    )


@pytest.mark.parametrize("convention", ["notes", "keras"])
def test_batchnorm_keras_and_notes_convention_formula(float64, convention):
    rng = np.random.default_rng(1)
    batch = rng.normal(1.0, 2.0, size=(6, 3))
    layer = nn.BatchNorm(convention=convention)  # momentum 0.99, epsilon 1e-3, biased running variance
    assert (layer.momentum, layer.epsilon) == (0.99, 1e-3)
    out = layer(gn.tensor(batch))
    mu, var = batch.mean(0), batch.var(0)
    np.testing.assert_allclose(out.data, (batch - mu) / np.sqrt(var + 1e-3), rtol=1e-12)
    np.testing.assert_allclose(layer.running_mean, 0.01 * mu, rtol=1e-12)
    np.testing.assert_allclose(layer.running_var, 0.99 + 0.01 * var, rtol=1e-12)
    layer.eval()
    np.testing.assert_allclose(
        layer(gn.tensor(batch)).data, (batch - 0.01 * mu) / np.sqrt(0.99 + 0.01 * var + 1e-3), rtol=1e-12
    )


@pytest.mark.parametrize("training", [True, False])
def test_batchnorm_gradcheck(float64, training):
    layer = nn.BatchNorm()
    x = gn.randn(5, 3, requires_grad=True)
    layer(x)
    layer.gamma.data[:] = [0.5, 1.5, -2.0]
    layer.train(training)
    assert gn.gradcheck(lambda x, *_: layer(x), [x, layer.gamma, layer.beta])


def test_batchnorm_errors():
    with pytest.raises(ValueError, match="convention must be one of"):
        nn.BatchNorm(convention="tf")
    layer = nn.BatchNorm(name="bn")
    layer(gn.ones(4, 3))
    with pytest.raises(
        ValueError, match=r"BatchNorm 'bn' expects inputs with 3 features on axis 1, got shape \(4, 5\)"
    ):
        layer(gn.ones(4, 5))
    with pytest.raises(ValueError, match="more than one value per feature"):
        nn.BatchNorm(convention="pytorch")(gn.ones(1, 3))


def test_running_statistics_stay_in_the_state_after_updates():
    layer = nn.BatchNorm()
    layer(gn.randn(4, 3))
    layer(gn.randn(4, 3))
    state = layer.state_dict()
    assert list(state) == ["gamma", "beta", "running_mean", "running_var"]
    np.testing.assert_array_equal(state["running_mean"], layer.running_mean)
    assert np.abs(state["running_mean"]).sum() > 0
