"""The identity and the perceptron's step: the activations of a linear output and of the notes' first
neuron."""

from __future__ import annotations

from glassnet.autograd.formula import Formula
from glassnet.autograd.function import Function, op_function

__all__ = ["Identity", "Step", "step", "identity"]


class Identity(Function):
    """The identity ("linear" activation), for regression outputs. ``identity(x)`` returns x itself and
    records nothing; the class holds the formula that worked solutions show."""

    name = "identity"
    formula = Formula("#x")
    derivative = Formula(r"\frac{dy}{dx} = 1")
    explain_at = {"x": 0.5}

    def forward(self, x):
        return x

    def backward(self, grad):
        return grad

    @staticmethod
    def decompose(x):
        """f = 1·x."""
        return [("f", x * 1.0, r"1 \cdot x")]


class Step(Function):
    """The perceptron's step (θ = ``threshold``). Its derivative is 0 wherever it is defined, so gradient
    descent cannot train through it: the perceptron rule does."""

    name = "step"
    formula = Formula(r"1\text{ if }#x > \theta\text{ else }0")
    derivative = Formula(r"\frac{dy}{dx} = 0")
    hyperparameters = {"threshold": r"\theta"}
    explain_at = {"x": 0.5, "threshold": 0.0}

    @staticmethod
    def decompose(x, threshold=0.0):
        """f = 0·x + s, the step s = [x > θ] a constant on each side of θ."""
        s = 1.0 if x.item() > threshold else 0.0
        m = x * 0.0
        return [("m", m, r"0 \cdot x"), ("f", m + s, rf"m + s,\ s = [x > \theta] = {s:g}")]

    def forward(self, x):
        return (x > self.params["threshold"]).astype(x.dtype)

    def backward(self, grad):
        return grad * 0


@op_function(Step)
def step(x, threshold: float = 0.0):
    """The perceptron's step of ``x`` at ``threshold`` θ."""
    return Step.apply(x, threshold=threshold)


def identity(x):
    """y = x (the "linear" activation); returns its input unchanged."""
    return x
