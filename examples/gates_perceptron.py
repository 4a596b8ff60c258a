"""Rosenblatt's perceptron on logic gates: the notes' AND example step by step, then five gates learned.

python examples/gates_perceptron.py
"""

import warnings

import numpy as np

from glassnet.models import ConvergenceWarning, Perceptron

INPUTS = np.array([[0, 0], [0, 1], [1, 0], [1, 1]])
GATES = {  # the target for each row of INPUTS
    "AND": [0, 0, 0, 1],
    "OR": [0, 1, 1, 1],
    "NAND": [1, 1, 1, 0],
    "NOR": [1, 0, 0, 0],
    "XOR": [0, 1, 1, 0],
}


def notes_and_example() -> None:
    """CURRICULUM section 1: AND, θ = 1, η = 0.5, w = (1.2, 0.6), no bias, output 1 iff w·x > θ."""
    model = Perceptron(learning_rate=0.5, threshold=1.0, use_bias=False, initial_weights=[1.2, 0.6])
    model.fit(INPUTS, GATES["AND"], trace=True)
    print("AND gate, threshold 1, learning rate 0.5, start w = (1.2, 0.6), no bias:")
    print(model.trace_)
    print(f"converged after {model.epochs_} epochs, w = {np.round(model.weights_, 4)}\n")


def learn_gates() -> None:
    """Each gate from zero weights (θ = 0, η = 0.5, with a bias); XOR never converges."""
    print("Each gate learned from zero weights (threshold 0, learning rate 0.5, with a bias):")
    for name, targets in GATES.items():
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)  # XOR's warning, reported on the line below
            model = Perceptron().fit(INPUTS, targets)
        weights = ", ".join(f"{w:g}" for w in model.weights_)
        verdict = "converged" if model.converged_ else "did not converge: not linearly separable"
        print(
            f"{name:>4}: w = ({weights}), b = {model.bias_:g}, epochs {model.epochs_:>3}, {verdict}, "
            f"predicts {model.predict(INPUTS)}"
        )


if __name__ == "__main__":
    notes_and_example()
    learn_gates()
