"""SimpleRNN, LSTM and GRU against PyTorch 2.13 in float64 (outputs, final states, every parameter's
gradient), the fused op against the unrolled autograd loop, and bad input."""

import numpy as np
import pytest

import glassnet as gn
from glassnet import nn
from glassnet.nn.layers.recurrent import from_torch_state_dict

torch = pytest.importorskip("torch", reason="PyTorch 2.13 is needed for the parity tests")

RTOL, ATOL = 1e-10, 1e-12
B, T, F, H = 3, 5, 4, 6
KINDS = {"rnn": (torch.nn.RNN, nn.SimpleRNN), "lstm": (torch.nn.LSTM, nn.LSTM), "gru": (torch.nn.GRU, nn.GRU)}


def _parts(layer):
    return (
        [(layer.forward_layer, "", 0), (layer.backward_layer, "_reverse", 1)]
        if hasattr(layer, "forward_layer")
        else [(layer, "", 0)]
    )


def _torch_and_ours(kind, layers, bidirectional, bias, fused=True, seed=0):
    torch.manual_seed(seed)
    theirs = KINDS[kind][0](
        F, H, num_layers=layers, bidirectional=bidirectional, bias=bias, batch_first=True
    ).double()
    ours = from_torch_state_dict(theirs.state_dict(), dtype="float64")
    for layer in ours.layers:
        for part, _, _ in _parts(layer):
            part.fused = fused
            part.return_state = True
    return theirs, ours


def _run_ours(model, x, states):
    """Run the layers one by one, passing each its slice of the PyTorch-shaped initial states."""
    finals = []
    directions = 2 if hasattr(model.layers[0], "forward_layer") else 1
    for number, layer in enumerate(model.layers):
        given = None
        if states is not None:
            per_state = [s[number * directions : (number + 1) * directions] for s in states]
            given = [s[d] for d in range(directions) for s in per_state]
        x, *final = layer(x, initial_state=given)
        finals.append(final)
    return x, finals


@pytest.mark.parametrize("kind", list(KINDS))
@pytest.mark.parametrize(
    "layers, bidirectional, bias, with_states",
    [
        (1, False, True, False),
        (1, False, True, True),
        (2, False, True, True),
        (2, True, True, True),
        (1, True, False, False),
        (2, False, False, True),
    ],
)
@pytest.mark.parametrize("fused", [True, False], ids=["fused", "unrolled"])
def test_matches_pytorch(kind, layers, bidirectional, bias, with_states, fused):
    theirs, ours = _torch_and_ours(kind, layers, bidirectional, bias, fused)
    rng = np.random.default_rng(1)
    x = rng.standard_normal((B, T, F))
    directions = 2 if bidirectional else 1
    count = 2 if kind == "lstm" else 1
    states = [rng.standard_normal((layers * directions, B, H)) for _ in range(count)] if with_states else None

    x_t = torch.tensor(x, requires_grad=True)
    states_t = [torch.tensor(s, requires_grad=True) for s in states] if states else None
    hx = None if states_t is None else (tuple(states_t) if kind == "lstm" else states_t[0])
    out_t, final_t = theirs(x_t, hx)
    final_t = list(final_t) if kind == "lstm" else [final_t]

    x_g = gn.tensor(x, requires_grad=True)
    states_g = [gn.tensor(s, requires_grad=True) for s in states] if states else None
    out_g, finals = _run_ours(ours, x_g, states_g)
    np.testing.assert_allclose(out_g.data, out_t.detach().numpy(), rtol=RTOL, atol=ATOL)
    # final states, PyTorch's (layers * directions, B, H) per state kind
    for k in range(count):
        ours_k = np.stack([final[d * count + k].data for final in finals for d in range(directions)])
        np.testing.assert_allclose(ours_k, final_t[k].detach().numpy(), rtol=RTOL, atol=ATOL)

    # one loss over all outputs and the final states
    w_out = rng.standard_normal(out_g.shape)
    w_final = [rng.standard_normal(f.shape) for f in final_t]
    loss_t = (out_t * torch.tensor(w_out)).sum() + sum(
        (f * torch.tensor(w)).sum() for f, w in zip(final_t, w_final)
    )
    loss_t.backward()
    loss_g = (out_g * gn.tensor(w_out)).sum()
    for k in range(count):
        for number, final in enumerate(finals):
            for d in range(directions):
                loss_g = (
                    loss_g + (final[d * count + k] * gn.tensor(w_final[k][number * directions + d])).sum()
                )
    loss_g.backward()
    np.testing.assert_allclose(x_g.grad, x_t.grad.numpy(), rtol=RTOL, atol=ATOL)
    for s_g, s_t in zip(states_g or [], states_t or []):
        np.testing.assert_allclose(s_g.grad, s_t.grad.numpy(), rtol=RTOL, atol=ATOL)
    grads = dict(theirs.named_parameters())
    for number, layer in enumerate(ours.layers):
        for part, suffix, _ in _parts(layer):
            names = [("kernel", "weight_ih", True), ("recurrent_kernel", "weight_hh", True)]
            if bias:
                names += [("bias", "bias_ih", False), ("recurrent_bias", "bias_hh", False)]
            for mine, torch_name, transpose in names:
                expected = grads[f"{torch_name}_l{number}{suffix}"].grad.numpy()
                np.testing.assert_allclose(
                    getattr(part, mine).grad,
                    expected.T if transpose else expected,
                    rtol=RTOL,
                    atol=ATOL,
                    err_msg=f"{mine} of layer {number}{suffix}",
                )


@pytest.mark.parametrize("kind", ["rnn", "lstm", "gru"])
def test_relu_and_keras_conventions_fused_equals_unrolled(kind):
    """Fused op and unrolled autograd loop: the same outputs and gradients (keras convention, masks)."""
    rng = np.random.default_rng(3)
    x = rng.standard_normal((B, T, F))
    mask = rng.random((B, T)) < 0.7
    results = []
    for fused in (True, False):
        gn.manual_seed(0)
        options = dict(return_sequences=True, fused=fused, dtype="float64")
        if kind == "rnn":
            options["activation"] = "relu"
        layer = {"rnn": nn.SimpleRNN, "lstm": nn.LSTM, "gru": nn.GRU}[kind](H, **options)
        x_g = gn.tensor(x, requires_grad=True)
        out = layer(x_g, mask=mask)
        (out * gn.tensor(np.arange(out.size).reshape(out.shape) % 7 - 3.0)).sum().backward()
        results.append([out.data, x_g.grad] + [p.grad for p in layer.parameters()])
    for fused_value, unrolled_value in zip(*results):
        np.testing.assert_allclose(fused_value, unrolled_value, rtol=1e-11, atol=1e-12)


def test_relu_rnn_matches_pytorch():
    torch.manual_seed(0)
    theirs = torch.nn.RNN(F, H, nonlinearity="relu", batch_first=True).double()
    ours = from_torch_state_dict(theirs.state_dict(), nonlinearity="relu", dtype="float64")
    x = np.random.default_rng(0).standard_normal((B, T, F))
    np.testing.assert_allclose(
        ours(x).data, theirs(torch.tensor(x))[0].detach().numpy(), rtol=RTOL, atol=ATOL
    )


# --- bad input ---------------------------------------------------------------------------------------------
def test_two_dimensional_input_is_refused_with_the_layer_name_and_shape():
    layer = nn.LSTM(4, name="encoder")
    with pytest.raises(
        ValueError,
        match=r"LSTM 'encoder' expects input of shape \(batch, time, features\), "
        r"got input shape \(None, 3\)",
    ):
        layer(gn.ones(5, 3))
    layer(gn.ones(2, 5, 3))
    with pytest.raises(ValueError, match=r"LSTM 'encoder' expects input of shape .* got shape \(5, 3\)"):
        layer(gn.ones(5, 3))
    with pytest.raises(ValueError, match=r"LSTM 'encoder' expects input with last dimension 3, got shape"):
        layer(gn.ones(2, 5, 4))


def test_mask_and_state_of_the_wrong_shape_are_refused():
    layer = nn.GRU(4, name="gru_x")
    x = gn.ones(2, 5, 3)
    with pytest.raises(
        ValueError,
        match=r"GRU 'gru_x': mask of shape \(2, 4\) does not fit input of shape "
        r"\(2, 5, 3\); expected \(batch, time\) = \(2, 5\)",
    ):
        layer(x, mask=np.ones((2, 4), dtype=bool))
    with pytest.raises(
        ValueError,
        match=r"GRU 'gru_x': initial state h has shape \(2, 3\), expected "
        r"\(batch, units\) = \(2, 4\)",
    ):
        layer(x, initial_state=gn.zeros(2, 3))
    lstm = nn.LSTM(4, name="lstm_x")
    with pytest.raises(ValueError, match=r"LSTM 'lstm_x' takes 2 initial state\(s\) \(h, c\), got 1"):
        lstm(x, initial_state=[gn.zeros(2, 4)])


def test_bad_hyperparameters():
    with pytest.raises(ValueError, match="units must be a positive integer"):
        nn.LSTM(0)
    with pytest.raises(ValueError, match="convention must be 'keras' or 'pytorch'"):
        nn.GRU(3, convention="tf")
    with pytest.raises(ValueError, match="must be 'tanh' or 'relu'"):
        nn.SimpleRNN(3, activation="sigmoid")


@pytest.mark.parametrize("return_sequences", [False, True])
@pytest.mark.parametrize("go_backwards", [False, True])
def test_lstm_without_a_graph_gives_the_outputs_of_training(return_sequences, go_backwards):
    """Inference reuses one step's gate buffers; the numbers must be those of the kept-for-backward run."""
    gn.manual_seed(4)
    layer = nn.LSTM(5, return_sequences=return_sequences, return_state=True, go_backwards=go_backwards)
    x = gn.tensor(np.random.default_rng(1).normal(size=(3, 7, 4)))
    mask = gn.tensor(np.arange(7)[None, :] < np.array([7, 4, 2])[:, None])
    with_graph = layer(x, mask=mask)
    with gn.no_grad():
        without = layer(x, mask=mask)
    assert with_graph[0].requires_grad and not without[0].requires_grad
    for a, b in zip(with_graph, without):
        np.testing.assert_array_equal(a.numpy(), b.numpy())
