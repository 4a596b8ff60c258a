"""Linear algebra: matrix products, and the fused dense-layer product z = xW + b."""

from __future__ import annotations

from glassnet.autograd.formula import Formula
from glassnet.autograd.function import Function, op_function
from glassnet.backend import get_array_module
from glassnet.ops._util import leading_sums, unbroadcast

__all__ = ["MatMul", "Linear", "matmul", "linear"]


class MatMul(Function):
    """Matrix product, batched over leading axes (which broadcast).

    A 1-D A is a row vector, a 1-D B a column vector, as in NumPy; the added axis is removed again.
    """

    name = "matmul"
    formula = Formula("#A #B")
    derivative = Formula(
        r"\frac{\partial L}{\partial A} = \frac{\partial L}{\partial Z} #B^{\top}, "
        r"\frac{\partial L}{\partial B} = #A^{\top} \frac{\partial L}{\partial Z}"
    )

    def forward(self, a, b):
        if a.ndim == 0 or b.ndim == 0:
            raise ValueError("matmul needs tensors with at least one dimension; use * for scalars")
        if a.shape[-1] != b.shape[-2 if b.ndim > 1 else 0]:
            raise ValueError(
                f"matmul: cannot multiply shapes {a.shape} and {b.shape}: the last dimension of the first "
                f"({a.shape[-1]}) must equal the {'second-to-last' if b.ndim > 1 else 'only'} dimension "
                f"of the second ({b.shape[-2 if b.ndim > 1 else 0]})"
            )
        self.saved.update(a=a, b=b)
        if a.ndim > 2 and b.ndim == 2:  # stacked rows times one matrix: one GEMM on the rows (see Linear)
            return (a.reshape(-1, a.shape[-1]) @ b).reshape(*a.shape[:-1], b.shape[-1])
        return a @ b

    def backward(self, grad):
        a, b = self.saved["a"], self.saved["b"]
        xp = get_array_module(grad)
        if a.ndim > 2 and b.ndim == 2:  # the rows' GEMMs; ∂L/∂B summed over the stack by the product itself
            rows = grad.reshape(-1, grad.shape[-1])
            grad_a = (rows @ b.T).reshape(a.shape) if self.needs_input_grad[0] else None
            grad_b = a.reshape(-1, a.shape[-1]).T @ rows if self.needs_input_grad[1] else None
            return grad_a, grad_b
        a2 = a[None, :] if a.ndim == 1 else a
        b2 = b[:, None] if b.ndim == 1 else b
        # Put back the axes the 1-D operands lost: the column's last axis first, so that
        # vector @ vector (a 0-d gradient) becomes (1, 1).
        if b.ndim == 1:
            grad = xp.expand_dims(grad, -1)
        if a.ndim == 1:
            grad = xp.expand_dims(grad, -2)
        grad_a = grad_b = None
        if self.needs_input_grad[0]:
            grad_a = unbroadcast(grad @ xp.swapaxes(b2, -1, -2), a2.shape).reshape(a.shape)
        if self.needs_input_grad[1]:
            grad_b = unbroadcast(xp.swapaxes(a2, -1, -2) @ grad, b2.shape).reshape(b.shape)
        return grad_a, grad_b


class Linear(Function):
    """The dense product, for x of shape (..., inputs), W (inputs, outputs), b (outputs,) or None; the
    weight and bias gradients are summed over all leading axes. One op instead of matmul + add, because a
    dense layer runs it at every step.
    """

    name = "linear"
    formula = Formula("#x #W + #b")
    derivative = Formula(
        r"\frac{\partial L}{\partial x} = \frac{\partial L}{\partial z} #W^{\top}, "
        r"\frac{\partial L}{\partial W} = #x^{\top} \frac{\partial L}{\partial z}, "
        r"\frac{\partial L}{\partial b} = \sum \frac{\partial L}{\partial z}"
    )

    # The products run on rows (..., n) -> (rows, n): one GEMM, where NumPy would loop over the leading
    # axes of a stacked product (and leave BLAS altogether for a transposed weight).
    def forward(self, x, weight, bias):
        self.saved.update(x=x, weight=weight)
        z = (x.reshape(-1, x.shape[-1]) @ weight).reshape(*x.shape[:-1], weight.shape[-1])
        if bias is not None:
            z += bias
        return z

    def backward(self, grad):
        x, weight = self.saved["x"], self.saved["weight"]
        grad_x = grad_w = grad_b = None
        rows = grad.reshape(-1, grad.shape[-1])
        if self.needs_input_grad[0]:
            grad_x = (rows @ weight.T).reshape(x.shape)
        if self.needs_input_grad[1]:
            grad_w = x.reshape(-1, x.shape[-1]).T @ rows
        if self.needs_input_grad[2]:
            grad_b = leading_sums(rows)
        return grad_x, grad_w, grad_b


@op_function(MatMul)
def matmul(a, b):
    """The matrix product ``a @ b``, batched over leading axes."""
    return MatMul.apply(a, b)


def linear(x, weight, bias=None):
    """The dense-layer product x W + b (W of shape (inputs, outputs), as the notes' w_ab)."""
    if x.shape[-1] != weight.shape[0]:
        raise ValueError(f"linear: input of shape {x.shape} does not fit a weight of shape {weight.shape}")
    return Linear.apply(x, weight, bias)
