"""One mini-batch training step written out for one parameter: the step ``fit`` takes, explained for the
weight (or bias) a learner points at.

The batch's loss is the mean of the examples' losses plus the weight penalties, so its gradient is

    ∂L/∂w = (1/B) Σₙ ∂Lₙ/∂w + ∂R/∂w.

The document shows one example's forward pass and chain rule (``worked_step`` with a ``focus``), the table
of every example's ∂Lₙ/∂w (each by glassnet's backward on that example alone), their mean plus the
penalty's derivative, checked against the gradient the optimizer used, and the update the optimizer made.
The step is the fit loop's own (``train.loop.run_epoch`` on one batch), recorded while it runs.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass, field

import numpy as np

from glassnet.autograd.tensor import Tensor
from glassnet.explain.document import Document, Equation, Expr, ShowsDocument, Sym, Table, Text, sym
from glassnet.explain.recorder import record
from glassnet.explain.worked import _write_update, worked_step
from glassnet.train.loop import run_epoch

__all__ = ["WorkedBatchStep", "worked_batch_step", "parameter_symbol"]

# The sections of the example's worked step that the batch document keeps (its update is the batch's).
_EXAMPLE_SECTIONS = (
    "Forward pass",
    "Loss",
    "Local derivatives",
    "Backward pass: the chain rule",
    "The same in matrix form (delta rule)",
)


@dataclass
class WorkedBatchStep(ShowsDocument):
    """A batch step explained for one parameter element: ``document``; ``gradient``, the gradient the
    optimizer used (autograd's); ``example_gradients``, each example's ∂Lₙ/∂w; ``penalty_gradient``;
    ``before``/``after``, the element's value around the update; ``loss``, the batch loss."""

    document: Document
    gradient: float
    example_gradients: np.ndarray = field(default_factory=lambda: np.zeros(0))
    penalty_gradient: float = 0.0
    before: float = 0.0
    after: float = 0.0
    loss: float = 0.0

    @property
    def summed(self) -> float:
        """(1/B) Σₙ ∂Lₙ/∂w + ∂R/∂w: the gradient put together from the examples."""
        return float(np.mean(self.example_gradients)) + self.penalty_gradient


def parameter_symbol(name: str, index) -> Sym:
    """The notes' symbol of a Sequential's parameter element: ("1.weight", (0, 2)) is w₁₃⁽²⁾ (1-based).

    Example:
        >>> parameter_symbol("1.weight", (0, 2)).text
        'w₁₃⁽²⁾'
    """
    layer, kind = name.split(".")
    letter = "w" if kind == "weight" else "b"
    return sym(letter, int(layer) + 1, tuple(int(i) + 1 for i in index))


def worked_batch_step(model, x, y, focus: tuple, example: int = 0, title=None, precision: int = 6):
    """Take the fit loop's step on the batch ``(x, y)`` and write it out for the element ``focus``.

    Args:
        model: a compiled ``Sequential`` of ``Dense`` layers (its ``loss`` and ``optimizer`` are used).
        x, y: the batch, arrays of shape (B, inputs) and (B, outputs) (or (B,) integer labels).
        focus: ``(parameter name, index)``, e.g. ``("0.weight", (1, 0))`` (0-based, as
            ``model.named_parameters()`` names them).
        example: which example of the batch is worked through by the chain rule.
        precision: decimals printed.

    Returns:
        A ``WorkedBatchStep``; the model is updated, as by ``fit``.

    Example:
        >>> import numpy as np
        >>> from glassnet import nn, optim
        >>> model = nn.Sequential([nn.Dense(1, activation="sigmoid", dtype="float64")], input_shape=(2,))
        >>> model.compile(optimizer=optim.SGD(lr=0.5), loss="binary_crossentropy")
        >>> step = worked_batch_step(model, np.array([[1.0, 2.0], [0.0, 1.0]]), np.array([[1.0], [0.0]]),
        ...                          focus=("0.weight", (0, 0)))
        >>> abs(step.summed - step.gradient) < 1e-12
        True
    """
    parameters = dict(model.named_parameters())
    if not isinstance(focus, (tuple, list)) or len(focus) != 2 or focus[0] not in parameters:
        raise ValueError(
            f"focus must be (parameter name, index) with a name from {list(parameters)}; got {focus!r}"
        )
    name, index = focus[0], tuple(int(i) for i in np.atleast_1d(focus[1]))
    parameter = parameters[name]
    if len(index) != parameter.data.ndim or not all(0 <= i < n for i, n in zip(index, parameter.shape)):
        raise ValueError(f"focus index {index} is outside {name} of shape {tuple(parameter.shape)}")
    x, y = np.asarray(x), np.asarray(y)
    if not 0 <= example < len(x):
        raise ValueError(f"example must be in [0, {len(x)}) (the batch's examples), got {example}")
    dtype = parameter.data.dtype
    x = x.astype(dtype)
    y = y if y.dtype.kind in "iu" else y.astype(dtype)

    # Each example's gradient alone, and the penalty's, by backward before the step.
    example_gradients = np.array(
        [_gradient(model, parameter, index, x[n : n + 1], y[n : n + 1]) for n in range(len(x))]
    )
    penalty_gradient = _penalty_gradient(parameter, index)
    shown = copy.deepcopy(model)  # the example's chain rule, on a copy as it is before the step

    with record() as trace:
        logs = run_epoch(model, [(Tensor(x), Tensor(y))], training=True)
    updates = trace.steps_for(parameter)
    if not updates:
        raise ValueError(f"the optimizer did not update {name} (is it trainable?)")
    update = updates[0]
    symbol = parameter_symbol(name, index)
    title = title or f"One training step on a batch of {len(x)}, for {symbol.text}"
    document = Document(title, precision=precision)
    result = WorkedBatchStep(
        document=document,
        gradient=float(update.grad[index]),
        example_gradients=example_gradients,
        penalty_gradient=penalty_gradient,
        before=float(update.value_before[index]),
        after=float(update.value_after[index]),
        loss=float(logs["loss"]),
    )
    _write_batch(document, model, symbol, result, len(x))
    worked = worked_step(
        shown, x[example], y[example], loss=shown.loss, focus=(name, index), precision=precision
    )
    for section in worked.document.sections:
        if section.title in _EXAMPLE_SECTIONS:
            section.title = f"Example {example + 1} of the batch: {section.title.lower()}"
            document.sections.append(section)
    _write_sum(document, symbol, x, y, result, parameter.regularizer)
    _write_update(document, trace, model, model.optimizer, (name, index))
    return result


def _gradient(model, parameter, index, x, y) -> float:
    """∂Lₙ/∂w for one example, by glassnet's backward (the data loss alone)."""
    for p in model.parameters():
        p.grad = None
    model.loss(model(Tensor(x)), Tensor(y)).backward()
    value = float(parameter.grad[index])
    for p in model.parameters():
        p.grad = None
    return value


def _penalty_gradient(parameter, index) -> float:
    """∂R/∂w of the parameter's own penalty (0 without a regularizer)."""
    if parameter.regularizer is None:
        return 0.0
    leaf = Tensor(parameter.data.copy(), requires_grad=True)
    parameter.regularizer(leaf).backward()
    return float(leaf.grad[index])


def _partial_of(symbol: Sym, top: str = "L") -> Sym:
    return Sym(f"∂{top}/∂{symbol.text}", r"\frac{\partial " + top + r"}{\partial " + symbol.latex + "}")


def _write_batch(document, model, symbol, result, batch: int) -> None:
    section = document.section("The step")
    penalty = " plus the weight penalties R" if result.penalty_gradient or _penalised(model) else ""
    section.add(
        Text(
            f"The loss of the batch is the mean of its {batch} examples' losses{penalty}, so its gradient is "
            "the mean of theirs: ",
            _partial_of(symbol),
            " = (1/B) Σₙ ",
            _partial_of(symbol, "Lₙ"),
            " + ∂R/∂w" if penalty else "",
            f". Batch loss L = {result.loss:.6g}.",
        )
    )


def _penalised(model) -> bool:
    return any(p.regularizer is not None for p in model.parameters())


# d penalty / dw for the regularizers of nn.regularizers, in both notations
_PENALTY_DERIVATIVES = {
    "L1": ("λ·sign(w)", r"\lambda\,\mathrm{sign}(w)"),
    "L2": ("2λw", r"2\lambda w"),
    "L1L2": ("λ₁·sign(w) + 2λ₂w", r"\lambda_1\,\mathrm{sign}(w) + 2\lambda_2 w"),
}


def _write_sum(document, symbol, x, y, result, regularizer=None) -> None:
    section = document.section("Summed over the batch")
    rows = [[n + 1, x[n], y[n], float(g)] for n, g in enumerate(result.example_gradients)]
    section.add(Table(["example", "input", "target", _partial_of(symbol, "Lₙ")], rows))
    terms = ["(", Sym("1", "1"), "/", Sym(str(len(x)), str(len(x))), ")", "*", "("]
    for n, g in enumerate(result.example_gradients):
        terms += (["+"] if n else []) + [float(g)]
    terms.append(")")
    if result.penalty_gradient:
        terms += ["+", result.penalty_gradient]
        formula = _PENALTY_DERIVATIVES.get(type(regularizer).__name__)
        parts = [Sym(f"∂R/∂{symbol.text}", r"\frac{\partial R}{\partial " + symbol.latex + "}")]
        section.add(Equation(*parts, *([Sym(*formula)] if formula else []), result.penalty_gradient))
    section.add(Equation(_partial_of(symbol), Expr(terms), result.summed))
    section.add(
        Text(
            "The optimizer used ",
            _partial_of(symbol),
            f" = {result.gradient:.10g} (autograd on the whole batch); the sum above differs from it by "
            f"{abs(result.summed - result.gradient):.1e}.",
        )
    )
