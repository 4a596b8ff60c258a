"""Backpropagation through time, worked out as the notes do (CURRICULUM section 10, seed 001).

A SimpleRNN reads x_1, ..., x_T: z_t = x_t W_i + o_{t-1} W_h + b, o_t = f(z_t) (o_0 = 0), and a dense head
gives ŷ = g(o_T W_o + b_o). The same W_h and W_i act at every step, so their gradients are sums over the
time steps of chain-rule products:

    ∂L/∂W_h = Σ_t o_{t-1}ᵀ δ_t,   ∂L/∂W_i = Σ_t x_tᵀ δ_t,   δ_t = ∂L/∂z_t,
    δ_T = (∂L/∂ŷ · ∂ŷ/∂o_T) ⊙ f'(z_T),   δ_{t-1} = (δ_t W_hᵀ) ⊙ f'(z_{t-1}).

With one unit and one input feature every term is a product of numbers: the term of step t is
∂L/∂ŷ · ∂ŷ/∂o_T · Π_{j=t+1..T} (f'(z_j) w_h) · f'(z_t) o_{t-1}, and the factors f'(z_j) w_h, smaller than
1 for tanh and |w_h| < 1, are why early steps contribute little (the vanishing gradient over time).
Every value comes from glassnet's ops (local derivatives by backward through the layer's own activation
and the loss), and the sums are checked against autograd through the layer's fused BPTT op.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import numpy as np

from glassnet.autograd.tensor import Tensor
from glassnet.explain.document import Document, Equation, Expr, ShowsDocument, Sym, Table, Text
from glassnet.explain.worked import gradient_by_backward, jacobian_by_backward
from glassnet.nn import losses as losses_module
from glassnet.nn.containers import Sequential
from glassnet.ops.linalg import linear
from glassnet.ops.recurrent import activation_fn

__all__ = ["BPTTSolution", "worked_bptt"]


@dataclass
class BPTTSolution(ShowsDocument):
    """The worked solution (``document``), the per-step terms of ∂L/∂W_h and ∂L/∂W_i, their sums and
    autograd's gradients through the fused op (``autograd``), by name ("W_h", "W_i", "b", "W_o", "b_o")."""

    document: Document
    loss: float
    terms: dict = field(default_factory=dict)
    sums: dict = field(default_factory=dict)
    autograd: dict = field(default_factory=dict)

    def max_discrepancy(self) -> float:
        return max(float(np.max(np.abs(self.sums[k] - self.autograd[k]))) for k in self.sums)


def _t(name: str, t) -> Sym:
    sub = str(t).translate(str.maketrans("0123456789-", "₀₁₂₃₄₅₆₇₈₉₋"))
    return Sym(f"{name}{sub}", f"{name}_{{{t}}}")


def _partial(top: str, top_latex: str, bottom: str, bottom_latex: str) -> Sym:
    return Sym(
        _subscripts(f"∂{top}/∂{bottom}"), r"\frac{\partial " + top_latex + r"}{\partial " + bottom_latex + "}"
    )


def _subscripts(text: str) -> str:
    """o3 -> o₃, z12 -> z₁₂: the digits after a letter as subscripts, in the text form of a symbol."""
    return re.sub(r"(?<=[a-zA-Zδ])(\d+)", lambda m: m.group(1).translate(_SUB), text)


_SUB = str.maketrans("0123456789", "₀₁₂₃₄₅₆₇₈₉")


def worked_bptt(rnn, head, x, y, loss="mse", precision: int = 6) -> BPTTSolution:
    """Write out backpropagation through time for ``rnn`` (a built SimpleRNN, keras convention, no mask)
    followed by ``head`` (a built Dense), on one sequence ``x`` of shape (T, features) and target ``y``.

    The model is not changed. Example: see ``tests/explain/test_bptt.py`` and ``glassnet explain`` files
    with ``kind = "bptt"``.
    """
    if type(rnn).__name__ != "SimpleRNN" or rnn.convention != "keras" or rnn.reverse:
        raise TypeError("worked BPTT is written for a forward SimpleRNN with convention='keras'")
    loss_fn = losses_module.get(loss)
    dtype = rnn.kernel.dtype
    x = np.asarray(x, dtype=dtype).reshape(-1, rnn.kernel.shape[0])
    steps, units = x.shape[0], rnn.units
    w_i, w_h = rnn.kernel.data, rnn.recurrent_kernel.data
    bias = rnn.bias.data if rnn.bias is not None else np.zeros(units, dtype=dtype)
    f = activation_fn(rnn.activation)
    target = np.asarray(y, dtype=dtype).reshape(1, -1)

    # Forward through time, step by step, with the layer's own ops.
    o, zs, outs = Tensor(np.zeros((1, units), dtype=dtype)), [], [np.zeros(units, dtype=dtype)]
    for t in range(steps):
        z = linear(Tensor(x[t : t + 1]), rnn.kernel, None) + linear(o, rnn.recurrent_kernel, rnn.bias)
        o = f(z)
        zs.append(z.data.reshape(-1).copy())
        outs.append(o.data.reshape(-1).copy())
    prediction = head(Tensor(outs[-1].reshape(1, -1)))
    value = loss_fn(prediction, target).item()

    # Local derivatives, by backward through glassnet's ops.
    dloss = gradient_by_backward(lambda p: loss_fn(p, target), prediction.data)
    head_pre = linear(Tensor(outs[-1].reshape(1, -1)), head.weight, head.bias).data
    dhead = jacobian_by_backward(head.activation, head_pre)  # dŷ/d(pre-activation of the head)
    d_o_last = (dloss @ dhead) @ head.weight.data.T  # ∂L/∂o_T
    fprime = [np.diag(jacobian_by_backward(f, z.reshape(1, -1))) for z in zs]
    deltas = [None] * steps
    deltas[-1] = d_o_last * fprime[-1]
    for t in range(steps - 2, -1, -1):
        deltas[t] = (deltas[t + 1] @ w_h.T) * fprime[t]
    terms = {
        "W_h": [np.outer(outs[t], deltas[t]) for t in range(steps)],
        "W_i": [np.outer(x[t], deltas[t]) for t in range(steps)],
        "b": [deltas[t].copy() for t in range(steps)],
    }
    sums = {name: np.sum(values, axis=0) for name, values in terms.items()}
    sums["W_o"] = np.outer(outs[-1], dloss @ dhead)
    sums["b_o"] = (dloss @ dhead).reshape(-1)

    # Autograd through the layer's fused BPTT op, on a copy of the model.
    autograd = _autograd(rnn, head, x, target, loss_fn)

    document = Document(f"Backpropagation through time over {steps} steps", precision=precision)
    scalar = units == 1 and x.shape[1] == 1
    _write_setup(document, rnn, head, x, target, w_i, w_h, bias)
    _write_forward(document, x, zs, outs, w_i, w_h, bias, scalar, rnn.activation)
    section = document.section("Output and loss")
    section.add(Equation(Sym("ŷ", r"\hat y"), prediction.data.reshape(-1)))
    section.add(Equation(Sym("L", "L"), value))
    _write_backward(document, dloss, dhead, d_o_last, fprime, deltas, w_h, outs, x, terms, sums, scalar)
    check = document.section("Check")
    rows = [
        [name, sums[name], autograd[name], float(np.max(np.abs(sums[name] - autograd[name])))]
        for name in ("W_h", "W_i", "b")
    ]
    check.add(Text("The sums over time against autograd through the fused BPTT op:"))
    check.add(Table(["weight", "Σ over time steps", "autograd", "largest difference"], rows))
    return BPTTSolution(document, value, terms, sums, autograd)


def _autograd(rnn, head, x, target, loss_fn) -> dict:
    model = Sequential(
        [type(rnn).from_config(rnn.get_config()), type(head).from_config(head.get_config())],
        input_shape=x.shape,
        dtype=rnn.kernel.dtype.name,
    )
    model.load_state_dict(
        {
            **{f"0.{k}": v for k, v in rnn.state_dict().items()},
            **{f"1.{k}": v for k, v in head.state_dict().items()},
        }
    )
    loss_fn(model(Tensor(x[None])), target).backward()
    grads = {
        "W_h": model[0].recurrent_kernel.grad,
        "W_i": model[0].kernel.grad,
        "W_o": model[1].weight.grad,
        "b_o": model[1].bias.grad,
    }
    grads["b"] = model[0].bias.grad if model[0].bias is not None else np.zeros(rnn.units)
    return grads


def _write_setup(document, rnn, head, x, target, w_i, w_h, bias) -> None:
    section = document.section("The network")
    section.add(
        Text(
            f"SimpleRNN of {rnn.units} unit(s), activation {rnn.activation}: "
            "o_t = f(x_t W_i + o_(t-1) W_h + b), o_0 = 0; then ŷ = g(o_T W_o + b_o)."
        )
    )
    section.add(
        Table(
            ["weight", "value"],
            [
                ["W_i", w_i],
                ["W_h", w_h],
                ["b", bias],
                ["W_o", head.weight.data],
                ["b_o", head.bias.data if head.bias is not None else "none"],
            ],
        )
    )
    section.add(Text("Input sequence x_1..x_T: ", x.reshape(len(x), -1), "; target y = ", target.reshape(-1)))


def _write_forward(document, x, zs, outs, w_i, w_h, bias, scalar, activation) -> None:
    section = document.section("Forward through time")
    for t, (z, out) in enumerate(zip(zs, outs[1:]), 1):
        if scalar:
            section.add(
                Equation(
                    _t("z", t),
                    Expr(
                        [
                            _t("x", t),
                            "*",
                            Sym("w_i", "w_i"),
                            "+",
                            _t("o", t - 1),
                            "*",
                            Sym("w_h", "w_h"),
                            "+",
                            Sym("b", "b"),
                        ]
                    ),
                    Expr(
                        [
                            float(x[t - 1, 0]),
                            "*",
                            float(w_i[0, 0]),
                            "+",
                            float(outs[t - 1][0]),
                            "*",
                            float(w_h[0, 0]),
                            "+",
                            float(bias[0]),
                        ]
                    ),
                    float(z[0]),
                )
            )
            section.add(
                Equation(
                    _t("o", t),
                    Sym(
                        f"{activation}(z{t})".translate(str.maketrans("0123456789", "₀₁₂₃₄₅₆₇₈₉")),
                        rf"\{activation}(z_{{{t}}})"
                        if activation == "tanh"
                        else rf"\mathrm{{{activation}}}(z_{{{t}}})",
                    ),
                    float(out[0]),
                )
            )
        else:
            section.add(
                Equation(
                    _t("z", t),
                    Sym(
                        _subscripts(f"x{t} W_i + o{t - 1} W_h + b"), f"x_{{{t}}} W_i + o_{{{t - 1}}} W_h + b"
                    ),
                    z,
                )
            )
            section.add(Equation(_t("o", t), Sym(_subscripts(f"f(z{t})"), f"f(z_{{{t}}})"), out))


def _write_backward(
    document, dloss, dhead, d_o_last, fprime, deltas, w_h, outs, x, terms, sums, scalar
) -> None:
    steps = len(deltas)
    section = document.section("Backward through time")
    section.add(Equation(_partial("L", "L", "ŷ", r"\hat y"), dloss))
    section.add(
        Equation(
            _partial("L", "L", f"o{steps}", f"o_{{{steps}}}"),
            Sym("(∂L/∂ŷ · g') W_oᵀ", r"(\frac{\partial L}{\partial \hat y} g') W_o^\top"),
            d_o_last,
        )
    )
    for t in range(steps, 0, -1):
        formula = (
            Sym(
                _subscripts(f"∂L/∂o{t} ⊙ f'(z{t})"),
                rf"\frac{{\partial L}}{{\partial o_{{{t}}}}} \odot f'(z_{{{t}}})",
            )
            if t == steps
            else Sym(
                _subscripts(f"(δ{t + 1} W_hᵀ) ⊙ f'(z{t})"),
                rf"(\delta_{{{t + 1}}} W_h^\top) \odot f'(z_{{{t}}})",
            )
        )
        section.add(Equation(_t("δ", t), formula, deltas[t - 1]))
        section.add(Equation(Sym(_subscripts(f"f'(z{t})"), f"f'(z_{{{t}}})"), fprime[t - 1]))
    sums_section = document.section("∂L/∂W_h and ∂L/∂W_i as sums over the time steps")
    if scalar:
        for name, inputs in (("W_h", [o[0] for o in outs[:-1]]), ("W_i", [v[0] for v in x])):
            symbolic, numbers = [], []
            for t in range(1, steps + 1):
                if t > 1:
                    symbolic.append("+")
                    numbers.append("+")
                factors = [
                    (
                        Sym(
                            _subscripts("∂L/∂o" + str(steps)),
                            rf"\frac{{\partial L}}{{\partial o_{{{steps}}}}}",
                        ),
                        float(d_o_last[0]),
                    )
                ]
                for j in range(steps, t, -1):
                    factors.append(
                        (
                            Sym(
                                _subscripts(f"∂o{j}/∂o{j - 1}"),
                                rf"\frac{{\partial o_{{{j}}}}}{{\partial o_{{{j - 1}}}}}",
                            ),
                            float(fprime[j - 1][0] * w_h[0, 0]),
                        )
                    )
                local = "w_h" if name == "W_h" else "w_i"
                factors.append(
                    (
                        Sym(
                            _subscripts(f"∂o{t}/∂{local}"),
                            rf"\frac{{\partial o_{{{t}}}}}{{\partial {local}}}",
                        ),
                        float(fprime[t - 1][0] * inputs[t - 1]),
                    )
                )
                for k, (symbol, number) in enumerate(factors):
                    if k:
                        symbolic.append("*")
                        numbers.append("*")
                    symbolic.append(symbol)
                    numbers.append(number)
            lhs = Sym(
                f"∂L/∂{'w_h' if name == 'W_h' else 'w_i'}",
                rf"\frac{{\partial L}}{{\partial {'w_h' if name == 'W_h' else 'w_i'}}}",
            )
            sums_section.add(Equation(lhs, Expr(symbolic), Expr(numbers), float(sums[name].reshape(-1)[0])))
        sums_section.add(
            Text("with ∂o_j/∂o_(j-1) = f'(z_j) w_h and ∂o_t/∂w_h = f'(z_t) o_(t-1), ∂o_t/∂w_i = f'(z_t) x_t.")
        )
    rows = [[t, terms["W_h"][t - 1], terms["W_i"][t - 1]] for t in range(1, steps + 1)]
    sums_section.add(Text("Term of each step: o_(t-1)ᵀ δ_t for W_h and x_tᵀ δ_t for W_i."))
    sums_section.add(Table(["t", "term of ∂L/∂W_h", "term of ∂L/∂W_i"], rows))
    sums_section.add(
        Equation(
            Sym("∂L/∂W_h", r"\frac{\partial L}{\partial W_h}"),
            Sym("Σ_t o_(t-1)ᵀ δ_t", r"\sum_t o_{t-1}^\top \delta_t"),
            sums["W_h"],
        )
    )
    sums_section.add(
        Equation(
            Sym("∂L/∂W_i", r"\frac{\partial L}{\partial W_i}"),
            Sym("Σ_t x_tᵀ δ_t", r"\sum_t x_t^\top \delta_t"),
            sums["W_i"],
        )
    )
