"""The 2-D convolution layer (CURRICULUM section 9), on NCHW images."""

from __future__ import annotations

from glassnet.nn import activations, initializers, regularizers
from glassnet.nn.module import Module, _unique_name
from glassnet.nn.serialization import serialize
from glassnet.ops.conv import conv2d, conv_output_size, pair, resolve_padding

__all__ = ["Conv2D", "check_padding_argument", "explain_axes", "image_shape"]


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


def image_shape(layer, input_shape, what: str = "input") -> tuple:
    """(N, C, H, W) from ``input_shape``, or an error naming the layer: images are NCHW."""
    if input_shape is None or len(input_shape) != 4:
        raise ValueError(
            f"{type(layer).__name__} '{layer.name}' expects {what} of shape (N, C, H, W) (channels first), "
            f"got {tuple(input_shape) if input_shape is not None else None}; a single image needs a batch "
            "axis (x[None]), a grey-scale batch (N, H, W) a channel axis (x[:, None])"
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


def explain_axes(input_shape, kernel, stride, padding, dilation) -> str:
    """The output-size formula with the numbers, per axis: "H: floor((28 + 2·0 − 3)/1) + 1 = 26, W: ..."."""
    parts = []
    for axis, (n, f, s, d) in enumerate(zip(input_shape[2:], kernel, stride, dilation)):
        name = "HW"[axis]
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


class Conv2D(Module):
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
        name, dtype: the layer's name (default "conv2d", "conv2d_1", ...) and parameter dtype.

    The kernel has PyTorch's layout (filters, in_channels, KH, KW), so a ``torch.nn.Conv2d``'s weight and bias
    load as they are. Inputs of another float dtype are cast to the layer's dtype.

    Shape:
        (N, C, H, W) -> (N, filters, OH, OW)

    Example:
        >>> import glassnet as gn
        >>> layer = Conv2D(32, 3)
        >>> layer(gn.zeros(2, 1, 28, 28)).shape, layer.weight.shape
        ((2, 32, 26, 26), (32, 1, 3, 3))
    """

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
        name=None,
        dtype=None,
    ):
        # "conv2d", as Keras names it (the class name in snake case would be "conv2_d").
        super().__init__(name=name or _unique_name("conv2d"), dtype=dtype)
        who = f"Conv2D '{self.name}'"
        if isinstance(filters, bool) or not isinstance(filters, int) or filters < 1:
            raise ValueError(f"{who}: filters must be a positive integer, got {filters!r}")
        self.filters = filters
        self.kernel_size = pair(kernel_size, f"{who}: kernel_size")
        self.strides = pair(strides, f"{who}: strides")
        self.dilation = pair(dilation, f"{who}: dilation")
        for what, value in (
            ("kernel_size", self.kernel_size),
            ("strides", self.strides),
            ("dilation", self.dilation),
        ):
            if min(value) < 1:
                raise ValueError(f"{who}: {what} must be >= 1, got {value}")
        self.padding = check_padding_argument(padding, who)
        self.use_bias = bool(use_bias)
        self.weight_init = weight_init if isinstance(weight_init, str) else initializers.get(weight_init)
        self.bias_init = bias_init if isinstance(bias_init, str) else initializers.get(bias_init)
        self.weight_regularizer = regularizers.get(weight_regularizer)
        self.bias_regularizer = regularizers.get(bias_regularizer)
        self.activation_name = activation if isinstance(activation, str) or activation is None else None
        self.activation = activations.get(activation)

    def _check_input(self, shape, what: str) -> tuple:
        shape = image_shape(self, shape, what)
        if shape[1] is None:
            raise ValueError(f"Conv2D '{self.name}' needs a known number of input channels, got {shape}")
        for axis, n, f, d in zip("HW", shape[2:], self.kernel_size, self.dilation):
            if n is None:
                continue
            known = tuple(m if m is not None else 1 for m in shape[2:])
            before, after = resolve_padding(
                self.padding, known, self.kernel_size, self.strides, self.dilation
            )["HW".index(axis)]
            extent = d * (f - 1) + 1
            if extent > n + before + after:
                raise ValueError(
                    f"Conv2D '{self.name}': kernel {self.kernel_size} spans {extent} pixels along {axis} but "
                    f"the input {tuple(shape)} padded by ({before}, {after}) has only {n + before + after}"
                )
        return shape

    def build(self, input_shape):
        shape = self._check_input(input_shape, "inputs")
        in_channels = int(shape[1])
        kernel = (self.filters, in_channels) + self.kernel_size
        self.add_weight("weight", kernel, self.weight_init, regularizer=self.weight_regularizer)
        if self.use_bias:
            self.add_weight("bias", (self.filters,), self.bias_init, regularizer=self.bias_regularizer)
        else:
            self.bias = None
        if isinstance(self.activation, Module) and not self.activation.built:
            self.activation.build(self.compute_output_shape(shape))
        super().build(input_shape)

    def compute_output_shape(self, input_shape):
        shape = image_shape(self, input_shape)
        sizes = output_sizes(shape, self.kernel_size, self.strides, self.padding, self.dilation)
        return (shape[0], self.filters) + sizes

    def forward(self, x):
        shape = self._check_input(x.shape, "input")
        in_channels = self.weight.shape[1]
        if shape[1] != in_channels:
            raise ValueError(
                f"Conv2D '{self.name}' expects {in_channels} input channels (axis 1 of NCHW), got shape "
                f"{x.shape}"
            )
        if x.dtype != self.weight.dtype:
            x = x.to(self.weight.dtype)
        y = conv2d(x, self.weight, self.bias, self.strides, self.padding, self.dilation)
        return self.activation(y)

    def explain_shape(self, input_shape) -> str:
        """The output size per axis and the parameter count, as formulas with this layer's numbers."""
        shape = image_shape(self, input_shape)
        kh, kw = self.kernel_size
        channels = shape[1] if shape[1] is not None else "C"
        text = explain_axes(shape, self.kernel_size, self.strides, self.padding, self.dilation)
        weights = f"{kh}·{kw}·{channels}·{self.filters}"
        if isinstance(channels, int):
            total = kh * kw * channels * self.filters + (self.filters if self.use_bias else 0)
            count = f"{weights} + {self.filters} = {total:,}" if self.use_bias else f"{weights} = {total:,}"
        else:
            count = weights + (f" + {self.filters}" if self.use_bias else "")
        return f"{text}; params = {count}"

    def get_config(self):
        return {
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

    def extra_repr(self):
        text = f"{self.filters}, kernel_size={self.kernel_size}"
        if self.strides != (1, 1):
            text += f", strides={self.strides}"
        if self.padding != "valid":
            text += f", padding={self.padding!r}"
        if self.dilation != (1, 1):
            text += f", dilation={self.dilation}"
        if self.activation_name:
            text += f", activation={self.activation_name!r}"
        return text
