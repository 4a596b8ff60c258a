"""``train_test_split``: hold out part of a data set for testing, optionally keeping class proportions;
``random_split``: a ``Dataset`` cut at random into parts (PyTorch's function)."""

from __future__ import annotations

import math

import numpy as np

from glassnet.backend import get_rng
from glassnet.data.validation import as_array, check_same_length

__all__ = ["train_test_split", "random_split", "Subset"]


class Subset:
    """The samples ``indices`` of ``dataset``, in that order (PyTorch's ``torch.utils.data.Subset``)."""

    def __init__(self, dataset, indices):
        self.dataset, self.indices = dataset, [int(i) for i in indices]

    def __len__(self) -> int:
        return len(self.indices)

    def __getitem__(self, index):
        return self.dataset[self.indices[index]]

    def __repr__(self) -> str:
        return f"Subset({len(self.indices)} of {self.dataset!r})"


def random_split(dataset, lengths, seed=None) -> list:
    """``dataset`` cut into ``len(lengths)`` ``Subset``s of a random permutation, as PyTorch's
    ``random_split``: ``lengths`` are counts that add up to ``len(dataset)``, or fractions that add up to 1,
    each floored to floor(f·n) samples and the remainder handed out one at a time to the parts in order.

    Args:
        dataset: anything with ``len`` and ``[i]`` (a ``TensorDataset``, a ``Dataset``).
        lengths: counts or fractions.
        seed: draw the permutation from ``np.random.default_rng(seed)``; None: from the generator seeded
            by ``gn.manual_seed``.

    Example:
        >>> parts = random_split(list(range(10)), [0.5, 0.3, 0.2], seed=0)
        >>> [len(part) for part in parts], sorted(i for part in parts for i in part.indices)
        ([5, 3, 2], [0, 1, 2, 3, 4, 5, 6, 7, 8, 9])
    """
    n = len(dataset)
    lengths = list(lengths)
    if lengths and all(isinstance(f, float) for f in lengths) and math.isclose(sum(lengths), 1.0):
        if any(not 0 <= f <= 1 for f in lengths):
            raise ValueError(f"random_split: fractions must be in [0, 1], got {lengths}")
        counts = [math.floor(n * f) for f in lengths]
        for k in range(n - sum(counts)):  # PyTorch: the remainder, one by one, round-robin
            counts[k % len(counts)] += 1
        lengths = counts
    if any(isinstance(x, bool) or not isinstance(x, (int, np.integer)) or x < 0 for x in lengths):
        raise ValueError(
            f"random_split: lengths must be counts >= 0 or fractions that add up to 1, got {lengths}"
        )
    if sum(lengths) != n:
        raise ValueError(
            f"random_split: the lengths {lengths} add up to {sum(lengths)}, the dataset has {n} samples"
        )
    rng = get_rng() if seed is None else np.random.default_rng(seed)
    order = rng.permutation(n)
    ends = np.cumsum(lengths)
    return [Subset(dataset, order[end - length : end]) for length, end in zip(lengths, ends)]


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
