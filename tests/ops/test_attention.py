"""Scaled dot-product attention beyond the op table's rows: a hand-worked value, the rows where every key
is masked, the softmax without the shift by each row's max and the scores that need it, the weights'
backward skipped when nothing used them, seeded dropout, and the errors."""

import numpy as np
import pytest

import glassnet as gn
from glassnet.ops import attention
from glassnet.ops.attention import ScaledDotProductAttention, scaled_dot_product_attention


def test_two_tokens_by_hand():
    # q = k = v = I (d_k = 2, s = 1/√2): scores [[s, 0], [0, s]], so each row is softmax([s, 0]).
    eye = gn.tensor(np.eye(2))
    out, weights = scaled_dot_product_attention(eye, eye, eye, need_weights=True)
    p = 1 / (1 + np.exp(-1 / np.sqrt(2)))
    np.testing.assert_allclose(weights.data, [[p, 1 - p], [1 - p, p]], rtol=1e-15)
    np.testing.assert_allclose(out.data, weights.data, rtol=1e-15)  # V = I picks the weights


def test_a_row_with_every_key_masked_gives_zeros_not_nan():
    rng = np.random.default_rng(0)
    q, k, v = (gn.tensor(rng.standard_normal((3, 2)), requires_grad=True) for _ in range(3))
    allowed = np.array([[True, False, True], [False, False, False], [True, True, True]])
    out, weights = scaled_dot_product_attention(q, k, v, attn_mask=allowed, need_weights=True)
    assert np.array_equal(weights.data[1], np.zeros(3)) and np.array_equal(out.data[1], np.zeros(2))
    assert np.all(weights.data[~allowed] == 0)
    (out.sum() + weights.sum()).backward()
    assert np.isfinite(q.grad).all() and np.array_equal(q.grad[1], np.zeros(2))


def _reference_weights(scores, allowed=None):
    """softmax in float64, each row shifted by its max, masked keys at -inf."""
    scores = scores.astype(np.float64)
    if allowed is not None:
        scores = np.where(allowed, scores, -np.inf)
    shifted = np.exp(scores - scores.max(axis=-1, keepdims=True))
    return shifted / shifted.sum(axis=-1, keepdims=True)


def _weights_and_path(scores, monkeypatch, allowed=None):
    """The op's weights for these scores (Q = the scores, K = V = I, scale 1), and whether it shifted each
    row by its max."""
    shifted = []
    original = attention._safe_softmax_
    monkeypatch.setattr(attention, "_safe_softmax_", lambda a, xp: shifted.append(True) or original(a, xp))
    eye = np.broadcast_to(
        np.eye(scores.shape[-1], dtype=scores.dtype), scores.shape[:-2] + (scores.shape[-1],) * 2
    )
    _, weights = scaled_dot_product_attention(
        gn.tensor(scores), gn.tensor(eye), gn.tensor(eye), attn_mask=allowed, scale=1.0, need_weights=True
    )
    return weights.data, bool(shifted)


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_scores_within_the_exp_range_skip_the_shift_and_give_the_same_weights(dtype, monkeypatch):
    rng = np.random.default_rng(6)
    scores = (rng.standard_normal((2, 3, 5, 5)) * 20).astype(dtype)  # some rows near ±60
    allowed = np.tril(np.ones((5, 5), dtype=bool))
    for mask in (None, allowed):
        weights, shifted = _weights_and_path(scores, monkeypatch, mask)
        assert not shifted
        tolerance = 1e-6 if dtype == "float32" else 1e-14
        np.testing.assert_allclose(weights, _reference_weights(scores, mask), rtol=tolerance, atol=1e-300)


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("level", ["overflow", "underflow"])
def test_scores_beyond_the_exp_range_are_shifted_by_each_rows_max(dtype, level, monkeypatch):
    # float32's e^a overflows above 88.7 and its smallest normal is e^-87.3 (float64: 709.8 and e^-708.4):
    # rows far above would give inf, rows far below would sum to 0 or to a few subnormal terms.
    rng = np.random.default_rng(7)
    offset = {"float32": 150.0, "float64": 900.0}[dtype] * (1 if level == "overflow" else -1)
    scores = rng.standard_normal((1, 2, 4, 4)).astype(dtype)
    scores[0, 1, 2] += offset  # one row
    weights, shifted = _weights_and_path(scores, monkeypatch, np.tril(np.ones((4, 4), dtype=bool)))
    assert shifted
    reference = _reference_weights(scores, np.tril(np.ones((4, 4), dtype=bool)))
    np.testing.assert_allclose(weights, reference, rtol=1e-6 if dtype == "float32" else 1e-14, atol=1e-300)


def test_an_additive_mask_of_minus_infinity_needs_no_shift(monkeypatch):
    rng = np.random.default_rng(8)
    scores = rng.standard_normal((2, 4, 4))
    additive = np.where(np.tril(np.ones((4, 4), dtype=bool)), 0.0, -np.inf)
    weights, shifted = _weights_and_path(scores, monkeypatch, additive)
    assert not shifted
    np.testing.assert_allclose(weights, _reference_weights(scores + additive), rtol=1e-14, atol=1e-300)


def test_weights_unused_gives_the_same_gradients_and_skips_their_share(monkeypatch):
    rng = np.random.default_rng(1)
    arrays = [rng.standard_normal((2, 4, 3)) for _ in range(3)]
    seen = []
    original = ScaledDotProductAttention.backward

    def spy(self, grad):
        seen.append(grad["weights"])
        return original(self, grad)

    monkeypatch.setattr(ScaledDotProductAttention, "backward", spy)
    grads = []
    for use_weights in (False, True):
        q, k, v = (gn.tensor(a, requires_grad=True) for a in arrays)
        out, weights = scaled_dot_product_attention(q, k, v, is_causal=True, need_weights=True)
        loss = (out * out).sum() + (0.0 * weights.sum() if use_weights else 0.0)
        loss.backward()
        grads.append([t.grad for t in (q, k, v)])
    assert seen[0] is None and seen[1] is not None  # the engine hands None for the unused weights
    for ours, with_weights in zip(*grads):
        np.testing.assert_allclose(ours, with_weights, rtol=1e-13, atol=1e-15)


@pytest.mark.parametrize("use_weights", [False, True])
def test_gradients_with_dropout_match_finite_differences(use_weights):
    # The same mask at every evaluation (the seed is set inside), alone and beside a gradient through
    # the weights output.
    rng = np.random.default_rng(5)
    q, k, v = (gn.tensor(rng.standard_normal((2, 3, 5, 4)), requires_grad=True) for _ in range(3))

    def attend(q, k, v):
        gn.manual_seed(0)
        out, weights = scaled_dot_product_attention(q, k, v, dropout=0.3, is_causal=True, need_weights=True)
        return out * 1.3 + (weights[..., :4] * 0.7).sum(-1, keepdims=True) if use_weights else out

    assert gn.gradcheck(attend, [q, k, v]) is True


def test_dropout_follows_manual_seed_and_is_off_in_evaluation():
    rng = np.random.default_rng(2)
    q, k, v = (gn.tensor(rng.standard_normal((2, 5, 3))) for _ in range(3))
    runs = []
    for _ in range(2):
        gn.manual_seed(7)
        runs.append(scaled_dot_product_attention(q, k, v, dropout=0.5).data)
    np.testing.assert_array_equal(runs[0], runs[1])
    plain = scaled_dot_product_attention(q, k, v).data
    assert not np.allclose(runs[0], plain)
    np.testing.assert_array_equal(
        scaled_dot_product_attention(q, k, v, dropout=0.5, training=False).data, plain
    )


@pytest.mark.parametrize(
    "shapes, options, message",
    [
        (((2, 4, 3), (2, 5, 2), (2, 5, 3)), {}, "same last axis d_k"),
        (((2, 4, 3), (2, 5, 3), (2, 6, 3)), {}, "same length S"),
        (
            ((2, 4, 3), (2, 5, 3), (2, 5, 3)),
            {"attn_mask": np.ones((4, 6), bool)},
            r"attn_mask of shape \(4, 6\)",
        ),
        (((2, 4, 3), (2, 5, 3), (2, 5, 3)), {"attn_mask": np.ones((4, 5), int)}, "boolean or float"),
        (((2, 4, 3), (2, 5, 3), (2, 5, 3)), {"key_padding_mask": np.zeros((2, 4), bool)}, r"shape \(2, 5\)"),
        (((2, 4, 3), (2, 5, 3), (2, 5, 3)), {"key_padding_mask": np.zeros((2, 5))}, "must be boolean"),
        (((2, 4, 3), (2, 5, 3), (2, 5, 3)), {"dropout": 1.0}, r"dropout must be in \[0, 1\)"),
    ],
)
def test_bad_input_says_what_was_expected(shapes, options, message):
    q, k, v = (gn.tensor(np.zeros(shape)) for shape in shapes)
    with pytest.raises((ValueError, TypeError), match=message):
        scaled_dot_product_attention(q, k, v, **options)
