"""Windows of a series and scaling fitted on the training part only."""

import numpy as np
import pytest

from glassnet.data import make_windows, windowed_series


def test_windows_and_targets():
    x, y = make_windows(np.arange(10.0), lookback=3, horizon=2)
    assert x.shape == (6, 3, 1) and y.shape == (6, 1)
    assert x[0, :, 0].tolist() == [0, 1, 2] and y[0, 0] == 4.0 and y[-1, 0] == 9.0
    with pytest.raises(ValueError, match="has no window"):
        make_windows(np.arange(3.0), lookback=3)


def test_scaler_sees_the_training_part_only_and_test_targets_follow_the_split():
    values = np.r_[np.arange(10.0), 1000 + np.arange(10.0)]
    data = windowed_series(values, lookback=3, train_fraction=0.5, dtype="float64")
    assert data.scaler.mean_[0] == pytest.approx(4.5)  # the test values (1000+) did not leak in
    targets = data.scaler.inverse_transform(data.y_test)[:, 0]
    assert targets.tolist() == list(1000 + np.arange(10.0))
    first_inputs = data.scaler.inverse_transform(data.x_test[0])[:, 0]
    assert first_inputs.tolist() == [7.0, 8.0, 9.0]
    assert data.x_train.shape == (7, 3, 1)
