"""``train_test_split``: hold out part of a data set for testing, optionally keeping class proportions."""

from __future__ import annotations

import math

import numpy as np

from glassnet.backend import get_rng
from glassnet.data.validation import as_array, check_same_length

__all__ = ["train_test_split"]


def train_test_split(X, y, test_size=0.2, shuffle: bool = True, stratify=None):
    """Split ``X`` and ``y`` into a training and a test part, as scikit-learn's function of that name.

    Args:
        X, y: arrays of equal first length (samples).
        test_size: the test part, as a fraction in (0, 1) (rounded up to whole samples) or a count.
        shuffle: draw the test samples at random from glassnet's seeded generator; without it the test
            part is the last ``test_size`` samples, in order.
        stratify: class labels (usually ``y``) whose proportions both parts keep, to within one sample
            per class; needs ``shuffle=True``.

    Returns:
        ``X_train, X_test, y_train, y_test``.

    Example:
        >>> X, y = np.arange(10).reshape(5, 2), np.arange(5)
        >>> X_train, X_test, y_train, y_test = train_test_split(X, y, test_size=2, shuffle=False)
        >>> y_train.tolist(), y_test.tolist()
        ([0, 1, 2], [3, 4])
    """
    X, y = as_array(X), as_array(y)
    arrays, names = [X, y], ["X", "y"]
    if stratify is not None:
        stratify = np.asarray(as_array(stratify))
        arrays.append(stratify)
        names.append("stratify")
    samples = check_same_length(arrays, names)
    tests = _test_count(test_size, samples)
    if stratify is None:
        order = get_rng().permutation(samples) if shuffle else np.arange(samples)
        train_index, test_index = order[: samples - tests], order[samples - tests :]
    elif not shuffle:
        raise ValueError("stratify needs shuffle=True (a stratified split draws samples at random)")
    else:
        train_index, test_index = _stratified(stratify, tests)
    return X[train_index], X[test_index], y[train_index], y[test_index]


def _test_count(test_size, samples: int) -> int:
    if isinstance(test_size, bool):
        raise TypeError(f"test_size must be a fraction in (0, 1) or a count, got {test_size!r}")
    if isinstance(test_size, (int, np.integer)):
        tests = int(test_size)
    elif isinstance(test_size, (float, np.floating)) and 0 < test_size < 1:
        tests = math.ceil(test_size * samples)
    else:
        raise ValueError(f"test_size must be a fraction in (0, 1) or a count, got {test_size!r}")
    if not 1 <= tests <= samples - 1:
        raise ValueError(
            f"test_size={test_size!r} leaves {tests} test and {samples - tests} training samples out of "
            f"{samples}; both parts need at least one"
        )
    return tests


def _stratified(labels, tests: int):
    """Per class, ``round(count * tests / samples)`` test samples (largest remainders take the rest)."""
    rng = get_rng()
    classes, inverse, counts = np.unique(labels, return_inverse=True, return_counts=True)
    exact = counts * tests / counts.sum()
    per_class = np.floor(exact).astype(np.int64)
    leftover = tests - int(per_class.sum())
    per_class[np.argsort(-(exact - per_class), kind="stable")[:leftover]] += 1
    train_parts, test_parts = [], []
    for k in range(len(classes)):
        members = rng.permutation(np.flatnonzero(inverse.ravel() == k))
        test_parts.append(members[: per_class[k]])
        train_parts.append(members[per_class[k] :])
    train_index = rng.permutation(np.concatenate(train_parts))
    test_index = rng.permutation(np.concatenate(test_parts))
    return train_index, test_index
