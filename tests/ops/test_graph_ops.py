"""The rules of the message-passing ops that the op table does not reach: ties in scatter_max, empty
segments, a segment index out of range, and the softmax's sums of 1 per node."""

import numpy as np
import pytest

import glassnet as gn
from glassnet.ops import graph


def test_scatter_max_splits_the_gradient_between_ties_and_leaves_empty_rows_zero():
    src = gn.tensor([[1.0], [3.0], [3.0], [2.0]], requires_grad=True)
    out = graph.scatter_max(src, np.array([0, 0, 0, 2]), 3)
    np.testing.assert_array_equal(out.data, [[3.0], [0.0], [2.0]])
    out.backward(np.array([[4.0], [5.0], [6.0]]))
    np.testing.assert_array_equal(src.grad, [[0.0], [2.0], [2.0], [6.0]])


def test_scatter_mean_of_an_empty_segment_is_zero():
    out = graph.scatter_mean(gn.tensor([[2.0], [4.0]]), np.array([1, 1]), 3)
    np.testing.assert_array_equal(out.data, [[0.0], [3.0], [0.0]])


def test_segment_softmax_sums_to_one_per_target_even_for_huge_scores():
    alpha = graph.segment_softmax(gn.Tensor(np.array([1000.0, 1001.0, -5.0])), np.array([1, 1, 0]), 2)
    np.testing.assert_allclose(alpha.data, [1 / (1 + np.e), np.e / (1 + np.e), 1.0], rtol=1e-15)


@pytest.mark.parametrize("index, message", [
    (np.array([0, 3]), r"must lie in \[0, 3\), got values from 0 to 3"),
    (np.array([-1, 0]), r"must lie in \[0, 3\), got values from -1 to 0"),
    (np.array([[0, 1]]), "must be a 1-D integer array"),
])
def test_a_bad_segment_index_is_refused_in_one_line(index, message):
    with pytest.raises(ValueError, match=message):
        graph.scatter_sum(gn.tensor(np.ones((index.size, 2))), index, 3)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize(
    "shape", [(50,), (50, 3), (50, 2, 4), (0, 3), (50, 64), (50, 2, 40), (0, 70)], ids=str
)
def test_segment_sum_is_add_at_in_the_values_dtype(dtype, shape):
    # narrow rows by one bincount per column; few rows of 64 values and more, or more segments than rows
    # (below: 50 rows into 9 segments; the last case, into 60), sorted by segment
    from glassnet.ops._util import segment_sum

    rng = np.random.default_rng(0)
    values = rng.standard_normal(shape).astype(dtype)
    index = rng.integers(0, 7, shape[0])
    index[index == 3] = 4  # segment 3 stays empty
    expected = np.zeros((9,) + shape[1:])
    np.add.at(expected, index, values.astype(np.float64))
    out = segment_sum(values, index, 9)
    assert out.dtype == dtype and out.shape == (9,) + shape[1:]
    tolerance = 1e-6 if dtype == np.float32 else 1e-14
    np.testing.assert_allclose(out, expected, rtol=tolerance, atol=1e-6)
    assert not out[3].any() and not out[7:].any()
    many = segment_sum(values, index * 7, 60)  # more segments than rows
    np.testing.assert_allclose(many[::7][:7], expected[:7], rtol=tolerance, atol=1e-6)
    assert not np.delete(many, np.arange(0, 60, 7), axis=0).any()


def test_segments_sort_only_when_a_max_is_asked_for():
    segments = graph.Segments(np.array([2, 0, 2]), 3)
    segments.sum(np.ones((3, 1)))
    assert "_sorted" not in vars(segments)  # sums need no sort
    np.testing.assert_array_equal(segments.reduce(np.maximum, np.array([[1.0], [5.0], [3.0]])),
                                  [[5.0], [0.0], [3.0]])
    assert "_sorted" in vars(segments)
