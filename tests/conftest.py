"""Shared test set-up: every test starts from the same seed and the float32 default."""

import numpy as np
import pytest

import glassnet as gn


@pytest.fixture(autouse=True)
def _fresh_state():
    gn.manual_seed(0)
    gn.set_default_dtype("float32")
    yield
    gn.set_default_dtype("float32")


@pytest.fixture
def float64():
    """Run the test with float64 as the default dtype (exact comparisons)."""
    gn.set_default_dtype("float64")
    return np.float64
