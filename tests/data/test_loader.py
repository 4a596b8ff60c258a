"""Dataset, TensorDataset and DataLoader: batching, the last partial batch, shuffling from the seed."""

from __future__ import annotations

import numpy as np
import pytest

import glassnet as gn
from glassnet.data import DataLoader, Dataset, TensorDataset


def arrays(n=10):
    """X whose first column is 3 * y, so that a batch shows whether X and y stayed aligned."""
    X = np.arange(n * 3, dtype=np.float64).reshape(n, 3)
    y = np.arange(n)
    return X, y


def test_batches_in_order_with_the_last_partial_batch():
    X, y = arrays(10)
    loader = DataLoader((X, y), batch_size=4)
    batches = list(loader)
    assert len(loader) == 3
    assert [yb.tolist() for _, yb in batches] == [[0, 1, 2, 3], [4, 5, 6, 7], [8, 9]]
    for xb, yb in batches:
        assert isinstance(xb, gn.Tensor) and isinstance(yb, gn.Tensor)
        assert not xb.requires_grad
        assert xb.dtype == np.float64 and yb.dtype == y.dtype  # dtypes kept
        np.testing.assert_array_equal(xb.data, X[yb.data])
    np.testing.assert_array_equal(np.concatenate([xb.data for xb, _ in batches]), X)


def test_unshuffled_batches_are_views_of_the_arrays():
    X, y = arrays(10)
    xb, _ = next(iter(DataLoader((X, y), batch_size=4)))
    assert np.shares_memory(xb.data, X)


def test_drop_last_leaves_out_the_partial_batch():
    X, y = arrays(10)
    loader = DataLoader((X, y), batch_size=4, drop_last=True)
    assert len(loader) == 2
    assert [yb.tolist() for _, yb in loader] == [[0, 1, 2, 3], [4, 5, 6, 7]]
    exact = DataLoader((X, y), batch_size=5, drop_last=True)
    assert len(exact) == 2 and [len(yb) for _, yb in exact] == [5, 5]


def test_batch_larger_than_the_set():
    X, y = arrays(3)
    assert [yb.tolist() for _, yb in DataLoader((X, y), batch_size=8)] == [[0, 1, 2]]
    dropped = DataLoader((X, y), batch_size=8, drop_last=True)
    assert len(dropped) == 0 and list(dropped) == []


@pytest.mark.parametrize("full", ["full", None])
def test_full_batch_is_the_whole_set(full):
    X, y = arrays(10)
    loader = DataLoader((X, y), batch_size=full, drop_last=True)
    assert len(loader) == 1
    ((xb, yb),) = list(loader)
    np.testing.assert_array_equal(xb.data, X)
    np.testing.assert_array_equal(yb.data, y)


def test_batch_size_one_is_stochastic_gradient_descent():
    X, y = arrays(5)
    loader = DataLoader((X, y), batch_size=1)
    assert len(loader) == 5 and [yb.tolist() for _, yb in loader] == [[0], [1], [2], [3], [4]]


def test_shuffle_draws_from_the_seeded_generator_every_epoch():
    X, y = arrays(10)
    gn.manual_seed(0)
    loader = DataLoader((X, y), batch_size=4, shuffle=True)
    epoch1 = np.concatenate([yb.data for _, yb in loader])
    epoch2 = np.concatenate([yb.data for _, yb in loader])
    reference = np.random.default_rng(0)
    np.testing.assert_array_equal(epoch1, reference.permutation(10))
    np.testing.assert_array_equal(epoch2, reference.permutation(10))
    assert sorted(epoch1.tolist()) == list(range(10)) and not np.array_equal(epoch1, epoch2)
    for xb, yb in loader:  # rows stay aligned with their labels
        np.testing.assert_array_equal(xb.data[:, 0], 3 * yb.data)
    gn.manual_seed(0)
    again = np.concatenate([yb.data for _, yb in loader])
    np.testing.assert_array_equal(again, epoch1)  # a seeded run repeats


def test_the_order_is_drawn_when_the_epoch_starts():
    X, y = arrays(10)
    gn.manual_seed(3)
    loader = DataLoader((X, y), batch_size="full", shuffle=True)
    first, second = iter(loader), iter(loader)
    reference = np.random.default_rng(3)
    expected_first, expected_second = reference.permutation(10), reference.permutation(10)
    np.testing.assert_array_equal(next(second)[1].data, expected_second)
    np.testing.assert_array_equal(next(first)[1].data, expected_first)


def test_shuffling_leaves_numpy_global_state_alone():
    X, y = arrays(10)
    np.random.seed(123)
    before = np.random.get_state()[1].copy()
    list(DataLoader((X, y), batch_size=3, shuffle=True))
    np.testing.assert_array_equal(np.random.get_state()[1], before)


def test_mismatched_lengths_are_named():
    X, y = arrays(10)
    with pytest.raises(ValueError, match="X has 10, y has 9"):
        DataLoader((X, y[:9]))
    with pytest.raises(ValueError, match="X has 10, y has 9"):
        TensorDataset(X, y[:9])
    with pytest.raises(ValueError, match=r"arrays\[0\] has 10, arrays\[2\] has 4"):
        TensorDataset(X, y, y[:4])


@pytest.mark.parametrize(
    "size, error", [(0, ValueError), (-3, ValueError), (2.5, TypeError), (True, TypeError)]
)
def test_bad_batch_size(size, error):
    X, y = arrays(4)
    with pytest.raises(error, match="batch_size"):
        DataLoader((X, y), batch_size=size)


def test_not_a_dataset():
    with pytest.raises(TypeError, match="Dataset or a tuple of arrays"):
        DataLoader(5)
    with pytest.raises(TypeError, match=r"a tuple of arrays such as \(X, y\), got list"):
        DataLoader([[1.0, 2.0], [3.0, 4.0]])  # samples as a list: ambiguous, so refused


def test_tensor_dataset_items_and_tensors_inside():
    X, y = arrays(4)
    ds = TensorDataset(gn.tensor(X), y)
    assert len(ds) == 4
    x2, y2 = ds[2]
    np.testing.assert_array_equal(x2, X[2])
    assert y2 == 2
    assert "TensorDataset(" in repr(ds)


class Squares(Dataset):
    """A dataset made one sample at a time: (x, x^2)."""

    def __len__(self):
        return 5

    def __getitem__(self, index):
        return np.array([float(index)]), index * index


def test_a_custom_dataset_is_batched_by_stacking_its_samples():
    gn.manual_seed(0)
    loader = DataLoader(Squares(), batch_size=2, shuffle=True)
    batches = list(loader)
    assert [len(yb) for _, yb in batches] == [2, 2, 1]
    for xb, yb in batches:
        assert xb.shape == (len(yb), 1)
        np.testing.assert_array_equal(xb.data[:, 0] ** 2, yb.data)
    order = np.concatenate([xb.data[:, 0] for xb, _ in batches])
    np.testing.assert_array_equal(order, np.random.default_rng(0).permutation(5))


def test_the_base_dataset_asks_for_its_methods():
    with pytest.raises(NotImplementedError, match="__len__"):
        len(Dataset())
