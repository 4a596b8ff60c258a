"""The Gaussian error linear unit: the input weighted by the standard normal's distribution function Φ,
exactly (with erf) or by GPT-2's tanh approximation."""

from __future__ import annotations

import math

from glassnet.autograd.formula import Formula
from glassnet.autograd.function import Function, op_function
from glassnet.backend import errstate, get_array_module

__all__ = ["GELU", "gelu", "erf", "normal_cdf", "GELU_TANH_SCALE", "GELU_TANH_CUBIC"]


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
        if not any(self.needs_input_grad):
            return x * normal_cdf(x)
        cdf, pdf = normal_cdf(x, with_pdf=True)
        self.saved.update(x=x, cdf=cdf, pdf=pdf)
        return x * cdf

    def backward(self, grad):
        xp = get_array_module(grad)
        x = self.saved["x"]
        if self.params["approximate"] == "tanh":
            t = self.saved["t"]
            du_dx = GELU_TANH_SCALE * (1 + 3 * GELU_TANH_CUBIC * x * x)
            return grad * (0.5 * (1 + t) + 0.5 * x * (1 - t * t) * du_dx)
        slope = xp.multiply(x, self.saved["pdf"], out=xp.empty_like(x))  # Φ(x) + x φ(x), in one array
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


# Abramowitz and Stegun 7.1.26 (Hastings): erf(u) ≈ 1 - t (a1 + a2 t + ... + a5 t⁴) e^(-u²), t = 1/(1 + p u)
# for u >= 0, within 1.5e-7 everywhere.
_AS_P = 0.3275911
_AS_A = (0.254829592, -0.284496736, 1.421413741, -1.453152027, 1.061405429)
# The same for Φ(-|x|) = (1 - erf(|x|/√2))/2 = t b(t) φ(x): t = 1/(1 + (p/√2)|x|) and b = a √(2π)/2.
_CDF_P = _AS_P / math.sqrt(2)
_CDF_B = tuple(a * math.sqrt(2 * math.pi) / 2 for a in _AS_A)
_LOG_SQRT_2PI = 0.5 * math.log(2 * math.pi)


def normal_cdf(x, with_pdf: bool = False):
    """Φ(x) = (1 + erf(x/√2))/2, the standard normal's distribution function, elementwise (a new array);
    with ``with_pdf`` also its density φ(x) = e^(-x²/2)/√(2π) (GELU's backward needs both).

    float64 (and any dtype but float32): from ``erf`` to double precision. float32: from the
    Abramowitz-Stegun approximation 7.1.26 of erf, the one PyTorch's vectorized CPU kernels use for float32
    erf, written for the tail mass q = Φ(-|x|), which has no cancellation:

        q = t (b1 + b2 t + b3 t² + b4 t³ + b5 t⁴) φ(x),   t = 1/(1 + p|x|/√2),   b = a √(2π)/2
        Φ(x) = 1/2 + sign(x) (1/2 - q)      (the sign taken from x's sign bit, so Φ(±0) = 1/2 ± 3e-8)

    one NumPy pass at a time, in place. The approximation is within 7.5e-8 of Φ; with float32's rounding,
    within 3e-7 (the float32 GELU of PyTorch, 1 + erf in float32, is within 1.2e-6 of the exact x Φ(x),
    this one within 5e-7). Why: SciPy's float32 erf is a scalar loop (16 ns an element here, 30x NumPy's
    vectorized exp), and a Transformer's step spent 16 % of its time there; this takes a sixth of that.
    """
    xp = get_array_module(x)
    pdf = None
    if with_pdf or x.dtype == xp.float32:  # φ = exp(-x²/2 - log √(2π)), an array even for a 0-d x
        with errstate(xp, over="ignore"):  # |x| > 1.8e19 in float32: x² = inf and φ = 0, as it should be
            pdf = xp.square(x, out=xp.empty_like(x))
        pdf *= -0.5
        pdf -= _LOG_SQRT_2PI
        xp.exp(pdf, out=pdf)
    if x.dtype != xp.float32:
        cdf = erf(x * (1 / math.sqrt(2)))
        cdf += 1
        cdf *= 0.5
        return (cdf, pdf) if with_pdf else cdf
    t = xp.abs(x, out=xp.empty_like(x))
    t *= _CDF_P
    t += 1
    xp.reciprocal(t, out=t)
    q = xp.multiply(t, _CDF_B[4], out=xp.empty_like(x))
    for b in _CDF_B[3::-1]:  # Horner: ((b5 t + b4) t + b3) ... + b1, then times t
        q += b
        q *= t
    q *= pdf  # q = Φ(-|x|)
    xp.subtract(0.5, q, out=q)  # Φ(|x|) - 1/2 >= 0, then sign(x) on it by x's sign bit (NumPy's
    bits = q.view(xp.int32)  # copysign took nearly 3x the two integer passes here)
    bits |= xp.bitwise_and(x.view(xp.int32), xp.int32(-(2**31)))
    q += 0.5
    return (q, pdf) if with_pdf else q


@op_function(GELU)
def gelu(x, approximate: str = "none"):
    """GELU of ``x``: ``approximate="none"`` (exact, with erf) or ``"tanh"`` (GPT-2's approximation)."""
    if approximate not in ("none", "tanh"):
        raise ValueError(f'gelu: approximate must be "none" or "tanh", got {approximate!r}')
    return GELU.apply(x, approximate=approximate)
