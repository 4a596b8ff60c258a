"""The worked GCN layer and GAT attention coefficient on the 4-node graph of examples/explain: A, Ã, D̃, Â
and the outputs against NumPy computations written here, the printed gradient terms summing to autograd
(1e-9) for every weight, and `glassnet explain` on the example files in each format."""

from pathlib import Path

import numpy as np
import pytest

from glassnet.cli.main import main
from glassnet.explain.document import format_number
from glassnet.explain.gnn import worked_gat, worked_gcn

EXAMPLES = Path(__file__).resolve().parents[2] / "examples" / "explain"
X = np.array([[1.0, 0.0], [0.0, 1.0], [1.0, 1.0], [0.5, -1.0]])
EDGES = [[0, 1], [1, 2], [1, 3]]
W = np.array([[0.5, -0.2], [0.1, 0.4]])
T = np.array([[1.0, 0.0], [0.0, 1.0], [0.5, 0.5], [0.0, 0.0]])
A_SRC, A_DST = np.array([0.3, -0.7]), np.array([0.6, 0.2])


def adjacency():
    a = np.zeros((4, 4))
    for j, i in EDGES:
        a[i, j] = a[j, i] = 1.0
    return a


def reference_gcn():
    looped = adjacency() + np.eye(4)
    inv_sqrt = 1 / np.sqrt(looped.sum(axis=1))
    normalized = inv_sqrt[:, None] * looped * inv_sqrt[None, :]
    y = normalized @ X @ W
    g = 2 * (y - T) / y.size  # the mean squared error's gradient
    return normalized, y, (normalized @ X).T @ g


def test_gcn_normalized_adjacency_and_output_are_the_papers():
    normalized, y, _ = reference_gcn()
    solution = worked_gcn(X, EDGES, W, T)
    np.testing.assert_allclose(solution.normalized, normalized, rtol=1e-14)
    np.testing.assert_allclose(solution.output, y, rtol=1e-14)
    assert solution.normalized[0, 1] == pytest.approx(1 / np.sqrt(2 * 4))  # degrees 2 and 4, self-loops in
    text = solution.render("text", precision=6)
    assert "D̃ = diag(Σ_j Ã_ij) = [[2, 0, 0, 0]; [0, 4, 0, 0]; [0, 0, 2, 0]; [0, 0, 0, 2]]" in text
    assert "Â₁₂ = 1/√(2·4) = 0.353553" in text
    assert "y₂ = 0.353553·h₁ + 0.25·h₂ + 0.353553·h₃ + 0.353553·h₄" in text  # node 2 hears all four
    for i in range(4):
        assert "[" + ", ".join(format_number(v) for v in y[i]) + "]" in text


@pytest.mark.parametrize("row, column", [(0, 0), (0, 1), (1, 0), (1, 1)])
def test_gcn_weight_gradient_is_a_sum_over_the_nodes_equal_to_autograd(row, column):
    _, _, grad = reference_gcn()
    solution = worked_gcn(X, EDGES, W, T, grad_weight=(row, column))
    assert [node for node, *_ in solution.terms] == [0, 1, 2, 3]  # one term per node it reaches
    assert abs(solution.total - solution.autograd) < 1e-9
    assert solution.autograd == pytest.approx(grad[row, column], rel=1e-12)
    for _, inner, upstream, term in solution.terms:  # each term: (Σ_j Â_ij X_ja) · G_ib, as printed
        assert term == pytest.approx(sum(a * x for a, x in inner) * upstream, rel=1e-12, abs=1e-16)


def test_gcn_directed_edges_are_kept_one_way():
    solution = worked_gcn(X, [[0, 1]], W, T, directed=True)
    assert solution.normalized[1, 0] > 0 and solution.normalized[0, 1] == 0  # 1 hears 0, not back
    assert solution.discrepancy() < 1e-9


def reference_attention(node):
    h = X @ W
    neighbours = sorted({j for j, i in EDGES if i == node} | {i for j, i in EDGES if j == node} | {node})
    s = np.array([A_SRC @ h[k] + A_DST @ h[node] for k in neighbours])
    e = np.where(s > 0, s, 0.2 * s)
    alpha = np.exp(e) / np.exp(e).sum()
    return neighbours, alpha, alpha @ h[neighbours]


@pytest.mark.parametrize("node, neighbour", [(1, 2), (1, 1), (0, 1), (3, 1)])
def test_gat_coefficient_and_its_gradient_equal_autograd(node, neighbour):
    neighbours, alpha, y = reference_attention(node)
    solution = worked_gat(X, EDGES, W, A_SRC, A_DST, T, node=node, neighbour=neighbour)
    assert solution.alpha == pytest.approx(alpha[neighbours.index(neighbour)], rel=1e-12)
    assert abs(solution.grad_alpha - solution.autograd_alpha) < 1e-9
    assert abs(solution.grad_score - solution.autograd_score) < 1e-9
    assert solution.grad_score != 0
    text = solution.render("text", precision=6)
    assert "[" + ", ".join(format_number(v) for v in y) + "]" in text


def test_gat_leaky_relu_branch_is_written_with_its_slope():
    text = worked_gat(X, EDGES, W, A_SRC, A_DST, T, node=1, neighbour=2).render("text", precision=6)
    assert "s₂₂ = 0.3·0.1 + (-0.7)·0.4 + 0.6·0.1 + 0.2·0.4 = -0.11" in text  # a negative score
    assert "e₂₂ = LeakyReLU(s₂₂) = 0.2·(-0.11) = -0.022" in text
    assert "N(2) = {1, 2, 3, 4}" in text


def test_bad_input_is_named():
    with pytest.raises(ValueError, match="sends no edge to node 0"):
        worked_gat(X, EDGES, W, A_SRC, A_DST, T, node=0, neighbour=3)
    with pytest.raises(ValueError, match="x has 4 rows"):
        worked_gcn(X, [[0, 7]], W, T)
    with pytest.raises(ValueError, match="target must have the output's shape"):
        worked_gcn(X, EDGES, W, T[:3])


@pytest.mark.parametrize(
    "fmt, needles",
    [
        ("text", ["Â = D̃^-1/2 Ã D̃^-1/2", "∂L/∂W[2,1]: one term per node it reaches"]),
        (
            "md",
            [
                r"$$ \hat{A} = \tilde{D}^{-1/2} \tilde{A} \tilde{D}^{-1/2}",
                r"\frac{\partial L}{\partial W_{21}}",
            ],
        ),
        ("tex", [r"\[ \hat{A}_{12} = 1/\sqrt(2 \cdot 4)", r"\sum_i G_{i1}"]),
    ],
)
def test_explain_gcn_file_in_each_format(capsys, fmt, needles):
    assert main(["explain", str(EXAMPLES / "gcn_layer.toml"), "--format", fmt]) == 0
    out = capsys.readouterr().out
    assert all(needle in out for needle in needles)
    solution = worked_gcn(X, EDGES, W, T, grad_weight=(1, 0))
    assert format_number(solution.total) in out


@pytest.mark.parametrize(
    "fmt, needle",
    [("text", "∂L/∂e₂₃ = α_ij"), ("md", r"\mathrm{LeakyReLU}(s_{23})"), ("tex", r"\alpha_{23}")],
)
def test_explain_gat_file_in_each_format(capsys, fmt, needle):
    assert main(["explain", str(EXAMPLES / "gat_attention.toml"), "--format", fmt]) == 0
    out = capsys.readouterr().out
    solution = worked_gat(X, EDGES, W, A_SRC, A_DST, T, node=1, neighbour=2)
    assert needle in out and format_number(solution.grad_score) in out
