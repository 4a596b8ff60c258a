"""The backend: which array module runs the numbers, the default dtype, the seeded generator, and how
freed memory is kept.

Ops never import NumPy for array math directly: they ask ``get_array_module(*arrays)`` for the module of
their inputs (chainer's ``xp`` idiom), so that CuPy arrays run through the same code later.
"""

from __future__ import annotations

import contextlib
import ctypes
import os
import sys

import numpy as np

__all__ = [
    "get_array_module",
    "errstate",
    "get_default_dtype",
    "set_default_dtype",
    "manual_seed",
    "get_rng",
    "fork_rng",
    "as_dtype",
    "keep_freed_memory",
    "get_num_threads",
    "set_num_threads",
    "num_threads",
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


@contextlib.contextmanager
def fork_rng(seed: int):
    """Inside the block, glassnet's generator is a fresh one seeded with ``seed``; after it, the one before
    continues where it was. A ``DataLoader`` augments each batch in this way, so that a batch's draws do
    not depend on which process prepares it or on the batches before.

    Example:
        >>> with fork_rng(3): a = get_rng().random()
        >>> with fork_rng(3): b = get_rng().random()
        >>> a == b
        True
    """
    global _rng
    outer, _rng = _rng, np.random.default_rng(int(seed))
    try:
        yield _rng
    finally:
        _rng = outer


# --- threads ----------------------------------------------------------------------------------------------
def _threadpoolctl():
    try:
        import threadpoolctl  # noqa: PLC0415 - optional: the BLAS thread count at run time
    except ImportError:
        return None
    return threadpoolctl


def get_num_threads() -> int:
    """The threads NumPy's BLAS (OpenBLAS, MKL, BLIS) uses for a product, as ``torch.get_num_threads()``
    gives PyTorch's; ``os.cpu_count()`` when threadpoolctl is not installed to ask."""
    threadpoolctl = _threadpoolctl()
    if threadpoolctl is None:
        return os.cpu_count() or 1
    pools = threadpoolctl.threadpool_info()
    counts = [pool["num_threads"] for pool in pools if pool.get("user_api") == "blas"]
    return max(counts) if counts else 1


def set_num_threads(count: int) -> None:
    """Use ``count`` threads in NumPy's BLAS from now on (``torch.set_num_threads``'s counterpart), through
    threadpoolctl (``pip install glassnet[threads]``). Setting ``OPENBLAS_NUM_THREADS`` before Python
    starts does the same without it."""
    if isinstance(count, bool) or not isinstance(count, (int, np.integer)) or count < 1:
        raise ValueError(f"set_num_threads: the thread count must be a whole number >= 1, got {count!r}")
    threadpoolctl = _threadpoolctl()
    if threadpoolctl is None:
        raise ImportError(
            "set_num_threads needs threadpoolctl: pip install 'glassnet[threads]' (or set "
            "OPENBLAS_NUM_THREADS before starting Python)"
        )
    threadpoolctl.threadpool_limits(limits=int(count), user_api="blas")


@contextlib.contextmanager
def num_threads(count: int):
    """Within the block, NumPy's BLAS uses at most ``count`` threads; the earlier count comes back after it.
    Without threadpoolctl the block runs unchanged (the count is a performance hint, never a result)."""
    threadpoolctl = _threadpoolctl()
    if threadpoolctl is None:
        yield
        return
    with threadpoolctl.threadpool_limits(limits=max(1, int(count)), user_api="blas"):
        yield


# --- memory -----------------------------------------------------------------------------------------------
_M_TRIM_THRESHOLD, _M_MMAP_THRESHOLD = -1, -3  # glibc's mallopt parameters (malloc.h)
MMAP_THRESHOLD_BYTES = 32 << 20  # the largest glibc accepts
TRIM_THRESHOLD_BYTES = 128 << 20


def keep_freed_memory() -> bool:
    """Ask glibc's malloc to keep freed memory for the next array instead of handing it back to the system:
    arrays up to 32 MB come from the heap, and up to 128 MB of free heap is kept. Returns whether it did.

    Why: a training step allocates and frees the same arrays every time (an LSTM's gates over 50 steps,
    6.5 MB). By default glibc returns freed memory to the system once more than about twice the largest
    recent array is free, and takes it back page by page at the next step, each page a fault that zeroes
    it: measured here, 2,500 faults and about a quarter of an LSTM training step, a third of its inference.
    PyTorch's own large tensors happen to raise glibc's thresholds far enough; glassnet's do not.

    Called once when glassnet is imported, on Linux with glibc only. It changes nothing where the user has
    set ``MALLOC_MMAP_THRESHOLD_`` or ``MALLOC_TRIM_THRESHOLD_`` (glibc's own switches), or set
    ``GLASSNET_KEEP_FREED_MEMORY=0``.
    """
    if os.environ.get("GLASSNET_KEEP_FREED_MEMORY", "1") == "0":
        return False
    if any(name in os.environ for name in ("MALLOC_MMAP_THRESHOLD_", "MALLOC_TRIM_THRESHOLD_")):
        return False
    if not sys.platform.startswith("linux") or not _glibc():
        return False
    try:
        mallopt = ctypes.CDLL("libc.so.6").mallopt
    except (OSError, AttributeError):
        return False
    mallopt.argtypes, mallopt.restype = (ctypes.c_int, ctypes.c_int), ctypes.c_int
    return bool(mallopt(_M_MMAP_THRESHOLD, MMAP_THRESHOLD_BYTES)) and bool(
        mallopt(_M_TRIM_THRESHOLD, TRIM_THRESHOLD_BYTES)
    )


def _glibc() -> bool:
    try:
        return os.confstr("CS_GNU_LIBC_VERSION").startswith("glibc")
    except (ValueError, OSError, AttributeError):
        return False


keep_freed_memory()
