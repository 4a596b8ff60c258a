"""Pooling and reshaping layers against PyTorch's modules, ties in max pooling, gradcheck, configs.
(BatchNorm on feature maps is in test_normalization.py.)"""

import numpy as np
import pytest

import glassnet as gn
from glassnet import nn
from glassnet.nn.serialization import deserialize, serialize


def torch_or_skip():
    return pytest.importorskip("torch", reason="PyTorch 2.13 is needed for parity: pip install torch==2.13.0")


def compare(ours, theirs, x):
    torch = torch_or_skip()
    ours_x, tx = gn.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    out = ours(ours_x)
    expected = theirs(tx)
    np.testing.assert_allclose(out.data, expected.detach().numpy(), rtol=1e-10, atol=1e-12)
    weights = np.random.default_rng(3).standard_normal(out.shape)
    out.backward(weights)
    expected.backward(torch.tensor(weights))
    np.testing.assert_allclose(ours_x.grad, tx.grad.numpy(), rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize(
    "make, make_torch",
    [
        (lambda: nn.MaxPool2D(2), lambda t: t.nn.MaxPool2d(2)),
        (lambda: nn.MaxPool2D(3, strides=2, padding=1), lambda t: t.nn.MaxPool2d(3, 2, 1)),
        (lambda: nn.MaxPool2D((2, 3), strides=(1, 2)), lambda t: t.nn.MaxPool2d((2, 3), (1, 2))),
        (lambda: nn.AvgPool2D(2), lambda t: t.nn.AvgPool2d(2)),
        (lambda: nn.AvgPool2D(3, strides=2, padding=1), lambda t: t.nn.AvgPool2d(3, 2, 1)),
        (lambda: nn.GlobalAvgPool2D(), lambda t: t.nn.Sequential(t.nn.AdaptiveAvgPool2d(1), t.nn.Flatten())),
        (lambda: nn.Flatten(), lambda t: t.nn.Flatten()),
    ],
)
def test_pooling_layers_match_torch(float64, make, make_torch):
    torch = torch_or_skip()
    x = np.random.default_rng(0).permutation(2 * 3 * 7 * 8).reshape(2, 3, 7, 8) * 0.1
    compare(make(), make_torch(torch), x)


def test_max_pool_ties_route_the_gradient_to_the_first_maximum_as_torch(float64):
    torch = torch_or_skip()
    x = np.array([[[[1.0, 1.0, 0.0, 2.0], [1.0, 0.0, 2.0, 2.0], [3.0, 3.0, 3.0, 3.0], [3.0, 3.0, 3.0, 3.0]]]])
    compare(nn.MaxPool2D(2), torch.nn.MaxPool2d(2), x)
    compare(nn.MaxPool2D(3, strides=1), torch.nn.MaxPool2d(3, 1), x)
    t = gn.tensor(x, requires_grad=True)
    nn.MaxPool2D(2)(t).sum().backward()
    assert t.grad[0, 0].tolist() == [[1, 0, 0, 1], [0, 0, 0, 0], [1, 0, 1, 0], [0, 0, 0, 0]]


def test_same_padding_keeps_ceil_and_average_counts_real_pixels():
    x = gn.ones(1, 1, 5, 5)
    assert nn.AvgPool2D(2, padding="same")(x).numpy().tolist() == [[[[1.0] * 3] * 3]]
    # "same" with stride 2 keeps ceil(5/2) = 3: one pixel of padding each side, windows at rows/columns
    # -1..1, 1..3, 3..5, whose maxima of 5·row + column sit at rows and columns 1, 3, 4.
    ramp = gn.tensor(np.arange(25.0).reshape(1, 1, 5, 5))
    assert nn.MaxPool2D(3, strides=2, padding="same")(ramp).numpy()[0, 0].tolist() == [
        [6, 8, 9], [16, 18, 19], [21, 23, 24]
    ]
    # An int padding counts the zeros, as PyTorch's default: the corner window of 3x3 holds 4 ones.
    assert nn.AvgPool2D(3, strides=2, padding=1)(x).numpy()[0, 0, 0, 0] == pytest.approx(4 / 9)


def test_global_average_pooling_gradcheck(float64):
    x = gn.tensor(np.random.default_rng(0).standard_normal((2, 3, 4, 5)), requires_grad=True)
    assert gn.gradcheck(nn.GlobalAvgPool2D(), [x])


@pytest.mark.parametrize(
    "layer",
    [
        nn.MaxPool2D((2, 3), strides=1, padding=(1, 0)),
        nn.AvgPool2D(3, padding="same"),
        nn.GlobalAvgPool2D(),
        nn.Flatten(),
    ],
)
def test_pooling_configs_round_trip(layer):
    copy = deserialize(serialize(layer))
    assert type(copy) is type(layer) and copy.get_config() == layer.get_config()
    shape = (None, 3, 9, 8)
    assert copy.compute_output_shape(shape) == layer.compute_output_shape(shape)


def test_pooling_errors_name_the_layer():
    with pytest.raises(ValueError, match=r"MaxPool2D 'pool' expects inputs of shape \(N, C, H, W\)"):
        nn.MaxPool2D(2, name="pool")(gn.zeros(4, 8, 8))
    with pytest.raises(ValueError, match=r"AvgPool2D 'avg': window \(4, 4\) is larger"):
        nn.AvgPool2D(4, name="avg")(gn.zeros(1, 1, 3, 3))
    with pytest.raises(ValueError, match="Flatten 'flat' needs inputs with a batch axis"):
        nn.Flatten(name="flat")(gn.zeros(4))


def test_dropout_on_feature_maps_keeps_the_shape_and_scales():
    x = gn.ones(4, 8, 6, 6)
    out = nn.Dropout(0.5)(x).numpy()
    assert out.shape == (4, 8, 6, 6) and set(np.unique(out)) == {0.0, 2.0}
    assert 0.4 < (out == 0).mean() < 0.6
