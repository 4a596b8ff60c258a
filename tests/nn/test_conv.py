"""Conv2D as a layer: PyTorch parity with torch.nn.Conv2d's own weights, gradcheck, the notes' exercise
(CURRICULUM section 9) through summary_rows, explain_shape, errors, fans, saving."""

import numpy as np
import pytest

import glassnet as gn
from glassnet import nn
from glassnet.nn.initializers import compute_fans


def torch_or_skip():
    return pytest.importorskip("torch", reason="PyTorch 2.13 is needed for parity: pip install torch==2.13.0")


@pytest.mark.filterwarnings("ignore:Using padding='same' with even kernel")
@pytest.mark.parametrize(
    "kwargs, torch_kwargs",
    [
        ({"kernel_size": 3}, {"kernel_size": 3}),
        (
            {"kernel_size": (2, 4), "strides": 2, "padding": 1},
            {"kernel_size": (2, 4), "stride": 2, "padding": 1},
        ),
        ({"kernel_size": 4, "padding": "same"}, {"kernel_size": 4, "padding": "same"}),
        (
            {"kernel_size": 3, "padding": "same", "dilation": 2},
            {"kernel_size": 3, "padding": "same", "dilation": 2},
        ),
        (
            {"kernel_size": 5, "strides": 3, "padding": (2, 1)},
            {"kernel_size": 5, "stride": 3, "padding": (2, 1)},
        ),
    ],
)
def test_conv2d_layer_matches_torch_conv2d(float64, kwargs, torch_kwargs):
    torch = torch_or_skip()
    torch.manual_seed(0)
    theirs = torch.nn.Conv2d(3, 4, dtype=torch.float64, **torch_kwargs)
    ours = nn.Conv2D(4, **kwargs)
    ours.build((None, 3, 9, 8))
    ours.load_state_dict({k: v.detach().numpy() for k, v in theirs.state_dict().items()})
    x = np.random.default_rng(1).standard_normal((2, 3, 9, 8))
    out, tx = ours(gn.tensor(x, requires_grad=True)), torch.tensor(x, requires_grad=True)
    expected = theirs(tx)
    np.testing.assert_allclose(out.data, expected.detach().numpy(), rtol=1e-10, atol=1e-12)
    weights = np.random.default_rng(2).standard_normal(out.shape)
    out.backward(weights)
    expected.backward(torch.tensor(weights))
    np.testing.assert_allclose(ours.weight.grad, theirs.weight.grad.numpy(), rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(ours.bias.grad, theirs.bias.grad.numpy(), rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize(
    "kwargs",
    [
        {},
        {"strides": 2, "padding": "same", "use_bias": False},
        {"dilation": 2, "padding": 1, "activation": "tanh"},
    ],
)
def test_conv2d_layer_gradcheck(float64, kwargs):
    layer = nn.Conv2D(2, 3, **kwargs)
    x = gn.tensor(np.random.default_rng(0).standard_normal((2, 3, 6, 5)), requires_grad=True)
    layer(x)
    assert gn.gradcheck(lambda x, *_: layer(x), [x, *layer.parameters()])


def exercise_rows(strides, padding):
    model = nn.Sequential(
        [nn.Conv2D(32, 3, strides=strides, padding=padding, activation="relu") for _ in range(3)]
        + [nn.Flatten(), nn.Dense(128, activation="relu"), nn.Dense(10, activation="softmax")],
        input_shape=(1, 28, 28),
    )
    return [(shape, count) for _, _, shape, count, _ in model.summary_rows()]


def test_the_notes_exercise_stride_1_valid():
    assert exercise_rows(1, "valid") == [
        ((None, 32, 26, 26), 320),
        ((None, 32, 24, 24), 9248),
        ((None, 32, 22, 22), 9248),
        ((None, 15488), 0),
        ((None, 128), 1982592),
        ((None, 10), 1290),
    ]


def test_the_notes_exercise_stride_2_same():
    assert exercise_rows(2, "same") == [
        ((None, 32, 14, 14), 320),
        ((None, 32, 7, 7), 9248),
        ((None, 32, 4, 4), 9248),
        ((None, 512), 0),
        ((None, 128), 65664),
        ((None, 10), 1290),
    ]


def test_explain_shape_gives_the_formula_with_numbers():
    assert nn.Conv2D(32, 3).explain_shape((None, 1, 28, 28)) == (
        "H: floor((28 + 2·0 − 3)/1) + 1 = 26, W: floor((28 + 2·0 − 3)/1) + 1 = 26; "
        "params = 3·3·1·32 + 32 = 320"
    )
    assert nn.Conv2D(32, 3, strides=2, padding="same", use_bias=False).explain_shape((None, 32, 7, 7)) == (
        "H: floor((7 + 2·1 − 3)/2) + 1 = 4 ('same' keeps ceil(7/2)), "
        "W: floor((7 + 2·1 − 3)/2) + 1 = 4 ('same' keeps ceil(7/2)); params = 3·3·32·32 = 9,216"
    )
    assert (
        nn.Conv2D(1, 3, strides=2, padding="same")
        .explain_shape((None, 1, 28, 28))
        .startswith("H: floor((28 + 0 + 1 − 3)/2) + 1 = 14")
    )
    assert (
        nn.Conv2D(1, 3, dilation=2)
        .explain_shape((None, 1, 9, 9))
        .startswith("H: floor((9 + 2·0 − 5)/1) + 1 = 5 (dilated kernel 2·(3 − 1) + 1 = 5)")
    )
    assert nn.Flatten().explain_shape((None, 32, 22, 22)) == "C·H·W = 32·22·22 = 15,488; params = 0"
    assert nn.MaxPool2D(2).explain_shape((None, 6, 28, 28)) == (
        "H: floor((28 + 2·0 − 2)/2) + 1 = 14, W: floor((28 + 2·0 − 2)/2) + 1 = 14; params = 0"
    )


def test_same_keeps_ceil_n_over_s_for_any_stride():
    for size in range(5, 12):
        for stride in (1, 2, 3):
            for kernel in (1, 2, 3, 4, 5):
                shape = nn.Conv2D(1, kernel, strides=stride, padding="same").compute_output_shape(
                    (None, 1, size, size)
                )
                assert shape[2:] == (-(-size // stride),) * 2


def test_bad_inputs_name_the_layer_and_the_shapes():
    layer = nn.Conv2D(4, 3, name="features")
    with pytest.raises(
        ValueError, match=r"Conv2D 'features' expects inputs of shape \(N, C, H, W\).*\(None, 28, 28\)"
    ):
        layer(gn.zeros(8, 28, 28))
    with pytest.raises(
        ValueError, match=r"Conv2D 'big'.*kernel \(7, 7\) spans 7 pixels along H.*\(None, 1, 5, 5\)"
    ):
        nn.Conv2D(2, 7, name="big")(gn.zeros(1, 1, 5, 5))
    nn.Conv2D(2, 7, padding=1)(gn.zeros(1, 1, 5, 5))  # 5 + 2 = 7 pixels: fits
    layer(gn.zeros(1, 3, 8, 8))
    with pytest.raises(ValueError, match=r"Conv2D 'features' expects 3 input channels.*\(1, 1, 8, 8\)"):
        layer(gn.zeros(1, 1, 8, 8))
    with pytest.raises(ValueError, match="padding must be 'valid', 'same'"):
        nn.Conv2D(4, 3, padding="full")
    with pytest.raises(ValueError, match="filters must be a positive integer"):
        nn.Conv2D(0, 3)
    with pytest.raises(ValueError, match="strides must be >= 1"):
        nn.Conv2D(4, 3, strides=0)


def test_kernel_layout_and_fans():
    layer = nn.Conv2D(8, (3, 5), weight_init="he_normal")
    layer.build((None, 4, 10, 10))
    assert layer.weight.shape == (8, 4, 3, 5) and layer.bias.shape == (8,)
    assert compute_fans(layer.weight.shape) == (4 * 15, 8 * 15)
    wide = nn.Conv2D(256, 3, weight_init="he_normal")
    wide.build((None, 64, 8, 8))
    np.testing.assert_allclose(wide.weight.data.std(), np.sqrt(2 / (64 * 9)), rtol=0.02)


def test_float64_input_is_cast_to_the_layer_dtype():
    layer = nn.Conv2D(2, 3)
    x = np.random.default_rng(0).standard_normal((1, 1, 4, 4))
    out = layer(x)
    assert out.dtype == np.float32 and out.shape == (1, 2, 2, 2)
    np.testing.assert_array_equal(out.data, layer(x.astype(np.float32)).data)


def test_cnn_saves_and_loads_with_frozen_flags(tmp_path):
    model = nn.Sequential(
        [
            nn.Conv2D(4, 3, padding="same", activation="relu"),
            nn.BatchNorm(),
            nn.MaxPool2D(2),
            nn.Conv2D(6, (2, 3), strides=(1, 2), padding=(1, 0), dilation=(1, 2), use_bias=False),
            nn.AvgPool2D(2, strides=1, padding="same"),
            nn.Dropout(0.25),
            nn.GlobalAvgPool2D(),
            nn.Flatten(),
            nn.Dense(3),
        ],
        input_shape=(2, 10, 12),
    )
    model[0].trainable = False
    x = np.random.default_rng(0).standard_normal((4, 2, 10, 12)).astype(np.float32)
    model.eval()
    expected = model(x).data
    model.save(tmp_path / "cnn.glassnet")
    loaded = nn.load_model(tmp_path / "cnn.glassnet").eval()
    np.testing.assert_array_equal(loaded(x).data, expected)
    assert [type(layer).__name__ for layer in loaded] == [type(layer).__name__ for layer in model]
    assert loaded[3].get_config() == model[3].get_config()
    assert not loaded[0].weight.trainable and loaded[3].weight.trainable


@pytest.mark.parametrize(
    "strides, padding, dilation", [(1, "valid", 1), (2, "same", 1), (1, 2, 2), (3, (1, 0), 1)]
)
@pytest.mark.parametrize("use_bias", [True, False])
def test_inference_path_equals_the_graph_path(float64, strides, padding, dilation, use_bias):
    layer = nn.Conv2D(5, 3, strides=strides, padding=padding, dilation=dilation, use_bias=use_bias)
    x = gn.randn(37, 2, 11, 9)  # more samples than one cache-sized group
    with_graph = layer(gn.tensor(x.data, requires_grad=True)).data
    with gn.no_grad():
        without = layer(x).data
    np.testing.assert_allclose(without, with_graph, rtol=1e-12, atol=1e-12)
