"""The sigmoid and its family: tanh (a rescaled sigmoid) and SiLU (the input gated by its sigmoid).

``sigmoid_`` is the one home of the sigmoid's formula in code: ``Sigmoid``, the logits form of binary
cross-entropy and the fused recurrent cells all call it."""

from __future__ import annotations

from glassnet.autograd.formula import Formula
from glassnet.autograd.function import Function, op_function
from glassnet.backend import errstate, get_array_module

__all__ = ["Sigmoid", "Tanh", "SiLU", "stable_sigmoid", "sigmoid_", "sigmoid", "tanh", "silu"]


class Sigmoid(Function):
    """The logistic sigmoid σ; its derivative is taken from the saved output.

    Computed as written (``sigmoid_``): where e^(-x) overflows to inf, 1/(1 + inf) = 0 is the right
    limit, and 1 + e^(-x) >= 1 never cancels, so every x gives σ to rounding.
    """

    name, symbol = "sigmoid", r"\sigma"
    formula = Formula(r"\frac{1}{1 + e^{-#x}}")
    derivative = Formula(r"\frac{dy}{dx} = #y(1 - #y)")
    explain_at = {"x": 0.5}

    @staticmethod
    def decompose(x):
        """σ as the notes derive σ': p = -x, q = e^p, r = 1 + q, f = 1/r."""
        p = -x
        q = p.exp()
        r = 1.0 + q
        return [("p", p, "-x"), ("q", q, "e^{p}"), ("r", r, "1 + q"), ("f", 1.0 / r, r"\frac{1}{r}")]

    def forward(self, x):
        y = stable_sigmoid(x)
        self.saved["y"] = y
        return y

    def backward(self, grad):
        y = self.saved["y"]
        return grad * y * (1 - y)


class Tanh(Function):
    """The hyperbolic tangent; its derivative is taken from the saved output."""

    name, symbol = "tanh", r"\tanh"
    formula = Formula(r"\frac{e^{#x} - e^{-#x}}{e^{#x} + e^{-#x}}")
    derivative = Formula(r"\frac{dy}{dx} = 1 - #y^2")
    explain_at = {"x": 0.5}

    @staticmethod
    def decompose(x):
        """tanh(x) = 2σ(2x) - 1: one path from x to the result."""
        a = 2.0 * x
        p = -a
        q = p.exp()
        r = 1.0 + q
        s = 1.0 / r
        t = 2.0 * s
        return [
            ("a", a, "2x"), ("p", p, "-a"), ("q", q, "e^{p}"), ("r", r, "1 + q"),
            ("s", s, r"\frac{1}{r} = \sigma(2x)"), ("t", t, "2s"), ("f", t - 1.0, "t - 1"),
        ]  # fmt: skip

    def forward(self, x):
        y = get_array_module(x).tanh(x)
        self.saved["y"] = y
        return y

    def backward(self, grad):
        y = self.saved["y"]
        return grad * (1 - y * y)


class SiLU(Function):
    """Sigmoid-weighted linear unit, or Swish with β = 1 (Elfwing et al., 2018; Ramachandran et al., 2017):
    the input gated by its own sigmoid. Smooth, non-monotonic (its minimum is about -0.278 at x ≈ -1.278),
    silu'(0) = 1/2. PyTorch's ``nn.SiLU`` and Keras's ``"silu"``/``"swish"`` compute the same function."""

    name = "silu"
    formula = Formula(r"#x \sigma(#x)")
    derivative = Formula(r"\frac{dy}{dx} = \sigma(#x)(1 + #x(1 - \sigma(#x)))")
    explain_at = {"x": 0.5}

    def forward(self, x):
        s = stable_sigmoid(x)
        self.saved.update(x=x, s=s)
        return x * s

    def backward(self, grad):
        x, s = self.saved["x"], self.saved["s"]
        return grad * s * (1 + x * (1 - s))

    @staticmethod
    def decompose(x):
        """f = x·s with s = σ(x) taken apart as the sigmoid is: two paths from x, through x and through s."""
        steps = Sigmoid.decompose(x)
        s = steps[-1][1]
        steps[-1] = ("s", s, r"\frac{1}{r} = \sigma(x)")
        return steps + [("f", x * s, r"x \cdot s")]


def stable_sigmoid(x):
    """σ(x) as a new array, with no overflow warning for any x (shared by Sigmoid and the logits form of
    binary cross-entropy): ``sigmoid_`` on a copy."""
    xp = get_array_module(x)
    y = xp.array(x, dtype=x.dtype if x.dtype.kind == "f" else float)
    with errstate(xp, over="ignore"):
        return sigmoid_(y)


def sigmoid_(x):
    """σ(x) = 1 / (1 + e^(-x)) written into ``x`` itself, in four passes and no temporary array: the one
    home of the sigmoid's formula (``Sigmoid``, binary cross-entropy on logits, the fused recurrent cells).
    Where e^(-x) overflows (x < -88 in float32, -745 in float64) it is inf and 1 / (1 + inf) = 0, the
    right limit: run it under ``errstate(xp, over="ignore")`` (the recurrent ops set that once around
    their loop over time)."""
    xp = get_array_module(x)
    xp.negative(x, out=x)
    xp.exp(x, out=x)
    x += 1
    return xp.divide(1, x, out=x)


@op_function(Sigmoid)
def sigmoid(x):
    return Sigmoid.apply(x)


@op_function(Tanh)
def tanh(x):
    return Tanh.apply(x)


@op_function(SiLU)
def silu(x):
    return SiLU.apply(x)
