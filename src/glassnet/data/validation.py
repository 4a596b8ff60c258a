"""Checks at the data layer's edge: finite values, matching lengths, arrays out of tensors.

The loaders, the scalers and the fit loop call these, so that a NaN or a length mismatch is reported once,
in the same words, where it enters glassnet.
"""

from __future__ import annotations

import numpy as np

from glassnet.autograd import Tensor
from glassnet.backend import get_array_module

__all__ = ["check_finite", "check_same_length", "as_array"]


def as_array(data):
    """The array inside ``data``: a tensor's ``.data``, an array as is, a list or scalar as a NumPy array."""
    if isinstance(data, Tensor):
        return data.data
    if hasattr(data, "__array__") or hasattr(data, "__cuda_array_interface__"):
        return data
    return np.asarray(data)


def check_finite(X, name: str = "X"):
    """Raise a ``ValueError`` at the first NaN or infinity in ``X``, naming its row (and column).

    Integer and boolean arrays cannot hold NaN and pass unchecked.

    Args:
        X: an array or tensor; its first axis counts the samples (rows).
        name: what to call ``X`` in the message (``"X"``, ``"y"``, ``"X passed to fit"``).

    Returns:
        ``X`` itself, unchanged, when every value is finite.

    Example:
        >>> check_finite(np.array([[1.0, 2.0], [3.0, np.nan]]))
        Traceback (most recent call last):
        ...
        ValueError: X contains NaN at row 1, column 1 (1 non-finite value in all); ...
    """
    data = as_array(X)
    if data.dtype.kind not in "fc":
        return X
    xp = get_array_module(data)
    # Fast path without a full-size temporary: a float64 sum is finite exactly when every value is (NaN and
    # infinities propagate; float32 data cannot overflow a float64 sum). Only a non-finite sum (or float64
    # data so large that its sum overflows) takes the element-wise look below.
    if data.dtype.kind == "f" and bool(xp.isfinite(data.sum(dtype=xp.float64))):
        return X
    finite = xp.isfinite(data)
    if bool(finite.all()):
        return X
    bad = xp.argwhere(~finite)
    first = tuple(int(i) for i in bad[0])
    value = complex(data[first]) if data.dtype.kind == "c" else float(data[first])
    if value != value:  # NaN is the one value not equal to itself
        what, hint = "NaN", "drop those samples or fill the missing values (with the column's mean, say)"
    else:
        what, hint = "infinity", "look for an overflow or a division by zero where the data was made"
    if len(first) == 0:
        where = "its only element"
    elif len(first) == 1:
        where = f"row {first[0]}"
    elif len(first) == 2:
        where = f"row {first[0]}, column {first[1]}"
    else:
        where = f"row {first[0]}, position {first[1:]}"
    count = len(bad)
    plural = "value" if count == 1 else "values"
    raise ValueError(f"{name} contains {what} at {where} ({count} non-finite {plural} in all); {hint}")


def check_same_length(arrays, names) -> int:
    """The common first length of ``arrays``; a ``ValueError`` naming both when two differ.

    Example:
        >>> check_same_length([np.zeros((3, 2)), np.zeros(2)], ["X", "y"])
        Traceback (most recent call last):
        ...
        ValueError: X and y must have the same number of samples (first dimension): X has 3, y has 2
    """
    lengths = []
    for array, name in zip(arrays, names):
        if array.ndim == 0:
            raise ValueError(f"{name} must have a first dimension (one entry per sample), got a scalar")
        lengths.append(array.shape[0])
    for length, name in zip(lengths[1:], names[1:]):
        if length != lengths[0]:
            raise ValueError(
                f"{names[0]} and {name} must have the same number of samples (first dimension): "
                f"{names[0]} has {lengths[0]}, {name} has {length}"
            )
    return lengths[0] if lengths else 0
