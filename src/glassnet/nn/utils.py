"""Gradient clipping in place (PyTorch's ``torch.nn.utils``): the cure for exploding gradients in
recurrent networks, where dL/dh_{t-k} is a product of k Jacobians and can grow like (1.01)^365
(CURRICULUM section 4). The optimizers' ``clipnorm`` / ``clipvalue`` / ``global_clipnorm`` do the same
inside ``step()``, Keras's way."""

from __future__ import annotations

import math

from glassnet.backend import get_array_module

__all__ = ["clip_grad_norm_", "clip_grad_value_", "to_categorical"]


def to_categorical(y, num_classes: int | None = None, dtype="float32"):
    """Class ids as one-hot rows (Keras's ``utils.to_categorical``): row i has a 1 in column y[i].

    Args:
        y: integer class ids 0..k-1, any shape (a trailing axis of 1 is dropped, as Keras does).
        num_classes: the number of columns (default: max(y) + 1).
        dtype: of the result.

    Example:
        >>> to_categorical([0, 2, 1]).tolist()
        [[1.0, 0.0, 0.0], [0.0, 0.0, 1.0], [0.0, 1.0, 0.0]]
    """
    import numpy as np  # noqa: PLC0415 - labels are host data, whatever the backend

    labels = np.asarray(y)
    if labels.dtype.kind not in "iu" and not (
        labels.dtype.kind == "f" and np.all(labels == np.round(labels))
    ):
        raise TypeError(f"to_categorical expects integer class ids, got dtype {labels.dtype}")
    labels = labels.astype(np.int64)
    if labels.ndim > 1 and labels.shape[-1] == 1:
        labels = labels[..., 0]
    classes = int(labels.max()) + 1 if num_classes is None else int(num_classes)
    if labels.size and (labels.min() < 0 or labels.max() >= classes):
        raise ValueError(
            f"to_categorical: class ids must be in [0, {classes}), "
            f"got values in [{labels.min()}, {labels.max()}]"
        )
    return np.eye(classes, dtype=dtype)[labels]


def _grads(parameters):
    if hasattr(parameters, "grad"):
        parameters = [parameters]
    return [p.grad for p in parameters if p.grad is not None]


def clip_grad_norm_(parameters, max_norm: float, norm_type: float = 2.0) -> float:
    """Scale all gradients together so that their total norm is at most ``max_norm``; returns the total
    norm before clipping (useful to log). As ``torch.nn.utils.clip_grad_norm_``:

        n = ||(g_1, ..., g_k)||_p,   g_i <- g_i · min(1, max_norm / (n + 1e-6))

    Args:
        parameters: a parameter or an iterable of them (``model.parameters()``); those without a gradient
            are skipped.
        max_norm: the largest total norm allowed.
        norm_type: p of the norm (2 by default; ``float("inf")`` for the largest |entry|).

    Example:
        >>> import numpy as np; from glassnet.nn import Parameter
        >>> w = Parameter(np.zeros(2)); w.grad = np.array([3.0, 4.0])
        >>> clip_grad_norm_([w], max_norm=1.0), w.grad.round(4).tolist()
        (5.0, [0.6, 0.8])
    """
    grads = _grads(parameters)
    if not grads:
        return 0.0
    if norm_type == math.inf:
        total = max(float(abs(g).max()) for g in grads)
    else:
        total = sum(float((abs(g.astype("float64")) ** norm_type).sum()) for g in grads) ** (1.0 / norm_type)
    coefficient = max_norm / (total + 1e-6)
    if coefficient < 1:
        for g in grads:
            g *= coefficient
    return total


def clip_grad_value_(parameters, clip_value: float) -> None:
    """Clip every gradient entry to [-clip_value, clip_value], in place (``torch.nn.utils.clip_grad_value_``).

    Example:
        >>> import numpy as np; from glassnet.nn import Parameter
        >>> w = Parameter(np.zeros(3)); w.grad = np.array([-5.0, 0.5, 2.0])
        >>> clip_grad_value_(w, 1.0); w.grad.tolist()
        [-1.0, 0.5, 1.0]
    """
    for g in _grads(parameters):
        get_array_module(g).clip(g, -clip_value, clip_value, out=g)
