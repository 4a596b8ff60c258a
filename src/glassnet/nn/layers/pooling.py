"""Pooling layers (CURRICULUM section 9): max and average over windows, and global average pooling, over
images (NCHW: ``MaxPool2D``, ...) and signals (NCL: ``MaxPool1D``, ...); each takes
``data_format="channels_last"`` as the convolutions do (``conv.Spatial``)."""

from __future__ import annotations

from glassnet.nn.layers.conv import Spatial, check_data_format
from glassnet.nn.module import Module, _unique_name
from glassnet.ops.pooling import avg_pool1d, avg_pool2d, max_pool1d, max_pool2d
from glassnet.ops.reduction import mean

__all__ = ["MaxPool2D", "AvgPool2D", "GlobalAvgPool2D", "MaxPool1D", "AvgPool1D", "GlobalAvgPool1D"]
__all__ += ["GlobalAveragePooling1D", "GlobalAveragePooling2D"]


class _Pool(Spatial, Module):
    """What max and average pooling share: window, strides, padding, shapes, config."""

    _pool = None  # the op's function
    _prefix = "pool2d"  # default names: "max_pool2d", "max_pool2d_1", ... (not "max_pool2_d")

    def __init__(self, pool_size=2, strides=None, padding="valid", data_format="channels_first", name=None):
        super().__init__(name=name or _unique_name(self._prefix))
        who = f"{type(self).__name__} '{self.name}'"
        self.pool_size = self.sizes(pool_size, "pool_size")
        self.strides = self.pool_size if strides is None else self.sizes(strides, "strides")
        if min(self.pool_size) < 1 or min(self.strides) < 1:
            raise ValueError(
                f"{who}: pool_size and strides must be >= 1, got {self.pool_size} and {self.strides}"
            )
        self.padding = self.check_padding(padding)
        if self.padding == "causal":
            raise ValueError(
                f"{who}: padding must be 'valid', 'same', an int or (before, after), got 'causal'"
            )
        self.data_format = check_data_format(data_format, who)

    def _arguments(self) -> tuple:
        return self.pool_size, self.strides, self.padding, (1,) * self.rank

    def build(self, input_shape):
        self._check(input_shape, "inputs")
        super().build(input_shape)

    def _check(self, input_shape, what: str) -> tuple:
        shape = self.channels_first_shape(input_shape, what)
        if all(n is not None for n in shape[2:]) and min(self.spatial_sizes(shape, *self._arguments())) < 1:
            raise ValueError(
                f"{type(self).__name__} '{self.name}': window {self.pool_size} is larger than the "
                f"padded input {tuple(input_shape)} (padding {self.padding!r})"
            )
        return shape

    def compute_output_shape(self, input_shape):
        shape = self.channels_first_shape(input_shape)
        return self.output_shape(tuple(shape[:2]) + self.spatial_sizes(shape, *self._arguments()))

    def forward(self, x):
        self._check(x.shape, "input")
        pool_size, strides = (
            (self.pool_size, self.strides) if self.rank == 2 else (self.pool_size[0], self.strides[0])
        )
        return self.to_data_format(self._pool(self.to_channels_first(x), pool_size, strides, self.padding))

    def explain_shape(self, input_shape) -> str:
        """The output size per axis (the convolution's formula with f = pool_size), and no parameters."""
        shape = self.channels_first_shape(input_shape)
        return f"{self.explain_spatial(shape, *self._arguments())}; params = 0"

    def get_config(self):
        config = {
            **super().get_config(),
            "pool_size": list(self.pool_size),
            "strides": list(self.strides),
            "padding": list(self.padding) if isinstance(self.padding, tuple) else self.padding,
        }
        if self.data_format != "channels_first":
            config["data_format"] = self.data_format
        return config

    def extra_repr(self):
        pool_size, strides = (
            (self.pool_size, self.strides) if self.rank == 2 else (self.pool_size[0], self.strides[0])
        )
        text = f"pool_size={pool_size}"
        if self.strides != self.pool_size:
            text += f", strides={strides}"
        if self.padding != "valid":
            text += f", padding={self.padding!r}"
        if self.data_format != "channels_first":
            text += f", data_format={self.data_format!r}"
        return text


class MaxPool2D(_Pool):
    """Max pooling: each output is the largest value of its window (per channel), so a feature found
    anywhere in the window survives a small shift (translation invariance) and the map shrinks (storage).

    Args:
        pool_size: the window, an int or (KH, KW).
        strides: the step, an int or a pair; None (default) is pool_size (windows side by side).
        padding: "valid", "same" (ceil(n/s) outputs, as Keras), an int or (ph, pw); padding is -∞.
        data_format: "channels_first" (NCHW, default) or "channels_last" (NHWC).

    The gradient goes to the position of each window's maximum (the first one when values tie).

    Shape:
        (N, C, H, W) -> (N, C, floor((H + 2p - KH)/s) + 1, floor((W + 2p - KW)/s) + 1)

    Example:
        >>> import glassnet as gn
        >>> MaxPool2D(2)(gn.zeros(1, 6, 28, 28)).shape
        (1, 6, 14, 14)
    """

    _pool, _prefix = staticmethod(max_pool2d), "max_pool2d"


class AvgPool2D(_Pool):
    """Average pooling: each output is the mean of its window (per channel).

    Args:
        pool_size, strides: as ``MaxPool2D``.
        padding: "valid"; "same" averages only the real pixels of each window (Keras); an int or (ph, pw)
            pads zeros that count in the mean (PyTorch's ``count_include_pad=True`` default).
        data_format: "channels_first" (NCHW, default) or "channels_last" (NHWC).

    Shape:
        (N, C, H, W) -> (N, C, floor((H + 2p - KH)/s) + 1, floor((W + 2p - KW)/s) + 1)

    Example:
        >>> import glassnet as gn
        >>> AvgPool2D(2)(gn.ones(1, 1, 4, 4)).numpy()[0, 0]
        array([[1., 1.],
               [1., 1.]], dtype=float32)
    """

    _pool, _prefix = staticmethod(avg_pool2d), "avg_pool2d"


class MaxPool1D(_Pool):
    """Max pooling of signals (N, C, L): y[n, c, i] = max of x_p[n, c, i·s : i·s + f], as PyTorch's
    ``MaxPool1d`` (``ops.pooling.max_pool1d``: ``MaxPool2D``'s op on images of height 1).

    Args:
        pool_size: the window f, an int.
        strides: the step, an int; None (default) is pool_size.
        padding: "valid", "same", an int or (before, after); padding is -∞.
        data_format: "channels_first" (NCL, default) or "channels_last" (NLC).

    Shape:
        (N, C, L) -> (N, C, floor((L + 2p - f)/s) + 1)

    Example:
        >>> import glassnet as gn
        >>> MaxPool1D(2)(gn.tensor([[[1.0, 3.0, 2.0, 0.0]]])).tolist()
        [[[3.0, 2.0]]]
    """

    rank, _pool, _prefix = 1, staticmethod(max_pool1d), "max_pool1d"


class AvgPool1D(_Pool):
    """Average pooling of signals (N, C, L): y[n, c, i] = the mean of x_p[n, c, i·s : i·s + f], as
    PyTorch's ``AvgPool1d`` (``ops.pooling.avg_pool1d``).

    Args:
        pool_size, strides, data_format: as ``MaxPool1D``.
        padding: "valid"; "same" averages only the real samples of each window (Keras); an int or
            (before, after) pads zeros that count in the mean (PyTorch's default).

    Shape:
        (N, C, L) -> (N, C, floor((L + 2p - f)/s) + 1)

    Example:
        >>> import glassnet as gn
        >>> AvgPool1D(2)(gn.tensor([[[1.0, 3.0, 2.0, 0.0]]])).tolist()
        [[[2.0, 1.0]]]
    """

    rank, _pool, _prefix = 1, staticmethod(avg_pool1d), "avg_pool1d"


class _GlobalAvgPool(Spatial, Module):
    """The mean of each channel over all spatial positions."""

    _prefix = "global_avg_pool2d"

    def __init__(self, data_format="channels_first", name=None, dtype=None):
        super().__init__(name=name or _unique_name(self._prefix), dtype=dtype)
        self.data_format = check_data_format(data_format, f"{type(self).__name__} '{self.name}'")

    def build(self, input_shape):
        self.channels_first_shape(input_shape, "inputs")
        super().build(input_shape)

    def compute_output_shape(self, input_shape):
        return tuple(self.channels_first_shape(input_shape)[:2])

    def forward(self, x):
        self.channels_first_shape(x.shape, "input")
        spatial = (
            tuple(range(1, x.ndim - 1)) if self.data_format == "channels_last" else tuple(range(2, x.ndim))
        )
        return mean(x, axis=spatial)

    def explain_shape(self, input_shape) -> str:
        """The window is the whole map: one mean per channel."""
        shape = self.channels_first_shape(input_shape)
        names = "×".join(name for name in self.axis_names if name)
        sizes = "×".join(str(n) for n in shape[2:])
        return f"mean over {names} = {sizes} per channel -> {shape[1]} values; params = 0"

    def get_config(self):
        config = super().get_config()
        if self.data_format != "channels_first":
            config["data_format"] = self.data_format
        return config


class GlobalAvgPool2D(_GlobalAvgPool):
    """The mean of each channel over the whole image: y[n, c] = (1/(H·W)) Σ_i Σ_j x[n, c, i, j].

    Replaces flatten + dense in ResNet's head (torchvision's ``AdaptiveAvgPool2d(1)`` then flatten).
    Keras calls it ``GlobalAveragePooling2D`` (that name works too).

    Args:
        data_format: "channels_first" (NCHW, default) or "channels_last" (NHWC).

    Shape:
        (N, C, H, W) -> (N, C)

    Example:
        >>> import glassnet as gn
        >>> GlobalAvgPool2D()(gn.ones(2, 8, 5, 5)).shape
        (2, 8)
    """


class GlobalAvgPool1D(_GlobalAvgPool):
    """The mean of each channel over the whole signal: y[n, c] = (1/L) Σ_i x[n, c, i] (a series or a text
    summarised per channel). Keras calls it ``GlobalAveragePooling1D`` (that name works too).

    Args:
        data_format: "channels_first" (NCL, default, as PyTorch) or "channels_last" (NLC, Keras's default).

    Shape:
        (N, C, L) -> (N, C)

    Example:
        >>> import glassnet as gn
        >>> GlobalAvgPool1D()(gn.tensor([[[1.0, 3.0], [2.0, 6.0]]])).tolist()
        [[2.0, 4.0]]
    """

    rank, _prefix = 1, "global_avg_pool1d"


GlobalAveragePooling1D, GlobalAveragePooling2D = GlobalAvgPool1D, GlobalAvgPool2D  # Keras's names
