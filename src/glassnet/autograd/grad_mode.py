"""Switching gradient recording off and on: ``no_grad()`` and ``enable_grad()``."""

from __future__ import annotations

import contextlib

__all__ = ["no_grad", "enable_grad", "is_grad_enabled", "set_grad_enabled"]

_enabled = True


def is_grad_enabled() -> bool:
    """True when ops record the graph that ``backward()`` walks."""
    return _enabled


@contextlib.contextmanager
def set_grad_enabled(mode: bool):
    """Record the graph (``True``) or not (``False``) inside the block; the previous mode comes back after."""
    global _enabled
    previous, _enabled = _enabled, bool(mode)
    try:
        yield
    finally:
        _enabled = previous


def no_grad():
    """Run the block without recording a graph: for inference and for in-place parameter updates.

    Example:
        >>> import glassnet as gn
        >>> x = gn.tensor([1.0], requires_grad=True)
        >>> with gn.no_grad():
        ...     y = x * 2
        >>> y.requires_grad
        False
    """
    return set_grad_enabled(False)


def enable_grad():
    """Record the graph inside the block even where an outer ``no_grad()`` turned it off."""
    return set_grad_enabled(True)
