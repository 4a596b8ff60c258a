"""The perceptron in worked solutions and exercises (it lives here because explain may not import models).

``perceptron_document(spec, title)`` runs Rosenblatt's rule on a logic gate and returns the case-by-case
table of the notes as an explain ``Document``; the "perceptron" exercise kind is registered with
``glassnet.explain.exercises`` when glassnet.models is imported.
"""

from __future__ import annotations

import numpy as np

from glassnet.data import GATE_INPUTS, GATE_OUTPUTS
from glassnet.explain.document import Document, Table, Text
from glassnet.explain.exercises import Exercise, register_kind, small_value
from glassnet.models.perceptron import Perceptron

__all__ = ["perceptron_document"]


def perceptron_document(spec: dict, title: str):
    """(Document, result) for a perceptron learning ``spec["gate"]`` from ``spec["weights"]``/``spec["bias"]``
    with ``learning_rate``, ``threshold``, ``use_bias`` and ``max_epochs``; result holds the final weights,
    bias, epochs and whether it converged."""
    gate = spec.get("gate", "and").lower()
    if gate not in GATE_OUTPUTS:
        raise ValueError(f"unknown gate {gate!r}; valid: {', '.join(GATE_OUTPUTS)}")
    use_bias = spec.get("use_bias", True)
    perceptron = Perceptron(
        learning_rate=spec.get("learning_rate", 0.5),
        threshold=spec.get("threshold", 0.0),
        use_bias=use_bias,
        max_epochs=spec.get("max_epochs", 100),
        initial_weights=spec.get("weights"),
        initial_bias=spec.get("bias", 0.0) if use_bias else 0.0,
    )
    perceptron.fit(np.array(GATE_INPUTS, dtype=float), np.array(GATE_OUTPUTS[gate]), trace=True)
    headers, cells = perceptron.trace_.table()
    document = Document(title)
    section = document.section("Rosenblatt's rule, case by case")
    section.add(
        Text(
            "w ← w + η (target − predicted) x"
            + (", b ← b + η (target − predicted)" if use_bias else "")
            + f"; output 1 iff w·x{' + b' if use_bias else ''} > θ"
        )
    )
    section.add(Table(headers, cells))
    weights = [round(float(w), 10) for w in perceptron.weights_]
    outcome = (
        f"converged after {perceptron.epochs_} epochs"
        if perceptron.converged_
        else f"did not converge in {perceptron.epochs_} epochs: the cases are not linearly separable"
    )
    bias = f", b = {round(float(perceptron.bias_), 10):g}" if use_bias else ""
    section.add(Text(f"{outcome}; w = {weights}{bias}"))
    result = {
        "weights": weights,
        "bias": float(perceptron.bias_),
        "epochs": perceptron.epochs_,
        "converged": perceptron.converged_,
    }
    return document, result


def _perceptron_exercise(seed: int, rng) -> Exercise:
    gate = str(rng.choice(["and", "or", "nand", "nor"]))
    spec = {
        "gate": gate,
        "weights": [small_value(rng, -1, 1, True), small_value(rng, -1, 1, True)],
        "bias": small_value(rng, -1, 1, True),
        "learning_rate": float(rng.choice([0.1, 0.2, 0.5])),
        "threshold": 0.0,
    }
    solution, result = perceptron_document(spec, f"Solution of exercise perceptron #{seed}")
    question = Document(f"Exercise perceptron #{seed}: the {gate.upper()} gate")
    given = question.section("Given")
    w1, w2 = spec["weights"]
    given.add(
        Text(
            f"Output 1 iff w·x + b > 0; start w = ({w1:g}, {w2:g}), b = {spec['bias']:g}, "
            f"η = {spec['learning_rate']:g}; the cases in the order (0,0), (0,1), (1,0), (1,1), each epoch; "
            "w ← w + η (target − predicted) x, b ← b + η (target − predicted)."
        )
    )
    given.add(
        Table(["x1", "x2", "target"], [[a, b, t] for (a, b), t in zip(GATE_INPUTS, GATE_OUTPUTS[gate])])
    )
    question.section("Find").add(
        Text("The weights and bias once an epoch makes no error (w1, w2, b), and the number of epochs run.")
    )
    answers = {
        "w1": result["weights"][0],
        "w2": result["weights"][1],
        "b": result["bias"],
        "epochs": result["epochs"],
    }
    return Exercise("perceptron", seed, question, solution, answers, spec)


register_kind("perceptron", _perceptron_exercise)
