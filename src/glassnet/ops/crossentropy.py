"""The cross-entropy ops (re-exported by ``glassnet.ops.loss``): binary, categorical and sparse, of
probabilities or of logits; each computes the loss of every element or example, unreduced.

Logarithms of probabilities are clamped below at -100, as PyTorch's ``BCELoss`` does, so that a predicted
probability of exactly 0 or 1 gives a large finite loss instead of infinity. Every loss here differentiates
the function it computes: where a log is clamped (p < e^-100 ≈ 3.7e-44, 0 included) its term is the constant
-100 and contributes 0 to the derivative (``_clamped_log_grad``), so BCE on p equals categorical
cross-entropy on the two classes [p, 1 - p] in value and gradient everywhere, and finite differences agree.
Keras, which clips p to [1e-7, 1 - 1e-7], also gives 0 at its clipped points. PyTorch's ``BCELoss`` backward
differs only where p(1 - p) < 1e-12: it returns (p - y) / max(p(1 - p), 1e-12), so -1e12 at p = 0 with
y = 1, a gradient of a forward that is flat there. The ``from_logits`` variants need no clamp: they use the
log-sum-exp identities.

``convention="keras"`` (a param of the three probability losses) computes Keras 3's formulas instead
(``keras.losses``, any backend), where the two differ:

| probability losses       | PyTorch (default)                | Keras 3                                      |
|--------------------------|----------------------------------|----------------------------------------------|
| log of ŷ near 0 or 1     | log clamped below at -100        | ŷ clipped to [ε, 1 - ε], ε = 1e-7, then log  |
| derivative where clamped | 0 (the clamped term is constant) | 0 outside [ε, 1 - ε] (the clip is flat)      |
| categorical rows of ŷ    | used as given                    | divided by their sum first, q = ŷ / Σ_j ŷ_j  |
| categorical derivative   | -y_k / ŷ_k                       | (g_k - Σ_j g_j q_j) / Σ_j ŷ_j,  g = -y / q   |

(Keras normalizes the predictions' rows, not the targets'.) So with one-hot targets and softmax outputs
the Keras loss equals PyTorch's, but its gradient in ŷ is PyTorch's plus Σ_k y_k / Σ_j ŷ_j (the path
through the normalizing sum): 1 for a one-hot target. The ``from_logits`` ops are the same in both.
Each op's ``keras_formula`` and ``keras_derivative`` write Keras's variant.
"""

from __future__ import annotations

from glassnet.autograd.formula import Formula
from glassnet.autograd.function import Function
from glassnet.backend import errstate, get_array_module
from glassnet.ops.activation.logistic import Sigmoid, stable_sigmoid
from glassnet.ops.activation.softmax import log_softmax_array

__all__ = [
    "BinaryCrossEntropy",
    "BinaryCrossEntropyWithLogits",
    "CategoricalCrossEntropy",
    "SoftmaxCrossEntropy",
    "SparseCategoricalCrossEntropy",
    "SparseSoftmaxCrossEntropy",
    "LOG_CLAMP",
    "KERAS_EPSILON",
    "LOSS_CONVENTIONS",
]

LOG_CLAMP = -100.0
KERAS_EPSILON = 1e-7  # keras.backend.epsilon(): Keras clips probabilities to [ε, 1 - ε]
LOSS_CONVENTIONS = ("pytorch", "keras")
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


def _keras_clip(q):
    """clip(q, ε, 1 - ε) and where q lies inside [ε, 1 - ε] (the clip's derivative: 1 there, else 0)."""
    xp = get_array_module(q)
    inside = (q >= KERAS_EPSILON) & (q <= 1 - KERAS_EPSILON)
    return xp.clip(q, KERAS_EPSILON, 1 - KERAS_EPSILON), inside


def _keras(fn) -> bool:
    """Whether the op ``fn`` computes Keras's variant (its ``convention`` param), checked."""
    convention = fn.params.get("convention", "pytorch")
    if convention not in LOSS_CONVENTIONS:
        raise ValueError(f"{fn.name}: convention must be one of {LOSS_CONVENTIONS}, got {convention!r}")
    return convention == "keras"


def _keras_categorical(fn, prediction, target):
    """Keras's categorical cross-entropy of rows ŷ: q = ŷ / Σ_j ŷ_j, -Σ_k y_k log clip(q_k, ε, 1 - ε)."""
    xp = get_array_module(prediction)
    total = prediction.sum(axis=-1, keepdims=True)
    q = prediction / total
    clipped, inside = _keras_clip(q)
    fn.saved.update(q=q, clipped=clipped, inside=inside, total=total, target=target)
    return -(target * xp.log(clipped)).sum(axis=-1)


def _keras_categorical_grad(fn, grad):
    """dL/dŷ_k = (g_k - Σ_j g_j q_j) / Σ_j ŷ_j with g = -y / clip(q) inside [ε, 1 - ε], 0 outside."""
    xp = get_array_module(grad)
    s = fn.saved
    g = xp.where(s["inside"], -s["target"] / s["clipped"], 0)
    return (g - (g * s["q"]).sum(axis=-1, keepdims=True)) / s["total"] * grad[..., None]


class BinaryCrossEntropy(Function):
    """Binary cross-entropy of a probability ŷ, each log clamped at -100. The derivative of a clamped term
    is 0 (the term is a constant there); elsewhere -y/ŷ + (1 - y)/(1 - ŷ) = (ŷ - y)/(ŷ(1 - ŷ)), PyTorch's
    value wherever ŷ(1 - ŷ) >= 1e-12 (below, PyTorch floors the denominator: see the module's docstring)."""

    name = "binary_crossentropy"
    formula = Formula(r"-[#y \log #p + (1 - #y) \log(1 - #p)]", p=_HAT_Y)
    derivative = Formula(
        r"\frac{\partial l}{\partial \hat{y}} = -\frac{#y}{#p} + \frac{1 - #y}{1 - #p}", p=_HAT_Y
    )
    keras_formula = Formula(
        r"-[#y \log c + (1 - #y) \log(1 - c)],\ c = \operatorname{clip}(#p, \epsilon, 1 - \epsilon)", p=_HAT_Y
    )
    keras_derivative = Formula(
        r"\frac{\partial l}{\partial \hat{y}} = -\frac{#y}{c} + \frac{1 - #y}{1 - c}"
        r"\text{ if }\epsilon \le #p \le 1 - \epsilon\text{ else }0",
        p=_HAT_Y,
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
        if _keras(self):
            xp = get_array_module(prediction)
            clipped, inside = _keras_clip(prediction)
            self.saved.update(clipped=clipped, inside=inside, target=target)
            return -(target * xp.log(clipped) + (1 - target) * xp.log(1 - clipped))
        self.saved.update(prediction=prediction, target=target)
        return -(target * _clamped_log(prediction) + (1 - target) * _clamped_log(1 - prediction))

    def backward(self, grad):
        if _keras(self):
            c, y = self.saved["clipped"], self.saved["target"]
            xp = get_array_module(grad)
            return grad * xp.where(self.saved["inside"], (1 - y) / (1 - c) - y / c, 0), None
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
    keras_formula = Formula(
        r"-\sum_k #y_k \log \operatorname{clip}(q_k, \epsilon, 1 - \epsilon),\ "
        r"q_k = \frac{#p_k}{\sum_j #p_j}",
        p=_HAT_Y,
    )
    keras_derivative = Formula(
        r"\frac{\partial l}{\partial \hat{y}_k} = \frac{g_k - \sum_j g_j q_j}{\sum_j #p_j},\ "
        r"g_k = -\frac{#y_k}{q_k}\text{ if }\epsilon \le q_k \le 1 - \epsilon\text{ else }0",
        p=_HAT_Y,
    )
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
        if _keras(self):
            return _keras_categorical(self, prediction, target)
        self.saved.update(prediction=prediction, target=target)
        return -(target * _clamped_log(prediction)).sum(axis=-1)

    def backward(self, grad):
        if _keras(self):
            return _keras_categorical_grad(self, grad), None
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
    keras_formula = Formula(
        r"-\log \operatorname{clip}(q_c, \epsilon, 1 - \epsilon),\ q_c = \frac{#p_c}{\sum_j #p_j}", p=_HAT_Y
    )
    keras_derivative = CategoricalCrossEntropy.keras_derivative  # with yₖ = [k = c]
    per_example = integer_targets = True
    variable, explain_at = r"\hat{y}_k", {"x": [0.6, 0.2, 0.2], "y": 0}
    decompose = CategoricalCrossEntropy.decompose  # with yₖ = [k = c]

    def forward(self, prediction, labels):
        if _keras(self):
            xp = get_array_module(prediction)
            one_hot = xp.zeros_like(prediction)
            xp.put_along_axis(one_hot, labels[..., None], 1, axis=-1)
            return _keras_categorical(self, prediction, one_hot)
        picked = _pick(prediction, labels)
        self.saved.update(shape=prediction.shape, labels=labels, picked=picked)
        return -_clamped_log(picked)

    def backward(self, grad):
        if _keras(self):
            return _keras_categorical_grad(self, grad), None
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
