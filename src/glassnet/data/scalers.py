"""Scalers: put every feature on a comparable scale, with statistics learned from the training data only.

Fit a scaler on the training set, then transform the training, validation and test sets with the same
learned numbers: fitting on the test set would leak it into training. Learned state ends in ``_``
(``mean_``, ``scale_``, ``data_min_``, ...), as in scikit-learn, whose conventions these follow.
"""

from __future__ import annotations

import numpy as np

from glassnet.data.validation import as_array, check_finite

__all__ = ["StandardScaler", "MinMaxScaler", "NotFittedError"]


class NotFittedError(ValueError, AttributeError):
    """A scaler was asked to transform before ``fit`` learned its statistics."""


class _Scaler:
    """What every scaler shares: input checks, ``fit_transform``, and the not-fitted error."""

    def fit(self, X):
        X = self._check_input(X, "fit")
        if X.shape[0] == 0:
            raise ValueError(f"{type(self).__name__}.fit needs at least one sample, got shape {X.shape}")
        self._fit(X)
        self.n_features_in_ = X.shape[1]
        return self

    def transform(self, X):
        X = self._check_fitted_input(X, "transform")
        return self._transform(X).astype(X.dtype, copy=False)

    def fit_transform(self, X):
        """``fit(X)`` then ``transform(X)``: for the training data."""
        return self.fit(X).transform(X)

    def inverse_transform(self, X):
        X = self._check_fitted_input(X, "inverse_transform")
        return self._inverse_transform(X).astype(X.dtype, copy=False)

    def _check_input(self, X, method: str):
        """A 2-D float array without NaN: integers become float64, float32 stays float32."""
        where = f"{type(self).__name__}.{method}"
        X = np.asarray(as_array(X))
        if X.dtype.kind not in "fiub":
            raise TypeError(f"{where} expects numbers, got an array of dtype {X.dtype}")
        if X.ndim != 2:
            hint = "; use X.reshape(-1, 1) for a single feature" if X.ndim == 1 else ""
            raise ValueError(f"{where} expects a 2-D array (samples, features), got shape {X.shape}{hint}")
        if X.dtype.kind != "f":
            X = X.astype(np.float64)
        check_finite(X, f"X passed to {where}")
        return X

    def _check_fitted_input(self, X, method: str):
        name = type(self).__name__
        if not hasattr(self, "n_features_in_"):
            raise NotFittedError(
                f"this {name} is not fitted yet: call fit(X_train) (or fit_transform) before {method}"
            )
        X = self._check_input(X, method)
        if X.shape[1] != self.n_features_in_:
            raise ValueError(
                f"{name} was fitted on {self.n_features_in_} features (columns), "
                f"X passed to {method} has {X.shape[1]} (shape {X.shape})"
            )
        return X


def _constant_columns(X) -> np.ndarray:
    """True for columns whose values are all equal.

    Tested on min == max rather than on the variance, because the variance of a constant float column can
    come out as a tiny positive number by rounding (mean(0.1, 0.1, 0.1) need not be exactly 0.1).
    """
    return X.min(axis=0) == X.max(axis=0)


class StandardScaler(_Scaler):
    r"""Standardize each feature to mean 0 and standard deviation 1: :math:`z = (x - \mu) / \sigma`.

    μ and σ are learned per column by ``fit``; σ is the population standard deviation (divide by n, as
    scikit-learn and the notes do). A constant column has σ = 0 and keeps ``scale_`` = 1, so it becomes 0
    instead of a division by zero.

    Attributes (after ``fit``):
        mean_: μ per feature, float64, shape (features,).
        var_: σ² per feature.
        scale_: σ per feature (1 for constant features).
        n_features_in_: the number of columns seen by ``fit``.

    Example:
        >>> scaler = StandardScaler().fit(np.array([[1.0, 10.0], [3.0, 10.0]]))
        >>> scaler.mean_, scaler.scale_
        (array([ 2., 10.]), array([1., 1.]))
        >>> scaler.transform(np.array([[5.0, 12.0]]))
        array([[3., 2.]])
    """

    def _fit(self, X):
        constant = _constant_columns(X)
        # A constant column's mean is its value; summing can miss it by a rounding error (0.1 * 3 / 3).
        self.mean_ = np.where(constant, X.min(axis=0), X.mean(axis=0, dtype=np.float64)).astype(np.float64)
        self.var_ = np.where(constant, 0.0, X.var(axis=0, dtype=np.float64))
        scale = np.sqrt(self.var_)
        self.scale_ = np.where(constant | (scale == 0), 1.0, scale)

    def _transform(self, X):
        return (X - self.mean_) / self.scale_

    def _inverse_transform(self, Z):
        return Z * self.scale_ + self.mean_

    def __repr__(self) -> str:
        return "StandardScaler()"


class MinMaxScaler(_Scaler):
    r"""Rescale each feature linearly so that the training data spans ``feature_range`` (default [0, 1]).

    :math:`x' = (x - x_{min}) / (x_{max} - x_{min}) \cdot (hi - lo) + lo`, with the minimum and maximum
    learned per column by ``fit``; computed as ``x * scale_ + min_``. New data outside the training range
    maps outside ``feature_range`` (no clipping). A constant column maps to ``lo``.

    Args:
        feature_range: ``(lo, hi)`` with lo < hi.

    Attributes (after ``fit``):
        data_min_, data_max_: per feature, float64.
        data_range_: ``data_max_ - data_min_``.
        scale_: ``(hi - lo) / data_range_`` (with a range of 0 counted as 1).
        min_: ``lo - data_min_ * scale_``.
        n_features_in_: the number of columns seen by ``fit``.

    Example:
        >>> scaler = MinMaxScaler().fit(np.array([[0.0], [4.0]]))
        >>> scaler.transform(np.array([[1.0], [6.0]]))
        array([[0.25],
               [1.5 ]])
    """

    def __init__(self, feature_range=(0, 1)):
        try:
            low, high = (float(value) for value in feature_range)
        except (TypeError, ValueError):
            raise ValueError(f"feature_range must be two numbers (lo, hi), got {feature_range!r}") from None
        if not low < high:
            raise ValueError(f"feature_range must have lo < hi, got {feature_range!r}")
        self.feature_range = (low, high)

    def _fit(self, X):
        low, high = self.feature_range
        self.data_min_ = X.min(axis=0).astype(np.float64)
        self.data_max_ = X.max(axis=0).astype(np.float64)
        self.data_range_ = self.data_max_ - self.data_min_
        self.scale_ = (high - low) / np.where(self.data_range_ == 0, 1.0, self.data_range_)
        self.min_ = low - self.data_min_ * self.scale_

    def _transform(self, X):
        return X * self.scale_ + self.min_

    def _inverse_transform(self, Z):
        return (Z - self.min_) / self.scale_

    def __repr__(self) -> str:
        low, high = self.feature_range
        return f"MinMaxScaler(feature_range=({low:g}, {high:g}))"
