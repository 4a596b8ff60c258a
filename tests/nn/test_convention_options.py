"""The options that reproduce Keras (``convention="keras"``, ``go_backwards``, ``reset_after``, ``axis=-1``,
``zero_output_for_mask``) without Keras installed: how they relate to the PyTorch behaviour, and the one-line
errors for contradictory arguments. tests/nn/test_keras_conventions.py compares them with Keras 3 itself."""

import numpy as np
import pytest

import glassnet as gn
from glassnet import nn


def test_keras_and_pytorch_losses_differ_where_the_conventions_do():
    """At ŷ = 3e-9 Keras's clip gives -log 1e-7 where PyTorch's log gives -log 3e-9; the categorical gradient
    gains Σy / Σŷ through Keras's row normalization."""
    target = np.array([[1.0, 1.0]])
    p = gn.tensor(np.array([[3e-9, 1 - 3e-9]]), requires_grad=True)
    keras_bce = nn.BinaryCrossEntropy(convention="keras")(p, target)
    torch_bce = nn.BinaryCrossEntropy()(p, target)
    assert keras_bce.item() == pytest.approx(-(np.log(1e-7) + np.log(1 - 1e-7)) / 2, rel=1e-12)
    assert torch_bce.item() == pytest.approx(-(np.log(3e-9) + np.log1p(-3e-9)) / 2, rel=1e-9)
    keras_bce.backward()
    np.testing.assert_array_equal(p.grad, [[0.0, 0.0]])  # both clipped: the clip is flat there
    q = gn.tensor(np.array([[0.25, 0.75]]), requires_grad=True)
    nn.CategoricalCrossEntropy(convention="keras")(q, np.array([[1.0, 0.0]])).backward()
    np.testing.assert_allclose(q.grad, [[-4.0 + 1.0, 1.0]], rtol=1e-12)


def test_keras_per_example_loss_is_the_mean_over_the_last_axis():
    prediction, target = gn.tensor(np.array([[1.0, 2.0, 3.0], [0.0, 0.0, 0.0]])), np.zeros((2, 3))
    # MSE's per-example values: (1 + 4 + 9) / 3 and 0
    per_example = nn.MSE(reduction="none", convention="keras")(prediction, target)
    np.testing.assert_allclose(per_example.data, [14 / 3, 0])
    assert nn.MSE(reduction="sum", convention="keras")(prediction, target).item() == pytest.approx(14 / 3)
    assert nn.MSE(reduction="sum")(prediction, target).item() == pytest.approx(14)
    assert nn.MSE(convention="keras")(prediction, target).item() == nn.MSE()(prediction, target).item()


@pytest.mark.parametrize("kind", [nn.SimpleRNN, nn.LSTM, nn.GRU])
def test_go_backwards_is_reverse_with_the_outputs_in_reading_order(kind, float64):
    x = np.random.default_rng(0).standard_normal((2, 4, 3))
    mask = np.array([[True, True, True, False], [False, True, True, True]])
    options = dict(return_sequences=True, return_state=True, zero_output_for_mask=True)
    aligned, reading = kind(2, reverse=True, **options), kind(2, go_backwards=True, **options)
    first = aligned(x, mask=mask)
    reading.build(x.shape)
    reading.load_state_dict(aligned.state_dict())
    second = reading(x, mask=mask)
    np.testing.assert_array_equal(second[0].data, first[0].data[:, ::-1])
    for a, b in zip(first[1:], second[1:]):
        np.testing.assert_array_equal(a.data, b.data)


def test_gru_reset_before_differs_from_reset_after_and_has_one_bias(float64):
    x = np.random.default_rng(1).standard_normal((2, 3, 2))
    after, before = nn.GRU(2, bias_init="normal"), nn.GRU(2, reset_after=False, bias_init="normal")
    out_after = after(x)
    before.build(x.shape)
    for name in ("kernel", "recurrent_kernel", "bias"):
        getattr(before, name).data[...] = getattr(after, name).data
    out_before = before(x)
    assert before.bias.shape == (6,) and before.recurrent_bias is None
    assert after.bias.shape == after.recurrent_bias.shape == (6,)
    assert not np.allclose(out_after.data, out_before.data)
    assert nn.GRU.from_config(before.get_config()).reset_after is False


@pytest.mark.parametrize(
    "make, words",
    [
        (lambda: nn.GRU(2, reset_after=False, convention="pytorch"), "needs convention='keras'"),
        (lambda: nn.LSTM(2, reverse=True, go_backwards=True), "not both"),
        (lambda: nn.Bidirectional(nn.LSTM(2, go_backwards=True)), "go_backwards=False"),
        (lambda: nn.BatchNorm(axis=1, data_format="channels_last").build((None, 3)), None),
        (lambda: nn.BatchNorm(axis=2, data_format="channels_last"), "contradicts data_format"),
        (lambda: nn.BatchNorm(axis=0), "nonzero int"),
        (lambda: nn.BatchNorm(data_format="NHWC"), "'channels_first' or 'channels_last'"),
        (lambda: nn.MSE(convention="tensorflow"), "convention must be one of"),
        (lambda: nn.PReLU(shared_axes=[1]), "give convention='keras'"),
        (lambda: nn.LeakyReLU(convention="jax"), "convention must be one of"),
        (lambda: nn.activations.get("relu", convention="jax"), "convention must be one of"),
    ],
)
def test_contradictory_or_unknown_options_fail_with_one_line(make, words):
    if words is None:  # data_format="channels_last" with the default axis=1 is accepted: axis -1
        make()
        assert nn.BatchNorm(data_format="channels_last").axis == -1
        return
    with pytest.raises(ValueError, match=words.replace("(", r"\(").replace(")", r"\)")):
        make()


def test_channels_last_batch_norm_names_the_axis_when_the_input_does_not_fit(float64):
    layer = nn.BatchNorm()
    layer(np.ones((2, 3, 4, 4)))
    with pytest.raises(ValueError, match="give axis=-1"):
        layer(np.ones((2, 4, 4, 5)))
