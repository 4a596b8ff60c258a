"""Gradient clipping: the optimizers' clipnorm / clipvalue / global_clipnorm (Keras's rules) and
nn.utils.clip_grad_norm_ / clip_grad_value_ (PyTorch's)."""

import numpy as np
import pytest

from glassnet import nn, optim


def _params():
    a, b = nn.Parameter(np.zeros(2)), nn.Parameter(np.zeros(1))
    a.grad, b.grad = np.array([3.0, 4.0]), np.array([12.0])
    return a, b


@pytest.mark.parametrize("optimizer", [optim.SGD, optim.Adagrad, optim.Adadelta, optim.RMSProp, optim.Adam])
def test_every_optimizer_takes_the_clipping_options(optimizer):
    a, b = _params()
    optimizer([a, b], clipnorm=1.0).step()
    a2, b2 = _params()
    a2.grad, b2.grad = np.array([0.6, 0.8]), np.array([1.0])
    optimizer([a2, b2]).step()
    np.testing.assert_allclose(a.data, a2.data, rtol=1e-12)
    np.testing.assert_allclose(b.data, b2.data, rtol=1e-12)


def test_clipnorm_is_per_parameter_and_leaves_grad_alone():
    a, b = _params()
    optim.SGD([a, b], lr=1.0, clipnorm=5.0).step()
    np.testing.assert_allclose(a.data, [-3.0, -4.0])  # norm 5: unchanged
    np.testing.assert_allclose(b.data, [-5.0])  # 12 -> 5
    np.testing.assert_array_equal(b.grad, [12.0])


def test_global_clipnorm_scales_all_gradients_together():
    a, b = _params()  # global norm sqrt(9 + 16 + 144) = 13
    optim.SGD([a, b], lr=1.0, global_clipnorm=6.5).step()
    np.testing.assert_allclose(a.data, [-1.5, -2.0])
    np.testing.assert_allclose(b.data, [-6.0])


def test_clipvalue_clips_each_entry():
    a, b = _params()
    optim.SGD([a, b], lr=1.0, clipvalue=3.5).step()
    np.testing.assert_allclose(a.data, [-3.0, -3.5])
    np.testing.assert_allclose(b.data, [-3.5])


def test_bad_clipping_options():
    a, _ = _params()
    with pytest.raises(ValueError, match="SGD: clipnorm must be a number > 0, got 0"):
        optim.SGD([a], clipnorm=0)
    with pytest.raises(ValueError, match="clipnorm or global_clipnorm, not both"):
        optim.Adam([a], clipnorm=1.0, global_clipnorm=1.0)


def test_clip_grad_norm_matches_pytorch():
    torch = pytest.importorskip("torch")
    a, b = _params()
    total = nn.utils.clip_grad_norm_([a, b], max_norm=2.0)
    ta = torch.zeros(2, dtype=torch.float64, requires_grad=True)
    tb = torch.zeros(1, dtype=torch.float64, requires_grad=True)
    ta.grad, tb.grad = (
        torch.tensor([3.0, 4.0], dtype=torch.float64),
        torch.tensor([12.0], dtype=torch.float64),
    )
    expected = torch.nn.utils.clip_grad_norm_([ta, tb], max_norm=2.0)
    assert total == pytest.approx(float(expected))
    np.testing.assert_allclose(a.grad, ta.grad.numpy(), rtol=1e-12)
    np.testing.assert_allclose(b.grad, tb.grad.numpy(), rtol=1e-12)
    a, b = _params()
    assert nn.utils.clip_grad_norm_([a, b], max_norm=100.0) == pytest.approx(13.0)
    np.testing.assert_array_equal(b.grad, [12.0])
    assert nn.utils.clip_grad_norm_([a, b], max_norm=1.0, norm_type=float("inf")) == 12.0


def test_clip_grad_value():
    a, b = _params()
    nn.utils.clip_grad_value_([a, b], 3.5)
    np.testing.assert_array_equal(a.grad, [3.0, 3.5])
    np.testing.assert_array_equal(b.grad, [3.5])


def test_clipping_tames_an_exploding_rnn():
    """A SimpleRNN with a recurrent weight of 3 over 30 steps: the raw gradient is huge, the clipped one
    has norm 1."""
    import glassnet as gn

    layer = nn.SimpleRNN(1, activation="relu", use_bias=False, dtype="float64")
    x = np.ones((1, 30, 1))
    layer(x)
    layer.kernel.data[...] = 1.0
    layer.recurrent_kernel.data[...] = 3.0
    layer(gn.tensor(x)).sum().backward()
    assert float(np.abs(layer.recurrent_kernel.grad).max()) > 1e12
    total = nn.utils.clip_grad_norm_(layer.parameters(), 1.0)
    assert total > 1e12
    norm = np.sqrt(sum((p.grad**2).sum() for p in layer.parameters()))
    assert norm == pytest.approx(1.0, rel=1e-5)
