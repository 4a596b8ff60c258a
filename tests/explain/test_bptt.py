"""Backpropagation through time worked out: every printed term, summed, is autograd's gradient; the
gradient over time vanishes faster in a SimpleRNN than in an LSTM."""

import re

import numpy as np
import pytest

from glassnet import nn
from glassnet.explain.bptt import worked_bptt
from glassnet.explain.vanishing import gradient_norms_over_time, plot_gradient_norms_over_time


def scalar_network():
    rnn = nn.SimpleRNN(1)
    rnn.build((None, 3, 1))
    rnn.kernel.data[:], rnn.recurrent_kernel.data[:], rnn.bias.data[:] = 0.5, 0.8, 0.1
    head = nn.Dense(1)
    head.build((None, 1))
    head.weight.data[:], head.bias.data[:] = 1.5, 0.0
    return rnn, head


def test_three_steps_in_the_notes_form(float64):
    solution = worked_bptt(*scalar_network(), [[1.0], [2.0], [-1.0]], 0.5, loss="mse")
    text = solution.render("text", precision=12)
    line = next(row for row in text.splitlines() if row.startswith("∂L/∂w_h = "))
    numbers, value = line.split(" = ")[2], float(line.split(" = ")[3])
    terms = [np.prod([float(f.strip("()")) for f in term.split("·")]) for term in numbers.split(" + ")]
    assert len(terms) == 3  # one product per time step
    assert sum(terms) == pytest.approx(value, rel=1e-9)
    assert value == pytest.approx(solution.autograd["W_h"].item(), rel=1e-9)
    assert "z₂ = x₂·w_i + o₁·w_h + b = 2·0.5 + 0.537049566998·0.8 + 0.1 = 1.529639653598" in text
    for fmt in ("md", "tex", "html"):
        assert "0.065117" in solution.render(fmt).replace("-0.065117", "0.065117")


@pytest.mark.parametrize(
    "units, features, activation, loss, target",
    [
        (3, 2, "tanh", "mse", [0.2, -0.4]),
        (2, 3, "relu", "binary_crossentropy", [1.0, 0.0]),
    ],
)
def test_vector_terms_sum_to_autograd(float64, units, features, activation, loss, target):
    rnn = nn.SimpleRNN(units, activation=activation)
    rnn.build((None, 4, features))
    head = nn.Dense(2, activation="sigmoid" if loss == "binary_crossentropy" else None)
    head.build((None, units))
    x = np.random.default_rng(units).uniform(-1, 1, (4, features))
    solution = worked_bptt(rnn, head, x, target, loss=loss)
    for name in ("W_h", "W_i", "b"):
        np.testing.assert_allclose(
            np.sum(solution.terms[name], axis=0), solution.autograd[name], rtol=1e-9, atol=1e-13
        )
    np.testing.assert_allclose(solution.sums["W_o"], solution.autograd["W_o"], rtol=1e-9, atol=1e-13)
    assert solution.max_discrepancy() < 1e-12
    printed = solution.render("text", precision=12)
    table = printed[printed.index("Term of each step") :].splitlines()[3:7]
    parsed = [
        np.array([float(v) for v in re.findall(r"-?\d+\.?\d*(?:e-?\d+)?", row.split("]]")[0])[1:]])
        for row in table
    ]
    np.testing.assert_allclose(
        np.sum(parsed, axis=0), solution.autograd["W_h"].ravel(), rtol=1e-9, atol=1e-11
    )


def test_only_simple_rnn(float64):
    lstm = nn.LSTM(2)
    lstm.build((None, 3, 1))
    head = nn.Dense(1)
    head.build((None, 2))
    with pytest.raises(TypeError, match="forward SimpleRNN"):
        worked_bptt(lstm, head, [[1.0], [2.0], [3.0]], 1.0)


def test_gradient_over_time_vanishes_faster_without_gates(tmp_path):
    simple, lstm = gradient_norms_over_time("SimpleRNN", 50), gradient_norms_over_time("LSTM", 50)
    assert simple[0] / simple[-1] < 1e-5  # tanh' · W_h, fifty times over
    assert lstm[0] / lstm[-1] > 100 * simple[0] / simple[-1]  # the cell state carries the gradient further
    plt = pytest.importorskip("matplotlib.pyplot", reason="the plot needs matplotlib")
    path = plot_gradient_norms_over_time(tmp_path / "over_time.png", steps=30)
    image = plt.imread(path)
    assert len(np.unique(image.reshape(-1, image.shape[-1]), axis=0)) > 10
