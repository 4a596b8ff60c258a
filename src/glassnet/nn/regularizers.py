"""Weight penalties added to the loss (CURRICULUM section 8): L1 = λ Σ|w|, L2 = λ Σ w².

A layer takes one as ``weight_regularizer=``; ``model.regularization_loss()`` sums the penalties of all
layers, and the fit loop adds it to the data loss. The gradient comes from autograd:
d(λ Σ|w|)/dw = λ sign(w),  d(λ Σ w²)/dw = 2 λ w.

Note the convention: Keras's ``L2(l)`` is l Σ w², as here; PyTorch's ``weight_decay=wd`` in SGD adds
wd·w to the gradient, which equals the gradient of (wd/2) Σ w².
"""

from __future__ import annotations

from glassnet.nn.registry import Registry

__all__ = ["Regularizer", "L1", "L2", "L1L2", "get", "registry"]

registry = Registry("regularizer")


class Regularizer:
    """Base: ``penalty(weight)`` returns a scalar tensor to add to the loss."""

    def __call__(self, weight):
        return self.penalty(weight)

    def get_config(self) -> dict:
        return dict(vars(self))

    def __repr__(self) -> str:
        args = ", ".join(f"{k}={v!r}" for k, v in self.get_config().items())
        return f"{type(self).__name__}({args})"


def _check(name: str, value: float) -> float:
    if not value >= 0:
        raise ValueError(f"{name} must be >= 0, got {value}")
    return float(value)


@registry.register("l1")
class L1(Regularizer):
    """λ Σ |w|, pushing weights to exactly 0 (sparse weights); default λ = 0.01."""

    def __init__(self, l1: float = 0.01):
        self.l1 = _check("l1", l1)

    def penalty(self, weight):
        return weight.abs().sum() * self.l1


@registry.register("l2")
class L2(Regularizer):
    """λ Σ w² (weight decay), shrinking large weights; default λ = 0.01."""

    def __init__(self, l2: float = 0.01):
        self.l2 = _check("l2", l2)

    def penalty(self, weight):
        return (weight * weight).sum() * self.l2


@registry.register("l1_l2", "l1l2")
class L1L2(Regularizer):
    """λ1 Σ |w| + λ2 Σ w² (elastic net)."""

    def __init__(self, l1: float = 0.01, l2: float = 0.01):
        self.l1, self.l2 = _check("l1", l1), _check("l2", l2)

    def penalty(self, weight):
        return weight.abs().sum() * self.l1 + (weight * weight).sum() * self.l2


def get(identifier) -> Regularizer | None:
    """A regularizer from a name ("l2"), an instance, or None."""
    return None if identifier is None else registry.get(identifier)
