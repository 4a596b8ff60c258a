"""row_sums, leading_sums and sums_over: the last axis, the leading ones, or all but one, summed by
matrix-vector products where that is faster, equal to NumPy's sum."""

import numpy as np
import pytest

from glassnet.ops._util import leading_sums, row_sums, sums_over


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_row_sums_equal_numpys_sum(dtype):
    rng = np.random.default_rng(0)
    a = rng.standard_normal((3, 4, 5, 64)).astype(dtype)
    tolerance = 1e-5 if dtype == np.float32 else 1e-12
    expected = a.sum(axis=-1, keepdims=True)
    got = row_sums(a)
    assert got.shape == (3, 4, 5, 1) and got.dtype == dtype
    np.testing.assert_allclose(got, expected, rtol=tolerance, atol=tolerance)
    strided = a[..., ::2]  # not contiguous: NumPy's own sum
    np.testing.assert_array_equal(row_sums(strided), strided.sum(axis=-1, keepdims=True))
    np.testing.assert_array_equal(row_sums(np.zeros((0, 7), dtype)), np.zeros((0, 1), dtype))
    integers = np.arange(12).reshape(3, 4)
    np.testing.assert_array_equal(row_sums(integers), [[6], [22], [38]])


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("axes", [0, 1, 2, 3])
def test_leading_sums_equal_numpys_sum(dtype, axes):
    rng = np.random.default_rng(1)
    a = rng.standard_normal((6, 5, 4, 3)).astype(dtype)
    tolerance = 1e-5 if dtype == np.float32 else 1e-12
    expected = a.sum(axis=tuple(range(axes)))
    got = leading_sums(a, axes)
    assert got.shape == a.shape[axes:] and got.dtype == dtype
    np.testing.assert_allclose(got, expected, rtol=tolerance, atol=tolerance)
    strided = a[:, ::2]  # not contiguous: NumPy's own sum
    np.testing.assert_array_equal(leading_sums(strided, axes), strided.sum(axis=tuple(range(axes))))


def test_leading_sums_of_empty_and_integer_arrays_and_a_wrong_count():
    np.testing.assert_array_equal(leading_sums(np.zeros((0, 3))), np.zeros(3))
    np.testing.assert_array_equal(leading_sums(np.arange(6).reshape(2, 3)), [3, 5, 7])
    with pytest.raises(ValueError, match=r"cannot sum the first 3 axes of an array of shape \(2, 3\)"):
        leading_sums(np.zeros((2, 3)), 3)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize(
    "axes", [(0, 2, 3), (0, 1, 2), (1, 2, 3), (0, 2), (-4, -2, -1), (0,), (1, 3)], ids=str
)
def test_sums_over_equal_numpys_sum(dtype, axes):
    # all axes but one by two products ((0, 2, 3): BatchNorm's channels), any other choice by NumPy
    rng = np.random.default_rng(2)
    a = rng.standard_normal((5, 4, 3, 6)).astype(dtype)
    tolerance = 1e-5 if dtype == np.float32 else 1e-12
    expected = a.sum(axis=axes, keepdims=True)
    got = sums_over(a, axes)
    assert got.shape == expected.shape and got.dtype == dtype
    np.testing.assert_allclose(got, expected, rtol=tolerance, atol=tolerance)
    strided = a[:, ::2]
    np.testing.assert_array_equal(sums_over(strided, axes), strided.sum(axis=axes, keepdims=True))
