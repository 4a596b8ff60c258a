"""Converters of the feed-forward families: activations, Dense, Dropout, BatchNorm, LayerNorm, Conv1D/2D,
Conv2DTranspose, pooling, UpSampling2D, Flatten, Reshape, ZeroPadding2D, Cropping2D and Embedding.

Evaluation semantics throughout: Dropout is the identity, BatchNorm uses its running statistics (whatever
its convention: the conventions differ in the running update and the defaults of momentum and ε, and the
layer's own ε is written into the file), RReLU the mean slope (lower + upper)/2.
"""

from __future__ import annotations

import math

import numpy as np

from glassnet import nn
from glassnet.io.onnx.graph import NotExportable, Value, convert, converts, describe, known
from glassnet.nn import activations as A
from glassnet.ops.activation import SELU_ALPHA, SELU_SCALE
from glassnet.ops.conv import as_image_padding, resolve_padding
from glassnet.ops.conv_transpose import resolve_transpose_padding

__all__ = ["activate", "channels_first", "back_to_format"]


# --- activations ------------------------------------------------------------------------------------------
def _simple(op_type, **attributes):
    def function(b, layer, x):
        return Value(b.op(op_type, [x.name], **attributes), x.shape)

    return function


converts(A.Identity)(lambda b, layer, x: x)
converts(A.Sigmoid)(_simple("Sigmoid"))
converts(A.Tanh)(_simple("Tanh"))
converts(A.ReLU)(_simple("Relu"))


@converts(A.LeakyReLU, A.RReLU)
def leaky_relu(b, layer, x):
    """LeakyRelu; RReLU in evaluation is a leaky ReLU of slope (lower + upper)/2."""
    alpha = layer.alpha if isinstance(layer, A.LeakyReLU) else (layer.lower + layer.upper) / 2
    return Value(b.op("LeakyRelu", [x.name], alpha=float(alpha)), x.shape)


@converts(A.ELU)
def elu(b, layer, x):
    return Value(b.op("Elu", [x.name], alpha=float(layer.alpha)), x.shape)


@converts(A.SELU)
def selu(b, layer, x):
    return Value(b.op("Selu", [x.name], alpha=SELU_ALPHA, gamma=SELU_SCALE), x.shape)


@converts(A.Step)
def step(b, layer, x):
    """[x > θ] as 0/1 floats."""
    above = b.op("Greater", [x.name, b.weight(np.float32(layer.threshold), "threshold")])
    return Value(b.op("Cast", [above], to=1), x.shape)


@converts(A.PReLU)
def prelu(b, layer, x):
    """One slope, or one per channel on axis 1 (shaped (C, 1, ..., 1) to broadcast)."""
    slope = layer.slope.data
    if slope.size > 1:
        slope = slope.reshape((-1,) + (1,) * (len(x.shape) - 2))
    return Value(b.op("PRelu", [x.name, b.weight(slope, "slope")]), x.shape)


@converts(A.SiLU)
def silu(b, layer, x):
    return Value(b.op("Mul", [x.name, b.op("Sigmoid", [x.name])]), x.shape)


@converts(A.GELU)
def gelu(b, layer, x):
    """x Φ(x) = x (1 + erf(x/√2))/2, or the tanh form x (1 + tanh(√(2/π)(x + 0.044715 x³)))/2."""
    half = b.weight(np.float32(0.5), "half")
    one = b.weight(np.float32(1.0), "one")
    if layer.approximate == "tanh":
        cube = b.op("Mul", [x.name, b.op("Mul", [x.name, x.name])])
        inner = b.op("Add", [x.name, b.op("Mul", [cube, b.weight(np.float32(0.044715), "c")])])
        u = b.op("Mul", [inner, b.weight(np.float32(math.sqrt(2 / math.pi)), "sqrt_2_over_pi")])
        curve = b.op("Tanh", [u])
    else:
        curve = b.op("Erf", [b.op("Mul", [x.name, b.weight(np.float32(1 / math.sqrt(2)), "rsqrt2")])])
    return Value(b.op("Mul", [b.op("Mul", [x.name, half]), b.op("Add", [curve, one])]), x.shape)


@converts(A.Softmax)
def softmax(b, layer, x):
    return Value(b.op("Softmax", [x.name], axis=int(layer.axis)), x.shape)


def activate(b, module, x: Value) -> Value:
    """The layer's activation module (Dense's, Conv2D's, ...) as nodes; the identity adds none."""
    return convert(b, module, x)


# --- Dense, Dropout, Embedding ------------------------------------------------------------------------------
@converts(nn.Dense)
def dense(b, layer, x):
    """z = x W + b: MatMul (broadcast over leading axes) and Add."""
    z = b.op("MatMul", [x.name, b.weight(layer.weight, "weight")])
    if layer.bias is not None:
        z = b.op("Add", [z, b.weight(layer.bias, "bias")])
    return activate(b, layer.activation, Value(z, tuple(x.shape[:-1]) + (layer.units,)))


converts(nn.Dropout)(lambda b, layer, x: x)  # the identity in evaluation


@converts(nn.Embedding)
def embedding(b, layer, x):
    """Rows of the table by id: Gather."""
    return Value(b.op("Gather", [b.weight(layer.weight, "weight"), x.name], axis=0), x.shape + (layer.dim,))


# --- normalization ----------------------------------------------------------------------------------------
@converts(nn.BatchNorm)
def batch_norm(b, layer, x):
    """BatchNormalization in inference mode: γ (x - running mean)/sqrt(running var + ε) + β."""
    names = ("gamma", "beta", "running_mean", "running_var")
    inputs = [x.name] + [b.weight(getattr(layer, name), name) for name in names]
    if len(x.shape) == 2:  # ONNX wants (N, C, D...): a (N, C, 1) view for features
        view = b.op("Unsqueeze", [x.name, b.ints([2], "axes")])
        y = b.op("BatchNormalization", [view, *inputs[1:]], epsilon=float(layer.epsilon))
        return Value(b.op("Squeeze", [y, b.ints([2], "axes")]), x.shape)
    return Value(b.op("BatchNormalization", inputs, epsilon=float(layer.epsilon)), x.shape)


@converts(nn.LayerNorm)
def layer_norm(b, layer, x):
    """LayerNormalization over the last len(normalized_shape) axes (γ of ones when there is none)."""
    shape = layer.normalized_shape
    gamma = layer.gamma if layer.gamma is not None else np.ones(shape, dtype=np.float32)
    inputs = [x.name, b.weight(gamma, "gamma")]
    if layer.beta is not None:
        inputs.append(b.weight(layer.beta, "beta"))
    y = b.op("LayerNormalization", inputs, axis=-len(shape), epsilon=float(layer.eps))
    return Value(y, x.shape)


# --- convolution and pooling ------------------------------------------------------------------------------
def channels_first(b, layer, x: Value) -> Value:
    """NHWC / NLC inputs of a ``data_format="channels_last"`` layer transposed to channels first."""
    if getattr(layer, "data_format", "channels_first") != "channels_last":
        return x
    rank = len(x.shape)
    perm = [0, rank - 1, *range(1, rank - 1)]
    return Value(b.op("Transpose", [x.name], perm=perm), tuple(x.shape[p] for p in perm))


def back_to_format(b, layer, y: str, shape: tuple) -> Value:
    """The channels-first result ``y`` in the layer's data format, of (that format's) ``shape``."""
    if getattr(layer, "data_format", "channels_first") != "channels_last":
        return Value(y, shape)
    perm = [0, *range(2, len(shape)), 1]
    return Value(b.op("Transpose", [y], perm=perm), shape)


def _pads(layer, x: Value, kernel, strides, dilation) -> list:
    """ONNX pads [begin..., end...] of the layer's padding for the (known) spatial sizes of x."""
    rank = len(kernel)
    padding = layer.padding
    if rank == 1:
        padding = as_image_padding(padding, kernel[0], dilation[0])
        kernel, strides, dilation = (1, *kernel), (1, *strides), (1, *dilation)
    sizes = (1,) * (2 - rank) + tuple(x.shape[2:])
    if padding == "same":
        sizes = (1,) * (2 - rank) + known(layer, x.shape, range(2, len(x.shape)), "padding='same' and a size")
    pairs = resolve_padding(padding, sizes, tuple(kernel), tuple(strides), tuple(dilation))[2 - rank :]
    return [p[0] for p in pairs] + [p[1] for p in pairs]


@converts(nn.Conv2D, nn.Conv1D)
def conv(b, layer, x):
    """Conv with the kernel as it is (PyTorch's and ONNX's layout (O, C, K...)), explicit pads."""
    xf = channels_first(b, layer, x)
    pads = _pads(layer, xf, layer.kernel_size, layer.strides, layer.dilation)
    inputs = [xf.name, b.weight(layer.weight, "weight")]
    if layer.bias is not None:
        inputs.append(b.weight(layer.bias, "bias"))
    y = b.op("Conv", inputs, kernel_shape=list(layer.kernel_size), strides=list(layer.strides),
             dilations=list(layer.dilation), pads=pads)  # fmt: skip
    return activate(b, layer.activation, back_to_format(b, layer, y, output_shape(layer, x.shape)))


@converts(nn.Conv2DTranspose)
def conv_transpose(b, layer, x):
    """ConvTranspose: weight (C_in, filters, KH, KW) as ONNX's; the crop as pads, the extra as
    output_padding."""
    xf = channels_first(b, layer, x)
    sizes = tuple(1 if n is None else n for n in xf.shape[2:])
    if layer.padding == "same":
        sizes = known(layer, xf.shape, (2, 3), "padding='same' and a size")
    crop, extra = resolve_transpose_padding(
        layer.padding, layer.output_padding, sizes, layer.kernel_size, layer.strides, layer.dilation
    )
    inputs = [xf.name, b.weight(layer.weight, "weight")]
    if layer.bias is not None:
        inputs.append(b.weight(layer.bias, "bias"))
    y = b.op("ConvTranspose", inputs, kernel_shape=list(layer.kernel_size), strides=list(layer.strides),
             dilations=list(layer.dilation), pads=[c[0] for c in crop] + [c[1] for c in crop],
             output_padding=list(extra))  # fmt: skip
    return activate(b, layer.activation, back_to_format(b, layer, y, output_shape(layer, x.shape)))


def output_shape(layer, shape) -> tuple:
    """The layer's ``compute_output_shape`` (in its own data format), the batch axis left None."""
    try:
        return tuple(layer.compute_output_shape(tuple(shape)))
    except (TypeError, ValueError):
        return (None,) + tuple(layer.compute_output_shape((1,) + tuple(shape[1:])))[1:]


@converts(nn.MaxPool2D, nn.AvgPool2D, nn.MaxPool1D, nn.AvgPool1D)
def pool(b, layer, x):
    """MaxPool / AveragePool; the average counts padded zeros for an explicit padding (PyTorch), not for
    "same" (Keras), as glassnet's op."""
    xf = channels_first(b, layer, x)
    pads = _pads(layer, xf, layer.pool_size, layer.strides, (1,) * len(layer.pool_size))
    options = dict(kernel_shape=list(layer.pool_size), strides=list(layer.strides), pads=pads)
    if isinstance(layer, (nn.MaxPool2D, nn.MaxPool1D)):
        y = b.op("MaxPool", [xf.name], **options)
    else:
        y = b.op("AveragePool", [xf.name], count_include_pad=int(layer.padding != "same"), **options)
    return back_to_format(b, layer, y, output_shape(layer, x.shape))


@converts(nn.GlobalAvgPool2D, nn.GlobalAvgPool1D)
def global_average(b, layer, x):
    """The mean over the spatial axes: ReduceMean, keepdims 0."""
    rank = len(x.shape)
    axes = list(range(1, rank - 1)) if layer.data_format == "channels_last" else list(range(2, rank))
    y = b.reduce_mean(x.name, axes)
    return Value(y, tuple(n for a, n in enumerate(x.shape) if a not in axes))


@converts(nn.UpSampling2D)
def upsampling(b, layer, x):
    """Resize by integer scales: nearest (asymmetric, floor) or bilinear (half-pixel), as PyTorch's
    ``Upsample(align_corners=False)`` and glassnet's op."""
    xf = channels_first(b, layer, x)
    scales = b.weight(np.array([1, 1, *layer.size], dtype=np.float32), "scales")
    if layer.interpolation == "nearest":
        options = dict(mode="nearest", coordinate_transformation_mode="asymmetric", nearest_mode="floor")
    else:
        options = dict(mode="linear", coordinate_transformation_mode="half_pixel")
    y = b.op("Resize", [xf.name, "", scales], **options)
    return back_to_format(b, layer, y, output_shape(layer, x.shape))


# --- reshaping --------------------------------------------------------------------------------------------
@converts(nn.Flatten)
def flatten(b, layer, x):
    size = None if None in x.shape[1:] else math.prod(x.shape[1:])
    return Value(b.op("Flatten", [x.name], axis=1), (x.shape[0], size))


@converts(nn.Reshape)
def reshape(b, layer, x):
    """Reshape to [N, *target_shape], the batch size copied (0) from the input."""
    shape = output_shape(layer, x.shape)
    return Value(b.op("Reshape", [x.name, b.ints([0, *layer.target_shape])]), shape)


@converts(nn.ZeroPadding2D)
def zero_padding(b, layer, x):
    pads = [0] * (2 * len(x.shape))
    for axis, (before, after) in zip(layer._axes(), layer.amounts):
        pads[axis], pads[axis + len(x.shape)] = before, after
    shape = tuple(
        None if n is None else n + pads[a] + pads[a + len(x.shape)] for a, n in enumerate(x.shape)
    )
    return Value(b.op("Pad", [x.name, b.ints(pads, "pads")], mode="constant"), (None,) + shape[1:])


@converts(nn.Cropping2D)
def cropping(b, layer, x):
    """Slice [before, size - after) on H and W (sizes known)."""
    axes = list(layer._axes())
    sizes = known(layer, x.shape, axes, "the size of a cropped axis")
    starts = [before for before, _ in layer.amounts]
    ends = [n - after for n, (_, after) in zip(sizes, layer.amounts)]
    y = b.op("Slice", [x.name, b.ints(starts, "starts"), b.ints(ends, "ends"), b.ints(axes, "axes")])
    shape = list(x.shape)
    for axis, start, end in zip(axes, starts, ends):
        shape[axis] = end - start
    return Value(y, tuple(shape))


def unsupported_mask(layer) -> NotExportable:
    return NotExportable(
        f"cannot export {describe(layer)} to ONNX with a padding mask (Embedding(mask_zero=True) before a "
        "layer that reads it): masked steps are not expressed yet; export the model without mask_zero"
    )
