"""Rows of the op table for transposed convolution and upsampling (NCHW): strides 1-3, padding,
output_padding, dilation, groups, odd and even kernels; nearest and bilinear upsampling by 1-3 per axis.

PyTorch's ``F.conv_transpose2d`` takes symmetric padding only; for "same" and ((t, b), (l, r)) its side runs
with no padding and crops (negative ``F.pad``) and pads with the amounts glassnet resolved.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import partial

from op_table import Row, normal, torch_fn

from glassnet.ops.conv import pair
from glassnet.ops.conv_transpose import conv_transpose2d, resolve_transpose_padding
from glassnet.ops.upsampling import upsample2d


@dataclass(frozen=True)
class TorchConvTranspose:
    """``F.conv_transpose2d``, with the crop and output padding done explicitly where PyTorch's padding
    argument cannot say them."""

    stride: object = 1
    padding: object = 0
    output_padding: object = 0
    groups: int = 1
    dilation: object = 1

    def __call__(self, x, weight, bias=None):
        import torch.nn.functional as F

        stride, dilation = pair(self.stride), pair(self.dilation)
        if isinstance(self.padding, int) or (
            isinstance(self.padding, tuple) and all(isinstance(p, int) for p in self.padding)
        ):
            return F.conv_transpose2d(
                x, weight, bias, stride, self.padding, self.output_padding, self.groups, dilation
            )
        crop, (extra_h, extra_w) = resolve_transpose_padding(
            self.padding, self.output_padding, tuple(x.shape[2:]), tuple(weight.shape[2:]), stride, dilation
        )
        (top, bottom), (left, right) = crop
        full = F.conv_transpose2d(x, weight, bias, stride, 0, 0, self.groups, dilation)
        cropped = F.pad(full, (-left, -right, -top, -bottom))
        # output padding: PyTorch's own adds the bias there too, so pad with the bias per channel
        return F.pad(cropped - _bias(bias, full), (0, extra_w, 0, extra_h)) + _bias(bias, full)


def _bias(bias, like):
    return 0 if bias is None else bias.reshape(1, -1, 1, 1).to(like.dtype)


def transpose_row(name, x_dims, kernel_dims, bias=True, groups=1, **kwargs):
    out_channels = kernel_dims[1] * groups
    inputs = (normal(*x_dims), normal(*kernel_dims)) + ((normal(out_channels),) if bias else ())
    return Row(
        f"conv_transpose2d_{name}",
        inputs,
        partial(conv_transpose2d, groups=groups, **kwargs),
        TorchConvTranspose(groups=groups, **kwargs),
    )


CONV_TRANSPOSE = [
    transpose_row("3x3", ("N", "C", 4, 3), ("C", "K", 3, 3)),
    transpose_row("1channel_5x5", ("N", 1, 3, 3), (1, 2, 5, 5)),
    transpose_row("even_kernel_2x4", ("N", "C", 3, 4), ("C", 3, 2, 4)),
    transpose_row("no_bias", ("N", "C", 3, 3), ("C", "K", 3, 3), bias=False),
    transpose_row("1x1_stride2", ("N", "C", 3, 2), ("C", "K", 1, 1), stride=2),
    transpose_row("stride2_pad1_4x4", ("N", "C", 3, 4), ("C", "K", 4, 4), stride=2, padding=1),
    transpose_row("stride2_output_padding1", ("N", "C", 3, 3), ("C", "K", 3, 3), stride=2, padding=1,
                  output_padding=1),
    transpose_row("stride3_pad1_output_padding2", ("N", 2, 3, 2), (2, 3, 3, 3), stride=3, padding=1,
                  output_padding=2),
    transpose_row("stride_2x1_pad_1x2", ("N", 2, 3, 4), (2, 3, 3, 5), stride=(2, 1), padding=(1, 2),
                  output_padding=(1, 0)),
    transpose_row("dilation2", ("N", "C", 3, 3), ("C", 2, 3, 3), dilation=2),
    transpose_row("dilation2_stride1_output_padding1", ("N", "C", 3, 3), ("C", 2, 2, 3), dilation=2,
                  output_padding=1),
    transpose_row("dilation_2x1_stride2_pad1", ("N", 2, 3, 3), (2, 2, 3, 3), stride=2, padding=1,
                  dilation=(2, 1)),
    transpose_row("groups2", ("N", 4, 3, 3), (4, 3, 3, 2), groups=2, stride=2, padding=1),
    transpose_row("same_5x5_stride2", ("N", "C", 3, 4), ("C", 2, 5, 5), stride=2, padding="same"),
    transpose_row("same_kernel_below_stride", ("N", "C", 2, 3), ("C", 2, 2, 2), stride=3, padding="same"),
    transpose_row("crop_asymmetric", ("N", "C", 3, 3), ("C", 2, 3, 3), stride=2, padding=((0, 1), (2, 1))),
]


def upsample_row(name, size, interpolation, x_dims=("N", "C", 3, 4)):
    return Row(
        f"upsample2d_{name}",
        (normal(*x_dims),),
        partial(upsample2d, size=size, interpolation=interpolation),
        torch_fn("F.interpolate", scale_factor=pair(size), mode=interpolation,
                 **({"align_corners": False} if interpolation == "bilinear" else {})),
    )


UPSAMPLING = [
    upsample_row("nearest_2", 2, "nearest"),
    upsample_row("nearest_3x1", (3, 1), "nearest"),
    upsample_row("bilinear_2", 2, "bilinear"),
    upsample_row("bilinear_3x2", (3, 2), "bilinear"),
    upsample_row("bilinear_1x3_single_row", (1, 3), "bilinear", ("N", "C", 1, 3)),
]

ROWS = [*CONV_TRANSPOSE, *UPSAMPLING]
