"""scikit-learn's bundled data sets (shipped inside the package: no download), as NumPy arrays.

An optional extra: ``pip install "glassnet[sklearn]"``. scikit-learn is imported only when one of these
functions is called, so glassnet itself needs NumPy alone.
"""

from __future__ import annotations

import numpy as np

__all__ = [
    "load_sklearn",
    "SKLEARN_DATASETS",
    "load_digits",
    "load_iris",
    "load_breast_cancer",
    "load_wine",
    "load_diabetes",
]

#: name -> (scikit-learn loader, task): what ``load_sklearn`` knows.
SKLEARN_DATASETS = {
    "digits": ("load_digits", "classification"),  # 1797 x 64, 8x8 images with pixels 0..16, 10 classes
    "iris": ("load_iris", "classification"),  # 150 x 4, 3 classes
    "breast_cancer": ("load_breast_cancer", "classification"),  # 569 x 30, 2 classes
    "wine": ("load_wine", "classification"),  # 178 x 13, 3 classes
    "diabetes": ("load_diabetes", "regression"),  # 442 x 10, disease progression after one year
}


def load_sklearn(name: str):
    """One of scikit-learn's bundled data sets.

    Args:
        name: ``"digits"``, ``"iris"``, ``"breast_cancer"``, ``"wine"`` or ``"diabetes"``.

    Returns:
        ``(X, y)``: X float64 of shape (samples, features); y int64 class labels for the classification
        sets, float64 targets for ``diabetes`` (whose features scikit-learn ships already centred and
        scaled).

    Raises:
        ImportError: scikit-learn is not installed (``pip install "glassnet[sklearn]"``).
    """
    key = name.lower() if isinstance(name, str) else name
    if key not in SKLEARN_DATASETS:
        raise ValueError(
            f"unknown scikit-learn data set {name!r}; valid names: {', '.join(SKLEARN_DATASETS)}"
        )
    try:
        from sklearn import datasets  # noqa: PLC0415 - an optional extra, imported only when used
    except ImportError as err:
        raise ImportError(
            f'load_sklearn("{key}") needs scikit-learn, an optional extra of glassnet: '
            f'pip install "glassnet[sklearn]" (or pip install scikit-learn)'
        ) from err
    function, task = SKLEARN_DATASETS[key]
    bunch = getattr(datasets, function)()
    X = np.asarray(bunch.data, dtype=np.float64)
    y = np.asarray(bunch.target, dtype=np.int64 if task == "classification" else np.float64)
    return X, y


def load_digits():
    """``load_sklearn("digits")``: 1797 8x8 images of digits flattened to 64 pixels (0..16), 10 classes."""
    return load_sklearn("digits")


def load_iris():
    """``load_sklearn("iris")``: 150 flowers, 4 measurements in cm, 3 species."""
    return load_sklearn("iris")


def load_breast_cancer():
    """``load_sklearn("breast_cancer")``: 569 tumours, 30 features, malignant (0) or benign (1)."""
    return load_sklearn("breast_cancer")


def load_wine():
    """``load_sklearn("wine")``: 178 wines, 13 chemical measurements, 3 cultivars."""
    return load_sklearn("wine")


def load_diabetes():
    """``load_sklearn("diabetes")``: 442 patients, 10 scaled features, a float regression target."""
    return load_sklearn("diabetes")
