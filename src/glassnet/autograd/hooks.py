"""Listeners on every op: how the explain layer records a computation without the engine knowing it.

The registry is empty by default, and then the engine pays one truthiness test per op. A listener is any
object with two methods:

- ``on_forward(fn, inputs, output)``: an op ``fn`` (a ``Function``) ran on ``inputs`` and made ``output``
  (a tuple of tensors, in ``fn.output_names`` order, for an op with several outputs);
- ``on_backward(fn, grad_output, input_grads)``: the backward of ``fn`` turned the upstream gradient
  ``grad_output`` (a dict by output name for an op with several outputs, None for an output that no path
  reached) into a tuple of one gradient per
  input (``None`` where none was needed). It is called once per op and backward pass.

Explain registers itself here, so the import arrow still points down (explain -> autograd).
"""

from __future__ import annotations

import contextlib

__all__ = ["listeners", "listening"]

listeners: list = []


@contextlib.contextmanager
def listening(listener):
    """Register ``listener`` for the duration of the block."""
    listeners.append(listener)
    try:
        yield listener
    finally:
        listeners.remove(listener)
