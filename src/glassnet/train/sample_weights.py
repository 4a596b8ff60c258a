"""``fit(sample_weight=..., class_weight=...)``: each example's loss counts w_i times in its batch's cost,

    L = Σ_i w_i · l_i / Σ_i w_i

(l_i the loss of example i, averaged over its elements for the element-wise losses), which is PyTorch's
rule for ``CrossEntropyLoss(weight=class_weights)``: with ``class_weight`` alone, w_i = class_weight[y_i]
and the cost is PyTorch's. Keras divides by the batch size instead of Σ w_i; the two agree when the
weights of a batch average 1. With both arguments, w_i = sample_weight[i] · class_weight[y_i] (Keras's
rule). Validation and ``evaluate`` stay unweighted.
"""

from __future__ import annotations

import numpy as np

from glassnet.autograd.tensor import Tensor
from glassnet.data import DataLoader
from glassnet.ops.reduction import mean
from glassnet.ops.reduction import sum as sum_

__all__ = ["example_weights", "weighted_loss", "WeightedDataLoader"]


class WeightedDataLoader(DataLoader):
    """A ``DataLoader`` whose batches end with one more array: each example's weight (made by ``fit``)."""

    weighted = True


def _class_ids(y: np.ndarray, n: int) -> np.ndarray:
    """Class ids of targets: integer labels as they are, one-hot rows by their 1, a (N, 1) column of
    binary labels as 0/1."""
    if y.ndim >= 2 and y.shape[-1] > 1:
        return y.reshape(n, -1).argmax(axis=1)
    labels = y.reshape(n)
    if labels.dtype.kind == "f" and not np.all(labels == np.round(labels)):
        raise ValueError("class_weight needs class labels as targets (ids, 0/1 or one-hot), got real values")
    return labels.astype(np.int64)


def example_weights(y: np.ndarray, sample_weight, class_weight) -> np.ndarray | None:
    """w_i of each example (None when neither argument is given), checked: one finite weight >= 0 per
    example, and a weight for every class that occurs.

    Example:
        >>> example_weights(np.array([0, 1, 1]), None, {0: 2.0, 1: 0.5}).tolist()
        [2.0, 0.5, 0.5]
    """
    if sample_weight is None and class_weight is None:
        return None
    n = len(y)
    weights = np.ones(n, dtype=np.float64)
    if sample_weight is not None:
        given = np.asarray(sample_weight, dtype=np.float64)
        if given.shape not in ((n,), (n, 1)):
            raise ValueError(
                f"fit(): sample_weight must hold one weight per example, shape ({n},); got {given.shape}"
            )
        weights = weights * given.reshape(n)
    if class_weight is not None:
        if not isinstance(class_weight, dict):
            raise TypeError(
                f"fit(): class_weight must be a dict class id -> weight, got {type(class_weight).__name__}"
            )
        ids = _class_ids(np.asarray(y), n)
        missing = sorted(set(np.unique(ids).tolist()) - {int(k) for k in class_weight})
        if missing:
            raise ValueError(f"fit(): class_weight has no weight for the classes {missing} found in y")
        table = np.zeros(int(max(max(class_weight), ids.max())) + 1)
        for key, value in class_weight.items():
            table[int(key)] = float(value)
        weights = weights * table[ids]
    if not np.all(np.isfinite(weights)) or np.any(weights < 0):
        raise ValueError("fit(): sample and class weights must be finite and >= 0")
    if not weights.sum() > 0:
        raise ValueError("fit(): the sample and class weights are all 0: nothing would be learned")
    return weights


def weighted_loss(loss_fn, prediction: Tensor, target, weights) -> Tensor:
    """Σ_i w_i · l_i / Σ_i w_i over the batch (a batch whose weights are all 0 costs 0)."""
    target_array = target.data if isinstance(target, Tensor) else np.asarray(target)
    values = loss_fn.compute(prediction, target_array)
    per_example = mean(values, axis=tuple(range(1, values.ndim))) if values.ndim > 1 else values
    w = weights.data if isinstance(weights, Tensor) else np.asarray(weights)
    w = w.astype(per_example.dtype, copy=False)
    total = float(w.sum())
    return sum_(per_example * Tensor(w)) / (total if total > 0 else 1.0)
