"""Initializers: the sample mean and variance of a large draw match each formula; fans are right."""

import numpy as np
import pytest

from glassnet import nn
from glassnet.nn import initializers as init

FAN_IN, FAN_OUT = 400, 300
CASES = {  # name: (mean, variance) for a (400, 300) dense weight
    "zeros": (0.0, 0.0),
    "ones": (1.0, 0.0),
    "normal": (0.0, 0.05**2),
    "uniform": (0.0, 0.1**2 / 12),
    "xavier_normal": (0.0, 2 / (FAN_IN + FAN_OUT)),
    "xavier_uniform": (0.0, 2 / (FAN_IN + FAN_OUT)),
    "he_normal": (0.0, 2 / FAN_IN),
    "he_uniform": (0.0, 2 / FAN_IN),
    "lecun_normal": (0.0, 1 / FAN_IN),
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_sample_moments_match_formula(name):
    mean, variance = CASES[name]
    w = init.get(name)((FAN_IN, FAN_OUT))
    assert w.dtype == np.float32 and w.shape == (FAN_IN, FAN_OUT)
    n = w.size
    assert abs(w.mean() - mean) < 5 * np.sqrt(variance / n) + 1e-12
    # the sample variance of n draws has relative standard error about sqrt(2/n) (less for uniform)
    assert abs(w.var() - variance) <= 5 * np.sqrt(2 / n) * variance + 1e-12


def test_uniform_limits():
    w = init.he_uniform((FAN_IN, FAN_OUT))
    limit = np.sqrt(6 / FAN_IN)
    assert w.max() <= limit and w.min() >= -limit and w.max() > 0.99 * limit
    w = init.xavier_uniform((FAN_IN, FAN_OUT))
    assert np.abs(w).max() <= np.sqrt(6 / (FAN_IN + FAN_OUT))


def test_fans_for_dense_and_conv_kernels():
    assert init.compute_fans((784, 128)) == (784, 128)
    assert init.compute_fans((32, 3, 5, 5)) == (3 * 25, 32 * 25)  # (out, in, kh, kw)
    w = init.he_normal((64, 16, 3, 3))
    assert abs(w.var() - 2 / (16 * 9)) < 0.05 * 2 / (16 * 9)


def test_seeded_draws_repeat():
    import glassnet as gn

    gn.manual_seed(7)
    a = init.he_normal((3, 3))
    gn.manual_seed(7)
    np.testing.assert_array_equal(a, init.he_normal((3, 3)))


def test_layers_use_named_initializers():
    layer = nn.Dense(300, weight_init="he_normal", bias_init="ones")
    layer.build((None, FAN_IN))
    assert abs(layer.weight.data.var() - 2 / FAN_IN) < 0.05 * 2 / FAN_IN
    np.testing.assert_array_equal(layer.bias.data, 1.0)
    with pytest.raises(ValueError, match="unknown initializer 'identity_ish'; valid names:"):
        nn.Dense(3, weight_init="identity_ish").build((None, 4))
