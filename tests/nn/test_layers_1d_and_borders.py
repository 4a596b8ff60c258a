"""Conv1D, MaxPool1D, AvgPool1D, GlobalAvgPool1D (NCL, as PyTorch), ZeroPadding2D and Cropping2D: PyTorch
parity in float64 (outputs and gradients, to 1e-10), shapes and their explanations, configs, errors."""

import numpy as np
import pytest

import glassnet as gn
from glassnet import nn
from glassnet.nn.serialization import deserialize, serialize

torch = pytest.importorskip("torch", reason="PyTorch 2.13 is needed for parity: pip install torch==2.13.0")
RTOL, ATOL = 1e-10, 1e-12


def _compare(ours, theirs, x, pairs=()):
    """Run both on x, backpropagate the same random weights, compare outputs, input gradients and each
    (our parameter, their parameter) gradient."""
    gx = gn.tensor(x, requires_grad=True)
    tx = torch.tensor(x, requires_grad=True)
    out, expected = ours(gx), theirs(tx)
    np.testing.assert_allclose(out.data, expected.detach().numpy(), rtol=RTOL, atol=ATOL)
    seed = np.random.default_rng(9).standard_normal(out.shape)
    (out * gn.tensor(seed)).sum().backward()
    (expected * torch.tensor(seed)).sum().backward()
    np.testing.assert_allclose(gx.grad, tx.grad.numpy(), rtol=RTOL, atol=ATOL)
    for mine, other in pairs:
        np.testing.assert_allclose(mine.grad, other.grad.numpy(), rtol=RTOL, atol=ATOL)
    return out


@pytest.mark.parametrize(
    "options, torch_options",
    [
        ({}, {}),
        ({"strides": 2, "padding": 1}, {"stride": 2, "padding": 1}),
        ({"strides": 3, "padding": 2, "dilation": 2}, {"stride": 3, "padding": 2, "dilation": 2}),
        ({"padding": "same", "dilation": 2}, {"padding": "same", "dilation": 2}),
        ({"padding": "valid", "use_bias": False}, {"padding": "valid", "bias": False}),
    ],
    ids=["plain", "stride2_pad1", "stride3_pad2_dilation2", "same_dilation2", "no_bias"],
)
def test_conv1d_matches_torch_conv1d(float64, options, torch_options):
    layer = nn.Conv1D(4, 3, **options)
    theirs = torch.nn.Conv1d(3, 4, 3, **torch_options).double()
    x = np.random.default_rng(0).standard_normal((2, 3, 11))
    layer.build((None, 3, 11))
    state = {"weight": theirs.weight.detach().numpy()}
    if layer.use_bias:
        state["bias"] = theirs.bias.detach().numpy()
    layer.load_state_dict(state)  # PyTorch's kernel layout (out, in, K), as it is
    pairs = [(layer.weight, theirs.weight)] + ([(layer.bias, theirs.bias)] if layer.use_bias else [])
    out = _compare(layer, theirs, x, pairs)
    assert layer.compute_output_shape((None, 3, 11)) == (None, 4, out.shape[2])


def test_conv1d_causal_padding_sees_only_the_past(float64):
    layer = nn.Conv1D(1, 3, padding="causal", dilation=2, use_bias=False, weight_init="ones")
    x = np.zeros((1, 1, 9))
    x[0, 0, 4] = 1.0  # an impulse at t = 4 reaches t = 4, 6, 8 and nothing before it
    np.testing.assert_array_equal(layer(x).data[0, 0], [0, 0, 0, 0, 1, 0, 1, 0, 1])
    assert layer.compute_output_shape((None, 1, 9)) == (None, 1, 9)


@pytest.mark.parametrize(
    "ours, theirs",
    [
        (nn.MaxPool1D(2), torch.nn.MaxPool1d(2)),
        (nn.MaxPool1D(3, strides=2, padding=1), torch.nn.MaxPool1d(3, stride=2, padding=1)),
        (nn.MaxPool1D(3, strides=1), torch.nn.MaxPool1d(3, stride=1)),
        (nn.AvgPool1D(2), torch.nn.AvgPool1d(2)),
        (nn.AvgPool1D(3, strides=2, padding=1), torch.nn.AvgPool1d(3, stride=2, padding=1)),
        (nn.GlobalAvgPool1D(), torch.nn.Sequential(torch.nn.AdaptiveAvgPool1d(1), torch.nn.Flatten())),
    ],
    ids=["max2", "max3_stride2_pad1", "max3_overlapping", "avg2", "avg3_stride2_pad1", "global_avg"],
)
def test_1d_pools_match_torch(float64, ours, theirs):
    x = np.random.default_rng(1).permutation(2 * 3 * 11).reshape(2, 3, 11) / 7.0  # distinct: no ties
    out = _compare(ours, theirs, x)
    assert ours.compute_output_shape((None, 3, 11)) == (None, *out.shape[1:])


def test_1d_same_padding_keeps_ceil_length_over_stride():
    for length in range(4, 10):
        for stride in (1, 2, 3):
            expected = (None, 2, -(-length // stride))
            assert (
                nn.Conv1D(2, 3, strides=stride, padding="same").compute_output_shape((None, 1, length))
                == expected
            )
            assert (
                nn.MaxPool1D(3, strides=stride, padding="same").compute_output_shape((None, 2, length))
                == expected
            )


@pytest.mark.parametrize(
    "layer, torch_fn",
    [
        (nn.ZeroPadding2D(2), lambda t: torch.nn.functional.pad(t, (2, 2, 2, 2))),
        (nn.ZeroPadding2D((1, 3)), lambda t: torch.nn.functional.pad(t, (3, 3, 1, 1))),
        (nn.ZeroPadding2D(((0, 2), (1, 0))), lambda t: torch.nn.functional.pad(t, (1, 0, 0, 2))),
        (nn.Cropping2D(1), lambda t: t[:, :, 1:-1, 1:-1]),
        (nn.Cropping2D(((2, 0), (1, 2))), lambda t: t[:, :, 2:, 1:-2]),
    ],
    ids=["pad2", "pad_1x3", "pad_asymmetric", "crop1", "crop_asymmetric"],
)
def test_border_layers_match_torch_padding_and_slicing(float64, layer, torch_fn):
    x = np.random.default_rng(2).standard_normal((2, 3, 5, 6))
    out = _compare(layer, torch_fn, x)
    assert layer.compute_output_shape((None, 3, 5, 6)) == (None, *out.shape[1:])
    assert gn.gradcheck(layer, [gn.tensor(x[:1], requires_grad=True)])


def test_explanations_of_the_new_layers():
    assert nn.Conv1D(8, 3, strides=2).explain_shape((None, 4, 20)) == (
        "L: floor((20 + 2·0 − 3)/2) + 1 = 9; params = 3·4·8 + 8 = 104"
    )
    assert nn.MaxPool1D(2).explain_shape((None, 4, 20)) == "L: floor((20 + 2·0 − 2)/2) + 1 = 10; params = 0"
    assert (
        nn.GlobalAvgPool1D().explain_shape((None, 4, 20))
        == "mean over L = 20 per channel -> 4 values; params = 0"
    )
    assert nn.ZeroPadding2D(((1, 0), (2, 2))).explain_shape((None, 1, 5, 6)) == (
        "H: 5 + 1 + 0 = 6, W: 6 + 2 + 2 = 10; params = 0"
    )
    assert nn.Cropping2D(1).explain_shape((None, 1, 5, 6)) == "H: 5 − 1 − 1 = 3, W: 6 − 1 − 1 = 4; params = 0"
    model = nn.Sequential(
        [nn.Conv1D(8, 5, activation="relu"), nn.MaxPool1D(2), nn.GlobalAvgPool1D(), nn.Dense(1)],
        input_shape=(3, 40),
    )
    assert [row[2] for row in model.summary_rows()] == [(None, 8, 36), (None, 8, 18), (None, 8), (None, 1)]
    assert model.count_params() == 5 * 3 * 8 + 8 + 9


@pytest.mark.parametrize(
    "layer",
    [
        nn.Conv1D(
            4, 5, strides=2, padding="causal", dilation=2, activation="relu", data_format="channels_last"
        ),
        nn.MaxPool1D(3, strides=2, padding=(1, 0)),
        nn.AvgPool1D(2, padding="same", data_format="channels_last"),
        nn.GlobalAvgPool1D(data_format="channels_last"),
        nn.ZeroPadding2D(((1, 2), (3, 4)), data_format="channels_last"),
        nn.Cropping2D((1, 2)),
    ],
    ids=lambda layer: type(layer).__name__,
)
def test_new_layers_rebuild_from_their_config(layer):
    copy = deserialize(serialize(layer))
    assert type(copy) is type(layer) and copy.get_config() == layer.get_config()


def test_bad_arguments_and_inputs_name_the_layer():
    with pytest.raises(
        ValueError,
        match=r"Conv1D 'seq' expects inputs of shape \(N, C, L\) \(channels first\), got \(None, 20\); "
        r"a batch of series \(N, L\) needs a channel axis \(x\[:, None\]\)",
    ):
        nn.Conv1D(4, 3, name="seq")(gn.zeros(2, 20))
    with pytest.raises(TypeError, match="Conv1D 'c': kernel_size must be an int, got"):
        nn.Conv1D(4, (3, 3), name="c")
    with pytest.raises(ValueError, match="Conv1D 'c1': padding must be 'valid', 'same', 'causal'"):
        nn.Conv1D(4, 3, padding="full", name="c1")
    with pytest.raises(ValueError, match="MaxPool1D 'p': padding must be .* got 'causal'"):
        nn.MaxPool1D(2, padding="causal", name="p")
    with pytest.raises(
        ValueError, match="data_format must be 'channels_first' or 'channels_last', got 'NHWC'"
    ):
        nn.Conv2D(4, 3, data_format="NHWC")
    with pytest.raises(ValueError, match=r"Cropping2D 'crop' cuts 3 \+ 3 from H = 5, which leaves nothing"):
        nn.Cropping2D(3, name="crop")(gn.zeros(1, 1, 5, 9))
    with pytest.raises(ValueError, match=r"ZeroPadding2D 'zp': padding must be an int >= 0"):
        nn.ZeroPadding2D(-1, name="zp")
    with pytest.raises(
        ValueError,
        match=r"Conv2D 'last' expects 3 input channels \(the last axis of \(N, H, W, C\)\), "
        r"got shape \(1, 8, 8, 1\)",
    ):
        layer = nn.Conv2D(2, 3, data_format="channels_last", name="last")
        layer(gn.zeros(1, 8, 8, 3))
        layer(gn.zeros(1, 8, 8, 1))
