"""Derivatives explained: an activation or a loss taken apart into primitive ops, each with its local
derivative, multiplied along every path by the chain rule, and checked against autograd.

``derive("sigmoid", x=0.5)`` writes σ the way the notes derive σ' (CURRICULUM section 4):

    p = −x,  q = e^p,  r = 1 + q,  f = 1/r,
    df/dx = df/dr · dr/dq · dq/dp · dp/dx = (−1/r²) · 1 · e^p · (−1) = σ(x)(1 − σ(x)).

Each step is computed by a glassnet op while ``explain.record()`` watches; its local derivative is
evaluated by that op's own backward (the text shown is the op's ``derivative`` attribute). Where the
variable reaches the result along several paths (binary cross-entropy: through log ŷ and through
log(1 − ŷ)), each path's product is listed and the products are summed. The sum is compared with
autograd's derivative of the fused op (``Sigmoid``, ``BinaryCrossEntropy`` ...) at the same point.

Decompositions: the activations sigmoid, tanh, relu, leaky_relu, elu, selu, softmax (one component),
identity, step; the losses mse, mae, huber, bce, bce_logits, cce, cce_logits, sparse_cce,
sparse_cce_logits (the derivative by one component of the prediction, for one example); and the notes'
chain-rule drill (m = x², z = m², y = z²: dy/dx = 2z · 2m · 2x). ``DECOMPOSITIONS`` lists them.

Example:
    >>> result = derive("sigmoid", x=0.5)
    >>> [step.op for step in result.steps]
    ['neg', 'exp', 'add', 'div']
    >>> round(result.chain_rule, 6), result.agrees
    (0.235004, True)
"""

from __future__ import annotations

import inspect
import math
from dataclasses import dataclass, field

import numpy as np

from glassnet.autograd.formula import to_text
from glassnet.autograd.tensor import Tensor
from glassnet.explain.document import Document, Equation, Expr, Sym, Table, Text
from glassnet.explain.recorder import record
from glassnet.nn import activations, losses
from glassnet.ops import loss as loss_ops
from glassnet.ops.activation import Softmax

__all__ = ["derive", "Derivation", "DerivationStep", "ChainPath", "DECOMPOSITIONS"]

TOLERANCE = 1e-12


def _sym(latex: str) -> Sym:
    """A symbol written once, in LaTeX; its text is derived (``glassnet.autograd.formula``)."""
    return Sym(to_text(latex), latex)


@dataclass
class DerivationStep:
    """One primitive op of a decomposition.

    Attributes:
        symbol: the name given to its result (p, q, r, ...).
        expression: the step in the decomposition's symbols (e^p).
        op, formula, derivative: the op's name, and its ``formula`` and ``derivative`` text.
        value: the result at the point.
        inputs: the symbols of the inputs that depend on the variable, in the op's order.
        local: ∂(symbol)/∂(input) for each of those, from the op's backward.
    """

    symbol: Sym
    expression: Sym
    op: str
    formula: str
    derivative: str
    value: float
    inputs: tuple
    local: tuple


@dataclass
class ChainPath:
    """One path from the result back to the variable: the symbols along it (result first) and the local
    derivative of each link, ∂symbols[i]/∂symbols[i+1]."""

    symbols: tuple
    factors: tuple

    @property
    def product(self) -> float:
        return math.prod(self.factors)


@dataclass
class Derivation:
    """The result of ``derive``: the steps, the chain-rule paths, and the check against autograd.

    Attributes:
        name: the decomposition's name ("sigmoid").
        title: what is derived, e.g. "sigmoid σ(x) = 1 / (1 + e^(−x))".
        variable: the symbol differentiated by (x, ŷ, z₀ ...), and ``point`` its value (with the other
            inputs: target, the rest of a vector, hyperparameters).
        steps, paths: the decomposition and the chain rule along each path.
        chain_rule: the sum over paths of the products of local derivatives.
        autograd_decomposed: autograd's derivative of the decomposition (the same ops, one backward).
        fused_op, fused_formula, fused_derivative: the op glassnet uses for the function itself, and its
            text; ``fused_value`` its value and ``fused`` autograd's derivative through it.
        identity: the closed form the notes give, (text, value), where there is one.
    """

    name: str
    title: str
    variable: Sym
    point: dict
    steps: list
    paths: list
    chain_rule: float
    autograd_decomposed: float
    fused_op: str
    fused_formula: str
    fused_derivative: str
    fused_value: float
    fused: float
    identity: tuple | None = None
    tolerance: float = field(default=TOLERANCE, repr=False)

    @property
    def value(self) -> float:
        """The function's value at the point, from the decomposition."""
        return self.steps[-1].value

    @property
    def agrees(self) -> bool:
        """The chain-rule sum and the fused op's autograd derivative agree to ``tolerance`` (relative to
        the larger of 1 and the derivative), and so do the two values."""
        scale = max(1.0, abs(self.fused))
        values_agree = abs(self.value - self.fused_value) <= self.tolerance * max(1.0, abs(self.fused_value))
        return abs(self.chain_rule - self.fused) <= self.tolerance * scale and values_agree

    def _result_symbol(self) -> Sym:
        return self.steps[-1].symbol

    def __str__(self) -> str:
        f, x = self._result_symbol().text, self.variable.text
        point = ", ".join(f"{key} = {_plain(value)}" for key, value in self.point.items())
        lines = [f"{self.title}, at {point}", ""]
        for step in self.steps:
            locals_ = ", ".join(
                f"∂{step.symbol.text}/∂{name.text} = {value:.6g}"
                for name, value in zip(step.inputs, step.local)
            )
            lines.append(
                f"  {step.symbol.text} = {step.expression.text} = {step.value:.6g}   [{step.op}: "
                f"{step.derivative}]   {locals_}"
            )
        lines.append("")
        for number, path in enumerate(self.paths, 1):
            links = " · ".join(f"∂{a.text}/∂{b.text}" for a, b in zip(path.symbols, path.symbols[1:]))
            numbers = " · ".join(f"{factor:.6g}" for factor in path.factors)
            lines.append(f"  path {number}: {links} = {numbers} = {path.product:.6g}")
        lines.append(
            f"  d{f}/d{x} = {self.chain_rule:.12g} (chain rule, summed over {len(self.paths)} path(s))"
        )
        if self.identity is not None:
            lines.append(f"  {self.identity[0].text} = {self.identity[1]:.12g}")
        lines.append(f"  autograd through the decomposition: {self.autograd_decomposed:.12g}")
        lines.append(f"  autograd through {self.fused_op} ({self.fused_derivative}): {self.fused:.12g}")
        verdict = "agree" if self.agrees else "DISAGREE"
        lines.append(f"  {verdict} (|difference| = {abs(self.chain_rule - self.fused):.1e}, tolerance 1e-12)")
        return "\n".join(lines)

    def to_document(self) -> Document:
        """The derivation as an ``explain.document.Document`` (text, Markdown, LaTeX, HTML)."""
        f, x = self._result_symbol(), self.variable
        document = Document(f"Derivative of {self.title}")
        point = document.section("The point")
        point.add(Text(*_point_items(self.point)))
        steps = document.section("Decomposition into primitive ops")
        rows = []
        for step in self.steps:
            for position, (name, value) in enumerate(zip(step.inputs, step.local)):
                partial = _partial(step.symbol, name)
                first = position == 0
                rows.append(
                    [
                        step.symbol if first else "",
                        step.expression if first else "",
                        step.op if first else "",
                        step.value if first else "",
                        step.derivative if first else "",
                        partial,
                        value,
                    ]
                )
        steps.add(Table(["step", "expression", "op", "value", "op's derivative", "local", "value"], rows))
        chain = document.section("Chain rule")
        for number, path in enumerate(self.paths, 1):
            links, numbers = [], []
            for a, b, factor in zip(path.symbols, path.symbols[1:], path.factors):
                links += [_partial(a, b), "*"]
                numbers += [factor, "*"]
            label = _sym(rf"\text{{path {number}}}")
            chain.add(Equation(label, Expr(links[:-1]), Expr(numbers[:-1]), path.product))
        total = _partial(f, x, total=True)
        if len(self.paths) > 1:
            sum_items = []
            for path in self.paths:
                sum_items += [path.product, "+"]
            chain.add(Equation(total, Expr(sum_items[:-1]), self.chain_rule))
        else:
            chain.add(Equation(total, self.chain_rule))
        if self.identity is not None:
            chain.add(Equation(self.identity[0], self.identity[1]))
        check = document.section("Check against autograd")
        check.add(
            Table(
                [
                    "chain rule",
                    "autograd (decomposition)",
                    f"autograd ({self.fused_op})",
                    "difference",
                    "agree",
                ],
                [
                    [
                        self.chain_rule,
                        self.autograd_decomposed,
                        self.fused,
                        abs(self.chain_rule - self.fused),
                        "yes" if self.agrees else "NO",
                    ]
                ],
            )
        )
        check.add(Text(f"{self.fused_op}: {self.fused_formula}; {self.fused_derivative}"))
        return document

    def _repr_html_(self) -> str:
        return self.to_document().to_html()


def _plain(value) -> str:
    if isinstance(value, (list, tuple, np.ndarray)):
        return "[" + ", ".join(f"{float(v):.6g}" for v in np.ravel(value)) + "]"
    if isinstance(value, float):
        return f"{value:.6g}"
    return str(value)


def _point_items(point: dict) -> list:
    items = []
    for key, value in point.items():
        if items:
            items.append(", ")
        items += [Sym(key, _LATEX_NAMES.get(key, key)), " = ", _plain(value)]
    return items


_LATEX_NAMES = {"ŷ": r"\hat{y}", "α": r"\alpha", "δ": r"\delta", "θ": r"\theta", "λ": r"\lambda"}


def _partial(numerator: Sym, denominator: Sym, total: bool = False) -> Sym:
    mark, latex_mark = ("d", "d") if total else ("∂", r"\partial ")
    return Sym(
        f"{mark}{numerator.text}/{mark}{denominator.text}",
        rf"\frac{{{latex_mark}{numerator.latex}}}{{{latex_mark}{denominator.latex}}}",
    )


# --- the decompositions: each written with glassnet Tensor ops, one op per named step ---
# A builder takes the variable (a float64 scalar tensor that requires a gradient) and the context (the
# rest of the point, hyperparameters) and returns [(symbol, tensor, expression), ...], the result last.


def _drill_steps(x, ctx):
    m = x**2
    z = m**2
    y = z**2
    return [
        (_sym("m"), m, _sym("x^{2}")),
        (_sym("z"), z, _sym("m^{2}")),
        (_sym("y"), y, _sym("z^{2}")),
    ]


@dataclass(frozen=True)
class _Entry:
    """A decomposition: how to build it, what it is, and the fused op it is checked against."""

    kind: str  # "activation", "softmax", "loss", "class_loss", "drill"
    title: str
    variable: Sym
    build: object
    fused: str  # an activation or loss name (built with the hyperparameters), or "pow" for the drill
    defaults: dict
    hyperparameters: tuple = ()  # (keyword of the fused module, its symbol in LaTeX)
    identity: object = None  # (values, ctx, fused derivative) -> (Sym, value)
    logits: bool = False  # the loss takes logits z (``from_logits=True``)
    sparse: bool = False  # the target is an integer label


def _op_steps(steps) -> list:
    """An op's ``decompose`` (symbol, tensor, expression in LaTeX) as the builders' (Sym, tensor, Sym)."""
    return [(_sym(symbol), tensor, _sym(latex)) for symbol, tensor, latex in steps]


def _activation_entry(op, registered_as: str) -> _Entry:
    """The decomposition of an activation, all from its op: ``decompose``, ``formula``, ``derivative``,
    ``explain_at`` (the default point) and ``hyperparameters`` (keyword -> symbol)."""
    hyperparameters = tuple(getattr(op, "hyperparameters", {}).items())
    escaped = op.name.replace("_", r"\_")
    name = op.symbol if op.symbol is not None else rf"\mathrm{{{escaped}}}"

    def build(x, ctx):
        return _op_steps(op.decompose(x, **{keyword: ctx[keyword] for keyword, _ in hyperparameters}))

    def identity(values, ctx, derivative):
        closed_form = op.derivative.rhs()
        latex = f"{name}'(x) = {closed_form.tex(y=f'{name}(x)')}"
        return _sym(latex), derivative

    title = f"{op.name} y = {op.formula.text()}"
    return _Entry(
        "activation", title, _X, build, registered_as, dict(op.explain_at), hyperparameters, identity
    )


def _activation_entries() -> dict:
    """One entry per activation op that can be taken apart, named by the op (sigmoid, silu, ...)."""
    entries = {}
    for registered_as, module in activations.registry.factories().items():
        op = getattr(module, "op", None)
        if op is not None and hasattr(op, "decompose") and op.name not in entries:
            entries[op.name] = _activation_entry(op, registered_as)
    return entries


def _op_entry(kind: str, op, fused: str, logits: bool = False, identity: bool = False) -> _Entry:
    """A decomposition read from an op: its ``decompose`` (the builder takes from the context exactly the
    arguments it names), ``variable``, ``explain_at`` (the default point) and ``hyperparameters``; with
    ``identity``, its closed-form derivative is shown beside the chain rule's sum."""
    wanted = list(inspect.signature(op.decompose).parameters)[1:]

    def build(x, ctx):
        return _op_steps(op.decompose(x, **{name: ctx[name] for name in wanted if name in ctx}))

    def closed_form(values, ctx, derivative):
        return Sym(op.derivative.text(), op.derivative.tex()), derivative

    hyperparameters = tuple(getattr(op, "hyperparameters", {}).items())
    return _Entry(
        kind, f"{op.name}: {op.formula.text()}", _sym(op.variable), build, fused,
        dict(op.explain_at), hyperparameters, closed_form if identity else None, logits,
        getattr(op, "integer_targets", False),
    )  # fmt: skip


def _drill_identity(values, ctx, derivative):
    x = ctx["x"]
    return _sym(r"\frac{dy}{dx} = 2z \cdot 2m \cdot 2x"), (2 * values["z"] * 2 * values["m"] * 2 * x)


_X = _sym("x")
_E = _Entry
_L, _SPARSE = loss_ops, "sparse_categorical_crossentropy"
DECOMPOSITIONS = {
    **_activation_entries(),
    "softmax": _op_entry("softmax", Softmax, "softmax", identity=True),
    "mse": _op_entry("loss", _L.SquaredError, "mse"),
    "mae": _op_entry("loss", _L.AbsoluteError, "mae"),
    "huber": _op_entry("loss", _L.HuberError, "huber"),
    "bce": _op_entry("loss", _L.BinaryCrossEntropy, "binary_crossentropy"),
    "bce_logits": _op_entry(
        "loss", _L.BinaryCrossEntropyWithLogits, "binary_crossentropy", logits=True, identity=True
    ),
    "cce": _op_entry("class_loss", _L.CategoricalCrossEntropy, "categorical_crossentropy"),
    "cce_logits": _op_entry(
        "class_loss", _L.SoftmaxCrossEntropy, "categorical_crossentropy", logits=True, identity=True
    ),
    "sparse_cce": _op_entry("class_loss", _L.SparseCategoricalCrossEntropy, _SPARSE),
    "sparse_cce_logits": _op_entry(
        "class_loss", _L.SparseSoftmaxCrossEntropy, _SPARSE, logits=True, identity=True
    ),
    "chain_rule_drill": _E(
        "drill", "the notes' drill m = x², z = m², y = z² (y = x⁸)", _X, _drill_steps, "pow", {"x": 1.5},
        identity=_drill_identity,
    ),
}  # fmt: skip


# --- running a decomposition ---


def _scalar(value) -> Tensor:
    return Tensor(np.array(float(value), dtype=np.float64), requires_grad=True)


def _fused(entry: _Entry, x, ctx: dict, k):
    """Value and autograd derivative of the fused op at the point, and that op's name and math."""
    options = {keyword: ctx[keyword] for keyword, _ in entry.hyperparameters}
    if entry.kind == "drill":
        leaf = _scalar(x)
        out = leaf**8
        out.backward()
        return float(out.item()), float(leaf.grad), _FusedOp.of(type(out.op))
    leaf = Tensor(np.atleast_1d(np.array(x, dtype=np.float64))[None, :], requires_grad=True)
    if entry.kind in ("activation", "softmax"):
        module = activations.registry.get(entry.fused, **options)
        module.eval()
        out = module(leaf)  # the identity returns the leaf itself: backward then seeds its .grad
        seed = np.zeros(out.shape)
        seed[0, k or 0] = 1.0
        out.backward(seed)
        return float(out.data[0, k or 0]), float(leaf.grad[0, k or 0]), _FusedOp.of(module.op)
    loss = losses.get(entry.fused, from_logits=True) if entry.logits else losses.get(entry.fused, **options)
    out = loss(leaf, ctx["target"])
    out.backward()
    value = float(out.item())
    expected = loss.logits_op if entry.logits else loss.op
    return value, float(leaf.grad[0, k or 0]), _FusedOp.of(expected)


@dataclass(frozen=True)
class _FusedOp:
    """The name and the math of the op that computes a function (from the op class's Formula data)."""

    name: str
    formula: str
    derivative: str

    @classmethod
    def of(cls, op):
        return cls(op.name, op.formula.text(), op.derivative.text())


def _context(name: str, entry: _Entry, point: dict):
    """The variable's value, its index k in a vector, the builders' context and the point to print."""
    ctx = {key: value for key, value in point.items() if key not in ("x", "y", "k")}
    shown = {}
    if entry.kind in ("activation", "drill"):
        x = float(point["x"])
        ctx["x"] = x
        shown[entry.variable.text] = x
        shown.update({to_text(symbol): ctx[keyword] for keyword, symbol in entry.hyperparameters})
        return x, None, ctx, shown
    vector = np.array(point["x"], dtype=np.float64).ravel()
    if point.get("k") is not None and not 0 <= int(point["k"]) < vector.size:
        raise ValueError(f"derive({name!r}): component k = {point['k']} is not in [0, {vector.size})")
    if entry.kind == "softmax":
        k = int(point.get("k", 0))
        ctx["others"] = np.delete(vector, k)
        shown.update({"x": vector.tolist(), "k": k})
        return float(vector[k]), k, ctx, shown
    if entry.kind == "loss":
        y = float(point["y"])
        ctx.update(y=y, target=np.array([[y]]))
        shown.update({entry.variable.text: float(vector[0]), "y": y})
        shown.update({to_text(symbol): ctx[keyword] for keyword, symbol in entry.hyperparameters})
        return float(vector[0]), None, ctx, shown
    # class losses: one-hot targets (cce) or an integer label (sparse)
    if entry.sparse:
        label = int(point["y"])
        if not 0 <= label < vector.size:
            raise ValueError(f"derive({name!r}): label {label} is not in [0, {vector.size})")
        one_hot = np.eye(vector.size)[label]
        ctx["target"] = np.array([label])
        k = int(point.get("k", label))
    else:
        one_hot = np.array(point["y"], dtype=np.float64).ravel()
        if one_hot.shape != vector.shape:
            raise ValueError(f"derive({name!r}): x has {vector.size} classes but y has {one_hot.size}")
        ctx["target"] = one_hot[None, :]
        k = int(point.get("k", int(one_hot.argmax())))
    rest_mask = np.arange(vector.size) != k
    ctx["y_k"] = float(one_hot[k])
    if entry.logits:
        ctx["others"] = float(np.exp(vector[rest_mask]).sum())
        ctx["rest"] = float((one_hot[rest_mask] * vector[rest_mask]).sum())
    else:
        ctx["rest"] = float((one_hot[rest_mask] * np.log(vector[rest_mask])).sum())
    shown.update({"z" if entry.logits else "ŷ": vector.tolist(), "y": point["y"], "k": k})
    return float(vector[k]), k, ctx, shown


def _paths(result: Sym, variable: Sym, edges: dict) -> list:
    """Every path from ``result`` back to ``variable``; ``edges[symbol]`` = [(input symbol, local), ...]."""
    paths, stack = [], [((result,), ())]
    while stack:
        symbols, factors = stack.pop()
        last = symbols[-1]
        if last == variable:
            paths.append(ChainPath(symbols, factors))
            continue
        for source, local in reversed(edges.get(last, [])):
            stack.append((symbols + (source,), factors + (local,)))
    return paths


def derive(name: str, x=None, y=None, k=None, **hyperparameters) -> Derivation:
    """Take an activation or a loss apart into primitive ops at a point, and check the chain rule.

    Args:
        name: a key of ``DECOMPOSITIONS``: "sigmoid", "tanh", "relu", "leaky_relu", "elu", "selu",
            "softmax", "identity", "step", "mse", "mae", "huber", "bce", "bce_logits", "cce",
            "cce_logits", "sparse_cce", "sparse_cce_logits", "chain_rule_drill".
        x: the point: the activation's input; the prediction ŷ of a loss (the logit z for the ``_logits``
            losses); a vector for softmax and the categorical losses (one example's classes). Each
            decomposition has a default point (the notes' numbers where they have some).
        y: a loss's target: a number, a one-hot vector (cce) or an integer label (sparse).
        k: for a vector, the component differentiated by (softmax: ∂yₖ/∂xₖ; default 0, or the label /
            the target's 1 for the losses).
        **hyperparameters: by the notes' names: ``alpha`` (leaky_relu, elu), ``delta`` (huber),
            ``threshold`` (step).

    Returns:
        A ``Derivation``: print it, or ``.to_document()`` for the four formats.

    Example (the notes' chain-rule drill at x = 1.5):
        >>> d = derive("chain_rule_drill", x=1.5)
        >>> [s.expression.text for s in d.steps], d.chain_rule, d.identity[1]
        (['x²', 'm²', 'z²'], 136.6875, 136.6875)
    """
    if name not in DECOMPOSITIONS:
        raise ValueError(f"no decomposition {name!r}; valid names: {', '.join(DECOMPOSITIONS)}")
    entry = DECOMPOSITIONS[name]
    point = dict(entry.defaults)
    valid = [keyword for keyword, _ in entry.hyperparameters]
    for key, value in hyperparameters.items():
        if key not in valid:
            raise TypeError(
                f"derive({name!r}) got an unexpected hyperparameter {key!r}; valid: {valid or 'none'}"
            )
        point[key] = float(value)
    for key, value in (("x", x), ("y", y), ("k", k)):
        if value is not None:
            point[key] = value
    value, k, ctx, shown = _context(name, entry, point)

    leaf = _scalar(value)
    with record() as trace:
        built = entry.build(leaf, ctx)
        result = built[-1][1]
        result.backward(retain_graph=True)
    symbols = {id(leaf): entry.variable}
    symbols.update({id(tensor): symbol for symbol, tensor, _ in built})
    steps, edges = [], {}
    for symbol, tensor, expression in built:
        op = trace.op_for(tensor)
        if op is None:
            raise RuntimeError(f"internal: step {symbol.text} of {name!r} is not the output of an op")
        partials = op.function.backward(np.ones_like(op.output))
        partials = partials if isinstance(partials, tuple) else (partials,)
        inputs, local = [], []
        for source, partial in zip(op.input_tensors, partials):
            if isinstance(source, Tensor) and source.requires_grad:
                if id(source) not in symbols:
                    raise RuntimeError(
                        f"internal: step {symbol.text} of {name!r} uses an unnamed intermediate"
                    )
                inputs.append(symbols[id(source)])
                local.append(float(partial) + 0.0)  # + 0.0: no "-0" in print
        edges[symbol] = list(zip(inputs, local))
        steps.append(
            DerivationStep(symbol, expression, op.name, op.formula, op.derivative, float(op.output) + 0.0,
                           tuple(inputs), tuple(local))
        )  # fmt: skip
    paths = _paths(steps[-1].symbol, entry.variable, edges)
    fused_value, fused_derivative, fused_op = _fused(entry, point["x"], ctx, k)
    values = {step.symbol.text: step.value for step in steps}
    return Derivation(
        name=name,
        title=entry.title,
        variable=entry.variable,
        point=shown,
        steps=steps,
        paths=paths,
        chain_rule=math.fsum(path.product for path in paths),
        autograd_decomposed=float(leaf.grad),
        fused_op=fused_op.name,
        fused_formula=fused_op.formula,
        fused_derivative=fused_op.derivative,
        fused_value=fused_value,
        fused=fused_derivative,
        identity=entry.identity(values, ctx, fused_derivative) if entry.identity is not None else None,
    )
