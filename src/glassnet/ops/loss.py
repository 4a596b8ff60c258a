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
from glassnet.ops.activation.logistic import Sigmoid, stable_sigmoid
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
    variable, explain_at = _HAT_Y, {"x": 2.5, "y": 1.0}

    @staticmethod
    def decompose(p, y):
        """e = ŷ - y, L = e²."""
        e = p - y
        return [("e", e, r"\hat{y} - y"), ("L", e**2, "e^{2}")]

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
    variable, explain_at = _HAT_Y, {"x": 2.5, "y": 1.0}

    @staticmethod
    def decompose(p, y):
        """e = ŷ - y, L = |e|."""
        e = p - y
        return [("e", e, r"\hat{y} - y"), ("L", e.abs(), "|e|")]

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
    variable, explain_at = _HAT_Y, {"x": 2.5, "y": 1.0, "delta": 1.0}
    hyperparameters = {"delta": r"\delta"}

    @staticmethod
    def decompose(p, y, delta=1.0):
        """The branch of the point: ½e² for |e| <= δ, else δ|e| - ½δ²."""
        e = p - y
        steps = [("e", e, r"\hat{y} - y")]
        if abs(e.item()) <= delta:
            h = e**2
            return steps + [("h", h, "e^{2}"), ("L", 0.5 * h, r"\frac{1}{2} h")]
        a = e.abs()
        b = delta * a
        return steps + [
            ("a", a, r"|e|\quad(|e| > \delta)"),
            ("b", b, r"\delta a"),
            ("L", b - 0.5 * delta * delta, r"b - \frac{1}{2}\delta^{2}"),
        ]

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
    variable, explain_at = _HAT_Y, {"x": 0.6, "y": 1.0}

    @staticmethod
    def decompose(p, y, p_symbol=_HAT_Y):
        """-[y log ŷ + (1 - y) log(1 - ŷ)] from ŷ: two paths, through log ŷ and through log(1 - ŷ)."""
        a = p.log()
        b = a * y
        c = 1.0 - p
        d = c.log()
        g = d * (1.0 - y)
        s = b + g
        return [
            ("a", a, rf"\log {p_symbol}"), ("b", b, "y a"), ("c", c, f"1 - {p_symbol}"), ("d", d, r"\log c"),
            ("g", g, "(1 - y) d"), ("s", s, "b + g"), ("L", -s, "-s"),
        ]  # fmt: skip

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
    variable, explain_at = "z", {"x": 0.4, "y": 1.0}

    @staticmethod
    def decompose(z, y):
        """ŷ = σ(z) taken apart as the sigmoid is, then binary cross-entropy of ŷ."""
        steps = Sigmoid.decompose(z)
        steps[0] = ("p", steps[0][1], "-z")
        steps[-1] = (_HAT_Y, steps[-1][1], r"\frac{1}{r} = \sigma(z)")
        return steps + BinaryCrossEntropy.decompose(steps[-1][1], y)

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
    variable, explain_at = r"\hat{y}_k", {"x": [0.6, 0.2, 0.2], "y": [1.0, 0.0, 0.0]}

    @staticmethod
    def decompose(p_k, y_k, rest):
        """The loss as a function of one class's ŷₖ; the others' terms ``rest`` = Σ_(j≠k) yⱼ log ŷⱼ fixed."""
        l = p_k.log()
        m = l * y_k
        n = -m
        return [
            ("l", l, r"\log \hat{y}_k"),
            ("m", m, rf"y_k l,\ y_k = {y_k:g}"),
            ("n", n, "-m"),
            ("L", n - rest, rf"n - \sum_{{j \ne k}} y_j \log \hat{{y}}_j = n - ({rest:.6g})"),
        ]

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
    variable, explain_at = "z_k", {"x": [2.0, 1.0, 0.1], "y": [1.0, 0.0, 0.0]}

    @staticmethod
    def decompose(z_k, y_k, others, rest):
        """The loss as a function of one logit zₖ: ``others`` = Σ_(j≠k) e^zⱼ and ``rest`` = Σ_(j≠k) yⱼ zⱼ
        held fixed (log-sum-exp written out)."""
        e = z_k.exp()
        total = e + others
        l = total.log()
        m = z_k * y_k
        n = l - m
        return [
            ("e", e, "e^{z_k}"),
            ("S", total, rf"e + \sum_{{j \ne k}} e^{{z_j}} = e + {others:.6g}"),
            ("l", l, r"\log S"),
            ("m", m, rf"y_k z_k,\ y_k = {y_k:g}"),
            ("n", n, "l - m"),
            ("L", n - rest, rf"n - \sum_{{j \ne k}} y_j z_j = n - ({rest:.6g})"),
        ]

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
    per_example = integer_targets = True
    variable, explain_at = r"\hat{y}_k", {"x": [0.6, 0.2, 0.2], "y": 0}
    decompose = CategoricalCrossEntropy.decompose  # with yₖ = [k = c]

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
    per_example = integer_targets = True
    variable, explain_at = "z_k", {"x": [2.0, 1.0, 0.1], "y": 0}
    decompose = SoftmaxCrossEntropy.decompose  # with yₖ = [k = c]

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
