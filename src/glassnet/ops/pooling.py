"""Pooling over windows of NCHW images: max and average, each with its local derivative; 1-D pooling of
NCL signals is the same op on the signals seen as images of height 1.

Windows come from the same strided view as convolution (``ops.conv.sliding_windows``), so the output size
is the same formula, floor((n + p_before + p_after - f)/s) + 1, and no loop runs over pixels.
"""

from __future__ import annotations

from glassnet.autograd.formula import Formula
from glassnet.autograd.function import Function
from glassnet.backend import get_array_module
from glassnet.ops.conv import (
    as_image_padding,
    check_fits,
    col2im_add,
    conv_output_size,
    pad2d,
    pair,
    resolve_padding,
    sliding_windows,
)
from glassnet.ops.shape import reshape

__all__ = ["MaxPool2D", "AvgPool2D", "max_pool2d", "avg_pool2d", "max_pool1d", "avg_pool1d"]

_NO_DILATION = (1, 1)


def _output_size(x_shape, kernel, stride, padding) -> tuple:
    return tuple(conv_output_size(n, f, s, p) for n, f, s, p in zip(x_shape[2:], kernel, stride, padding))


class MaxPool2D(Function):
    """Max pooling: dL/dy goes to the one position that held each window's maximum (the first one in
    row-major order when values tie, as PyTorch), summed where overlapping windows picked the same pixel.
    Padding is -∞, so it is never the maximum.
    """

    name = "max_pool2d"
    formula = Formula(r"y[n, c, i, j] = \max_{a,b} x_p[n, c, i s_h + a, j s_w + b]")
    derivative = Formula(
        r"\frac{\partial L}{\partial x} = \frac{\partial L}{\partial y}"
        r"\text{ at the argmax of each window, 0 elsewhere}"
    )

    def forward(self, x):
        kernel, stride, padding = self.params["kernel"], self.params["stride"], self.params["padding"]
        xp = get_array_module(x)
        padded = pad2d(x, padding, value=-xp.inf)
        windows = sliding_windows(
            padded, kernel, stride, _NO_DILATION, _output_size(x.shape, kernel, stride, padding)
        )
        # One pass per window position (KH·KW of them), each over the whole output, never over pixels.
        positions = [windows[:, :, a, b] for a in range(kernel[0]) for b in range(kernel[1])]
        best = positions[0].copy()
        if not any(self.needs_input_grad):  # no graph: the maximum is all
            for candidate in positions[1:]:
                xp.maximum(best, candidate, out=best)
            return best
        # argmax[n, c, i, j] = the window position k of the maximum, as max(argmax, k·[candidate > best so
        # far]): k grows, so the last strictly greater candidate wins, which is the first maximum on ties
        # (as PyTorch). Cheaper than a masked assignment.
        index_type = xp.uint8 if len(positions) < 256 else xp.int32
        argmax = xp.zeros(best.shape, dtype=index_type)
        greater = xp.empty(best.shape, dtype=bool)
        for k, candidate in enumerate(positions[1:], start=1):
            xp.greater(candidate, best, out=greater)
            xp.maximum(argmax, greater * index_type(k), out=argmax)
            xp.maximum(best, candidate, out=best)
        self.saved.update(argmax=argmax, padded_shape=padded.shape, x_shape=x.shape)
        return best

    def backward(self, grad):
        argmax = self.saved["argmax"]
        kernel, stride, padding = self.params["kernel"], self.params["stride"], self.params["padding"]
        xp = get_array_module(grad)
        padded_shape = self.saved["padded_shape"]
        out_h, out_w = grad.shape[2:]
        overlapping = stride[0] < kernel[0] or stride[1] < kernel[1]
        # Windows side by side that cover the padded input: every pixel is written below, none added.
        tiled = stride == kernel and (out_h * stride[0], out_w * stride[1]) == padded_shape[2:]
        grad_padded = (xp.empty if tiled else xp.zeros)(padded_shape, dtype=grad.dtype)
        chosen = xp.empty(argmax.shape, dtype=bool)
        for k in range(kernel[0] * kernel[1]):
            a, b = divmod(k, kernel[1])
            rows = slice(a, a + stride[0] * (out_h - 1) + 1, stride[0])
            cols = slice(b, b + stride[1] * (out_w - 1) + 1, stride[1])
            xp.equal(argmax, k, out=chosen)
            if overlapping:
                grad_padded[:, :, rows, cols] += grad * chosen
            else:  # each input pixel lies in one window: write the product in place
                xp.multiply(grad, chosen, out=grad_padded[:, :, rows, cols])
        (top, _), (left, _) = padding
        height, width = self.saved["x_shape"][2:]
        return grad_padded[:, :, top : top + height, left : left + width]


class AvgPool2D(Function):
    """Average pooling; each pixel gets (1/m) dL/dy from every window that holds it.

    m is KH·KW, padded zeros included (PyTorch's default for an explicit padding), unless
    ``count_padding`` is False: then m counts only the real pixels of each window (Keras's "same").
    """

    name = "avg_pool2d"
    formula = Formula(r"y[n, c, i, j] = \frac{1}{m} \sum_{a,b} x_p[n, c, i s_h + a, j s_w + b]")
    derivative = Formula(
        r"\frac{\partial L}{\partial x_p} = \sum_{\text{windows holding }x_p} \frac{1}{m}"
        r" \frac{\partial L}{\partial y}"
    )

    def forward(self, x):
        kernel, stride, padding = self.params["kernel"], self.params["stride"], self.params["padding"]
        padded = pad2d(x, padding)
        out_h, out_w = _output_size(x.shape, kernel, stride, padding)
        windows = sliding_windows(padded, kernel, stride, _NO_DILATION, (out_h, out_w))
        total = windows[:, :, 0, 0].copy()
        for a in range(kernel[0]):
            for b in range(kernel[1]):
                if a or b:
                    total += windows[:, :, a, b]
        divisor = self._divisor(x, padded.shape, (out_h, out_w))
        self.saved.update(divisor=divisor, padded_shape=padded.shape, x_shape=x.shape)
        return total / divisor

    def _divisor(self, x, padded_shape, out_size):
        """KH·KW, or (without counting padding) the number of real pixels in each window, (OH, OW)."""
        kernel, stride, padding = self.params["kernel"], self.params["stride"], self.params["padding"]
        xp = get_array_module(x)
        if self.params["count_padding"] or not any(p for side in padding for p in side):
            return x.dtype.type(kernel[0] * kernel[1])
        ones = pad2d(xp.ones((1, 1) + x.shape[2:], dtype=x.dtype), padding)
        windows = sliding_windows(ones, kernel, stride, _NO_DILATION, out_size)
        return windows.sum(axis=(2, 3))[0, 0]

    def backward(self, grad):
        kernel, stride, padding = self.params["kernel"], self.params["stride"], self.params["padding"]
        xp = get_array_module(grad)
        share = grad / self.saved["divisor"]
        n, c, out_h, out_w = grad.shape
        cols = xp.broadcast_to(share[:, :, None, None], (n, c, kernel[0], kernel[1], out_h, out_w))
        grad_padded = xp.zeros(self.saved["padded_shape"], dtype=grad.dtype)
        col2im_add(grad_padded, cols, stride, _NO_DILATION)
        (top, _), (left, _) = padding
        height, width = self.saved["x_shape"][2:]
        return grad_padded[:, :, top : top + height, left : left + width]


def _pool_arguments(x, pool_size, strides, padding, who: str):
    if x.ndim != 4:
        raise ValueError(f"{who} expects a batch of images (N, C, H, W), got shape {x.shape}")
    kernel = pair(pool_size, "pool_size")
    stride = kernel if strides is None else pair(strides, "strides")
    if min(kernel) < 1 or min(stride) < 1:
        raise ValueError(f"{who}: pool_size and strides must be >= 1, got {kernel} and {stride}")
    resolved = resolve_padding(padding, x.shape[2:], kernel, stride, _NO_DILATION)
    check_fits(x.shape, kernel, resolved, _NO_DILATION, who)
    return kernel, stride, resolved


def max_pool2d(x, pool_size=2, strides=None, padding=0):
    """Max pooling of x (N, C, H, W) over pool_size windows moved by strides (default: pool_size).

    Args:
        padding: "valid", "same" (ceil(n/s) outputs), an int or (ph, pw); padded pixels are -∞.

    Example:
        >>> import glassnet as gn
        >>> x = gn.tensor([[[[1., 2., 5., 0.], [3., 4., 1., 1.], [0., 0., 2., 2.], [9., 0., 2., 3.]]]])
        >>> max_pool2d(x).numpy()[0, 0]
        array([[4., 5.],
               [9., 3.]], dtype=float32)
    """
    kernel, stride, padding = _pool_arguments(x, pool_size, strides, padding, "max_pool2d")
    return MaxPool2D.apply(x, kernel=kernel, stride=stride, padding=padding)


def avg_pool2d(x, pool_size=2, strides=None, padding=0, count_padding=None):
    """Average pooling of x (N, C, H, W) over pool_size windows moved by strides (default: pool_size).

    Args:
        padding: "valid", "same", an int or (ph, pw); padded pixels are zeros.
        count_padding: divide by the whole window (padded zeros included) or only by its real pixels.
            None (default) follows each framework: True for an int padding (PyTorch's
            ``count_include_pad=True``), False for "same" (Keras).

    Example:
        >>> import glassnet as gn
        >>> avg_pool2d(gn.ones(1, 1, 3, 3), padding="same").numpy()[0, 0]
        array([[1., 1.],
               [1., 1.]], dtype=float32)
    """
    kernel, stride, resolved = _pool_arguments(x, pool_size, strides, padding, "avg_pool2d")
    if count_padding is None:
        count_padding = padding != "same"
    return AvgPool2D.apply(x, kernel=kernel, stride=stride, padding=resolved, count_padding=count_padding)


def _pool1d(pool, x, pool_size, strides, padding, who: str, **options):
    """``pool`` (a 2-D pooling function) over windows of the signals x (N, C, L), as images (N, C, 1, L)."""
    if x.ndim != 3:
        raise ValueError(f"{who} expects a batch of signals (N, C, L), got shape {x.shape}")
    if isinstance(pool_size, bool) or not isinstance(pool_size, int):
        raise TypeError(f"{who}: pool_size must be an int, got {pool_size!r}")
    stride = pool_size if strides is None else strides
    n, channels, length = x.shape
    y = pool(
        reshape(x, (n, channels, 1, length)),
        (1, pool_size),
        (1, stride),
        as_image_padding(padding),
        **options,
    )
    return reshape(y, (n, channels, y.shape[3]))


def max_pool1d(x, pool_size: int = 2, strides=None, padding=0):
    """Max pooling of signals x (N, C, L): y[n, c, i] = max over x_p[n, c, i·s : i·s + f] (``max_pool2d``
    on images of height 1). Padding ("valid", "same", an int or (before, after)) is -∞.

    Example:
        >>> import glassnet as gn
        >>> max_pool1d(gn.tensor([[[1.0, 3.0, 2.0, 0.0, 5.0]]])).tolist()
        [[[3.0, 2.0]]]
    """
    return _pool1d(max_pool2d, x, pool_size, strides, padding, "max_pool1d")


def avg_pool1d(x, pool_size: int = 2, strides=None, padding=0, count_padding=None):
    """Average pooling of signals x (N, C, L) (``avg_pool2d`` on images of height 1); ``count_padding``
    as there: by default padded zeros count for an int padding (PyTorch), not for "same" (Keras).

    Example:
        >>> import glassnet as gn
        >>> avg_pool1d(gn.tensor([[[1.0, 3.0, 2.0, 0.0]]])).tolist()
        [[[2.0, 1.0]]]
    """
    if count_padding is None:
        count_padding = padding != "same"
    return _pool1d(avg_pool2d, x, pool_size, strides, padding, "avg_pool1d", count_padding=count_padding)
