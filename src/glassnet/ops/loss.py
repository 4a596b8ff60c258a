"""Losses as ops: each computes the loss of every element or example (no reduction) and its derivative.

The reduction (mean, sum or none) is applied afterwards by the ordinary ``mean``/``sum`` ops, so each
formula lives here once. Classes lie on the last axis (Keras's layout; for (N, C) inputs PyTorch's too).

Logarithms of probabilities are clamped below at -100, as PyTorch's ``BCELoss`` does, so that a predicted
probability of exactly 0 or 1 gives a large finite loss instead of infinity. Every loss here differentiates
the function it computes: where a log is clamped (p < e^-100 ≈ 3.7e-44, 0 included) its term is the constant
-100 and contributes 0 to the derivative (``_clamped_log_grad``), so BCE on p equals categorical
cross-entropy on the two classes [p, 1 - p] in value and gradient everywhere, and finite differences agree.
Keras, which clips p to [1e-7, 1 - 1e-7], also gives 0 at its clipped points. PyTorch's ``BCELoss`` backward
differs only where p(1 - p) < 1e-12: it returns (p - y) / max(p(1 - p), 1e-12), so -1e12 at p = 0 with
y = 1, a gradient of a forward that is flat there. The ``from_logits`` variants need no clamp: they use the
log-sum-exp identities.
"""

from __future__ import annotations

from glassnet.autograd.formula import Formula
from glassnet.autograd.function import Function
from glassnet.backend import errstate, get_array_module
from glassnet.ops.activation.logistic import stable_sigmoid
from glassnet.ops.activation.softmax import log_softmax_array

__all__ = [
    "SquaredError",
    "AbsoluteError",
    "HuberError",
    "BinaryCrossEntropy",
    "BinaryCrossEntropyWithLogits",
    "CategoricalCrossEntropy",
    "SoftmaxCrossEntropy",
    "SparseCategoricalCrossEntropy",
    "SparseSoftmaxCrossEntropy",
    "LOG_CLAMP",
]

LOG_CLAMP = -100.0
_HAT_Y = r"\hat{y}"  # the prediction's symbol in the formulas below


def _clamped_log(p):
    """max(log p, -100): log 0 gives -100, not -inf."""
    xp = get_array_module(p)
    with errstate(xp, divide="ignore"):
        return xp.maximum(xp.log(p), LOG_CLAMP)


def _clamped_log_grad(p, y):
    """d/dp of y·max(log p, -100): y / p where log p > -100, else 0 (the clamped term is a constant)."""
    xp = get_array_module(p)
    alive = _clamped_log(p) > LOG_CLAMP
    return xp.where(alive, y / xp.where(alive, p, 1), 0)


class SquaredError(Function):
    """Squared error of a prediction ŷ against a target y; dl/dy = -dl/dŷ."""

    name = "squared_error"
    formula = Formula("(#p - #y)^2", p=_HAT_Y)
    derivative = Formula(r"\frac{\partial l}{\partial \hat{y}} = 2(#p - #y)", p=_HAT_Y)

    def forward(self, prediction, target):
        self.saved["error"] = error = prediction - target
        return error * error

    def backward(self, grad):
        local = 2 * self.saved["error"] * grad
        return local, (-local if self.needs_input_grad[1] else None)


class AbsoluteError(Function):
    """Absolute error; the derivative is 0 at ŷ = y (the subgradient PyTorch uses)."""

    name = "absolute_error"
    formula = Formula("|#p - #y|", p=_HAT_Y)
    derivative = Formula(r"\frac{\partial l}{\partial \hat{y}} = \operatorname{sign}(#p - #y)", p=_HAT_Y)

    def forward(self, prediction, target):
        self.saved["error"] = error = prediction - target
        return get_array_module(error).abs(error)

    def backward(self, grad):
        local = get_array_module(grad).sign(self.saved["error"]) * grad
        return local, (-local if self.needs_input_grad[1] else None)


class HuberError(Function):
    """Huber's loss of the error e = ŷ - y: squared near 0, linear beyond δ (``delta``)."""

    name = "huber_error"
    formula = Formula(
        r"\frac{1}{2} e^2\text{ if }|e| \le \delta\text{ else }\delta(|e| - \frac{1}{2}\delta),\ e = #p - #y",
        p=_HAT_Y,
    )
    derivative = Formula(
        r"\frac{\partial l}{\partial \hat{y}} = e\text{ if }|e| \le \delta"
        r"\text{ else }\delta \operatorname{sign}(e)"
    )

    def forward(self, prediction, target):
        xp = get_array_module(prediction)
        delta = self.params["delta"]
        error = prediction - target
        size = xp.abs(error)
        small = size <= delta
        self.saved.update(error=error, small=small)
        return xp.where(small, 0.5 * error * error, delta * (size - 0.5 * delta))

    def backward(self, grad):
        xp = get_array_module(grad)
        error = self.saved["error"]
        local = xp.where(self.saved["small"], error, self.params["delta"] * xp.sign(error)) * grad
        return local, (-local if self.needs_input_grad[1] else None)


class BinaryCrossEntropy(Function):
    """Binary cross-entropy of a probability ŷ, each log clamped at -100. The derivative of a clamped term
    is 0 (the term is a constant there); elsewhere -y/ŷ + (1 - y)/(1 - ŷ) = (ŷ - y)/(ŷ(1 - ŷ)), PyTorch's
    value wherever ŷ(1 - ŷ) >= 1e-12 (below, PyTorch floors the denominator: see the module's docstring)."""

    name = "binary_crossentropy"
    formula = Formula(r"-[#y \log #p + (1 - #y) \log(1 - #p)]", p=_HAT_Y)
    derivative = Formula(
        r"\frac{\partial l}{\partial \hat{y}} = -\frac{#y}{#p} + \frac{1 - #y}{1 - #p}", p=_HAT_Y
    )

    def forward(self, prediction, target):
        self.saved.update(prediction=prediction, target=target)
        return -(target * _clamped_log(prediction) + (1 - target) * _clamped_log(1 - prediction))

    def backward(self, grad):
        p, y = self.saved["prediction"], self.saved["target"]
        return grad * (_clamped_log_grad(1 - p, 1 - y) - _clamped_log_grad(p, y)), None


class BinaryCrossEntropyWithLogits(Function):
    """Binary cross-entropy of a logit z: -[y log σ(z) + (1 - y) log(1 - σ(z))], in a form that cannot
    overflow."""

    name = "binary_crossentropy_logits"
    formula = Formula(r"\max(#z, 0) - #z #y + \log(1 + e^{-|#z|})")
    derivative = Formula(r"\frac{\partial l}{\partial z} = \sigma(#z) - #y")

    def forward(self, logits, target):
        xp = get_array_module(logits)
        self.saved.update(logits=logits, target=target)
        return xp.maximum(logits, 0) - logits * target + xp.log1p(xp.exp(-xp.abs(logits)))

    def backward(self, grad):
        return grad * (stable_sigmoid(self.saved["logits"]) - self.saved["target"]), None


class CategoricalCrossEntropy(Function):
    """Cross-entropy over the classes (last axis), for probabilities ŷ and one-hot (or soft) targets y;
    the derivative is 0 where log ŷ_k is clamped."""

    name = "categorical_crossentropy"
    formula = Formula(r"-\sum_k #y_k \log #p_k", p=_HAT_Y)
    derivative = Formula(r"\frac{\partial l}{\partial \hat{y}_k} = -\frac{#y_k}{#p_k}", p=_HAT_Y)
    per_example = True

    def forward(self, prediction, target):
        self.saved.update(prediction=prediction, target=target)
        return -(target * _clamped_log(prediction)).sum(axis=-1)

    def backward(self, grad):
        p, y = self.saved["prediction"], self.saved["target"]
        return -_clamped_log_grad(p, y) * grad[..., None], None


class SoftmaxCrossEntropy(Function):
    """Softmax and cross-entropy fused, on logits z: (Σ_j y_j) logsumexp(z) - Σ_j y_j z_j, whose
    derivative softmax(z) Σ_j y_j - y is ŷ - y for one-hot y."""

    name = "softmax_crossentropy"
    formula = Formula(r"-\sum_k #y_k \log \mathrm{softmax}(#z)_k")
    derivative = Formula(r"\frac{\partial l}{\partial z_k} = \mathrm{softmax}(#z)_k - #y_k")
    per_example = True

    def forward(self, logits, target):
        log_p = log_softmax_array(logits, -1)
        self.saved.update(log_p=log_p, target=target)
        return -(target * log_p).sum(axis=-1)

    def backward(self, grad):
        xp = get_array_module(grad)
        log_p, y = self.saved["log_p"], self.saved["target"]
        local = xp.exp(log_p) * y.sum(axis=-1, keepdims=True) - y
        return local * grad[..., None], None


def _pick(array, labels):
    """array[..., labels] along the last axis: the entry of each example's label."""
    xp = get_array_module(array)
    return xp.take_along_axis(array, labels[..., None], axis=-1)[..., 0]


class SparseCategoricalCrossEntropy(Function):
    """Cross-entropy of probabilities ŷ against an integer label c; [k = c] is 1 for the label's class.
    The derivative is 0 where log ŷ_c is clamped."""

    name = "sparse_categorical_crossentropy"
    formula = Formula(r"-\log #p_c", p=_HAT_Y)
    derivative = Formula(r"\frac{\partial l}{\partial \hat{y}_k} = -\frac{#y}{#p_k}", p=_HAT_Y, y="[k = c]")
    per_example = True

    def forward(self, prediction, labels):
        picked = _pick(prediction, labels)
        self.saved.update(shape=prediction.shape, labels=labels, picked=picked)
        return -_clamped_log(picked)

    def backward(self, grad):
        xp = get_array_module(grad)
        picked, labels = self.saved["picked"], self.saved["labels"]
        local = xp.zeros(self.saved["shape"], dtype=grad.dtype)
        value = -_clamped_log_grad(picked, grad)
        xp.put_along_axis(local, labels[..., None], value[..., None], axis=-1)
        return local, None


class SparseSoftmaxCrossEntropy(Function):
    """Softmax and cross-entropy fused, on logits z and an integer label c."""

    name = "sparse_softmax_crossentropy"
    formula = Formula(r"\log \sum_j e^{#z_j} - #z_c")
    derivative = Formula(r"\frac{\partial l}{\partial z_k} = \mathrm{softmax}(#z)_k - #y", y="[k = c]")
    per_example = True

    def forward(self, logits, labels):
        log_p = log_softmax_array(logits, -1)
        self.saved.update(log_p=log_p, labels=labels)
        return -_pick(log_p, labels)

    def backward(self, grad):
        xp = get_array_module(grad)
        log_p, labels = self.saved["log_p"], self.saved["labels"]
        local = xp.exp(log_p)
        xp.put_along_axis(local, labels[..., None], _pick(local, labels)[..., None] - 1, axis=-1)
        return local * grad[..., None], None
