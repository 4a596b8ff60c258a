"""Arithmetic with broadcasting: add, subtract, multiply, divide, negate, power.

Each backward undoes broadcasting (``unbroadcast``): an input that was stretched along an axis receives
the sum of the gradients along it.
"""

from __future__ import annotations

from glassnet.autograd.function import Function
from glassnet.backend import get_array_module
from glassnet.ops._util import as_operand, unbroadcast

__all__ = ["Add", "Sub", "Mul", "Div", "Neg", "Pow", "add", "sub", "mul", "div", "neg", "pow"]


class Add(Function):
    """z = a + b;  dz/da = 1, dz/db = 1."""

    name, formula, derivative = "add", "a + b", "dz/da = 1, dz/db = 1"

    def forward(self, a, b):
        self.saved["shapes"] = (a.shape, b.shape)
        return a + b

    def backward(self, grad):
        shape_a, shape_b = self.saved["shapes"]
        return unbroadcast(grad, shape_a), unbroadcast(grad, shape_b)


class Sub(Function):
    """z = a - b;  dz/da = 1, dz/db = -1."""

    name, formula, derivative = "sub", "a - b", "dz/da = 1, dz/db = -1"

    def forward(self, a, b):
        self.saved["shapes"] = (a.shape, b.shape)
        return a - b

    def backward(self, grad):
        shape_a, shape_b = self.saved["shapes"]
        grad_b = unbroadcast(-grad, shape_b) if self.needs_input_grad[1] else None
        return unbroadcast(grad, shape_a), grad_b


class Mul(Function):
    """z = a * b (element-wise);  dz/da = b, dz/db = a."""

    name, formula, derivative = "mul", "a * b", "dz/da = b, dz/db = a"

    def forward(self, a, b):
        self.saved.update(a=a, b=b)
        return a * b

    def backward(self, grad):
        a, b = self.saved["a"], self.saved["b"]
        grad_a = unbroadcast(grad * b, a.shape) if self.needs_input_grad[0] else None
        grad_b = unbroadcast(grad * a, b.shape) if self.needs_input_grad[1] else None
        return grad_a, grad_b


class Div(Function):
    """z = a / b;  dz/da = 1 / b, dz/db = -a / b^2 = -z / b."""

    name, formula, derivative = "div", "a / b", "dz/da = 1/b, dz/db = -a/b^2"

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
    """z = -a;  dz/da = -1."""

    name, formula, derivative = "neg", "-a", "dz/da = -1"

    def forward(self, a):
        return -a

    def backward(self, grad):
        return -grad


class Pow(Function):
    """z = a ** b;  dz/da = b a^(b-1), dz/db = a^b ln a (only where a > 0; 0 elsewhere, as PyTorch does
    for a = 0 and b > 0)."""

    name, formula, derivative = "pow", "a ** b", "dz/da = b a^(b-1), dz/db = a^b ln(a)"

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


def add(a, b):
    return Add.apply(a, as_operand(b, a))


def sub(a, b):
    return Sub.apply(a, as_operand(b, a))


def mul(a, b):
    return Mul.apply(a, as_operand(b, a))


def div(a, b):
    return Div.apply(a, as_operand(b, a))


def neg(a):
    return Neg.apply(a)


def pow(a, b):  # noqa: A001 - the field's word; shadows the builtin only inside this module
    return Pow.apply(a, as_operand(b, a))
