"""Logic gates: the four inputs (0,0), (0,1), (1,0), (1,1) and a gate's output, the first data sets of the
notes. AND, OR, NAND and NOR are linearly separable (one perceptron learns them); XOR is not, which is why
a hidden layer is needed."""

from __future__ import annotations

import numpy as np

__all__ = ["logic_gate", "GATE_INPUTS", "GATE_OUTPUTS"]

#: The inputs (x1, x2), in the notes' order.
GATE_INPUTS = ((0, 0), (0, 1), (1, 0), (1, 1))

#: Each gate's output for the four inputs, in the same order.
GATE_OUTPUTS = {
    "and": (0, 0, 0, 1),
    "or": (0, 1, 1, 1),
    "nand": (1, 1, 1, 0),
    "nor": (1, 0, 0, 0),
    "xor": (0, 1, 1, 0),
}


def logic_gate(name: str):
    """The truth table of a logic gate as training data.

    Args:
        name: ``"and"``, ``"or"``, ``"nand"``, ``"nor"`` or ``"xor"`` (any case).

    Returns:
        ``(X, y)``: X float64 of shape (4, 2), the inputs (0,0), (0,1), (1,0), (1,1); y float64 of shape
        (4, 1), the outputs (a column, as a network with one output unit gives them).

    Example:
        >>> X, y = logic_gate("xor")
        >>> X.tolist(), y.ravel().tolist()
        ([[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]], [0.0, 1.0, 1.0, 0.0])
    """
    key = name.lower() if isinstance(name, str) else name
    if key not in GATE_OUTPUTS:
        raise ValueError(f"unknown logic gate {name!r}; valid names: {', '.join(GATE_OUTPUTS)}")
    X = np.array(GATE_INPUTS, dtype=np.float64)
    y = np.array(GATE_OUTPUTS[key], dtype=np.float64).reshape(4, 1)
    return X, y
