"""The worked attention step: 3 tokens, d_k = 2, given weights. Its softmax rows and outputs against a
NumPy computation written here, and the printed terms of each projection's gradient summing to autograd
(1e-9), with and without the causal mask."""

import numpy as np
import pytest

from glassnet.explain.attention import worked_attention
from glassnet.explain.document import format_number

X = np.array([[1.0, 0.0], [0.0, 1.0], [1.0, 1.0]])
W_Q = np.array([[0.5, -0.2], [0.1, 0.4]])
W_K = np.array([[0.3, 0.8], [-0.6, 0.2]])
W_V = np.array([[1.0, 0.5], [-0.5, 0.7]])
Y = np.array([[1.0, 0.0], [0.0, 1.0], [0.5, 0.5]])


def reference(causal):
    q, k, v = X @ W_Q, X @ W_K, X @ W_V
    s = q @ k.T / np.sqrt(2)
    if causal:
        s = np.where(np.tril(np.ones((3, 3), bool)), s, -np.inf)
    p = np.exp(s - s.max(axis=1, keepdims=True))
    p /= p.sum(axis=1, keepdims=True)
    return p, p @ v


@pytest.mark.parametrize("causal", [False, True], ids=["full", "causal"])
@pytest.mark.parametrize("weight", [("W_q", 0, 1), ("W_k", 1, 0), ("W_v", 1, 1)], ids=lambda w: w[0])
def test_printed_terms_sum_to_autograd(causal, weight):
    solution = worked_attention(X, W_Q, W_K, W_V, Y, weight=weight, causal=causal)
    assert len(solution.terms) == 9  # one per (query, key) pair
    assert solution.total == pytest.approx(sum(term for _, _, term in solution.terms), abs=1e-15)
    assert abs(solution.total - solution.autograd) < 1e-9
    for _, factors, term in solution.terms:  # each term is the product of its printed factors
        assert term == pytest.approx(np.prod([number for _, number in factors]), rel=1e-12, abs=1e-15)


@pytest.mark.parametrize("causal", [False, True], ids=["full", "causal"])
def test_softmax_rows_and_outputs_are_the_attention(causal):
    p, o = reference(causal)
    text = worked_attention(X, W_Q, W_K, W_V, Y, causal=causal).render("text", precision=6)
    for i in range(3):
        assert f"P{'₁₂₃'[i]} = softmax(S{'₁₂₃'[i]})" in text
        for row in (p[i], o[i]):
            assert "[" + ", ".join(format_number(value) for value in row) + "]" in text
    if causal:
        assert p[0, 1] == p[0, 2] == 0 and "causal" in text
    # the first row, by hand: scores (-0.01, -0.34, -0.35)/√2
    first = np.exp(np.array([-0.01, -0.34, -0.35]) / np.sqrt(2))
    np.testing.assert_allclose(reference(False)[0][0], first / first.sum(), rtol=1e-12)


def test_every_format_renders():
    solution = worked_attention(X, W_Q, W_K, W_V, Y)
    assert r"\frac{\partial L}{\partial W_q[1,1]}" in solution.render("latex")
    assert "∂L/∂W_q[1,1]: one term per (query i, key j)" in solution.render("markdown")
    assert "<table" in solution._repr_html_()


@pytest.mark.parametrize(
    "options, message",
    [
        ({"weight": ("W_o", 0, 0)}, "weight must name one of"),
        ({"weight": ("W_q", 2, 0)}, r"W_q\[2, 0\] is outside its shape \(2, 2\)"),
        ({"target": np.zeros((3, 3))}, r"target must have the output's shape \(3, 2\), got \(3, 3\)"),
        (
            {"w_k": np.zeros((3, 2))},
            r"W_q, W_k, W_v of one shape \(d, d_k\); got x \(3, 2\), W_q \(2, 2\), W_k \(3, 2\)",
        ),
    ],
)
def test_bad_input(options, message):
    arguments = {"x": X, "w_q": W_Q, "w_k": W_K, "w_v": W_V, "target": Y, **options}
    with pytest.raises(ValueError, match=message):
        worked_attention(**arguments)


def test_plot_attention_draws_one_panel_per_head(tmp_path):
    pytest.importorskip("matplotlib", reason="plots need matplotlib")
    from glassnet.explain.attention import plot_attention

    weights = np.tril(np.ones((3, 4, 4)))
    weights /= weights.sum(-1, keepdims=True)
    figure = plot_attention(weights, tokens="abcd", columns=2)
    visible = [axis for axis in figure.axes if axis.get_visible()]
    assert [axis.get_title() for axis in visible] == ["head 1", "head 2", "head 3"]
    assert [label.get_text() for label in visible[0].get_xticklabels()] == list("abcd")
    path = plot_attention(weights[0], path=tmp_path / "map.png")
    assert path.stat().st_size > 1000
    with pytest.raises(ValueError, match=r"weights \(heads, L, S\) or \(L, S\), got shape \(4,\)"):
        plot_attention(np.ones(4))
