"""Pooling layers (CURRICULUM section 9): max and average over windows, and global average pooling."""

from __future__ import annotations

from glassnet.nn.layers.conv import check_padding_argument, explain_axes, image_shape, output_sizes
from glassnet.nn.module import Module, _unique_name
from glassnet.ops.conv import pair
from glassnet.ops.pooling import avg_pool2d, max_pool2d
from glassnet.ops.reduction import mean

__all__ = ["MaxPool2D", "AvgPool2D", "GlobalAvgPool2D"]

_NO_DILATION = (1, 1)


class _Pool2D(Module):
    """What max and average pooling share: window, strides, padding, shapes, config."""

    _pool = None  # the op's function
    _prefix = "pool2d"  # default names: "max_pool2d", "max_pool2d_1", ... (not "max_pool2_d")

    def __init__(self, pool_size=2, strides=None, padding="valid", name=None):
        super().__init__(name=name or _unique_name(self._prefix))
        who = f"{type(self).__name__} '{self.name}'"
        self.pool_size = pair(pool_size, f"{who}: pool_size")
        self.strides = self.pool_size if strides is None else pair(strides, f"{who}: strides")
        if min(self.pool_size) < 1 or min(self.strides) < 1:
            raise ValueError(
                f"{who}: pool_size and strides must be >= 1, got {self.pool_size} and {self.strides}"
            )
        self.padding = check_padding_argument(padding, who)

    def build(self, input_shape):
        self._check(input_shape, "inputs")
        super().build(input_shape)

    def _check(self, shape, what: str) -> tuple:
        shape = image_shape(self, shape, what)
        known = tuple(n for n in shape[2:] if n is not None)
        if len(known) == 2:
            sizes = output_sizes(shape, self.pool_size, self.strides, self.padding, _NO_DILATION)
            if min(sizes) < 1:
                raise ValueError(
                    f"{type(self).__name__} '{self.name}': window {self.pool_size} is larger than the "
                    f"padded input {tuple(shape)} (padding {self.padding!r})"
                )
        return shape

    def compute_output_shape(self, input_shape):
        shape = image_shape(self, input_shape)
        sizes = output_sizes(shape, self.pool_size, self.strides, self.padding, _NO_DILATION)
        return tuple(shape[:2]) + sizes

    def forward(self, x):
        self._check(x.shape, "input")
        return self._pool(x, self.pool_size, self.strides, self.padding)

    def explain_shape(self, input_shape) -> str:
        """The output size per axis (the convolution's formula with f = pool_size), and no parameters."""
        shape = image_shape(self, input_shape)
        return f"{explain_axes(shape, self.pool_size, self.strides, self.padding, _NO_DILATION)}; params = 0"

    def get_config(self):
        return {
            **super().get_config(),
            "pool_size": list(self.pool_size),
            "strides": list(self.strides),
            "padding": list(self.padding) if isinstance(self.padding, tuple) else self.padding,
        }

    def extra_repr(self):
        text = f"pool_size={self.pool_size}"
        if self.strides != self.pool_size:
            text += f", strides={self.strides}"
        if self.padding != "valid":
            text += f", padding={self.padding!r}"
        return text


class MaxPool2D(_Pool2D):
    """Max pooling: each output is the largest value of its window (per channel), so a feature found
    anywhere in the window survives a small shift (translation invariance) and the map shrinks (storage).

    Args:
        pool_size: the window, an int or (KH, KW).
        strides: the step, an int or a pair; None (default) is pool_size (windows side by side).
        padding: "valid", "same" (ceil(n/s) outputs, as Keras), an int or (ph, pw); padding is -∞.

    The gradient goes to the position of each window's maximum (the first one when values tie).

    Shape:
        (N, C, H, W) -> (N, C, floor((H + 2p - KH)/s) + 1, floor((W + 2p - KW)/s) + 1)

    Example:
        >>> import glassnet as gn
        >>> MaxPool2D(2)(gn.zeros(1, 6, 28, 28)).shape
        (1, 6, 14, 14)
    """

    _pool, _prefix = staticmethod(max_pool2d), "max_pool2d"


class AvgPool2D(_Pool2D):
    """Average pooling: each output is the mean of its window (per channel).

    Args:
        pool_size, strides: as ``MaxPool2D``.
        padding: "valid"; "same" averages only the real pixels of each window (Keras); an int or (ph, pw)
            pads zeros that count in the mean (PyTorch's ``count_include_pad=True`` default).

    Shape:
        (N, C, H, W) -> (N, C, floor((H + 2p - KH)/s) + 1, floor((W + 2p - KW)/s) + 1)

    Example:
        >>> import glassnet as gn
        >>> AvgPool2D(2)(gn.ones(1, 1, 4, 4)).numpy()[0, 0]
        array([[1., 1.],
               [1., 1.]], dtype=float32)
    """

    _pool, _prefix = staticmethod(avg_pool2d), "avg_pool2d"


class GlobalAvgPool2D(Module):
    """The mean of each channel over the whole image: y[n, c] = (1/(H·W)) Σ_i Σ_j x[n, c, i, j].

    Replaces flatten + dense in ResNet's head (torchvision's ``AdaptiveAvgPool2d(1)`` then flatten).

    Shape:
        (N, C, H, W) -> (N, C)

    Example:
        >>> import glassnet as gn
        >>> GlobalAvgPool2D()(gn.ones(2, 8, 5, 5)).shape
        (2, 8)
    """

    def __init__(self, name=None, dtype=None):
        super().__init__(name=name or _unique_name("global_avg_pool2d"), dtype=dtype)

    def build(self, input_shape):
        image_shape(self, input_shape, "inputs")
        super().build(input_shape)

    def compute_output_shape(self, input_shape):
        return tuple(image_shape(self, input_shape)[:2])

    def forward(self, x):
        image_shape(self, x.shape, "input")
        return mean(x, axis=(2, 3))

    def explain_shape(self, input_shape) -> str:
        """The window is the whole map: one mean per channel."""
        _, channels, height, width = image_shape(self, input_shape)
        return f"mean over H×W = {height}×{width} per channel -> {channels} values; params = 0"
