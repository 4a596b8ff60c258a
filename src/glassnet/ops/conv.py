"""2-D convolution (NCHW) as one fused op: im2col through a strided view, then one GEMM; 1-D convolution
(NCL) is the same op on the signal seen as an image of height 1.

The shared helpers here (output sizes, "same" padding, sliding windows, col2im) serve the pooling ops too,
so that the size formula of CURRICULUM section 9 lives in one place:

    out = floor((n + p_before + p_after - d·(f - 1) - 1) / s) + 1

which is floor((n + 2p - f)/s) + 1 for symmetric padding p and no dilation (d = 1).
"""

from __future__ import annotations

from glassnet.autograd.formula import Formula
from glassnet.autograd.function import Function
from glassnet.backend import get_array_module
from glassnet.ops.shape import reshape

__all__ = [
    "Conv2D",
    "conv2d",
    "conv1d",
    "as_image_padding",
    "pair",
    "conv_output_size",
    "same_padding",
    "resolve_padding",
    "sliding_windows",
    "col2im_add",
    "pad2d",
    "check_fits",
]


def pair(value, what: str = "value") -> tuple:
    """(a, a) from an int, (a, b) from a pair of ints; anything else is refused."""
    if isinstance(value, bool):
        raise TypeError(f"{what} must be an int or a pair of ints, got {value!r}")
    if isinstance(value, int):
        return (value, value)
    if (
        isinstance(value, (tuple, list))
        and len(value) == 2
        and all(isinstance(v, int) and not isinstance(v, bool) for v in value)
    ):
        return (int(value[0]), int(value[1]))
    raise TypeError(f"{what} must be an int or a pair of ints, got {value!r}")


def conv_output_size(size: int, kernel: int, stride: int = 1, padding=(0, 0), dilation: int = 1) -> int:
    """floor((n + p_before + p_after - d(f - 1) - 1)/s) + 1: the output length along one axis.

    Example:
        >>> conv_output_size(28, 3), conv_output_size(28, 3, stride=2, padding=(0, 1))
        (26, 14)
    """
    return (size + padding[0] + padding[1] - dilation * (kernel - 1) - 1) // stride + 1


def same_padding(size: int, kernel: int, stride: int = 1, dilation: int = 1) -> tuple:
    """(before, after) padding that gives ceil(n/s) outputs, as Keras's and TensorFlow's "same": the total
    is max((ceil(n/s) - 1)s + d(f - 1) + 1 - n, 0), and the odd pixel goes after (bottom, right).

    Example:
        >>> same_padding(28, 3, stride=2), same_padding(5, 4)
        ((0, 1), (1, 2))
    """
    outputs = -(-size // stride)
    total = max((outputs - 1) * stride + dilation * (kernel - 1) + 1 - size, 0)
    return (total // 2, total - total // 2)


def resolve_padding(padding, spatial: tuple, kernel: tuple, stride: tuple, dilation: tuple) -> tuple:
    """((top, bottom), (left, right)) from "valid", "same", an int, (ph, pw) or ((t, b), (l, r))."""
    if isinstance(padding, str):
        if padding == "valid":
            return ((0, 0), (0, 0))
        if padding == "same":
            return tuple(same_padding(n, f, s, d) for n, f, s, d in zip(spatial, kernel, stride, dilation))
        raise ValueError(f"padding must be 'valid', 'same', an int or (ph, pw), got {padding!r}")
    if (
        isinstance(padding, (tuple, list))
        and len(padding) == 2
        and all(isinstance(p, (tuple, list)) for p in padding)
    ):
        resolved = tuple(pair(tuple(p), "padding") for p in padding)
    else:
        ph, pw = pair(padding, "padding")
        resolved = ((ph, ph), (pw, pw))
    if any(p < 0 for side in resolved for p in side):
        raise ValueError(f"padding must be >= 0, got {padding!r}")
    return resolved


def sliding_windows(x, kernel: tuple, stride: tuple, dilation: tuple, out_size: tuple):
    """A read-only strided view of x (N, C, H, W) of shape (N, C, KH, KW, OH, OW), where
    view[n, c, a, b, i, j] = x[n, c, i·sh + a·dh, j·sw + b·dw]: no copy is made."""
    xp = get_array_module(x)
    s_n, s_c, s_h, s_w = x.strides
    (sh, sw), (dh, dw) = stride, dilation
    shape = (x.shape[0], x.shape[1], kernel[0], kernel[1], out_size[0], out_size[1])
    strides = (s_n, s_c, s_h * dh, s_w * dw, s_h * sh, s_w * sw)
    return xp.lib.stride_tricks.as_strided(x, shape=shape, strides=strides, writeable=False)


def col2im_add(target, cols, stride: tuple, dilation: tuple) -> None:
    """The adjoint of ``sliding_windows``: add cols (N, C, KH, KW, OH, OW) into target (N, C, Hp, Wp) at the
    positions the windows read, target[n, c, i·sh + a·dh, j·sw + b·dw] += cols[n, c, a, b, i, j].

    One vectorized add per kernel position (KH·KW of them), never a loop over pixels.
    """
    (sh, sw), (dh, dw) = stride, dilation
    kh, kw, oh, ow = cols.shape[2:]
    for a in range(kh):
        rows = slice(a * dh, a * dh + sh * (oh - 1) + 1, sh)
        for b in range(kw):
            target[:, :, rows, b * dw : b * dw + sw * (ow - 1) + 1 : sw] += cols[:, :, a, b]


def pad2d(x, padding: tuple, value=0):
    """x (N, C, H, W) padded by ((top, bottom), (left, right)) with ``value``; x itself when no padding."""
    (top, bottom), (left, right) = padding
    if not (top or bottom or left or right):
        return x
    xp = get_array_module(x)
    n, channels, height, width = x.shape
    padded = xp.full((n, channels, top + height + bottom, left + width + right), value, dtype=x.dtype)
    padded[:, :, top : top + height, left : left + width] = x
    return padded


class Conv2D(Function):
    """2-D cross-correlation (what deep learning calls convolution), NCHW, with bias, where x_p is x
    zero-padded. As matrices: X_col (C·KH·KW, N·P) gathers every window as a column
    (im2col), so Y = W_mat X_col with W_mat = W reshaped to (O, C·KH·KW): one GEMM. Backward:

        dL/dW_mat = dL/dY X_colᵀ,   dL/db = Σ_{n,i,j} dL/dY,   dL/dX_col = W_matᵀ dL/dY

    and dL/dx is dL/dX_col added back to the positions each window read (col2im), padding cut off. Without
    a graph (inference) the GEMM runs on groups of samples, so that nothing large is written.

    The columns are laid out so that each row of X_col is one contiguous slice. With stride 1 the windows
    of a row-major image are shifts of it: tap (a, b) of the window at position p = i·W_p + j reads x_p's
    flattened plane at p + a·d_h·W_p + b·d_w, P = (OH - 1)·W_p + OW positions (the W_p - OW positions
    between rows are computed and dropped). With stride s > 1 the image is first split into its s_h·s_w
    phases, x_p[n, c, r·s_h + ρ, q·s_w + κ] for ρ < s_h, κ < s_w (each phase a plane of ⌈H_p/s_h⌉ x
    ⌈W_p/s_w⌉ = H_q x W_q); tap (a, b) reads phase (a·d_h mod s_h, b·d_w mod s_w) shifted by
    ⌊a·d_h/s_h⌋ rows and ⌊b·d_w/s_w⌋ columns, so the same holds with P = (OH - 1)·W_q + OW.
    """

    name = "conv2d"
    formula = Formula(
        r"y[n, o, i, j] = b[o] + \sum_{c,a,b} W[o, c, a, b]\, x_p[n, c, i s_h + a d_h, j s_w + b d_w]"
    )
    derivative = Formula(
        r"\frac{\partial L}{\partial W} = \frac{\partial L}{\partial Y} X_{col}^{\top}, "
        r"\frac{\partial L}{\partial b} = \sum \frac{\partial L}{\partial Y}, "
        r"\frac{\partial L}{\partial X} = \mathrm{col2im}(W^{\top} \frac{\partial L}{\partial Y})"
    )

    def forward(self, x, weight, bias):
        stride, padding, dilation = self.params["stride"], self.params["padding"], self.params["dilation"]
        xp = get_array_module(x, weight)
        out_channels, _, kh, kw = weight.shape
        padded = xp.ascontiguousarray(pad2d(x, padding))
        out_size = (
            conv_output_size(x.shape[2], kh, stride[0], padding[0], dilation[0]),
            conv_output_size(x.shape[3], kw, stride[1], padding[1], dilation[1]),
        )
        layout = ColumnLayout(padded.shape, (kh, kw), stride, dilation, out_size)
        weight_mat = weight.reshape(out_channels, -1)
        if any(self.needs_input_grad):
            cols = layout.im2col(padded)  # (C·KH·KW, N·P): the one copy of the input, kept for backward
            self.saved.update(cols=cols, weight=weight, layout=layout, x_shape=x.shape)
            return layout.output(weight_mat @ cols, bias)
        # Without a graph nothing is kept, so the same GEMM runs on groups of samples whose columns fit in
        # cache (about twice as fast at batch 256 as one GEMM over 20 MB of columns).
        y = xp.empty((x.shape[0], out_channels) + out_size, dtype=padded.dtype)
        group = max(1, _GROUP_BYTES // (weight_mat.shape[1] * layout.positions * padded.itemsize))
        for start in range(0, x.shape[0], group):
            part = slice(start, start + group)
            layout.output(weight_mat @ layout.im2col(padded[part]), bias, out=y[part])
        return y

    def backward(self, grad):
        cols, weight, layout = self.saved["cols"], self.saved["weight"], self.saved["layout"]
        grad_mat = layout.output_grad(grad)  # (O, N·P)
        grad_x = grad_w = grad_b = None
        if self.needs_input_grad[1]:
            grad_w = layout.weight_grad(grad_mat, cols).reshape(weight.shape)
        if self.needs_input_grad[2]:
            grad_b = grad_mat.sum(axis=1)  # the dropped positions hold zeros
        if self.needs_input_grad[0]:
            grad_padded = layout.input_grad(weight, grad_mat)
            (top, _), (left, _) = self.params["padding"]
            height, width = self.saved["x_shape"][2:]
            grad_x = grad_padded[:, :, top : top + height, left : left + width]
        return grad_x, grad_w, grad_b


_BLOCK = 4096  # columns per block of the weight gradient's GEMM (see ColumnLayout.weight_grad)
_GROUP_BYTES = 4 << 20  # bytes of columns per group of samples in inference (Conv2D.forward): in L3


class ColumnLayout:
    """Where each column of X_col comes from, for one input shape: im2col, its adjoint (col2im, in
    ``input_grad``), and the mapping between GEMM output columns and (N, O, OH, OW)."""

    def __init__(self, padded_shape, kernel, stride, dilation, out_size):
        self.padded_shape, self.kernel, self.stride, self.dilation = padded_shape, kernel, stride, dilation
        self.out_size = out_size
        out_h, out_w = out_size
        self.shifted = stride == (1, 1)
        # the phase planes' size (the padded image itself with stride 1) and where each tap starts in one
        self.phase_shape = tuple(-(-size // step) for size, step in zip(padded_shape[2:], stride))
        self.row = self.phase_shape[1]
        self.positions = (out_h - 1) * self.row + out_w
        (kh, kw), (dh, dw), (sh, sw) = kernel, dilation, stride
        self.taps = [
            (a, b, (a * dh) % sh, (b * dw) % sw, (a * dh) // sh * self.row + (b * dw) // sw)
            for a in range(kh)
            for b in range(kw)
        ]  # (a, b, phase row ρ, phase column κ, start of the tap's slice in the phase plane)

    def im2col(self, padded):
        xp = get_array_module(padded)
        n, channels, _, width = padded.shape
        (kh, kw), (dh, dw) = self.kernel, self.dilation
        if not self.shifted:
            phases = self._phases(padded)  # (s_h, s_w, C, N, H_q·W_q)
            cols = xp.empty((channels, kh, kw, n, self.positions), dtype=padded.dtype)
            for a, b, rho, kappa, start in self.taps:
                cols[:, a, b] = phases[rho, kappa, :, :, start : start + self.positions]
            return cols.reshape(channels * kh * kw, n * self.positions)
        item = padded.itemsize
        s_n, s_c = padded.strides[:2]
        view = xp.lib.stride_tricks.as_strided(
            padded,
            shape=(channels, kh, kw, n, self.positions),
            strides=(s_c, dh * width * item, dw * item, s_n, item),
            writeable=False,
        )
        return xp.ascontiguousarray(view).reshape(channels * kh * kw, n * self.positions)

    def _phases(self, padded):
        """x_p (N, C, H_p, W_p) split into its stride phases, (s_h, s_w, C, N, H_q·W_q): phase (ρ, κ) holds
        x_p[:, :, ρ::s_h, κ::s_w], zeros past the image where s does not divide H_p or W_p."""
        xp = get_array_module(padded)
        n, channels = padded.shape[:2]
        (sh, sw), (hq, wq) = self.stride, self.phase_shape
        phases = xp.zeros((sh, sw, channels, n, hq, wq), dtype=padded.dtype)
        for rho in range(sh):
            for kappa in range(sw):
                plane = padded[:, :, rho::sh, kappa::sw]
                phases[rho, kappa, :, :, : plane.shape[2], : plane.shape[3]] = plane.transpose(1, 0, 2, 3)
        return phases.reshape(sh, sw, channels, n, hq * wq)

    def _output_view(self, flat, out_channels, writeable=False):
        """(N, O, OH, OW) view of a (O, N·P) array."""
        xp = get_array_module(flat)
        n, item = flat.shape[1] // self.positions, flat.itemsize
        strides = (self.positions * item, n * self.positions * item, self.row * item, item)
        return xp.lib.stride_tricks.as_strided(
            flat, shape=(n, out_channels) + self.out_size, strides=strides, writeable=writeable
        )

    def output(self, y, bias, out=None):
        """The GEMM's (O, N·P) result as a contiguous (N, O, OH, OW) array (new, or ``out``), plus the bias:
        one pass that reorders and adds."""
        xp = get_array_module(y)
        view = self._output_view(y, y.shape[0])
        if out is None:
            out = xp.empty(view.shape, dtype=y.dtype)
        if bias is None:
            out[...] = view
            return out
        return xp.add(view, bias[:, None, None], out=out)

    def output_grad(self, grad):
        """dL/dY (N, O, OH, OW) as the GEMM's (O, N·P), zero at the dropped positions."""
        xp = get_array_module(grad)
        out_channels = grad.shape[1]
        flat = xp.zeros((out_channels, self.padded_shape[0] * self.positions), dtype=grad.dtype)
        self._output_view(flat, out_channels, writeable=True)[...] = grad
        return flat

    def weight_grad(self, grad_mat, cols):
        """dL/dY X_colᵀ (O, C·KH·KW), computed as (X_col dL/dYᵀ)ᵀ and summed over blocks of 4,096 columns.

        Both choices are about OpenBLAS, not the math: with the long N·P axis as the inner dimension of a
        GEMM whose other sides are small (6 x 25 for LeNet's first layer), blocks that stay in cache run about
        four times faster than one call, and putting X_col on the left almost halves the time of the second
        layer's (16 x 150) GEMM (measured with OpenBLAS on one thread, AMD EPYC).
        """
        total = cols[:, :_BLOCK] @ grad_mat[:, :_BLOCK].T
        for start in range(_BLOCK, cols.shape[1], _BLOCK):
            total += cols[:, start : start + _BLOCK] @ grad_mat[:, start : start + _BLOCK].T
        return total.T

    def input_grad(self, weight, grad_mat):
        """dL/dx_p (N, C, H_p, W_p) = col2im(W_matᵀ dL/dY): each column of dL/dX_col added back where it
        was read.

        dL/dX_col comes from one GEMM (25 small per-tap products, each added while in cache, cost more than
        the adds they save); tap (a, b) read one slice of one phase plane (of the padded image itself with
        stride 1), so its rows W[:, :, a, b]ᵀ dL/dY (C, N·P) go back with one add into that slice; with
        stride s the phases are then put back in their places in dL/dx_p.
        """
        xp = get_array_module(grad_mat)
        n, channels, height, width = self.padded_shape
        (sh, sw), (hq, wq) = self.stride, self.phase_shape
        if self.shifted:
            grad_padded = xp.zeros(self.padded_shape, dtype=grad_mat.dtype)
            planes = grad_padded.reshape(n, channels, height * width).transpose(1, 0, 2)  # (C, N, H_p·W_p)
        else:
            phases = xp.zeros((sh, sw, channels, n, hq * wq), dtype=grad_mat.dtype)
        kh, kw = self.kernel
        grad_cols = weight.reshape(weight.shape[0], -1).T @ grad_mat  # dL/dX_col (C·KH·KW, N·P): one GEMM
        grad_cols = grad_cols.reshape(channels, kh, kw, n, self.positions)
        for a, b, rho, kappa, start in self.taps:
            plane = planes if self.shifted else phases[rho, kappa]
            plane[:, :, start : start + self.positions] += grad_cols[:, a, b]
        if self.shifted:
            return grad_padded
        grad_padded = xp.empty(self.padded_shape, dtype=grad_mat.dtype)
        for rho in range(sh):
            for kappa in range(sw):
                target = grad_padded[:, :, rho::sh, kappa::sw]
                rows, cols = target.shape[2:]
                target[...] = (
                    phases[rho, kappa].reshape(channels, n, hq, wq)[:, :, :rows, :cols].transpose(1, 0, 2, 3)
                )
        return grad_padded


def conv2d(x, weight, bias=None, stride=1, padding=0, dilation=1):
    """Convolve x (N, C, H, W) with weight (O, C, KH, KW) (PyTorch's layout) and add bias (O,).

    Args:
        stride, dilation: an int or (for H, for W).
        padding: "valid" (none), "same" (ceil(n/s) outputs, extra pixel bottom/right as in Keras), an int,
            (ph, pw), or ((top, bottom), (left, right)).

    Shape:
        (N, C, H, W) -> (N, O, OH, OW), OH = floor((H + p_top + p_bottom - d_h(KH - 1) - 1)/s_h) + 1.

    Example:
        >>> import glassnet as gn
        >>> conv2d(gn.ones(1, 1, 4, 4), gn.ones(1, 1, 3, 3), padding="same").numpy()[0, 0]
        array([[4., 6., 6., 4.],
               [6., 9., 9., 6.],
               [6., 9., 9., 6.],
               [4., 6., 6., 4.]], dtype=float32)
    """
    if x.ndim != 4:
        raise ValueError(f"conv2d expects a batch of images (N, C, H, W), got shape {x.shape}")
    if weight.ndim != 4:
        raise ValueError(f"conv2d expects a kernel (out_channels, in_channels, KH, KW), got {weight.shape}")
    if x.shape[1] != weight.shape[1]:
        raise ValueError(
            f"conv2d: input has {x.shape[1]} channels (shape {x.shape}) but the kernel {weight.shape} "
            f"expects {weight.shape[1]}"
        )
    stride, dilation = pair(stride, "stride"), pair(dilation, "dilation")
    kernel = weight.shape[2:]
    padding = resolve_padding(padding, x.shape[2:], kernel, stride, dilation)
    check_fits(x.shape, kernel, padding, dilation, "conv2d")
    return Conv2D.apply(x, weight, bias, stride=stride, padding=padding, dilation=dilation)


def check_fits(shape: tuple, kernel: tuple, padding: tuple, dilation: tuple, who: str) -> None:
    """Refuse a kernel whose (dilated) extent exceeds the padded input along H or W."""
    for axis, size, f, p, d in zip("HW", shape[2:], kernel, padding, dilation):
        extent, padded = d * (f - 1) + 1, size + p[0] + p[1]
        if extent > padded:
            raise ValueError(
                f"{who}: the kernel spans {extent} pixels along {axis} but the padded input has only "
                f"{padded} (input shape {tuple(shape)}, kernel {tuple(kernel)}, padding {p})"
            )


def as_image_padding(padding, kernel: int = 1, dilation: int = 1):
    """The padding of a 1-D signal (N, C, L) as the padding of the image (N, C, 1, L): "valid" and "same"
    as they are; "causal" (Keras) puts all d·(f - 1) zeros before the signal, so output i sees inputs up
    to i only; an int p pads both ends; (before, after) each end its own."""
    if padding in ("valid", "same"):
        return padding
    if padding == "causal":
        return ((0, 0), (dilation * (kernel - 1), 0))
    if isinstance(padding, int) and not isinstance(padding, bool):
        before = after = padding
    else:
        before, after = pair(padding, "padding")
    if before < 0 or after < 0:
        raise ValueError(f"padding must be >= 0, got {padding!r}")
    return ((0, 0), (before, after))


def conv1d(x, weight, bias=None, stride: int = 1, padding=0, dilation: int = 1):
    """Convolve signals x (N, C, L) with weight (O, C, K) (PyTorch's layout) and add bias (O,):

        y[n, o, i] = b[o] + Σ_c Σ_a W[o, c, a] · x_p[n, c, i·s + a·d]

    computed as ``conv2d`` on the signals as images of height 1 (one home for the formula and its
    derivative); the reshapes are views.

    Args:
        stride, dilation: ints.
        padding: "valid", "same" (ceil(L/s) outputs), "causal", an int or (before, after).

    Shape:
        (N, C, L) -> (N, O, floor((L + p_before + p_after - d(K - 1) - 1)/s) + 1)

    Example:
        >>> import glassnet as gn
        >>> conv1d(gn.tensor([[[1.0, 2.0, 3.0, 4.0]]]), gn.tensor([[[1.0, -1.0]]])).tolist()
        [[[-1.0, -1.0, -1.0]]]
    """
    if x.ndim != 3:
        raise ValueError(f"conv1d expects a batch of signals (N, C, L), got shape {x.shape}")
    if weight.ndim != 3:
        raise ValueError(f"conv1d expects a kernel (out_channels, in_channels, K), got {weight.shape}")
    n, channels, length = x.shape
    out_channels, _, kernel = weight.shape
    images = reshape(x, (n, channels, 1, length))
    kernels = reshape(weight, (out_channels, weight.shape[1], 1, kernel))
    padding = as_image_padding(padding, kernel, dilation)
    y = conv2d(images, kernels, bias, (1, stride), padding, (1, dilation))
    return reshape(y, (n, out_channels, y.shape[3]))
