"""One step of self-attention worked out with numbers, forward and backward (issue 16).

For tokens X (T, d) and projections W_q, W_k, W_v (d, d_k):

    Q = X W_q,  K = X W_k,  V = X W_v                   (T, d_k)
    A = Q Kᵀ,   S = A / √d_k                            the scores, scaled
    P_i = softmax(S_i) for each row i                   the attention weights (a future key masked with
                                                        ``causal``)
    O = P V                                             each token's output: a weighted sum of the values
    L = loss(O, Y)

Backward, with G = ∂L/∂O: ∂L/∂P = G Vᵀ; each row through the softmax Jacobian,
∂L/∂S_ij = P_ij (∂L/∂P_ij - Σ_k ∂L/∂P_ik P_ik); then one weight's gradient is a sum of one term per pair
(query i, key j), each a product of factors printed with its numbers:

    ∂L/∂W_q[a,b] = Σ_i Σ_j X_ia · K_jb/√d_k · ∂L/∂S_ij
    ∂L/∂W_k[a,b] = Σ_i Σ_j X_ja · Q_ib/√d_k · ∂L/∂S_ij
    ∂L/∂W_v[a,b] = Σ_i Σ_j X_ja · P_ij · G_ib

The forward values and the weights come from glassnet's own ops (the fused attention op); the sum of
the printed terms is checked against autograd through that op.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from glassnet.autograd.tensor import Tensor
from glassnet.explain.document import (
    ChecksAutograd,
    Document,
    Equation,
    Expr,
    ShowsDocument,
    Sym,
    Table,
    Text,
)
from glassnet.explain.plots import plot_attention  # noqa: F401 - drawn in plots.py, offered here too
from glassnet.explain.worked import gradient_by_backward
from glassnet.nn import losses as losses_module
from glassnet.ops.attention import scaled_dot_product_attention

__all__ = ["AttentionSolution", "worked_attention", "plot_attention"]

_SUB = str.maketrans("0123456789", "₀₁₂₃₄₅₆₇₈₉")
PROJECTIONS = ("W_q", "W_k", "W_v")


@dataclass
class AttentionSolution(ShowsDocument, ChecksAutograd):
    """The worked step (``document``), the terms of the chosen weight's gradient (``terms``, one per
    (query, key) pair), their sum and autograd's value."""

    document: Document
    loss: float
    weight: tuple
    terms: list
    total: float
    autograd: float


def _matrix(name: str, latex: str | None = None) -> Sym:
    return Sym(name, latex or name)


def _entry(name: str, *index) -> Sym:
    joined = "".join(str(i + 1) for i in index)
    return Sym(f"{name}{joined.translate(_SUB)}", f"{name}_{{{joined}}}")


def worked_attention(x, w_q, w_k, w_v, target, weight=("W_q", 0, 0), causal: bool = False, loss="mse",
                     precision: int = 6) -> AttentionSolution:  # fmt: skip
    """Write out one self-attention step on tokens ``x`` (T, d) with the projections ``w_q``, ``w_k``,
    ``w_v`` (d, d_k) and the loss of the output against ``target`` (T, d_k); the backward is written for
    ``weight`` = (one of "W_q", "W_k", "W_v", row, column), counted from 0.

    Example:
        >>> x = [[1.0, 0.0], [0.0, 1.0], [1.0, 1.0]]
        >>> w = [[0.5, -0.2], [0.1, 0.4]]
        >>> solution = worked_attention(x, w, w, w, target=[[0.0, 0.0]] * 3)
        >>> solution.discrepancy() < 1e-9
        True
    """
    x = np.asarray(x, dtype=np.float64)
    arrays = {name: np.asarray(w, dtype=np.float64) for name, w in zip(PROJECTIONS, (w_q, w_k, w_v))}
    target = np.asarray(target, dtype=np.float64)
    projection, row, column = weight
    if projection not in PROJECTIONS:
        raise ValueError(f"worked_attention: weight must name one of {PROJECTIONS}, got {projection!r}")
    shapes = {name: a.shape for name, a in arrays.items()}
    if x.ndim != 2 or any(s != (x.shape[1], arrays["W_q"].shape[1]) for s in shapes.values()):
        raise ValueError(
            f"worked_attention expects x (T, d) and W_q, W_k, W_v of one shape (d, d_k); got x {x.shape}, "
            + ", ".join(f"{name} {s}" for name, s in shapes.items())
        )
    tokens, d_k = x.shape[0], arrays["W_q"].shape[1]
    if target.shape != (tokens, d_k):
        raise ValueError(
            f"worked_attention: target must have the output's shape {(tokens, d_k)}, got {target.shape}"
        )
    if not (0 <= row < x.shape[1] and 0 <= column < d_k):
        raise ValueError(
            f"worked_attention: {projection}[{row}, {column}] is outside its shape {(x.shape[1], d_k)}"
        )
    loss_fn = losses_module.get(loss)

    # Forward and autograd through glassnet's ops.
    params = {name: Tensor(a.copy(), requires_grad=True) for name, a in arrays.items()}
    q, k, v = (Tensor(x) @ params[name] for name in PROJECTIONS)
    out, p = scaled_dot_product_attention(q, k, v, is_causal=causal, need_weights=True)
    value = loss_fn(out, target)
    value.backward()
    autograd = float(params[projection].grad[row, column])
    q, k, v, p, o = (t.data for t in (q, k, v, p, out))
    scale = 1 / math.sqrt(d_k)
    scores = q @ k.T
    masked = (
        np.tril(np.ones((tokens, tokens), dtype=bool)) if causal else np.ones((tokens, tokens), dtype=bool)
    )

    # Backward, written out.
    g = gradient_by_backward(lambda prediction: loss_fn(prediction, target), o).reshape(o.shape)
    dp = g @ v.T
    ds = p * (dp - (dp * p).sum(axis=1, keepdims=True))
    root = (Sym("1/√d_k", r"\frac{1}{\sqrt{d_k}}"), scale)
    terms = []
    for i in range(tokens):
        for j in range(tokens):
            if projection == "W_q":
                factors = [(_entry("X", i, row), x[i, row]), (_entry("K", j, column), k[j, column]), root]
            elif projection == "W_k":
                factors = [(_entry("X", j, row), x[j, row]), (_entry("Q", i, column), q[i, column]), root]
            else:
                factors = [(_entry("X", j, row), x[j, row]), (_entry("P", i, j), p[i, j])]
            factors.append(
                (_entry("∂L/∂S", i, j), ds[i, j])
                if projection != "W_v"
                else (_entry("G", i, column), g[i, column])
            )
            terms.append(((i, j), factors, float(np.prod([number for _, number in factors]))))
    total = float(sum(term for _, _, term in terms))

    document = Document(f"One step of self-attention: {tokens} tokens, d_k = {d_k}", precision=precision)
    _write_forward(
        document, x, arrays, q, k, v, scores, scale, p, o, masked, target, float(value.item()), loss
    )
    _write_backward(document, g, dp, ds, p, projection, row, column, terms, total, autograd)
    return AttentionSolution(document, float(value.item()), (projection, row, column), terms, total, autograd)


def _write_forward(document, x, arrays, q, k, v, scores, scale, p, o, masked, target, value, loss) -> None:
    section = document.section("The tokens and the weights")
    section.add(
        Table(
            ["matrix", "value"],
            [["X", x], *[[name, a] for name, a in arrays.items()], ["Y (target)", target]],
        )
    )
    section = document.section("Queries, keys and values")
    for name, product, matrix in (("Q", "X W_q", q), ("K", "X W_k", k), ("V", "X W_v", v)):
        section.add(Equation(_matrix(name), Sym(product, product.replace("W_", "W_")), matrix))
    section = document.section("Scores, scaled")
    section.add(Equation(_matrix("A"), Sym("Q Kᵀ", r"Q K^\top"), scores))
    section.add(
        Equation(
            _matrix("S"),
            Sym("A/√d_k", r"\frac{A}{\sqrt{d_k}}"),
            Expr([_matrix("A"), "*", scale]),
            scores * scale,
        )
    )
    if not masked.all():
        section.add(Text("causal: query i sees keys 1..i; the others get -∞ before the softmax (weight 0)."))
    section = document.section("Softmax, row by row")
    for i in range(len(p)):
        exps = np.where(masked[i], np.exp(scores[i] * scale - (scores[i] * scale)[masked[i]].max()), 0.0)
        section.add(
            Equation(
                Sym(f"P{str(i + 1).translate(_SUB)}", f"P_{{{i + 1}}}"),
                Sym(f"softmax(S{str(i + 1).translate(_SUB)})", rf"\mathrm{{softmax}}(S_{{{i + 1}}})"),
                Expr([*_row(exps), "/", float(exps.sum())]),
                p[i],
            )
        )
    section.add(Text("(each row: e^(S_ij - max_j S_ij) over the row's sum; every row sums to 1)"))
    section = document.section("The weighted sum of the values")
    for i in range(len(p)):
        items = []
        for j in range(len(p)):
            items += (["+"] if j else []) + [float(p[i, j]), "*", _entry("V", j)]
        section.add(Equation(Sym(f"O{str(i + 1).translate(_SUB)}", f"O_{{{i + 1}}}"), Expr(items), o[i]))
    section.add(Equation(Sym("L", "L"), Sym(f"{loss}(O, Y)", rf"\mathrm{{{loss}}}(O, Y)"), value))


def _row(values) -> list:
    items = ["("]
    for j, number in enumerate(values):
        items += ([","] if j else []) + [float(number)]
    return items + [")"]


def _write_backward(document, g, dp, ds, p, projection, row, column, terms, total, autograd) -> None:
    section = document.section("Backward through the softmax")
    section.add(Equation(Sym("G", "G"), Sym("∂L/∂O", r"\frac{\partial L}{\partial O}"), g))
    section.add(Equation(Sym("∂L/∂P", r"\frac{\partial L}{\partial P}"), Sym("G Vᵀ", r"G V^\top"), dp))
    section.add(
        Equation(
            Sym("∂L/∂S", r"\frac{\partial L}{\partial S}"),
            Sym(
                "P ⊙ (∂L/∂P - Σ_k ∂L/∂P_ik P_ik)",
                r"P \odot (\frac{\partial L}{\partial P} - \sum_k "
                r"\frac{\partial L}{\partial P_{ik}} P_{ik})",
            ),  # fmt: skip
            ds,
        )
    )
    section.add(Text("the softmax's Jacobian diag(P_i) - P_i P_iᵀ applied to each row"))
    name = f"{projection}[{row + 1},{column + 1}]"
    section = document.section(f"∂L/∂{name}: one term per (query i, key j)")
    rows = []
    for (i, j), factors, term in terms:
        product = " · ".join(symbol.text for symbol, _ in factors)
        rows.append([f"({i + 1}, {j + 1})", product, Expr(_product([n for _, n in factors])), term])
    section.add(Table(["(i, j)", "factors", "numbers", "term"], rows))
    lhs = Sym(f"∂L/∂{name}", rf"\frac{{\partial L}}{{\partial {projection}[{row + 1},{column + 1}]}}")
    section.add(Equation(lhs, Sym("Σ of the terms", r"\sum \text{terms}"), total))
    section.add(Table(["", "value"], [["Σ of the terms", total], ["autograd", autograd],
                                      ["difference", abs(total - autograd)]]))  # fmt: skip


def _product(numbers) -> list:
    items = []
    for k, number in enumerate(numbers):
        items += (["*"] if k else []) + [float(number)]
    return items
