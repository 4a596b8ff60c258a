"""Step listeners: one record per parameter update, with the values the explain layer shows."""

from __future__ import annotations

import doctest
import importlib

import numpy as np
import pytest

from glassnet.optim import SGD, Adadelta, Adagrad, Adam, RMSProp, hooks


class P:
    """A stand-in parameter: exactly what the optimizer contract needs (.data, .grad, .requires_grad)."""

    def __init__(self, data, requires_grad=True):
        self.data = np.array(data, dtype=np.float64)
        self.grad = None
        self.requires_grad = requires_grad


def test_sgd_momentum_record_has_the_update_in_numbers():
    w = P([1.0, -2.0])
    optimizer = SGD([w], lr=0.1, momentum=0.9)
    records = []
    with hooks.step_listener(records.append):
        for grad in ([1.0, 2.0], [3.0, -1.0]):
            w.grad = np.array(grad)
            optimizer.step()
    first, second = records
    assert (first.optimizer, first.convention, first.param, first.step) == ("SGD", "notes", w, 1)
    assert first.hyperparameters == {"lr": 0.1, "momentum": 0.9, "nesterov": False, "weight_decay": 0.0}
    np.testing.assert_allclose(first.value_before, [1.0, -2.0])
    np.testing.assert_allclose(first.grad, [1.0, 2.0])
    np.testing.assert_allclose(first.state["momentum_buffer"], [0.1, 0.2])  # V₁ = (1 − β) g₁
    np.testing.assert_allclose(first.value_after, [0.99, -2.02])
    assert first.state["lr_effective"] == 0.1
    # V₂ = 0.9 V₁ + 0.1 g₂; the first record's copies did not move with the optimizer
    np.testing.assert_allclose(second.state["momentum_buffer"], [0.39, 0.08])
    np.testing.assert_allclose(second.value_before, first.value_after)
    np.testing.assert_allclose(second.value_after, [0.99 - 0.039, -2.02 - 0.008])
    np.testing.assert_allclose(first.state["momentum_buffer"], [0.1, 0.2])


def test_adam_record_has_bias_corrections_and_effective_rate():
    w = P([0.5])
    w.grad = np.array([2.0])
    records = []
    with hooks.step_listener(records.append):
        Adam([w], lr=0.01, convention="pytorch").step()
    (record,) = records
    assert record.state["bias_correction1"] == pytest.approx(0.1)
    assert record.state["bias_correction2"] == pytest.approx(0.001)
    np.testing.assert_allclose(record.state["exp_avg"], [0.2])
    np.testing.assert_allclose(record.state["exp_avg_sq"], [0.004])
    # V̂ = 2, Ŝ = 4: the step is lr V̂ / (√Ŝ + ε); lr_effective multiplies V: (lr / 0.1) / (2 + ε)
    np.testing.assert_allclose(record.state["lr_effective"], [0.1 / (2 + 1e-8)], rtol=1e-12)
    np.testing.assert_allclose(record.value_after, record.value_before - record.state["lr_effective"] * 0.2,
                               rtol=1e-12)


@pytest.mark.parametrize("convention", ["notes", "pytorch", "keras"])
@pytest.mark.parametrize("cls, kwargs", [
    (SGD, {"lr": 0.1}), (Adagrad, {"lr": 0.1}), (Adagrad, {"lr": 0.1, "initial_accumulator_value": 0.5}),
    (RMSProp, {"lr": 0.1}), (RMSProp, {"lr": 0.1, "centered": True}), (Adadelta, {"lr": 0.5}),
    (Adam, {"lr": 0.1}), (Adam, {"lr": 0.1, "amsgrad": True}),
])
def test_lr_effective_times_the_gradient_is_the_step(cls, kwargs, convention):
    """Without momentum each of these moves w by lr_effective · g (Adam: by lr_effective · V), in every
    convention: the record's lr_effective is made from the terms the update itself computed."""
    kwargs = {**kwargs, "convention": convention}
    w = P([0.5, -1.0])
    optimizer = cls([w], **kwargs)
    records = []
    with hooks.step_listener(records.append):
        for grad in ([1.0, 2.0], [-3.0, 0.5], [0.2, 0.1]):
            w.grad = np.array(grad)
            optimizer.step()
    for record in records:
        direction = record.state["exp_avg"] if cls is Adam else record.grad
        step = record.value_before - record.value_after
        np.testing.assert_allclose(step, record.state["lr_effective"] * direction, rtol=1e-12)


def test_recording_gives_the_same_numbers_as_the_fast_path():
    def run(listen):
        params = [P([1.0, 2.0]), P([-1.0])]
        optimizer = RMSProp(params, lr=0.01, momentum=0.9, centered=True, weight_decay=0.1)
        for step in range(4):
            for param in params:
                param.grad = np.sin(param.data + step)
            if listen:
                with hooks.step_listener(lambda record: None):
                    optimizer.step()
            else:
                optimizer.step()
        return [param.data for param in params]

    for a, b in zip(run(True), run(False)):
        np.testing.assert_array_equal(a, b)


def test_no_listener_no_records_and_frozen_parameters_are_not_reported():
    live, frozen = P([1.0]), P([1.0], requires_grad=False)
    live.grad, frozen.grad = np.array([1.0]), np.array([1.0])
    optimizer = SGD([live, frozen], lr=0.1)
    records = []
    hooks.add_step_listener(records.append)
    optimizer.step()
    hooks.remove_step_listener(records.append)
    optimizer.step()
    assert [record.param for record in records] == [live]
    assert hooks._step_listeners == []
    assert live.data[0] == pytest.approx(0.8)


def test_every_listener_sees_every_record():
    seen_a, seen_b = [], []
    w = P([1.0])
    w.grad = np.array([1.0])
    with hooks.step_listener(seen_a.append), hooks.step_listener(seen_b.append):
        SGD([w], lr=0.1).step()
    assert len(seen_a) == len(seen_b) == 1 and seen_a[0] is seen_b[0]


def test_listener_registry_errors():
    with pytest.raises(TypeError, match="must be callable"):
        hooks.add_step_listener(3)
    with pytest.raises(ValueError, match="is not a registered step listener"):
        hooks.remove_step_listener(print)


MODULES = ["optimizer", "hooks", "sgd", "adagrad", "adadelta", "rmsprop", "adam", ""]


@pytest.mark.parametrize("module", MODULES)
def test_docstring_examples_run(module):
    imported = importlib.import_module("glassnet.optim" + (f".{module}" if module else ""))
    result = doctest.testmod(imported, optionflags=doctest.NORMALIZE_WHITESPACE)
    assert result.failed == 0
    if module != "optimizer":
        assert result.attempted > 0
