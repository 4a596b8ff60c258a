"""row_sums: the last axis summed by a matrix-vector product where that is faster, equal to NumPy's sum."""

import numpy as np
import pytest

from glassnet.ops._util import row_sums


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
