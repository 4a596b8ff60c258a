"""scikit-learn's bundled sets (an optional extra): shapes, dtypes, class counts; the error without it."""

from __future__ import annotations

import sys

import numpy as np
import pytest

from glassnet import data

KNOWN = {
    # name: (shape, class counts, or the target's range for diabetes)
    "digits": ((1797, 64), [178, 182, 177, 183, 181, 182, 181, 179, 174, 180]),
    "iris": ((150, 4), [50, 50, 50]),
    "breast_cancer": ((569, 30), [212, 357]),
    "wine": ((178, 13), [59, 71, 48]),
}


@pytest.mark.parametrize("name", KNOWN)
def test_classification_sets(name):
    pytest.importorskip("sklearn")
    X, y = data.load_sklearn(name)
    shape, counts = KNOWN[name]
    assert X.shape == shape and X.dtype == np.float64
    assert y.shape == (shape[0],) and y.dtype == np.int64
    assert np.bincount(y).tolist() == counts
    X2, y2 = getattr(data, f"load_{name}")()
    np.testing.assert_array_equal(X2, X)


def test_digits_are_8x8_images_with_pixels_0_to_16():
    pytest.importorskip("sklearn")
    X, _ = data.load_digits()
    assert X.min() == 0.0 and X.max() == 16.0


def test_diabetes_is_a_regression_set():
    pytest.importorskip("sklearn")
    X, y = data.load_sklearn("Diabetes")
    assert X.shape == (442, 10) and y.dtype == np.float64
    assert y.min() == 25.0 and y.max() == 346.0
    np.testing.assert_allclose(X.mean(axis=0), 0.0, atol=1e-10)  # shipped centred


def test_unknown_name_lists_the_valid_ones():
    with pytest.raises(ValueError, match="valid names: digits, iris, breast_cancer, wine, diabetes"):
        data.load_sklearn("mnist")


def test_without_scikit_learn_the_error_says_how_to_install_it(monkeypatch):
    monkeypatch.setitem(sys.modules, "sklearn", None)  # makes `import sklearn` fail
    with pytest.raises(ImportError, match=r'pip install "glassnet\[sklearn\]"'):
        data.load_sklearn("iris")
