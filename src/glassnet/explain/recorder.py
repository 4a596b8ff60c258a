"""Recording a computation: every op's inputs, output, local derivative and upstream gradient, and every
optimizer update, while a ``with record() as trace:`` block runs.

The engine and the optimizers call listeners that live with them (``glassnet.autograd.hooks`` and
``glassnet.optim.hooks``); outside a ``record()`` block the lists are empty and recording costs one
truthiness test per op and per step. Values are copied when recorded, so later in-place updates (an
optimizer step) do not change what the trace shows.

Example:
    >>> import glassnet as gn
    >>> x = gn.tensor([2.0], dtype="float64", requires_grad=True)
    >>> with record() as trace:
    ...     y = (x * x).sigmoid()
    ...     y.backward()
    >>> [op.name for op in trace.ops]
    ['mul', 'sigmoid']
    >>> round(trace.ops[1].grad_input[0].item(), 6)  # dL/d(x*x) = σ'(4) · 1
    0.017663
"""

from __future__ import annotations

import contextlib
from dataclasses import dataclass, field

import numpy as np

from glassnet.autograd import hooks as autograd_hooks
from glassnet.autograd.tensor import Tensor
from glassnet.optim import hooks as optim_hooks

__all__ = ["OpRecord", "Trace", "record"]


def _copy(value):
    if isinstance(value, Tensor):
        return np.array(value.data, copy=True)
    if isinstance(value, np.ndarray):
        return value.copy()
    return value


def _sum(recorded, grad):
    """A copy of ``grad`` (an array, or a dict by output name), added to what was recorded before."""
    if isinstance(grad, dict):
        return {name: _sum(None if recorded is None else recorded[name], g) for name, g in grad.items()}
    if grad is None or recorded is None:
        return _copy(grad) if recorded is None else recorded
    return recorded + grad


@dataclass
class OpRecord:
    """One op as it ran: its name, formula and local derivative (text), hyperparameters, input and output
    values; after backward, the upstream gradient dL/d(output) and the gradient it passed to each input.

    For an op with several outputs (``function.output_names``), ``output`` and ``output_tensor`` are
    tuples in that order and ``grad_output`` a dict by output name (None for an output no path reached)."""

    index: int
    name: str
    formula: str
    derivative: str
    params: dict
    inputs: list
    output: np.ndarray
    function: object = field(repr=False)
    output_tensor: object = field(repr=False)
    input_tensors: list = field(repr=False)
    grad_output: np.ndarray | None = None
    grad_input: list | None = None

    def local_derivative(self, position: int = 0):
        """d(output)/d(input) element-wise, where the op is element-wise: gradient passed / upstream
        gradient (defined where the upstream gradient is non-zero)."""
        if self.grad_output is None or self.grad_input is None or self.grad_input[position] is None:
            raise ValueError(f"op {self.name} has no recorded backward pass")
        with np.errstate(divide="ignore", invalid="ignore"):
            return np.asarray(self.grad_input[position]) / self.grad_output


@dataclass
class Trace:
    """What a ``record()`` block saw: ``ops`` in the order they ran, ``steps`` (optimizer updates)."""

    ops: list = field(default_factory=list)
    steps: list = field(default_factory=list)

    def op_for(self, tensor) -> OpRecord | None:
        """The record of the op that produced ``tensor`` (None for a leaf or an op outside the block)."""
        for op in self.ops:
            outputs = op.output_tensor if isinstance(op.output_tensor, tuple) else (op.output_tensor,)
            if any(out is tensor for out in outputs):
                return op
        return None

    def steps_for(self, parameter) -> list:
        """The optimizer updates of ``parameter``, in order."""
        return [step for step in self.steps if step.param is parameter]

    def __len__(self) -> int:
        return len(self.ops)


class _Listener:
    """Receives the engine's and the optimizers' calls and fills a ``Trace``."""

    def __init__(self, trace: Trace):
        self.trace = trace
        self._by_function = {}

    def on_forward(self, fn, inputs, output) -> None:
        op = OpRecord(
            index=len(self.trace.ops),
            name=fn.name,
            formula=fn.formula.text(),
            derivative=fn.derivative.text(),
            params=dict(fn.params),
            inputs=[_copy(x) for x in inputs],
            output=tuple(_copy(out) for out in output) if isinstance(output, tuple) else _copy(output),
            function=fn,
            output_tensor=output,
            input_tensors=list(inputs),
        )
        self.trace.ops.append(op)
        self._by_function[id(fn)] = op

    def on_backward(self, fn, grad_output, input_grads) -> None:
        op = self._by_function.get(id(fn))
        if op is None:
            return
        op.grad_output = _sum(op.grad_output, grad_output)  # summed over backward passes (retain_graph)
        op.grad_input = [_copy(g) for g in input_grads]

    def on_step(self, record) -> None:
        self.trace.steps.append(record)


@contextlib.contextmanager
def record():
    """Record every op and optimizer update run inside the block; yields the ``Trace``."""
    trace = Trace()
    listener = _Listener(trace)
    autograd_hooks.listeners.append(listener)
    optim_hooks.add_step_listener(listener.on_step)
    try:
        yield trace
    finally:
        autograd_hooks.listeners.remove(listener)
        optim_hooks.remove_step_listener(listener.on_step)
