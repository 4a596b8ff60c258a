"""Masks, stacking, Bidirectional, TimeDistributed, stateful layers, the Keras convention and saving."""

import numpy as np
import pytest

import glassnet as gn
from glassnet import nn

LAYERS = {"rnn": nn.SimpleRNN, "lstm": nn.LSTM, "gru": nn.GRU}


def _model(kind, padding_id=True, bidirectional=False, seed=0):
    gn.manual_seed(seed)
    first = LAYERS[kind](5, return_sequences=True, dtype="float64")
    if bidirectional:
        first = nn.Bidirectional(first, merge_mode="sum")
    return nn.Sequential(
        [
            nn.Embedding(7, 4, mask_zero=padding_id, dtype="float64"),
            first,
            LAYERS[kind](3, dtype="float64"),
            nn.Dense(2, dtype="float64"),
        ]
    )


@pytest.mark.parametrize("kind", list(LAYERS))
@pytest.mark.parametrize("padding", ["pre", "post"])
@pytest.mark.parametrize("bidirectional", [False, True], ids=["one_way", "bidirectional"])
def test_padding_changes_nothing(kind, padding, bidirectional):
    """A padded batch through Embedding(mask_zero) -> RNN -> RNN -> Dense gives each sequence's output and
    the same weight gradients as running the unpadded sequences one by one."""
    sequences = [[3, 1, 4, 1, 5], [2, 6], [5, 3, 5]]
    padded = gn.data.pad_sequences(sequences, padding=padding)
    model = _model(kind, bidirectional=bidirectional)
    model(padded[:1])  # build
    weights = np.random.default_rng(0).standard_normal((len(sequences), 2))

    out = model(padded)
    (out * gn.tensor(weights)).sum().backward()
    batched = [p.grad.copy() for p in model.parameters()]
    model.zero_grad()
    singles = []
    for row, sequence in enumerate(sequences):
        single = model(np.array([sequence]))
        singles.append(single.data[0])
        (single * gn.tensor(weights[row : row + 1])).sum().backward()
    np.testing.assert_allclose(out.data, np.array(singles), rtol=1e-12, atol=1e-13)
    for together, one_by_one in zip(batched, [p.grad for p in model.parameters()]):
        np.testing.assert_allclose(together, one_by_one, rtol=1e-10, atol=1e-13)


@pytest.mark.parametrize("options", [{"convention": "pytorch"}, {"zero_output_for_mask": True}])
def test_masked_steps_output_zero_and_carry_the_state(options):
    gn.manual_seed(0)
    layer = nn.LSTM(3, return_sequences=True, return_state=True, dtype="float64", **options)
    x = np.random.default_rng(0).standard_normal((1, 4, 2))
    out, h, c = layer(x, mask=np.array([[True, True, False, False]]))
    np.testing.assert_array_equal(out.data[0, 2:], 0.0)
    np.testing.assert_allclose(h.data[0], out.data[0, 1], rtol=0, atol=0)


@pytest.mark.parametrize("kind", list(LAYERS))
def test_keras_masked_steps_repeat_the_last_real_output_and_zeros_before_the_first(kind):
    """Keras (convention="keras", zero_output_for_mask=False): a padded step outputs the last real output;
    steps before the first real one output 0, even from a nonzero initial state."""
    gn.manual_seed(0)
    layer = LAYERS[kind](3, return_sequences=True, dtype="float64")
    x = np.random.default_rng(0).standard_normal((2, 5, 2))
    mask = np.array([[True, True, False, True, False], [False, False, True, True, True]])
    states = [np.full((2, 3), 0.5)] * (2 if kind == "lstm" else 1)
    out = layer(x, initial_state=states, mask=mask).data
    np.testing.assert_array_equal(out[0, 2], out[0, 1])
    np.testing.assert_array_equal(out[0, 4], out[0, 3])
    np.testing.assert_array_equal(out[1, :2], 0.0)
    assert np.all(out[1, 2:] != 0) and np.all(out[0, 3] != out[0, 1])


@pytest.mark.parametrize(
    "mode, combine",
    [
        ("concat", lambda a, b: np.concatenate([a, b], -1)),
        ("sum", np.add),
        ("mul", np.multiply),
        ("ave", lambda a, b: (a + b) / 2),
    ],
)
def test_bidirectional_merge_modes(mode, combine):
    gn.manual_seed(0)
    layer = nn.Bidirectional(nn.GRU(3, return_sequences=True, dtype="float64"), merge_mode=mode)
    x = np.random.default_rng(0).standard_normal((2, 4, 2))
    out = layer(x)
    ahead = layer.forward_layer(x).data
    behind = layer.backward_layer(x).data
    np.testing.assert_allclose(out.data, combine(ahead, behind))
    # the backward direction reads time reversed: its output at t = 0 is its last state
    reversed_run = nn.GRU.from_config({**layer.backward_layer.get_config(), "reverse": False, "name": "r"})
    reversed_run.build((None, 4, 2))
    reversed_run.load_state_dict(layer.backward_layer.state_dict())
    np.testing.assert_allclose(behind[:, ::-1], reversed_run(x[:, ::-1]).data, rtol=1e-12)
    assert layer.compute_output_shape((None, 4, 2)) == ((None, 4, 6) if mode == "concat" else (None, 4, 3))


def test_time_distributed_applies_one_dense_to_every_step():
    gn.manual_seed(0)
    dense = nn.Dense(3, dtype="float64")
    layer = nn.TimeDistributed(dense)
    x = np.random.default_rng(0).standard_normal((2, 4, 5))
    out = layer(x)
    np.testing.assert_allclose(out.data, x @ dense.weight.data + dense.bias.data, rtol=1e-12)
    assert layer.compute_output_shape((None, 4, 5)) == (None, 4, 3)


def test_stateful_layer_carries_state_across_batches_as_one_long_sequence():
    gn.manual_seed(0)
    whole = nn.LSTM(4, return_sequences=True, dtype="float64")
    x = np.random.default_rng(0).standard_normal((2, 6, 3))
    expected = whole(x).data
    stateful = nn.LSTM(4, return_sequences=True, stateful=True, dtype="float64")
    stateful.build((None, 6, 3))
    stateful.load_state_dict(whole.state_dict())
    first, second = stateful(x[:, :3]), stateful(x[:, 3:])
    np.testing.assert_allclose(np.concatenate([first.data, second.data], 1), expected, rtol=1e-12)
    stateful.reset_states()
    np.testing.assert_allclose(stateful(x[:, :3]).data, expected[:, :3], rtol=1e-12)
    with pytest.raises(ValueError, match="is stateful with batch size 2, got a batch of 1"):
        stateful(x[:1, :3])


@pytest.mark.parametrize("kind", ["SimpleRNN", "LSTM", "GRU"])
def test_stateful_truncated_bptt_cuts_the_graph_between_batches(kind):
    """The second batch's backward reaches its own steps only: no gradient reaches the first batch, and
    the weights get exactly the gradient of the second batch run alone from the carried state as a
    constant (without the cut, the first batch's steps would add their share to it)."""
    gn.manual_seed(0)
    rng = np.random.default_rng(0)
    layer = getattr(nn, kind)(2, stateful=True, dtype="float64")
    first, second = (gn.tensor(rng.standard_normal((2, 3, 2)), requires_grad=True) for _ in range(2))
    layer(first)
    carried = [state.copy() for state in layer.states]
    assert all(np.abs(state).min() > 1e-3 for state in carried)  # the carried state matters
    layer(second).sum().backward()
    assert first.grad is None

    alone = getattr(nn, kind)(2, dtype="float64")
    alone.build((None, 3, 2))
    for ours, theirs in zip(alone.parameters(), layer.parameters()):
        ours.data[...] = theirs.data
    x = gn.tensor(second.data.copy(), requires_grad=True)
    initial = carried if kind == "LSTM" else carried[0]
    alone(x, initial_state=initial).sum().backward()
    np.testing.assert_array_equal(second.grad, x.grad)
    for ours, theirs in zip(alone.parameters(), layer.parameters()):
        np.testing.assert_array_equal(theirs.grad, ours.grad, err_msg=ours.name)


def test_keras_lstm_equals_pytorch_with_one_bias_and_keras_gru_is_pytorch_with_gates_swapped():
    gn.manual_seed(0)
    x = np.random.default_rng(0).standard_normal((2, 5, 3))
    keras_lstm = nn.LSTM(4, dtype="float64")
    keras_lstm(x)
    np.testing.assert_array_equal(keras_lstm.bias.data[4:8], 1.0)  # unit_forget_bias
    torch_lstm = nn.LSTM(4, convention="pytorch", dtype="float64")
    torch_lstm(x)
    torch_lstm.kernel.data[...] = keras_lstm.kernel.data
    torch_lstm.recurrent_kernel.data[...] = keras_lstm.recurrent_kernel.data
    torch_lstm.bias.data[...] = keras_lstm.bias.data
    torch_lstm.recurrent_bias.data[...] = 0
    np.testing.assert_allclose(keras_lstm(x).data, torch_lstm(x).data, rtol=1e-12)

    keras_gru = nn.GRU(4, dtype="float64")
    keras_gru(x)
    torch_gru = nn.GRU(4, convention="pytorch", dtype="float64")
    torch_gru(x)
    swap = np.r_[4:8, 0:4, 8:12]  # Keras z, r, h -> PyTorch r, z, n
    for name in ("kernel", "recurrent_kernel", "bias", "recurrent_bias"):
        getattr(torch_gru, name).data[...] = getattr(keras_gru, name).data[..., swap]
    np.testing.assert_allclose(keras_gru(x).data, torch_gru(x).data, rtol=1e-12)
    # Keras's recurrent kernel starts orthogonal
    w = nn.SimpleRNN(6)
    w(np.ones((1, 2, 3), dtype=np.float32))
    np.testing.assert_allclose(w.recurrent_kernel.data @ w.recurrent_kernel.data.T, np.eye(6), atol=1e-5)


def test_save_and_load_a_recurrent_model(tmp_path):
    gn.manual_seed(0)
    model = nn.Sequential(
        [
            nn.Embedding(9, 4, mask_zero=True),
            nn.Bidirectional(nn.LSTM(3, return_sequences=True, convention="pytorch")),
            nn.TimeDistributed(nn.Dense(2)),
            nn.GRU(3, reverse=True),
            nn.Dense(1),
        ]
    )
    x = np.array([[0, 0, 3, 4], [1, 2, 3, 8]])
    expected = model(x).data
    model.save(tmp_path / "rnn.glassnet")
    loaded = nn.load_model(tmp_path / "rnn.glassnet")
    np.testing.assert_allclose(loaded(x).data, expected, rtol=1e-6)
    assert [type(layer).__name__ for layer in loaded.layers] == [
        "Embedding",
        "Bidirectional",
        "TimeDistributed",
        "GRU",
        "Dense",
    ]
