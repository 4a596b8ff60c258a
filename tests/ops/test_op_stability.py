"""Numerical stability: activations and losses on float32 inputs as large as |z| = 1e4 give finite
values and gradients that match a float64 reference, without a floating-point warning.

Overflow, division by zero and invalid operations are errors here; underflow is not, because e^(-1e4)
rounding to 0 is the right float32 answer.
"""

import warnings

import numpy as np
import pytest

import glassnet as gn
from glassnet import ops
from glassnet.ops import activation, loss

LOGITS = np.array([
    [-1e4, -1e3, -100.0, -20.0, -1.0],
    [0.0, 1.0, 20.0, 100.0, 1e3],
    [1e4, 1e4, -1e4, 0.5, -0.5],
    [1e4, -1e4, 3.0, -1e4, 1e4],
])  # rows: classes on the last axis
LABELS = np.array([2, 0, 3, 1])  # each row's label sits on a logit far below the row's maximum
TARGET_BITS = (np.arange(LOGITS.size).reshape(LOGITS.shape) % 2).astype(np.float64)


def _logsumexp(z):
    top = z.max(axis=-1, keepdims=True)
    return top + np.log(np.exp(z - top).sum(axis=-1, keepdims=True))


def _softmax(z):
    return np.exp(z - _logsumexp(z))


# Each reference takes float64 logits z and the upstream gradient g (of the output's shape); it returns
# (value, dL/dz).
def ref_sigmoid(z, g):
    s = np.exp(-np.logaddexp(0, -z))
    return s, g * np.exp(-np.logaddexp(0, -z) - np.logaddexp(0, z))


def ref_tanh(z, g):
    t = np.tanh(z)
    return t, g * (1 - t * t)


def ref_softmax(z, g):
    p = _softmax(z)
    return p, p * (g - (g * p).sum(axis=-1, keepdims=True))


def ref_log_softmax(z, g):
    return z - _logsumexp(z), g - _softmax(z) * g.sum(axis=-1, keepdims=True)


def ref_elu(z, g):
    negative = np.minimum(z, 0)
    return np.where(z > 0, z, np.expm1(negative)), g * np.where(z > 0, 1, np.exp(negative))


def ref_selu(z, g):
    value, slope = ref_elu(z, np.ones_like(z))
    alpha, scale = activation.SELU_ALPHA, activation.SELU_SCALE
    return scale * np.where(z > 0, z, alpha * value), g * scale * np.where(z > 0, 1, alpha * slope)


def ref_bce_logits(z, g):
    value = np.maximum(z, 0) - z * TARGET_BITS + np.log1p(np.exp(-np.abs(z)))
    return value, g * (ref_sigmoid(z, 1.0)[0] - TARGET_BITS)


def ref_softmax_ce(z, g):
    one_hot = np.eye(z.shape[-1])[LABELS]
    value = _logsumexp(z)[:, 0] - (z * one_hot).sum(axis=-1)
    return value, g[:, None] * (_softmax(z) - one_hot)


def bce_logits(z):
    return loss.BinaryCrossEntropyWithLogits.apply(z, TARGET_BITS.astype(np.float32))


def softmax_ce(z):
    return loss.SoftmaxCrossEntropy.apply(z, np.eye(z.shape[-1], dtype=np.float32)[LABELS])


def sparse_softmax_ce(z):
    return loss.SparseSoftmaxCrossEntropy.apply(z, LABELS)


CASES = {
    "sigmoid": (ops.sigmoid, ref_sigmoid),
    "tanh": (ops.tanh, ref_tanh),
    "softmax": (ops.softmax, ref_softmax),
    "log_softmax": (ops.log_softmax, ref_log_softmax),
    "elu": (ops.elu, ref_elu),
    "selu": (ops.selu, ref_selu),
    "bce_logits": (bce_logits, ref_bce_logits),
    "softmax_ce": (softmax_ce, ref_softmax_ce),
    "sparse_softmax_ce": (sparse_softmax_ce, ref_softmax_ce),
}


def run_strictly(fn, *args):
    """Run fn with every floating-point warning turned into an error (underflow excepted)."""
    strict = np.errstate(over="raise", divide="raise", invalid="raise", under="ignore")
    with warnings.catch_warnings(), strict:
        warnings.simplefilter("error")
        return fn(*args)


def forward_backward(op, z):
    """Run op on z and backpropagate a fixed random upstream gradient; return both."""
    out = op(z)
    upstream = np.random.default_rng(0).standard_normal(out.shape)
    out.backward(upstream.astype(out.dtype))
    return out, upstream


@pytest.mark.parametrize("name", CASES)
def test_large_float32_inputs_stay_finite_and_right(name):
    op, reference = CASES[name]
    z = gn.tensor(LOGITS.astype(np.float32), requires_grad=True)
    out, upstream = run_strictly(forward_backward, op, z)
    assert out.dtype == np.float32 and z.grad.dtype == np.float32
    assert np.isfinite(out.data).all(), f"{name}: non-finite output {out.data}"
    assert np.isfinite(z.grad).all(), f"{name}: non-finite gradient {z.grad}"
    expected_value, expected_grad = reference(LOGITS, upstream.astype(np.float32).astype(np.float64))
    np.testing.assert_allclose(out.data, expected_value, rtol=1e-6, atol=1e-6, err_msg=f"{name}: value")
    np.testing.assert_allclose(z.grad, expected_grad, rtol=1e-5, atol=1e-6, err_msg=f"{name}: gradient")


def test_the_strict_runner_catches_an_overflow():
    # The check above can fail: a naive sigmoid overflows in e^(-z) at z = -1e4.
    z = LOGITS.astype(np.float32)
    with pytest.raises(FloatingPointError, match="overflow"):
        run_strictly(lambda v: 1 / (1 + np.exp(-v)), z)


def probabilities_at_the_edges():
    p = np.array([[0.0, 1.0, 0.5], [1.0, 0.0, 1e-30]], dtype=np.float32)
    return gn.tensor(p, requires_grad=True)


def test_cross_entropies_of_certain_probabilities_are_clamped_not_infinite():
    # log 0 is clamped to -100, as PyTorch's BCELoss does: a loss of 100, never inf or NaN.
    target = np.array([[1.0, 0.0, 1.0], [0.0, 1.0, 0.0]], dtype=np.float32)
    p = probabilities_at_the_edges()
    out, _ = run_strictly(forward_backward, lambda t: loss.BinaryCrossEntropy.apply(t, target), p)
    np.testing.assert_allclose(out.data, [[100.0, 100.0, np.log(2)], [100.0, 100.0, 0.0]], rtol=1e-6,
                               atol=1e-6)
    assert np.isfinite(p.grad).all()

    p = probabilities_at_the_edges()
    out, _ = run_strictly(forward_backward, lambda t: loss.CategoricalCrossEntropy.apply(t, target), p)
    np.testing.assert_allclose(out.data, [100.0 + np.log(2), 100.0], rtol=1e-6)
    np.testing.assert_array_equal(p.grad[0, 0], 0.0)  # clamped: no gradient through the -100 floor
    assert np.isfinite(p.grad).all()

    p = probabilities_at_the_edges()
    labels = np.array([0, 1])
    out, _ = run_strictly(forward_backward, lambda t: loss.SparseCategoricalCrossEntropy.apply(t, labels), p)
    np.testing.assert_allclose(out.data, [100.0, 100.0], rtol=1e-6)
    assert np.isfinite(p.grad).all()


@pytest.mark.parametrize("kind", ["SimpleRNN", "LSTM", "GRU"])
def test_recurrent_gates_saturate_without_overflow(kind):
    """Pre-activations of ±1e4 in float32: the fused sequence ops' σ(z) = 1/(1 + e^(-z)) meets e^(1e4) = inf
    and gives exactly 0, with no warning; values and gradients equal the unrolled float64 path's."""
    from glassnet import nn

    x = np.random.default_rng(1).standard_normal((3, 5, 2)) * 1e4
    fused = getattr(nn, kind)(4, return_sequences=True, convention="pytorch")
    plain = getattr(nn, kind)(4, return_sequences=True, convention="pytorch", fused=False, dtype="float64")
    fused.build(x.shape)
    plain.build(x.shape)
    for ours, reference in zip(fused.parameters(), plain.parameters()):
        reference.data[...] = ours.data
    inputs = gn.tensor(x.astype(np.float32), requires_grad=True), gn.tensor(x, requires_grad=True)
    out, upstream = run_strictly(forward_backward, fused, inputs[0])
    expected, _ = forward_backward(plain, inputs[1])
    assert np.abs(out.data).max() > 0.5  # saturated, not all zero
    np.testing.assert_allclose(out.data, expected.data, rtol=1e-5, atol=1e-6)
    for ours, reference in zip(fused.parameters(), plain.parameters()):
        scale = max(1.0, np.abs(reference.grad).max())
        np.testing.assert_allclose(ours.grad, reference.grad, rtol=1e-4, atol=1e-5 * scale)
