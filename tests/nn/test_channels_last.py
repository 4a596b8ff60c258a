"""data_format="channels_last": each image or signal layer on NHWC (NLC) input equals the channels-first
layer on the transposed input, in outputs, input gradients and parameter gradients; shapes and summaries
read in the layer's own layout."""

import numpy as np
import pytest

import glassnet as gn
from glassnet import nn

IMAGE_LAYERS = [
    lambda fmt: nn.Conv2D(4, 3, strides=2, padding="same", dilation=1, activation="relu", data_format=fmt),
    lambda fmt: nn.Conv2D(2, (2, 3), padding=(1, 0), dilation=(2, 1), data_format=fmt),
    lambda fmt: nn.MaxPool2D(3, strides=2, padding=1, data_format=fmt),
    lambda fmt: nn.AvgPool2D(2, padding="same", data_format=fmt),
    lambda fmt: nn.GlobalAvgPool2D(data_format=fmt),
    lambda fmt: nn.ZeroPadding2D(((1, 0), (2, 1)), data_format=fmt),
    lambda fmt: nn.Cropping2D(((0, 1), (2, 1)), data_format=fmt),
    lambda fmt: nn.Conv2DTranspose(2, 3, strides=2, padding=1, output_padding=1, data_format=fmt),
    lambda fmt: nn.UpSampling2D((2, 1), interpolation="bilinear", data_format=fmt),
    lambda fmt: nn.BatchNorm(convention="pytorch", data_format=fmt),
]
SIGNAL_LAYERS = [
    lambda fmt: nn.Conv1D(4, 3, strides=2, padding="causal", dilation=2, activation="tanh", data_format=fmt),
    lambda fmt: nn.MaxPool1D(3, strides=2, padding=1, data_format=fmt),
    lambda fmt: nn.AvgPool1D(2, padding="same", data_format=fmt),
    lambda fmt: nn.GlobalAvgPool1D(data_format=fmt),
]
NAMES = ["conv2d_same", "conv2d_dilated", "max_pool2d", "avg_pool2d", "global_avg_pool2d", "zero_padding2d"]
NAMES += ["cropping2d", "conv2d_transpose", "upsampling2d_bilinear", "batch_norm"]
NAMES += ["conv1d_causal", "max_pool1d", "avg_pool1d", "global_avg_pool1d"]


def _to_last(array):
    return np.moveaxis(array, 1, -1) if array.ndim > 2 else array


@pytest.mark.parametrize(
    "make, shape",
    [(make, (2, 3, 7, 6)) for make in IMAGE_LAYERS] + [(make, (2, 3, 11)) for make in SIGNAL_LAYERS],
    ids=NAMES,
)
def test_channels_last_equals_channels_first_on_transposed_input(float64, make, shape):
    first, last = make("channels_first"), make("channels_last")
    x = np.random.default_rng(0).permutation(np.prod(shape)).reshape(shape) / 10.0  # distinct values
    last_shape = (None, *_to_last(np.empty(shape)).shape[1:])
    first.build((None, *shape[1:]))
    last.build(last_shape)
    last.load_state_dict(first.state_dict())  # the kernel keeps PyTorch's layout in both
    gx, gx_last = gn.tensor(x, requires_grad=True), gn.tensor(_to_last(x).copy(), requires_grad=True)
    out, out_last = first(gx), last(gx_last)
    np.testing.assert_allclose(out_last.data, _to_last(out.data), rtol=1e-12, atol=1e-14)
    assert last.compute_output_shape(last_shape) == (None, *out_last.shape[1:])
    seed = np.random.default_rng(1).standard_normal(out.shape)
    (out * gn.tensor(seed)).sum().backward()
    (out_last * gn.tensor(_to_last(seed).copy())).sum().backward()
    np.testing.assert_allclose(gx_last.grad, _to_last(gx.grad), rtol=1e-12, atol=1e-14)
    for (name, p_first), p_last in zip(first.named_parameters(), last.parameters()):
        np.testing.assert_allclose(p_last.grad, p_first.grad, rtol=1e-12, atol=1e-14, err_msg=name)


def test_channels_last_model_trains_on_nhwc_arrays_without_converting_them():
    model = nn.Sequential(
        [
            nn.Conv2D(4, 3, activation="relu", data_format="channels_last"),
            nn.MaxPool2D(2, data_format="channels_last"),
            nn.GlobalAvgPool2D(data_format="channels_last"),
            nn.Dense(2),
        ],
        input_shape=(8, 8, 3),
    )
    assert [row[2] for row in model.summary_rows()] == [
        (None, 6, 6, 4),
        (None, 3, 3, 4),
        (None, 4),
        (None, 2),
    ]
    assert model.layers[0].explain_shape((None, 8, 8, 3)) == (
        "H: floor((8 + 2·0 − 3)/1) + 1 = 6, W: floor((8 + 2·0 − 3)/1) + 1 = 6; params = 3·3·3·4 + 4 = 112"
    )
    rng = np.random.default_rng(0)
    x = rng.standard_normal((32, 8, 8, 3)).astype(np.float32)
    y = (x[:, :, :, 0].mean(axis=(1, 2)) > 0).astype(np.int64)
    model.compile(optimizer="adam", loss=nn.SparseCategoricalCrossEntropy(from_logits=True))
    before = model.evaluate(x, y)
    model.fit(x, y, epochs=20, verbose=0)
    assert model.evaluate(x, y) < before


def test_channels_last_message_says_which_layout_it_expects():
    layer = nn.MaxPool2D(2, data_format="channels_last", name="nhwc")
    with pytest.raises(
        ValueError, match=r"MaxPool2D 'nhwc' expects input of shape \(N, H, W, C\) \(channels last\)"
    ):
        layer.compute_output_shape((None, 8, 8))
