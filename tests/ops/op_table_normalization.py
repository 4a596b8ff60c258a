"""Rows of the op table for batch and layer normalization: BatchNorm in training (batch statistics) and in
evaluation (running statistics as constants), on (N, C) and (N, C, H, W), and channels last (``axis=-1``:
NHWC, NLC; PyTorch's side moves the axis to 1 and back); LayerNorm over the last one and
the last two axes; each with and without γ and β. PyTorch's side is ``F.batch_norm`` / ``F.layer_norm``.

BatchNorm's (N, C) rows in training take a batch of 5 (the table's seed 0 draws a batch of 1, whose
variance is 0 and which PyTorch refuses in training); the running statistics' update is checked against
PyTorch in tests/nn/test_normalization.py, where a layer owns them.
"""

from __future__ import annotations

from dataclasses import dataclass

from op_table import Row, normal, positive

from glassnet.ops.normalization import batch_norm, layer_norm


@dataclass(frozen=True)
class BatchNormCall:
    """batch_norm(x, γ, β[, running mean, running var]) for glassnet (``torch_side=False``) or PyTorch."""

    training: bool
    affine: bool = True
    torch_side: bool = False
    axis: int = 1

    def __call__(self, x, *rest):
        gamma, beta = rest[:2] if self.affine else (None, None)
        running = rest[2:] if self.affine else rest
        if self.torch_side:
            import torch.nn.functional as F

            running_mean, running_var = running if running else (None, None)
            moved = x.movedim(self.axis, 1)  # PyTorch's features sit on axis 1
            y = F.batch_norm(moved, running_mean, running_var, gamma, beta, training=self.training)
            return y.movedim(1, self.axis)
        running_mean, running_var = (r.data for r in running) if running else (None, None)
        return batch_norm(x, gamma, beta, running_mean, running_var, training=self.training, axis=self.axis)


@dataclass(frozen=True)
class LayerNormCall:
    """layer_norm(x, normalized_shape, γ, β) for glassnet or PyTorch, over the last ``ndim`` axes."""

    ndim: int
    torch_side: bool = False

    def __call__(self, x, gamma=None, beta=None):
        shape = tuple(x.shape[len(x.shape) - self.ndim :])
        if self.torch_side:
            import torch.nn.functional as F

            return F.layer_norm(x, shape, gamma, beta)
        return layer_norm(x, shape, gamma, beta)


def batch_norm_row(name, x_dims, training, affine=True, axis=1):
    params = (normal("C"), normal("C")) if affine else ()
    running = () if training else (normal("C"), positive("C"))
    inputs = (normal(*x_dims),) + params + running
    first_constant = len(inputs) - len(running)
    return Row(
        f"batch_norm_{name}",
        inputs,
        BatchNormCall(training, affine, axis=axis),
        BatchNormCall(training, affine, True, axis=axis),
        constants=tuple(range(first_constant, len(inputs))),
    )


def layer_norm_row(name, x_dims, ndim, affine=True):
    params = (normal(*x_dims[-ndim:]), normal(*x_dims[-ndim:])) if affine else ()
    return Row(
        f"layer_norm_{name}", (normal(*x_dims),) + params, LayerNormCall(ndim), LayerNormCall(ndim, True)
    )


ROWS = [
    batch_norm_row("2d_train", (5, "C"), training=True),
    batch_norm_row("4d_train", ("N", "C", 3, 2), training=True),
    batch_norm_row("2d_train_no_affine", (5, "C"), training=True, affine=False),
    batch_norm_row("2d_eval", ("N", "C"), training=False),
    batch_norm_row("4d_eval", ("N", "C", 2, 3), training=False),
    batch_norm_row("4d_eval_no_affine", ("N", "C", 2, 2), training=False, affine=False),
    batch_norm_row("4d_channels_last_train", ("N", 3, 2, "C"), training=True, axis=-1),
    batch_norm_row("3d_channels_last_eval", ("N", 3, "C"), training=False, axis=-1),
    layer_norm_row("last_axis", ("N", "T", "C"), 1),
    layer_norm_row("last_two_axes", ("N", "C", "H", "W"), 2),
    layer_norm_row("2d", ("N", "C"), 1),
    layer_norm_row("no_affine", ("N", "T", "C"), 1, affine=False),
]
