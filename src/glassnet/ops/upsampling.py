"""Upsampling of images (NCHW) by integer factors, nearest or bilinear, as one linear op.

Both modes are separable: each output row is a fixed mix of input rows, and likewise for columns, so
y = A_H x A_Wᵀ with an interpolation matrix per axis (``interpolation_matrix``), and the gradient is the
transposed mix. The source coordinate of output pixel u is PyTorch's (``align_corners=False``) and
Keras's (``tf.image.resize``, half-pixel centers):

    nearest:  src = floor(u / s)
    bilinear: src = max((u + 1/2) / s - 1/2, 0), mixing rows floor(src) and floor(src) + 1 (the last row
              repeated at the border) with weights 1 - λ and λ, λ = src - floor(src).
"""

from __future__ import annotations

import numpy as np

from glassnet.autograd.formula import Formula
from glassnet.autograd.function import Function, op_function
from glassnet.backend import get_array_module
from glassnet.ops.conv import pair

__all__ = ["Upsample2D", "upsample2d", "interpolation_matrix", "INTERPOLATIONS"]

INTERPOLATIONS = ("nearest", "bilinear")


def interpolation_matrix(size: int, scale: int, interpolation: str, dtype=np.float64):
    """A (size·scale, size) matrix whose row u holds the weights of the input pixels that output pixel u
    mixes (a NumPy array: a constant of the op, built on the host).

    Example:
        >>> interpolation_matrix(2, 2, "bilinear").tolist()
        [[1.0, 0.0], [0.75, 0.25], [0.25, 0.75], [0.0, 1.0]]
    """
    out = np.arange(size * scale)
    matrix = np.zeros((size * scale, size), dtype=dtype)
    if interpolation == "nearest":
        matrix[out, out // scale] = 1.0
        return matrix
    source = np.maximum((out + 0.5) / scale - 0.5, 0.0)
    low = np.floor(source).astype(int)
    high = np.minimum(low + 1, size - 1)
    weight = source - low
    np.add.at(matrix, (out, low), 1.0 - weight)
    np.add.at(matrix, (out, high), weight)
    return matrix


class Upsample2D(Function):
    """Nearest or bilinear upsampling by (s_h, s_w), as two constant mixing matrices A_H (s_h·H, H) and
    A_W (s_w·W, W) (see the module docstring for their entries); the op is linear, so its backward mixes
    the gradient back with the transposes."""

    name = "upsample2d"
    formula = Formula(r"Y = A_H X A_W^{\top}")
    derivative = Formula(r"\frac{\partial L}{\partial X} = A_H^{\top} \frac{\partial L}{\partial Y} A_W")

    def forward(self, x):
        xp = get_array_module(x)
        scale, interpolation = self.params["scale"], self.params["interpolation"]
        rows = xp.asarray(interpolation_matrix(x.shape[2], scale[0], interpolation, x.dtype))
        cols = xp.asarray(interpolation_matrix(x.shape[3], scale[1], interpolation, x.dtype))
        self.saved.update(rows=rows, cols=cols)
        return rows @ x @ cols.T

    def backward(self, grad):
        return self.saved["rows"].T @ grad @ self.saved["cols"]


@op_function(Upsample2D)
def upsample2d(x, size=2, interpolation: str = "nearest"):
    """Upsample images x (N, C, H, W) by ``size`` (an int or (for H, for W)): each pixel becomes a
    size_h x size_w block (nearest) or a smooth ramp between neighbours (bilinear), as
    ``F.interpolate(x, scale_factor=size, mode=..., align_corners=False)``.

    Shape:
        (N, C, H, W) -> (N, C, H·s_h, W·s_w)

    Example:
        >>> import glassnet as gn
        >>> upsample2d(gn.tensor([[[[1.0, 3.0]]]]), (1, 2), "bilinear").tolist()
        [[[[1.0, 1.5, 2.5, 3.0]]]]
    """
    if x.ndim != 4:
        raise ValueError(f"upsample2d expects a batch of images (N, C, H, W), got shape {x.shape}")
    if interpolation not in INTERPOLATIONS:
        raise ValueError(f"upsample2d: interpolation must be one of {INTERPOLATIONS}, got {interpolation!r}")
    scale = pair(size, "upsample2d: size")
    if min(scale) < 1:
        raise ValueError(f"upsample2d: size must be >= 1, got {size!r}")
    return Upsample2D.apply(x, scale=scale, interpolation=interpolation)
