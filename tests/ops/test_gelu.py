"""GELU beyond its op-table rows: values by hand, and the error function without SciPy (Python's math.erf
element by element) agreeing with SciPy's ufunc."""

import math
import sys

import numpy as np
import pytest

import glassnet as gn
from glassnet.ops.activation import gaussian


def test_values_by_hand(float64):
    x = gn.tensor([-1.0, 0.0, 2.0], requires_grad=True)
    y = gn.ops.gelu(x)
    expected = [-0.5 * (1 - math.erf(1 / math.sqrt(2))), 0.0, 1 + math.erf(2 / math.sqrt(2))]
    np.testing.assert_allclose(y.data, expected, rtol=1e-15)
    y.sum().backward()
    assert x.grad[1] == 0.5  # gelu'(0) = Φ(0) = 1/2
    tanh_form = gn.ops.gelu(gn.tensor([1.0]), approximate="tanh").item()
    assert tanh_form == pytest.approx(0.5 * (1 + math.tanh(math.sqrt(2 / math.pi) * 1.044715)), rel=1e-15)


def test_erf_without_scipy_is_the_same(monkeypatch):
    x = np.linspace(-4, 4, 41)
    with_scipy = gaussian.erf(x)
    monkeypatch.setitem(sys.modules, "scipy.special", None)  # "import scipy.special" now fails
    without = gaussian.erf(x)
    np.testing.assert_allclose(without, with_scipy, rtol=1e-15, atol=1e-16)
    np.testing.assert_array_equal(without, [math.erf(v) for v in x])


def test_unknown_approximation():
    with pytest.raises(ValueError, match='approximate must be "none" or "tanh", got \'exact\''):
        gn.ops.gelu(gn.tensor([1.0]), approximate="exact")
