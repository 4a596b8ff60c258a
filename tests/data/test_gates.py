"""Logic gates: the truth tables, in the notes' input order."""

from __future__ import annotations

import numpy as np
import pytest

from glassnet.data import logic_gate

TRUTH_TABLES = {
    "and": [0, 0, 0, 1],
    "or": [0, 1, 1, 1],
    "nand": [1, 1, 1, 0],
    "nor": [1, 0, 0, 0],
    "xor": [0, 1, 1, 0],
}

# A perceptron that computes each linearly separable gate: step(x1 w1 + x2 w2 + b).
PERCEPTRONS = {
    "and": ([1.0, 1.0], -1.5),
    "or": ([1.0, 1.0], -0.5),
    "nand": ([-1.0, -1.0], 1.5),
    "nor": ([-1.0, -1.0], 0.5),
}


@pytest.mark.parametrize("name", TRUTH_TABLES)
def test_truth_tables(name):
    X, y = logic_gate(name)
    assert X.dtype == np.float64 and y.dtype == np.float64
    assert X.shape == (4, 2) and y.shape == (4, 1)
    assert X.tolist() == [[0, 0], [0, 1], [1, 0], [1, 1]]
    assert y.ravel().tolist() == TRUTH_TABLES[name]
    X_upper, y_upper = logic_gate(name.upper())
    np.testing.assert_array_equal(y_upper, y)


@pytest.mark.parametrize("name", PERCEPTRONS)
def test_separable_gates_match_a_perceptron(name):
    X, y = logic_gate(name)
    weights, bias = PERCEPTRONS[name]
    np.testing.assert_array_equal((X @ weights + bias > 0).astype(float), y.ravel())


def test_xor_is_or_and_nand():
    X, xor = logic_gate("xor")
    _, gate_or = logic_gate("or")
    _, gate_nand = logic_gate("nand")
    np.testing.assert_array_equal(xor, gate_or * gate_nand)


def test_unknown_gate_lists_the_valid_names():
    with pytest.raises(ValueError, match="unknown logic gate 'xnand'; valid names: and, or, nand, nor, xor"):
        logic_gate("xnand")
