"""gradcheck itself: it passes a correct op and catches a wrong backward, naming the input and entry."""

import numpy as np
import pytest

import glassnet as gn
from glassnet.autograd import Function


class ScaledProduct(Function):
    """z = a * b, with the gradient of b wrong by 1 at one entry (``wrong_entry``), or right when None."""

    name = "scaled_product"

    def forward(self, a, b):
        self.saved.update(a=a, b=b)
        return a * b

    def backward(self, grad):
        grad_a = grad * self.saved["b"]
        grad_b = grad * self.saved["a"]
        if self.params["wrong_entry"] is not None:
            grad_b = grad_b.copy()
            grad_b[self.params["wrong_entry"]] += 1.0
        return grad_a, grad_b


def inputs():
    rng = np.random.default_rng(0)
    return [gn.tensor(rng.standard_normal((3, 4)), requires_grad=True) for _ in range(2)]


def test_passes_a_correct_op():
    assert gn.gradcheck(lambda a, b: ScaledProduct.apply(a, b, wrong_entry=None), inputs()) is True


def test_names_the_input_and_the_entry_of_a_wrong_gradient():
    with pytest.raises(gn.GradcheckError, match=r"input 1, entry \(1, 2\): analytic .*numeric"):
        gn.gradcheck(lambda a, b: ScaledProduct.apply(a, b, wrong_entry=(1, 2)), inputs())


def test_returns_false_instead_when_asked():
    passed = gn.gradcheck(lambda a, b: ScaledProduct.apply(a, b, wrong_entry=(0, 0)), inputs(),
                          raise_exception=False)
    assert passed is False


def test_a_constant_factor_error_is_caught_at_the_first_input():
    class HalfSquare(Function):
        name = "half_square"

        def forward(self, x):
            self.saved["x"] = x
            return x * x

        def backward(self, grad):
            return grad * self.saved["x"]  # should be 2x

    x = gn.tensor(np.array([[0.5, -1.5]]), requires_grad=True)
    with pytest.raises(gn.GradcheckError, match=r"input 0, entry \(0, 1\)"):
        gn.gradcheck(HalfSquare.apply, [x])


def test_checks_float32_inputs_in_float64():
    x = gn.tensor([0.3, -0.7, 1.1], requires_grad=True)  # float32
    assert gn.gradcheck(lambda t: (t * t).sigmoid(), [x]) is True


def test_perturbs_non_contiguous_inputs():
    # A transposed array is not contiguous; gradcheck must still perturb the tensor itself.
    x = gn.Tensor(np.arange(1.0, 7.0).reshape(2, 3).T, requires_grad=True)
    assert not x.data.flags["C_CONTIGUOUS"]
    assert gn.gradcheck(lambda t: t * t, [x]) is True


def test_needs_an_input_that_requires_a_gradient():
    with pytest.raises(ValueError, match="requires_grad=True"):
        gn.gradcheck(lambda t: t * 2.0, [gn.tensor([1.0])])
