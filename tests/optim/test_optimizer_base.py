"""What every optimizer shares: binding, groups, frozen parameters, zero_grad, saving, validation, get()."""

from __future__ import annotations

import inspect

import numpy as np
import pytest

from glassnet import optim
from glassnet.optim import SGD, Adadelta, Adagrad, Adam, RMSProp
from glassnet.optim.optimizer import CONVENTIONS, UNUSED

ALL = [SGD, Adagrad, Adadelta, RMSProp, Adam]

# Options that make each optimizer keep every state array it has, per convention.
FULL_OPTIONS = {
    SGD: {"lr": 0.05, "momentum": 0.9, "nesterov": True, "weight_decay": 0.01},
    Adagrad: {"lr": 0.1, "initial_accumulator_value": 0.1, "weight_decay": 0.01},
    Adadelta: {"weight_decay": 0.01},
    RMSProp: {"lr": 0.01, "momentum": 0.5, "centered": True, "weight_decay": 0.01},
    Adam: {"lr": 0.05, "amsgrad": True, "weight_decay": 0.01},
}


class P:
    """A stand-in parameter: exactly what the optimizer contract needs (.data, .grad, .requires_grad)."""

    def __init__(self, data, requires_grad=True):
        self.data = np.array(data, dtype=np.float64)
        self.grad = None
        self.requires_grad = requires_grad


def make_params():
    rng = np.random.default_rng(1)
    return [P(rng.normal(size=(3, 2))), P(rng.normal(size=(2,)))]


def set_gradients(params, step):
    for index, param in enumerate(params):
        param.grad = np.cos(param.data * (step + 1) + index) + 0.1 * param.data


def train(optimizer, params, steps, first_step=0):
    for step in range(first_step, first_step + steps):
        set_gradients(params, step)
        optimizer.step()


# --- saving -------------------------------------------------------------------------------------------------
@pytest.mark.parametrize("convention", ["notes", "pytorch", "keras"])
@pytest.mark.parametrize("cls", ALL)
def test_state_dict_round_trip_continues_exactly(cls, convention):
    options = dict(FULL_OPTIONS[cls], convention=convention)
    if convention == "pytorch" and cls is Adagrad:
        options["lr_decay"] = 0.05  # depends on the saved step count
    uninterrupted = make_params()
    train(cls(uninterrupted, **options), uninterrupted, 10)

    first = make_params()
    optimizer = cls(first, **options)
    train(optimizer, first, 5)
    saved = optimizer.state_dict()
    second = make_params()
    for param, trained in zip(second, first):
        param.data[...] = trained.data
    resumed = cls(second, **options)
    resumed.load_state_dict(saved)
    train(resumed, second, 5, first_step=5)
    for a, b in zip(second, uninterrupted):
        np.testing.assert_array_equal(a.data, b.data)


def test_state_dict_is_plain_data_with_copies():
    params = make_params()
    optimizer = Adam(params, **FULL_OPTIONS[Adam])
    train(optimizer, params, 3)
    saved = optimizer.state_dict()
    assert saved["optimizer"] == "Adam" and saved["convention"] == "notes"
    assert sorted(saved["state"]) == [0, 1]
    assert saved["state"][0]["step"] == 3
    assert set(saved["state"][0]) == {"step", "exp_avg", "exp_avg_sq", "max_exp_avg_sq"}
    assert saved["param_groups"] == [
        {"lr": 0.05, "beta_1": 0.9, "beta_2": 0.999, "eps": 1e-8, "amsgrad": True, "weight_decay": 0.01,
         "params": [0, 1]},
    ]
    before = saved["state"][0]["exp_avg"].copy()
    train(optimizer, params, 1)
    np.testing.assert_array_equal(saved["state"][0]["exp_avg"], before)


def test_load_state_dict_restores_hyperparameters():
    params = make_params()
    optimizer = SGD(params, lr=0.1, momentum=0.9)
    optimizer.param_groups[0]["lr"] = 0.02  # a schedule moved it
    fresh = SGD(make_params(), lr=0.1, momentum=0.9)
    fresh.load_state_dict(optimizer.state_dict())
    assert fresh.param_groups[0]["lr"] == 0.02


@pytest.mark.parametrize("change, message", [
    (lambda sd: sd["param_groups"][0].update(params=[0]), "group 0 has 2 parameters, the state dict has 1"),
    (lambda sd: sd["param_groups"].append({"params": []}),
     "expected 1 parameter groups, the state dict has 2"),
    (lambda sd: sd["state"][0].update(momentum_buffer=np.zeros((2, 3))),
     "state 'momentum_buffer' of parameter 0 has shape (2, 3), the parameter has shape (3, 2)"),
    (lambda sd: sd["state"][1].update(sum_sq=np.zeros(2)), "unknown state 'sum_sq' for parameter 1"),
    (lambda sd: sd["state"].update({5: {"step": 1}}), "state for parameter 5, but the optimizer has 2"),
    (lambda sd: sd.update(optimizer="Adam"), "the state dict was saved by Adam, not SGD"),
    (lambda sd: sd.update(convention="keras"), "uses convention 'keras', this optimizer 'notes'"),
    (lambda sd: sd["param_groups"][0].update(lr=-1.0), "SGD: lr must be >= 0, got -1.0"),
])
def test_load_state_dict_mismatch_raises_and_changes_nothing(change, message):
    params = make_params()
    optimizer = SGD(params, lr=0.1, momentum=0.9)
    train(optimizer, params, 2)
    saved = optimizer.state_dict()
    change(saved)
    target_params = make_params()
    target = SGD(target_params, lr=0.1, momentum=0.9)
    train(target, target_params, 1)
    before = target.state_dict()
    with pytest.raises(ValueError, match=message.replace("(", r"\(").replace(")", r"\)")):
        target.load_state_dict(saved)
    after = target.state_dict()
    assert after["param_groups"] == before["param_groups"]
    np.testing.assert_array_equal(after["state"][0]["momentum_buffer"], before["state"][0]["momentum_buffer"])


def test_load_state_dict_rejects_something_else():
    with pytest.raises(TypeError, match="expects the dict made by state_dict"):
        SGD(make_params()).load_state_dict({"state": {}})


# --- binding and groups -------------------------------------------------------------------------------------
def test_bind_later_equals_binding_at_construction():
    early, late = make_params(), make_params()
    train(Adam(early, lr=0.01), early, 5)
    optimizer = Adam(lr=0.01)  # what compile(optimizer=optim.Adam(lr=1e-3)) receives
    assert optimizer.bind(late) is optimizer
    train(optimizer, late, 5)
    for a, b in zip(late, early):
        np.testing.assert_array_equal(a.data, b.data)


def test_bind_again_same_params_is_a_no_op_other_params_raise():
    params = make_params()
    optimizer = SGD(params)
    optimizer.bind(iter(params))
    assert len(optimizer.param_groups) == 1
    with pytest.raises(ValueError, match="SGD is already bound to 2 parameters"):
        optimizer.bind(make_params())


def test_step_without_parameters_says_how_to_give_them():
    with pytest.raises(RuntimeError, match=r"SGD has no parameters: .* bind\(params\)"):
        SGD().step()


@pytest.mark.parametrize("params, error, message", [
    (P([1.0]), TypeError, "expects an iterable of parameters"),
    ([], ValueError, "empty list of parameters"),
    ([np.zeros(2)], TypeError, r"expects parameters \(objects with .data and .grad\), got ndarray"),
    ([{"params": [P([1.0])]}, P([2.0])], TypeError, "all parameters or all dicts"),
    ([{"lr": 0.1}], TypeError, "a dict with a 'params' key"),
])
def test_bad_params_are_explained(params, error, message):
    with pytest.raises(error, match=message):
        SGD(params)


def test_a_parameter_in_two_groups_is_refused():
    shared = P([1.0])
    with pytest.raises(ValueError, match="more than one group"):
        SGD([{"params": [shared]}, {"params": [shared]}])


def test_param_groups_use_their_own_hyperparameters():
    a, b = P([1.0]), P([1.0])
    optimizer = SGD([{"params": [a]}, {"params": [b], "learning_rate": 0.5}], lr=0.1, momentum=0.0)
    assert [g["lr"] for g in optimizer.param_groups] == [0.1, 0.5]
    a.grad, b.grad = np.array([2.0]), np.array([2.0])
    optimizer.step()
    assert a.data[0] == pytest.approx(0.8) and b.data[0] == pytest.approx(0.0)
    optimizer.param_groups[0]["lr"] = 0.25  # a learning-rate schedule
    optimizer.step()
    assert a.data[0] == pytest.approx(0.3)


def test_group_hyperparameters_are_validated():
    with pytest.raises(ValueError, match="Adam: beta_2 must be in \\[0, 1\\), got 1.5"):
        Adam([{"params": [P([1.0])], "betas": (0.9, 1.5)}])


# --- which parameters move ----------------------------------------------------------------------------------
@pytest.mark.parametrize("cls", ALL)
def test_frozen_and_gradientless_parameters_are_skipped(cls):
    frozen, no_grad, live = P([1.0, 2.0], requires_grad=False), P([3.0]), P([4.0])
    frozen.grad = np.array([1.0, 1.0])
    live.grad = np.array([1.0])
    optimizer = cls([frozen, no_grad, live], **FULL_OPTIONS[cls])
    optimizer.step()
    np.testing.assert_array_equal(frozen.data, [1.0, 2.0])
    np.testing.assert_array_equal(no_grad.data, [3.0])
    assert live.data[0] != 4.0
    assert list(optimizer.state_dict()["state"]) == [2]


@pytest.mark.parametrize("convention", ["notes", "pytorch", "keras"])
@pytest.mark.parametrize("cls", ALL)
def test_updates_in_place_and_leaves_grad_alone(cls, convention):
    params = make_params()
    arrays = [param.data for param in params]
    optimizer = cls(params, **FULL_OPTIONS[cls], convention=convention)
    set_gradients(params, 0)
    grads = [param.grad.copy() for param in params]
    before = [array.copy() for array in arrays]
    optimizer.step()
    for param, array, grad, old in zip(params, arrays, grads, before):
        assert param.data is array  # other code keeps references to .data
        np.testing.assert_array_equal(param.grad, grad)  # weight decay is never written into .grad
        assert not np.array_equal(array, old)


def test_zero_grad_fills_the_same_buffers_with_zero():
    params = make_params()
    set_gradients(params, 0)
    params[1].grad = None
    buffer = params[0].grad
    SGD(params).zero_grad()
    assert params[0].grad is buffer
    np.testing.assert_array_equal(buffer, np.zeros((3, 2)))
    assert params[1].grad is None


def test_zero_grad_set_to_none():
    params = make_params()
    set_gradients(params, 0)
    SGD(params).zero_grad(set_to_none=True)
    assert [param.grad for param in params] == [None, None]


# --- hyperparameters ----------------------------------------------------------------------------------------
@pytest.mark.parametrize("cls", ALL)
def test_every_optimizer_rejects_a_negative_learning_rate_uniformly(cls):
    with pytest.raises(ValueError, match=f"^{cls.__name__}: lr must be >= 0, got -1$"):
        cls(lr=-1)


@pytest.mark.parametrize("cls, kwargs, error, message", [
    (Adam, {"lr": -1}, ValueError, "Adam: lr must be >= 0, got -1"),
    (Adam, {"learning_rate": float("nan")}, ValueError, "Adam: lr must be >= 0, got nan"),
    (Adam, {"lr": "0.1"}, TypeError, "Adam: lr must be a number, got '0.1'"),
    (Adam, {"beta_1": 1.0}, ValueError, r"Adam: beta_1 must be in \[0, 1\), got 1.0"),
    (Adam, {"betas": (0.9,)}, TypeError, r"Adam: betas must be a pair \(beta_1, beta_2\)"),
    (Adam, {"amsgrad": 1}, TypeError, "Adam: amsgrad must be True or False, got 1"),
    (Adam, {"eps": -1e-8}, ValueError, "Adam: eps must be >= 0, got -1e-08"),
    (Adam, {"lr": 0.1, "learning_rate": 0.2}, TypeError, "Adam: lr given twice"),
    (Adam, {"momentum": 0.9}, TypeError, "Adam got an unexpected hyperparameter 'momentum'; valid: "),
    (SGD, {"momentum": 1.5}, ValueError, r"SGD: momentum must be in \[0, 1\], got 1.5"),
    (SGD, {"momentum": True}, TypeError, "SGD: momentum must be a number, got True"),
    (SGD, {"nesterov": True}, ValueError, "SGD: nesterov=True needs momentum > 0"),
    (SGD, {"momentum": 0.9, "nesterov": True, "dampening": 0.1, "convention": "pytorch"}, ValueError,
     "SGD: nesterov=True needs dampening=0"),
    (SGD, {"dampening": 0.1}, ValueError,
     "SGD: dampening is used only by convention 'pytorch'; this optimizer's convention is 'notes'"),
    (Adagrad, {"lr_decay": 0.1, "convention": "keras"}, ValueError,
     "Adagrad: lr_decay is used only by convention 'pytorch'"),
    (Adagrad, {"initial_accumulator_value": -0.1}, ValueError,
     "Adagrad: initial_accumulator_value must be >= 0"),
    (RMSProp, {"alpha": 1.1}, ValueError, r"RMSProp: rho must be in \[0, 1\], got 1.1"),
    (RMSProp, {"centered": "yes"}, TypeError, "RMSProp: centered must be True or False"),
    (Adadelta, {"rho": -0.1}, ValueError, r"Adadelta: rho must be in \[0, 1\], got -0.1"),
    (Adadelta, {"weight_decay": -1}, ValueError, "Adadelta: weight_decay must be >= 0, got -1"),
])
def test_bad_hyperparameters_are_explained(cls, kwargs, error, message):
    with pytest.raises(error, match=message):
        cls(**kwargs)


@pytest.mark.parametrize("cls", ALL)
def test_bad_convention_lists_the_valid_ones(cls):
    with pytest.raises(ValueError, match=f"{cls.__name__}: convention must be one of 'notes', 'pytorch', "
                                         "'keras', got 'torch'"):
        cls(convention="torch")


@pytest.mark.parametrize("cls, convention, expected", [
    (SGD, "notes", {"lr": 0.01, "momentum": 0.0, "nesterov": False, "weight_decay": 0.0}),
    (SGD, "pytorch", {"lr": 1e-3, "momentum": 0.0, "dampening": 0.0, "nesterov": False, "weight_decay": 0.0}),
    (Adagrad, "pytorch", {"lr": 0.01, "eps": 1e-10, "initial_accumulator_value": 0.0, "lr_decay": 0.0,
                          "weight_decay": 0.0}),
    (Adagrad, "keras", {"lr": 1e-3, "eps": 1e-7, "initial_accumulator_value": 0.1, "weight_decay": 0.0}),
    (Adadelta, "pytorch", {"lr": 1.0, "rho": 0.9, "eps": 1e-6, "weight_decay": 0.0}),
    (RMSProp, "pytorch", {"lr": 0.01, "rho": 0.99, "eps": 1e-8, "momentum": 0.0, "centered": False,
                          "weight_decay": 0.0}),
    (RMSProp, "keras", {"lr": 1e-3, "rho": 0.9, "eps": 1e-7, "momentum": 0.0, "centered": False,
                        "weight_decay": 0.0}),
    (Adam, "keras", {"lr": 1e-3, "beta_1": 0.9, "beta_2": 0.999, "eps": 1e-7, "amsgrad": False,
                     "weight_decay": 0.0}),
])
def test_defaults_depend_on_the_convention(cls, convention, expected):
    assert cls(convention=convention).defaults == expected


def defaults_table(cls) -> dict:
    """The docstring's table of defaults, read back: {name: {notes, pytorch, keras, allowed: text}}."""
    lines = [line.strip() for line in cls.__doc__.splitlines()]
    header = next(n for n, line in enumerate(lines) if line.split() == ["name", *CONVENTIONS, "allowed"])
    rows = {}
    for line in lines[header + 2:]:
        if line.startswith("="):
            return rows
        name, *cells = line.split(maxsplit=4)
        rows[name] = dict(zip([*CONVENTIONS, "allowed"], cells))
    raise AssertionError("the table has no closing rule")


def parse_default(text):
    """A default as the table shows it, back as a value: 1e-8 -> 1e-08, False -> False, — -> UNUSED."""
    words = {"—": UNUSED, "True": True, "False": False}
    return words[text] if text in words else float(text)


@pytest.mark.parametrize("cls", ALL)
def test_docstring_table_of_defaults_is_made_from_the_hyperparameter_table(cls):
    assert "{hyperparameter_table}" not in cls.__doc__
    table = defaults_table(cls)
    assert list(table) == list(cls.hyperparameters)
    words = {">= 0": ">= 0", "[0, 1)": "[0, 1)", "[0, 1]": "[0, 1]", "bool": "True or False"}
    for name, row in table.items():
        assert row["allowed"] == words[cls.hyperparameters[name][-1]]
    for convention in CONVENTIONS:
        shown = {name: parse_default(row[convention]) for name, row in table.items()}
        assert {name: value for name, value in shown.items() if value is not UNUSED} == (
            cls(convention=convention).defaults)


def test_docstring_table_shows_the_numbers_as_written():
    assert "eps                        1e-8   1e-10    1e-7   >= 0" in Adagrad.__doc__
    assert "dampening     —      0        —      [0, 1]" in SGD.__doc__


@pytest.mark.parametrize("cls", ALL)
def test_constructor_signature_comes_from_the_hyperparameter_table(cls):
    assert "__init__" not in vars(cls)  # the base class forwards every hyperparameter
    parameters = inspect.signature(cls).parameters
    assert list(parameters) == ["params", *cls.hyperparameters, "convention", "clipnorm", "clipvalue",
                                "global_clipnorm", "aliases"]
    assert all(parameters[name].default is None for name in cls.hyperparameters)
    assert parameters["convention"].kind is inspect.Parameter.KEYWORD_ONLY


def test_hyperparameters_by_position_follow_the_table_order():
    assert SGD(None, 0.1, 0.9).defaults == {"lr": 0.1, "momentum": 0.9, "nesterov": False,
                                            "weight_decay": 0.0}
    assert Adam(None, 0.01, 0.8, convention="keras").defaults["beta_1"] == 0.8
    with pytest.raises(TypeError, match=r"^SGD takes at most 5 hyperparameters by position \(lr, momentum, "
                                        r"dampening, nesterov, weight_decay\), got 6$"):
        SGD(None, 0.1, 0.0, 0.0, False, 0.0, 1.0)
    with pytest.raises(TypeError, match=r"^SGD: lr given twice \(by position and by name\)$"):
        SGD(None, 0.1, lr=0.2)
    with pytest.raises(TypeError, match="SGD: lr given twice"):
        SGD(None, 0.1, learning_rate=0.2)


def test_aliases_reach_the_canonical_names():
    assert Adam(learning_rate=0.1, epsilon=1e-3, betas=(0.8, 0.9)).defaults == {
        "lr": 0.1, "beta_1": 0.8, "beta_2": 0.9, "eps": 1e-3, "amsgrad": False, "weight_decay": 0.0}
    assert RMSProp(alpha=0.5).defaults["rho"] == 0.5


def test_repr_lists_hyperparameters_and_groups():
    assert repr(SGD(lr=0.1, momentum=0.9)) == (
        "SGD(lr=0.1, momentum=0.9, nesterov=False, weight_decay=0.0, convention='notes')")
    two_groups = Adagrad([{"params": [P([1.0])]}, {"params": [P([1.0])], "lr": 0.5}], convention="keras")
    assert repr(two_groups) == (
        "Adagrad(convention='keras',\n"
        "  group 0: lr=0.001, eps=1e-07, initial_accumulator_value=0.1, weight_decay=0.0\n"
        "  group 1: lr=0.5, eps=1e-07, initial_accumulator_value=0.1, weight_decay=0.0\n)")


# --- the registry -------------------------------------------------------------------------------------------
@pytest.mark.parametrize("name, cls", [("sgd", SGD), ("Adagrad", Adagrad), ("adadelta", Adadelta),
                                       ("RMSPROP", RMSProp), ("adam", Adam)])
def test_get_by_name_makes_a_fresh_unbound_optimizer(name, cls):
    optimizer = optim.get(name)
    assert type(optimizer) is cls and optimizer.param_groups == [] and optimizer.convention == "notes"
    assert optim.get(name) is not optimizer


def test_get_passes_an_instance_through_and_explains_bad_identifiers():
    adam = Adam(lr=0.1)
    assert optim.get(adam) is adam
    with pytest.raises(ValueError, match="unknown optimizer 'adamax'; valid names: sgd, adagrad, adadelta, "
                                         "rmsprop, adam"):
        optim.get("adamax")
    with pytest.raises(TypeError, match="an optimizer is a name"):
        optim.get(3)
