"""``UpSampling2D``: make feature maps larger by whole factors with no parameters (nearest or bilinear), the
other way up than a transposed convolution; the op is ``ops.upsampling.upsample2d``."""

from __future__ import annotations

from glassnet.nn.layers.conv import Spatial, check_data_format
from glassnet.nn.module import Module
from glassnet.ops.conv import pair
from glassnet.ops.upsampling import INTERPOLATIONS, upsample2d

__all__ = ["UpSampling2D"]


class UpSampling2D(Spatial, Module):
    """Repeat each pixel into a size_h x size_w block (``"nearest"``), or interpolate between neighbouring
    pixels (``"bilinear"``, half-pixel centers: PyTorch's ``align_corners=False`` and Keras's default).

    Args:
        size: the factor per axis, an int or (for H, for W).
        interpolation: "nearest" (default, as Keras) or "bilinear".
        data_format: "channels_first" (NCHW, default) or "channels_last" (NHWC).

    Shape:
        (N, C, H, W) -> (N, C, H·size_h, W·size_w)

    Example:
        >>> import glassnet as gn
        >>> UpSampling2D(2)(gn.tensor([[[[1.0, 2.0]]]])).tolist()
        [[[[1.0, 1.0, 2.0, 2.0], [1.0, 1.0, 2.0, 2.0]]]]
    """

    def __init__(self, size=2, interpolation: str = "nearest", data_format="channels_first", name=None):
        super().__init__(name=name)
        who = f"UpSampling2D '{self.name}'"
        self.size = pair(size, f"{who}: size")
        if min(self.size) < 1:
            raise ValueError(f"{who}: size must be >= 1, got {size!r}")
        if interpolation not in INTERPOLATIONS:
            raise ValueError(f"{who}: interpolation must be one of {INTERPOLATIONS}, got {interpolation!r}")
        self.interpolation = interpolation
        self.data_format = check_data_format(data_format, who)

    def build(self, input_shape):
        self.channels_first_shape(input_shape, "inputs")
        super().build(input_shape)

    def compute_output_shape(self, input_shape):
        shape = self.channels_first_shape(input_shape)
        sizes = tuple(None if n is None else n * s for n, s in zip(shape[2:], self.size))
        return self.output_shape(tuple(shape[:2]) + sizes)

    def forward(self, x):
        self.channels_first_shape(x.shape, "input")
        y = upsample2d(self.to_channels_first(x), self.size, self.interpolation)
        return self.to_data_format(y)

    def explain_shape(self, input_shape) -> str:
        shape = self.channels_first_shape(input_shape)
        parts = [f"{axis}: {n}·{s} = {n * s}" for axis, n, s in zip("HW", shape[2:], self.size) if n]
        return ", ".join(parts) + "; params = 0"

    def get_config(self):
        config = {**super().get_config(), "size": list(self.size), "interpolation": self.interpolation}
        if self.data_format != "channels_first":
            config["data_format"] = self.data_format
        return config

    def extra_repr(self):
        return f"size={self.size}, interpolation={self.interpolation!r}"
