"""Features computed from two inputs, as TensorFlow Playground offers them: x1, x2, x1², x2², x1·x2, sin x1,
sin x2. A network on the toy 2-D sets (moons, circles, spirals) learns with fewer layers when it is given
x1² + x2² to combine, which is the lesson of that page; ``glassnet playground`` and the ``features`` key of
a run file's ``[data]`` (``glassnet train``) both build their inputs here.
"""

from __future__ import annotations

import numpy as np

__all__ = ["FEATURES", "feature_columns", "check_features"]

#: Each feature's name (as a run file writes it), its formula in plain text, and how it is computed from
#: the columns x1 = X[:, 0] and x2 = X[:, 1].
FEATURES = {
    "x1": ("x₁", lambda x1, x2: x1),
    "x2": ("x₂", lambda x1, x2: x2),
    "x1^2": ("x₁²", lambda x1, x2: x1 * x1),
    "x2^2": ("x₂²", lambda x1, x2: x2 * x2),
    "x1*x2": ("x₁·x₂", lambda x1, x2: x1 * x2),
    "sin_x1": ("sin x₁", lambda x1, x2: np.sin(x1)),
    "sin_x2": ("sin x₂", lambda x1, x2: np.sin(x2)),
}


def check_features(names) -> list:
    """``names`` as a list, or a ValueError that says which name is unknown and which are valid.

    Example:
        >>> check_features(["x1", "x1^2"])
        ['x1', 'x1^2']
    """
    if isinstance(names, str) or not isinstance(names, (list, tuple)) or not names:
        raise ValueError(f"features must be a non-empty list of names from {list(FEATURES)}, got {names!r}")
    for name in names:
        if name not in FEATURES:
            raise ValueError(f"unknown feature {name!r}; valid: {', '.join(FEATURES)}")
    if len(set(names)) != len(names):
        raise ValueError(f"features must not repeat a name, got {list(names)}")
    return list(names)


def feature_columns(X, names) -> np.ndarray:
    """The chosen features of 2-D points, one column each in the order of ``names``.

    Args:
        X: points, shape (n, 2).
        names: feature names, keys of ``FEATURES``.

    Returns:
        float64 array of shape (n, len(names)).

    Example:
        >>> feature_columns(np.array([[1.0, 2.0]]), ["x1", "x2^2", "x1*x2"]).tolist()
        [[1.0, 4.0, 2.0]]
    """
    X = np.asarray(X, dtype=np.float64)
    if X.ndim != 2 or X.shape[1] != 2:
        raise ValueError(f"features are computed from 2-D points of shape (n, 2), got shape {X.shape}")
    names = check_features(names)
    x1, x2 = X[:, 0], X[:, 1]
    return np.stack([FEATURES[name][1](x1, x2) for name in names], axis=1)
