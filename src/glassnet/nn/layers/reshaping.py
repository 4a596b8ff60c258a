"""Reshaping layers: Flatten, the bridge from feature maps to dense layers, Reshape, and the border layers
ZeroPadding2D and Cropping2D (images, NCHW or with ``data_format="channels_last"`` NHWC)."""

from __future__ import annotations

import math

from glassnet.autograd.tensor import Tensor
from glassnet.backend import get_array_module
from glassnet.nn.layers.conv import Spatial, check_data_format
from glassnet.nn.module import Module
from glassnet.ops.conv import resolve_padding
from glassnet.ops.shape import concatenate, flatten, reshape

__all__ = ["Flatten", "Reshape", "ZeroPadding2D", "Cropping2D"]


class Flatten(Module):
    """Merge every axis after the batch axis into one, in row-major (C, H, W) order, as PyTorch's
    ``nn.Flatten`` (and Keras's with channels first): (N, C, H, W) -> (N, C·H·W). No parameters.

    Shape:
        (N, d1, d2, ...) -> (N, d1·d2·...)

    Example:
        >>> import glassnet as gn
        >>> Flatten()(gn.zeros(2, 32, 22, 22)).shape
        (2, 15488)
    """

    def build(self, input_shape):
        self._check(input_shape)
        super().build(input_shape)

    def _check(self, shape) -> None:
        if shape is None or len(shape) < 2:
            raise ValueError(
                f"Flatten '{self.name}' needs inputs with a batch axis and at least one more, got {shape}"
            )

    def compute_output_shape(self, input_shape):
        self._check(input_shape)
        dims = input_shape[1:]
        return (input_shape[0], None if None in dims else math.prod(dims))

    def forward(self, x):
        self._check(x.shape)
        return flatten(x)

    def explain_shape(self, input_shape) -> str:
        """The product of the non-batch sizes: "C·H·W = 32·22·22 = 15,488; params = 0"."""
        dims = tuple(input_shape[1:])
        size = self.compute_output_shape(input_shape)[1]
        result = "unknown" if size is None else f"{size:,}"
        if len(dims) == 1:
            return f"already flat: {result}; params = 0"
        names = "C·H·W" if len(dims) == 3 else "·".join(f"d{i}" for i in range(1, len(dims) + 1))
        values = "·".join(str(d) for d in dims)
        return f"{names} = {values} = {result}; params = 0"


class Reshape(Module):
    """Give each example a new shape with the same number of values (Keras's ``Reshape``): (N, 6) with
    ``target_shape=(3, 2)`` gives (N, 3, 2), for example to read features as a sequence. -1 stands for
    the one size that makes the count right. No parameters.

    Example:
        >>> import glassnet as gn
        >>> Reshape((3, 2))(gn.zeros(4, 6)).shape
        (4, 3, 2)
    """

    def __init__(self, target_shape, name=None):
        super().__init__(name=name)
        self.target_shape = tuple(int(d) for d in target_shape)
        if sum(1 for d in self.target_shape if d == -1) > 1 or any(
            d == 0 or d < -1 for d in self.target_shape
        ):
            raise ValueError(
                f"Reshape: target_shape must have positive sizes and at most one -1, got {self.target_shape}"
            )

    def compute_output_shape(self, input_shape):
        count = math.prod(input_shape[1:]) if None not in input_shape[1:] else None
        known = math.prod(d for d in self.target_shape if d != -1)
        if count is not None and (count % known or (-1 not in self.target_shape and count != known)):
            raise ValueError(
                f"Reshape '{self.name}' cannot put {count} values per example (input shape "
                f"{tuple(input_shape)}) into {self.target_shape}"
            )
        shape = tuple(count // known if d == -1 and count is not None else d for d in self.target_shape)
        return (input_shape[0],) + shape

    def build(self, input_shape):
        self.compute_output_shape(input_shape)
        super().build(input_shape)

    def forward(self, x):
        self.compute_output_shape((x.shape[0],) + tuple(x.shape[1:]))
        return reshape(x, (x.shape[0],) + self.target_shape)

    def explain_shape(self, input_shape) -> str:
        return (
            f"{math.prod(input_shape[1:])} values per example rearranged as {self.target_shape}; params = 0"
        )

    def get_config(self):
        return {**super().get_config(), "target_shape": list(self.target_shape)}


def _borders(value, who: str, what: str) -> tuple:
    """((top, bottom), (left, right)) from an int, (for H, for W) or ((top, bottom), (left, right))."""
    if isinstance(value, str):
        raise ValueError(
            f"{who}: {what} must be an int, (h, w) or ((top, bottom), (left, right)), got {value!r}"
        )
    try:
        return resolve_padding(value, (1, 1), (1, 1), (1, 1), (1, 1))
    except (TypeError, ValueError):
        raise ValueError(
            f"{who}: {what} must be an int >= 0, (h, w) or ((top, bottom), (left, right)), got {value!r}"
        ) from None


class _Border(Spatial, Module):
    """What ZeroPadding2D and Cropping2D share: the amounts per side, the image axes, the config."""

    _what = "padding"

    def __init__(self, amounts=1, data_format="channels_first", name=None):
        super().__init__(name=name)
        who = f"{type(self).__name__} '{self.name}'"
        self.amounts = _borders(amounts, who, self._what)
        self.data_format = check_data_format(data_format, who)

    def _axes(self) -> tuple:
        """The positions of H and W in the layer's data format."""
        return (1, 2) if self.data_format == "channels_last" else (2, 3)

    def build(self, input_shape):
        self.compute_output_shape(input_shape)
        super().build(input_shape)

    def compute_output_shape(self, input_shape):
        shape = self.channels_first_shape(input_shape)
        sizes = tuple(
            None if n is None else self._size(n, before, after, axis)
            for axis, n, (before, after) in zip("HW", shape[2:], self.amounts)
        )
        return self.output_shape(tuple(shape[:2]) + sizes)

    def explain_shape(self, input_shape) -> str:
        shape = self.channels_first_shape(input_shape)
        sign = "+" if self._what == "padding" else "−"
        parts = [
            f"{axis}: {n} {sign} {before} {sign} {after} = {self._size(n, before, after, axis)}"
            for axis, n, (before, after) in zip("HW", shape[2:], self.amounts)
            if n is not None
        ]
        return ", ".join(parts) + "; params = 0"

    def get_config(self):
        config = {**super().get_config(), self._what: [list(side) for side in self.amounts]}
        if self.data_format != "channels_first":
            config["data_format"] = self.data_format
        return config

    def extra_repr(self):
        return f"{self._what}={self.amounts}"


class ZeroPadding2D(_Border):
    """Add rows and columns of zeros around each image (Keras's ``ZeroPadding2D``, PyTorch's
    ``ZeroPad2d``): y = x_p, the map framed by zeros; the gradient is dL/dy without its frame.

    Args:
        padding: p on every side (int), (ph, pw) for top/bottom and left/right, or ((top, bottom),
            (left, right)).
        data_format: "channels_first" (NCHW, default) or "channels_last" (NHWC).

    Shape:
        (N, C, H, W) -> (N, C, top + H + bottom, left + W + right)

    Example:
        >>> import glassnet as gn
        >>> ZeroPadding2D(((1, 0), (0, 2)))(gn.ones(1, 1, 2, 2)).numpy()[0, 0]
        array([[0., 0., 0., 0.],
               [1., 1., 0., 0.],
               [1., 1., 0., 0.]], dtype=float32)
    """

    def __init__(self, padding=1, data_format="channels_first", name=None):
        super().__init__(padding, data_format, name)

    @property
    def padding(self) -> tuple:
        return self.amounts

    def _size(self, n, before, after, axis) -> int:
        return n + before + after

    def forward(self, x):
        self.channels_first_shape(x.shape, "input")
        xp = get_array_module(x.data)
        for axis, (before, after) in zip(self._axes(), self.amounts):
            pieces = []
            for count in (before, after):
                shape = list(x.shape)
                shape[axis] = count
                pieces.append(Tensor(xp.zeros(shape, dtype=x.dtype)) if count else None)
            if before or after:
                x = concatenate(
                    [piece for piece in (pieces[0], x, pieces[1]) if piece is not None], axis=axis
                )
        return x


class Cropping2D(_Border):
    """Cut rows and columns off each image's border (Keras's ``Cropping2D``): y = x[..., top : H - bottom,
    left : W - right]; the gradient is dL/dy framed by zeros where the border was.

    Args:
        cropping: c on every side (int), (ch, cw), or ((top, bottom), (left, right)).
        data_format: "channels_first" (NCHW, default) or "channels_last" (NHWC).

    Shape:
        (N, C, H, W) -> (N, C, H - top - bottom, W - left - right)

    Example:
        >>> import glassnet as gn
        >>> Cropping2D(((1, 0), (0, 1)))(gn.tensor([[[[1.0, 2.0], [3.0, 4.0]]]])).tolist()
        [[[[3.0]]]]
    """

    _what = "cropping"

    def __init__(self, cropping=1, data_format="channels_first", name=None):
        super().__init__(cropping, data_format, name)

    @property
    def cropping(self) -> tuple:
        return self.amounts

    def _size(self, n, before, after, axis) -> int:
        if before + after >= n:
            raise ValueError(
                f"Cropping2D '{self.name}' cuts {before} + {after} from {axis} = {n}, which leaves nothing"
            )
        return n - before - after

    def forward(self, x):
        self.compute_output_shape(x.shape)
        index = [slice(None)] * x.ndim
        for axis, (before, after) in zip(self._axes(), self.amounts):
            index[axis] = slice(before, x.shape[axis] - after)
        return x[tuple(index)]
