"""A mini-batch step written out for one parameter (``explain.batch_step``) and ``worked_step``'s ``focus``:
the gradient the document builds from the examples equals the optimizer's, finite differences and PyTorch;
the update it shows is the one the model took; a focus writes that parameter alone."""

import copy

import numpy as np
import pytest

from glassnet import nn, optim
from glassnet.autograd.tensor import Tensor
from glassnet.explain.batch_step import parameter_symbol, worked_batch_step
from glassnet.explain.worked import worked_step


def network(regularizer=None, optimizer=None, seed=3):
    rng = np.random.default_rng(seed)
    model = nn.Sequential(
        [
            nn.Dense(3, activation="tanh", weight_regularizer=regularizer, dtype="float64"),
            nn.Dense(1, activation="sigmoid", weight_regularizer=regularizer, dtype="float64"),
        ],
        input_shape=(2,),
    )
    model.load_state_dict({k: rng.normal(size=v.shape) for k, v in model.state_dict().items()})
    model.compile(optimizer=optimizer or optim.SGD(lr=0.1), loss="binary_crossentropy")
    return model


def batch(seed=4, size=5):
    rng = np.random.default_rng(seed)
    return rng.normal(size=(size, 2)), rng.integers(0, 2, size=(size, 1)).astype(float)


def batch_loss(model, x, y) -> float:
    loss = model.loss(model(Tensor(x)), Tensor(y))
    penalty = model.regularization_loss()
    return float(loss.item()) + (0.0 if isinstance(penalty, float) else float(penalty.item()))


@pytest.mark.parametrize("regularizer", [None, nn.L2(0.05), nn.L1(0.02)])
@pytest.mark.parametrize("focus", [("0.weight", (1, 2)), ("0.bias", (0,)), ("1.weight", (2, 0))])
def test_the_summed_gradient_equals_autograd_and_finite_differences(regularizer, focus):
    model = network(regularizer)
    x, y = batch()
    before = copy.deepcopy(model)
    step = worked_batch_step(model, x, y, focus=focus)
    assert abs(step.summed - step.gradient) < 1e-12
    assert len(step.example_gradients) == 5
    # central differences of the batch loss (data loss + penalty) in the focused element
    name, index = focus
    parameter = dict(before.named_parameters())[name]
    h = 1e-6
    parameter.data[index] += h
    up = batch_loss(before, x, y)
    parameter.data[index] -= 2 * h
    down = batch_loss(before, x, y)
    parameter.data[index] += h
    assert step.gradient == pytest.approx((up - down) / (2 * h), rel=1e-6, abs=1e-9)
    # the update the document shows is the one the model took: SGD, w - η g
    assert step.after == pytest.approx(step.before - 0.1 * step.gradient, abs=1e-15)
    assert dict(model.named_parameters())[name].data[index] == step.after


def test_the_gradient_matches_pytorch():
    torch = pytest.importorskip("torch")
    model = network(nn.L2(0.05))
    x, y = batch(size=6)
    state = {
        k: torch.tensor(v, dtype=torch.float64, requires_grad=True) for k, v in model.state_dict().items()
    }
    hidden = torch.tanh(torch.tensor(x) @ state["0.weight"] + state["0.bias"])
    out = torch.sigmoid(hidden @ state["1.weight"] + state["1.bias"])
    loss = torch.nn.functional.binary_cross_entropy(out, torch.tensor(y))
    loss = loss + 0.05 * (state["0.weight"] ** 2).sum() + 0.05 * (state["1.weight"] ** 2).sum()
    loss.backward()
    step = worked_batch_step(model, x, y, focus=("0.weight", (0, 1)))
    expected = state["0.weight"].grad[0, 1].item()
    assert step.gradient == pytest.approx(expected, rel=1e-10)
    assert step.loss == pytest.approx(loss.item(), rel=1e-10)


def test_the_document_shows_the_example_the_sum_and_the_update():
    model = network(nn.L2(0.05), optimizer=optim.Adam(lr=0.01))
    x, y = batch()
    step = worked_batch_step(model, x, y, focus=("1.weight", (2, 0)), example=1)
    text = step.to_text(6)
    titles = [section.title for section in step.document.sections]
    assert titles[0] == "The step"
    assert "Example 2 of the batch: forward pass" in titles
    assert titles[-2:] == ["Summed over the batch", "Update"]
    assert f"{step.gradient:.6f}" in text
    assert "Adam (convention 'notes')" in text
    assert "∂R/∂w₃₁⁽²⁾ = 2λw = " in text
    # the chain rule of the example is written for the clicked weight alone
    chain = next(s for s in step.document.sections if s.title.endswith("backward pass: the chain rule"))
    assert len(chain.items) == 1 and "∂L/∂w₃₁⁽²⁾" in step.document.render("text", 6)


def test_bad_focus_and_example_are_one_clear_line():
    model = network()
    x, y = batch()
    with pytest.raises(ValueError, match="focus must be .* with a name from"):
        worked_batch_step(model, x, y, focus=("2.weight", (0, 0)))
    with pytest.raises(ValueError, match=r"focus index \(3, 0\) is outside 0.weight of shape \(2, 3\)"):
        worked_batch_step(model, x, y, focus=("0.weight", (3, 0)))
    with pytest.raises(ValueError, match=r"example must be in \[0, 5\)"):
        worked_batch_step(model, x, y, focus=("0.weight", (0, 0)), example=5)


def test_worked_step_focus_writes_one_parameter_and_keeps_every_gradient():
    whole, focused = network(), network()
    x, y = np.array([0.5, -1.0]), np.array([1.0])
    all_of_it = worked_step(whole, x, y)
    one = worked_step(focused, x, y, focus=("0.weight", (1, 2)))
    for name in all_of_it.path_gradients:
        np.testing.assert_array_equal(one.path_gradients[name], all_of_it.path_gradients[name])
    chain = next(s for s in one.document.sections if s.title.startswith("Backward pass"))
    update = next(s for s in one.document.sections if s.title == "Update")
    assert len(chain.items) == 1 and "w₂₃⁽¹⁾" in chain.items[0].parts[0].text
    assert sum(1 for item in update.items if hasattr(item, "parts")) == 1
    with pytest.raises(ValueError, match="focus names parameter '5.bias'"):
        worked_step(network(), x, y, focus=("5.bias", (0,)))
    with pytest.raises(ValueError, match=r"focus index \(0, 9\) is outside 0.weight"):
        worked_step(network(), x, y, focus=("0.weight", (0, 9)))


def test_parameter_symbols_are_the_notes():
    assert parameter_symbol("0.bias", (2,)).text == "b₃⁽¹⁾"
    assert parameter_symbol("2.weight", (0, 1)).latex == "w_{12}^{[3]}"


def test_units_with_more_paths_than_written_are_checked_by_the_matrix_form():
    from glassnet.explain.worked import MAX_PATHS

    rng = np.random.default_rng(0)
    model = nn.Sequential(
        [nn.Dense(6, activation="tanh", dtype="float64") for _ in range(4)] + [nn.Dense(1, dtype="float64")],
        input_shape=(2,),
    )
    model.load_state_dict({k: rng.normal(size=v.shape) for k, v in model.state_dict().items()})
    assert 6**3 > MAX_PATHS  # a unit of layer 1 reaches the output by 216 paths
    step = worked_step(model, [0.3, -0.7], [0.5], loss="mse", focus=("0.weight", (1, 4)))
    assert step.max_discrepancy() < 1e-12  # every gradient, the first layer's by the delta rule
    text = step.to_text(6)
    assert "unit 5 of layer 1 reaches the loss by 216 paths: see the matrix form" in text
    assert "unit 4 of layer 1 reaches" not in text  # the focus is on unit 5
    assert "The same in matrix form (delta rule)" in text
