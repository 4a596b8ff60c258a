"""Element-wise math: exp, log, sqrt, abs, clip, where, maximum, minimum, and dtype casts."""

from __future__ import annotations

from glassnet.autograd.formula import Formula
from glassnet.autograd.function import Function, op_function
from glassnet.autograd.tensor import Tensor
from glassnet.backend import as_dtype, get_array_module
from glassnet.ops._util import as_operand, unbroadcast

__all__ = [
    "Exp",
    "Log",
    "Sqrt",
    "Abs",
    "Clip",
    "Where",
    "Maximum",
    "Minimum",
    "Cast",
    "exp",
    "log",
    "sqrt",
    "abs",
    "clip",
    "where",
    "maximum",
    "minimum",
    "cast",
]


class Exp(Function):
    """The exponential; backward uses the saved output."""

    name = "exp"
    formula = Formula("e^#x")
    derivative = Formula(r"\frac{dy}{dx} = e^#x = y")

    def forward(self, x):
        y = get_array_module(x).exp(x)
        self.saved["y"] = y
        return y

    def backward(self, grad):
        return grad * self.saved["y"]


class Log(Function):
    """The natural logarithm."""

    name = "log"
    formula = Formula(r"\ln(#x)")
    derivative = Formula(r"\frac{dy}{dx} = \frac{1}{#x}")

    def forward(self, x):
        self.saved["x"] = x
        return get_array_module(x).log(x)

    def backward(self, grad):
        return grad / self.saved["x"]


class Sqrt(Function):
    """The square root; backward uses the saved output, 1/(2y)."""

    name = "sqrt"
    formula = Formula(r"\sqrt{#x}")
    derivative = Formula(r"\frac{dy}{dx} = \frac{1}{2\sqrt{#x}}")

    def forward(self, x):
        y = get_array_module(x).sqrt(x)
        self.saved["y"] = y
        return y

    def backward(self, grad):
        return grad / (2 * self.saved["y"])


class Abs(Function):
    """Absolute value; its derivative is taken as 0 at x = 0 (the subgradient PyTorch and JAX choose)."""

    name = "abs"
    formula = Formula("|#x|")
    derivative = Formula(r"\frac{dy}{dx} = \operatorname{sign}(#x)")

    def forward(self, x):
        self.saved["x"] = x
        return get_array_module(x).abs(x)

    def backward(self, grad):
        return grad * get_array_module(grad).sign(self.saved["x"])


class Clip(Function):
    """Clipping to [low, high], bounds inclusive in the derivative (as ``torch.clamp``); either bound may
    be None."""

    name = "clip"
    formula = Formula(r"\min(\max(#x, \mathrm{low}), \mathrm{high})")
    derivative = Formula(r"\frac{dy}{dx} = 1\text{ if low }\le #x \le\text{ high else }0")

    def forward(self, x):
        low, high = self.params["low"], self.params["high"]
        self.saved["x"] = x
        return get_array_module(x).clip(x, low, high)

    def backward(self, grad):
        x, low, high = self.saved["x"], self.params["low"], self.params["high"]
        inside = True
        if low is not None:
            inside = x >= low
        if high is not None:
            inside = inside & (x <= high)
        return grad * inside


class Where(Function):
    """Element-wise choice between a and b; the condition is a constant."""

    name = "where"
    formula = Formula(r"#a\text{ if condition else }#b")
    derivative = Formula(r"\frac{dy}{da} = [\mathrm{condition}], \frac{dy}{db} = [\text{not condition}]")

    def forward(self, condition, a, b):
        xp = get_array_module(a, b)
        self.saved.update(condition=condition, shapes=(xp.shape(a), xp.shape(b)))
        return xp.where(condition, a, b)

    def backward(self, grad):
        condition = self.saved["condition"]
        shape_a, shape_b = self.saved["shapes"]
        grad_a = unbroadcast(grad * condition, shape_a) if self.needs_input_grad[1] else None
        grad_b = unbroadcast(grad * ~condition, shape_b) if self.needs_input_grad[2] else None
        return None, grad_a, grad_b


class Maximum(Function):
    """y = max(a, b) element-wise;  the gradient goes to the larger input, split in half on ties
    (as ``torch.maximum``)."""

    name = "maximum"
    formula = Formula(r"\max(#a, #b)")
    derivative = Formula(r"\frac{dy}{da} = [#a > #b] + \frac{[#a = #b]}{2}")

    def forward(self, a, b):
        self.saved.update(a=a, b=b)
        return get_array_module(a, b).maximum(a, b)

    def backward(self, grad):
        a, b = self.saved["a"], self.saved["b"]
        share = (a > b) + 0.5 * (a == b)
        return _split(grad, share, a, b, self.needs_input_grad)


class Minimum(Function):
    """y = min(a, b) element-wise;  the gradient goes to the smaller input, split in half on ties."""

    name = "minimum"
    formula = Formula(r"\min(#a, #b)")
    derivative = Formula(r"\frac{dy}{da} = [#a < #b] + \frac{[#a = #b]}{2}")

    def forward(self, a, b):
        self.saved.update(a=a, b=b)
        return get_array_module(a, b).minimum(a, b)

    def backward(self, grad):
        a, b = self.saved["a"], self.saved["b"]
        share = (a < b) + 0.5 * (a == b)
        return _split(grad, share, a, b, self.needs_input_grad)


def _split(grad, share_a, a, b, needs):
    xp = get_array_module(grad)
    grad_a = unbroadcast(grad * share_a, xp.shape(a)) if needs[0] else None
    grad_b = unbroadcast(grad * (1 - share_a), xp.shape(b)) if needs[1] else None
    return grad_a, grad_b


class Cast(Function):
    """Conversion to another float dtype; the gradient is cast back."""

    name = "cast"
    formula = Formula("#x")
    derivative = Formula(r"\frac{dy}{dx} = 1")

    def forward(self, x):
        self.saved["dtype"] = x.dtype
        return x.astype(self.params["dtype"])

    def backward(self, grad):
        return grad.astype(self.saved["dtype"])


@op_function(Exp)
def exp(x):
    return Exp.apply(x)


@op_function(Log)
def log(x):
    return Log.apply(x)


@op_function(Sqrt)
def sqrt(x):
    return Sqrt.apply(x)


@op_function(Abs)
def abs(x):  # noqa: A001 - the field's word
    return Abs.apply(x)


def clip(x, low=None, high=None):
    """Limit x to [low, high]; the gradient flows only where x was inside."""
    if low is None and high is None:
        raise ValueError("clip needs at least one of low and high")
    return Clip.apply(x, low=low, high=high)


def where(condition, a, b):
    """Pick from ``a`` where ``condition`` holds, else from ``b`` (at least one of them a tensor)."""
    like = a if isinstance(a, Tensor) else b
    if not isinstance(like, Tensor):
        raise TypeError("where() needs a tensor for a or b")
    condition = condition.data if isinstance(condition, Tensor) else condition
    condition = get_array_module(like.data).asarray(condition)
    if condition.dtype.kind != "b":
        raise TypeError(f"where() needs a boolean condition, got dtype {condition.dtype}")
    return Where.apply(condition, as_operand(a, like), as_operand(b, like))


@op_function(Maximum)
def maximum(a, b):
    """The element-wise larger of ``a`` and ``b`` (ties split the gradient in half)."""
    return Maximum.apply(a, as_operand(b, a))


@op_function(Minimum)
def minimum(a, b):
    """The element-wise smaller of ``a`` and ``b`` (ties split the gradient in half)."""
    return Minimum.apply(a, as_operand(b, a))


@op_function(Cast)
def cast(x, dtype):
    """``x`` converted to the float ``dtype`` ("float32", "float64" or a NumPy dtype)."""
    return Cast.apply(x, dtype=as_dtype(dtype))
