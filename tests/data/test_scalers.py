"""StandardScaler and MinMaxScaler: the formulas, training statistics only, round trips and errors."""

from __future__ import annotations

import numpy as np
import pytest

from glassnet.data import MinMaxScaler, NotFittedError, StandardScaler


@pytest.fixture
def train_test():
    rng = np.random.default_rng(0)
    train = rng.normal(loc=[5.0, -2.0, 100.0], scale=[2.0, 0.5, 30.0], size=(50, 3))
    test = rng.normal(loc=[5.0, -2.0, 100.0], scale=[2.0, 0.5, 30.0], size=(20, 3))
    return train, test


def test_standard_scaler_is_the_formula_with_training_statistics(train_test):
    train, test = train_test
    scaler = StandardScaler().fit(train)
    np.testing.assert_allclose(scaler.mean_, train.mean(axis=0))
    np.testing.assert_allclose(scaler.scale_, train.std(axis=0))  # population std (ddof 0)
    np.testing.assert_allclose(scaler.var_, train.var(axis=0))
    assert scaler.n_features_in_ == 3
    z = scaler.transform(train)
    np.testing.assert_allclose(z.mean(axis=0), 0.0, atol=1e-12)
    np.testing.assert_allclose(z.std(axis=0), 1.0)
    # Test data is scaled with the training numbers, not its own.
    np.testing.assert_allclose(scaler.transform(test), (test - train.mean(0)) / train.std(0))
    np.testing.assert_allclose(scaler.inverse_transform(scaler.transform(test)), test)
    np.testing.assert_allclose(StandardScaler().fit_transform(train), z)


def test_min_max_scaler_is_the_formula(train_test):
    train, test = train_test
    scaler = MinMaxScaler(feature_range=(-1, 1)).fit(train)
    low, high = train.min(axis=0), train.max(axis=0)
    np.testing.assert_array_equal(scaler.data_min_, low)
    np.testing.assert_array_equal(scaler.data_max_, high)
    np.testing.assert_array_equal(scaler.data_range_, high - low)
    scaled = scaler.transform(train)
    np.testing.assert_allclose(scaled.min(axis=0), -1.0)
    np.testing.assert_allclose(scaled.max(axis=0), 1.0)
    np.testing.assert_allclose(scaler.transform(test), (test - low) / (high - low) * 2 - 1)
    np.testing.assert_allclose(scaler.inverse_transform(scaler.transform(test)), test)
    assert repr(scaler) == "MinMaxScaler(feature_range=(-1, 1))"


def test_constant_columns_do_not_divide_by_zero():
    X = np.array([[1.0, 0.1, 7.0], [2.0, 0.1, 7.0], [4.0, 0.1, 7.0]])
    with np.errstate(all="raise"):
        standard = StandardScaler().fit(X)
        z = standard.transform(X)
        minmax = MinMaxScaler().fit(X)
        m = minmax.transform(X)
    np.testing.assert_array_equal(standard.scale_[1:], [1.0, 1.0])
    np.testing.assert_array_equal(z[:, 1:], 0.0)  # 0.1 - mean(0.1, 0.1, 0.1) is exactly 0 here
    np.testing.assert_array_equal(m[:, 1:], 0.0)
    np.testing.assert_allclose(standard.inverse_transform(z), X)
    np.testing.assert_allclose(minmax.inverse_transform(m), X)


def test_dtypes():
    X32 = np.array([[1.0, 2.0], [3.0, 5.0]], dtype=np.float32)
    assert StandardScaler().fit_transform(X32).dtype == np.float32
    assert MinMaxScaler().fit_transform(X32).dtype == np.float32
    ints = np.array([[1, 2], [3, 6]])
    np.testing.assert_array_equal(MinMaxScaler().fit_transform(ints), [[0.0, 0.0], [1.0, 1.0]])
    np.testing.assert_array_equal(StandardScaler().fit_transform(ints), [[-1.0, -1.0], [1.0, 1.0]])


@pytest.mark.parametrize("scaler", [StandardScaler(), MinMaxScaler()], ids=repr)
def test_errors(scaler):
    name = type(scaler).__name__
    with pytest.raises(NotFittedError, match=f"this {name} is not fitted yet.*before transform"):
        scaler.transform(np.ones((2, 2)))
    assert issubclass(NotFittedError, ValueError)
    bad = np.ones((3, 2))
    bad[1, 0] = np.nan
    with pytest.raises(ValueError, match=f"X passed to {name}.fit contains NaN at row 1, column 0"):
        scaler.fit(bad)
    scaler.fit(np.arange(6.0).reshape(3, 2) ** 2)
    with pytest.raises(ValueError, match=f"{name} was fitted on 2 features .* has 3"):
        scaler.transform(np.ones((4, 3)))
    with pytest.raises(ValueError, match=r"X passed to .*transform contains NaN"):
        scaler.transform(bad)
    with pytest.raises(ValueError, match=r"reshape\(-1, 1\)"):
        scaler.fit(np.ones(5))
    with pytest.raises(ValueError, match="at least one sample"):
        scaler.fit(np.ones((0, 2)))
    with pytest.raises(TypeError, match="expects numbers"):
        scaler.fit(np.array([["a", "b"]]))


def test_bad_feature_range():
    with pytest.raises(ValueError, match="lo < hi"):
        MinMaxScaler(feature_range=(1, 0))
    with pytest.raises(ValueError, match="two numbers"):
        MinMaxScaler(feature_range=(1, 2, 3))


def test_same_numbers_as_scikit_learn(train_test):
    preprocessing = pytest.importorskip("sklearn.preprocessing")
    train, test = train_test
    for ours, theirs in [
        (StandardScaler(), preprocessing.StandardScaler()),
        (MinMaxScaler((-2, 3)), preprocessing.MinMaxScaler((-2, 3))),
    ]:
        np.testing.assert_allclose(ours.fit(train).transform(test), theirs.fit(train).transform(test))
