"""Real series that a package ships, for forecasting: statsmodels' yearly sunspot numbers."""

from __future__ import annotations

import numpy as np

__all__ = ["load_sunspots"]


def load_sunspots() -> np.ndarray:
    """The yearly mean sunspot numbers, 1700-2008 (309 values, float64), as statsmodels ships them
    (``statsmodels.datasets.sunspots``; needs ``pip install glassnet[timeseries]``).

    Raises:
        ImportError: statsmodels is not installed (the message says how to install it).
    """
    try:
        import statsmodels.api as sm  # noqa: PLC0415 - an optional extra, imported when asked for
    except ImportError:
        raise ImportError(
            "the sunspots series comes with statsmodels: pip install glassnet[timeseries]", name="statsmodels"
        ) from None
    return sm.datasets.sunspots.load_pandas().data["SUNACTIVITY"].to_numpy(dtype=np.float64)
