"""The update rules, checked against three oracles: torch.optim, Keras 3 transcribed, and the notes.

One harness runs N steps of an optimizer on raw float64 arrays with a fixed, closed-loop gradient sequence
(the gradient depends on the current weights, so a wrong step changes every later gradient); each oracle
runs the same sequence. A new optimizer or option is tested by adding a row to a table.
"""

from __future__ import annotations

import numpy as np
import pytest

from glassnet import optim
from glassnet.optim import SGD, Adadelta, Adagrad, Adam, RMSProp

SHAPES = [(3, 4), (4,), (1,)]
STEPS = 30


class P:
    """A stand-in parameter: exactly what the optimizer contract needs (.data, .grad, .requires_grad)."""

    def __init__(self, data, requires_grad=True):
        self.data = np.array(data, dtype=np.float64)
        self.grad = None
        self.requires_grad = requires_grad


def initial_values():
    rng = np.random.default_rng(0)
    return [rng.normal(size=shape) for shape in SHAPES]


def gradient(step: int, index: int, weights: np.ndarray) -> np.ndarray:
    """g = c ⊙ w + noise_t: the gradient of a noisy quadratic bowl, fixed by (step, index)."""
    curvature = np.linspace(0.5, 2.0, weights.size).reshape(weights.shape)
    noise = np.random.default_rng([7, step, index]).normal(scale=0.3, size=weights.shape)
    return curvature * weights + noise


def run_glassnet(cls, kwargs, steps=STEPS, dtype=np.float64):
    params = [P(value) for value in initial_values()]
    for param in params:
        param.data = param.data.astype(dtype)
    optimizer = cls(params, **kwargs)
    for step in range(1, steps + 1):
        for index, param in enumerate(params):
            param.grad = gradient(step, index, param.data.astype(np.float64)).astype(dtype)
        optimizer.step()
    return [param.data for param in params]


def run_reference(update, hyperparameters, steps=STEPS, decoupled_weight_decay=False):
    """Run a transcribed rule ``update(w, g, slots, t, **hyperparameters)`` (it updates w in place)."""
    weights = initial_values()
    slots = [{} for _ in weights]
    weight_decay = hyperparameters.pop("weight_decay", 0.0)
    for step in range(1, steps + 1):
        for index, w in enumerate(weights):
            g = gradient(step, index, w)
            if weight_decay and decoupled_weight_decay:
                # keras/src/optimizers/base_optimizer.py, _apply_weight_decay: before the update step
                w[...] = w - w * weight_decay * hyperparameters["learning_rate"]
            elif weight_decay:
                g = g + weight_decay * w
            update(w, g, slots[index], step, **hyperparameters)
    return weights


def assert_same_trajectory(ours, reference, rtol=1e-10):
    moved = [not np.allclose(final, start) for final, start in zip(ours, initial_values())]
    assert all(moved), "the parameters did not move: this row tests nothing"
    for got, expected in zip(ours, reference):
        np.testing.assert_allclose(got, expected, rtol=rtol, atol=0)


# --- PyTorch: torch.optim 2.13, the real thing --------------------------------------------------------------
TORCH_ROWS = [
    #  glassnet class, glassnet kwargs,  torch class name, torch kwargs
    (SGD, {}, "SGD", {}),
    (SGD, {"lr": 0.1}, "SGD", {"lr": 0.1}),
    (SGD, {"lr": 0.05, "momentum": 0.9}, "SGD", {"lr": 0.05, "momentum": 0.9}),
    (SGD, {"lr": 0.05, "momentum": 0.8, "dampening": 0.3},
     "SGD", {"lr": 0.05, "momentum": 0.8, "dampening": 0.3}),
    (SGD, {"lr": 0.05, "momentum": 0.9, "nesterov": True},
     "SGD", {"lr": 0.05, "momentum": 0.9, "nesterov": True}),
    (SGD, {"lr": 0.1, "weight_decay": 0.05}, "SGD", {"lr": 0.1, "weight_decay": 0.05}),
    (SGD, {"lr": 0.05, "momentum": 0.9, "nesterov": True, "weight_decay": 0.1},
     "SGD", {"lr": 0.05, "momentum": 0.9, "nesterov": True, "weight_decay": 0.1}),
    (Adagrad, {}, "Adagrad", {}),
    (Adagrad, {"lr": 0.1, "lr_decay": 0.01, "initial_accumulator_value": 0.2, "eps": 1e-6},
     "Adagrad", {"lr": 0.1, "lr_decay": 0.01, "initial_accumulator_value": 0.2, "eps": 1e-6}),
    (Adagrad, {"lr": 0.1, "weight_decay": 0.05}, "Adagrad", {"lr": 0.1, "weight_decay": 0.05}),
    (Adadelta, {}, "Adadelta", {}),
    (Adadelta, {"lr": 0.5, "rho": 0.8, "eps": 1e-4, "weight_decay": 0.05},
     "Adadelta", {"lr": 0.5, "rho": 0.8, "eps": 1e-4, "weight_decay": 0.05}),
    (RMSProp, {}, "RMSprop", {}),
    (RMSProp, {"lr": 0.01, "alpha": 0.9}, "RMSprop", {"lr": 0.01, "alpha": 0.9}),
    (RMSProp, {"lr": 0.01, "centered": True}, "RMSprop", {"lr": 0.01, "centered": True}),
    (RMSProp, {"lr": 0.01, "momentum": 0.9}, "RMSprop", {"lr": 0.01, "momentum": 0.9}),
    (RMSProp, {"lr": 0.01, "rho": 0.9, "momentum": 0.5, "centered": True, "weight_decay": 0.05},
     "RMSprop", {"lr": 0.01, "alpha": 0.9, "momentum": 0.5, "centered": True, "weight_decay": 0.05}),
    (Adam, {}, "Adam", {}),
    (Adam, {"lr": 0.05, "betas": (0.8, 0.99), "eps": 1e-6},
     "Adam", {"lr": 0.05, "betas": (0.8, 0.99), "eps": 1e-6}),
    (Adam, {"lr": 0.05, "amsgrad": True}, "Adam", {"lr": 0.05, "amsgrad": True}),
    (Adam, {"lr": 0.05, "weight_decay": 0.1, "amsgrad": True},
     "Adam", {"lr": 0.05, "weight_decay": 0.1, "amsgrad": True}),
]


def run_torch(torch_name, kwargs, steps=STEPS):
    torch = pytest.importorskip("torch", reason="torch==2.13.0 (CPU) is the oracle of the pytorch convention")
    params = [torch.tensor(value, dtype=torch.float64, requires_grad=True) for value in initial_values()]
    optimizer = getattr(torch.optim, torch_name)(params, **kwargs)
    for step in range(1, steps + 1):
        for index, param in enumerate(params):
            param.grad = torch.from_numpy(gradient(step, index, param.detach().numpy().copy()))
        optimizer.step()
    return [param.detach().numpy() for param in params]


@pytest.mark.parametrize("cls, kwargs, torch_name, torch_kwargs", TORCH_ROWS,
                         ids=[f"{row[0].__name__}-{row[1]}" for row in TORCH_ROWS])
def test_pytorch_convention_matches_torch_optim(cls, kwargs, torch_name, torch_kwargs):
    expected = run_torch(torch_name, torch_kwargs)
    ours = run_glassnet(cls, {**kwargs, "convention": "pytorch"})
    assert_same_trajectory(ours, expected)


# --- Keras 3: update_step transcribed from keras-team/keras, keras/src/optimizers/<name>.py -----------------
def keras_sgd(w, g, slots, t, learning_rate, momentum, nesterov):
    # keras/src/optimizers/sgd.py, SGD.update_step
    if momentum != 0:
        m = slots.setdefault("momentum", np.zeros_like(w))
        m[...] = m * momentum - g * learning_rate
        if nesterov:
            w += m * momentum - g * learning_rate
        else:
            w += m
    else:
        w -= g * learning_rate


def keras_adagrad(w, g, slots, t, learning_rate, initial_accumulator_value, epsilon):
    # keras/src/optimizers/adagrad.py, Adagrad.update_step (accumulator built with Constant(initial value))
    accumulator = slots.setdefault("accumulator", np.full_like(w, initial_accumulator_value))
    accumulator += np.square(g)
    w -= learning_rate * g / np.sqrt(accumulator + epsilon)


def keras_adadelta(w, g, slots, t, learning_rate, rho, epsilon):
    # keras/src/optimizers/adadelta.py, Adadelta.update_step
    accumulated_grad = slots.setdefault("accumulated_grad", np.zeros_like(w))
    accumulated_delta_var = slots.setdefault("accumulated_delta_var", np.zeros_like(w))

    def rms(x):
        return np.sqrt(x + epsilon)

    accumulated_grad[...] = rho * accumulated_grad + (1 - rho) * np.square(g)
    delta_var = -(rms(accumulated_delta_var) * g / rms(accumulated_grad))
    accumulated_delta_var[...] = rho * accumulated_delta_var + (1 - rho) * np.square(delta_var)
    w += learning_rate * delta_var


def keras_rmsprop(w, g, slots, t, learning_rate, rho, momentum, epsilon, centered):
    # keras/src/optimizers/rmsprop.py, RMSprop.update_step
    velocity = slots.setdefault("velocity", np.zeros_like(w))
    velocity[...] = rho * velocity + (1 - rho) * np.square(g)
    if centered:
        average_grad = slots.setdefault("average_gradient", np.zeros_like(w))
        average_grad[...] = rho * average_grad + (1 - rho) * g
        denominator = velocity - np.square(average_grad) + epsilon
    else:
        denominator = velocity + epsilon
    increment = learning_rate * g / np.sqrt(denominator)
    if momentum > 0:
        m = slots.setdefault("momentum", np.zeros_like(w))
        m[...] = momentum * m + increment
        w -= m
    else:
        w -= increment


def keras_adam(w, g, slots, t, learning_rate, beta_1, beta_2, epsilon, amsgrad):
    # keras/src/optimizers/adam.py, Adam.update_step (local_step = iterations + 1 = t)
    m = slots.setdefault("momentum", np.zeros_like(w))
    v = slots.setdefault("velocity", np.zeros_like(w))
    alpha = learning_rate * np.sqrt(1 - beta_2**t) / (1 - beta_1**t)
    m += (g - m) * (1 - beta_1)
    v += (np.square(g) - v) * (1 - beta_2)
    if amsgrad:
        v_hat = slots.setdefault("velocity_hat", np.zeros_like(w))
        v_hat[...] = np.maximum(v_hat, v)
        v = v_hat
    w -= m * alpha / (np.sqrt(v) + epsilon)


# The reference arguments spell out Keras 3's defaults, so rows with empty glassnet kwargs check ours.
KERAS_SGD = {"learning_rate": 0.01, "momentum": 0.0, "nesterov": False}
KERAS_ADAGRAD = {"learning_rate": 0.001, "initial_accumulator_value": 0.1, "epsilon": 1e-7}
KERAS_ADADELTA = {"learning_rate": 0.001, "rho": 0.95, "epsilon": 1e-7}
KERAS_RMSPROP = {"learning_rate": 0.001, "rho": 0.9, "momentum": 0.0, "epsilon": 1e-7, "centered": False}
KERAS_ADAM = {"learning_rate": 0.001, "beta_1": 0.9, "beta_2": 0.999, "epsilon": 1e-7, "amsgrad": False}

KERAS_ROWS = [
    #  glassnet class, glassnet kwargs, reference rule, reference hyperparameters
    (SGD, {}, keras_sgd, KERAS_SGD),
    (SGD, {"lr": 0.05, "momentum": 0.9}, keras_sgd, {**KERAS_SGD, "learning_rate": 0.05, "momentum": 0.9}),
    (SGD, {"lr": 0.05, "momentum": 0.9, "nesterov": True}, keras_sgd,
     {**KERAS_SGD, "learning_rate": 0.05, "momentum": 0.9, "nesterov": True}),
    (SGD, {"lr": 0.05, "momentum": 0.9, "weight_decay": 0.1}, keras_sgd,
     {**KERAS_SGD, "learning_rate": 0.05, "momentum": 0.9, "weight_decay": 0.1}),
    (Adagrad, {}, keras_adagrad, KERAS_ADAGRAD),
    (Adagrad, {"learning_rate": 0.1, "weight_decay": 0.05}, keras_adagrad,
     {**KERAS_ADAGRAD, "learning_rate": 0.1, "weight_decay": 0.05}),
    (Adadelta, {}, keras_adadelta, KERAS_ADADELTA),
    (Adadelta, {"lr": 1.0, "rho": 0.9, "epsilon": 1e-6, "weight_decay": 0.05}, keras_adadelta,
     {"learning_rate": 1.0, "rho": 0.9, "epsilon": 1e-6, "weight_decay": 0.05}),
    (RMSProp, {}, keras_rmsprop, KERAS_RMSPROP),
    (RMSProp, {"lr": 0.01, "centered": True}, keras_rmsprop,
     {**KERAS_RMSPROP, "learning_rate": 0.01, "centered": True}),
    (RMSProp, {"lr": 0.01, "momentum": 0.9, "centered": True, "weight_decay": 0.05}, keras_rmsprop,
     {**KERAS_RMSPROP, "learning_rate": 0.01, "momentum": 0.9, "centered": True, "weight_decay": 0.05}),
    (Adam, {}, keras_adam, KERAS_ADAM),
    (Adam, {"lr": 0.05, "beta_1": 0.8, "beta_2": 0.99}, keras_adam,
     {**KERAS_ADAM, "learning_rate": 0.05, "beta_1": 0.8, "beta_2": 0.99}),
    (Adam, {"lr": 0.05, "amsgrad": True, "weight_decay": 0.1}, keras_adam,
     {**KERAS_ADAM, "learning_rate": 0.05, "amsgrad": True, "weight_decay": 0.1}),
]


@pytest.mark.parametrize("cls, kwargs, reference, hyperparameters", KERAS_ROWS,
                         ids=[f"{row[0].__name__}-{row[1]}" for row in KERAS_ROWS])
def test_keras_convention_matches_keras_update_step(cls, kwargs, reference, hyperparameters):
    expected = run_reference(reference, dict(hyperparameters), decoupled_weight_decay=True)
    ours = run_glassnet(cls, {**kwargs, "convention": "keras"})
    assert_same_trajectory(ours, expected)


# --- The notes: CURRICULUM section 6, written as it reads ---------------------------------------------------
def notes_sgd(w, g, slots, t, learning_rate, beta, nesterov=False):
    # V_dw = β V_dw + (1 − β) ∂L/∂w, w = w − η V_dw, V starts at 0 (β = 0: plain gradient descent)
    if beta == 0:
        w -= learning_rate * g
        return
    velocity = slots.setdefault("V", np.zeros_like(w))
    velocity[...] = beta * velocity + (1 - beta) * g
    direction = beta * velocity + (1 - beta) * g if nesterov else velocity  # glassnet's documented Nesterov
    w -= learning_rate * direction


def notes_adagrad(w, g, slots, t, learning_rate, epsilon, initial_accumulator_value=0.0):
    # η_t = η / √(Σ_k g_k² + ε), w = w − η_t g
    total = slots.setdefault("sum", np.full_like(w, initial_accumulator_value))
    total += g**2
    w -= learning_rate / np.sqrt(total + epsilon) * g


def notes_rmsprop(w, g, slots, t, learning_rate, beta, epsilon, momentum=0.0, centered=False):
    # S = β S + (1 − β) g², w = w − η g / √(S + ε); momentum and centering as documented in rmsprop.py
    s = slots.setdefault("S", np.zeros_like(w))
    s[...] = beta * s + (1 - beta) * g**2
    variance = s
    if centered:
        a = slots.setdefault("A", np.zeros_like(w))
        a[...] = beta * a + (1 - beta) * g
        variance = s - a**2
    step = g / np.sqrt(variance + epsilon)
    if momentum > 0:
        b = slots.setdefault("B", np.zeros_like(w))
        b[...] = momentum * b + step
        step = b
    w -= learning_rate * step


def notes_adadelta(w, g, slots, t, learning_rate, rho, epsilon):
    # Zeiler (2012), Algorithm 1: E[g²] ← ρ E[g²] + (1 − ρ) g²; Δ = −RMS[Δ]_{t−1} / RMS[g]_t g; ...
    e_g2 = slots.setdefault("E[g2]", np.zeros_like(w))
    e_dx2 = slots.setdefault("E[dx2]", np.zeros_like(w))
    e_g2[...] = rho * e_g2 + (1 - rho) * g**2
    dx = -np.sqrt(e_dx2 + epsilon) / np.sqrt(e_g2 + epsilon) * g
    e_dx2[...] = rho * e_dx2 + (1 - rho) * dx**2
    w += learning_rate * dx


def notes_adam(w, g, slots, t, learning_rate, beta_1, beta_2, epsilon, amsgrad=False):
    # V and S as exponentially weighted averages, bias-corrected: V / (1 − β1ᵗ), S / (1 − β2ᵗ)
    v = slots.setdefault("V", np.zeros_like(w))
    s = slots.setdefault("S", np.zeros_like(w))
    v[...] = beta_1 * v + (1 - beta_1) * g
    s[...] = beta_2 * s + (1 - beta_2) * g**2
    if amsgrad:
        s_max = slots.setdefault("S_max", np.zeros_like(w))
        s_max[...] = np.maximum(s_max, s)
        s = s_max
    v_hat = v / (1 - beta_1**t)
    s_hat = s / (1 - beta_2**t)
    w -= learning_rate * v_hat / (np.sqrt(s_hat) + epsilon)


# The reference arguments spell out the notes convention's documented defaults.
NOTES_ROWS = [
    (SGD, {}, notes_sgd, {"learning_rate": 0.01, "beta": 0.0}),
    (SGD, {"lr": 0.1, "momentum": 0.9}, notes_sgd, {"learning_rate": 0.1, "beta": 0.9}),
    (SGD, {"lr": 0.1, "momentum": 0.9, "nesterov": True}, notes_sgd,
     {"learning_rate": 0.1, "beta": 0.9, "nesterov": True}),
    (SGD, {"lr": 0.1, "momentum": 0.95, "weight_decay": 0.05}, notes_sgd,
     {"learning_rate": 0.1, "beta": 0.95, "weight_decay": 0.05}),
    (Adagrad, {}, notes_adagrad, {"learning_rate": 0.01, "epsilon": 1e-8}),
    (Adagrad, {"lr": 0.02, "eps": 1e-5, "initial_accumulator_value": 0.1, "weight_decay": 0.05},
     notes_adagrad,
     {"learning_rate": 0.02, "epsilon": 1e-5, "initial_accumulator_value": 0.1, "weight_decay": 0.05}),
    (RMSProp, {}, notes_rmsprop, {"learning_rate": 1e-3, "beta": 0.9, "epsilon": 1e-8}),
    (RMSProp, {"lr": 0.01, "rho": 0.95, "momentum": 0.5, "centered": True, "weight_decay": 0.05},
     notes_rmsprop,
     {"learning_rate": 0.01, "beta": 0.95, "epsilon": 1e-8, "momentum": 0.5, "centered": True,
      "weight_decay": 0.05}),
    (Adadelta, {}, notes_adadelta, {"learning_rate": 1.0, "rho": 0.95, "epsilon": 1e-6}),
    (Adadelta, {"lr": 0.5, "weight_decay": 0.05}, notes_adadelta,
     {"learning_rate": 0.5, "rho": 0.95, "epsilon": 1e-6, "weight_decay": 0.05}),
    (Adam, {}, notes_adam, {"learning_rate": 1e-3, "beta_1": 0.9, "beta_2": 0.999, "epsilon": 1e-8}),
    (Adam, {"lr": 0.05, "amsgrad": True, "weight_decay": 0.1}, notes_adam,
     {"learning_rate": 0.05, "beta_1": 0.9, "beta_2": 0.999, "epsilon": 1e-8, "amsgrad": True,
      "weight_decay": 0.1}),
]


@pytest.mark.parametrize("cls, kwargs, reference, hyperparameters", NOTES_ROWS,
                         ids=[f"{row[0].__name__}-{row[1]}" for row in NOTES_ROWS])
def test_notes_convention_matches_the_notes(cls, kwargs, reference, hyperparameters):
    expected = run_reference(reference, dict(hyperparameters))
    ours = run_glassnet(cls, kwargs)  # "notes" is the default convention
    assert_same_trajectory(ours, expected)


def test_notes_adagrad_exercise():
    """CURRICULUM 6 (seed 001): η = 0.02, g₁² = 6 growing 5 % per iteration, ε = 1e-5."""
    records = []
    w = P([0.0])
    optimizer = Adagrad([w], lr=0.02, eps=1e-5)
    with optim.hooks.step_listener(records.append):
        for k in range(10):
            w.grad = np.sqrt([6.0 * 1.05**k])
            optimizer.step()
    assert optimizer.state_dict()["state"][0]["sum_sq"][0] == pytest.approx(75.467355, abs=5e-7)
    assert records[0].state["lr_effective"][0] == pytest.approx(0.008165, abs=5e-7)
    assert records[9].state["lr_effective"][0] == pytest.approx(0.002302, abs=5e-7)


# --- The conventions really differ where the docstrings say they do -----------------------------------------
@pytest.mark.parametrize("cls, kwargs, differing", [
    (Adagrad, {"lr": 0.1, "eps": 0.01}, [("notes", "pytorch"), ("pytorch", "keras")]),  # ε in or out of √
    (RMSProp, {"lr": 0.01, "eps": 0.01}, [("notes", "pytorch"), ("pytorch", "keras")]),
    (Adam, {"lr": 0.05, "eps": 0.01}, [("pytorch", "keras")]),  # ε vs ε̂; notes = pytorch for Adam
])
def test_conventions_differ_where_documented(cls, kwargs, differing):
    finals = {c: run_glassnet(cls, {**kwargs, "convention": c}, steps=5)[0] for c in optim.CONVENTIONS}
    for a, b in differing:
        assert not np.allclose(finals[a], finals[b], rtol=1e-6), (a, b)


def test_sgd_momentum_keras_equals_pytorch_until_the_learning_rate_changes():
    """As sgd.py documents: m = −lr b while lr is constant; a new lr acts on new gradients only in keras."""
    notes, pytorch, keras = (run_glassnet(SGD, {"lr": 0.1, "momentum": 0.9, "convention": c}, steps=5)
                             for c in optim.CONVENTIONS)
    assert not np.allclose(notes[0], pytorch[0], rtol=1e-6)
    np.testing.assert_allclose(pytorch[0], keras[0], rtol=1e-12)
    finals = []
    for convention in ("pytorch", "keras"):
        w = P([1.0])
        optimizer = SGD([w], lr=0.1, momentum=0.9, convention=convention)
        for lr in (0.1, 0.1, 0.01, 0.01):
            optimizer.param_groups[0]["lr"] = lr  # what a learning-rate schedule does
            w.grad = np.array([1.0])
            optimizer.step()
        finals.append(w.data[0])
    # pytorch: lr_t times the buffer 1, 1.9, 2.71, 3.439; keras: the buffer keeps the old lr's terms
    assert finals[0] == pytest.approx(1 - 0.1 * (1 + 1.9) - 0.01 * (2.71 + 3.439), rel=1e-12)
    keras_velocities = [-0.1, -0.19, -(0.9 * 0.19 + 0.01), -(0.9 * (0.9 * 0.19 + 0.01) + 0.01)]
    assert finals[1] == pytest.approx(1 + sum(keras_velocities), rel=1e-12)


def test_adadelta_and_adam_notes_agree_with_pytorch_when_hyperparameters_agree():
    """Same rule, documented: Adadelta everywhere, Adam in notes and pytorch."""
    for cls, kwargs in [(Adadelta, {"lr": 1.0, "rho": 0.9, "eps": 1e-6}), (Adam, {"lr": 0.05})]:
        notes = run_glassnet(cls, kwargs)
        pytorch = run_glassnet(cls, {**kwargs, "convention": "pytorch"})
        for a, b in zip(notes, pytorch):
            np.testing.assert_array_equal(a, b)


@pytest.mark.parametrize("cls", [SGD, Adagrad, Adadelta, RMSProp, Adam])
def test_float32_parameters_stay_float32_and_track_float64(cls):
    kwargs = {"lr": 0.01, "momentum": 0.9} if cls is SGD else {"lr": 0.01}
    ours32 = run_glassnet(cls, kwargs, steps=10, dtype=np.float32)
    ours64 = run_glassnet(cls, kwargs, steps=10)
    for a, b in zip(ours32, ours64):
        assert a.dtype == np.float32
        np.testing.assert_allclose(a, b, rtol=1e-4, atol=1e-5)
