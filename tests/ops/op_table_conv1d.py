"""Rows of the op table for 1-D convolution and pooling (NCL signals): ``conv1d``, ``max_pool1d`` and
``avg_pool1d`` are the 2-D ops on images of height 1, checked here against PyTorch's own 1-D ops
(``F.conv1d``, ``F.max_pool1d``, ``F.avg_pool1d``) for strides, padding ("valid", "same", "causal", int,
(before, after)) and dilation.

As in op_table_conv.py, PyTorch's side pads explicitly with the amounts glassnet resolves ("same" puts the
odd pixel after, as Keras); Keras's average over real samples only is a sum pool divided by a count pool.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import partial

from op_table import Row, distinct, normal

from glassnet.ops.conv import as_image_padding, conv1d, resolve_padding
from glassnet.ops.pooling import avg_pool1d, max_pool1d


def _pads(padding, length: int, kernel: int, stride: int, dilation: int) -> tuple:
    """(before, after) as glassnet resolves ``padding`` for a signal of ``length``."""
    image = as_image_padding(padding, kernel, dilation)
    return resolve_padding(image, (1, length), (1, kernel), (1, stride), (1, dilation))[1]


@dataclass(frozen=True)
class TorchConv1d:
    stride: int = 1
    padding: object = 0
    dilation: int = 1

    def __call__(self, x, weight, bias=None):
        import torch.nn.functional as F

        pads = _pads(self.padding, x.shape[2], weight.shape[2], self.stride, self.dilation)
        return F.conv1d(F.pad(x, pads), weight, bias, stride=self.stride, dilation=self.dilation)


@dataclass(frozen=True)
class TorchPool1d:
    kind: str
    pool_size: int = 2
    strides: int | None = None
    padding: object = 0

    def __call__(self, x):
        import torch
        import torch.nn.functional as F

        stride = self.pool_size if self.strides is None else self.strides
        pads = _pads(self.padding, x.shape[2], self.pool_size, stride, 1)
        if self.kind == "max":
            return F.max_pool1d(F.pad(x, pads, value=float("-inf")), self.pool_size, stride)
        total = F.avg_pool1d(F.pad(x, pads), self.pool_size, stride) * self.pool_size
        if self.padding != "same":
            return total / self.pool_size
        ones = F.pad(torch.ones_like(x[:1, :1]), pads)
        return total / (F.avg_pool1d(ones, self.pool_size, stride) * self.pool_size)


def conv_row(name, x_dims, kernel_dims, bias=True, **kwargs):
    inputs = (normal(*x_dims), normal(*kernel_dims)) + ((normal(kernel_dims[0]),) if bias else ())
    return Row(f"conv1d_{name}", inputs, partial(conv1d, **kwargs), TorchConv1d(**kwargs))


def pool_row(kind, name, x_dims=("N", "C", 9), **kwargs):
    op = max_pool1d if kind == "max" else avg_pool1d
    inputs = (distinct(*x_dims),) if kind == "max" else (normal(*x_dims),)
    return Row(f"{kind}_pool1d_{name}", inputs, partial(op, **kwargs), TorchPool1d(kind, **kwargs))


ROWS = [
    conv_row("k3_valid", ("N", "C", 8), ("K", "C", 3)),
    conv_row("1channel_k5_no_bias", ("N", 1, 9), (2, 1, 5), bias=False),
    conv_row("k1", ("N", "C", 5), ("K", "C", 1)),
    conv_row("stride2_pad1", ("N", "C", 9), ("K", "C", 3), stride=2, padding=1),
    conv_row("stride3_pad_1_2", ("N", 2, 10), (3, 2, 4), stride=3, padding=(1, 2)),
    conv_row("same_even_k4", ("N", "C", 7), (2, "C", 4), padding="same"),
    conv_row("same_stride2", ("N", "C", 8), (2, "C", 3), stride=2, padding="same"),
    conv_row("causal_dilation2", ("N", "C", 8), (2, "C", 3), padding="causal", dilation=2),
    conv_row("dilation3_stride2", ("N", 3, 12), (2, 3, 3), stride=2, dilation=3),
    pool_row("max", "2"),
    pool_row("max", "3_stride2_overlapping", pool_size=3, strides=2),
    pool_row("max", "3_stride1_pad1", pool_size=3, strides=1, padding=1),
    pool_row("max", "same_stride2", ("N", "C", 7), pool_size=2, padding="same"),
    pool_row("avg", "2"),
    pool_row("avg", "3_stride2_pad1", pool_size=3, strides=2, padding=1),
    pool_row("avg", "same_3_stride2", ("N", "C", 8), pool_size=3, strides=2, padding="same"),
]
