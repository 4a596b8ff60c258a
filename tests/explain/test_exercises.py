"""Generated exercises: 200 problems, each answer re-computed independently in plain float64 NumPy;
checking answers; the command line."""

import re

import numpy as np
import pytest

import glassnet.models  # noqa: F401 - registers the perceptron kind
from glassnet.cli.main import main
from glassnet.explain import exercises

ACTIVATIONS = {
    "sigmoid": (lambda z: 1 / (1 + np.exp(-z)), lambda z, a: a * (1 - a)),
    "relu": (lambda z: np.maximum(z, 0), lambda z, a: (z > 0).astype(float)),
    "tanh": (np.tanh, lambda z, a: 1 - a * a),
    "linear": (lambda z: z, lambda z, a: np.ones_like(z)),
}


def reference_network(spec):
    """Forward and backward of the 2-layer exercise network, written out by hand."""
    x = np.array(spec["x"], float)
    w1, b1, w2, b2 = (np.array(spec[k], float) for k in ("w1", "b1", "w2", "b2"))
    f1, d1 = ACTIVATIONS[spec["activation"]]
    f2, d2 = ACTIVATIONS[spec["output_activation"]]
    z1 = x @ w1 + b1
    a1 = f1(z1)
    z2 = a1 @ w2 + b2
    y_hat = f2(z2)[0]
    y = spec["target"]
    if spec["loss"] == "mse":
        loss, dloss = (y_hat - y) ** 2, 2 * (y_hat - y)
    else:
        loss = -(y * np.log(y_hat) + (1 - y) * np.log(1 - y_hat))
        dloss = (y_hat - y) / (y_hat * (1 - y_hat))
    delta2 = dloss * d2(z2, f2(z2))
    delta1 = (delta2 * w2[:, 0]) * d1(z1, a1)
    grads = {"w1": np.outer(x, delta1), "b1": delta1, "w2": np.outer(a1, delta2), "b2": delta2}
    answers = {f"z1_{j + 1}": z1[j] for j in range(len(z1))}
    answers.update({f"a1_{j + 1}": a1[j] for j in range(len(a1))})
    answers.update({"z2_1": z2[0], "a2_1": y_hat, "yhat": y_hat})
    return answers, loss, grads, {"w1": w1, "b1": b1, "w2": w2, "b2": b2}


def reference_optimizer(spec):
    w, lr, state, answers = spec["w0"], spec["lr"], {}, {}
    for t, g in enumerate(spec["gradients"], 1):
        if spec["optimizer"] == "SGD":  # the notes' momentum: V = βV + (1 − β)g, V₀ = 0
            state["v"] = spec["momentum"] * state.get("v", 0.0) + (1 - spec["momentum"]) * g
            w -= lr * state["v"]
        elif spec["optimizer"] == "Adagrad":
            state["G"] = state.get("G", 0.0) + g * g
            w -= lr * g / np.sqrt(state["G"] + spec["eps"])
        elif spec["optimizer"] == "RMSProp":
            state["S"] = spec["rho"] * state.get("S", 0.0) + (1 - spec["rho"]) * g * g
            w -= lr * g / np.sqrt(state["S"] + spec["eps"])
        else:  # Adam
            state["m"] = 0.9 * state.get("m", 0.0) + 0.1 * g
            state["v"] = 0.999 * state.get("v", 0.0) + 0.001 * g * g
            m_hat, v_hat = state["m"] / (1 - 0.9**t), state["v"] / (1 - 0.999**t)
            w -= lr * m_hat / (np.sqrt(v_hat) + 1e-8)
        answers[f"w{t}"] = w
    return answers


def reference_perceptron(spec):
    targets = {"and": [0, 0, 0, 1], "or": [0, 1, 1, 1], "nand": [1, 1, 1, 0], "nor": [1, 0, 0, 0]}[
        spec["gate"]
    ]
    w, b, lr = np.array(spec["weights"], float), spec["bias"], spec["learning_rate"]
    for epoch in range(1, 101):
        errors = 0
        for x, t in zip([(0, 0), (0, 1), (1, 0), (1, 1)], targets):
            predicted = int(np.dot(w, x) + b > 0)
            if predicted != t:
                errors += 1
                w = w + lr * (t - predicted) * np.array(x)
                b = b + lr * (t - predicted)
        if errors == 0:
            return {"w1": w[0], "w2": w[1], "b": b, "epochs": epoch}
    raise AssertionError("the gate did not converge")


@pytest.mark.parametrize("seed", range(40))
@pytest.mark.parametrize("kind", ["forward", "backprop", "optimizer", "perceptron", "shapes"])
def test_every_answer_matches_an_independent_computation(kind, seed):
    exercise = exercises.generate(kind, seed)
    spec = exercise.spec
    if kind in ("forward", "backprop"):
        forward, loss, grads, weights = reference_network(spec)
        expected = dict(forward)
        if kind == "backprop":
            expected["L"] = loss
            for key, gradient in grads.items():
                letter, layer = key[0], key[1]
                for index in np.ndindex(gradient.shape):
                    name = f"{letter}{layer}_{''.join(str(i + 1) for i in index)}"
                    expected[f"dL/d{name}"] = gradient[index]
                    expected[f"{name}_new"] = weights[key][index] - spec["lr"] * gradient[index]
    elif kind == "optimizer":
        expected = reference_optimizer(spec)
    elif kind == "perceptron":
        expected = reference_perceptron(spec)
    else:
        widths = [spec["inputs"], *spec["units"]]
        expected = {f"units{i}": widths[i] for i in range(1, len(widths))}
        expected.update({f"params{i}": widths[i - 1] * widths[i] + widths[i] for i in range(1, len(widths))})
        expected["total"] = sum(expected[f"params{i}"] for i in range(1, len(widths)))
    assert set(exercise.answers) == set(expected)
    for name, value in expected.items():
        assert exercise.answers[name] == pytest.approx(value, rel=1e-9, abs=1e-12), name


def test_same_seed_same_exercise_and_different_seeds_differ():
    a, b, c = (
        exercises.generate("backprop", 11),
        exercises.generate("backprop", 11),
        exercises.generate("backprop", 12),
    )
    assert a.answers == b.answers and a.answers != c.answers
    assert a.question.to_text() == b.question.to_text()


def test_check_flags_a_wrong_answer_and_accepts_right_ones():
    exercise = exercises.generate("backprop", 5)
    answers = {name: round(value, 4) for name, value in exercise.answers.items()}
    assert exercises.check(exercise, answers).all_correct
    wrong_name = "L"
    answers[wrong_name] += 0.25
    result = exercises.check(exercise, answers)
    assert not result.all_correct and result.correct == len(answers) - 1
    assert f"WRONG  {wrong_name} = " in str(result) and "(off by +0.25" in str(result)
    del answers["yhat"]
    assert "missing yhat" in str(exercises.check(exercise, answers))
    with pytest.raises(KeyError, match="unknown answer names \\['zz'\\]"):
        exercises.check(exercise, {"zz": 1.0})


def test_exercise_commands(tmp_path, capsys):
    assert main(["exercise", "--kind", "forward", "--seed", "2", "--solution"]) == 0
    out = capsys.readouterr().out
    assert "Exercise forward #2" in out and "Solution of exercise forward #2" in out and "Forward pass" in out
    assert main(["exercise", "--kind", "forward", "--seed", "2", "--answers-template"]) == 0
    template = capsys.readouterr().out
    exercise = exercises.generate("forward", 2)
    filled = template
    for name, value in exercise.answers.items():
        filled = filled.replace(f"{name} = nan", f"{name} = {value:.6f}", 1)
    answers = tmp_path / "answers.toml"
    answers.write_text(filled)
    assert main(["exercise", "check", str(answers)]) == 0
    assert f"{len(exercise.answers)} of {len(exercise.answers)} right" in capsys.readouterr().out
    wrong = exercise.answers["yhat"] + 1
    answers.write_text(re.sub(r"(?m)^yhat = .*$", f"yhat = {wrong:.6f}", filled))
    assert main(["exercise", "check", str(answers)]) == 1
    assert "WRONG  yhat" in capsys.readouterr().out
    assert main(["exercise", "--kind", "calculus"]) == 2
    assert "unknown exercise kind 'calculus'" in capsys.readouterr().err
