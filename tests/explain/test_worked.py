"""Worked solutions: the notes' 2x2-image example in all four formats, and random networks whose every
printed chain-rule product sums to autograd's gradient."""

import re

import numpy as np
import pytest

import glassnet as gn
from glassnet import nn, optim
from glassnet.explain.worked import worked_step

NUMBER = r"-?\d+(?:\.\d+)?(?:e[+-]?\d+| \\times 10\^\{-?\d+\})?"


def notes_network():
    model = nn.Sequential(
        [
            nn.Dense(3, activation="sigmoid"),
            nn.Dense(2, activation="sigmoid"),
            nn.Dense(1, activation="sigmoid"),
        ],
        input_shape=(4,),
    )
    model.load_state_dict(
        {
            "0.weight": np.array([[1, 3, -2], [2, -3, 4], [3, -1, 1], [2, 3, -2]], float),
            "0.bias": np.zeros(3),
            "1.weight": np.array([[1, -2], [-3, 4], [-1, 1]], float),
            "1.bias": np.zeros(2),
            "2.weight": np.array([[4], [1]], float),
            "2.bias": np.zeros(1),
        }
    )
    return model


def parse_number(text: str) -> float:
    text = text.strip().rstrip("$").strip()
    match = re.fullmatch(r"(-?\d+(?:\.\d+)?) \\times 10\^\{(-?\d+)\}", text)
    if match:
        return float(match.group(1)) * 10 ** int(match.group(2))
    return float(text)


def final_values(rendered: str, fmt: str) -> dict:
    """Each equation's left-hand side -> the number at its end, for any of the four formats."""
    values = {}
    for line in rendered.splitlines():
        line = line.strip()
        if fmt == "tex":
            if not line.startswith(r"\["):
                continue
            line = line[2:-2]
        elif fmt == "md":
            if not line.startswith("$$"):
                continue
            line = line[2:-2]
        elif fmt == "html":
            match = re.fullmatch(r'<p style="font-family: monospace">(.*)</p>', line)
            if not match:
                continue
            line = match.group(1).replace("−", "-")
        parts = line.split(" = ")
        if len(parts) < 2 or not re.fullmatch(NUMBER, parts[-1].strip()):
            continue
        values[parts[0].strip()] = parse_number(parts[-1])
    return values


NOTES_NUMBERS = {  # CURRICULUM section 2: left-hand side in text / LaTeX -> the value
    ("z₁⁽¹⁾", "z_{1}^{[1]}"): 35,
    ("z₂⁽¹⁾", "z_{2}^{[1]}"): 10,
    ("z₃⁽¹⁾", "z_{3}^{[1]}"): 1,
    ("a₁⁽¹⁾", "a_{1}^{[1]}"): 1.000000,
    ("a₂⁽¹⁾", "a_{2}^{[1]}"): 0.999955,
    ("a₃⁽¹⁾", "a_{3}^{[1]}"): 0.731059,
    ("z₁⁽²⁾", "z_{1}^{[2]}"): -2.730922,
    ("z₂⁽²⁾", "z_{2}^{[2]}"): 2.730877,
    ("a₁⁽²⁾", "a_{1}^{[2]}"): 0.061173,
    ("a₂⁽²⁾", "a_{2}^{[2]}"): 0.938824,
    ("z₁⁽³⁾", "z_{1}^{[3]}"): 1.183517,
    ("a₁⁽³⁾", "a_{1}^{[3]}"): 0.765580,
    ("L", "L"): 0.267122,
    ("∂L/∂w₁₁⁽³⁾", r"\frac{\partial L}{\partial w_{11}^{[3]}}"): -0.014340,
    ("∂L/∂w₂₁⁽³⁾", r"\frac{\partial L}{\partial w_{21}^{[3]}}"): -0.220080,
    ("w₁₁⁽³⁾ new", r"w_{11}^{[3]}_{\text{new}}"): 4.000143,
    ("w₂₁⁽³⁾ new", r"w_{21}^{[3]}_{\text{new}}"): 1.002201,
}
W2_GRADIENT = [[-0.053852, -0.013464], [-0.053850, -0.013463], [-0.039369, -0.009843]]
W1_THIRD_COLUMN = [0.015882, 0.023823, 0.039704, 0.047645]


@pytest.mark.parametrize("fmt", ["text", "md", "tex", "html"])
def test_notes_example_in_every_format(float64, fmt):
    step = worked_step(notes_network(), [2, 3, 5, 6], 1.0, loss="binary_crossentropy", lr=0.01)
    rendered = step.render(fmt)
    values = final_values(rendered, fmt)
    latex = fmt in ("tex", "md")
    for (text_symbol, latex_symbol), expected in NOTES_NUMBERS.items():
        assert values[latex_symbol if latex else text_symbol] == pytest.approx(expected, abs=5e-7), (
            text_symbol
        )
    for i in range(3):
        for j in range(2):
            key = (
                rf"\frac{{\partial L}}{{\partial w_{{{i + 1}{j + 1}}}^{{[2]}}}}"
                if latex
                else f"∂L/∂w{'₁₂₃'[i]}{'₁₂'[j]}⁽²⁾"
            )
            assert values[key] == pytest.approx(W2_GRADIENT[i][j], abs=5e-7)
    for i, expected in enumerate(W1_THIRD_COLUMN):
        key = rf"\frac{{\partial L}}{{\partial w_{{{i + 1}3}}^{{[1]}}}}" if latex else f"∂L/∂w{'₁₂₃₄'[i]}₃⁽¹⁾"
        assert values[key] == pytest.approx(expected, abs=5e-7)
    # and what was printed is autograd's gradient
    for name, gradient in step.autograd_gradients.items():
        np.testing.assert_allclose(step.path_gradients[name], gradient, rtol=1e-9, atol=1e-15)


def test_notes_example_shows_the_substituted_sums_and_paths(float64):
    text = worked_step(notes_network(), [2, 3, 5, 6], 1.0, loss="binary_crossentropy").to_text()
    assert (
        "z₁⁽¹⁾ = x₁·w₁₁⁽¹⁾ + x₂·w₂₁⁽¹⁾ + x₃·w₃₁⁽¹⁾ + x₄·w₄₁⁽¹⁾ + b₁⁽¹⁾ = 2·1 + 3·2 + 5·3 + 6·2 + 0 = 35"
        in text
    )
    line = next(row for row in text.splitlines() if row.startswith("∂L/∂w₁₃⁽¹⁾"))
    assert line.count(" + ") == 2  # two paths (through a₁⁽²⁾ and a₂⁽²⁾), in symbols and in numbers
    assert "δ⁽²⁾ = (δ⁽³⁾ W⁽³⁾ᵀ) ⊙ f'(z⁽²⁾) = [-0.053852, -0.013464]" in text
    assert "w₁₁⁽³⁾ new = 4 - 0.01·(-0.014340) = 4.000143" in text


def test_precision_is_configurable(float64):
    step = worked_step(notes_network(), [2, 3, 5, 6], 1.0)
    assert "= 0.765580" in step.to_text() and "= 0.77558" not in step.to_text(precision=3)
    assert "a₁⁽³⁾ = σ(z) = 1 / (1 + e^(-1.184)) = 0.766" in step.to_text(precision=3)


CASES = [
    (["tanh", "sigmoid"], "binary_crossentropy", 1.0),
    (["relu", "linear"], nn.BinaryCrossEntropy(from_logits=True), 0.0),
    (["elu", "leaky_relu", "linear"], "mse", [0.5, -1.0]),
    (["selu", "linear"], "mae", [0.3, 2.0]),
    (["sigmoid", "linear"], nn.Huber(delta=0.5), [1.5, -0.2]),
    (["tanh", "softmax"], "categorical_crossentropy", [0.0, 1.0, 0.0]),
    (["relu", "softmax"], "sparse_categorical_crossentropy", 2),
    (["tanh", "linear"], nn.CategoricalCrossEntropy(from_logits=True), [1.0, 0.0, 0.0]),
    (["sigmoid", "linear"], nn.SparseCategoricalCrossEntropy(from_logits=True), 1),
]


@pytest.mark.parametrize("activations, loss, target", CASES, ids=lambda v: str(v))
def test_random_networks_products_equal_autograd(float64, activations, loss, target):
    outputs = np.asarray(target).size if np.asarray(target).dtype.kind == "f" else 3
    widths = [3, 4][: len(activations) - 1] + [outputs]
    model = nn.Sequential([nn.Dense(w, activation=a) for w, a in zip(widths, activations)], input_shape=(3,))
    for p in model.parameters():  # away from the kinks of relu and mae
        p.data[:] = np.random.default_rng(p.size).uniform(-1.5, 1.5, p.shape)
    x = [0.7, -1.1, 0.4]
    reference = nn.Sequential(
        [nn.Dense(w, activation=a) for w, a in zip(widths, activations)], input_shape=(3,)
    )
    reference.load_state_dict(model.state_dict())
    loss_fn = nn.losses.get(loss) if isinstance(loss, str) else loss
    expected_target = np.asarray(target)
    out = reference(gn.tensor(np.array([x])))
    value = loss_fn(
        out,
        expected_target.reshape(1)
        if expected_target.dtype.kind in "iu"
        else expected_target.reshape(out.shape),
    )
    value.backward()
    step = worked_step(model, x, target, loss=loss)
    assert step.loss == pytest.approx(value.item(), rel=1e-12)
    for name, parameter in reference.named_parameters():
        np.testing.assert_allclose(step.path_gradients[name], parameter.grad, rtol=1e-9, atol=1e-12)
        np.testing.assert_allclose(step.autograd_gradients[name], parameter.grad, rtol=1e-12, atol=1e-15)
    printed = final_values(step.to_text(precision=12), "text")
    for (name, parameter), layer in zip(reference.named_parameters(), [0, 0, 1, 1, 2, 2]):
        letter = "w" if name.endswith("weight") else "b"
        for index in np.ndindex(parameter.shape):
            digits = "".join("₀₁₂₃₄₅₆₇₈₉"[i + 1] for i in index)
            key = f"∂L/∂{letter}{digits}" + f"({layer + 1})".translate(
                str.maketrans("0123456789()", "⁰¹²³⁴⁵⁶⁷⁸⁹⁽⁾")
            )
            assert printed[key] == pytest.approx(parameter.grad[index], rel=1e-9, abs=1e-12), key


def test_other_optimizers_show_their_update_table(float64):
    model = notes_network()
    step = worked_step(model, [2, 3, 5, 6], 1.0, optimizer=optim.Adam(lr=0.1))
    text = step.to_text()
    assert "Adam (convention 'notes') moved each parameter:" in text
    np.testing.assert_allclose(step.after["2.weight"], model[2].weight.data)
    assert not np.allclose(step.after["2.weight"], step.before["2.weight"])


def test_only_dense_networks():
    with pytest.raises(TypeError, match="networks of Dense layers; 'drop' is a Dropout"):
        worked_step(
            nn.Sequential([nn.Dense(2), nn.Dropout(0.5, name="drop")], input_shape=(2,)), [1, 2], [0, 1]
        )


def test_html_repr_for_jupyter(float64):
    step = worked_step(notes_network(), [2, 3, 5, 6], 1.0)
    html = step._repr_html_()
    assert html.startswith('<div class="glassnet-explain">') and "<table" in html and "0.765580" in html


def test_latex_has_no_raw_unicode_outside_math(float64):
    tex = worked_step(notes_network(), [2, 3, 5, 6], 1.0).to_latex()
    assert all(ord(c) < 128 for c in tex), sorted({c for c in tex if ord(c) >= 128})
