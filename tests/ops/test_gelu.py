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


def test_float32_normal_cdf_is_within_3e7_of_the_exact_value():
    """float32 Φ comes from the Abramowitz-Stegun erf (PyTorch's float32 kernel's), not SciPy's loop."""
    x = np.linspace(-12, 12, 400_001).astype(np.float32)
    exact = np.array([0.5 * math.erfc(-v / math.sqrt(2)) for v in x.astype(np.float64)])
    phi = gaussian.normal_cdf(x)
    assert phi.dtype == np.float32
    np.testing.assert_allclose(phi, exact, rtol=0, atol=3e-7)
    assert np.abs(phi - exact).max() > 1e-8  # the approximation, not the float64 path
    np.testing.assert_array_less(phi[x < -5], 3e-7)  # no cancellation of 1 + erf at negative x
    with np.errstate(over="raise"):  # x² overflowing to inf is the right answer, not a warning
        special = gaussian.normal_cdf(np.array([0, -0.0, np.inf, -np.inf, 1e20, -1e20, np.nan], np.float32))
    np.testing.assert_allclose(special[:2], 0.5, rtol=0, atol=6e-8)
    np.testing.assert_array_equal(special[2:], [1.0, 0.0, 1.0, 0.0, np.nan])
    phi, pdf = gaussian.normal_cdf(x, with_pdf=True)
    np.testing.assert_array_equal(phi, gaussian.normal_cdf(x))
    density = np.exp(-0.5 * x.astype(np.float64) ** 2) / math.sqrt(2 * math.pi)
    np.testing.assert_allclose(pdf, density, rtol=1e-5, atol=1e-30)  # x²/2 rounded to float32 first
    assert gaussian.normal_cdf(np.array(1.0, dtype=np.float32)).shape == ()  # 0-d stays an array
    np.testing.assert_allclose(gaussian.normal_cdf(np.array([1.0])), [0.5 * math.erfc(-1 / math.sqrt(2))])


def test_float32_gelu_is_nearer_the_exact_values_than_pytorchs():
    torch = pytest.importorskip("torch")
    x = np.linspace(-8, 8, 100_001).astype(np.float32)
    wide = x.astype(np.float64)
    exact = wide * np.array([0.5 * math.erfc(-v / math.sqrt(2)) for v in wide])
    ours = gn.ops.gelu(gn.tensor(x)).data
    theirs = torch.nn.functional.gelu(torch.from_numpy(x)).numpy()
    assert np.abs(ours - exact).max() <= np.abs(theirs - exact).max()
    np.testing.assert_allclose(ours, theirs, rtol=0, atol=2e-6)
