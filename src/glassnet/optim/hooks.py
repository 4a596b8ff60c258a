"""Step listeners: how the explain layer sees every parameter update an optimizer makes.

A module-level list of listeners, empty by default. While it is empty, ``Optimizer.step()`` pays one
``if`` per step and nothing else. While it holds listeners, ``step()`` calls each of them once per
parameter update with a :class:`StepRecord` (copies, so a listener may keep them).

The explain layer registers itself here; optim never imports explain, so the arrow of imports still
points down.

Example:
    >>> records = []
    >>> with step_listener(records.append):
    ...     pass  # opt.step() here appends one StepRecord per updated parameter
    >>> records
    []
"""

from __future__ import annotations

from contextlib import contextmanager
from dataclasses import dataclass

__all__ = ["StepRecord", "add_step_listener", "remove_step_listener", "step_listener"]

# Read by Optimizer.step(): an empty list means "nobody is listening", so no copies are made.
_step_listeners: list = []


@dataclass(frozen=True)
class StepRecord:
    """One parameter update, as an optimizer made it.

    Attributes:
        optimizer: the optimizer's class name, e.g. ``"Adam"``.
        convention: ``"notes"``, ``"pytorch"`` or ``"keras"``.
        param: the parameter object itself (not a copy).
        step: this parameter's step count t after the update (1 for the first update).
        hyperparameters: the parameter group's hyperparameters used for this update (``lr``, ...).
        value_before: copy of ``param.data`` before the update.
        grad: copy of ``param.grad`` as the optimizer read it (before any weight decay).
        state: copies of the optimizer's state arrays after the update (``momentum_buffer``, ``sum_sq``,
            ``exp_avg`` ...) plus derived quantities where meaningful (``lr_effective``,
            ``bias_correction1`` ...); each optimizer's docstring lists its names.
        value_after: copy of ``param.data`` after the update.
    """

    optimizer: str
    convention: str
    param: object
    step: int
    hyperparameters: dict
    value_before: object
    grad: object
    state: dict
    value_after: object


def add_step_listener(listener):
    """Call ``listener(record)`` for every parameter update from now on; returns ``listener``."""
    if not callable(listener):
        raise TypeError(f"a step listener must be callable, got {listener!r}")
    _step_listeners.append(listener)
    return listener


def remove_step_listener(listener) -> None:
    """Stop calling ``listener``; a ``ValueError`` says so if it was not registered."""
    try:
        _step_listeners.remove(listener)
    except ValueError:
        raise ValueError(f"{listener!r} is not a registered step listener") from None


@contextmanager
def step_listener(listener):
    """Register ``listener`` for the duration of a ``with`` block."""
    add_step_listener(listener)
    try:
        yield listener
    finally:
        remove_step_listener(listener)
