"""check_finite and check_same_length: the messages users see for NaN and mismatched lengths."""

from __future__ import annotations

import numpy as np
import pytest

import glassnet as gn
from glassnet.data import check_finite, check_same_length


def test_nan_is_located_by_row_and_column():
    X = np.ones((4, 3))
    X[2, 1] = np.nan
    X[3, 0] = np.nan
    with pytest.raises(ValueError, match=r"X contains NaN at row 2, column 1 \(2 non-finite values in all\)"):
        check_finite(X)


def test_infinity_and_names_and_shapes():
    with pytest.raises(ValueError, match="y contains infinity at row 3 "):
        check_finite(np.array([0.0, 1.0, 2.0, -np.inf]), name="y")
    images = np.zeros((2, 2, 2), dtype=np.float32)
    images[1, 0, 1] = np.nan
    with pytest.raises(ValueError, match=r"row 1, position \(0, 1\)"):
        check_finite(images)
    with pytest.raises(ValueError, match="NaN at row 0, column 0"):
        check_finite(gn.tensor([[np.nan]]))


def test_finite_data_passes_through_unchanged():
    X = np.arange(6.0).reshape(3, 2)
    assert check_finite(X) is X
    labels = np.array([1, 2, 3])
    assert check_finite(labels) is labels  # integers cannot hold NaN


def test_same_length():
    assert check_same_length([np.zeros((5, 2)), np.zeros(5)], ["X", "y"]) == 5
    with pytest.raises(ValueError, match="X has 5, y has 4"):
        check_same_length([np.zeros((5, 2)), np.zeros(4)], ["X", "y"])
    with pytest.raises(ValueError, match="scalar"):
        check_same_length([np.zeros(5), np.float64(1.0)], ["X", "y"])
