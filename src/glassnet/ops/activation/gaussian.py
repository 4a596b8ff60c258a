"""The Gaussian error linear unit: the input weighted by the standard normal's distribution function Φ,
exactly (with erf) or by GPT-2's tanh approximation."""

from __future__ import annotations

import math

from glassnet.autograd.formula import Formula
from glassnet.autograd.function import Function, op_function
from glassnet.backend import get_array_module

__all__ = ["GELU", "gelu", "erf", "GELU_TANH_SCALE", "GELU_TANH_CUBIC"]


class GELU(Function):
    """Gaussian error linear unit (Hendrycks and Gimpel, 2016): x weighted by Φ(x), the probability that a
    standard normal falls below it; the Transformers' activation (BERT, GPT). gelu'(0) = 1/2.

    ``approximate="none"`` (the default, PyTorch's ``nn.GELU()``, Keras's ``gelu(approximate=False)``) is
    the exact form, with Φ(x) = (1 + erf(x/√2))/2 and dΦ/dx = φ(x) = e^(-x²/2)/√(2π). ``approximate=
    "tanh"`` (GPT-2's, PyTorch's ``nn.GELU("tanh")``, Keras's default ``approximate=True``) replaces Φ by
    (1 + tanh(u))/2 with u = √(2/π)(x + 0.044715 x³), whose derivative is written below the exact one:

        dy/dx = (1 + t)/2 + x (1 - t²) √(2/π)(1 + 3·0.044715 x²)/2,   t = tanh(u)
    """

    name = "gelu"
    formula = Formula(r"\frac{1}{2} #x (1 + \mathrm{erf}(#x / \sqrt{2}))")
    derivative = Formula(
        r"\frac{dy}{dx} = \frac{1}{2}(1 + \mathrm{erf}(#x / \sqrt{2}))"
        r" + \frac{#x e^{-#x^{2}/2}}{\sqrt{2 \pi}}"
    )

    def forward(self, x):
        xp = get_array_module(x)
        if self.params["approximate"] == "tanh":
            t = xp.tanh(GELU_TANH_SCALE * (x + GELU_TANH_CUBIC * x * x * x))
            self.saved.update(x=x, t=t)
            return 0.5 * x * (1 + t)
        cdf = erf(x * (1 / math.sqrt(2)))  # then Φ(x) = (1 + erf)/2 in place: fewer passes over new arrays
        cdf += 1
        cdf *= 0.5
        self.saved.update(x=x, cdf=cdf)
        return x * cdf

    def backward(self, grad):
        xp = get_array_module(grad)
        x = self.saved["x"]
        if self.params["approximate"] == "tanh":
            t = self.saved["t"]
            du_dx = GELU_TANH_SCALE * (1 + 3 * GELU_TANH_CUBIC * x * x)
            return grad * (0.5 * (1 + t) + 0.5 * x * (1 - t * t) * du_dx)
        slope = xp.square(x, out=xp.empty_like(x))  # Φ(x) + x φ(x), built in one array (0-d too)
        slope *= -0.5
        xp.exp(slope, out=slope)
        slope *= x * (1 / math.sqrt(2 * math.pi))
        slope += self.saved["cdf"]
        slope *= grad
        return slope


GELU_TANH_SCALE = math.sqrt(2 / math.pi)  # √(2/π) in GELU's tanh approximation
GELU_TANH_CUBIC = 0.044715


def erf(x):
    """The error function, elementwise, to double precision: SciPy's (or CuPy's) ufunc where installed,
    else Python's ``math.erf`` applied to each element (slower, the same values)."""
    xp = get_array_module(x)
    if xp.__name__ == "cupy":
        from cupyx.scipy.special import erf as cupy_erf  # noqa: PLC0415 - optional GPU backend

        return cupy_erf(x)
    try:
        from scipy.special import erf as scipy_erf  # noqa: PLC0415 - an optional, faster path
    except ImportError:
        return xp.vectorize(math.erf, otypes=[x.dtype])(x)
    return scipy_erf(x)


@op_function(GELU)
def gelu(x, approximate: str = "none"):
    """GELU of ``x``: ``approximate="none"`` (exact, with erf) or ``"tanh"`` (GPT-2's approximation)."""
    if approximate not in ("none", "tanh"):
        raise ValueError(f'gelu: approximate must be "none" or "tanh", got {approximate!r}')
    return GELU.apply(x, approximate=approximate)
