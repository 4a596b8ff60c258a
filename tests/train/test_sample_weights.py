"""fit(sample_weight=, class_weight=): each batch's cost is Σ w_i·l_i / Σ w_i, PyTorch's
CrossEntropyLoss(weight=) rule, checked by hand and against PyTorch (loss and the updated weights)."""

from __future__ import annotations

import numpy as np
import pytest

from glassnet import nn, optim

RNG = np.random.default_rng(4)
X = RNG.normal(size=(6, 4))
Y = np.array([0, 1, 2, 1, 0, 1])
CLASS_WEIGHT = {0: 1.0, 1: 2.0, 2: 0.5}
SAMPLE_WEIGHT = np.array([1.0, 0.0, 3.0, 0.5, 2.0, 1.0])


def trained(**weights):
    model = nn.Sequential([nn.Dense(3, dtype="float64")], input_shape=(4,))
    start = {name: value.copy() for name, value in model.state_dict().items()}
    model.compile(optim.SGD(lr=0.1), nn.SparseCategoricalCrossEntropy(from_logits=True))
    history = model.fit(X, Y, epochs=1, batch_size="full", shuffle=False, verbose=0, **weights)
    return start, history.history["loss"][0], model.state_dict()


def by_hand(start, weights) -> float:
    z = X @ start["0.weight"] + start["0.bias"]
    log_p = z - np.log(np.exp(z).sum(axis=1, keepdims=True))
    losses = -log_p[np.arange(len(Y)), Y]
    return float((weights * losses).sum() / weights.sum())


def torch_step(start, class_weight=None, sample_weight=None):
    torch = pytest.importorskip("torch")
    linear = torch.nn.Linear(4, 3).double()
    with torch.no_grad():
        linear.weight.copy_(torch.tensor(start["0.weight"].T))
        linear.bias.copy_(torch.tensor(start["0.bias"]))
    logits, target = linear(torch.tensor(X)), torch.tensor(Y)
    if sample_weight is None:
        weight = torch.tensor([class_weight[k] for k in range(3)], dtype=torch.float64)
        loss = torch.nn.CrossEntropyLoss(weight=weight)(logits, target)
    else:
        w = torch.tensor(sample_weight)
        loss = (torch.nn.functional.cross_entropy(logits, target, reduction="none") * w).sum() / w.sum()
    loss.backward()
    with torch.no_grad():
        return (
            float(loss),
            (linear.weight - 0.1 * linear.weight.grad).T.numpy(),
            (linear.bias - 0.1 * linear.bias.grad).numpy(),
        )


@pytest.mark.parametrize(
    "arguments, weights",
    [
        ({"class_weight": CLASS_WEIGHT}, np.array([CLASS_WEIGHT[k] for k in Y])),
        ({"sample_weight": SAMPLE_WEIGHT}, SAMPLE_WEIGHT),
        (
            {"sample_weight": SAMPLE_WEIGHT, "class_weight": CLASS_WEIGHT},
            SAMPLE_WEIGHT * np.array([CLASS_WEIGHT[k] for k in Y]),
        ),
    ],
)
def test_weighted_cost_is_pytorchs_and_the_hand_computation(arguments, weights):
    start, loss, after = trained(**arguments)
    assert loss == pytest.approx(by_hand(start, weights), rel=1e-12)
    if len(arguments) == 1:  # PyTorch: CrossEntropyLoss(weight=) for classes, the same rule per sample
        torch_loss, weight, bias = torch_step(
            start, arguments.get("class_weight"), arguments.get("sample_weight")
        )
        assert loss == pytest.approx(torch_loss, rel=1e-10)
        np.testing.assert_allclose(after["0.weight"], weight, rtol=1e-10)
        np.testing.assert_allclose(after["0.bias"], bias, rtol=1e-10)
    start, unweighted, _ = trained()  # (another model: another initialization)
    assert unweighted == pytest.approx(by_hand(start, np.ones(6)), rel=1e-12)
    assert by_hand(start, weights) != pytest.approx(unweighted, rel=1e-6)  # the weights change the cost


def test_sample_weight_of_an_element_wise_loss_weighs_each_examples_mean():
    model = nn.Sequential([nn.Dense(2, dtype="float64")], input_shape=(4,))
    start = model.state_dict()
    model.compile(optim.SGD(lr=0.0), "mse")
    target = RNG.normal(size=(6, 2))
    loss = model.fit(X, target, batch_size="full", verbose=0, sample_weight=SAMPLE_WEIGHT).history["loss"][0]
    per_example = ((X @ start["0.weight"] + start["0.bias"] - target) ** 2).mean(axis=1)
    assert loss == pytest.approx((SAMPLE_WEIGHT * per_example).sum() / SAMPLE_WEIGHT.sum(), rel=1e-12)


@pytest.mark.parametrize(
    "arguments, message",
    [
        ({"sample_weight": np.ones(5)}, r"one weight per example, shape \(6,\); got \(5,\)"),
        ({"class_weight": {0: 1.0, 1: 1.0}}, r"no weight for the classes \[2\]"),
        ({"class_weight": [1.0, 2.0, 3.0]}, "class_weight must be a dict"),
        ({"sample_weight": -SAMPLE_WEIGHT}, "finite and >= 0"),
        ({"sample_weight": np.zeros(6)}, "all 0"),
        ({"sample_weight": SAMPLE_WEIGHT, "validation_split": 0.5}, "split the weights too"),
    ],
)
def test_bad_weights_are_refused(arguments, message):
    model = nn.Sequential([nn.Dense(3)], input_shape=(4,))
    model.compile("sgd", nn.SparseCategoricalCrossEntropy(from_logits=True))
    with pytest.raises((ValueError, TypeError), match=message):
        model.fit(X, Y, verbose=0, **arguments)
