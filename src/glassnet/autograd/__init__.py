"""Tensors and reverse-mode automatic differentiation (layer 2 of glassnet)."""

from glassnet.autograd.function import Function
from glassnet.autograd.grad_mode import enable_grad, is_grad_enabled, no_grad, set_grad_enabled
from glassnet.autograd.gradcheck import GradcheckError, gradcheck
from glassnet.autograd.tensor import Tensor, ones, rand, randn, tensor, zeros

__all__ = [
    "Function",
    "Tensor",
    "tensor",
    "zeros",
    "ones",
    "randn",
    "rand",
    "no_grad",
    "enable_grad",
    "is_grad_enabled",
    "set_grad_enabled",
    "gradcheck",
    "GradcheckError",
]
