"""Losses as ops: each computes the loss of every element or example (no reduction) and its derivative.

The reduction (mean, sum or none) is applied afterwards by the ordinary ``mean``/``sum`` ops, so each
formula lives here once. Classes lie on the last axis (Keras's layout; for (N, C) inputs PyTorch's too).

The cross-entropies (binary, categorical, sparse; of probabilities or of logits) live in
``glassnet.ops.crossentropy``, with the log clamp and the ``convention="keras"`` variants; this module
re-exports them, so ``glassnet.ops.loss`` is the one import path of every loss op.
"""

from __future__ import annotations

from glassnet.autograd.formula import Formula
from glassnet.autograd.function import Function
from glassnet.backend import get_array_module
from glassnet.ops import crossentropy
from glassnet.ops.crossentropy import *  # noqa: F403 - this module is every loss op's one import path

__all__ = ["SquaredError", "AbsoluteError", "HuberError", *crossentropy.__all__]

_HAT_Y = r"\hat{y}"  # the prediction's symbol in the formulas below


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
