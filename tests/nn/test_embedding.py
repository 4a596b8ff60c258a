"""Embedding: lookup values, gradient rows that add up, the mask it hands on, and bad ids."""

import numpy as np
import pytest

from glassnet import nn


def test_embedding_gradient_rows_add_up_for_repeated_tokens():
    layer = nn.Embedding(5, 2, dtype="float64")
    out = layer(np.array([[1, 3, 1, 1]]))
    out.backward(np.ones((1, 4, 2)))
    np.testing.assert_array_equal(layer.weight.grad, [[0, 0], [3, 3], [0, 0], [1, 1], [0, 0]])
    np.testing.assert_array_equal(out.data[0, 0], layer.weight.data[1])


def test_embedding_refuses_ids_out_of_range_and_non_integers():
    layer = nn.Embedding(10, 3, name="tokens")
    with pytest.raises(
        ValueError,
        match=r"Embedding 'tokens' got token ids in \[0, 12\] \(input shape \(1, 3\)\), "
        r"but vocab_size is 10: ids must be in \[0, 10\)",
    ):
        layer(np.array([[0, 12, 3]]))
    with pytest.raises(TypeError, match="expects integer token ids"):
        layer(np.array([[0.5, 1.0]]))
    np.testing.assert_array_equal(layer(np.array([[2.0, 1.0]])).data, layer(np.array([[2, 1]])).data)


def test_mask_zero_marks_padding_and_no_mask_without_it():
    ids = np.array([[0, 3, 0, 2]])
    np.testing.assert_array_equal(
        nn.Embedding(5, 2, mask_zero=True).compute_mask(ids), [[False, True, False, True]]
    )
    assert nn.Embedding(5, 2).compute_mask(ids) is None
    assert nn.Embedding(5, 2).compute_output_shape((None, 4)) == (None, 4, 2)
