"""Optimizer explained: the state and the effective learning rate of an optimizer, step by step, for a
sequence of gradients (CURRICULUM section 6).

``optimizer_table(optimizer, gradients)`` runs the optimizer on a parameter of one weight, giving it the
gradients one step at a time, and reads every update from the optimizer's step records (the
``explain.record()`` trace), so the table shows exactly what ``step()`` computed: t, g, each state entry
(momentum V, squared-gradient sum G, averages S, U, bias corrections ...), the effective learning rate
η_t and the weight after the step. It works for every optimizer and every ``convention``.

The notes' Adagrad exercise (η = 0.02, g₁² = 6 growing 5 % per iteration, ε = 1e−5):

    >>> from glassnet import optim
    >>> gradients = [(6 * 1.05 ** (t - 1)) ** 0.5 for t in range(1, 11)]
    >>> table = optimizer_table(optim.Adagrad(lr=0.02, eps=1e-5), gradients)
    >>> G, eta = table.column("sum_sq"), table.column("lr_effective")
    >>> print(f"Σg² = {G[-1]:.6f}, η10 = {eta[-1]:.6f}, η1 = {eta[0]:.6f}")
    Σg² = 75.467355, η10 = 0.002302, η1 = 0.008165
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from glassnet import optim
from glassnet.explain.document import Document, Sym, Table, Text
from glassnet.explain.recorder import record
from glassnet.nn.module import Parameter
from glassnet.optim import Optimizer
from glassnet.optim import get as get_optimizer

__all__ = ["optimizer_table", "OptimizerTable", "COLUMN_SYMBOLS"]

# How the notes write each column (plain text, LaTeX) and what it means.
COLUMN_SYMBOLS = {
    "t": (Sym("t", "t"), "the step"),
    "g": (Sym("g", "g"), "the gradient given at this step"),
    "momentum_buffer": (Sym("V", "V"), "the momentum buffer (V, b or m in the SGD docstring's table)"),
    "sum_sq": (Sym("G = Σg²", r"G = \sum g^{2}"), "the sum of the squared gradients so far"),
    "square_avg": (Sym("S", "S"), "the moving average of g²"),
    "grad_avg": (Sym("A", "A"), "the moving average of g (centered RMSProp)"),
    "acc_delta": (Sym("U", "U"), "the moving average of the squared steps Δ²"),
    "exp_avg": (Sym("V", "V"), "the moving average of g (first moment)"),
    "exp_avg_sq": (Sym("S", "S"), "the moving average of g² (second moment)"),
    "max_exp_avg_sq": (Sym("Smax", r"S_{\max}"), "the largest S so far (amsgrad)"),
    "bias_correction1": (Sym("1 − β₁ᵗ", r"1 - \beta_1^{t}"), "the bias correction of V"),
    "bias_correction2": (Sym("1 − β₂ᵗ", r"1 - \beta_2^{t}"), "the bias correction of S"),
    "lr_effective": (
        Sym("η_t", r"\eta_t"),
        "the effective learning rate: the factor multiplying {direction} in the step",
    ),
    "w": (Sym("w", "w"), "the weight after the step"),
}


@dataclass
class OptimizerTable:
    """Rows of an optimizer run: ``columns`` (t, g, the state entries, derived quantities, lr_effective, w)
    and ``rows``, one list of floats per step.

    Attributes:
        optimizer: the optimizer's class name; ``convention`` and ``hyperparameters`` as it ran.
        w0: the starting weight.
    """

    optimizer: str
    convention: str
    hyperparameters: dict
    w0: float
    columns: list
    rows: list

    def column(self, name: str) -> np.ndarray:
        """One column as a float64 array (``table.column("lr_effective")``)."""
        if name not in self.columns:
            raise KeyError(f"no column {name!r}; columns: {', '.join(self.columns)}")
        index = self.columns.index(name)
        return np.array([row[index] for row in self.rows], dtype=np.float64)

    def __str__(self) -> str:
        widths = [max(12, len(name)) for name in self.columns]
        header = "  ".join(name.rjust(width) for name, width in zip(self.columns, widths))
        lines = [self._settings(), header, "-" * len(header)]
        for row in self.rows:
            cells = [f"{int(row[0])}"] + [f"{value:.6g}" for value in row[1:]]
            lines.append("  ".join(cell.rjust(width) for cell, width in zip(cells, widths)))
        return "\n".join(lines)

    def _settings(self) -> str:
        settings = ", ".join(f"{key}={value!r}" for key, value in self.hyperparameters.items())
        return f"{self.optimizer}({settings}, convention={self.convention!r}), w0 = {self.w0:g}"

    def to_document(self) -> Document:
        """The table as an ``explain.document.Document`` (text, Markdown, LaTeX, HTML)."""
        document = Document(f"{self.optimizer} step by step")
        settings = document.section("Settings")
        settings.add(Text(self._settings()))
        steps = document.section("State and effective learning rate after each step")
        headers = [COLUMN_SYMBOLS[name][0] if name in COLUMN_SYMBOLS else name for name in self.columns]
        steps.add(Table(headers, [[int(row[0]), *row[1:]] for row in self.rows]))
        legend = document.section("Columns")
        for name, header in zip(self.columns, headers):
            meaning = COLUMN_SYMBOLS[name][1] if name in COLUMN_SYMBOLS else "as the optimizer reports it"
            meaning = meaning.format(direction=getattr(optim, self.optimizer).direction)
            legend.add(Text(header, f" ({name}): {meaning}"))
        return document

    def _repr_html_(self) -> str:
        return self.to_document().to_html()


def _fresh(optimizer, hyperparameters: dict) -> Optimizer:
    """A new, unbound optimizer like ``optimizer`` (a name, an instance or a class)."""
    if isinstance(optimizer, Optimizer):
        if hyperparameters:
            raise TypeError(
                "give hyperparameters to the optimizer itself, or pass its name with them, not both"
            )
        return type(optimizer)(convention=optimizer.convention, **optimizer.defaults)
    if isinstance(optimizer, type) and issubclass(optimizer, Optimizer):
        return optimizer(**hyperparameters)
    return type(get_optimizer(optimizer))(**hyperparameters)


def optimizer_table(optimizer, gradients, w0: float = 0.0, **hyperparameters) -> OptimizerTable:
    """Run ``optimizer`` on one weight w (starting at ``w0``) with the given gradients, one per step, and
    tabulate its state and effective learning rate after each step.

    Args:
        optimizer: an optimizer (``optim.Adam(lr=0.1)``: a fresh copy with its settings runs, so the one
            given is not touched), its class, or its name ("adagrad") with ``hyperparameters``.
        gradients: the gradient g_t of each step t = 1, 2, ...
        w0: the weight's starting value.
        **hyperparameters: with a name or class: its hyperparameters (``lr=0.02, eps=1e-5``, and
            ``convention=``).

    Returns:
        An ``OptimizerTable``: print it, take a ``column(name)``, or ``to_document()``.

    Example:
        >>> table = optimizer_table("sgd", [1.0, 1.0, 1.0], lr=0.1, momentum=0.5)
        >>> table.columns
        ['t', 'g', 'momentum_buffer', 'lr_effective', 'w']
        >>> table.column("momentum_buffer").tolist()  # V = 0.5 V + 0.5 g, from V₀ = 0
        [0.5, 0.75, 0.875]
    """
    runner = _fresh(optimizer, hyperparameters)
    values = [float(g) for g in np.ravel(np.asarray(gradients, dtype=np.float64))]
    if not values:
        raise ValueError("optimizer_table needs at least one gradient")
    weight = Parameter(np.array([float(w0)], dtype=np.float64), name="w")
    runner.bind([weight])
    with record() as trace:
        for g in values:
            weight.grad = np.array([g])
            runner.step()
    steps = trace.steps_for(weight)
    state_names = [name for name in runner.state_names if any(name in step.state for step in steps)]
    derived = [name for name in steps[0].state if name not in runner.state_names and name != "lr_effective"]
    has_lr = "lr_effective" in steps[0].state
    columns = ["t", "g", *state_names, *derived, *(["lr_effective"] if has_lr else []), "w"]
    rows = []
    for step in steps:
        row = [float(step.step), float(np.ravel(step.grad)[0])]
        for name in columns[2:-1]:
            row.append(float(np.ravel(step.state[name])[0]) if name in step.state else float("nan"))
        row.append(float(np.ravel(step.value_after)[0]))
        rows.append(row)
    hyperparameters_used = {k: v for k, v in runner.param_groups[0].items() if k != "params"}
    return OptimizerTable(
        type(runner).__name__, runner.convention, hyperparameters_used, float(w0), columns, rows
    )
