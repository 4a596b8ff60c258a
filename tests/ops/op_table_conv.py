"""Rows of the op table for convolution and pooling (NCHW): strides 1-3, "valid", "same" (asymmetric too),
int and per-axis padding, dilation, odd and even kernels, one to four channels.

PyTorch has no "same" padding for strides above 1 (nor Keras's extra pixel bottom/right), so its side
pads explicitly with the amounts glassnet resolved, then runs ``F.conv2d`` / ``F.max_pool2d``; Keras's
average over real pixels only is PyTorch's sum pool of x divided by the sum pool of a mask of ones.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import partial

from op_table import Row, distinct, normal

from glassnet.ops.conv import conv2d, pair, resolve_padding
from glassnet.ops.pooling import avg_pool2d, max_pool2d


@dataclass(frozen=True)
class TorchConv:
    """``F.conv2d`` on x padded by the amounts glassnet resolves for the same arguments."""

    stride: object = 1
    padding: object = 0
    dilation: object = 1

    def __call__(self, x, weight, bias=None):
        import torch.nn.functional as F

        stride, dilation = pair(self.stride), pair(self.dilation)
        (top, bottom), (left, right) = resolve_padding(
            self.padding, tuple(x.shape[2:]), tuple(weight.shape[2:]), stride, dilation
        )
        return F.conv2d(F.pad(x, (left, right, top, bottom)), weight, bias, stride=stride, dilation=dilation)


@dataclass(frozen=True)
class TorchPool:
    """``F.max_pool2d`` / ``F.avg_pool2d`` on x padded explicitly (-inf for max; for the average, by
    zeros, counted or not)."""

    kind: str
    pool_size: object = 2
    strides: object = None
    padding: object = 0

    def __call__(self, x):
        import torch
        import torch.nn.functional as F

        kernel = pair(self.pool_size)
        stride = kernel if self.strides is None else pair(self.strides)
        padding = resolve_padding(self.padding, tuple(x.shape[2:]), kernel, stride, (1, 1))
        (top, bottom), (left, right) = padding
        pads = (left, right, top, bottom)
        if self.kind == "max":
            return F.max_pool2d(F.pad(x, pads, value=float("-inf")), kernel, stride)
        total = F.avg_pool2d(F.pad(x, pads), kernel, stride, divisor_override=1)
        if self.padding == "same":
            count = F.avg_pool2d(F.pad(torch.ones_like(x[:1, :1]), pads), kernel, stride, divisor_override=1)
        else:
            count = kernel[0] * kernel[1]
        return total / count


def conv_row(name, x_dims, kernel_dims, bias=True, **kwargs):
    out_channels = kernel_dims[0]
    inputs = (normal(*x_dims), normal(*kernel_dims)) + ((normal(out_channels),) if bias else ())
    return Row(f"conv2d_{name}", inputs, partial(conv2d, **kwargs), TorchConv(**kwargs))


CONV = [
    conv_row("3x3_valid", ("N", "C", 6, 5), ("K", "C", 3, 3)),
    conv_row("1channel_5x5", ("N", 1, 7, 7), (2, 1, 5, 5)),
    conv_row("even_kernel_2x4", ("N", "C", 5, 7), (3, "C", 2, 4)),
    conv_row("no_bias", ("N", "C", 5, 5), ("K", "C", 3, 3), bias=False),
    conv_row("1x1", ("N", "C", 4, 3), ("K", "C", 1, 1)),
    conv_row("stride2_valid", ("N", "C", 7, 8), ("K", "C", 3, 3), stride=2),
    conv_row("stride3_pad1", ("N", "C", 8, 7), ("K", "C", 3, 3), stride=3, padding=1),
    conv_row("stride_2x1_pad_1x2", ("N", 2, 6, 5), (3, 2, 3, 2), stride=(2, 1), padding=(1, 2)),
    conv_row("same_3x3", ("N", "C", 5, 6), ("K", "C", 3, 3), padding="same"),
    conv_row("same_even_4x4", ("N", "C", 5, 6), (2, "C", 4, 4), padding="same"),
    conv_row("same_stride2_asymmetric", ("N", "C", 7, 6), (2, "C", 3, 3), stride=2, padding="same"),
    conv_row("same_stride3", ("N", 3, 8, 7), (2, 3, 4, 3), stride=3, padding="same"),
    conv_row("dilation2", ("N", "C", 7, 7), (2, "C", 3, 3), dilation=2),
    conv_row("dilation_2x1_same", ("N", "C", 6, 5), (2, "C", 3, 2), dilation=(2, 1), padding="same"),
    conv_row("dilation2_stride2_pad2", ("N", 2, 9, 8), (3, 2, 3, 3), stride=2, padding=2, dilation=2),
]


def pool_row(kind, name, x_dims=("N", "C", 6, 7), **kwargs):
    op = max_pool2d if kind == "max" else avg_pool2d
    # Distinct values: no two pixels of a window tie, so the max is differentiable (ties: test_pooling).
    inputs = (distinct(*x_dims),) if kind == "max" else (normal(*x_dims),)
    return Row(f"{kind}_pool2d_{name}", inputs, partial(op, **kwargs), TorchPool(kind, **kwargs))


POOLING = [
    pool_row("max", "2x2"),
    pool_row("max", "3x3_stride2_overlapping", pool_size=3, strides=2),
    pool_row("max", "3x3_stride1_pad1", pool_size=3, strides=1, padding=1),
    pool_row("max", "2x3_stride_1x2", pool_size=(2, 3), strides=(1, 2)),
    pool_row("max", "same_stride2", ("N", "C", 5, 7), pool_size=2, padding="same"),
    pool_row("max", "same_3x3_stride2", ("N", "C", 6, 5), pool_size=3, strides=2, padding="same"),
    pool_row("avg", "2x2"),
    pool_row("avg", "3x3_stride2_pad1", pool_size=3, strides=2, padding=1),
    pool_row("avg", "2x3_stride_2x1", pool_size=(2, 3), strides=(2, 1)),
    pool_row("avg", "same_3x3_stride2", ("N", "C", 6, 5), pool_size=3, strides=2, padding="same"),
    pool_row("avg", "same_2x2", ("N", "C", 5, 7), padding="same"),
]

ROWS = [*CONV, *POOLING]
