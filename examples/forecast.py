"""Forecasting the yearly sunspot numbers (1700-2008, statsmodels' data set) one year ahead with a GRU,
against the naive forecast "next year = this year".

    pip install glassnet[timeseries]      # statsmodels, for the data
    python examples/forecast.py [--epochs 300] [--lookback 12]

The first 80 % of the years train (the scaler is fitted on them only); the last 20 % test. Both models are
scored by the mean absolute error on the test years, in sunspot numbers.
"""

import argparse

import numpy as np

import glassnet as gn
from glassnet import nn, optim
from glassnet.data import load_sunspots, windowed_series

parser = argparse.ArgumentParser()
parser.add_argument("--epochs", type=int, default=300)
parser.add_argument("--lookback", type=int, default=12)
args = parser.parse_args()

try:
    values = load_sunspots()
except ImportError as error:
    raise SystemExit(f"this example needs statsmodels: {error}") from None
series = windowed_series(values, lookback=args.lookback, horizon=1, train_fraction=0.8)

gn.manual_seed(0)
model = nn.Sequential([nn.GRU(32), nn.Dense(1)], input_shape=(args.lookback, 1))
model.compile(optimizer=optim.Adam(lr=3e-3), loss="mse")
model.fit(series.x_train, series.y_train, epochs=args.epochs, batch_size=32, verbose=0)

scaler = series.scaler
predicted = scaler.inverse_transform(model.predict(series.x_test).astype(np.float64))
actual = scaler.inverse_transform(series.y_test.astype(np.float64))
naive = scaler.inverse_transform(series.x_test[:, -1].astype(np.float64))  # the last year of each window
model_mae = float(np.abs(predicted - actual).mean())
naive_mae = float(np.abs(naive - actual).mean())
print(
    f"{len(actual)} test years: GRU MAE {model_mae:.2f}, naive last-value MAE {naive_mae:.2f} "
    f"({'beats' if model_mae < naive_mae else 'does not beat'} the baseline)"
)
