"""The perceptron: the notes' hand-worked numbers, the four separable gates, XOR, and its errors."""

import runpy
import warnings
from pathlib import Path

import numpy as np
import pytest

import glassnet as gn
from glassnet.models import ConvergenceWarning, Perceptron, PerceptronStep, PerceptronTrace
from glassnet.models.perceptron import format_number

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
INPUTS = np.array([[0, 0], [0, 1], [1, 0], [1, 1]])
GATES = {
    "AND": [0, 0, 0, 1],
    "OR": [0, 1, 1, 1],
    "NAND": [1, 1, 1, 0],
    "NOR": [1, 0, 0, 0],
}
XOR = [0, 1, 1, 0]


def notes_and_model():
    """CURRICULUM section 1 (seed 003): AND, θ = 1, η = 0.5, w = (1.2, 0.6), no bias."""
    return Perceptron(learning_rate=0.5, threshold=1.0, use_bias=False, initial_weights=[1.2, 0.6])


# The notes' AND trace, worked by hand: (epoch, case, z = w·x, predicted, target, w before, w after).
AND_TRACE = [
    (1, 0, 0.0, 0, 0, (1.2, 0.6), (1.2, 0.6)),
    (1, 1, 0.6, 0, 0, (1.2, 0.6), (1.2, 0.6)),
    (1, 2, 1.2, 1, 0, (1.2, 0.6), (0.7, 0.6)),  # the one error: 1.2 > 1 but AND(1, 0) = 0
    (1, 3, 1.3, 1, 1, (0.7, 0.6), (0.7, 0.6)),
    (2, 0, 0.0, 0, 0, (0.7, 0.6), (0.7, 0.6)),
    (2, 1, 0.6, 0, 0, (0.7, 0.6), (0.7, 0.6)),
    (2, 2, 0.7, 0, 0, (0.7, 0.6), (0.7, 0.6)),
    (2, 3, 1.3, 1, 1, (0.7, 0.6), (0.7, 0.6)),
]


def test_notes_and_example_every_row_of_the_trace():
    model = notes_and_model().fit(INPUTS, GATES["AND"], trace=True)
    trace = model.trace_
    assert isinstance(trace, PerceptronTrace) and len(trace) == 8 and trace.epochs == 2
    for row, expected in zip(trace.rows, AND_TRACE, strict=True):
        epoch, case, z, predicted, target, before, after = expected
        assert isinstance(row, PerceptronStep)
        assert (row.epoch, row.case, row.predicted, row.target) == (epoch, case, predicted, target)
        assert row.error == target - predicted
        assert row.inputs == tuple(INPUTS[case])
        assert row.weighted_sum == pytest.approx(z, abs=1e-12)
        assert row.weights_before == pytest.approx(before, abs=1e-12)
        assert row.weights_after == pytest.approx(after, abs=1e-12)
        assert row.bias_before == row.bias_after == 0.0
    assert model.weights_ == pytest.approx([0.7, 0.6], abs=1e-12)
    assert model.bias_ == 0.0
    assert (model.epochs_, model.converged_, model.errors_per_epoch_) == (2, True, [1, 0])


def test_trace_prints_as_an_aligned_table_without_float_noise():
    trace = notes_and_model().fit(INPUTS, GATES["AND"], trace=True).trace_
    headers, cells = trace.table()
    assert headers == ["epoch", "case", "x", "w.x", "predicted", "target", "error", "w before", "w after"]
    assert cells[2] == ["1", "2", "(1, 0)", "1.2", "1", "0", "-1", "(1.2, 0.6)", "(0.7, 0.6)"]
    text = str(trace)
    lines = text.splitlines()
    assert len(lines) == 2 + 8 and len({len(line) for line in lines}) == 1  # aligned: equal widths
    assert lines[0] == "epoch  case       x  w.x  predicted  target  error    w before     w after"
    assert "(0.7, 0.6)" in text and "1.3 " in text  # 0.7 + 0.6 = 1.2999999999999998 shows as 1.3
    assert "0.69999" not in text and "1.29999" not in text


def test_trace_with_a_bias_has_bias_columns():
    trace = Perceptron().fit(INPUTS, GATES["OR"], trace=True).trace_
    headers, cells = trace.table()
    assert headers[3] == "w.x + b"
    assert headers[-4:] == ["w before", "b before", "w after", "b after"]
    first = trace.rows[0]  # (0, 0) with zero weights: z = 0, not > 0, so 0; target 0
    assert (first.weighted_sum, first.predicted, first.error) == (0.0, 0, 0)
    second = trace.rows[1]  # (0, 1): predicted 0, target 1: w += 0.5 (0, 1), b += 0.5
    assert second.weights_after == (0.0, 0.5) and second.bias_after == 0.5
    assert cells[1][-2:] == ["(0, 0.5)", "0.5"]
    assert repr(trace) == f"PerceptronTrace(epochs={trace.epochs}, steps={len(trace)})"


def test_fit_without_trace_leaves_trace_none_and_returns_self():
    model = Perceptron()
    assert model.fit(INPUTS, GATES["AND"]) is model
    assert model.trace_ is None


def test_notes_nand_by_hand():
    nand = Perceptron(initial_weights=[-1, -1], initial_bias=2)  # threshold 0: output 1 iff z > 0
    np.testing.assert_array_equal(nand.decision_function(INPUTS), [2.0, 1.0, 1.0, 0.0])
    predicted = nand.predict(INPUTS)
    np.testing.assert_array_equal(predicted, [1, 1, 1, 0])
    assert predicted.dtype.kind == "i"
    assert nand.score(INPUTS, GATES["NAND"]) == 1.0
    assert nand.score(INPUTS, GATES["AND"]) == 0.0


@pytest.mark.parametrize("gate", sorted(GATES))
def test_learns_each_separable_gate_from_zeros(gate):
    with warnings.catch_warnings():
        warnings.simplefilter("error", ConvergenceWarning)
        model = Perceptron().fit(INPUTS, GATES[gate])
    assert model.converged_ and model.errors_per_epoch_[-1] == 0
    assert model.epochs_ == len(model.errors_per_epoch_) < model.max_epochs
    np.testing.assert_array_equal(model.predict(INPUTS), GATES[gate])
    assert model.score(INPUTS, GATES[gate]) == 1.0


@pytest.mark.parametrize("gate", sorted(GATES))
def test_learns_each_gate_when_shuffled(gate):
    model = Perceptron(shuffle=True).fit(INPUTS, GATES[gate], trace=True)
    assert model.converged_
    np.testing.assert_array_equal(model.predict(INPUTS), GATES[gate])
    first_epoch = [row.case for row in model.trace_.rows if row.epoch == 1]
    assert sorted(first_epoch) == [0, 1, 2, 3]


def test_shuffle_repeats_under_manual_seed():
    def cases():
        gn.manual_seed(7)
        rows = Perceptron(shuffle=True).fit(INPUTS, GATES["NAND"], trace=True).trace_.rows
        return [row.case for row in rows]

    assert cases() == cases()


def test_xor_stops_at_max_epochs_and_warns():
    with pytest.warns(ConvergenceWarning, match=r"did not converge within max_epochs=20.*linearly separable"):
        model = Perceptron(max_epochs=20).fit(INPUTS, XOR)
    assert (model.epochs_, model.converged_) == (20, False)
    assert len(model.errors_per_epoch_) == 20 and min(model.errors_per_epoch_) > 0
    assert model.score(INPUTS, XOR) < 1.0
    assert issubclass(ConvergenceWarning, UserWarning)


def test_converging_in_the_last_allowed_epoch_does_not_warn():
    with warnings.catch_warnings():
        warnings.simplefilter("error", ConvergenceWarning)
        model = notes_and_model()
        model.max_epochs = 2
        model.fit(INPUTS, GATES["AND"])
    assert model.converged_ and model.epochs_ == 2


def test_each_fit_starts_from_the_initial_weights():
    model = notes_and_model()
    first = model.fit(INPUTS, GATES["AND"]).weights_.copy()
    second = model.fit(INPUTS, GATES["AND"]).weights_
    np.testing.assert_array_equal(first, second)
    np.testing.assert_array_equal(model.initial_weights, [1.2, 0.6])


def test_before_fit_weights_are_the_initial_ones_or_none():
    assert Perceptron(initial_weights=[1, 2]).weights_.tolist() == [1.0, 2.0]
    model = Perceptron()
    assert model.weights_ is None and model.epochs_ == 0 and not model.converged_
    with pytest.raises(ValueError, match="no weights yet: call fit"):
        model.predict(INPUTS)


def test_accepts_lists_bools_and_tensors():
    model = Perceptron().fit(INPUTS.astype(bool).tolist(), np.array(GATES["OR"], dtype=bool))
    np.testing.assert_array_equal(model.predict(gn.tensor(INPUTS.astype(float))), GATES["OR"])


def test_get_config_and_repr():
    model = Perceptron(threshold=1, use_bias=False, initial_weights=[1.2, 0.6])
    config = model.get_config()
    assert config["initial_weights"] == [1.2, 0.6] and config["threshold"] == 1.0
    assert Perceptron(**config).get_config() == config
    assert repr(model).startswith("Perceptron(learning_rate=0.5, threshold=1.0, use_bias=False")


@pytest.mark.parametrize(
    "kwargs, match",
    [
        ({"learning_rate": 0}, "learning_rate must be a finite number > 0, got 0"),
        ({"learning_rate": float("nan")}, "learning_rate must be a finite number > 0"),
        ({"threshold": "1"}, "threshold must be a finite number, got '1'"),
        ({"max_epochs": 0}, "max_epochs must be an integer >= 1, got 0"),
        ({"max_epochs": 2.5}, "max_epochs must be an integer >= 1"),
        ({"use_bias": 1}, "use_bias must be True or False, got 1"),
        ({"shuffle": "yes"}, "shuffle must be True or False"),
        ({"use_bias": False, "initial_bias": 1.0}, "initial_bias=1.0 needs use_bias=True"),
        ({"initial_weights": [[1, 2]]}, r"initial_weights must be 1-D, one per input, got shape \(1, 2\)"),
    ],
)
def test_hyperparameters_are_checked_up_front(kwargs, match):
    with pytest.raises(ValueError, match=match):
        Perceptron(**kwargs)


@pytest.mark.parametrize(
    "X, y, error, match",
    [
        ([0, 1, 1], [0, 1, 1], ValueError, r"X must be 2-D \(cases, inputs\).*got shape \(3,\).*reshape"),
        (INPUTS, [0, 1, 1], ValueError, "X has 4 cases but y has 3 targets"),
        (INPUTS, [0, 1, 2, -1], ValueError, "y must hold only 0 and 1, got -1, 2"),
        (INPUTS, [[0], [1], [1], [0]], ValueError, r"y must be 1-D.*got shape \(4, 1\)"),
        ([["a", "b"]], [0], TypeError, "X must hold real numbers, got dtype <U1"),
        ([[np.nan, 0]], [0], ValueError, "X must be finite"),
    ],
)
def test_fit_rejects_bad_data_with_clear_errors(X, y, error, match):
    with pytest.raises(error, match=match):
        Perceptron().fit(X, y)


def test_weights_and_inputs_must_agree_in_number():
    with pytest.raises(ValueError, match=r"initial_weights has 3 values but X has 2 inputs per case"):
        Perceptron(initial_weights=[1, 2, 3]).fit(INPUTS, GATES["AND"])
    model = Perceptron().fit(INPUTS, GATES["AND"])
    with pytest.raises(ValueError, match=r"has 2 weights but X has 3 inputs per case \(shape \(1, 3\)\)"):
        model.predict([[0, 1, 1]])


@pytest.mark.parametrize(
    "value, text", [(1.2 - 0.5, "0.7"), (0.1 + 0.2, "0.3"), (-1e-9, "0"), (2.0, "2"), (-0.12345, "-0.1235")]
)
def test_format_number_rounds_for_display_only(value, text):
    assert format_number(value) == text


def test_gates_example_runs_and_prints_the_notes_trace(capsys):
    runpy.run_path(str(EXAMPLES / "gates_perceptron.py"), run_name="__main__")
    out = capsys.readouterr().out
    assert "    1     2  (1, 0)  1.2          1       0     -1  (1.2, 0.6)  (0.7, 0.6)" in out
    assert "converged after 2 epochs, w = [0.7 0.6]" in out
    for gate, targets in GATES.items():
        line = next(line for line in out.splitlines() if line.strip().startswith(f"{gate}:"))
        assert "converged" in line and "not" not in line
        assert f"predicts {np.array(targets)}" in line
    xor_line = next(line for line in out.splitlines() if line.strip().startswith("XOR:"))
    assert "epochs 100" in xor_line and "did not converge: not linearly separable" in xor_line
