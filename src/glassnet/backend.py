"""The backend: which array module runs the numbers, the default dtype, and the seeded generator.

Ops never import NumPy for array math directly: they ask ``get_array_module(*arrays)`` for the module of
their inputs (chainer's ``xp`` idiom), so that CuPy arrays run through the same code later.
"""

from __future__ import annotations

import contextlib

import numpy as np

__all__ = [
    "get_array_module",
    "errstate",
    "get_default_dtype",
    "set_default_dtype",
    "manual_seed",
    "get_rng",
    "as_dtype",
]

_FLOAT_DTYPES = {"float32": np.float32, "float64": np.float64}
_default_dtype = np.dtype(np.float32)
_rng = np.random.default_rng()


def get_array_module(*arrays):
    """Return the array module (``numpy``, or ``cupy`` for GPU arrays) that the given arrays live in.

    Example:
        >>> get_array_module(np.zeros(2)).__name__
        'numpy'
    """
    for array in arrays:
        module = type(array).__module__
        if module.startswith("cupy"):
            import cupy  # noqa: PLC0415 - optional GPU backend, imported only when its arrays appear

            return cupy
    return np


def errstate(xp, **actions):
    """NumPy's ``errstate(**actions)`` for ``xp`` = numpy (e.g. ``over="ignore"`` where an overflow to inf
    is the right answer); a no-op for array modules without floating-point warnings (CuPy)."""
    with_errstate = getattr(xp, "errstate", None)
    return contextlib.nullcontext() if with_errstate is None else with_errstate(**actions)


def as_dtype(dtype) -> np.dtype:
    """A NumPy float dtype from ``"float32"``, ``"float64"`` or ``np.float32``; other dtypes are refused."""
    name = np.dtype(dtype).name if not isinstance(dtype, str) else dtype
    if name not in _FLOAT_DTYPES:
        raise ValueError(f"dtype must be one of {sorted(_FLOAT_DTYPES)}, got {dtype!r}")
    return np.dtype(_FLOAT_DTYPES[name])


def get_default_dtype() -> np.dtype:
    """The float dtype new tensors and parameters get: float32 unless ``set_default_dtype`` changed it."""
    return _default_dtype


def set_default_dtype(dtype) -> None:
    """Set the default float dtype: ``"float32"`` for speed, ``"float64"`` for exact checks and examples.

    Example:
        >>> set_default_dtype("float64"); get_default_dtype().name
        'float64'
        >>> set_default_dtype("float32")
    """
    global _default_dtype
    _default_dtype = as_dtype(dtype)


def manual_seed(seed: int) -> np.random.Generator:
    """Seed glassnet's one random generator, so that a seeded run repeats exactly.

    Every random draw in glassnet (initializers, dropout masks, RReLU slopes, shuffling) comes from this
    generator, never from NumPy's global state.
    """
    global _rng
    if not isinstance(seed, (int, np.integer)) or isinstance(seed, bool):
        raise TypeError(f"manual_seed expects an integer seed, got {seed!r}")
    _rng = np.random.default_rng(int(seed))
    return _rng


def get_rng() -> np.random.Generator:
    """The generator set by ``manual_seed`` (a fresh unseeded one before any call)."""
    return _rng
