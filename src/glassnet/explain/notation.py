"""How activations and losses are written in worked solutions, with the numbers put in.

Nothing here holds a formula: each line is built from the op's own ``formula`` and ``derivative``
(``glassnet.ops``; an activation module names its op as ``module.op``, a loss as ``loss.op`` or
``loss.logits_op``). The rules, the same for every op:

- an activation's value: ``σ(z) = 1 / (1 + e^(-35))``, its symbol (where it has one) and its formula with
  the number put in; its derivative: ``σ(z)(1 - σ(z)) = 1.0·(1 - 1.0)``, written in z and the output a;
- a formula that is its input alone (the identity) is written in z: ``a = z = 0.6``, not ``a = 0.6 = 0.6``;
- a formula with a condition, a sum or a softmax reads badly with numbers inside it: it is written as it
  is, followed by the numbers (``1 if z > 0 else 0, z = 3``);
- a loss of one output: its formula, then with the numbers; its derivative by ŷₖ carries the 1/n of the
  mean over the n outputs, except for the losses of a whole example (the categorical ones).
"""

from __future__ import annotations

from glassnet.autograd.formula import Formula, to_text
from glassnet.explain.document import Template

_LISTED = (r"\text{ if }", r"\sum", r"\mathrm{softmax}")  # formulas shown first, numbers after
_GENERIC_VALUE = Formula("f(#x)")
_GENERIC_DERIVATIVE = Formula("f'(#x)")


def _substitutable(formula: Formula) -> bool:
    return not any(marker in formula.source for marker in _LISTED)


def _identity(formula: Formula) -> bool:
    """True for a formula that is its input alone: with the number put in it would read as the value."""
    return formula.template(("x",)).strip() == "{x}"


def _both(formula: Formula, numbers=(), **fills) -> tuple:
    """(text, LaTeX) templates of ``formula`` with ``numbers`` as placeholders and ``fills`` as symbols."""
    return formula.template(numbers, **fills), formula.template(numbers, latex=True, **fills)


def _escape(latex: str) -> str:
    return latex.replace("{", "{{").replace("}", "}}")


def _join(*parts: tuple) -> tuple:
    """Join (text, LaTeX) template pairs with " = "."""
    return " = ".join(part[0] for part in parts), " = ".join(part[1] for part in parts)


def _listing(pairs) -> tuple:
    """ ", z = {x}" for each (shown symbol in LaTeX, placeholder)."""
    text = "".join(f", {to_text(symbol)} = {{{slot}}}" for symbol, slot in pairs)
    latex = "".join(rf",\ {_escape(symbol)} = {{{slot}}}" for symbol, slot in pairs)
    return text, latex


def _activation_op(activation):
    return getattr(activation, "op", None)


def activation_value(activation, z: float) -> Template:
    """a = f(z) with the number z put in (``activation`` is the layer's activation module)."""
    op = _activation_op(activation)
    formula = op.formula if op is not None else _GENERIC_VALUE
    if _identity(formula):
        parts = [_both(formula, x="z")]
    elif _substitutable(formula):
        parts = [_both(formula, numbers=("x",))]
    else:
        symbolic = _both(formula, x="z")
        listing = _listing([("z", "x")])
        parts = [(symbolic[0] + listing[0], symbolic[1] + listing[1])]
    if op is not None and op.symbol is not None:
        parts.insert(0, (to_text(op.symbol) + "(z)", _escape(op.symbol) + "(z)"))
    return Template(*_join(*parts), x=z)


def activation_derivative(activation, z: float, a: float) -> Template:
    """da/dz written in z and the output a, then with the numbers put in."""
    op = _activation_op(activation)
    rhs = op.derivative.rhs() if op is not None else _GENERIC_DERIVATIVE
    output = f"{op.symbol}(z)" if op is not None and op.symbol is not None else "a"
    symbolic = _both(rhs, x="z", y=output)
    if not rhs.slots():
        parts = [symbolic]
    elif _substitutable(rhs):
        parts = [symbolic, _both(rhs, numbers=("x", "y"))]
    else:
        listing = _listing([("z", "x")])
        parts = [(symbolic[0] + listing[0], symbolic[1] + listing[1])]
    return Template(*_join(*parts), x=z, y=a)


def _loss_op(loss):
    return loss.logits_op if getattr(loss, "from_logits", False) else loss.op


def loss_value(loss, prediction, target, n: int) -> Template:
    """L for one example: its formula, then the numbers (``prediction``, ``target``: scalars or vectors)."""
    op = _loss_op(loss)
    formula = op.formula
    if n == 1 and _substitutable(formula):
        parts = [_both(formula), _both(formula, numbers=("p", "z", "y"))]
        return Template(*_join(*parts), p=prediction, z=prediction, y=target)
    symbolic = _both(formula)
    if n > 1 and not getattr(op, "per_example", False):
        symbolic = (f"(1/n) Σ {symbolic[0]}", rf"\frac{{{{1}}}}{{{{n}}}} \sum {symbolic[1]}")
    shown = "z" if "z" in formula.slots() else formula.symbols.get("p", "p")
    listing = _listing([(shown, "p"), ("y", "y")])
    return Template(symbolic[0] + listing[0], symbolic[1] + listing[1], p=prediction, y=target)


def loss_derivative(loss, prediction: float, target: float, n: int) -> Template:
    """∂L/∂ŷₖ for one output k (with the 1/n of the mean over the outputs for element-wise losses)."""
    op = _loss_op(loss)
    rhs = op.derivative.rhs()
    if not getattr(op, "per_example", False):
        rhs = Formula(r"\frac{1}{#n}\left(" + rhs.source + r"\right)", **rhs.symbols)
    symbolic = _both(rhs, n="n")
    if _substitutable(rhs):
        parts = [symbolic, _both(rhs, numbers=("p", "z", "y", "n"))]
        return Template(*_join(*parts), p=prediction, z=prediction, y=target, n=n)
    shown = "z_k" if "z" in rhs.slots() else r"\hat{y}_k"
    listing = _listing([(shown, "p"), ("y_k", "y")])
    return Template(symbolic[0] + listing[0], symbolic[1] + listing[1], p=prediction, y=target)
