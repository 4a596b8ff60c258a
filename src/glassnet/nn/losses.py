"""Losses (CURRICULUM section 3): a loss is for one example, the cost is its mean over the examples.

Each class checks its inputs (shapes, label kinds, value ranges) with errors that say which loss expects
what, computes the per-element or per-example loss with its op in ``glassnet.ops.loss`` (where the formula
and derivative live), then reduces it: ``reduction="mean"`` (the cost; default), ``"sum"`` or ``"none"``.

Which output goes with which loss (the notes' pairing): regression -> linear output + MSE/MAE/Huber;
binary -> sigmoid + BinaryCrossEntropy; multi-class -> softmax + CategoricalCrossEntropy (one-hot) or
SparseCategoricalCrossEntropy (integer labels). With ``from_logits=True`` the loss takes the raw scores
z and applies sigmoid/softmax itself, in the stable log-sum-exp form (dL/dz = ŷ - y).

``reduction="none"`` returns one value per element for MSE, MAE, Huber and BCE (PyTorch's behaviour) and
one per example for the categorical losses. Targets must have the prediction's shape; the one exception
is a vector of N targets for an (N, 1) output, read as that column (never broadcast to (N, N)).

``convention=`` "pytorch" (default) or "keras" reproduces each framework's loss exactly, values and
gradients (the formulas of the Keras variants are in ``glassnet.ops.crossentropy``):

| what                        | notes         | PyTorch (default)        | Keras 3 (``convention="keras"``) |
|-----------------------------|---------------|--------------------------|----------------------------------|
| log ŷ at ŷ = 0 or 1         | infinite      | log clamped at -100      | ŷ clipped to [1e-7, 1 - 1e-7]    |
| gradient there              | -             | 0 where clamped          | 0 outside [1e-7, 1 - 1e-7]       |
| categorical/sparse ŷ rows   | softmax output| as given                 | divided by their sum first       |
| per-example loss of MSE,    | the mean      | one value per element;   | the mean over the last axis;     |
| MAE, Huber, BCE             |               | ``"sum"`` sums them all  | ``"sum"`` sums those means       |

With ``reduction="mean"`` the per-example difference cancels (a mean of means of equal rows); the
``from_logits`` losses are the same in both.
"""

from __future__ import annotations

import numpy as np

from glassnet.autograd.tensor import Tensor
from glassnet.nn.registry import Registry
from glassnet.ops import loss as L
from glassnet.ops.loss import LOSS_CONVENTIONS
from glassnet.ops.reduction import mean
from glassnet.ops.reduction import sum as sum_

__all__ = [
    "Loss",
    "MSE",
    "MAE",
    "Huber",
    "BinaryCrossEntropy",
    "CategoricalCrossEntropy",
    "SparseCategoricalCrossEntropy",
    "get",
    "registry",
]

registry = Registry("loss")
_REDUCTIONS = ("mean", "sum", "none")


class Loss:
    """Base class: ``loss(prediction, target)`` returns a scalar tensor (or per-item values for "none").

    ``op`` is the op that computes the loss of each element or example (``logits_op`` with
    ``from_logits=True``): the one home of its formula and derivative, which explain reads.
    ``convention``: "pytorch" (default) or "keras" (see the module)."""

    op = logits_op = None

    def __init__(self, reduction: str = "mean", convention: str = "pytorch"):
        if reduction not in _REDUCTIONS:
            raise ValueError(
                f"{type(self).__name__}: reduction must be one of {_REDUCTIONS}, got {reduction!r}"
            )
        if convention not in LOSS_CONVENTIONS:
            raise ValueError(
                f"{type(self).__name__}: convention must be one of {LOSS_CONVENTIONS}, got {convention!r}"
            )
        self.reduction = reduction
        self.convention = convention

    def __call__(self, prediction, target):
        if not isinstance(prediction, Tensor):
            raise TypeError(
                f"{type(self).__name__} expects the prediction as a Tensor, got {type(prediction).__name__}"
            )
        target_array = target.data if isinstance(target, Tensor) else np.asarray(target)
        values = self.compute(prediction, target_array)
        if self.convention == "keras" and values.ndim == prediction.ndim and values.ndim >= 1:
            values = mean(values, axis=-1)  # Keras's per-example loss: the mean over the last axis
        return self._reduce(values)

    def compute(self, prediction: Tensor, target):
        raise NotImplementedError

    def _reduce(self, values):
        if self.reduction == "mean":
            return mean(values)
        if self.reduction == "sum":
            return sum_(values)
        return values

    # --- shared checks ---
    def _float_target(self, prediction: Tensor, target):
        """Numeric targets of the prediction's shape, as the prediction's dtype.

        One column of outputs (N, 1) with a vector of N targets is the one mismatch accepted (as Keras
        does): the targets are read as that column, never broadcast to (N, N).
        """
        if target.dtype.kind not in "fiub":
            raise TypeError(f"{type(self).__name__} expects numeric targets, got dtype {target.dtype}")
        if prediction.ndim >= 1 and prediction.shape[-1] == 1 and target.shape == prediction.shape[:-1]:
            target = target.reshape(prediction.shape)
        if target.shape != prediction.shape:
            raise ValueError(
                f"{type(self).__name__}: prediction shape {prediction.shape} and target shape {target.shape} "
                f"differ; give targets of shape {prediction.shape} (e.g. y.reshape({prediction.shape}))"
            )
        return target.astype(prediction.dtype, copy=False)

    def get_config(self) -> dict:
        return dict(vars(self))

    def __repr__(self) -> str:
        args = ", ".join(f"{k}={v!r}" for k, v in self.get_config().items())
        return f"{type(self).__name__}({args})"


@registry.register("mse", "mean_squared_error")
class MSE(Loss):
    """Mean squared error: (1/n) Σ (ŷ - y)². Differentiable, one minimum, sensitive to outliers.
    (Some notes write ½ in front; glassnet, PyTorch and Keras do not.)

    Example:
        >>> import glassnet as gn
        >>> MSE()(gn.tensor([1.0, 2.0]), gn.tensor([0.0, 0.0])).item()
        2.5
    """

    op = L.SquaredError

    def compute(self, prediction, target):
        return L.SquaredError.apply(prediction, self._float_target(prediction, target))


@registry.register("mae", "mean_absolute_error")
class MAE(Loss):
    """Mean absolute error: (1/n) Σ |ŷ - y|. Robust to outliers; subgradient 0 at ŷ = y."""

    op = L.AbsoluteError

    def compute(self, prediction, target):
        return L.AbsoluteError.apply(prediction, self._float_target(prediction, target))


@registry.register("huber")
class Huber(Loss):
    """Huber loss: ½e² for |e| <= δ, δ(|e| - ½δ) beyond (quadratic near 0, linear for outliers)."""

    op = L.HuberError

    def __init__(self, delta: float = 1.0, reduction: str = "mean", convention: str = "pytorch"):
        super().__init__(reduction, convention)
        if not delta > 0:
            raise ValueError(f"Huber: delta must be > 0, got {delta}")
        self.delta = delta

    def compute(self, prediction, target):
        return L.HuberError.apply(prediction, self._float_target(prediction, target), delta=self.delta)


def _check_unit_interval(loss: Loss, name: str, array, hint: str = "") -> None:
    if array.size and (array.min() < 0 or array.max() > 1):
        raise ValueError(
            f"{type(loss).__name__} expects {name} in [0, 1], got values in "
            f"[{array.min():.4g}, {array.max():.4g}]{hint}"
        )


@registry.register("binary_crossentropy", "bce")
class BinaryCrossEntropy(Loss):
    """Binary cross-entropy: -[y log ŷ + (1 - y) log(1 - ŷ)] for ŷ = P(class 1) (a sigmoid output), or
    for logits z with ``from_logits=True`` (then ŷ = σ(z), computed stably). Targets in [0, 1]."""

    op = L.BinaryCrossEntropy
    logits_op = L.BinaryCrossEntropyWithLogits

    def __init__(self, from_logits: bool = False, reduction: str = "mean", convention: str = "pytorch"):
        super().__init__(reduction, convention)
        self.from_logits = from_logits

    def compute(self, prediction, target):
        target = self._float_target(prediction, target)
        _check_unit_interval(self, "targets", target)
        if self.from_logits:
            return L.BinaryCrossEntropyWithLogits.apply(prediction, target)
        _check_unit_interval(
            self,
            "predicted probabilities",
            prediction.data,
            "; pass raw scores with from_logits=True, or end the model with a sigmoid",
        )
        return L.BinaryCrossEntropy.apply(prediction, target, convention=self.convention)


def _check_classes(loss: Loss, prediction: Tensor) -> None:
    if prediction.ndim < 2:
        raise ValueError(
            f"{type(loss).__name__} expects predictions of shape (N, classes), got {prediction.shape}"
        )


@registry.register("categorical_crossentropy", "cce")
class CategoricalCrossEntropy(Loss):
    """Categorical cross-entropy: -Σ_j y_j log ŷ_j for one-hot (or soft) targets y of shape (N, classes)
    and probabilities ŷ (a softmax output), or logits with ``from_logits=True`` (fused softmax)."""

    op = L.CategoricalCrossEntropy
    logits_op = L.SoftmaxCrossEntropy

    def __init__(self, from_logits: bool = False, reduction: str = "mean", convention: str = "pytorch"):
        super().__init__(reduction, convention)
        self.from_logits = from_logits

    def compute(self, prediction, target):
        _check_classes(self, prediction)
        if target.dtype.kind in "iu" and target.shape == prediction.shape[:-1]:
            raise ValueError(
                f"CategoricalCrossEntropy expects one-hot targets of shape {prediction.shape}, got integer "
                f"labels of shape {target.shape}; use SparseCategoricalCrossEntropy for integer labels"
            )
        target = self._float_target(prediction, target)
        _check_unit_interval(self, "targets (one-hot rows)", target)
        if self.from_logits:
            return L.SoftmaxCrossEntropy.apply(prediction, target)
        _check_unit_interval(
            self,
            "predicted probabilities",
            prediction.data,
            "; pass raw scores with from_logits=True, or end the model with a softmax",
        )
        return L.CategoricalCrossEntropy.apply(prediction, target, convention=self.convention)


@registry.register("sparse_categorical_crossentropy", "scce")
class SparseCategoricalCrossEntropy(Loss):
    """Sparse categorical cross-entropy: -log ŷ_label for integer labels in [0, classes) and
    probabilities ŷ, or logits with ``from_logits=True`` (PyTorch's ``CrossEntropyLoss``).

    Labels have the prediction's shape without the class axis; a trailing axis of size 1, as Keras
    allows, is accepted too.
    """

    op = L.SparseCategoricalCrossEntropy
    logits_op = L.SparseSoftmaxCrossEntropy

    def __init__(self, from_logits: bool = False, reduction: str = "mean", convention: str = "pytorch"):
        super().__init__(reduction, convention)
        self.from_logits = from_logits

    def compute(self, prediction, labels):
        _check_classes(self, prediction)
        expected = prediction.shape[:-1]
        if labels.shape == expected + (1,):
            labels = labels.reshape(expected)
        if labels.dtype.kind not in "iu":
            raise TypeError(
                f"SparseCategoricalCrossEntropy expects integer class labels, got dtype {labels.dtype} "
                f"with shape {labels.shape}; for one-hot targets use CategoricalCrossEntropy, or convert "
                "labels with y.astype(int)"
            )
        if labels.shape != expected:
            raise ValueError(
                f"SparseCategoricalCrossEntropy: labels of shape {labels.shape} do not match "
                f"predictions of shape {prediction.shape}; expected labels of shape {expected}"
            )
        classes = prediction.shape[-1]
        if labels.size and (labels.min() < 0 or labels.max() >= classes):
            raise ValueError(
                f"SparseCategoricalCrossEntropy: labels must be in [0, {classes}), got values in "
                f"[{labels.min()}, {labels.max()}]"
            )
        if self.from_logits:
            return L.SparseSoftmaxCrossEntropy.apply(prediction, labels)
        _check_unit_interval(
            self,
            "predicted probabilities",
            prediction.data,
            "; pass raw scores with from_logits=True, or end the model with a softmax",
        )
        return L.SparseCategoricalCrossEntropy.apply(prediction, labels, convention=self.convention)


def get(identifier, **kwargs) -> Loss:
    """A loss from a name ("binary_crossentropy", "mse", ...) or a ``Loss`` instance."""
    return registry.get(identifier, **kwargs)
