"""BatchNorm and LayerNorm layers: PyTorch parity (float64, 1e-10) in training and evaluation, 2-D and 4-D,
the Keras conventions' formulas, gradcheck, errors."""

import numpy as np
import pytest

import glassnet as gn
from glassnet import nn

RTOL, ATOL = 1e-10, 1e-12


def torch_or_skip():
    return pytest.importorskip("torch", reason="PyTorch 2.13 is needed for parity: pip install torch==2.13.0")


def close(ours, theirs, what):
    expected = theirs.detach().numpy() if hasattr(theirs, "detach") else theirs
    np.testing.assert_allclose(ours, expected, rtol=RTOL, atol=ATOL, err_msg=what)


@pytest.mark.parametrize("shape", [(8, 5), (4, 5, 3, 2)], ids=["2d", "4d"])
def test_batchnorm_pytorch_convention_matches_torch(float64, shape):
    """Three training steps and one evaluation step against BatchNorm1d/2d: outputs, the gradients of x,
    γ and β (in training and in evaluation), and the running statistics after every step."""
    torch = pytest.importorskip(
        "torch", reason="PyTorch 2.13 is needed for parity: pip install torch==2.13.0"
    )
    rng = np.random.default_rng(0)
    features = shape[1]
    ours = nn.BatchNorm(convention="pytorch")
    ours.build((None,) + shape[1:])
    gamma, beta = rng.normal(size=features), rng.normal(size=features)
    ours.gamma.data[:] = gamma
    ours.beta.data[:] = beta
    torch_class = torch.nn.BatchNorm1d if len(shape) == 2 else torch.nn.BatchNorm2d
    theirs = torch_class(features, dtype=torch.float64)
    with torch.no_grad():
        theirs.weight.copy_(torch.tensor(gamma))
        theirs.bias.copy_(torch.tensor(beta))

    def step(batch, what):
        x, tx = gn.tensor(batch, requires_grad=True), torch.tensor(batch, requires_grad=True)
        ours.zero_grad()
        theirs.zero_grad()
        out, expected = ours(x), theirs(tx)
        close(out.data, expected, f"{what}: output")
        weights = rng.normal(size=shape)
        out.backward(weights)
        expected.backward(torch.tensor(weights))
        close(x.grad, tx.grad, f"{what}: dL/dx")
        close(ours.gamma.grad, theirs.weight.grad, f"{what}: dL/dγ")
        close(ours.beta.grad, theirs.bias.grad, f"{what}: dL/dβ")
        close(ours.running_mean, theirs.running_mean, f"{what}: running mean")
        close(ours.running_var, theirs.running_var, f"{what}: running variance")

    for number in range(3):  # batch statistics, running update with the unbiased variance
        step(rng.normal(2.0, 3.0, size=shape), f"training step {number}")
    assert np.abs(ours.running_mean).min() > 0.1  # the running statistics moved
    ours.eval()
    theirs.eval()
    step(rng.normal(size=shape), "evaluation")  # running statistics as constants


@pytest.mark.parametrize("shape", [(6, 3), (3, 2, 2, 3)], ids=["2d", "4d"])
@pytest.mark.parametrize("convention", ["notes", "keras"])
def test_batchnorm_keras_and_notes_convention_formula(float64, convention, shape):
    rng = np.random.default_rng(1)
    batch = rng.normal(1.0, 2.0, size=shape)
    layer = nn.BatchNorm(convention=convention)  # momentum 0.99, epsilon 1e-3, biased running variance
    assert (layer.momentum, layer.epsilon) == (0.99, 1e-3)
    out = layer(gn.tensor(batch))
    axes = (0,) + tuple(range(2, len(shape)))
    per_channel = (1, shape[1]) + (1,) * (len(shape) - 2)
    mu, var = batch.mean(axes), batch.var(axes)
    expected = (batch - mu.reshape(per_channel)) / np.sqrt(var.reshape(per_channel) + 1e-3)
    np.testing.assert_allclose(out.data, expected, rtol=1e-12)
    np.testing.assert_allclose(layer.running_mean, 0.01 * mu, rtol=1e-12)
    np.testing.assert_allclose(layer.running_var, 0.99 + 0.01 * var, rtol=1e-12)
    layer.eval()
    running_mean, running_var = (0.01 * mu).reshape(per_channel), (0.99 + 0.01 * var).reshape(per_channel)
    np.testing.assert_allclose(
        layer(gn.tensor(batch)).data, (batch - running_mean) / np.sqrt(running_var + 1e-3), rtol=1e-12
    )


@pytest.mark.parametrize("shape", [(5, 3), (2, 3, 2, 2)], ids=["2d", "4d"])
@pytest.mark.parametrize("training", [True, False])
def test_batchnorm_gradcheck(float64, training, shape):
    layer = nn.BatchNorm()
    x = gn.randn(*shape, requires_grad=True)
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
    from glassnet.ops.normalization import batch_norm

    with pytest.raises(ValueError, match=r"batch_norm needs more than one value per feature .* \(1, 3\)"):
        batch_norm(gn.ones(1, 3), running_mean=np.zeros(3), running_var=np.ones(3))
    with pytest.raises(ValueError, match="evaluation .* needs running_mean and running_var"):
        batch_norm(gn.ones(2, 3), training=False)


def test_running_statistics_stay_in_the_state_after_updates():
    layer = nn.BatchNorm()
    layer(gn.randn(4, 3))
    layer(gn.randn(4, 3))
    state = layer.state_dict()
    assert list(state) == ["gamma", "beta", "running_mean", "running_var"]
    np.testing.assert_array_equal(state["running_mean"], layer.running_mean)
    assert np.abs(state["running_mean"]).sum() > 0


# --- LayerNorm ---------------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "shape, normalized_shape, affine",
    [((4, 6), None, True), ((2, 3, 5), (5,), True), ((2, 3, 4, 2), (4, 2), True), ((2, 3, 5), None, False)],
    ids=["2d", "last_axis", "last_two_axes", "no_affine"],
)
def test_layernorm_matches_torch(float64, shape, normalized_shape, affine):
    torch = pytest.importorskip(
        "torch", reason="PyTorch 2.13 is needed for parity: pip install torch==2.13.0"
    )
    rng = np.random.default_rng(2)
    ours = nn.LayerNorm(normalized_shape, elementwise_affine=affine)
    x = gn.tensor(rng.normal(1.0, 2.0, size=shape), requires_grad=True)
    out = ours(x)
    trailing = normalized_shape or shape[-1:]
    assert ours.normalized_shape == tuple(trailing)
    theirs = torch.nn.LayerNorm(trailing, elementwise_affine=affine, dtype=torch.float64)
    if affine:  # not the initial ones and zeros, so that γ's place in the gradient shows
        gamma, beta = rng.normal(size=trailing), rng.normal(size=trailing)
        ours.gamma.data[...], ours.beta.data[...] = gamma, beta
        with torch.no_grad():
            theirs.weight.copy_(torch.tensor(gamma))
            theirs.bias.copy_(torch.tensor(beta))
        out = ours(x)
    tx = torch.tensor(x.data, requires_grad=True)
    expected = theirs(tx)
    close(out.data, expected, "output")
    weights = rng.normal(size=shape)
    out.backward(weights)
    expected.backward(torch.tensor(weights))
    close(x.grad, tx.grad, "dL/dx")
    if affine:
        close(ours.gamma.grad, theirs.weight.grad, "dL/dγ")
        close(ours.beta.grad, theirs.bias.grad, "dL/dβ")
    else:
        assert ours.parameters() == []


def test_layernorm_keras_convention_takes_keras_epsilon(float64):
    x = np.array([[1.0, 2.0, 4.0], [0.5, 0.5, 0.6]])
    layer = nn.LayerNorm(convention="keras")
    assert layer.eps == 1e-3 and nn.LayerNorm().eps == 1e-5 and nn.LayerNorm(eps=0.1).eps == 0.1
    mu, var = x.mean(-1, keepdims=True), x.var(-1, keepdims=True)
    np.testing.assert_allclose(layer(gn.tensor(x)).data, (x - mu) / np.sqrt(var + 1e-3), rtol=1e-12)
    # the second row's variance (0.0022) is near ε: the two conventions differ visibly there
    pytorch = nn.LayerNorm()(gn.tensor(x)).data
    assert abs(pytorch[1, 2] - layer(gn.tensor(x)).data[1, 2]) > 0.2


def test_layernorm_is_the_same_in_training_and_evaluation(float64):
    layer = nn.LayerNorm()
    x = gn.randn(3, 4)
    training = layer(x).data
    np.testing.assert_array_equal(layer.eval()(x).data, training)


@pytest.mark.parametrize("affine", [True, False])
def test_layernorm_gradcheck(float64, affine):
    layer = nn.LayerNorm((3, 2), elementwise_affine=affine)
    x = gn.randn(2, 4, 3, 2, requires_grad=True)
    layer(x)
    if affine:
        layer.gamma.data[...] = gn.randn(3, 2).data
    assert gn.gradcheck(lambda x, *_: layer(x), [x, *layer.parameters()])


def test_layernorm_errors():
    with pytest.raises(ValueError, match="LayerNorm: convention must be one of"):
        nn.LayerNorm(convention="tf")
    with pytest.raises(ValueError, match=r"normalized_shape must be positive integers, got \(0,\)"):
        nn.LayerNorm(0)
    with pytest.raises(ValueError, match="eps must be > 0, got -1"):
        nn.LayerNorm(eps=-1)
    with pytest.raises(
        ValueError, match=r"LayerNorm 'ln' expects inputs \(N, ..., 3, 2\), got shape \(None, 2, 3\)"
    ):
        nn.LayerNorm((3, 2), name="ln")(gn.ones(4, 2, 3))  # checked at build
    layer = nn.LayerNorm(name="ln2")
    layer(gn.ones(4, 3))
    with pytest.raises(ValueError, match=r"LayerNorm 'ln2' expects inputs \(N, ..., 3\), got shape \(4, 5\)"):
        layer(gn.ones(4, 5))  # checked at every call
    with pytest.raises(
        ValueError, match=r"layer_norm expects input whose last axes are \(3,\), got shape \(2, 4\)"
    ):
        from glassnet.ops.normalization import layer_norm

        layer_norm(gn.ones(2, 4), 3)


@pytest.mark.parametrize("affine", [True, False])
def test_layernorm_loads_a_torch_state_dict(float64, affine):
    torch = torch_or_skip()
    theirs = torch.nn.Sequential(
        torch.nn.Linear(4, 4), torch.nn.LayerNorm(4, elementwise_affine=affine, dtype=torch.float64)
    )
    if affine:
        with torch.no_grad():
            theirs[1].weight.uniform_(0.5, 1.5)
            theirs[1].bias.uniform_(-1, 1)
    ours = nn.LayerNorm(4, elementwise_affine=affine)
    ours.build((None, 4))
    ours.load_torch_state_dict(theirs.state_dict(), prefix="1.")
    x = np.random.default_rng(3).normal(size=(3, 4))
    close(ours(gn.tensor(x)).data, theirs[1](torch.tensor(x)), "output")
    with pytest.raises(ValueError, match="LayerNorm 'unbuilt' is not built"):
        nn.LayerNorm(name="unbuilt").load_torch_state_dict(theirs.state_dict())
    if affine:
        with pytest.raises(ValueError, match=r"under '2.'\) does not fit LayerNorm 'ln': missing 'weight'"):
            ours.name = "ln"
            ours.load_torch_state_dict(theirs.state_dict(), prefix="2.")


def test_batchnorm_loads_a_torch_state_dict_with_its_running_statistics(float64):
    torch = torch_or_skip()
    theirs = torch.nn.BatchNorm2d(3, dtype=torch.float64)
    rng = np.random.default_rng(4)
    for _ in range(2):
        theirs(torch.tensor(rng.normal(1.0, 2.0, size=(4, 3, 2, 2))))
    with torch.no_grad():
        theirs.weight.uniform_(0.5, 1.5)
    ours = nn.BatchNorm(convention="pytorch")
    ours.build((None, 3, 2, 2))
    ours.load_torch_state_dict(theirs.state_dict())
    close(ours.running_var, theirs.running_var, "running variance")
    ours.eval()
    theirs.eval()
    x = rng.normal(size=(2, 3, 2, 2))
    close(ours(gn.tensor(x)).data, theirs(torch.tensor(x)), "evaluation output")
