"""Arithmetic with broadcasting: add, subtract, multiply, divide, negate, power.

Each backward undoes broadcasting (``unbroadcast``): an input that was stretched along an axis receives
the sum of the gradients along it.
"""

from __future__ import annotations

from glassnet.autograd.formula import Formula
from glassnet.autograd.function import Function, op_function
from glassnet.backend import get_array_module
from glassnet.ops._util import as_operand, unbroadcast

__all__ = ["Add", "Sub", "Mul", "Div", "Neg", "Pow", "add", "sub", "mul", "div", "neg", "pow"]


class Add(Function):
    """Addition; broadcasting is undone in backward (each input gets the gradient summed to its shape)."""

    name = "add"
    formula = Formula("#a + #b")
    derivative = Formula(r"\frac{dz}{da} = 1, \frac{dz}{db} = 1")

    def forward(self, a, b):
        self.saved["shapes"] = (a.shape, b.shape)
        return a + b

    def backward(self, grad):
        shape_a, shape_b = self.saved["shapes"]
        return unbroadcast(grad, shape_a), unbroadcast(grad, shape_b)


class Sub(Function):
    """Subtraction, broadcasting undone in backward."""

    name = "sub"
    formula = Formula("#a - #b")
    derivative = Formula(r"\frac{dz}{da} = 1, \frac{dz}{db} = -1")

    def forward(self, a, b):
        self.saved["shapes"] = (a.shape, b.shape)
        return a - b

    def backward(self, grad):
        shape_a, shape_b = self.saved["shapes"]
        grad_b = unbroadcast(-grad, shape_b) if self.needs_input_grad[1] else None
        return unbroadcast(grad, shape_a), grad_b


class Mul(Function):
    """Element-wise product, broadcasting undone in backward."""

    name = "mul"
    formula = Formula(r"#a \cdot #b")
    derivative = Formula(r"\frac{dz}{da} = #b, \frac{dz}{db} = #a")

    def forward(self, a, b):
        self.saved.update(a=a, b=b)
        return a * b

    def backward(self, grad):
        a, b = self.saved["a"], self.saved["b"]
        grad_a = unbroadcast(grad * b, a.shape) if self.needs_input_grad[0] else None
        grad_b = unbroadcast(grad * a, b.shape) if self.needs_input_grad[1] else None
        return grad_a, grad_b


class Div(Function):
    """Element-wise quotient; dz/db is computed as -z/b from the saved output."""

    name = "div"
    formula = Formula(r"\frac{#a}{#b}")
    derivative = Formula(r"\frac{dz}{da} = \frac{1}{#b}, \frac{dz}{db} = -\frac{#a}{#b^2}")

    def forward(self, a, b):
        z = a / b
        self.saved.update(a_shape=a.shape, b=b, z=z)
        return z

    def backward(self, grad):
        b, z = self.saved["b"], self.saved["z"]
        grad_a = unbroadcast(grad / b, self.saved["a_shape"]) if self.needs_input_grad[0] else None
        grad_b = unbroadcast(-grad * z / b, b.shape) if self.needs_input_grad[1] else None
        return grad_a, grad_b


class Neg(Function):
    """Negation."""

    name = "neg"
    formula = Formula("-#a")
    derivative = Formula(r"\frac{dz}{da} = -1")

    def forward(self, a):
        return -a

    def backward(self, grad):
        return -grad


class Pow(Function):
    """Power; dz/db is taken only where a > 0 (0 elsewhere, as PyTorch does for a = 0 and b > 0)."""

    name = "pow"
    formula = Formula("#a^{#b}")
    derivative = Formula(r"\frac{dz}{da} = #b\, #a^{#b-1}, \frac{dz}{db} = #a^#b \ln(#a)")

    def forward(self, a, b):
        z = a**b
        self.saved.update(a=a, b=b, z=z)
        return z

    def backward(self, grad):
        a, b, z = self.saved["a"], self.saved["b"], self.saved["z"]
        grad_a = grad_b = None
        if self.needs_input_grad[0]:
            grad_a = unbroadcast(grad * b * a ** (b - 1), a.shape)
        if self.needs_input_grad[1]:
            xp = get_array_module(a)
            log_a = xp.log(xp.where(a > 0, a, 1))
            grad_b = unbroadcast(grad * z * log_a, xp.shape(b))
        return grad_a, grad_b


@op_function(Add)
def add(a, b):
    """``a + b`` with broadcasting; ``b`` may be a number."""
    return Add.apply(a, as_operand(b, a))


@op_function(Sub)
def sub(a, b):
    """``a - b`` with broadcasting; ``b`` may be a number."""
    return Sub.apply(a, as_operand(b, a))


@op_function(Mul)
def mul(a, b):
    """``a * b`` element-wise with broadcasting; ``b`` may be a number."""
    return Mul.apply(a, as_operand(b, a))


@op_function(Div)
def div(a, b):
    """``a / b`` element-wise with broadcasting; ``b`` may be a number."""
    return Div.apply(a, as_operand(b, a))


@op_function(Neg)
def neg(a):
    return Neg.apply(a)


@op_function(Pow)
def pow(a, b):  # noqa: A001 - the field's word; shadows the builtin only inside this module
    """``a ** b`` element-wise; ``b`` may be a number."""
    return Pow.apply(a, as_operand(b, a))
