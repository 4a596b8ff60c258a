"""The transposed convolution layer (``Conv2DTranspose``): the upsampling half of generators and decoders,
the adjoint of ``Conv2D`` (``ops.conv_transpose``). It shares Conv2D's arguments, checks and config; what
differs is the kernel's layout (in_channels, filters, KH, KW), the size formula and ``output_padding``."""

from __future__ import annotations

import math

from glassnet.nn.layers.conv import _Conv
from glassnet.ops.conv_transpose import conv_transpose2d, resolve_transpose_padding, transpose_output_size

__all__ = ["Conv2DTranspose"]


class Conv2DTranspose(_Conv):
    """2-D transposed convolution: every input pixel adds its value times the kernel into the output,
    the kernels of neighbouring pixels ``strides`` apart,

        y[n, o, i·s + a·d - p, j·s + b·d - p] += W[c, o, a, b] · x[n, c, i, j]   (then f(y + b[o]))

    with output size (n - 1)·s - 2p + d·(f - 1) + output_padding + 1 per axis: the input size of the
    ``Conv2D`` with the same arguments that it is the adjoint of (its gradient with respect to the input).

    Args:
        filters: output channels.
        kernel_size, strides, dilation, use_bias, activation, weight_init, bias_init, weight_regularizer,
            bias_regularizer, data_format, name, dtype: as ``Conv2D`` (default names "conv2d_transpose",
            "conv2d_transpose_1", ...).
        padding: p, pixels cropped from each side of the output (PyTorch's ``padding``): an int or (ph, pw);
            "valid" (0) or "same" (n·s outputs, as Keras).
        output_padding: rows/cols added at the bottom/right (an int or a pair, each < max(strides,
            dilation)), to pick among the sizes a strided Conv2D maps to the same size.

    The kernel has PyTorch's layout (in_channels, filters, KH, KW): a ``torch.nn.ConvTranspose2d``'s
    weight and bias load as they are.

    Shape:
        (N, C, H, W) -> (N, filters, OH, OW); channels last: (N, H, W, C) -> (N, OH, OW, filters)

    Example:
        >>> import glassnet as gn
        >>> layer = Conv2DTranspose(16, 4, strides=2, padding=1)
        >>> layer(gn.zeros(2, 32, 7, 7)).shape, layer.weight.shape
        ((2, 16, 14, 14), (32, 16, 4, 4))
    """

    _prefix = "conv2d_transpose"
    _in_channels_axis = 0

    def __init__(self, filters: int, kernel_size, strides=1, padding="valid", output_padding=0, dilation=1,
                 **kwargs):
        super().__init__(filters, kernel_size, strides, padding, dilation, **kwargs)
        self.output_padding = self.sizes(output_padding, "output_padding")
        for axis, q, s, d in zip("HW", self.output_padding, self.strides, self.dilation):
            if q < 0 or q >= max(s, d):
                raise ValueError(
                    f"Conv2DTranspose '{self.name}': output_padding along {axis} must be in "
                    f"[0, max(strides, dilation)) = [0, {max(s, d)}), got {q}"
                )

    def _check_input(self, input_shape, what: str) -> tuple:
        shape = self.channels_first_shape(input_shape, what)
        if shape[1] is None:
            raise ValueError(
                f"Conv2DTranspose '{self.name}' needs a known number of input channels, got {shape}"
            )
        return shape

    def _kernel_shape(self, in_channels: int) -> tuple:
        return (in_channels, self.filters) + self.kernel_size

    def _sizes(self, shape) -> tuple:
        """[(n, f, s, d, crop, extra, size)] per spatial axis of the channels-first ``shape``."""
        known = tuple(m if m is not None else 1 for m in shape[2:])
        crop, extra = resolve_transpose_padding(
            self.padding, self.output_padding, known, self.kernel_size, self.strides, self.dilation
        )
        rows = []
        for n, f, s, d, c, q in zip(shape[2:], self.kernel_size, self.strides, self.dilation, crop, extra):
            size = None if n is None else transpose_output_size(n, f, s, c, q, d)
            rows.append((n, f, s, d, c, q, size))
        return rows

    def compute_output_shape(self, input_shape):
        shape = self.channels_first_shape(input_shape)
        sizes = tuple(row[-1] for row in self._sizes(shape))
        return self.output_shape((shape[0], self.filters) + sizes)

    def _convolve(self, x):
        return conv_transpose2d(
            x, self.weight, self.bias, self.strides, self.padding, self.output_padding, 1, self.dilation
        )

    def explain_shape(self, input_shape) -> str:
        """"H: (7 − 1)·2 − 1 − 1 + 3 + 0 + 1 = 14, W: ...; params = 4·4·32·16 + 16 = 8,208"."""
        shape = self.channels_first_shape(input_shape)
        parts = []
        for axis, (n, f, s, d, (before, after), q, size) in zip("HW", self._sizes(shape)):
            extent = d * (f - 1)
            if n is None:
                parts.append(f"{axis}: unknown (input size not known)")
                continue
            parts.append(f"{axis}: ({n} − 1)·{s} − {before} − {after} + {extent} + {q} + 1 = {size}")
        channels = shape[1]
        weights = "·".join(str(k) for k in self.kernel_size) + f"·{channels}·{self.filters}"
        total = math.prod(self.kernel_size) * channels * self.filters + (self.filters if self.use_bias else 0)
        count = f"{weights} + {self.filters} = {total:,}" if self.use_bias else f"{weights} = {total:,}"
        return f"{', '.join(parts)}; params = {count}"

    def get_config(self):
        return {**super().get_config(), "output_padding": list(self.output_padding)}

    def extra_repr(self):
        text = super().extra_repr()
        if self.output_padding != (0, 0):
            text += f", output_padding={self.output_padding}"
        return text
