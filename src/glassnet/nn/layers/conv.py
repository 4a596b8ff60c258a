"""Convolution layers (CURRICULUM section 9): ``Conv2D`` on images (NCHW) and ``Conv1D`` on signals (NCL),
channels first as in PyTorch and ONNX; ``data_format="channels_last"`` takes NHWC / NLC and transposes
inside. A signal is an image of height 1 (``Spatial`` below), so one size formula and one op serve both."""

from __future__ import annotations

import math

from glassnet.nn import activations, initializers, regularizers
from glassnet.nn.module import Module, _unique_name
from glassnet.nn.serialization import serialize
from glassnet.ops.conv import as_image_padding, conv1d, conv2d, conv_output_size, pair, resolve_padding
from glassnet.ops.shape import transpose

__all__ = [
    "Conv1D",
    "Conv2D",
    "Spatial",
    "check_data_format",
    "check_padding_argument",
    "explain_axes",
    "image_shape",
]

DATA_FORMATS = ("channels_first", "channels_last")
_LAYOUTS = {  # (rank, data_format) -> how the axes read, and how to fix a missing axis
    (1, "channels_first"): ("(N, C, L)", "a batch of series (N, L) needs a channel axis (x[:, None])"),
    (1, "channels_last"): ("(N, L, C)", "a batch of series (N, L) needs a channel axis (x[..., None])"),
    (2, "channels_first"): (
        "(N, C, H, W)",
        "a single image needs a batch axis (x[None]), a grey-scale batch (N, H, W) a channel axis "
        "(x[:, None])",
    ),
    (2, "channels_last"): (
        "(N, H, W, C)",
        "a single image needs a batch axis (x[None]), a grey-scale batch (N, H, W) a channel axis "
        "(x[..., None])",
    ),
}


def check_padding_argument(padding, who: str):
    """Refuse what ``resolve_padding`` would not take, at construction time, with the layer's name."""
    if isinstance(padding, str):
        if padding not in ("valid", "same"):
            raise ValueError(f"{who}: padding must be 'valid', 'same', an int or (ph, pw), got {padding!r}")
        return padding
    ph, pw = pair(padding, f"{who}: padding")
    if ph < 0 or pw < 0:
        raise ValueError(f"{who}: padding must be >= 0, got {padding!r}")
    return padding if isinstance(padding, int) else (ph, pw)


def check_data_format(data_format, who: str) -> str:
    """``data_format`` if it is "channels_first" or "channels_last", else a ValueError naming ``who``."""
    if data_format not in DATA_FORMATS:
        raise ValueError(
            f"{who}: data_format must be 'channels_first' or 'channels_last', got {data_format!r}"
        )
    return data_format


def image_shape(layer, input_shape, what: str = "input", rank: int = 2) -> tuple:
    """``input_shape`` checked to have rank + 2 axes, or an error naming the layer and the layout it
    expects: (N, C, H, W) for images, (N, C, L) for signals (or channels last, per ``layer.data_format``)."""
    data_format = getattr(layer, "data_format", "channels_first")
    if input_shape is None or len(input_shape) != rank + 2:
        layout, hint = _LAYOUTS[(rank, data_format)]
        got = tuple(input_shape) if input_shape is not None else None
        raise ValueError(
            f"{type(layer).__name__} '{layer.name}' expects {what} of shape {layout} "
            f"({data_format.replace('_', ' ')}), got {got}; {hint}"
        )
    return tuple(input_shape)


def output_sizes(input_shape, kernel, stride, padding, dilation) -> tuple:
    """(OH, OW) for the (N, C, H, W) ``input_shape``; None where H or W is unknown."""
    sizes = []
    for axis, (n, f, s, d) in enumerate(zip(input_shape[2:], kernel, stride, dilation)):
        if n is None:
            sizes.append(None)
            continue
        known = tuple(m if m is not None else f for m in input_shape[2:])
        pads = resolve_padding(padding, known, kernel, stride, dilation)[axis]
        sizes.append(conv_output_size(int(n), f, s, pads, d))
    return tuple(sizes)


def explain_axes(input_shape, kernel, stride, padding, dilation, names=("H", "W")) -> str:
    """The output-size formula with the numbers, per axis: "H: floor((28 + 2·0 − 3)/1) + 1 = 26, W: ...";
    an axis named "" is left out (the height 1 of a signal seen as an image)."""
    parts = []
    for axis, (n, f, s, d) in enumerate(zip(input_shape[2:], kernel, stride, dilation)):
        name = names[axis]
        if not name:
            continue
        if n is None:
            parts.append(f"{name}: unknown (input size not known)")
            continue
        known = tuple(m if m is not None else f for m in input_shape[2:])
        before, after = resolve_padding(padding, known, kernel, stride, dilation)[axis]
        extent = d * (f - 1) + 1
        pads = f"2·{before}" if before == after else f"{before} + {after}"
        size = conv_output_size(n, f, s, (before, after), d)
        text = f"{name}: floor(({n} + {pads} − {extent})/{s}) + 1 = {size}"
        if d > 1:
            text += f" (dilated kernel {d}·({f} − 1) + 1 = {extent})"
        if padding == "same":
            text += f" ('same' keeps ceil({n}/{s}))"
        parts.append(text)
    return ", ".join(parts)


class Spatial:
    """What layers over signals (``rank = 1``: N, C, L) and images (``rank = 2``: N, C, H, W) share.

    A signal is computed as an image of height 1 (N, C, 1, L), so the 2-D ops, the size formula and the
    shape checks serve both; with ``data_format = "channels_last"`` the channels axis is moved to position
    1 on the way in and back to the end on the way out (the transposes are ops: their gradient is the
    transpose back).
    """

    rank = 2
    data_format = "channels_first"

    @property
    def axis_names(self) -> tuple:
        return ("H", "W") if self.rank == 2 else ("", "L")

    def sizes(self, value, what: str) -> tuple:
        """An int or a pair for images; an int (or a one-element list, as saved) for signals."""
        who = f"{type(self).__name__} '{self.name}': {what}"
        if self.rank == 2:
            return pair(value, who)
        if isinstance(value, (list, tuple)) and len(value) == 1:
            value = value[0]
        if isinstance(value, bool) or not isinstance(value, int):
            raise TypeError(f"{who} must be an int, got {value!r}")
        return (value,)

    def check_padding(self, padding):
        """Padding as the layer keeps it: "valid", "same", an int or a pair; "causal" for signals."""
        who = f"{type(self).__name__} '{self.name}'"
        if self.rank == 2:
            return check_padding_argument(padding, who)
        try:
            as_image_padding(padding)
        except (TypeError, ValueError):
            raise ValueError(
                f"{who}: padding must be 'valid', 'same', 'causal', an int or (before, after), "
                f"got {padding!r}"
            ) from None
        return tuple(padding) if isinstance(padding, (list, tuple)) else padding

    def channels_first_shape(self, input_shape, what: str = "input") -> tuple:
        """``input_shape`` checked, with the channels at axis 1."""
        shape = image_shape(self, input_shape, what, self.rank)
        if self.data_format == "channels_last":
            return (shape[0], shape[-1]) + shape[1:-1]
        return shape

    def output_shape(self, shape) -> tuple:
        """A channels-first output shape in the layer's data format."""
        if self.data_format == "channels_last":
            return (shape[0],) + tuple(shape[2:]) + (shape[1],)
        return tuple(shape)

    def as_image(self, shape) -> tuple:
        """(N, C, 1, L) for a signal's (N, C, L); an image's shape as it is."""
        return tuple(shape) if self.rank == 2 else (shape[0], shape[1], 1, shape[2])

    def image_arguments(self, kernel, strides, padding, dilation) -> tuple:
        """(kernel, strides, padding, dilation) of the 2-D op that computes this layer."""
        if self.rank == 2:
            return kernel, strides, padding, dilation
        padding = as_image_padding(padding, kernel[0], dilation[0])
        return (1, kernel[0]), (1, strides[0]), padding, (1, dilation[0])

    def spatial_sizes(self, shape, kernel, strides, padding, dilation) -> tuple:
        """The output sizes along the spatial axes of the channels-first ``shape`` (None where unknown)."""
        sizes = output_sizes(self.as_image(shape), *self.image_arguments(kernel, strides, padding, dilation))
        return sizes[2 - self.rank :]

    def explain_spatial(self, shape, kernel, strides, padding, dilation) -> str:
        image = self.as_image(shape)
        arguments = self.image_arguments(kernel, strides, padding, dilation)
        return explain_axes(image, *arguments, names=self.axis_names)

    def to_channels_first(self, x):
        if self.data_format == "channels_last":
            return transpose(x, 0, x.ndim - 1, *range(1, x.ndim - 1))
        return x

    def to_data_format(self, y):
        if self.data_format == "channels_last":
            return transpose(y, 0, *range(2, y.ndim), 1)
        return y


class _Conv(Spatial, Module):
    """A convolution over ``rank`` spatial axes; ``Conv1D`` and ``Conv2D`` document it."""

    _prefix = "conv2d"  # default names "conv2d", "conv2d_1", ..., as Keras (not "conv2_d")

    def __init__(
        self,
        filters: int,
        kernel_size,
        strides=1,
        padding="valid",
        dilation=1,
        use_bias: bool = True,
        activation=None,
        weight_init="xavier_uniform",
        bias_init="zeros",
        weight_regularizer=None,
        bias_regularizer=None,
        data_format="channels_first",
        name=None,
        dtype=None,
    ):
        super().__init__(name=name or _unique_name(self._prefix), dtype=dtype)
        who = f"{type(self).__name__} '{self.name}'"
        if isinstance(filters, bool) or not isinstance(filters, int) or filters < 1:
            raise ValueError(f"{who}: filters must be a positive integer, got {filters!r}")
        self.filters = filters
        self.kernel_size = self.sizes(kernel_size, "kernel_size")
        self.strides = self.sizes(strides, "strides")
        self.dilation = self.sizes(dilation, "dilation")
        for what, value in (
            ("kernel_size", self.kernel_size),
            ("strides", self.strides),
            ("dilation", self.dilation),
        ):
            if min(value) < 1:
                raise ValueError(f"{who}: {what} must be >= 1, got {value}")
        self.padding = self.check_padding(padding)
        self.data_format = check_data_format(data_format, who)
        self.use_bias = bool(use_bias)
        self.weight_init = weight_init if isinstance(weight_init, str) else initializers.get(weight_init)
        self.bias_init = bias_init if isinstance(bias_init, str) else initializers.get(bias_init)
        self.weight_regularizer = regularizers.get(weight_regularizer)
        self.bias_regularizer = regularizers.get(bias_regularizer)
        self.activation_name = activation if isinstance(activation, str) or activation is None else None
        self.activation = activations.get(activation)

    _in_channels_axis = 1  # of the kernel: (filters, in_channels, KH, KW), as PyTorch's

    def _kernel_shape(self, in_channels: int) -> tuple:
        return (self.filters, in_channels) + self.kernel_size

    def _arguments(self) -> tuple:
        return self.kernel_size, self.strides, self.padding, self.dilation

    def _check_input(self, input_shape, what: str) -> tuple:
        """The channels-first shape, after checking the channels are known and the kernel fits."""
        shape = self.channels_first_shape(input_shape, what)
        if shape[1] is None:
            raise ValueError(
                f"{type(self).__name__} '{self.name}' needs a known number of input channels, got {shape}"
            )
        image = self.as_image(shape)
        kernel, strides, padding, dilation = self.image_arguments(*self._arguments())
        known = tuple(m if m is not None else 1 for m in image[2:])
        resolved = resolve_padding(padding, known, kernel, strides, dilation)
        for axis, n, f, d, (before, after) in zip(self.axis_names, image[2:], kernel, dilation, resolved):
            extent = d * (f - 1) + 1
            if n is not None and axis and extent > n + before + after:
                raise ValueError(
                    f"{type(self).__name__} '{self.name}': kernel {self.kernel_size} spans {extent} pixels "
                    f"along {axis} but the input {tuple(input_shape)} padded by ({before}, {after}) has only "
                    f"{n + before + after}"
                )
        return shape

    def build(self, input_shape):
        shape = self._check_input(input_shape, "inputs")
        kernel = self._kernel_shape(int(shape[1]))
        self.add_weight("weight", kernel, self.weight_init, regularizer=self.weight_regularizer)
        if self.use_bias:
            self.add_weight("bias", (self.filters,), self.bias_init, regularizer=self.bias_regularizer)
        else:
            self.bias = None
        if isinstance(self.activation, Module) and not self.activation.built:
            self.activation.build(self.compute_output_shape(input_shape))
        super().build(input_shape)

    def compute_output_shape(self, input_shape):
        shape = self.channels_first_shape(input_shape)
        return self.output_shape((shape[0], self.filters) + self.spatial_sizes(shape, *self._arguments()))

    def forward(self, x):
        self._check_input(x.shape, "input")
        x = self.to_channels_first(x)
        in_channels = self.weight.shape[self._in_channels_axis]
        if x.shape[1] != in_channels:
            where = "the last axis" if self.data_format == "channels_last" else "axis 1"
            layout = _LAYOUTS[(self.rank, self.data_format)][0]
            raise ValueError(
                f"{type(self).__name__} '{self.name}' expects {in_channels} input channels ({where} of "
                f"{layout}), got shape {self.output_shape(x.shape)}"
            )
        if x.dtype != self.weight.dtype:
            x = x.to(self.weight.dtype)
        return self.activation(self.to_data_format(self._convolve(x)))

    def explain_shape(self, input_shape) -> str:
        """The output size per axis and the parameter count, as formulas with this layer's numbers."""
        shape = self.channels_first_shape(input_shape)
        channels = shape[1] if shape[1] is not None else "C"
        text = self.explain_spatial(shape, *self._arguments())
        weights = "·".join(str(k) for k in self.kernel_size) + f"·{channels}·{self.filters}"
        if isinstance(channels, int):
            total = math.prod(self.kernel_size) * channels * self.filters + (
                self.filters if self.use_bias else 0
            )
            count = f"{weights} + {self.filters} = {total:,}" if self.use_bias else f"{weights} = {total:,}"
        else:
            count = weights + (f" + {self.filters}" if self.use_bias else "")
        return f"{text}; params = {count}"

    def get_config(self):
        config = {
            **super().get_config(),
            "filters": self.filters,
            "kernel_size": list(self.kernel_size),
            "strides": list(self.strides),
            "padding": list(self.padding) if isinstance(self.padding, tuple) else self.padding,
            "dilation": list(self.dilation),
            "use_bias": self.use_bias,
            "activation": self.activation_name or serialize(self.activation),
            "weight_init": serialize(self.weight_init),
            "bias_init": serialize(self.bias_init),
            "weight_regularizer": serialize(self.weight_regularizer),
            "bias_regularizer": serialize(self.bias_regularizer),
        }
        if self.data_format != "channels_first":
            config["data_format"] = self.data_format
        return config

    def extra_repr(self):
        one = (1,) * self.rank
        kernel = self.kernel_size if self.rank == 2 else self.kernel_size[0]
        text = f"{self.filters}, kernel_size={kernel}"
        if self.strides != one:
            text += f", strides={self.strides if self.rank == 2 else self.strides[0]}"
        if self.padding != "valid":
            text += f", padding={self.padding!r}"
        if self.dilation != one:
            text += f", dilation={self.dilation if self.rank == 2 else self.dilation[0]}"
        if self.activation_name:
            text += f", activation={self.activation_name!r}"
        if self.data_format != "channels_first":
            text += f", data_format={self.data_format!r}"
        return text


class Conv2D(_Conv):
    """2-D convolution: each of ``filters`` kernels slides over the image and gives one output channel,

        y[n, o, i, j] = f(b[o] + Σ_c Σ_a Σ_b W[o, c, a, b] · x_p[n, c, i·s + a·d, j·s + b·d])

    (x_p is x zero-padded), with output size floor((n + 2p - f)/s) + 1 per axis (CURRICULUM section 9).
    One fused op computes it as im2col + one GEMM (``ops.conv.Conv2D``).

    Args:
        filters: number of kernels, i.e. output channels.
        kernel_size: f, an int or (KH, KW).
        strides: s, an int or (for H, for W).
        padding: "valid" (none: n - f + 1 outputs), "same" (ceil(n/s) outputs for any stride, as Keras: an odd
            total puts the extra pixel at the bottom/right), an int p, or (ph, pw).
        dilation: gaps between kernel taps (1: none), an int or a pair.
        use_bias: add b.
        activation: a name ("relu", ...), an activation module, or None (linear).
        weight_init, bias_init: initializer names or objects (default "xavier_uniform" and "zeros", as Keras);
            fan-in is in_channels·KH·KW and fan-out filters·KH·KW.
        weight_regularizer, bias_regularizer: optional penalties (as in ``Dense``).
        data_format: "channels_first" (NCHW, default) or "channels_last" (NHWC in and out, as Keras's
            default; the layer transposes inside, the kernel keeps its layout).
        name, dtype: the layer's name (default "conv2d", "conv2d_1", ...) and parameter dtype.

    The kernel has PyTorch's layout (filters, in_channels, KH, KW), so a ``torch.nn.Conv2d``'s weight and bias
    load as they are. Inputs of another float dtype are cast to the layer's dtype.

    Shape:
        (N, C, H, W) -> (N, filters, OH, OW); channels last: (N, H, W, C) -> (N, OH, OW, filters)

    Example:
        >>> import glassnet as gn
        >>> layer = Conv2D(32, 3)
        >>> layer(gn.zeros(2, 1, 28, 28)).shape, layer.weight.shape
        ((2, 32, 26, 26), (32, 1, 3, 3))
    """

    def _convolve(self, x):
        return conv2d(x, self.weight, self.bias, self.strides, self.padding, self.dilation)


class Conv1D(_Conv):
    """1-D convolution over signals (series, text embeddings): each of ``filters`` kernels slides along the
    length and gives one output channel,

        y[n, o, i] = f(b[o] + Σ_c Σ_a W[o, c, a] · x_p[n, c, i·s + a·d])

    with output length floor((L + p_before + p_after - d(K - 1) - 1)/s) + 1 (``ops.conv.conv1d``: the 2-D
    op on the signal as an image of height 1).

    Args:
        filters, use_bias, activation, weight_init, bias_init, weight_regularizer, bias_regularizer,
        name, dtype: as ``Conv2D`` (default names "conv1d", "conv1d_1", ...).
        kernel_size, strides, dilation: ints.
        padding: "valid", "same" (ceil(L/s) outputs), "causal" (d(K - 1) zeros before the signal, none
            after: output i sees inputs up to i, as Keras), an int, or (before, after).
        data_format: "channels_first" (NCL, as PyTorch's ``Conv1d``; default) or "channels_last" (NLC, as
            Keras's ``Conv1D`` and as a sequence of embeddings comes).

    The kernel has PyTorch's layout (filters, in_channels, K): a ``torch.nn.Conv1d``'s weight loads as it is.

    Shape:
        (N, C, L) -> (N, filters, OL); channels last: (N, L, C) -> (N, OL, filters)

    Example:
        >>> import glassnet as gn
        >>> layer = Conv1D(8, 3, padding="causal")
        >>> layer(gn.zeros(2, 4, 20)).shape, layer.weight.shape
        ((2, 8, 20), (8, 4, 3))
    """

    rank, _prefix = 1, "conv1d"

    def _convolve(self, x):
        return conv1d(x, self.weight, self.bias, self.strides[0], self.padding, self.dilation[0])
