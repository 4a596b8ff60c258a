"""Derivatives explained: every decomposition's chain-rule sum equals autograd's derivative of the fused
op, and finite differences of the values; the notes' sigmoid derivation and drill step by step."""

import dataclasses
import math

import numpy as np
import pytest

from glassnet.explain.derivatives import DECOMPOSITIONS, derive
from glassnet.ops import arithmetic, elementwise


def sigmoid(x):
    return 1 / (1 + math.exp(-x))


def test_sigmoid_is_taken_apart_as_the_notes_do():
    d = derive("sigmoid", x=0.5)
    q = math.exp(-0.5)
    r = 1 + q
    assert [s.symbol.text for s in d.steps] == ["p", "q", "r", "f"]
    assert [s.expression.text for s in d.steps] == ["-x", "e^p", "1 + q", "1/r"]
    assert [s.op for s in d.steps] == ["neg", "exp", "add", "div"]
    # the derivative text is the op's own, not a second copy
    assert [s.derivative for s in d.steps] == [
        arithmetic.Neg.derivative.text(),
        elementwise.Exp.derivative.text(),
        arithmetic.Add.derivative.text(),
        arithmetic.Div.derivative.text(),
    ]
    np.testing.assert_allclose([s.value for s in d.steps], [-0.5, q, r, 1 / r], rtol=1e-15)
    np.testing.assert_allclose([s.local[0] for s in d.steps], [-1.0, q, 1.0, -1 / r**2], rtol=1e-15)
    assert len(d.paths) == 1 and [s.text for s in d.paths[0].symbols] == ["f", "r", "q", "p", "x"]
    expected = sigmoid(0.5) * (1 - sigmoid(0.5))  # σ'(x) = σ(x)(1 − σ(x)) = 0.235004
    assert d.chain_rule == pytest.approx(expected, rel=1e-15)
    assert d.identity[0].text == "σ'(x) = σ(x)(1 - σ(x))" and d.identity[1] == pytest.approx(
        expected, rel=1e-15
    )
    assert d.fused_op == "sigmoid" and d.fused == pytest.approx(expected, rel=1e-15) and d.agrees


def test_the_chain_rule_drill_multiplies_2z_2m_2x():
    d = derive("chain_rule_drill", x=1.5)
    m, z = 1.5**2, 1.5**4
    assert [s.value for s in d.steps] == [m, z, z**2]
    assert list(d.paths[0].factors) == [2 * z, 2 * m, 2 * 1.5]
    assert d.chain_rule == 2 * z * 2 * m * 2 * 1.5 == 8 * 1.5**7 == 136.6875
    assert d.fused_op == "pow" and d.fused == 136.6875 and d.agrees


def test_binary_cross_entropy_sums_the_two_paths_through_y_hat():
    d = derive("bce", x=0.3, y=0.8)
    assert len(d.paths) == 2
    first, second = (path.product for path in d.paths)
    assert first == pytest.approx(-0.8 / 0.3, rel=1e-14)  # through y log ŷ
    assert second == pytest.approx(0.2 / 0.7, rel=1e-14)  # through (1 − y) log(1 − ŷ)
    assert d.chain_rule == pytest.approx((0.3 - 0.8) / (0.3 * 0.7), rel=1e-14) and d.agrees


def test_softmax_component_sums_a_numerator_and_a_denominator_path():
    x = [1.0, 2.0, 0.5]
    d = derive("softmax", x=x, k=1)
    e = np.exp(x)
    y = e[1] / e.sum()
    assert d.value == pytest.approx(y, rel=1e-15)
    products = sorted(path.product for path in d.paths)
    np.testing.assert_allclose(products, sorted([e[1] / e.sum(), -(e[1] ** 2) / e.sum() ** 2]), rtol=1e-14)
    assert d.chain_rule == pytest.approx(y * (1 - y), rel=1e-14) and d.agrees


@pytest.mark.parametrize(
    ("name", "prediction", "target", "loss"),
    [
        ("bce", 0.6, 1.0, 0.510826),  # CURRICULUM section 3's examples
        ("bce", 0.2, 0.0, 0.223144),
        ("bce", 0.4, 1.0, 0.916291),
        ("sparse_cce", [0.6, 0.2, 0.2], 0, 0.510826),
        ("cce", [0.6, 0.2, 0.2], [1.0, 0.0, 0.0], 0.510826),
    ],
)
def test_the_notes_loss_values(name, prediction, target, loss):
    d = derive(name, x=prediction, y=target)
    assert round(d.value, 6) == loss and d.agrees


def test_the_logit_losses_give_y_hat_minus_y():
    d = derive("bce_logits", x=-1.2, y=1.0)
    assert d.chain_rule == pytest.approx(sigmoid(-1.2) - 1.0, rel=1e-14)
    z = np.array([2.0, 1.0, 0.1])
    softmax = np.exp(z) / np.exp(z).sum()
    for name, target in (("cce_logits", [0.0, 1.0, 0.0]), ("sparse_cce_logits", 1)):
        d = derive(name, x=z, y=target)
        assert d.chain_rule == pytest.approx(softmax[1] - 1.0, rel=1e-14) and d.agrees
        assert d.identity[1] == pytest.approx(softmax[1] - 1.0, rel=1e-14)


def test_kinks_take_the_fused_ops_conventions():
    assert derive("relu", x=0.0).chain_rule == 0.0  # relu'(0) = 0
    assert derive("leaky_relu", x=0.0, alpha=0.2).chain_rule == 0.2
    assert derive("elu", x=0.0, alpha=0.5).chain_rule == 0.5  # α e^0
    assert derive("step", x=0.3, threshold=0.5).value == 0.0
    assert derive("mae", x=1.0, y=1.0).chain_rule == 0.0  # sign(0) = 0
    for d in (
        derive("relu", x=0.0),
        derive("leaky_relu", x=0.0),
        derive("elu", x=0.0),
        derive("mae", x=1, y=1),
    ):
        assert d.agrees


def test_huber_uses_the_branch_of_the_point():
    small, large = derive("huber", x=1.3, y=1.0, delta=0.5), derive("huber", x=2.5, y=1.0, delta=0.5)
    assert [s.op for s in small.steps] == ["sub", "pow", "mul"]
    assert small.chain_rule == pytest.approx(0.3, rel=1e-12)  # e
    assert [s.op for s in large.steps] == ["sub", "abs", "mul", "sub"]
    assert large.chain_rule == 0.5 and large.value == pytest.approx(0.5 * (1.5 - 0.25), rel=1e-15)


def _points(entry, rng):
    """Random points away from kinks: scalars in ±(0.2, 2), probabilities and one-hot targets."""
    if entry.kind in ("activation", "drill"):
        return {"x": float(rng.choice([-1, 1]) * rng.uniform(0.2, 2.0))}
    if entry.kind == "softmax":
        return {"x": rng.normal(size=4).tolist(), "k": int(rng.integers(4))}
    if entry.kind == "loss":
        probability = entry.variable.text == "ŷ" and entry.fused.startswith("binary")
        x = rng.uniform(0.05, 0.95) if probability else rng.normal() * 2
        y = (
            rng.uniform(0, 1)
            if entry.fused.startswith("binary")
            else x + rng.choice([-1, 1]) * rng.uniform(0.2, 2)
        )
        return {"x": float(x), "y": float(y)}
    scores = rng.normal(size=4)
    probabilities = np.exp(scores) / np.exp(scores).sum()
    label = int(rng.integers(4))
    x = scores if entry.fused.endswith("logits") else probabilities
    return {"x": x.tolist(), "y": label if entry.fused.startswith("sparse") else np.eye(4)[label].tolist()}


@pytest.mark.parametrize("name", list(DECOMPOSITIONS))
def test_every_decomposition_agrees_with_autograd_and_finite_differences(name):
    entry = DECOMPOSITIONS[name]
    rng = np.random.default_rng(list(DECOMPOSITIONS).index(name))
    for point in [{}] + [_points(entry, rng) for _ in range(4)]:
        d = derive(name, **point)
        assert d.agrees, str(d)
        assert d.chain_rule == pytest.approx(d.autograd_decomposed, rel=1e-12, abs=1e-15)
        assert d.chain_rule == pytest.approx(d.fused, rel=1e-12, abs=1e-15)
        assert d.value == pytest.approx(d.fused_value, rel=1e-12, abs=1e-15)
        # an oracle without autograd: central differences of the decomposition's value
        h = 1e-6
        k = d.point.get("k")
        shifted = []
        for sign in (1, -1):
            moved = dict(point) or {
                key: value for key, value in entry.defaults.items() if key in ("x", "y", "k")
            }
            x = np.array(moved.get("x", entry.defaults["x"]), dtype=float)
            if x.ndim:
                x[k] += sign * h
            else:
                x = x + sign * h
            moved["x"] = x.tolist() if x.ndim else float(x)
            shifted.append(derive(name, **moved).value)
        assert d.chain_rule == pytest.approx((shifted[0] - shifted[1]) / (2 * h), rel=1e-5, abs=1e-8)


def test_a_wrong_derivative_is_flagged():
    d = derive("tanh", x=0.7)
    wrong = dataclasses.replace(d, fused=d.fused + 1e-9)
    assert d.agrees and not wrong.agrees
    assert "DISAGREE" in str(wrong) and "agree (" in str(d)


def test_the_document_shows_steps_paths_and_the_check_in_every_format():
    d = derive("sigmoid", x=0.5)
    document = d.to_document()
    text = document.to_text()
    assert "df/dx = 0.235004" in text
    assert "∂f/∂r·∂r/∂q·∂q/∂p·∂p/∂x = -0.387456·1·0.606531·(-1) = 0.235004" in text
    assert "σ'(x) = σ(x)(1 - σ(x)) = 0.235004" in text
    markdown = document.to_markdown()
    assert r"$$ \frac{df}{dx} = 0.235004 $$" in markdown
    assert r"| $q$ | $e^{p}$ | exp | $0.606531$ | dy/dx = e^x = y |" in markdown
    latex = document.to_latex()
    assert r"\frac{\partial f}{\partial r} \cdot \frac{\partial r}{\partial q}" in latex
    html = document.to_html()
    assert "∂f/∂r" in html and "0.235004" in html
    assert document.to_text(precision=3).count("0.235") >= 3


def test_plain_text_lists_every_step():
    text = str(derive("chain_rule_drill", x=2.0))
    assert "m = x² = 4" in text and "z = m² = 16" in text and "y = z² = 256" in text
    assert "dy/dx = 2z · 2m · 2x = 1024" in text


def test_unknown_names_and_hyperparameters_are_refused():
    valid = "valid names: step, identity, sigmoid, tanh"
    with pytest.raises(ValueError, match=f"no decomposition 'mish'; {valid}"):
        derive("mish")
    with pytest.raises(TypeError, match="unexpected hyperparameter 'alpha'; valid: none"):
        derive("sigmoid", alpha=0.1)
    with pytest.raises(ValueError, match=r"label 3 is not in \[0, 3\)"):
        derive("sparse_cce", x=[0.6, 0.2, 0.2], y=3)
    with pytest.raises(ValueError, match=r"component k = 4 is not in \[0, 3\)"):
        derive("softmax", x=[1.0, 2.0, 3.0], k=4)
