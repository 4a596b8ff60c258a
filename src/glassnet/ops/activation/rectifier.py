"""ReLU and its relatives: leaky, randomized and parametric slopes, and the exponential units ELU and SELU."""

from __future__ import annotations

from glassnet.autograd.formula import Formula
from glassnet.autograd.function import Function, op_function
from glassnet.backend import get_array_module, get_rng

__all__ = [
    "ReLU",
    "LeakyReLU",
    "RReLU",
    "PReLU",
    "ELU",
    "SELU",
    "relu",
    "leaky_relu",
    "rrelu",
    "prelu",
    "elu",
    "selu",
    "SELU_ALPHA",
    "SELU_SCALE",
]


# SELU's fixed constants (Klambauer et al., 2017), to the precision PyTorch and Keras use.
SELU_ALPHA = 1.6732632423543772848170429916717
SELU_SCALE = 1.0507009873554804934193349852946


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
        # Branch-free passes: NumPy's where/copyto with a mask of random signs mispredicts a branch per
        # element and ran 15-30x slower here than max/multiply over the same 800k values.
        xp = get_array_module(x)
        alpha = self.params["alpha"]
        if not 0 <= alpha <= 1:  # αx is then not max(x, αx) on the negative side: pick by the mask
            positive = x > 0
            self.saved["slope"] = xp.where(positive, 1, alpha).astype(x.dtype)
            return xp.where(positive, x, alpha * x)
        y = xp.multiply(x, alpha, out=xp.empty_like(x))
        xp.maximum(x, y, out=y)  # x > αx exactly where x > 0
        if self.needs_input_grad[0]:  # the slope, 1 or α, as max([x > 0], α)
            slope = xp.greater(x, 0, out=xp.empty_like(x))
            self.saved["slope"] = xp.maximum(slope, alpha, out=slope)
        return y

    def backward(self, grad):
        return grad * self.saved["slope"]


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
    """Parametric ReLU: the slope a is learned: one shared, one per channel on axis 1 (a vector, PyTorch's
    ``num_parameters``), or Keras's layout, an array of an example's shape (x.shape[1:], with 1 along the
    axes that share a slope: ``shared_axes``); dy/da is summed over the axes a is broadcast along."""

    name = "prelu"
    formula = Formula(r"#x\text{ if }#x > 0\text{ else }a #x")
    derivative = Formula(r"\frac{dy}{dx} = 1\text{ if }#x > 0\text{ else }a;\ \frac{dy}{da} = \min(#x, 0)")

    def forward(self, x, slope):
        xp = get_array_module(x)
        shape = [1] * x.ndim
        if slope.ndim > 1:  # Keras's layout: a slope per element of an example, 1 along shared axes
            if slope.ndim != x.ndim - 1 or any(a not in (1, n) for a, n in zip(slope.shape, x.shape[1:])):
                raise ValueError(
                    f"PReLU's slopes of shape {slope.shape} do not fit examples of shape {x.shape[1:]} "
                    "(each axis the example's size, or 1 where the slope is shared)"
                )
            shape = [1, *slope.shape]
        elif slope.size > 1:
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
