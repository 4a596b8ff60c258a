"""Time series: windows of the past (lookback) to predict the future (horizon), scaled on the training
part only."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from glassnet.data.scalers import MinMaxScaler, StandardScaler

__all__ = ["WindowedSeries", "windowed_series", "make_windows"]


def make_windows(values, lookback: int, horizon: int = 1):
    """Inputs values[s : s+lookback] (lookback, features) and targets values[s+lookback+horizon-1]
    (the value ``horizon`` steps after the window), for every s.

    Example:
        >>> x, y = make_windows(np.arange(6.0), lookback=3, horizon=2)
        >>> x[:, :, 0].tolist(), y[:, 0].tolist()
        ([[0.0, 1.0, 2.0], [1.0, 2.0, 3.0]], [4.0, 5.0])
    """
    values = np.asarray(values)
    values = values[:, None] if values.ndim == 1 else values
    if lookback < 1 or horizon < 1:
        raise ValueError(f"make_windows: lookback and horizon must be >= 1, got {lookback}, {horizon}")
    count = len(values) - lookback - horizon + 1
    if count < 1:
        raise ValueError(
            f"make_windows: a series of {len(values)} steps has no window of lookback {lookback} + horizon "
            f"{horizon}"
        )
    x = np.lib.stride_tricks.sliding_window_view(values, lookback, axis=0)[:count].transpose(0, 2, 1)
    return np.ascontiguousarray(x), values[lookback + horizon - 1 :][:count].copy()


@dataclass
class WindowedSeries:
    """Train and test windows of one series, and the scaler fitted on the training part (learned state:
    use ``scaler.inverse_transform`` to bring predictions back to the series' units)."""

    x_train: np.ndarray
    y_train: np.ndarray
    x_test: np.ndarray
    y_test: np.ndarray
    scaler: object
    split: int


def windowed_series(
    values, lookback: int, horizon: int = 1, train_fraction: float = 0.8, scaling="standard", dtype="float32"
) -> WindowedSeries:
    """Split a series in time (the first ``train_fraction`` trains), fit the scaler on the training steps
    only, scale the whole series with it, and cut windows from each part.

    The test windows start ``lookback`` steps before the split, so that every test target lies after it
    and its inputs are known at prediction time; no test value influences the scaler.

    Args:
        values: (steps,) or (steps, features).
        lookback, horizon: window length and how far ahead the target lies.
        train_fraction: the first part of the series used for training.
        scaling: "standard", "minmax" or None.

    Example:
        >>> data = windowed_series(np.arange(20.0), lookback=4, train_fraction=0.5)
        >>> data.x_train.shape, data.y_test.shape, float(data.scaler.mean_[0])
        ((6, 4, 1), (10, 1), 4.5)
    """
    values = np.asarray(values, dtype=np.float64)
    values = values[:, None] if values.ndim == 1 else values
    if not 0 < train_fraction < 1:
        raise ValueError(f"windowed_series: train_fraction must be in (0, 1), got {train_fraction}")
    split = int(len(values) * train_fraction)
    scalers = {"standard": StandardScaler, "minmax": MinMaxScaler, None: None}
    if scaling not in scalers:
        raise ValueError(f"windowed_series: scaling must be 'standard', 'minmax' or None, got {scaling!r}")
    scaler = scalers[scaling]().fit(values[:split]) if scaling is not None else None
    scaled = scaler.transform(values) if scaler is not None else values
    x_train, y_train = make_windows(scaled[:split], lookback, horizon)
    x_test, y_test = make_windows(scaled[split - lookback - horizon + 1 :], lookback, horizon)
    return WindowedSeries(
        x_train.astype(dtype),
        y_train.astype(dtype),
        x_test.astype(dtype),
        y_test.astype(dtype),
        scaler,
        split,
    )
