"""2-D transposed convolution (NCHW), the adjoint of ``Conv2D``: its forward is Conv2D's input gradient
(col2im of Wᵀ·X) and its backward is Conv2D's forward (im2col and one GEMM), so both reuse the column layout
of ops/conv.py. It upsamples: a stride s spreads the inputs s pixels apart.

Output size per axis (PyTorch's ``ConvTranspose2d``), for padding p cropped from each side and
output_padding q added at the end (bottom, right):

    out = (n - 1)·s - 2p + d·(f - 1) + q + 1

which is the n of every input that a ``Conv2D`` with the same f, s, p, d maps to the input's size: q picks
one when s > 1 makes several n give the same size.
"""

from __future__ import annotations

from glassnet.autograd.formula import Formula
from glassnet.autograd.function import Function, op_function
from glassnet.backend import get_array_module
from glassnet.ops.conv import ColumnLayout, pad2d, pair, resolve_padding

__all__ = ["Conv2DTranspose", "conv_transpose2d", "transpose_output_size", "resolve_transpose_padding"]


def transpose_output_size(size: int, kernel: int, stride: int = 1, crop=(0, 0), extra: int = 0,
                          dilation: int = 1) -> int:
    """(n - 1)s + d(f - 1) + 1 - crop_before - crop_after + extra: the output length along one axis.

    Example:
        >>> transpose_output_size(7, 4, stride=2, crop=(1, 1)), transpose_output_size(7, 5, 2, (1, 2), 0)
        (14, 14)
    """
    return (size - 1) * stride + dilation * (kernel - 1) + 1 - crop[0] - crop[1] + extra


def resolve_transpose_padding(padding, output_padding, spatial: tuple, kernel: tuple, stride: tuple,
                              dilation: tuple) -> tuple:
    """(crop, extra): ((top, bottom), (left, right)) cut from the full output and (rows, cols) of zeros
    added at its end, from ``padding`` ("valid", "same", an int, (ph, pw) or ((t, b), (l, r))) and
    ``output_padding`` (an int or a pair).

    "same" gives n·s outputs, as Keras and TensorFlow: the adjoint of a "same" Conv2D on an input of n·s
    pixels, which pads d(f - 1) + 1 - s in all with the odd pixel bottom/right; when the kernel is
    narrower than the stride, the missing pixels are zeros at the end.
    """
    extra = pair(output_padding, "output_padding")
    if padding == "same":
        crop = []
        extra = list(extra)
        for axis, (f, s, d) in enumerate(zip(kernel, stride, dilation)):
            total = d * (f - 1) + 1 - s
            crop.append((total // 2, total - total // 2) if total >= 0 else (0, 0))
            extra[axis] += max(-total, 0)
        return tuple(crop), tuple(extra)
    crop = resolve_padding(padding, spatial, kernel, stride, dilation)
    for axis, q, s, d in zip("HW", extra, stride, dilation):
        if q < 0 or q >= max(s, d):
            raise ValueError(
                f"conv_transpose2d: output_padding along {axis} must be in [0, max(stride, dilation)) = "
                f"[0, {max(s, d)}), got {q}"
            )
    return crop, extra


class Conv2DTranspose(Function):
    """Transposed convolution with bias. X_mat (C_in, N·P) holds the input pixels as the columns of a
    Conv2D output; W_mat is the kernel (C_in, C_out/g, KH, KW) (PyTorch's layout) as (C_in, C_out·KH·KW).
    The full output col2im(W_matᵀ X_mat) has (n - 1)s + d(f - 1) + 1 pixels per axis; ``crop`` cuts pixels
    from its sides (PyTorch's padding), ``extra`` adds zero rows/cols at its end (output_padding), then the
    bias is added. Backward is Conv2D's forward on dL/dY placed back in the full output:

        dL/dX = W_mat im2col(dL/dY_full),   dL/dW_mat = X_mat im2col(dL/dY_full)ᵀ,   dL/db = Σ dL/dY

    With ``groups`` g, input channels c and output channels o meet only within the same group of C_in/g
    and C_out/g (one GEMM per group).
    """

    name = "conv2d_transpose"
    formula = Formula(
        r"y[n, o, u, v] = b[o] + \sum_{c,i,j,a,b} W[c, o, a, b]\, x[n, c, i, j] "
        r"\text{ over } i s_h + a d_h = u + p_h,\ j s_w + b d_w = v + p_w"
    )
    derivative = Formula(
        r"\frac{\partial L}{\partial X} = W_{mat} \mathrm{im2col}(\frac{\partial L}{\partial Y}), "
        r"\frac{\partial L}{\partial W} = X_{mat} \mathrm{im2col}(\frac{\partial L}{\partial Y})^{\top}, "
        r"\frac{\partial L}{\partial b} = \sum \frac{\partial L}{\partial Y}"
    )

    def forward(self, x, weight, bias):
        stride, dilation, groups = self.params["stride"], self.params["dilation"], self.params["groups"]
        (top, bottom), (left, right) = self.params["crop"]
        extra_h, extra_w = self.params["extra"]
        xp = get_array_module(x, weight)
        n, in_channels, height, width = x.shape
        per_group, out_per_group, kh, kw = in_channels // groups, weight.shape[1], *weight.shape[2:]
        full = (
            (height - 1) * stride[0] + dilation[0] * (kh - 1) + 1,
            (width - 1) * stride[1] + dilation[1] * (kw - 1) + 1,
        )
        layout = ColumnLayout((n, out_per_group) + full, (kh, kw), stride, dilation, (height, width))
        parts, x_mats = [], []
        for g in range(groups):
            inputs = slice(g * per_group, (g + 1) * per_group)
            x_mats.append(layout.output_grad(x[:, inputs]))  # (C_in/g, N·P), zero where Conv2D drops
            parts.append(layout.input_grad(weight[inputs], x_mats[-1]))  # (N, C_out/g, full_h, full_w)
        y_full = parts[0] if groups == 1 else xp.concatenate(parts, axis=1)
        y_full = pad2d(y_full, ((0, extra_h), (0, extra_w)))
        y = xp.ascontiguousarray(y_full[:, :, top : y_full.shape[2] - bottom, left : y_full.shape[3] - right])
        if bias is not None:
            y += bias[:, None, None]
        if any(self.needs_input_grad):
            # X_mat is kept for dL/dW (the same bytes as x, laid out for the GEMM: not rebuilt in backward)
            kept = x_mats if self.needs_input_grad[1] else None
            self.saved.update(x_shape=x.shape, x_mats=kept, weight=weight, layout=layout, full=full)
        return y

    def backward(self, grad):
        x_shape, weight, layout = self.saved["x_shape"], self.saved["weight"], self.saved["layout"]
        groups, full = self.params["groups"], self.saved["full"]
        xp = get_array_module(grad)
        # dL/dY placed back in the full output (the cropped pixels and the output padding get nothing)
        grad_full = pad2d(grad, self.params["crop"])[:, :, : full[0], : full[1]]
        per_group, out_per_group = x_shape[1] // groups, weight.shape[1]
        grad_x = xp.empty(x_shape, dtype=grad.dtype) if self.needs_input_grad[0] else None
        grad_w = xp.empty_like(weight) if self.needs_input_grad[1] else None
        for g in range(groups):
            inputs = slice(g * per_group, (g + 1) * per_group)
            outputs = slice(g * out_per_group, (g + 1) * out_per_group)
            cols = layout.im2col(xp.ascontiguousarray(grad_full[:, outputs]))  # (C_out/g·KH·KW, N·P)
            if grad_x is not None:
                layout.output(weight[inputs].reshape(per_group, -1) @ cols, None, out=grad_x[:, inputs])
            if grad_w is not None:
                x_mat = self.saved["x_mats"][g]
                grad_w[inputs] = layout.weight_grad(x_mat, cols).reshape(grad_w[inputs].shape)
        grad_b = grad.sum(axis=(0, 2, 3)) if self.needs_input_grad[2] else None
        return grad_x, grad_w, grad_b


@op_function(Conv2DTranspose)
def conv_transpose2d(x, weight, bias=None, stride=1, padding=0, output_padding=0, groups: int = 1,
                     dilation=1):
    """Transposed convolution of x (N, C_in, H, W) with weight (C_in, C_out/groups, KH, KW) (PyTorch's
    layout, the kernel of the Conv2D it is the adjoint of) and bias (C_out,).

    Args:
        stride, dilation: an int or (for H, for W).
        padding: pixels cropped from each side of the full output, as PyTorch's: an int, (ph, pw), or
            ((top, bottom), (left, right)); "valid" (none) or "same" (n·s outputs, as Keras).
        output_padding: zero rows/cols added at the bottom/right, each < max(stride, dilation).
        groups: split the channels into that many independent groups.

    Shape:
        (N, C_in, H, W) -> (N, C_out, OH, OW), OH = (H - 1)s - 2p + d(KH - 1) + output_padding + 1.

    Example:
        >>> import glassnet as gn
        >>> conv_transpose2d(gn.ones(1, 1, 2, 2), gn.ones(1, 1, 2, 2), stride=2).numpy()[0, 0]
        array([[1., 1., 1., 1.],
               [1., 1., 1., 1.],
               [1., 1., 1., 1.],
               [1., 1., 1., 1.]], dtype=float32)
    """
    if x.ndim != 4:
        raise ValueError(f"conv_transpose2d expects a batch of images (N, C, H, W), got shape {x.shape}")
    if weight.ndim != 4:
        raise ValueError(
            "conv_transpose2d expects a kernel (in_channels, out_channels/groups, KH, KW), "
            f"got {weight.shape}"
        )
    if isinstance(groups, bool) or not isinstance(groups, int) or groups < 1 or x.shape[1] % groups:
        raise ValueError(
            f"conv_transpose2d: groups must be a positive int dividing the {x.shape[1]} input channels, "
            f"got {groups!r}"
        )
    if x.shape[1] != weight.shape[0]:
        raise ValueError(
            f"conv_transpose2d: input has {x.shape[1]} channels (shape {x.shape}) but the kernel "
            f"{weight.shape} expects {weight.shape[0]}"
        )
    stride, dilation = pair(stride, "stride"), pair(dilation, "dilation")
    kernel = weight.shape[2:]
    crop, extra = resolve_transpose_padding(padding, output_padding, x.shape[2:], kernel, stride, dilation)
    for axis, n, f, s, d, c, q in zip("HW", x.shape[2:], kernel, stride, dilation, crop, extra):
        if transpose_output_size(n, f, s, c, q, d) < 1:
            raise ValueError(
                f"conv_transpose2d: cropping {c} along {axis} leaves no output (input shape {x.shape}, "
                f"kernel {tuple(kernel)}, stride {s})"
            )
    return Conv2DTranspose.apply(
        x, weight, bias, stride=stride, crop=crop, extra=extra, dilation=dilation, groups=groups
    )
