"""The GAN objective worked with numbers on the 1-D toy: data x ~ N(μ, σ), a generator g(z) = a z + b and a
logistic discriminator D(x) = σ(w x + c), whose logit is l = w x + c.

One step of ``models.GAN.train_step`` (one discriminator step, then one generator step on the same fakes):

1. the fakes gᵢ = a zᵢ + b; the logits lᵢ = w xᵢ + c of the real points and l̃ᵢ = w gᵢ + c of the fakes;
2. L_D, term by term (``glassnet.nn.gan_losses``: each term a scaled mean of a loss glassnet has), each
   element's loss with its formula and numbers;
3. ∂L_D/∂lᵢ and ∂L_D/∂l̃ᵢ from the loss op's derivative, then by the chain rule
   ∂L_D/∂w = Σᵢ ∂L_D/∂lᵢ · xᵢ + Σᵢ ∂L_D/∂l̃ᵢ · gᵢ and ∂L_D/∂c = Σᵢ ∂L_D/∂lᵢ · 1 + Σᵢ ∂L_D/∂l̃ᵢ · 1;
   the update w' = w − η_D ∂L_D/∂w (plain gradient descent);
4. with the new w', c': l̃'ᵢ = w' gᵢ + c', L_G, and ∂L_G/∂a = Σᵢ ∂L_G/∂l̃'ᵢ · w' · zᵢ,
   ∂L_G/∂b = Σᵢ ∂L_G/∂l̃'ᵢ · w' · 1; the update a' = a − η_G ∂L_G/∂a.

Every number comes from glassnet's ops; the printed sums of products are checked against autograd's
gradients from the same step taken with glassnet's layers (``GANStepSolution.max_discrepancy``).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from glassnet.autograd.tensor import Tensor
from glassnet.backend import get_default_dtype, set_default_dtype
from glassnet.explain import notation
from glassnet.explain.document import Document, Equation, Expr, ShowsDocument, Sym, Table, Text
from glassnet.nn.gan_losses import GAN_LOSS_TERMS, GAN_LOSSES, gan_loss
from glassnet.nn.layers.dense import Dense
from glassnet.optim.sgd import SGD

__all__ = ["GANStepSolution", "worked_gan_step", "toy_networks"]

_SUB = str.maketrans("0123456789", "₀₁₂₃₄₅₆₇₈₉")
_NETWORK = {"discriminator": ("D", "discriminator"), "generator": ("G", "generator")}


@dataclass
class GANStepSolution(ShowsDocument):
    """The worked step (``document``), the losses, the gradients summed from the printed chain-rule products
    (``path_gradients``) and autograd's (``autograd_gradients``), by parameter ("w", "c", "a", "b"), and the
    parameters before and after the step."""

    document: Document
    losses: dict = field(default_factory=dict)
    path_gradients: dict = field(default_factory=dict)
    autograd_gradients: dict = field(default_factory=dict)
    before: dict = field(default_factory=dict)
    after: dict = field(default_factory=dict)

    def max_discrepancy(self) -> float:
        """The largest |printed sum − autograd| over the four parameters (0 up to rounding)."""
        return max(abs(self.path_gradients[k] - self.autograd_gradients[k]) for k in self.path_gradients)


def toy_networks(a: float, b: float, w: float, c: float, dtype: str = "float64"):
    """The toy's generator g(z) = a z + b and discriminator logit l = w x + c as two built ``Dense(1)``."""
    generator, discriminator = (
        Dense(1, dtype=dtype, name="generator"),
        Dense(1, dtype=dtype, name="discriminator"),
    )
    for layer, (weight, bias) in ((generator, (a, b)), (discriminator, (w, c))):
        layer.build((None, 1))
        layer.weight.data[...] = weight
        layer.bias.data[...] = bias
    return generator, discriminator


def _s(name: str, i: int, latex: str | None = None) -> Sym:
    return Sym(f"{name}{str(i).translate(_SUB)}", f"{latex or name}_{{{i}}}")


def _d(top: Sym, bottom: Sym) -> Sym:
    return Sym(f"∂{top.text}/∂{bottom.text}", rf"\frac{{\partial {top.latex}}}{{\partial {bottom.latex}}}")


_L = {"discriminator": Sym("L_D", "L_D"), "generator": Sym("L_G", "L_G")}
_LOGIT = {"real": ("l", "l"), "fake": ("l̃", r"\tilde{l}"), "fake_after": ("l̃'", r"\tilde{l}'")}


def worked_gan_step(
    a: float,
    b: float,
    w: float,
    c: float,
    x,
    z,
    loss: str = "non_saturating",
    lr_d: float = 0.1,
    lr_g: float = 0.1,
    label_smoothing: float = 0.0,
    precision: int = 6,
    title=None,
) -> GANStepSolution:
    """One discriminator step and one generator step of the 1-D toy GAN, written out with numbers.

    Args:
        a, b: the generator g(z) = a z + b.
        w, c: the discriminator D(x) = σ(w x + c) (for "least_squares", D's output is l = w x + c itself).
        x: the batch of real points (m numbers, e.g. drawn from N(μ, σ)).
        z: the batch of noise (m numbers from N(0, 1)).
        loss: a GAN loss of ``glassnet.nn.gan_losses`` ("non_saturating", "minimax", "least_squares").
        lr_d, lr_g: the learning rates of the two gradient-descent steps.
        label_smoothing: one-sided: the real points' target is 1 − label_smoothing.

    Example:
        >>> step = worked_gan_step(1.0, 0.0, 0.5, 0.0, x=[2.0, 3.0], z=[0.5, -1.0])
        >>> round(step.losses["discriminator"], 6), step.max_discrepancy() < 1e-12
        (0.907346, True)
    """
    if loss not in GAN_LOSSES:
        raise ValueError(f"worked_gan_step: loss must be one of {GAN_LOSSES}, got {loss!r}")
    x, z = (np.asarray(v, dtype=np.float64).reshape(-1) for v in (x, z))
    if x.size != z.size or x.size == 0:
        raise ValueError(
            f"worked_gan_step: x and z must hold the same number m >= 1 of values, got {x.size} and {z.size}"
        )
    previous = get_default_dtype()
    set_default_dtype("float64")
    try:
        autograd, before, after, losses = _autograd_step(a, b, w, c, x, z, loss, lr_d, lr_g, label_smoothing)
    finally:
        set_default_dtype(previous)
    g = a * z + b
    document = Document(
        title or f"One step of a 1-D GAN ({loss.replace('_', '-')} loss)", precision=precision
    )
    solution = GANStepSolution(document, losses, {}, autograd, before, after)
    _write_setup(document, a, b, w, c, x, z, loss, lr_d, lr_g, label_smoothing)
    section = document.section("Discriminator step: forward")
    for i in range(x.size):
        section.add(
            Equation(
                _s("g", i + 1),
                Expr([Sym("a", "a"), "*", _s("z", i + 1), "+", Sym("b", "b")]),
                Expr([a, "*", float(z[i]), "+", b]),
                float(g[i]),
            )
        )
    sigmoid = loss != "least_squares"  # the least-squares discriminator's output is l itself
    logits = {
        "real": _logits(section, "real", w, c, x, Sym("x", "x"), probability=sigmoid),
        "fake": _logits(section, "fake", w, c, g, probability=sigmoid),
    }
    d_local = _write_loss(document, "discriminator", loss, logits, label_smoothing, losses["discriminator"])
    section = document.section("Discriminator step: chain rule and update")
    w_sum = _chain(
        section,
        "discriminator",
        Sym("w", "w"),
        [("real", d_local["real"], x, "x"), ("fake", d_local["fake"], g, "g")],
    )
    c_sum = _chain(
        section,
        "discriminator",
        Sym("c", "c"),
        [("real", d_local["real"], None, None), ("fake", d_local["fake"], None, None)],
    )
    section.add(Text("with ∂l/∂w = x, ∂l̃/∂w = g and ∂l/∂c = ∂l̃/∂c = 1."))
    w_new, c_new = _update(section, "D", [("w", w, w_sum), ("c", c, c_sum)], lr_d)

    section = document.section("Generator step: forward with the updated discriminator")
    after_logits = {
        "fake": _logits(section, "fake_after", w_new, c_new, g, Sym("g", "g"), ("w'", "c'"), sigmoid)
    }
    g_local = _write_loss(document, "generator", loss, after_logits, label_smoothing, losses["generator"])
    section = document.section("Generator step: chain rule and update")
    a_sum = _chain(section, "generator", Sym("a", "a"), [("fake_after", g_local["fake"], z, "z")], w_new)
    b_sum = _chain(section, "generator", Sym("b", "b"), [("fake_after", g_local["fake"], None, None)], w_new)
    section.add(Text("with ∂l̃'/∂g = w' (the updated discriminator's weight), ∂g/∂a = z and ∂g/∂b = 1."))
    _update(section, "G", [("a", a, a_sum), ("b", b, b_sum)], lr_g)
    solution.path_gradients = {"w": w_sum, "c": c_sum, "a": a_sum, "b": b_sum}
    check = document.section("Check")
    check.add(
        Text(
            "The sums of the products above against autograd's gradients (glassnet's layers, the same step):"
        )
    )
    check.add(
        Table(
            ["parameter", "sum of the products", "autograd", "difference"],
            [[k, v, autograd[k], abs(v - autograd[k])] for k, v in solution.path_gradients.items()],
        )
    )
    return solution


def _autograd_step(a, b, w, c, x, z, loss, lr_d, lr_g, label_smoothing):
    """The step as ``models.GAN.train_step`` takes it, with glassnet's layers, loss table and SGD."""
    generator, discriminator = toy_networks(a, b, w, c)
    g_opt, d_opt = SGD(lr=lr_g).bind(generator.parameters()), SGD(lr=lr_d).bind(discriminator.parameters())
    fake = generator(Tensor(z.reshape(-1, 1)))
    logits = {"real": discriminator(Tensor(x.reshape(-1, 1))), "fake": discriminator(fake.detach())}
    d_loss = gan_loss(loss, "discriminator", logits, label_smoothing)
    d_opt.zero_grad()
    d_loss.backward()
    grads = {"w": discriminator.weight.grad.item(), "c": discriminator.bias.grad.item()}
    d_opt.step()
    g_loss = gan_loss(loss, "generator", {"fake": discriminator(fake)})
    g_opt.zero_grad()
    g_loss.backward()
    grads.update(a=generator.weight.grad.item(), b=generator.bias.grad.item())
    g_opt.step()
    after = {
        "w": discriminator.weight.item(),
        "c": discriminator.bias.item(),
        "a": generator.weight.item(),
        "b": generator.bias.item(),
    }
    losses = {"discriminator": d_loss.item(), "generator": g_loss.item()}
    return grads, {"a": a, "b": b, "w": w, "c": c}, after, losses


def _write_setup(document, a, b, w, c, x, z, loss, lr_d, lr_g, label_smoothing) -> None:
    section = document.section("The game")
    section.add(
        Text(
            "Generator g(z) = a z + b, discriminator logit l = w x + c, D(x) = σ(l); "
            f"{x.size} real points x and {z.size} noise values z; loss {loss!r}."
        )
    )
    section.add(
        Table(
            ["a", "b", "w", "c", "η_D", "η_G", "label smoothing"], [[a, b, w, c, lr_d, lr_g, label_smoothing]]
        )
    )
    section.add(Text("x = ", x, ", z = ", z))
    for network, (letter, _) in _NETWORK.items():
        terms = []
        for term in GAN_LOSS_TERMS[loss][network]:
            side = "l" if term.side == "real" else "l̃"
            target = "1 − smoothing" if term.target is None else f"{term.target:g}"
            name = "BCE" if term.loss == "bce" else "(· − t)²"
            terms.append(f"{term.scale:g} · mean {name}({side}, {target})")
        section.add(Text(f"L_{letter} = " + " + ".join(terms)))


def _logits(section, side, w, c, inputs, input_symbol=None, names=("w", "c"), probability=True) -> np.ndarray:
    """lᵢ = w·inputᵢ + c and D = σ(lᵢ), each with its numbers."""
    name, latex = _LOGIT[side]
    input_symbol = input_symbol or Sym("g", "g")
    values = w * inputs + c
    for i, (value, inp) in enumerate(zip(values, inputs)):
        section.add(
            Equation(
                _s(name, i + 1, latex),
                Expr(
                    [
                        Sym(names[0], names[0]),
                        "*",
                        _s(input_symbol.text, i + 1, input_symbol.latex),
                        "+",
                        Sym(names[1], names[1]),
                    ]
                ),
                Expr([w, "*", float(inp), "+", c]),
                float(value),
            )
        )
        if probability:
            section.add(
                Equation(
                    Sym(f"σ({name}{str(i + 1).translate(_SUB)})", rf"\sigma({latex}_{{{i + 1}}})"),
                    1.0 / (1.0 + math.exp(-value)),
                )
            )
    return values


def _write_loss(document, network: str, loss: str, logits: dict, smoothing: float, total: float) -> dict:
    """Each term's element losses and the total; returns ∂L/∂(logit) per side (all terms, scaled), each
    written with the loss op's derivative."""
    section = document.section(f"The {network}'s loss")
    section.add(
        Text("Each element's loss ℓ by its op's formula, in which z (or ŷ) is D's output l and y the target:")
    )
    local, parts, numbers, value = {}, [], [], 0.0
    for term in GAN_LOSS_TERMS[loss][network]:
        side = "fake" if term.side == "fake" else "real"
        shown = "fake_after" if network == "generator" else side
        name, latex = _LOGIT[shown]
        values = logits[side]
        target = term.target_value(smoothing)
        loss_fn = term.loss_function()
        leaf = Tensor(values.reshape(-1, 1).copy(), requires_grad=True)
        mean = loss_fn(leaf, Tensor(np.full((values.size, 1), target)))
        mean.backward()
        elements = []
        for i, v in enumerate(values):
            element = loss_fn(Tensor(np.array([[v]])), Tensor(np.array([[target]]))).item()
            elements.append(element)
            symbol = Sym(
                f"ℓ({name}{str(i + 1).translate(_SUB)}, {target:g})",
                rf"\ell({latex}_{{{i + 1}}}, {target:g})",
            )
            section.add(Equation(symbol, notation.loss_value(loss_fn, float(v), target, 1), element))
        if parts:
            parts.append("+")
            numbers.append("+")
        parts += [
            term.scale,
            "*",
            Sym(
                f"(1/{values.size}) Σ ℓ({name}ᵢ, {target:g})",
                rf"\frac{{1}}{{{values.size}}}\sum_i \ell({latex}_i, {target:g})",
            ),
        ]
        numbers += [term.scale, "*", "(", *_plus(elements), ")", "/", values.size]
        value += term.scale * mean.item()
        derivative = term.scale * leaf.grad.reshape(-1)
        local[side] = local.get(side, 0.0) + derivative
        for i, v in enumerate(values):
            mean_symbol = _L[network] if term.scale == 1.0 else Sym("mean ℓ", r"\bar{\ell}")
            lhs = _d(mean_symbol, _s(name, i + 1, latex))
            plain = float(leaf.grad.reshape(-1)[i])
            section.add(
                Equation(lhs, notation.loss_derivative(loss_fn, float(v), target, values.size), plain)
            )
            if term.scale != 1.0:
                section.add(
                    Equation(
                        _d(_L[network], _s(name, i + 1, latex)),
                        Expr([term.scale, "*", plain]),
                        float(derivative[i]),
                    )
                )
    section.add(Equation(_L[network], Expr(parts), Expr(numbers), value))
    if abs(value - total) > 1e-9 * max(1.0, abs(total)):
        raise RuntimeError(
            f"internal: the terms of {network}'s loss sum to {value}, autograd's loss is {total}"
        )
    return local


def _plus(values) -> list:
    items = []
    for v in values:
        if items:
            items.append("+")
        items.append(float(v))
    return items


def _chain(section, network: str, parameter: Sym, sides, through: float | None = None) -> float:
    """∂L/∂parameter = Σ over the sides and elements of the product of the factors; returns the sum."""
    symbolic, numbers, products = [], [], []
    for side, local, inputs, input_name in sides:
        name, latex = _LOGIT[side]
        for i, d in enumerate(local):
            factors = [(_d(_L[network], _s(name, i + 1, latex)), float(d))]
            if through is not None:
                factors.append((Sym("w'", "w'"), through))
            factors.append((_s(input_name, i + 1), float(inputs[i])) if inputs is not None else (None, 1.0))
            if symbolic:
                symbolic.append("+")
                numbers.append("+")
            for k, (symbol, number) in enumerate(factors):
                if k:
                    symbolic.append("*")
                    numbers.append("*")
                symbolic.append(symbol if symbol is not None else 1)
                numbers.append(number)
            products.append(math.prod(number for _, number in factors))
    total = math.fsum(products)
    section.add(Equation(_d(_L[network], parameter), Expr(symbolic), Expr(numbers), total))
    return total


def _update(section, letter: str, rows, lr: float):
    new = []
    for name, old, gradient in rows:
        value = old - lr * gradient
        grad = _d(Sym(f"L_{letter}", f"L_{letter}"), Sym(name, name))
        section.add(
            Equation(
                Sym(f"{name}'", f"{name}'"),
                Expr([Sym(name, name), "-", Sym(f"η_{letter}", rf"\eta_{letter}"), "*", grad]),
                Expr([old, "-", lr, "*", gradient]),
                value,
            )
        )
        new.append(value)
    return new
