"""Optimizer explained: each optimizer's state and effective learning rate, step by step, against a direct
NumPy transcription of its docstring's rule; and the notes' Adagrad exercise."""

import math

import numpy as np
import pytest

from glassnet import optim
from glassnet.explain.optimizer_table import optimizer_table

GRADIENTS = [0.5, -1.2, 2.0, 0.3, -0.7]
W0 = 0.4


def test_the_notes_adagrad_exercise():
    # η = 0.02, g₁² = 6 growing 5 % per iteration, ε = 1e−5 (CURRICULUM section 6)
    gradients = [math.sqrt(6 * 1.05 ** (t - 1)) for t in range(1, 11)]
    table = optimizer_table(optim.Adagrad(lr=0.02, eps=1e-5), gradients)
    assert table.columns == ["t", "g", "sum_sq", "lr_effective", "w"]
    sums, rates = table.column("sum_sq"), table.column("lr_effective")
    assert round(sums[-1], 6) == 75.467355
    assert sums[-1] == pytest.approx(6 * (1.05**10 - 1) / 0.05, rel=1e-14)  # a geometric series
    assert round(rates[-1], 6) == 0.002302 and round(rates[0], 6) == 0.008165
    np.testing.assert_allclose(rates, 0.02 / np.sqrt(sums + 1e-5), rtol=1e-15)
    assert table.column("t").tolist() == list(range(1, 11))
    text = table.to_document().to_text()
    assert "75.467355" in text and "0.002302" in text and "0.008165" in text


# --- a direct transcription of each rule, one weight, from the tables in the optimizers' docstrings ---


def sgd(hp, convention, gradients, w):
    lr, mu, wd, nesterov = hp["lr"], hp["momentum"], hp["weight_decay"], hp["nesterov"]
    v, out = 0.0, {"momentum_buffer": [], "lr_effective": [], "w": []}
    for t, g in enumerate(gradients, 1):
        if convention == "keras":
            w *= 1 - lr * wd
        else:
            g = g + wd * w
        if mu == 0:
            w -= lr * g
        elif convention == "notes":
            v = mu * v + (1 - mu) * g
            w -= lr * (mu * v + (1 - mu) * g) if nesterov else lr * v
        elif convention == "pytorch":
            v = g if t == 1 else mu * v + (1 - hp["dampening"]) * g
            w -= lr * (g + mu * v) if nesterov else lr * v
        else:
            v = mu * v - lr * g
            w += mu * v - lr * g if nesterov else v
        out["momentum_buffer"].append(v)
        out["lr_effective"].append(lr)
        out["w"].append(w)
    if mu == 0:
        del out["momentum_buffer"]
    return out


def adagrad(hp, convention, gradients, w):
    lr, eps, wd = hp["lr"], hp["eps"], hp["weight_decay"]
    total, out = hp["initial_accumulator_value"], {"sum_sq": [], "lr_effective": [], "w": []}
    for t, g in enumerate(gradients, 1):
        if convention == "keras":
            w *= 1 - lr * wd
        else:
            g = g + wd * w
        total += g * g
        if convention == "pytorch":
            rate = lr / (1 + (t - 1) * hp["lr_decay"]) / (math.sqrt(total) + eps)
        else:
            rate = lr / math.sqrt(total + eps)
        w -= rate * g
        out["sum_sq"].append(total)
        out["lr_effective"].append(rate)
        out["w"].append(w)
    return out


def adadelta(hp, convention, gradients, w):
    lr, rho, eps, wd = hp["lr"], hp["rho"], hp["eps"], hp["weight_decay"]
    s = u = 0.0
    out = {"square_avg": [], "acc_delta": [], "lr_effective": [], "w": []}
    for g in gradients:
        if convention == "keras":
            w *= 1 - lr * wd
        else:
            g = g + wd * w
        s = rho * s + (1 - rho) * g * g
        rate = math.sqrt(u + eps) / math.sqrt(s + eps)
        delta = rate * g
        u = rho * u + (1 - rho) * delta * delta
        w -= lr * delta
        out["square_avg"].append(s)
        out["acc_delta"].append(u)
        out["lr_effective"].append(lr * rate)
        out["w"].append(w)
    return out


def rmsprop(hp, convention, gradients, w):
    lr, rho, eps, mu, wd, centered = (
        hp[k] for k in ("lr", "rho", "eps", "momentum", "weight_decay", "centered")
    )
    s = a = b = 0.0
    out = {"square_avg": [], "lr_effective": [], "w": []}
    if centered:
        out["grad_avg"] = []
    if mu > 0:
        out["momentum_buffer"] = []
    for g in gradients:
        if convention == "keras":
            w *= 1 - lr * wd
        else:
            g = g + wd * w
        s = rho * s + (1 - rho) * g * g
        a = rho * a + (1 - rho) * g if centered else 0.0
        variance = s - a * a
        root = math.sqrt(variance) + eps if convention == "pytorch" else math.sqrt(variance + eps)
        if mu == 0:
            w -= lr * g / root
        elif convention == "keras":
            b = mu * b + lr * g / root
            w -= b
        else:
            b = mu * b + g / root
            w -= lr * b
        out["square_avg"].append(s)
        if centered:
            out["grad_avg"].append(a)
        if mu > 0:
            out["momentum_buffer"].append(b)
        out["lr_effective"].append(lr / root)
        out["w"].append(w)
    return out


def adam(hp, convention, gradients, w):
    lr, beta_1, beta_2, eps, wd = (hp[k] for k in ("lr", "beta_1", "beta_2", "eps", "weight_decay"))
    v = s = s_max = 0.0
    names = ["exp_avg", "exp_avg_sq", "bias_correction1", "bias_correction2", "lr_effective", "w"]
    out = {name: [] for name in names + (["max_exp_avg_sq"] if hp["amsgrad"] else [])}
    for t, g in enumerate(gradients, 1):
        if convention == "keras":
            w *= 1 - lr * wd
        else:
            g = g + wd * w
        v = beta_1 * v + (1 - beta_1) * g
        s = beta_2 * s + (1 - beta_2) * g * g
        s_max = max(s_max, s)
        used = s_max if hp["amsgrad"] else s
        c1, c2 = 1 - beta_1**t, 1 - beta_2**t
        if convention == "keras":
            rate = lr * math.sqrt(c2) / c1 / (math.sqrt(used) + eps)
        else:
            rate = (lr / c1) / (math.sqrt(used / c2) + eps)
        w -= rate * v
        for name, value in zip(names, (v, s, c1, c2, rate, w)):
            out[name].append(value)
        if hp["amsgrad"]:
            out["max_exp_avg_sq"].append(s_max)
    return out


REFERENCES = {"SGD": sgd, "Adagrad": adagrad, "Adadelta": adadelta, "RMSProp": rmsprop, "Adam": adam}
SETTINGS = {
    "SGD": [
        {"lr": 0.1},
        {"lr": 0.1, "momentum": 0.9},
        {"lr": 0.1, "momentum": 0.9, "nesterov": True},
        {"lr": 0.1, "momentum": 0.5, "weight_decay": 0.1},
    ],
    "Adagrad": [{"lr": 0.1}, {"lr": 0.1, "weight_decay": 0.1}],
    "Adadelta": [{}, {"lr": 0.5, "rho": 0.8, "weight_decay": 0.1}],
    "RMSProp": [
        {"lr": 0.01},
        {"lr": 0.01, "momentum": 0.9},
        {"lr": 0.01, "centered": True},
        {"lr": 0.01, "centered": True, "momentum": 0.5, "weight_decay": 0.1},
    ],
    "Adam": [{"lr": 0.1}, {"lr": 0.1, "amsgrad": True}, {"lr": 0.1, "weight_decay": 0.1}],
}
EXTRA = {
    ("SGD", "pytorch"): [{"lr": 0.1, "momentum": 0.9, "dampening": 0.5}],
    ("Adagrad", "pytorch"): [{"lr": 0.1, "lr_decay": 0.2}],
}
CASES = [
    (name, convention, settings)
    for name in REFERENCES
    for convention in optim.CONVENTIONS
    for settings in SETTINGS[name] + EXTRA.get((name, convention), [])
]


@pytest.mark.parametrize(("name", "convention", "settings"), CASES)
def test_every_optimizer_and_convention_matches_its_numpy_transcription(name, convention, settings):
    table = optimizer_table(name.lower(), GRADIENTS, w0=W0, convention=convention, **settings)
    assert table.optimizer == name and table.convention == convention
    expected = REFERENCES[name](table.hyperparameters, convention, GRADIENTS, W0)
    assert set(table.columns) == {"t", "g", *expected}
    assert table.columns[:2] == ["t", "g"] and table.columns[-2:] == ["lr_effective", "w"]
    np.testing.assert_array_equal(table.column("g"), GRADIENTS)
    np.testing.assert_array_equal(table.column("t"), np.arange(1, len(GRADIENTS) + 1))
    for column, values in expected.items():
        np.testing.assert_allclose(table.column(column), values, rtol=1e-12, atol=1e-15, err_msg=column)


def test_the_optimizer_given_is_not_touched_and_classes_work_too():
    given = optim.Adam(lr=0.1, convention="keras")
    table = optimizer_table(given, [1.0, 2.0])
    assert given.param_groups == [] and given.state == {}
    assert table.hyperparameters["eps"] == 1e-7 and table.convention == "keras"
    same = optimizer_table(optim.Adam, [1.0, 2.0], lr=0.1, convention="keras")
    np.testing.assert_array_equal(same.column("w"), table.column("w"))


def test_bad_arguments_are_refused():
    with pytest.raises(ValueError, match="at least one gradient"):
        optimizer_table("sgd", [])
    with pytest.raises(TypeError, match="not both"):
        optimizer_table(optim.SGD(lr=0.1), [1.0], lr=0.2)
    with pytest.raises(ValueError, match="unknown optimizer 'adamax'"):
        optimizer_table("adamax", [1.0])
    with pytest.raises(KeyError, match="no column 'sum_sq'; columns: t, g, lr_effective, w"):
        optimizer_table("sgd", [1.0]).column("sum_sq")


def test_the_document_names_the_columns_as_the_notes_do():
    table = optimizer_table("adam", [1.0, -1.0], lr=0.1)
    markdown = table.to_document().to_markdown()
    assert r"| $t$ | $g$ | $V$ | $S$ | $1 - \beta_1^{t}$ | $1 - \beta_2^{t}$ | $\eta_t$ | $w$ |" in markdown
    assert "| $1$ | $1$ | $0.1$ | $0.001$ | $0.1$ | $0.001$ |" in markdown
    text = str(table)
    assert text.startswith("Adam(lr=0.1, beta_1=0.9") and "exp_avg_sq" in text


def test_each_table_says_what_its_own_effective_learning_rate_multiplies():
    from glassnet import optim
    from glassnet.explain import optimizer_table

    adagrad = optimizer_table(optim.Adagrad(lr=0.02), [1.0, 2.0]).to_document().to_text()
    adam = optimizer_table(optim.Adam(lr=0.1), [1.0, 2.0]).to_document().to_text()
    assert "the factor multiplying g in the step" in adagrad and "Adam" not in adagrad
    assert "the factor multiplying V in the step" in adam
