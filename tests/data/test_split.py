"""train_test_split: sizes, disjoint parts, seeded shuffling and stratification."""

from __future__ import annotations

import numpy as np
import pytest

import glassnet as gn
from glassnet.data import train_test_split


def data(n=10):
    y = np.arange(n)
    return np.column_stack([y, 10 * y]), y


def test_sizes_and_alignment():
    X, y = data(10)
    X_train, X_test, y_train, y_test = train_test_split(X, y, test_size=0.25)
    assert len(y_test) == 3 and len(y_train) == 7  # ceil(2.5)
    assert sorted(np.concatenate([y_train, y_test]).tolist()) == list(range(10))
    np.testing.assert_array_equal(X_train[:, 0], y_train)
    np.testing.assert_array_equal(X_test[:, 1], 10 * y_test)


def test_shuffled_from_the_seed():
    X, y = data(10)
    gn.manual_seed(0)
    _, _, y_train, y_test = train_test_split(X, y, test_size=2)
    order = np.random.default_rng(0).permutation(10)
    np.testing.assert_array_equal(y_train, order[:8])
    np.testing.assert_array_equal(y_test, order[8:])


def test_without_shuffle_the_test_part_is_the_end():
    X, y = data(10)
    _, _, y_train, y_test = train_test_split(X, y, test_size=0.3, shuffle=False)
    assert y_train.tolist() == list(range(7)) and y_test.tolist() == [7, 8, 9]


def test_stratified_split_keeps_class_proportions():
    y = np.array([0] * 90 + [1] * 10)
    X = np.arange(100)[:, None]
    X_train, X_test, y_train, y_test = train_test_split(X, y, test_size=0.2, stratify=y)
    assert np.bincount(y_test).tolist() == [18, 2]
    assert np.bincount(y_train).tolist() == [72, 8]
    np.testing.assert_array_equal(y[X_test[:, 0]], y_test)
    assert set(X_train[:, 0]).isdisjoint(X_test[:, 0])
    y3 = np.repeat([0, 1, 2], [5, 5, 5])
    _, _, _, y_test3 = train_test_split(np.zeros((15, 1)), y3, test_size=4, stratify=y3)
    assert len(y_test3) == 4 and sorted(np.bincount(y_test3, minlength=3).tolist()) == [1, 1, 2]


def test_errors():
    X, y = data(10)
    with pytest.raises(ValueError, match="X has 10, y has 9"):
        train_test_split(X, y[:9])
    for size in (0, 10, 1.0, 0.0, -0.5):
        with pytest.raises(ValueError, match="test_size"):
            train_test_split(X, y, test_size=size)
    with pytest.raises(ValueError, match="stratify needs shuffle=True"):
        train_test_split(X, y, shuffle=False, stratify=y)
