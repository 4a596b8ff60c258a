"""Activation functions, each with its local derivative, written to stay finite for any input.

The functions (``relu(x)``, ``sigmoid(x)``, ...) are what layers, ``nn.functional`` and ``Tensor`` methods
call; ``nn.activations`` wraps them as modules and string names.
"""

from __future__ import annotations

import math

from glassnet.autograd.formula import Formula
from glassnet.autograd.function import Function, op_function
from glassnet.backend import errstate, get_array_module, get_rng

__all__ = [
    "Identity",
    "Step",
    "Sigmoid",
    "Tanh",
    "ReLU",
    "LeakyReLU",
    "RReLU",
    "PReLU",
    "ELU",
    "SELU",
    "SiLU",
    "GELU",
    "Softmax",
    "LogSoftmax",
    "step",
    "identity",
    "sigmoid",
    "sigmoid_",
    "tanh",
    "relu",
    "leaky_relu",
    "rrelu",
    "prelu",
    "elu",
    "selu",
    "silu",
    "gelu",
    "softmax",
    "log_softmax",
    "SELU_ALPHA",
    "SELU_SCALE",
]

# SELU's fixed constants (Klambauer et al., 2017), to the precision PyTorch and Keras use.
SELU_ALPHA = 1.6732632423543772848170429916717
SELU_SCALE = 1.0507009873554804934193349852946


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


class ReLU(Function):
    """The rectified linear unit; relu'(0) = 0, as PyTorch, Keras and JAX."""

    name = "relu"
    formula = Formula(r"\max(0, #x)")
    derivative = Formula(r"\frac{dy}{dx} = 1\text{ if }#x > 0\text{ else }0")
    explain_at = {"x": 0.5}

    @staticmethod
    def decompose(x):
        """f = s·x with the slope s = [x > 0] a constant on each side of 0."""
        s = 1.0 if x.item() > 0 else 0.0
        return [("f", x * s, rf"s x,\ s = [x > 0] = {s:g}")]

    def forward(self, x):
        y = get_array_module(x).maximum(x, 0)
        self.saved["y"] = y
        return y

    def backward(self, grad):
        return grad * (self.saved["y"] > 0)


class LeakyReLU(Function):
    """ReLU with a small slope α (``alpha``, 0.01 by default) for negative inputs."""

    name = "leaky_relu"
    formula = Formula(r"#x\text{ if }#x > 0\text{ else }\alpha #x")
    derivative = Formula(r"\frac{dy}{dx} = 1\text{ if }#x > 0\text{ else }\alpha")
    hyperparameters = {"alpha": r"\alpha"}
    explain_at = {"x": -0.5, "alpha": 0.01}

    @staticmethod
    def decompose(x, alpha=0.01):
        """f = s·x with the slope s = 1 if x > 0 else α, a constant on each side of 0."""
        s = 1.0 if x.item() > 0 else alpha
        return [("f", x * s, rf"s x,\ s = 1\text{{ if }}x > 0\text{{ else }}\alpha = {s:g}")]

    def forward(self, x):
        self.saved["positive"] = positive = x > 0
        return get_array_module(x).where(positive, x, self.params["alpha"] * x)

    def backward(self, grad):
        return get_array_module(grad).where(self.saved["positive"], grad, self.params["alpha"] * grad)


class RReLU(Function):
    """Randomized leaky ReLU: the slope a ~ U(lower, upper) is drawn per element in training, and
    a = (lower + upper)/2 in evaluation."""

    name = "rrelu"
    formula = Formula(r"#x\text{ if }#x \ge 0\text{ else }a #x")
    derivative = Formula(r"\frac{dy}{dx} = 1\text{ if }#x \ge 0\text{ else }a")

    def forward(self, x):
        xp = get_array_module(x)
        lower, upper = self.params["lower"], self.params["upper"]
        if self.params["training"]:
            slope = xp.asarray(get_rng().uniform(lower, upper, size=x.shape), dtype=x.dtype)
        else:
            slope = xp.asarray((lower + upper) / 2, dtype=x.dtype)
        self.saved["slope"] = slope = xp.where(x >= 0, 1, slope).astype(x.dtype)
        return x * slope

    def backward(self, grad):
        return grad * self.saved["slope"]


class PReLU(Function):
    """Parametric ReLU: the slope a is learned (one per channel on axis 1, or one shared); dy/da is summed
    over all axes but the channel's."""

    name = "prelu"
    formula = Formula(r"#x\text{ if }#x > 0\text{ else }a #x")
    derivative = Formula(r"\frac{dy}{dx} = 1\text{ if }#x > 0\text{ else }a;\ \frac{dy}{da} = \min(#x, 0)")

    def forward(self, x, slope):
        xp = get_array_module(x)
        shape = [1] * x.ndim
        if slope.size > 1:
            if x.ndim < 2 or x.shape[1] != slope.size:
                raise ValueError(
                    f"PReLU has {slope.size} slopes but the input of shape {x.shape} has "
                    f"{x.shape[1] if x.ndim > 1 else 1} channels on axis 1"
                )
            shape[1] = slope.size
        slope_b = slope.reshape(shape) if x.ndim else slope.reshape(())
        positive = x > 0
        self.saved.update(x=x, slope=slope_b, positive=positive, slope_shape=slope.shape)
        return xp.where(positive, x, slope_b * x)

    def backward(self, grad):
        xp = get_array_module(grad)
        x, slope, positive = self.saved["x"], self.saved["slope"], self.saved["positive"]
        grad_x = xp.where(positive, grad, slope * grad) if self.needs_input_grad[0] else None
        grad_slope = None
        if self.needs_input_grad[1]:
            per_element = xp.where(positive, 0, x * grad)
            axes = tuple(a for a in range(x.ndim) if slope.ndim == 0 or slope.shape[a] == 1)
            grad_slope = per_element.sum(axis=axes).reshape(self.saved["slope_shape"])
        return grad_x, grad_slope


class ELU(Function):
    """Exponential linear unit (α = ``alpha``, 1 by default); for x <= 0, α e^x = y + α."""

    name = "elu"
    formula = Formula(r"#x\text{ if }#x > 0\text{ else }\alpha(e^{#x} - 1)")
    derivative = Formula(r"\frac{dy}{dx} = 1\text{ if }#x > 0\text{ else }#y + \alpha")
    hyperparameters = {"alpha": r"\alpha"}
    explain_at = {"x": -0.5, "alpha": 1.0}
    scale = 1.0

    @classmethod
    def decompose(cls, x, alpha=1.0):
        """The branch of the point: λ·x for x > 0, else q = e^x, r = q - 1, n = α·r (then λ·n for SELU)."""
        scaled = cls.scale != 1.0
        if x.item() > 0:
            return [("f", x * cls.scale, r"\lambda x" if scaled else r"1 \cdot x")]
        q = x.exp()
        r = q - 1.0
        n = alpha * r
        steps = [("q", q, "e^{x}"), ("r", r, "q - 1"), ("f" if not scaled else "n", n, r"\alpha r")]
        return steps + [("f", cls.scale * n, r"\lambda n")] if scaled else steps

    def forward(self, x):
        xp = get_array_module(x)
        alpha = self.params["alpha"]
        positive = x > 0
        # expm1 of min(x, 0): exact near 0 and never overflowing on the branch not taken.
        negative_part = alpha * xp.expm1(xp.minimum(x, 0))
        y = self.scale * xp.where(positive, x, negative_part)
        self.saved.update(positive=positive, negative_part=negative_part)
        return y

    def backward(self, grad):
        xp = get_array_module(grad)
        local = xp.where(self.saved["positive"], 1, self.saved["negative_part"] + self.params["alpha"])
        return grad * (self.scale * local).astype(grad.dtype)


class SELU(ELU):
    """Scaled ELU with the fixed self-normalizing constants λ ≈ 1.0507 and α ≈ 1.6733."""

    name = "selu"
    formula = Formula(r"\lambda(#x\text{ if }#x > 0\text{ else }\alpha(e^{#x} - 1))")
    derivative = Formula(r"\frac{dy}{dx} = \lambda\text{ if }#x > 0\text{ else }#y + \lambda\alpha")
    hyperparameters = {}
    explain_at = {"x": -0.5}
    scale = SELU_SCALE

    @classmethod
    def decompose(cls, x):
        return super().decompose(x, alpha=SELU_ALPHA)


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
        cdf = 0.5 * (1 + erf(x * (1 / math.sqrt(2))))
        self.saved.update(x=x, cdf=cdf)
        return x * cdf

    def backward(self, grad):
        xp = get_array_module(grad)
        x = self.saved["x"]
        if self.params["approximate"] == "tanh":
            t = self.saved["t"]
            du_dx = GELU_TANH_SCALE * (1 + 3 * GELU_TANH_CUBIC * x * x)
            return grad * (0.5 * (1 + t) + 0.5 * x * (1 - t * t) * du_dx)
        pdf = xp.exp(-0.5 * x * x) * (1 / math.sqrt(2 * math.pi))
        return grad * (self.saved["cdf"] + x * pdf)


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


class Softmax(Function):
    """Softmax along ``axis``, computed from x - max x (which cannot overflow). Backward applies the
    Jacobian diag(y) - y yᵀ to dL/dy: dL/dx = y ⊙ (dL/dy - Σ_j dL/dy_j y_j)."""

    name = "softmax"
    formula = Formula(r"\frac{e^{#x_i}}{\sum_j e^{#x_j}}")
    derivative = Formula(r"\frac{\partial y_i}{\partial x_j} = y_i([i = j] - y_j)")

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


@op_function(Step)
def step(x, threshold: float = 0.0):
    """The perceptron's step of ``x`` at ``threshold`` θ."""
    return Step.apply(x, threshold=threshold)


def identity(x):
    """y = x (the "linear" activation); returns its input unchanged."""
    return x


@op_function(Sigmoid)
def sigmoid(x):
    return Sigmoid.apply(x)


@op_function(Tanh)
def tanh(x):
    return Tanh.apply(x)


@op_function(ReLU)
def relu(x):
    return ReLU.apply(x)


@op_function(LeakyReLU)
def leaky_relu(x, alpha: float = 0.01):
    """Leaky ReLU with slope ``alpha`` for negative inputs (0.01, as PyTorch; Keras's layer uses 0.3)."""
    return LeakyReLU.apply(x, alpha=alpha)


@op_function(RReLU)
def rrelu(x, lower: float = 1 / 8, upper: float = 1 / 3, training: bool = False):
    """Randomized leaky ReLU: slopes drawn from U(``lower``, ``upper``) when ``training``, else their mean."""
    return RReLU.apply(x, lower=lower, upper=upper, training=training)


@op_function(PReLU)
def prelu(x, slope):
    """Parametric ReLU with the learned ``slope`` tensor: one value, or one per channel on axis 1."""
    return PReLU.apply(x, slope)


@op_function(ELU)
def elu(x, alpha: float = 1.0):
    """ELU with ``alpha`` (1.0)."""
    return ELU.apply(x, alpha=alpha)


@op_function(SELU)
def selu(x):
    return SELU.apply(x, alpha=SELU_ALPHA)


@op_function(SiLU)
def silu(x):
    return SiLU.apply(x)


@op_function(GELU)
def gelu(x, approximate: str = "none"):
    """GELU of ``x``: ``approximate="none"`` (exact, with erf) or ``"tanh"`` (GPT-2's approximation)."""
    if approximate not in ("none", "tanh"):
        raise ValueError(f'gelu: approximate must be "none" or "tanh", got {approximate!r}')
    return GELU.apply(x, approximate=approximate)


@op_function(Softmax)
def softmax(x, axis: int = -1):
    """Softmax along ``axis`` (the last by default)."""
    return Softmax.apply(x, axis=axis)


@op_function(LogSoftmax)
def log_softmax(x, axis: int = -1):
    """Log-softmax along ``axis`` (the last by default)."""
    return LogSoftmax.apply(x, axis=axis)
