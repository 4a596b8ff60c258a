"""Softmax and log-softmax along an axis, computed from x - max x (which cannot overflow)."""

from __future__ import annotations

from glassnet.autograd.formula import Formula
from glassnet.autograd.function import Function, op_function
from glassnet.backend import get_array_module

__all__ = ["Softmax", "LogSoftmax", "log_softmax_array", "softmax", "log_softmax"]


class Softmax(Function):
    """Softmax along ``axis``, computed from x - max x (which cannot overflow). Backward applies the
    Jacobian diag(y) - y yᵀ to dL/dy: dL/dx = y ⊙ (dL/dy - Σ_j dL/dy_j y_j)."""

    name = "softmax"
    formula = Formula(r"\frac{e^{#x_i}}{\sum_j e^{#x_j}}")
    derivative = Formula(r"\frac{\partial y_i}{\partial x_j} = y_i([i = j] - y_j)")
    variable, explain_at = "x_k", {"x": [1.0, 2.0, 0.5], "k": 0}

    @staticmethod
    def decompose(x_k, others):
        """One component yₖ as a function of xₖ, the other inputs ``others`` held fixed."""
        rest = float(get_array_module(others).exp(others).sum())
        e = x_k.exp()
        total = e + rest
        return [
            ("e", e, "e^{x_k}"),
            ("S", total, rf"e + \sum_{{j \ne k}} e^{{x_j}} = e + {rest:.6g}"),
            ("f", e / total, r"\frac{e}{S}"),
        ]

    def forward(self, x):
        xp = get_array_module(x)
        axis = self.params["axis"]
        e = xp.exp(x - x.max(axis=axis, keepdims=True))
        y = e / e.sum(axis=axis, keepdims=True)
        self.saved["y"] = y
        return y

    def backward(self, grad):
        y = self.saved["y"]
        return y * (grad - (grad * y).sum(axis=self.params["axis"], keepdims=True))


class LogSoftmax(Function):
    """Log-softmax, the log-sum-exp taken after subtracting max x; dL/dx = dL/dy - softmax(x) Σ_j dL/dy_j."""

    name = "log_softmax"
    formula = Formula(r"#x_i - \log \sum_j e^{#x_j}")
    derivative = Formula(r"\frac{\partial y_i}{\partial x_j} = [i = j] - \mathrm{softmax}(x)_j")

    def forward(self, x):
        y = log_softmax_array(x, self.params["axis"])
        self.saved["y"] = y
        return y

    def backward(self, grad):
        xp = get_array_module(grad)
        return grad - xp.exp(self.saved["y"]) * grad.sum(axis=self.params["axis"], keepdims=True)


def log_softmax_array(x, axis):
    """log softmax of an array, stable (shared by LogSoftmax and the softmax cross-entropy losses)."""
    xp = get_array_module(x)
    shifted = x - x.max(axis=axis, keepdims=True)
    return shifted - xp.log(xp.exp(shifted).sum(axis=axis, keepdims=True))


@op_function(Softmax)
def softmax(x, axis: int = -1):
    """Softmax along ``axis`` (the last by default)."""
    return Softmax.apply(x, axis=axis)


@op_function(LogSoftmax)
def log_softmax(x, axis: int = -1):
    """Log-softmax along ``axis`` (the last by default)."""
    return LogSoftmax.apply(x, axis=axis)
