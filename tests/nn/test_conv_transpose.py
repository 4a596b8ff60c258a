"""Conv2DTranspose is the adjoint of Conv2D (<conv(x), y> = <x, conv_transpose(y)> with the same kernel),
its sizes follow (n - 1)s - 2p + d(f - 1) + q + 1 ("same": n·s), and its arguments are checked with the
layer's name; UpSampling2D's bilinear values at the border are the half-pixel ones."""

import numpy as np
import pytest

import glassnet as gn
from glassnet import nn
from glassnet.ops.conv import conv2d, pair
from glassnet.ops.conv_transpose import conv_transpose2d


@pytest.mark.parametrize(
    "stride, padding, dilation, size",
    [(1, 0, 1, 6), (2, 1, 1, 7), (3, 1, 1, 8), (2, 2, 2, 9), ((2, 1), (1, 0), (1, 2), 7)],
)
def test_transposed_convolution_is_the_adjoint_of_convolution(stride, padding, dilation, size):
    rng = np.random.default_rng(0)
    x = gn.tensor(rng.standard_normal((2, 3, size, size)))
    kernel = gn.tensor(rng.standard_normal((4, 3, 3, 3)))
    y = conv2d(x, kernel, stride=stride, padding=padding, dilation=dilation)
    v = gn.tensor(rng.standard_normal(y.shape))
    # output_padding q = (n + 2p - d(f - 1) - 1) mod s: the pixels after the last window a stride skips
    pads, dilations, strides = (pair(a) for a in (padding, dilation, stride))
    q = tuple((size + 2 * p - d * 2 - 1) % s for p, d, s in zip(pads, dilations, strides))
    back = conv_transpose2d(v, kernel, stride=stride, padding=padding, output_padding=q, dilation=dilation)
    assert back.shape == x.shape
    np.testing.assert_allclose((y.data * v.data).sum(), (x.data * back.data).sum(), rtol=1e-12)


def test_dcgan_sizes_and_summary_formula():
    layer = nn.Conv2DTranspose(64, 4, strides=2, padding=1)
    assert layer.compute_output_shape((None, 128, 7, 7)) == (None, 64, 14, 14)
    assert nn.Conv2DTranspose(1, 5, strides=2, padding="same").compute_output_shape((2, 8, 7, 7)) == (
        2,
        1,
        14,
        14,
    )
    layer.build((None, 128, 7, 7))
    assert layer.explain_shape((None, 128, 7, 7)) == (
        "H: (7 − 1)·2 − 1 − 1 + 3 + 0 + 1 = 14, W: (7 − 1)·2 − 1 − 1 + 3 + 0 + 1 = 14; "
        "params = 4·4·128·64 + 64 = 131,136"
    )


def test_bad_arguments_name_the_layer():
    with pytest.raises(ValueError, match=r"'up': output_padding along H .* = \[0, 2\), got 2"):
        nn.Conv2DTranspose(2, 3, strides=2, output_padding=2, name="up")
    layer = nn.Conv2DTranspose(2, 3, name="up2")
    layer(gn.zeros(1, 3, 4, 4))
    with pytest.raises(ValueError, match=r"'up2' expects 3 input channels \(axis 1 of \(N, C, H, W\)\), got"):
        layer(gn.zeros(1, 2, 4, 4))
    with pytest.raises(ValueError, match="interpolation must be one of"):
        nn.UpSampling2D(2, interpolation="bicubic")


def test_bilinear_upsampling_values():
    y = nn.UpSampling2D((2, 2), interpolation="bilinear")(gn.tensor([[[[0.0, 4.0], [8.0, 12.0]]]]))
    np.testing.assert_allclose(
        y.numpy()[0, 0],
        [[0, 1, 3, 4], [2, 3, 5, 6], [6, 7, 9, 10], [8, 9, 11, 12]],
    )
